package pgtest

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// NewPrimaryAndStandby starts a throwaway primary, migrated and configured for streaming
// replication, and a hot standby of it made with pg_basebackup -R, each on a socket of its own
// in its own directory. It returns once the standby is in recovery and has replayed the whole
// primary. Both are stopped and removed when tb ends. For tests of reads from a replica: what
// is written on the primary shows on the standby a moment later (WaitReplayed), or not at all
// while its replay is paused (PauseReplay).
func NewPrimaryAndStandby(tb testing.TB) (primary, standby *Cluster) {
	tb.Helper()
	settings := []string{"wal_level=replica", "max_wal_senders=4"}
	primary = newCluster(tb, func(c *Cluster) {
		c.settings = settings
		// initdb's pg_hba.conf already lets local connections replicate with --auth=trust; say so
		// here rather than depend on its defaults.
		hba, err := os.OpenFile(filepath.Join(c.data(), "pg_hba.conf"), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			tb.Fatal(err)
		}
		defer hba.Close()
		if _, err := hba.WriteString("local replication postgres trust\n"); err != nil {
			tb.Fatal(err)
		}
	})
	standby = emptyCluster(tb)
	standby.port = primary.port + 1 // the socket file's name; the directories keep them apart anyway
	standby.settings = settings     // a hot standby needs at least the primary's limits
	// -R writes standby.signal and primary_conninfo: the copy starts as a streaming standby.
	if out, err := standby.run(filepath.Join(standby.bin, "pg_basebackup"), "-D", standby.data(), "-R", "-X", "stream",
		"--checkpoint=fast", "--no-sync", "-h", primary.dir, "-p", strconv.Itoa(primary.port), "-U", "postgres"); err != nil {
		tb.Fatalf("pg_basebackup: %v\n%s", err, out)
	}
	standby.Start()
	standby.WaitReplayed(primary)
	return primary, standby
}

// WaitReplayed waits until c, a standby, is in recovery and has replayed all that primary has
// written so far, polling for at most 10 seconds.
func (c *Cluster) WaitReplayed(primary *Cluster) {
	c.tb.Helper()
	var lsn string
	primary.queryRow(&lsn, `SELECT pg_current_wal_lsn()::text`)
	deadline := time.Now().Add(10 * time.Second)
	for {
		var caughtUp bool
		c.queryRow(&caughtUp, `SELECT pg_is_in_recovery() AND coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, false)`, lsn)
		if caughtUp {
			return
		}
		if time.Now().After(deadline) {
			c.tb.Fatalf("the standby has not replayed the primary's WAL up to %s within 10s", lsn)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// PauseReplay stops c, a standby, applying the primary's changes: it still receives them, and
// still answers reads, from what it had replayed before. ResumeReplay undoes it.
func (c *Cluster) PauseReplay() {
	c.tb.Helper()
	c.exec(`SELECT pg_wal_replay_pause()`)
	// Until the startup process notices, it may still apply a record; it notices at once when
	// idle, and before the next record otherwise.
	deadline := time.Now().Add(5 * time.Second)
	for {
		var state string
		c.queryRow(&state, `SELECT pg_get_wal_replay_pause_state()`)
		if state == "paused" {
			return
		}
		if time.Now().After(deadline) {
			c.tb.Fatalf("the standby's replay is %q 5s after pausing it", state)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ResumeReplay lets c, a standby, apply the primary's changes again.
func (c *Cluster) ResumeReplay() {
	c.tb.Helper()
	c.exec(`SELECT pg_wal_replay_resume()`)
}

// queryRow runs query on c as the superuser, below the API, and scans its one value into dest.
func (c *Cluster) queryRow(dest any, query string, args ...any) {
	c.tb.Helper()
	c.withSQL(query, func(ctx context.Context, db *sql.DB) error { return db.QueryRowContext(ctx, query, args...).Scan(dest) })
}

// exec runs query on c as the superuser, below the API.
func (c *Cluster) exec(query string) {
	c.tb.Helper()
	c.withSQL(query, func(ctx context.Context, db *sql.DB) error {
		_, err := db.ExecContext(ctx, query)
		return err
	})
}

// withSQL runs fn on a connection to c of its own, closed after it, failing the test on an error.
func (c *Cluster) withSQL(query string, fn func(context.Context, *sql.DB) error) {
	c.tb.Helper()
	db, err := sql.Open("pgx", c.URL())
	if err != nil {
		c.tb.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := fn(ctx, db); err != nil {
		c.tb.Fatalf("%s: %v", query, err)
	}
}
