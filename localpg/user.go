package localpg

// Who runs the server, and making its data directory theirs: PostgreSQL
// refuses to run as root, so as root the postgres system user runs it.

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"

	_ "github.com/lib/pq" // the "postgres" database/sql driver
)

// osUser is the operating-system user that owns the data directory and runs
// initdb, pg_ctl and postgres.
type osUser struct {
	name     string
	uid, gid int
	home     string
	cred     *syscall.Credential // nil when the commands run as the current user
}

// serverUser is who runs the server: the current user, or the postgres system
// user when we are root, because PostgreSQL refuses to run as root.
func serverUser() (*osUser, error) {
	if os.Geteuid() != 0 {
		u, err := user.Current()
		if err != nil {
			return nil, fmt.Errorf("postgres: current user: %w", err)
		}
		return &osUser{name: u.Username, uid: os.Geteuid(), gid: os.Getegid(), home: u.HomeDir}, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("postgres: running as root, and PostgreSQL refuses to run as root, "+
			"but there is no postgres system user to run it as (%v); install the server with: "+
			"sudo apt-get install -y postgresql (which creates the user), or run as an unprivileged user", err)
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("postgres: user postgres: %w", err)
	}
	cred := &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	if ids, err := u.GroupIds(); err == nil {
		for _, id := range ids {
			if g, err := strconv.Atoi(id); err == nil {
				cred.Groups = append(cred.Groups, uint32(g))
			}
		}
	}
	return &osUser{name: u.Username, uid: uid, gid: gid, home: u.HomeDir, cred: cred}, nil
}

// prepareDir creates the data directory if needed and reports whether it holds
// no cluster yet. An existing cluster must belong to the user that will run it.
func (c *Cluster) prepareDir() (fresh bool, err error) {
	if err := os.MkdirAll(filepath.Dir(c.dir), 0o755); err != nil {
		return false, fmt.Errorf("postgres: %w", err)
	}
	if err := os.Mkdir(c.dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return false, fmt.Errorf("postgres: %w", err)
	}
	st, err := os.Stat(c.dir)
	if err != nil {
		return false, fmt.Errorf("postgres: %w", err)
	}
	if !st.IsDir() {
		return false, fmt.Errorf("postgres: data directory %s is not a directory", c.dir)
	}
	owner := int(st.Sys().(*syscall.Stat_t).Uid)
	if owner != c.runAs.uid && (c.runAs.cred == nil || owner != 0) {
		return false, fmt.Errorf("postgres: data directory %s belongs to %s, but the server would run as %s; "+
			"run as %[2]s, or use another directory", c.dir, userName(owner), c.runAs.name)
	}
	if c.runAs.cred != nil {
		if err := reachable(c.dir, c.runAs); err != nil {
			return false, err
		}
	}
	if _, err := os.Stat(filepath.Join(c.dir, "PG_VERSION")); err == nil {
		if owner != c.runAs.uid {
			return false, fmt.Errorf("postgres: data directory %s holds a cluster owned by %s, not %s",
				c.dir, userName(owner), c.runAs.name)
		}
		return false, nil
	}
	entries, err := os.ReadDir(c.dir)
	if err != nil {
		return false, fmt.Errorf("postgres: %w", err)
	}
	if len(entries) > 0 {
		return false, fmt.Errorf("postgres: %s is not empty and holds no PostgreSQL cluster (no PG_VERSION); "+
			"use an empty or new directory", c.dir)
	}
	if c.runAs.cred != nil {
		if err := os.Chown(c.dir, c.runAs.uid, c.runAs.gid); err != nil {
			return false, fmt.Errorf("postgres: %w", err)
		}
	}
	return true, nil
}

// reachable checks, for a server run as u by root, that u may traverse every
// parent of dir: PostgreSQL cannot use a data directory under, say, /root (0700).
func reachable(dir string, u *osUser) error {
	var parents []string
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		parents = append(parents, p)
		if p == filepath.Dir(p) {
			break
		}
	}
	for i := len(parents) - 1; i >= 0; i-- {
		p := parents[i]
		st, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("postgres: %w", err)
		}
		sys := st.Sys().(*syscall.Stat_t)
		perm := st.Mode().Perm()
		var ok bool
		switch {
		case int(sys.Uid) == u.uid:
			ok = perm&0o100 != 0
		case inGroup(sys.Gid, u.cred):
			ok = perm&0o010 != 0
		default:
			ok = perm&0o001 != 0
		}
		if !ok {
			return fmt.Errorf("postgres: running as root, so PostgreSQL runs as the %s user, which cannot reach "+
				"%s: %s is mode %#o owned by %s; use a data directory it can reach (e.g. under /tmp or /var/lib) "+
				"or allow it through with: chmod o+x %[3]s", u.name, dir, p, uint32(perm), userName(int(sys.Uid)))
		}
	}
	return nil
}

func inGroup(gid uint32, cred *syscall.Credential) bool {
	if gid == cred.Gid {
		return true
	}
	for _, g := range cred.Groups {
		if g == gid {
			return true
		}
	}
	return false
}

func userName(uid int) string {
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		return u.Username
	}
	return "uid " + strconv.Itoa(uid)
}

func (c *Cluster) giveToServerUser(path string) error {
	if c.runAs.cred == nil {
		return nil
	}
	if err := os.Chown(path, c.runAs.uid, c.runAs.gid); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	return nil
}
