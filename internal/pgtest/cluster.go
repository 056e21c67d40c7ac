package pgtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/p4w-nhs/p4w/internal/postgres"
)

// Cluster is a PostgreSQL server of one test's own, for tests that stop, freeze or restart
// it: never the shared server the other tests use. It listens on a Unix socket only.
type Cluster struct {
	tb     testing.TB
	bin    string // the server's binaries
	dir    string // data directory and socket
	port   int
	runAs  []string // runuser -u postgres --, when the test runs as root (initdb refuses root)
	ownerU int      // uid and gid that own dir
	ownerG int
	// settings are more server options (-c name=value) for Start: a primary's for replication
	// (replica.go).
	settings []string
}

// NewCluster initialises and starts a throwaway cluster, migrated, and stops and removes it
// when tb ends. It skips tb when no PostgreSQL server binaries are installed (make test
// installs them when it provisions PostgreSQL itself).
func NewCluster(tb testing.TB) *Cluster {
	tb.Helper()
	return newCluster(tb, nil)
}

// newCluster is NewCluster, with configure called on the new cluster after initdb and before
// it starts, when not nil.
func newCluster(tb testing.TB, configure func(*Cluster)) *Cluster {
	tb.Helper()
	c := emptyCluster(tb)
	if out, err := c.run(filepath.Join(c.bin, "initdb"), "-D", c.data(), "--auth=trust", "--username=postgres", "--no-locale",
		"--encoding=UTF8", "--no-sync"); err != nil {
		tb.Fatalf("initdb: %v\n%s", err, out)
	}
	if configure != nil {
		configure(c)
	}
	c.Start()
	if _, err := postgres.Migrate(context.Background(), c.URL()); err != nil {
		tb.Fatalf("migrate the throwaway cluster: %v", err)
	}
	return c
}

// emptyCluster makes a cluster's directory, owned by whoever runs its server, with nothing in
// it yet; when tb ends the server is stopped (if it runs) and the directory removed.
func emptyCluster(tb testing.TB) *Cluster {
	tb.Helper()
	bin := serverBinaries()
	if bin == "" {
		tb.Skip("no PostgreSQL server binaries (initdb, pg_ctl, postgres) on this machine")
	}
	c := &Cluster{tb: tb, bin: bin, port: 20000 + int(time.Now().UnixNano()%30000), ownerU: os.Getuid(), ownerG: os.Getgid()}
	if os.Getuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			tb.Skip("running as root with no postgres user to run a cluster as")
		}
		c.ownerU, _ = strconv.Atoi(u.Uid)
		c.ownerG, _ = strconv.Atoi(u.Gid)
		c.runAs = []string{"runuser", "-u", "postgres", "--"}
	}
	dir, err := os.MkdirTemp("", "p4w-cluster-")
	if err != nil {
		tb.Fatal(err)
	}
	c.dir = dir
	tb.Cleanup(func() {
		c.signal(syscall.SIGCONT) // a frozen cluster cannot stop
		_ = c.pgCtl("stop", "-m", "immediate")
		_ = os.RemoveAll(dir)
	})
	if err := os.Chown(dir, c.ownerU, c.ownerG); err != nil {
		tb.Fatal(err)
	}
	return c
}

// serverBinaries finds initdb, pg_ctl and postgres, as scripts/with-postgres.sh does.
func serverBinaries() string {
	has := func(d string) bool {
		for _, b := range []string{"initdb", "pg_ctl", "postgres"} {
			if _, err := os.Stat(filepath.Join(d, b)); err != nil {
				return false
			}
		}
		return d != ""
	}
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil && has(strings.TrimSpace(string(out))) {
		return strings.TrimSpace(string(out))
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { return strings.Compare(b, a) }) // newest first (two-digit majors)
	for _, d := range dirs {
		if has(d) {
			return d
		}
	}
	return ""
}

func (c *Cluster) data() string { return filepath.Join(c.dir, "data") }

// URL is the cluster's postgres database.
func (c *Cluster) URL() string {
	return fmt.Sprintf("postgres://postgres@/postgres?host=%s&port=%d&sslmode=disable", c.dir, c.port)
}

// Start starts the cluster and waits until it accepts connections.
func (c *Cluster) Start() {
	c.tb.Helper()
	opts := fmt.Sprintf("-c listen_addresses='' -c unix_socket_directories='%s' -p %d -c fsync=off -c max_connections=40", c.dir, c.port)
	for _, s := range c.settings {
		opts += " -c " + s
	}
	if err := c.pgCtl("start", "-w", "-t", "30", "-l", filepath.Join(c.dir, "server.log"), "-o", opts); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "server.log"))
		c.tb.Fatalf("start the throwaway cluster: %v\n%s", err, log)
	}
}

// Stop stops the cluster at once, as a crash or a kill would, cutting every connection.
func (c *Cluster) Stop() {
	c.tb.Helper()
	if err := c.pgCtl("stop", "-m", "immediate", "-w"); err != nil {
		c.tb.Fatalf("stop the throwaway cluster: %v", err)
	}
}

// Freeze stops every process of the cluster with SIGSTOP: connections stay open and nothing
// answers, as when a host stalls. Thaw resumes them.
func (c *Cluster) Freeze() { c.signal(syscall.SIGSTOP) }

// Thaw resumes a frozen cluster.
func (c *Cluster) Thaw() { c.signal(syscall.SIGCONT) }

// signal sends sig to the postmaster and every process it started.
func (c *Cluster) signal(sig syscall.Signal) {
	pidFile, err := os.ReadFile(filepath.Join(c.data(), "postmaster.pid"))
	if err != nil {
		return // not running
	}
	postmaster, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(pidFile), "\n", 2)[0]))
	if err != nil {
		return
	}
	_ = syscall.Kill(postmaster, sig)
	for _, pid := range children(postmaster) {
		_ = syscall.Kill(pid, sig)
	}
}

// children lists the processes whose parent is pid, from /proc.
func children(pid int) []int {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var out []int
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may hold spaces and parentheses, so read after the last ")".
		fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(fields) > 1 && fields[1] == strconv.Itoa(pid) {
			if child, err := strconv.Atoi(filepath.Base(filepath.Dir(path))); err == nil {
				out = append(out, child)
			}
		}
	}
	return out
}

func (c *Cluster) pgCtl(args ...string) error {
	out, err := c.run(filepath.Join(c.bin, "pg_ctl"), append([]string{"-D", c.data()}, args...)...)
	if err != nil {
		return fmt.Errorf("%w: %s", err, out)
	}
	return nil
}

// run runs a server binary as the cluster's owner, from its directory.
func (c *Cluster) run(name string, args ...string) ([]byte, error) {
	argv := append(append(append([]string{}, c.runAs...), name), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = c.dir
	return cmd.CombinedOutput()
}
