package localpg

// Finding the PostgreSQL server binaries of this machine.

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	_ "github.com/lib/pq" // the "postgres" database/sql driver
)

// libDirGlob is where Debian and Ubuntu install the server binaries; a variable so
// that tests can point it elsewhere.
var libDirGlob = "/usr/lib/postgresql/*/bin"

// FindPostgresBin returns the directory holding initdb, postgres and pg_ctl: the
// one of initdb in PATH first, then the highest version of /usr/lib/postgresql/*/bin.
func FindPostgresBin() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if p, err = filepath.Abs(p); err == nil {
			dirs := []string{filepath.Dir(p)}
			if resolved, err := filepath.EvalSymlinks(p); err == nil {
				dirs = append(dirs, filepath.Dir(resolved))
			}
			for _, d := range dirs {
				if hasServerBins(d) {
					return d, nil
				}
			}
		}
	}
	dirs, _ := filepath.Glob(libDirGlob)
	sort.Slice(dirs, func(i, j int) bool { return versionLess(dirs[j], dirs[i]) })
	for _, d := range dirs {
		if hasServerBins(d) {
			return d, nil
		}
	}
	return "", errors.New(installHint)
}

// binFor finds the server binaries, preferring the major version that created an
// existing cluster when the default ones are another version.
func binFor(dir string) (string, error) {
	bin, err := FindPostgresBin()
	if err != nil {
		return "", err
	}
	b, err := os.ReadFile(filepath.Join(dir, "PG_VERSION"))
	if err != nil {
		return bin, nil
	}
	want := strings.TrimSpace(string(b))
	if have := majorVersion(bin); have == want || have == "" {
		return bin, nil
	}
	alt := strings.Replace(libDirGlob, "*", want, 1)
	if hasServerBins(alt) {
		return alt, nil
	}
	return "", fmt.Errorf("postgres: %s holds a PostgreSQL %s cluster but the binaries in %s are version %s; "+
		"install version %s (sudo apt-get install -y postgresql-%[2]s) or use a new data directory",
		dir, want, bin, majorVersion(bin), want)
}

// majorVersion runs "postgres -V" ("postgres (PostgreSQL) 15.4 (Debian …)") and
// returns the major version as PG_VERSION spells it ("15", or "9.6").
func majorVersion(bin string) string {
	out, err := exec.Command(filepath.Join(bin, "postgres"), "-V").Output()
	if err != nil {
		return ""
	}
	_, v, ok := strings.Cut(string(out), ") ")
	if !ok {
		return ""
	}
	if f := strings.Fields(v); len(f) > 0 {
		v = f[0]
	}
	parts := strings.Split(v, ".")
	if len(parts) > 1 && parts[0] == "9" {
		return parts[0] + "." + parts[1]
	}
	return parts[0]
}

func hasServerBins(dir string) bool {
	for _, name := range []string{"initdb", "postgres", "pg_ctl"} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil || !st.Mode().IsRegular() || st.Mode().Perm()&0o111 == 0 {
			return false
		}
	}
	return true
}

// versionLess orders /usr/lib/postgresql/<version>/bin by version number.
func versionLess(a, b string) bool {
	va, vb := strings.Split(filepath.Base(filepath.Dir(a)), "."), strings.Split(filepath.Base(filepath.Dir(b)), ".")
	for i := 0; i < len(va) && i < len(vb); i++ {
		na, erra := strconv.Atoi(va[i])
		nb, errb := strconv.Atoi(vb[i])
		if erra != nil || errb != nil {
			return va[i] < vb[i]
		}
		if na != nb {
			return na < nb
		}
	}
	return len(va) < len(vb)
}
