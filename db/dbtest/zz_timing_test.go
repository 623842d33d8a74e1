package dbtest

import (
	"context"
	"testing"
	"time"

	"github.com/lib/pq"
)

func TestZZTiming(t *testing.T) {
	ctx := context.Background()
	conn, _ := admin.Conn(ctx)
	defer conn.Close()
	for _, set := range []string{"", "wal_init_zero = off", "wal_recycle = off", "full_page_writes = on", "wal_level = minimal", "max_wal_senders = 0", "fsync = on"} {
		if set != "" {
			if _, err := conn.ExecContext(ctx, "ALTER SYSTEM SET "+set); err != nil {
				t.Fatal(err)
			}
			conn.ExecContext(ctx, "SELECT pg_reload_conf()")
			time.Sleep(200 * time.Millisecond)
		}
		var c time.Duration
		for i := 0; i < 5; i++ {
			name := "tm_" + randomHex(4)
			began := time.Now()
			if _, err := conn.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)+" TEMPLATE "+template); err != nil {
				t.Fatal(err)
			}
			c += time.Since(began)
			conn.ExecContext(ctx, "DROP DATABASE "+name)
		}
		t.Logf("%s: create %v", set, c/5)
	}
}
