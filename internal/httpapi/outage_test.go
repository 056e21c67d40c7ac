package httpapi_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/internal/pgtest"
)

// logBuffer is a log the server writes to while the test reads it.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// count is the number of log lines holding s.
func (l *logBuffer) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.buf.String(), s)
}

// When PostgreSQL is stopped, frozen or holds a lock past the statement timeout, p4w answers
// 503 problem+json with Retry-After within its bounds, logs each outage once and not each
// request, counts the refusals, and serves again as soon as PostgreSQL does. The cluster is
// the test's own.
func TestPostgreSQLFailuresAnswer503AndRecover(t *testing.T) {
	t.Parallel()
	cluster := pgtest.NewCluster(t)
	cfg := apitest.Config(t, cluster.URL())
	cfg.DBConnectTimeout, cfg.DBAcquireTimeout, cfg.DBStatementTimeout = time.Second, time.Second, time.Second
	cfg.RequestTimeout = 2 * time.Second
	var logs logBuffer
	env := apitest.NewOn(t, cfg, &logs)
	trust := env.Organisation(t, domain.KindTrust, "Fallow NHS Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	const down, back = "PostgreSQL is not answering", "PostgreSQL answers again"

	want503 := func(t *testing.T, path string) {
		t.Helper()
		res := env.Do(t, http.MethodGet, path, token, "")
		if res.Status != http.StatusServiceUnavailable {
			t.Fatalf("GET %s: %d %s, want 503", path, res.Status, res.Body)
		}
		if p := res.Problem(t); p.Type != "/problems/unavailable" {
			t.Errorf("GET %s: problem type %q, want /problems/unavailable", path, p.Type)
		}
		if ra := res.Header.Get("Retry-After"); ra == "" {
			t.Errorf("GET %s: 503 without Retry-After", path)
		}
	}
	// recovered waits for the pool to reconnect: the first requests after a restart may meet
	// connections the restart cut, and answer 503 themselves.
	recovered := func(t *testing.T) {
		t.Helper()
		for range 50 {
			if res := env.Do(t, http.MethodGet, "/v1/participants", token, ""); res.Status == http.StatusOK {
				return
			}
			time.Sleep(200 * time.Millisecond)
		}
		t.Fatal("p4w did not serve again after PostgreSQL came back")
	}
	if res := env.Do(t, http.MethodGet, "/v1/participants", token, ""); res.Status != http.StatusOK {
		t.Fatalf("before any fault: %d %s", res.Status, res.Body)
	}

	t.Run("stopped", func(t *testing.T) {
		cluster.Stop()
		for range 4 {
			want503(t, "/v1/participants")
		}
		want503(t, "/readyz")
		if n := logs.count(down); n != 1 {
			t.Errorf("four refused requests and a readiness check logged the outage %d times, want once", n)
		}
		if n := logs.count("internal error"); n != 0 {
			t.Errorf("an outage logged %d internal errors", n)
		}
		metrics := env.Do(t, http.MethodGet, "/metrics", "", "")
		if !anyLine(metricLines(string(metrics.Body), "p4w_db_outages_total"), " 1") {
			t.Errorf("p4w_db_outages_total is not 1: %v", metricLines(string(metrics.Body), "p4w_db_outages_total"))
		}
		if lines := metricLines(string(metrics.Body), "p4w_db_unavailable_total"); len(lines) == 0 || anyLine(lines, " 0") {
			t.Errorf("p4w_db_unavailable_total counts no refusal: %v", lines)
		}
		cluster.Start()
		recovered(t)
		if logs.count(back) != 1 {
			t.Errorf("the end of the outage is logged %d times, want once", logs.count(back))
		}
	})

	t.Run("frozen", func(t *testing.T) {
		cluster.Freeze()
		start := time.Now()
		want503(t, "/v1/participants") // bounded by the request timeout, not by the freeze
		t.Logf("a request to a frozen PostgreSQL answered 503 after %v", time.Since(start).Round(time.Millisecond))
		want503(t, "/v1/participants")
		cluster.Thaw()
		recovered(t)
		if n := logs.count(down); n != 2 {
			t.Errorf("two outages logged %d times, want twice", n)
		}
	})

	t.Run("locked past the statement timeout", func(t *testing.T) {
		ctx := context.Background()
		locker, err := env.DB.SQL().Conn(ctx) // the owner, below the API's bounds
		if err != nil {
			t.Fatal(err)
		}
		defer locker.Close()
		if _, err := locker.ExecContext(ctx, "BEGIN; LOCK TABLE participants IN ACCESS EXCLUSIVE MODE"); err != nil {
			t.Fatal(err)
		}
		want503(t, "/v1/participants")
		if _, err := locker.ExecContext(ctx, "ROLLBACK"); err != nil {
			t.Fatal(err)
		}
		recovered(t)
	})
}
