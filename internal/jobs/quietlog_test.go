package jobs_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/p4w-nhs/p4w/internal/jobs"
	"github.com/p4w-nhs/p4w/internal/pgtest"
)

// TestAnOutageIsNotLoggedOnceASecond stops PostgreSQL under a running job runner. River keeps
// retrying its fetches and its leader election and reports each failure; the log must carry
// each of those messages once, however long the outage.
func TestAnOutageIsNotLoggedOnceASecond(t *testing.T) {
	t.Parallel()
	cluster := pgtest.NewCluster(t)
	var logs syncBuffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	r, err := jobs.New(openDB(t, cluster.URL()), jobs.Config{Workers: 1, HousekeepingEvery: time.Hour, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = r.Stop(ctx)
	})
	time.Sleep(500 * time.Millisecond) // working: fetching and electing
	cluster.Stop()
	defer cluster.Start()
	time.Sleep(4 * time.Second) // River polls every second: several failures of each kind

	seen := map[string]int{}
	for line := range strings.Lines(logs.String()) {
		var rec struct {
			Msg string `json:"msg"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("a log line that is not JSON: %q", line)
		}
		seen[rec.Msg]++
	}
	if len(seen) == 0 {
		t.Log("River logged nothing while PostgreSQL was down")
	}
	for msg, n := range seen {
		if n > 1 {
			t.Errorf("%q logged %d times in a 4-second outage, want once", msg, n)
		}
	}
	if t.Failed() {
		t.Logf("the log:\n%s", logs.String())
	}
}
