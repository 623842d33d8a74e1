package localpg

// Reusing a server already running on a data directory, and telling a live
// postmaster from a stale pid file.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	_ "github.com/lib/pq" // the "postgres" database/sql driver
)

// reuse adopts a server that is already running on c.dir. A postmaster.pid whose
// pid is dead is left to postgres; one whose pid now belongs to another process
// (pids are reused, e.g. after a container restart) is removed, because postgres
// would refuse to start while that process lives.
func (c *Cluster) reuse(ctx context.Context) (bool, error) {
	pidFile := filepath.Join(c.dir, "postmaster.pid")
	lines, err := readPidFile(pidFile)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("postgres: %w", err)
	}
	pid, _ := strconv.Atoi(lines[0])
	if pid <= 0 || !processAlive(pid) {
		return false, nil
	}
	cwd, err := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid))
	if zombie(pid) || err == nil && !sameDir(cwd, c.dir) {
		c.log.Warn("removing stale postmaster.pid: its pid is not a server on this directory", "dir", c.dir, "pid", pid)
		if err := os.Remove(pidFile); err != nil {
			return false, fmt.Errorf("postgres: removing stale %s: %w", pidFile, err)
		}
		return false, nil
	}
	// The socket lines appear once the server has opened its socket.
	deadline := time.Now().Add(10 * time.Second)
	for len(lines) < 5 || lines[4] == "" {
		if time.Now().After(deadline) {
			return false, fmt.Errorf("postgres: a server (pid %d) runs on %s but has no unix socket; stop it with: pg_ctl stop -D %s",
				pid, c.dir, c.dir)
		}
		if err := sleepCtx(ctx, 50*time.Millisecond); err != nil {
			return false, err
		}
		if lines, err = readPidFile(pidFile); errors.Is(err, fs.ErrNotExist) {
			return false, nil // it stopped meanwhile
		} else if err != nil {
			return false, fmt.Errorf("postgres: %w", err)
		}
	}
	c.port, _ = strconv.Atoi(lines[3])
	c.sockDir = lines[4]
	c.superuser = c.runAs.name
	if err := pingServer(ctx, c.URL("postgres"), 10*time.Second, nil); err != nil {
		return false, fmt.Errorf("postgres: a server (pid %d) runs on %s but does not answer on %s: %w",
			pid, c.dir, c.sockDir, err)
	}
	c.log.Info("postgres already running, reusing it", "dir", c.dir, "pid", pid, "socket", c.sockDir)
	return true, nil
}

func readPidFile(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(string(b), "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return lines, nil
}

func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// zombie reports whether pid has exited but not been reaped (its parent died and
// nothing reaps orphans, as in some containers); postgres would take it for alive.
func zombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	return i >= 0 && len(b) > i+2 && b[i+2] == 'Z'
}

func sameDir(a, b string) bool {
	if ra, err := filepath.EvalSymlinks(a); err == nil {
		a = ra
	}
	if rb, err := filepath.EvalSymlinks(b); err == nil {
		b = rb
	}
	return filepath.Clean(a) == filepath.Clean(b)
}
