package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/internal/postgres"
	"github.com/p4w-nhs/p4w/internal/service"
)

// HousekeepingArgs is the periodic job that deletes what has outlived its use: stored
// idempotent replies past their TTL, expired refresh tokens, old sign-in failures.
type HousekeepingArgs struct{}

// Kind names the job in river_job.kind.
func (HousekeepingArgs) Kind() string { return "housekeeping" }

// housekeepingOpts makes the job unique per period, in whatever state (completed included):
// a leader elected mid-period, which enqueues on start, finds the period's job already there.
// A failed run is retried a few times; the next period's run catches up anyway.
func housekeepingOpts(every time.Duration) *river.InsertOpts {
	return &river.InsertOpts{MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByPeriod: every}}
}

type housekeeping struct {
	river.WorkerDefaults[HousekeepingArgs]
	db  *postgres.DB
	ttl time.Duration
	log *slog.Logger
}

// Work runs the deletes, and writes the outcome.sustainment_due events of the sustainment
// checks that have fallen due, as the system: nobody asked for them, and they span every
// organisation. They go through the seam, as p4w_api with the system's reach, never as the
// tables' owner.
func (w *housekeeping) Work(ctx context.Context, _ *river.Job[HousekeepingArgs]) error {
	ctx = domain.WithPrincipal(ctx, service.System())
	n, err := postgres.Housekeep(ctx, w.db, w.ttl)
	if err != nil {
		return err
	}
	due, err := postgres.SustainmentDue(ctx, w.db, time.Now().UTC())
	if err != nil {
		return err
	}
	if n > 0 || due > 0 {
		w.log.Info("housekeeping", "deleted", n, "sustainment_due_events", due)
	}
	return nil
}
