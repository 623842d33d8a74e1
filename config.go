package main

// Flags and environment variables.

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// config is everything the commands read from flags and the environment.
type config struct {
	Addr             string
	DatabaseURL      string
	DataDir          string
	Demo             bool
	StatementTimeout time.Duration
	ShutdownGrace    time.Duration
	MaxComplexity    int
	RedisURL         string
	CORSOrigins      string
	RequestTimeout   time.Duration
	MetricsAddr      string
	HTTP             httpLimits
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// commonFlags registers the flags every command that touches the database has.
func commonFlags(fs *flag.FlagSet, c *config) {
	fs.StringVar(&c.DatabaseURL, "database-url", os.Getenv("DATABASE_URL"), "PostgreSQL URL (env DATABASE_URL); empty: embedded cluster")
	fs.StringVar(&c.DataDir, "data-dir", envOr("PIVOTAL_DATA_DIR", ".pivotal"), "embedded PostgreSQL data directory (env PIVOTAL_DATA_DIR)")
}

func newFlagSet(name string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprint(out, usage, "\nFlags of ", name, ":\n")
		fs.PrintDefaults()
	}
	return fs
}

// httpLimits are the HTTP server's timeouts and header cap.
type httpLimits struct {
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	MaxHeaderBytes                                            int
}

func intEnv(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return n
	}
	return def
}

// splitList splits a comma-separated list, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func durationEnv(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return d
	}
	return def
}
