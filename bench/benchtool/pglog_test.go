package main

import (
	"reflect"
	"testing"
)

func TestParseStatementLog(t *testing.T) {
	log := `2026-11-27 14:32:10.693 UTC [30989] LOG:  parameter "log_statement" changed to "all"
2026-11-27 14:32:11.028 UTC [32289] LOG:  execute <unnamed>: 
			SELECT k.id FROM api_keys k
			WHERE k.hash = $1
2026-11-27 14:32:11.028 UTC [32289] DETAIL:  parameters: $1 = '\xac7e'
2026-11-27 14:32:11.029 UTC [40000] LOG:  statement: ALTER SYSTEM RESET log_statement
2026-11-27 14:32:11.031 UTC [32289] LOG:  execute <unnamed>: SELECT * FROM t WHERE a = $1 AND b = ANY($2) AND c = $10 AND d IS $3
2026-11-27 14:32:11.031 UTC [32200] LOG:  execute <unnamed>: SELECT 1
2026-11-27 14:32:11.031 UTC [32289] DETAIL:  parameters: $1 = 'it''s', $2 = '{a,b}', $3 = NULL, $10 = '10'
2026-11-27 14:32:11.032 UTC [32200] LOG:  statement: SELECT now()
`
	got := parseStatementLog(log)
	want := []string{
		"SELECT k.id FROM api_keys k\n\t\t\tWHERE k.hash = '\\xac7e'",
		"SELECT * FROM t WHERE a = 'it''s' AND b = ANY('{a,b}') AND c = '10' AND d IS NULL",
		"SELECT 1",
		"SELECT now()",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}
