package main

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// logPrefix matches the start of a PostgreSQL log entry with the default
// log_line_prefix '%m [%p] ': "2026-11-27 14:30:00.123 UTC [1234] LOG:  …".
var logPrefix = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? \S+ \[(\d+)\] ([A-Z]+):  (.*)$`)

// statementRE matches what log_statement = all logs for the simple protocol
// ("statement: …") and for the extended one ("execute <unnamed>: …").
var statementRE = regexp.MustCompile(`(?s)^(?:statement|execute [^:]*): (.*)$`)

// paramRE matches one "$n = 'value'" (or NULL) of a "parameters:" detail line.
var paramRE = regexp.MustCompile(`\$(\d+) = (NULL|'(?:[^']|'')*')`)

type logEntry struct {
	pid, level, text string
}

func splitLog(s string) []logEntry {
	var out []logEntry
	for _, line := range strings.Split(s, "\n") {
		if m := logPrefix.FindStringSubmatch(line); m != nil {
			out = append(out, logEntry{pid: m[1], level: m[2], text: m[3]})
		} else if len(out) > 0 && line != "" {
			out[len(out)-1].text += "\n" + line
		}
	}
	return out
}

// parseStatementLog returns the logged statements in order with their
// parameters inlined as quoted literals (PostgreSQL coerces them to the type
// the context needs, as it does for the parameters themselves). Statements
// that toggle the logging itself are left out.
func parseStatementLog(s string) []string {
	entries := splitLog(s)
	var stmts []string
	for i, e := range entries {
		if e.level != "LOG" {
			continue
		}
		m := statementRE.FindStringSubmatch(e.text)
		if m == nil {
			continue
		}
		sql := strings.TrimSpace(m[1])
		if strings.Contains(sql, "log_statement") || strings.Contains(sql, "pg_reload_conf") {
			continue
		}
		// The parameters follow as a DETAIL entry of the same backend.
		for _, d := range entries[i+1:] {
			if d.pid != e.pid {
				continue
			}
			if d.level == "DETAIL" && strings.HasPrefix(d.text, "parameters: ") {
				sql = inline(sql, d.text)
			}
			break
		}
		stmts = append(stmts, sql)
	}
	return stmts
}

// inline replaces $n by its logged value, highest n first so that $1 does not
// eat the start of $10.
func inline(sql, detail string) string {
	params := map[int]string{}
	for _, m := range paramRE.FindAllStringSubmatch(detail, -1) {
		n, _ := strconv.Atoi(m[1])
		params[n] = m[2]
	}
	ns := make([]int, 0, len(params))
	for n := range params {
		ns = append(ns, n)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(ns)))
	for _, n := range ns {
		sql = strings.ReplaceAll(sql, "$"+strconv.Itoa(n), params[n])
	}
	return sql
}
