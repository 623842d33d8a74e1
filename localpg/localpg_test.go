package localpg

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// pgTempDir returns a new directory for data directories, removed after the test.
// Unlike t.TempDir, whose parent is 0700, the postgres user can reach it when the
// test runs as root.
func pgTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "localpg-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func mustStart(t *testing.T, dir string, throwaway bool) *Cluster {
	t.Helper()
	start := StartCluster
	if throwaway {
		start = StartThrowawayCluster
	}
	began := time.Now()
	c, err := start(t.Context(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("started (throwaway=%v) in %v", throwaway, time.Since(began).Round(time.Millisecond))
	t.Cleanup(func() { c.Stop() })
	return c
}

// setting returns a server setting through a new connection to c.
func setting(t *testing.T, c *Cluster, name string) string {
	t.Helper()
	sqldb, err := sql.Open("postgres", c.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer sqldb.Close()
	var one int
	if err := sqldb.QueryRow("SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1 = %d, %v", one, err)
	}
	var v string
	if err := sqldb.QueryRow("SELECT current_setting($1)", name).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestFindPostgresBin(t *testing.T) {
	bin, err := FindPostgresBin()
	if err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(bin) || !hasServerBins(bin) {
		t.Fatalf("FindPostgresBin() = %q, want an absolute directory with the server binaries", bin)
	}
}

func TestFindPostgresBinMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	saved := libDirGlob
	libDirGlob = filepath.Join(t.TempDir(), "*", "bin")
	defer func() { libDirGlob = saved }()
	_, err := FindPostgresBin()
	if err == nil || err.Error() != installHint {
		t.Fatalf("FindPostgresBin() error = %v, want %q", err, installHint)
	}
	// StartCluster reports it as it is.
	if _, err := StartCluster(t.Context(), filepath.Join(pgTempDir(t), "pg"), nil); err == nil || err.Error() != installHint {
		t.Fatalf("StartCluster without binaries: %v, want %q", err, installHint)
	}
}

func TestVersionLess(t *testing.T) {
	dirs := []string{"/l/9.6/bin", "/l/16/bin", "/l/10/bin", "/l/15/bin"}
	for i, want := range []string{"/l/16/bin", "/l/15/bin", "/l/10/bin", "/l/9.6/bin"} {
		best := dirs[0]
		for _, d := range dirs {
			if versionLess(best, d) {
				best = d
			}
		}
		if best != want {
			t.Fatalf("round %d: highest = %s, want %s", i, best, want)
		}
		for j, d := range dirs {
			if d == best {
				dirs = append(dirs[:j], dirs[j+1:]...)
				break
			}
		}
	}
}

func TestClusterLifecycle(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(pgTempDir(t), "pg data") // a space, to exercise quoting

	c := mustStart(t, dir, true)
	if c.Dir() != dir || c.sockDir != dir {
		t.Fatalf("Dir() = %q, socket in %q, want both %q", c.Dir(), c.sockDir, dir)
	}
	for name, want := range map[string]string{"fsync": "off", "max_connections": "200", "listen_addresses": ""} {
		if got := setting(t, c, name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}

	// A second start on a running cluster reuses it, and its Stop leaves it running.
	reused := mustStart(t, dir, false)
	if reused.URL("postgres") != c.URL("postgres") {
		t.Errorf("reused URL = %q, want %q", reused.URL("postgres"), c.URL("postgres"))
	}
	if err := reused.Stop(); err != nil {
		t.Fatal(err)
	}
	setting(t, c, "fsync")

	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := c.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "postmaster.pid")); !os.IsNotExist(err) {
		t.Fatalf("postmaster.pid after Stop: %v", err)
	}

	// A postmaster.pid naming a live process that is not postgres (a reused pid)
	// must not keep the cluster from starting again.
	pid := []byte(strconv.Itoa(os.Getpid()) + "\n" + dir + "\n")
	if err := os.WriteFile(filepath.Join(dir, "postmaster.pid"), pid, 0o600); err != nil {
		t.Fatal(err)
	}
	c = mustStart(t, dir, false)
	for name, want := range map[string]string{"fsync": "on", "max_connections": "100"} {
		if got := setting(t, c, name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
}

func TestClusterLongPath(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(pgTempDir(t), strings.Repeat("d", 100))
	c := mustStart(t, dir, true)
	if c.sockDir == dir || len(c.sockDir) > maxSocketDir {
		t.Fatalf("socket directory %q for data directory %q", c.sockDir, dir)
	}
	setting(t, c, "fsync")
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(c.sockDir); !os.IsNotExist(err) {
		t.Fatalf("socket directory after Stop: %v", err)
	}
}

func TestStartClusterRefusesForeignDirectory(t *testing.T) {
	t.Parallel()
	dir := pgTempDir(t)
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := StartCluster(t.Context(), dir, nil)
	if err == nil || !strings.Contains(err.Error(), "holds no PostgreSQL cluster") {
		t.Fatalf("StartCluster on a non-empty directory: %v", err)
	}
	t.Log(err)
}

func TestStartClusterUnreachableAsRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root runs the server as another user")
	}
	t.Parallel()
	base := pgTempDir(t)
	if err := os.Chmod(base, 0o700); err != nil {
		t.Fatal(err)
	}
	_, err := StartCluster(t.Context(), filepath.Join(base, "pg"), nil)
	if err == nil || !strings.Contains(err.Error(), "cannot reach") {
		t.Fatalf("StartCluster under a 0700 root directory: %v", err)
	}
	t.Log(err)
}

// TestThrowawayClusterDiesWithProcess runs a process that starts a throwaway
// cluster and exits without stopping it: the server must go away by itself.
func TestThrowawayClusterDiesWithProcess(t *testing.T) {
	if dir := os.Getenv("LOCALPG_ORPHAN_DIR"); dir != "" {
		c, err := StartThrowawayCluster(context.Background(), dir, nil)
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("started", c.child.Pid)
		os.Exit(0)
	}
	t.Parallel()
	dir := filepath.Join(pgTempDir(t), "pg")
	cmd := exec.Command(os.Args[0], "-test.run=^TestThrowawayClusterDiesWithProcess$")
	cmd.Env = append(os.Environ(), "LOCALPG_ORPHAN_DIR="+dir)
	out, err := cmd.Output()
	var pid int
	if _, serr := fmt.Sscanf(string(out), "started %d", &pid); err != nil || serr != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	deadline := time.Now().Add(30 * time.Second)
	for processAlive(pid) && !zombie(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("postgres (pid %d) still runs after its parent exited", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Open is the embedded default's path: a second Open on the same directory
// reuses the running server and finds the database already there.
func TestOpenCreatesTheDatabaseOnce(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(pgTempDir(t), "pg")
	c, url, err := Open(t.Context(), dir, "pivotal app", nil) // a space, to exercise quoting
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Stop() })
	again, url2, err := Open(t.Context(), dir, "pivotal app", nil)
	if err != nil {
		t.Fatalf("second Open: %v", err)
	}
	if url2 != url {
		t.Errorf("second Open's URL = %q, want %q", url2, url)
	}
	again.Stop() // a reused server: its Stop leaves it running
	sqldb, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer sqldb.Close()
	var name string
	if err := sqldb.QueryRow("SELECT current_database()").Scan(&name); err != nil || name != "pivotal app" {
		t.Fatalf("current_database() = %q, %v", name, err)
	}
}
