// Package localpg runs a private PostgreSQL server from the machine's
// PostgreSQL binaries: the embedded default of pivotal serve and of the CLI
// (a durable cluster in a data directory of its own) and the throwaway
// clusters of the tests. It starts and stops processes; the store is package db.
package localpg

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	_ "github.com/lib/pq" // the "postgres" database/sql driver
)

// pgPort only names the socket file (.s.PGSQL.5432): the server never listens on
// TCP, so two clusters cannot collide as long as their socket directories differ.
const pgPort = 5432

// maxSocketDir keeps "<dir>/.s.PGSQL.5432" within the 107 bytes of sun_path.
const maxSocketDir = 107 - len("/.s.PGSQL.5432")

const installHint = "PostgreSQL server binaries (initdb, postgres, pg_ctl) not found in PATH or /usr/lib/postgresql/*/bin; install them with: sudo apt-get install -y postgresql"

// Cluster is a private PostgreSQL server in a data directory of its own.
type Cluster struct {
	dir        string
	sockDir    string
	tmpSockDir bool // sockDir was made for this cluster and is removed by Stop
	port       int
	superuser  string
	bin        string
	runAs      *osUser
	owned      bool // false when an already running server was reused
	log        *slog.Logger

	// A throwaway server is our child process; exited is closed when it has
	// exited. Both are nil for servers started by pg_ctl.
	child  *os.Process
	exited chan struct{}

	mu      sync.Mutex
	stopped bool
	stopErr error
}

// StartCluster starts (initdb first if the directory holds no cluster; reuse it
// otherwise) a PostgreSQL server with data in dir (created if needed, made
// absolute), listening only on a unix socket (listen_addresses is empty), never TCP. If a
// postmaster is already running on that dir (postmaster.pid with a live pid and a
// working socket) it returns a Cluster that reuses it and whose Stop does nothing;
// a stale postmaster.pid is handled by postgres itself.
//
// The server is durable and started with pg_ctl, so it outlives the process when
// the process dies without calling Stop; the next StartCluster reuses it. When the
// process runs as root, the server runs as the postgres system user, which is given
// the data directory. Cancelling ctx aborts the start, not the running server.
func StartCluster(ctx context.Context, dir string, log *slog.Logger) (*Cluster, error) {
	return startCluster(ctx, dir, log, false)
}

// StartThrowawayCluster is StartCluster for tests: durability is off (fsync,
// synchronous_commit, full_page_writes), max_connections is 200, and the server is
// a child process that the kernel stops (SIGQUIT) if this process dies without
// calling Stop, so killed or timed-out test binaries leave no server behind.
func StartThrowawayCluster(ctx context.Context, dir string, log *slog.Logger) (*Cluster, error) {
	return startCluster(ctx, dir, log, true)
}

// URL returns a lib/pq keyword DSN for dbname on this server, connecting as the
// cluster's superuser over the unix socket.
func (c *Cluster) URL(dbname string) string {
	return fmt.Sprintf("host=%s port=%d user=%s dbname=%s sslmode=disable",
		dsnValue(c.sockDir), c.port, dsnValue(c.superuser), dsnValue(dbname))
}

// Dir returns the absolute data directory.
func (c *Cluster) Dir() string { return c.dir }

// Stop shuts the server down (pg_ctl stop -m fast) and waits for it. It does
// nothing for a reused server, and calls after the first return its result.
func (c *Cluster) Stop() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return c.stopErr
	}
	c.stopped = true
	if !c.owned {
		return nil
	}
	err := c.pgCtlStop("fast")
	if c.exited != nil {
		if err != nil {
			c.child.Signal(syscall.SIGQUIT) // immediate shutdown: it is a throwaway
		}
		select {
		case <-c.exited:
		case <-time.After(time.Minute):
			err = errors.Join(err, fmt.Errorf("postgres in %s did not exit", c.dir))
		}
	}
	if c.tmpSockDir {
		if rerr := os.RemoveAll(c.sockDir); rerr != nil {
			err = errors.Join(err, rerr)
		}
	}
	if err == nil {
		c.log.Info("postgres stopped", "dir", c.dir)
	}
	c.stopErr = err
	return err
}

func startCluster(ctx context.Context, dir string, log *slog.Logger, throwaway bool) (*Cluster, error) {
	began := time.Now()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if strings.ContainsAny(abs, "\"$`\\\n") {
		return nil, fmt.Errorf("postgres: unsupported character in data directory %q", abs)
	}
	// Fail before touching anything on a machine without PostgreSQL.
	if _, err := FindPostgresBin(); err != nil {
		return nil, err
	}
	runAs, err := serverUser()
	if err != nil {
		return nil, err
	}
	c := &Cluster{dir: abs, port: pgPort, runAs: runAs, log: log}

	fresh, err := c.prepareDir()
	if err != nil {
		return nil, err
	}
	if !fresh {
		reused, err := c.reuse(ctx)
		if err != nil {
			return nil, err
		}
		if reused {
			return c, nil
		}
	}
	if c.bin, err = binFor(abs); err != nil {
		return nil, err
	}
	c.superuser = runAs.name
	if fresh {
		if err := c.initdb(ctx, throwaway); err != nil {
			return nil, err
		}
	}
	if err := c.pickSocketDir(); err != nil {
		return nil, err
	}
	if err := c.writeConfig(throwaway); err != nil {
		c.removeTmpSockDir()
		return nil, err
	}
	if throwaway {
		err = c.startChild(ctx)
	} else {
		err = c.startPgCtl(ctx)
	}
	if err != nil {
		c.removeTmpSockDir()
		return nil, err
	}
	c.owned = true
	log.Info("postgres started", "dir", abs, "socket", c.sockDir, "bin", c.bin,
		"initdb", fresh, "throwaway", throwaway, "elapsed", time.Since(began).Round(time.Millisecond))
	return c, nil
}

func (c *Cluster) initdb(ctx context.Context, throwaway bool) error {
	args := []string{"-D", c.dir, "-U", c.superuser, "--auth=trust", "-E", "UTF8", "--locale=C"}
	if throwaway {
		args = append(args, "--no-sync")
	}
	began := time.Now()
	if out, err := c.command(ctx, "initdb", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("postgres: initdb %s: %w\n%s", c.dir, err, bytes.TrimSpace(out))
	}
	c.log.Debug("initdb done", "dir", c.dir, "elapsed", time.Since(began).Round(time.Millisecond))
	return nil
}

// pickSocketDir puts the socket in the data directory unless its path is too long
// for a unix socket; then in a new short directory under the temporary directory.
func (c *Cluster) pickSocketDir() error {
	if len(c.dir) <= maxSocketDir {
		c.sockDir = c.dir
		return nil
	}
	base := os.TempDir()
	if len(base) > maxSocketDir-len("/pivotal-pg-1234567890") {
		base = "/tmp"
	}
	d, err := os.MkdirTemp(base, "pivotal-pg-")
	if err != nil {
		return fmt.Errorf("postgres: socket directory: %w", err)
	}
	if c.runAs.cred != nil {
		if err := os.Chown(d, c.runAs.uid, c.runAs.gid); err != nil {
			os.Remove(d)
			return fmt.Errorf("postgres: socket directory: %w", err)
		}
		if err := reachable(d, c.runAs); err != nil {
			os.Remove(d)
			return err
		}
	}
	c.sockDir, c.tmpSockDir = d, true
	return nil
}

func (c *Cluster) removeTmpSockDir() {
	if c.tmpSockDir {
		os.RemoveAll(c.sockDir)
	}
}

// writeConfig writes this start's settings to pivotal.conf, which the cluster's
// postgresql.conf includes last, so they override anything above them.
func (c *Cluster) writeConfig(throwaway bool) error {
	maxConns := 100
	if throwaway {
		maxConns = 200
	}
	conf := fmt.Sprintf(`# Written by pivotal at every start; edit postgresql.conf instead.
listen_addresses = ''
port = %d
unix_socket_directories = %s
unix_socket_permissions = 0700
max_connections = %d
`, c.port, confString(`"`+c.sockDir+`"`), maxConns)
	if throwaway {
		conf += "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
	}
	path := filepath.Join(c.dir, "pivotal.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	if err := c.giveToServerUser(path); err != nil {
		return err
	}

	const include = "include_if_exists = 'pivotal.conf'"
	main := filepath.Join(c.dir, "postgresql.conf")
	b, err := os.ReadFile(main)
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	if bytes.Contains(b, []byte("\n"+include+"\n")) {
		return nil
	}
	f, err := os.OpenFile(main, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	_, err = fmt.Fprintf(f, "\n# Settings of pivotal's private server; keep this line last.\n%s\n", include)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	return nil
}

// confString quotes a postgresql.conf string value.
func confString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// dsnValue quotes a lib/pq keyword DSN value when it needs it.
func dsnValue(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n\v\f\r'\\") {
		return s
	}
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

func (c *Cluster) logFile() string { return filepath.Join(c.dir, "postgres.log") }

// LogFile is the server's log: what postgres writes while this cluster runs.
func (c *Cluster) LogFile() string { return c.logFile() }

// startPgCtl starts a durable server that lives on after this process.
func (c *Cluster) startPgCtl(ctx context.Context) error {
	out, err := c.command(ctx, "pg_ctl", "start", "-D", c.dir, "-l", c.logFile(), "-w", "-t", "300", "-s").CombinedOutput()
	if err == nil {
		err = pingServer(ctx, c.URL("postgres"), 10*time.Second, nil)
	}
	if err != nil {
		if ctx.Err() != nil {
			// pg_ctl may have launched the server before it was interrupted.
			c.pgCtlStop("immediate")
		}
		return fmt.Errorf("postgres: pg_ctl start %s: %w\n%s%s", c.dir, err, bytes.TrimSpace(out), c.logTail())
	}
	return nil
}

// startChild starts a throwaway server as a child process: the kernel sends it
// SIGQUIT (immediate shutdown) if this process dies first.
func (c *Cluster) startChild(ctx context.Context) error {
	logf, err := os.OpenFile(c.logFile(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	defer logf.Close()
	if err := c.giveToServerUser(c.logFile()); err != nil {
		return err
	}
	cmd := c.command(context.Background(), "postgres", "-D", c.dir)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr.Setpgid = true
	dieWithParent(cmd.SysProcAttr)
	exited := make(chan struct{})
	started := make(chan error, 1)
	var waitErr error
	go func() {
		// Pdeathsig fires when the thread that started the child ends, not the
		// process (go.dev/issue/27505): hold that thread while the server lives.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		waitErr = cmd.Wait()
		close(exited)
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	c.child, c.exited = cmd.Process, exited
	err = pingServer(ctx, c.URL("postgres"), time.Minute, func() error {
		select {
		case <-exited:
			return fmt.Errorf("postgres exited: %v", waitErr)
		default:
			return nil
		}
	})
	if err != nil {
		cmd.Process.Signal(syscall.SIGQUIT)
		<-exited
		return fmt.Errorf("postgres: starting %s: %w%s", c.dir, err, c.logTail())
	}
	return nil
}

func (c *Cluster) pgCtlStop(mode string) error {
	if _, err := os.Stat(filepath.Join(c.dir, "postmaster.pid")); errors.Is(err, fs.ErrNotExist) {
		return nil // already stopped
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := c.command(ctx, "pg_ctl", "stop", "-D", c.dir, "-m", mode, "-w", "-t", "90", "-s").CombinedOutput()
	if err != nil && !bytes.Contains(out, []byte("Is server running?")) {
		return fmt.Errorf("postgres: pg_ctl stop %s: %w\n%s", c.dir, err, bytes.TrimSpace(out))
	}
	return nil
}

// command runs a server binary as the server user, with a clean environment:
// PG* variables (PGDATA, PGPORT, …) would otherwise leak into pg_ctl and postgres.
// Cancelling ctx interrupts it, which lets initdb remove a half-made cluster.
func (c *Cluster) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, name), args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.runAs.cred}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PG") {
			continue
		}
		if c.runAs.cred != nil && (strings.HasPrefix(kv, "HOME=") || strings.HasPrefix(kv, "USER=") || strings.HasPrefix(kv, "LOGNAME=")) {
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	if c.runAs.cred != nil {
		cmd.Env = append(cmd.Env, "HOME="+c.runAs.home, "USER="+c.runAs.name, "LOGNAME="+c.runAs.name)
	}
	return cmd
}

// logTail returns the end of postgres.log for error messages.
func (c *Cluster) logTail() string {
	f, err := os.Open(c.logFile())
	if err != nil {
		return ""
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > 4096 {
		f.Seek(st.Size()-4096, io.SeekStart)
	}
	b, _ := io.ReadAll(f)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	if len(lines) == 0 || lines[0] == "" {
		return ""
	}
	return "\n" + c.logFile() + " ends with:\n" + strings.Join(lines, "\n")
}

// pingServer connects until the server answers, check reports an error, ctx is done or
// timeout has passed.
func pingServer(ctx context.Context, dsn string, timeout time.Duration, check func() error) error {
	sqldb, err := sql.Open("postgres", dsn)
	if err != nil {
		return err
	}
	defer sqldb.Close()
	deadline := time.Now().Add(timeout)
	for {
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err = sqldb.PingContext(pctx)
		cancel()
		if err == nil {
			return nil
		}
		if check != nil {
			if cerr := check(); cerr != nil {
				return cerr
			}
		}
		if time.Now().After(deadline) {
			return err
		}
		if serr := sleepCtx(ctx, 20*time.Millisecond); serr != nil {
			return serr
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
