package jobs

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// A repeated warning is written once per window, with the count of those left out on the
// next one written; other messages and records below Warn are untouched.
func TestQuietWritesEachWarningOncePerWindow(t *testing.T) {
	var out bytes.Buffer
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	log := slog.New(newQuiet(slog.NewTextHandler(&out, nil), time.Minute, func() time.Time { return now })).With("component", "jobs")
	ctx := context.Background()
	for range 100 {
		log.ErrorContext(ctx, "error fetching jobs", "error", "connection refused")
		log.Info("job completed")
	}
	log.Warn("leader election failed")
	if got := strings.Count(out.String(), "error fetching jobs"); got != 1 {
		t.Errorf("a repeated error written %d times within the window, want 1", got)
	}
	if got := strings.Count(out.String(), "job completed"); got != 100 {
		t.Errorf("info records written %d times, want all 100", got)
	}
	if !strings.Contains(out.String(), "leader election failed") {
		t.Error("another message was held back with the first")
	}
	if !strings.Contains(out.String(), "component=jobs") {
		t.Error("the logger's attributes were lost")
	}

	out.Reset()
	now = now.Add(time.Minute)
	log.Error("error fetching jobs", "error", "connection refused")
	if !strings.Contains(out.String(), "repeats_left_out=99") {
		t.Errorf("after the window: %q, want the error again with repeats_left_out=99", out.String())
	}
}
