package main

import (
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// interleave sends POST /api/v1/customers n times to each server in turn
// (NAME=URL=KEY) and prints each one's p50 and p90. Taking turns request by
// request spreads a busy machine's noise over every server alike, which
// separate runs do not.
func interleave(args []string, out io.Writer) error {
	if len(args) < 2 {
		return fmt.Errorf("interleave: want N NAME=URL=KEY...")
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n < 10 {
		return fmt.Errorf("interleave: N must be a number of requests, at least 10")
	}
	type target struct {
		name, url, key string
		lat            []time.Duration
	}
	var ts []*target
	for _, a := range args[1:] {
		p := strings.SplitN(a, "=", 3)
		if len(p) != 3 {
			return fmt.Errorf("interleave: %q is not NAME=URL=KEY", a)
		}
		ts = append(ts, &target{name: p[0], url: p[1], key: p[2]})
	}
	run := time.Now().UnixNano()
	for i := -50; i < n; i++ { // 50 warm-up rounds
		for _, t := range ts {
			req, _ := http.NewRequest("POST", t.url+"/api/v1/customers", strings.NewReader(fmt.Sprintf(`{"name":"Interleaved %d %d"}`, run, i)))
			req.Header.Set("Authorization", "Bearer "+t.key)
			req.Header.Set("Content-Type", "application/json")
			start := time.Now()
			resp, err := http.DefaultClient.Do(req)
			d := time.Since(start)
			if err != nil {
				return err
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 201 {
				return fmt.Errorf("%s: status %d", t.name, resp.StatusCode)
			}
			if i >= 0 {
				t.lat = append(t.lat, d)
			}
		}
	}
	for _, t := range ts {
		sort.Slice(t.lat, func(a, b int) bool { return t.lat[a] < t.lat[b] })
		fmt.Fprintf(out, "%-18s n=%d  p50 %.3f ms  p90 %.3f ms\n", t.name, len(t.lat),
			float64(t.lat[len(t.lat)/2].Microseconds())/1000, float64(t.lat[len(t.lat)*9/10].Microseconds())/1000)
	}
	return nil
}
