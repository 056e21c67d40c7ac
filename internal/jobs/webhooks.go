package jobs

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/internal/service"
	"github.com/p4w-nhs/p4w/internal/webhooks"
)

// WebhookQueue is the queue of webhook work, apart from imports and housekeeping so that
// receivers that hang cannot hold those up, nor they the deliveries.
const WebhookQueue = "webhooks"

// WebhookDispatchArgs is the periodic job (every second, on the leader) that turns new outbox
// events into deliveries and enqueues a delivery job for every subscription with one due.
type WebhookDispatchArgs struct{}

// Kind names the job in river_job.kind.
func (WebhookDispatchArgs) Kind() string { return "webhook_dispatch" }

// WebhookDeliverArgs is the delivery of one subscription's due messages, in order. Each
// subscription's are a job of their own, so that one receiver that hangs holds up no other.
type WebhookDeliverArgs struct {
	SubscriptionID uuid.UUID `json:"subscription_id"`
}

// Kind names the job in river_job.kind.
func (WebhookDeliverArgs) Kind() string { return "webhook_deliver" }

// deliverSlice is how long one delivery job starts attempts for; the next job, enqueued by
// the dispatcher a second later, carries on. A job's time limit is this and one attempt's
// lease, so a delivery job is short, and one of a replica that died is not waited for: its
// claimed delivery's lease ends within an attempt's time, and the dispatcher enqueues the
// subscription again (uniqueness is per period, so the dead job does not block it).
const deliverSlice = 30 * time.Second

// deliverUnique: one delivery job per subscription waiting or running within each period of
// a few seconds. Completed jobs do not count, so a new event is sent at once.
func deliverUnique() river.UniqueOpts {
	return river.UniqueOpts{ByArgs: true, ByPeriod: 5 * time.Second, ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning, rivertype.JobStateScheduled}}
}

type webhookDispatch struct {
	river.WorkerDefaults[WebhookDispatchArgs]
	store webhooks.Store
}

// Work dispatches as the system: the outbox spans every organisation.
func (w *webhookDispatch) Work(ctx context.Context, _ *river.Job[WebhookDispatchArgs]) error {
	ctx = domain.WithPrincipal(ctx, service.System())
	if _, err := w.store.Dispatch(ctx); err != nil {
		return err
	}
	due, err := w.store.Due(ctx)
	if err != nil || len(due) == 0 {
		return err
	}
	client, err := river.ClientFromContextSafely[pgx.Tx](ctx)
	if err != nil {
		return err
	}
	params := make([]river.InsertManyParams, len(due))
	for i, id := range due {
		params[i] = river.InsertManyParams{Args: WebhookDeliverArgs{SubscriptionID: id},
			InsertOpts: &river.InsertOpts{Queue: WebhookQueue, MaxAttempts: 1, UniqueOpts: deliverUnique()}}
	}
	_, err = client.InsertMany(ctx, params)
	return err
}

type webhookDeliver struct {
	river.WorkerDefaults[WebhookDeliverArgs]
	deliverer *webhooks.Deliverer
}

// Timeout is the job's time limit: its slice and one attempt's lease.
func (w *webhookDeliver) Timeout(*river.Job[WebhookDeliverArgs]) time.Duration {
	return deliverSlice + w.deliverer.Lease()
}

// Work sends the subscription's due messages as the system. A failed attempt is not the
// job's failure: it is recorded on the delivery, whose retry the dispatcher enqueues when due.
func (w *webhookDeliver) Work(ctx context.Context, j *river.Job[WebhookDeliverArgs]) error {
	ctx = domain.WithPrincipal(ctx, service.System())
	_, err := w.deliverer.Deliver(ctx, j.Args.SubscriptionID, time.Now().Add(deliverSlice))
	return err
}
