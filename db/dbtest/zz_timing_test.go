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
	var ds []time.Duration
	for i := 0; i < 30; i++ {
		name := "tm_" + randomHex(4)
		began := time.Now()
		if _, err := conn.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)+" TEMPLATE "+template); err != nil {
			t.Fatal(err)
		}
		ds = append(ds, time.Since(began).Round(time.Millisecond))
		conn.ExecContext(ctx, "DROP DATABASE "+name)
	}
	t.Log(ds)
}
