// Package jobs runs p4w's background work on River, a job queue kept in PostgreSQL beside the
// data: the river_* tables that `p4w migrate up` creates. Every replica runs a client; a job
// is worked by one of them, once, and River's elected leader alone enqueues the periodic jobs,
// so that N replicas do periodic work once per period, not N times.
//
// Who a job acts as: River's bookkeeping (fetching, completing, electing a leader) runs on the
// storage seam's pool as the connecting role, which owns the tables. A job's work never does:
// it goes through the seam (postgres.DB), where every statement runs as p4w_api with the reach
// of the principal in its context. System work such as housekeeping says so with
// service.System(); work done on a user's behalf must carry that user's principal instead.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/p4w-nhs/p4w/internal/postgres"
	"github.com/p4w-nhs/p4w/internal/webhooks"
)

// Config is what the job runner needs of the settings.
type Config struct {
	// Workers is how many jobs this replica works at once (P4W_JOB_WORKERS). Each holds a
	// pooled connection while it talks to PostgreSQL.
	Workers int
	// IdempotencyTTL is how long stored idempotent replies are kept (P4W_IDEMPOTENCY_TTL).
	IdempotencyTTL time.Duration
	// HousekeepingEvery is the housekeeping period; HousekeepingPeriod when zero. Tests
	// shorten it (River's scheduler works in whole seconds: at least one).
	HousekeepingEvery time.Duration
	Log               *slog.Logger
	// Imports runs import jobs; nil: this runner works none (they wait for one that does).
	Imports Importer
	// ImportAttempt bounds one run of an import job; ImportAttempt when zero. Tests shorten it.
	ImportAttempt time.Duration
	// Webhooks delivers webhook messages; nil: this runner dispatches and delivers none.
	Webhooks *webhooks.Deliverer
	// WebhookWorkers is how many subscriptions this replica delivers to at once
	// (P4W_WEBHOOK_WORKERS), on a queue of their own.
	WebhookWorkers int
}

// HousekeepingPeriod is how often expired replies, refresh tokens and sign-in failures go.
const HousekeepingPeriod = 15 * time.Minute

// Runner is this replica's River client: it works jobs from the shared queue and, when its
// replica is the leader, enqueues the periodic ones.
type Runner struct {
	client *river.Client[pgx.Tx]
	log    *slog.Logger
	stop   sync.Once
	err    error
}

// New builds the runner on db's pool and registers every worker. It starts nothing.
func New(db *postgres.DB, cfg Config) (*Runner, error) {
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "jobs")
	every := cfg.HousekeepingEvery
	if every == 0 {
		every = HousekeepingPeriod
	}
	attempt := cfg.ImportAttempt
	if attempt == 0 {
		attempt = ImportAttempt
	}
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &housekeeping{db: db, ttl: cfg.IdempotencyTTL, log: log}); err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	if cfg.Imports != nil {
		if err := river.AddWorkerSafely(workers, &importWorker{imports: cfg.Imports, attempt: attempt}); err != nil {
			return nil, fmt.Errorf("jobs: %w", err)
		}
	}
	queues := map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: max(cfg.Workers, 1)}}
	periodic := []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(every), func() (river.JobArgs, *river.InsertOpts) {
			return HousekeepingArgs{}, housekeepingOpts(every)
		}, &river.PeriodicJobOpts{ID: HousekeepingArgs{}.Kind(), RunOnStart: true}),
	}
	if cfg.Webhooks != nil {
		if err := river.AddWorkerSafely(workers, &webhookDispatch{store: cfg.Webhooks.Store}); err != nil {
			return nil, fmt.Errorf("jobs: %w", err)
		}
		if err := river.AddWorkerSafely(workers, &webhookDeliver{deliverer: cfg.Webhooks}); err != nil {
			return nil, fmt.Errorf("jobs: %w", err)
		}
		queues[WebhookQueue] = river.QueueConfig{MaxWorkers: max(cfg.WebhookWorkers, 1)}
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(time.Second), func() (river.JobArgs, *river.InsertOpts) {
			return WebhookDispatchArgs{}, &river.InsertOpts{Queue: WebhookQueue, MaxAttempts: 1}
		}, &river.PeriodicJobOpts{ID: WebhookDispatchArgs{}.Kind(), RunOnStart: true}))
	}
	client, err := river.NewClient(riverpgxv5.New(db.JobPool()), &river.Config{
		ID:      clientID(),
		Logger:  slog.New(newQuiet(log.Handler(), repeatWindow, time.Now)),
		Queues:  queues,
		Workers: workers,
		// A job still running after this long is taken for one whose replica died, and worked
		// again: longer than any job's time limit, so that no job runs twice at once.
		RescueStuckJobsAfter: max(attempt, river.JobTimeoutDefault) + 5*time.Minute,
		PeriodicJobs:         periodic,
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	return &Runner{client: client, log: log}, nil
}

// clientID names this replica's client uniquely: two clients under one name would both
// believe themselves the leader. River's default (host and start time to the microsecond)
// could repeat for processes started together on one host.
func clientID() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s_%d_%s", host, os.Getpid(), postgres.NewID().String()[24:])
}

// Start starts working jobs. ctx only bounds the start: the runner works until Stop, so that
// a server's shutdown signal does not stop it while requests are still being served.
func (r *Runner) Start(ctx context.Context) error {
	if err := r.client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	r.log.Info("jobs started", "client_id", r.client.ID())
	return nil
}

// Stop stops fetching jobs and waits for those running until ctx ends; then it cancels them
// and waits for them to return. Call it before closing the pool. Calling it again returns
// the first answer.
func (r *Runner) Stop(ctx context.Context) error {
	r.stop.Do(func() {
		err := r.client.Stop(ctx)
		if err != nil && ctx.Err() != nil {
			r.log.Warn("jobs still running at the shutdown deadline: cancelling them")
			cancelCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			err = r.client.StopAndCancel(cancelCtx)
		}
		if err != nil && !errors.Is(err, context.Canceled) {
			r.err = fmt.Errorf("jobs: stop: %w", err)
			return
		}
		r.log.Info("jobs stopped")
	})
	return r.err
}
