package main

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// subsQuery is what each subscriber asks for: the object's own fields and a
// nested one, resolved at delivery.
const subsQuery = `subscription { events(types: ["customer.updated"]) { id createdAt
	object { ... on Customer { id name status primaryContact { name email } } } } }`

// subs measures the fan-out of one server (issue 12's benchmark):
//
//	benchtool subs BASE METRICS PID N WRITES
//
// BASE is the server (http://HOST:PORT), METRICS its /metrics URL, PID its
// process (for peak RSS), N the subscriptions (one connection each), WRITES
// the burst of updates to one customer (8 at a time). $KEY is an unlimited
// key of a workspace with a customer whose id is $CUSTOMER. It prints the
// statements the burst costs without and with the subscribers, the commit
// (the event's createdAt, taken in the writing transaction) to delivery
// latency percentiles over every delivery, and the server's peak RSS.
func subs(args []string) error {
	base, metricsURL := args[0], args[1]
	pid, _ := strconv.Atoi(args[2])
	n, _ := strconv.Atoi(args[3])
	writes, _ := strconv.Atoi(args[4])
	key, customer := os.Getenv("KEY"), os.Getenv("CUSTOMER")
	if key == "" || customer == "" || n < 1 || writes < 1 {
		return fmt.Errorf("subs: want BASE METRICS PID N WRITES with $KEY and $CUSTOMER")
	}
	rssBefore := peakRSS(pid)

	// The writes alone, nobody subscribed.
	s0 := statements(metricsURL)
	burst(base, key, customer, writes, "a")
	time.Sleep(time.Second)
	alone := statements(metricsURL) - s0

	var mu sync.Mutex
	var lat []time.Duration
	var received atomic.Int64
	conns := make([]*websocket.Conn, n)
	ctx := context.Background()
	for i := range conns {
		c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/graphql",
			&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
		if err != nil {
			return fmt.Errorf("connection %d: %w", i, err)
		}
		c.SetReadLimit(1 << 20)
		conns[i] = c
		send(c, map[string]any{"type": "connection_init", "payload": map[string]string{"Authorization": "Bearer " + key}})
		if _, b, err := c.Read(ctx); err != nil || !strings.Contains(string(b), "connection_ack") {
			return fmt.Errorf("connection %d: %s %v", i, b, err)
		}
		send(c, map[string]any{"type": "subscribe", "id": "1", "payload": map[string]string{"query": subsQuery}})
		go func() {
			for {
				_, b, err := c.Read(ctx)
				if err != nil {
					return
				}
				now := time.Now()
				var m struct {
					Type    string
					Payload struct {
						Data struct{ Events struct{ CreatedAt time.Time } }
					}
				}
				if json.Unmarshal(b, &m) != nil {
					continue
				}
				switch m.Type {
				case "ping":
					send(c, map[string]any{"type": "pong"})
				case "next":
					mu.Lock()
					lat = append(lat, now.Sub(m.Payload.Data.Events.CreatedAt))
					mu.Unlock()
					received.Add(1)
				}
			}
		}()
	}
	// Subscriptions start when the server has run the subscribe message: a
	// probe write must reach every connection before the burst is timed.
	time.Sleep(2 * time.Second)
	burst(base, key, customer, 1, "probe")
	for deadline := time.Now().Add(30 * time.Second); received.Load() < int64(n) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if got := received.Load(); got != int64(n) {
		return fmt.Errorf("the probe reached %d of %d subscribers", got, n)
	}
	mu.Lock()
	lat = lat[:0]
	mu.Unlock()
	received.Store(0)
	rssSubscribed := peakRSS(pid)

	s1 := statements(metricsURL)
	start := time.Now()
	burst(base, key, customer, writes, "b")
	want := int64(writes * n)
	for deadline := time.Now().Add(60 * time.Second); received.Load() < want && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	elapsed := time.Since(start)
	time.Sleep(time.Second)
	fanned := statements(metricsURL) - s1
	for _, c := range conns {
		c.Close(websocket.StatusNormalClosure, "")
	}
	mu.Lock()
	defer mu.Unlock()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) string {
		if len(lat) == 0 {
			return "-"
		}
		return fmt.Sprintf("%.1f", float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds())/1000)
	}
	fmt.Printf("subscriptions %d, burst of %d updates (%s at a time)\n", n, writes, cmp.Or(os.Getenv("CONCURRENCY"), "8"))
	fmt.Printf("deliveries %d of %d in %.2fs\n", received.Load(), want, elapsed.Seconds())
	fmt.Printf("commit→delivery ms: p50 %s, p99 %s, max %s\n", pct(.50), pct(.99), pct(1))
	fmt.Printf("statements: the burst alone %d; with %d subscribers %d; fan-out %.2f per event\n",
		alone, n, fanned, float64(fanned-alone)/float64(writes))
	fmt.Printf("server peak RSS MiB: before subscribers %.1f, with them %.1f, after the burst %.1f\n",
		rssBefore, rssSubscribed, peakRSS(pid))
	return nil
}

func send(c *websocket.Conn, m any) {
	b, _ := json.Marshal(m)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c.Write(ctx, websocket.MessageText, b)
}

// burst renames the customer n times, $CONCURRENCY (default 8) requests at a
// time.
func burst(base, key, customer string, n int, tag string) {
	var wg sync.WaitGroup
	jobs := make(chan int)
	workers := 8
	if c, err := strconv.Atoi(os.Getenv("CONCURRENCY")); err == nil && c > 0 {
		workers = c
	}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				body := fmt.Sprintf(`{"name":"Bench %s %d"}`, tag, i)
				req, _ := http.NewRequest("PATCH", base+"/api/v1/customers/"+customer, strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+key)
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					fmt.Fprintln(os.Stderr, "write:", err)
					continue
				}
				if resp.StatusCode != 200 {
					fmt.Fprintln(os.Stderr, "write:", resp.Status)
				}
				resp.Body.Close()
			}
		}()
	}
	for i := 0; i < n; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
}

// statements reads pivotal_sql_statements_total from /metrics.
func statements(url string) int64 {
	resp, err := http.Get(url)
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	var total float64
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "pivotal_sql_statements_total{") {
			f := strings.Fields(line)
			v, _ := strconv.ParseFloat(f[len(f)-1], 64)
			total += v
		}
	}
	return int64(total)
}

// peakRSS is the process's VmHWM in MiB.
func peakRSS(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return -1
}
