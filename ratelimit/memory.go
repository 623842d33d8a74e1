package ratelimit

import (
	"context"
	"sync"
	"time"
)

// Memory is a Store for a single instance: one sliding log per key.
type Memory struct {
	mu        sync.Mutex
	logs      map[string][]entry
	now       func() time.Time
	lastSweep time.Time
}

// entry is one charged request.
type entry struct {
	at   time.Time
	cost int
}

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory { return &Memory{logs: map[string][]entry{}, now: time.Now} }

// Take implements Store.
func (m *Memory) Take(_ context.Context, key string, limit, cost int) (Result, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.sweep(now)
	log := live(m.logs[key], now)
	used := 0
	for _, e := range log {
		used += e.cost
	}
	res := Result{Limit: limit, Cost: cost}
	if used+cost <= limit {
		log = append(log, entry{now, cost})
		used += cost
		res.Allowed = true
	} else {
		need, freed := used+cost-limit, 0
		for _, e := range log {
			if freed += e.cost; freed >= need {
				res.RetryAfter = e.at.Add(Window).Sub(now)
				break
			}
		}
	}
	m.logs[key] = log
	res.Remaining = limit - used
	if len(log) > 0 {
		res.Reset = log[0].at.Add(Window)
	} else {
		res.Reset = now.Add(Window)
	}
	return res, nil
}

// live drops the entries that left the window ending at now.
func live(log []entry, now time.Time) []entry {
	cut := 0
	for cut < len(log) && !log[cut].at.After(now.Add(-Window)) {
		cut++
	}
	return log[cut:]
}

// sweep forgets idle keys once a window, so memory follows active keys only.
func (m *Memory) sweep(now time.Time) {
	if now.Sub(m.lastSweep) < Window {
		return
	}
	m.lastSweep = now
	for k, log := range m.logs {
		if len(live(log, now)) == 0 {
			delete(m.logs, k)
		}
	}
}
