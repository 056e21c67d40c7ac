package webhooks

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"
)

// DefaultSchedule is how long after each failed attempt the next is made: exponential, about
// a day in all (P4W_WEBHOOK_RETRY_SCHEDULE). After the last the delivery is given up and the
// subscription marked failing.
var DefaultSchedule = []time.Duration{5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute,
	time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour}

// Claim is a delivery taken for an attempt, with what sending it needs.
type Claim struct {
	DeliveryID     uuid.UUID
	SubscriptionID uuid.UUID
	OrganisationID uuid.UUID
	URL            string
	Secret         string
	MessageID      string
	Payload        []byte
	Attempts       int // made before this one
}

// Store is what delivery needs of storage (postgres.WebhookDeliveries). Every call runs as
// the system: delivery spans every organisation's subscriptions.
type Store interface {
	// Dispatch queues deliveries of the outbox events committed since it last read; it
	// returns how many it read.
	Dispatch(ctx context.Context) (int, error)
	// Due lists the subscriptions with a delivery to attempt now.
	Due(ctx context.Context) ([]uuid.UUID, error)
	// Claim takes the subscription's first pending delivery if due, for lease.
	Claim(ctx context.Context, subscription uuid.UUID, lease time.Duration) (Claim, bool, error)
	// Finish records an attempt; retryAt nil after a failure gives the delivery up.
	Finish(ctx context.Context, c Claim, r Result, retryAt *time.Time) error
}

// Deliverer sends a subscription's queued messages in order.
type Deliverer struct {
	Store    Store
	Sender   *Sender
	Timeout  time.Duration   // of one attempt (the sender's)
	Schedule []time.Duration // DefaultSchedule when empty
	Log      *slog.Logger
}

// Lease is how long a claimed delivery is held: its attempt's time and a margin. A replica
// that dies mid-attempt holds it no longer than this.
func (d *Deliverer) Lease() time.Duration {
	t := d.Timeout
	if t <= 0 {
		t = DefaultTimeout
	}
	return t + 5*time.Second
}

// Deliver attempts the subscription's due deliveries, oldest first, until one fails (the rest
// wait for its retry, so that a receiver sees a subscription's messages in order), none is
// due, or it is past until (it starts no attempt after). It returns how many were delivered.
func (d *Deliverer) Deliver(ctx context.Context, subscription uuid.UUID, until time.Time) (int, error) {
	sent := 0
	for ctx.Err() == nil && time.Now().Before(until) {
		c, ok, err := d.Store.Claim(ctx, subscription, d.Lease())
		if err != nil || !ok {
			return sent, err
		}
		res := d.Sender.Send(ctx, c.URL, c.Secret, Message{ID: c.MessageID, At: time.Now(), Body: c.Payload})
		var retryAt *time.Time
		if res.Err != nil {
			if next, ok := d.retryAfter(c.Attempts + 1); ok {
				at := time.Now().Add(next)
				retryAt = &at
			}
		}
		// The attempt is recorded even if ctx ended during it: otherwise it would be made again.
		done, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		err = d.Store.Finish(done, c, res, retryAt)
		cancel()
		if err != nil {
			return sent, err
		}
		if d.Log != nil {
			d.Log.Info("webhook attempt", "subscription_id", c.SubscriptionID, "message_id", c.MessageID,
				"attempt", c.Attempts+1, "status", res.StatusCode, "latency_ms", res.Latency.Milliseconds(), "ok", res.Err == nil)
		}
		if res.Err != nil {
			return sent, nil
		}
		sent++
	}
	return sent, nil
}

// retryAfter is the wait after the attempts-th failed attempt, with up to a fifth of it added
// or taken at random so that many receivers failing together are not retried together; false
// once the schedule is spent.
func (d *Deliverer) retryAfter(attempts int) (time.Duration, bool) {
	s := d.Schedule
	if len(s) == 0 {
		s = DefaultSchedule
	}
	if attempts > len(s) {
		return 0, false
	}
	base := s[attempts-1]
	jitter := time.Duration(rand.Int64N(int64(base)/5+1)) * 2
	return base - base/5 + jitter, true
}
