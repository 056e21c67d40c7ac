package jobs_test

import (
	"bytes"
	"context"
	"database/sql"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/p4w-nhs/p4w/internal/jobs"
	"github.com/p4w-nhs/p4w/internal/pgtest"
	"github.com/p4w-nhs/p4w/internal/postgres"
)

// TestHousekeepingRunsOncePerPeriodAcrossReplicas starts two runners, as two replicas would,
// each on its own pool over one database, with a two-second housekeeping period. Each period
// must have exactly one housekeeping job between them, the first at once (run on start), and
// it must delete what had expired in every organisation and nothing else.
func TestHousekeepingRunsOncePerPeriodAcrossReplicas(t *testing.T) {
	t.Parallel()
	const every = 2 * time.Second
	url := pgtest.NewURL(t)
	owner := openDB(t, url).SQL() // below row-level security, to plant rows and count them
	seedExpiry(t, owner)

	var logs syncBuffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	start := time.Now()
	for range 2 {
		r, err := jobs.New(openDB(t, url), jobs.Config{Workers: 2, IdempotencyTTL: 24 * time.Hour, HousekeepingEvery: every, Log: log})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { // before its pool closes: cleanups run last registered first
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := r.Stop(ctx); err != nil {
				t.Errorf("stop: %v", err)
			}
		})
	}
	defer func() {
		if t.Failed() {
			t.Logf("the runners' warnings and errors:\n%s", logs.String())
		}
	}()

	completed := func() int {
		return count(t, owner, `SELECT count(*) FROM river_job WHERE kind = 'housekeeping' AND state = 'completed'`)
	}
	waitFor(t, 10*time.Second, "the first housekeeping job to complete", func() bool { return completed() >= 1 })
	for table, want := range map[string]int{"idempotency_keys": 1, "refresh_tokens": 2, "sign_in_throttle": 1} {
		if got := count(t, owner, `SELECT count(*) FROM `+table); got != want {
			t.Errorf("%s keeps %d rows after housekeeping, want %d (the fresh ones)", table, got, want)
		}
	}

	waitFor(t, 4*every+10*time.Second, "three housekeeping jobs to complete", func() bool { return completed() >= 3 })
	elapsed := time.Since(start)
	// No period holds two (the replicas did not both run it), and no more ran than periods began.
	if n := count(t, owner, `SELECT count(*) FROM (SELECT floor(extract(epoch FROM scheduled_at) / $1) AS period
		FROM river_job WHERE kind = 'housekeeping' GROUP BY period HAVING count(*) > 1) twice`, every.Seconds()); n != 0 {
		t.Errorf("%d periods with more than one housekeeping job", n)
	}
	if n, most := count(t, owner, `SELECT count(*) FROM river_job WHERE kind = 'housekeeping'`), int(elapsed/every)+1; n > most {
		t.Errorf("%d housekeeping jobs in %s, want at most one per period begun (%d)", n, elapsed.Round(time.Millisecond), most)
	}
	if n := count(t, owner, `SELECT count(*) FROM river_job WHERE kind = 'housekeeping' AND state NOT IN ('completed', 'available', 'running', 'scheduled')`); n != 0 {
		t.Errorf("%d housekeeping jobs failed", n)
	}
}

// seedExpiry plants, in two organisations, an expired and a fresh row of each kind that
// housekeeping deletes: refresh tokens sit behind row-level security, so deleting both
// organisations' expired ones takes the system's reach.
func seedExpiry(t *testing.T, db *sql.DB) {
	t.Helper()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatal(err)
		}
	}
	old, fresh := time.Now().Add(-48*time.Hour), time.Now()
	exec(`INSERT INTO idempotency_keys (scope, key, request_hash, status, response_header, response_body, created_at)
		VALUES ('user:x', 'old', '\x00', 201, '{}', '\x00', $1), ('user:x', 'fresh', '\x00', 201, '{}', '\x00', $2)`, old, fresh)
	for i, org := range []string{"Northgate", "Riverside"} {
		id := postgres.NewID()
		exec(`INSERT INTO organisations (id, kind, name) VALUES ($1, 'trust', $2)`, id, org)
		exec(`INSERT INTO users (id, organisation_id, email, password_hash, role) VALUES ($1, $2, $3, 'x', 'viewer')`,
			postgres.NewID(), id, strings.ToLower(org)+"@example.org")
		for j, expires := range []time.Time{old, fresh.Add(time.Hour)} {
			exec(`INSERT INTO refresh_tokens (id, family_id, user_id, organisation_id, token_hash, expires_at)
				SELECT $1, $1, id, organisation_id, $2, $3 FROM users WHERE organisation_id = $4`,
				postgres.NewID(), []byte{byte(i), byte(j)}, expires, id)
		}
	}
	exec(`INSERT INTO sign_in_throttle (key, failures, updated_at) VALUES ('email:old', 3, $1), ('email:fresh', 3, $2)`, old, fresh)
}

func openDB(t *testing.T, url string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), url, postgres.PoolOptions{MaxOpen: 6})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func count(t *testing.T, db *sql.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func waitFor(t *testing.T, limit time.Duration, what string, done func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !done() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", limit, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
