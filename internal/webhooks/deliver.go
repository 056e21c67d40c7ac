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
	Attempts       int   // made before this one
	Seq            int64 // its place in the subscription's queue
}

// Attempt is a claimed delivery and what its attempt came to.
type Attempt struct {
	Claim  Claim
	Result Result
}

// Batch is how many of a subscription's messages one claim takes at most.
const Batch = 100

// Store is what delivery needs of storage (postgres.WebhookDeliveries). Every call runs as
// the system: delivery spans every organisation's subscriptions.
type Store interface {
	// Dispatch queues deliveries of the outbox events committed since it last read; it
	// returns how many it read.
	Dispatch(ctx context.Context) (int, error)
	// Due lists the subscriptions with a delivery to attempt now.
	Due(ctx context.Context) ([]uuid.UUID, error)
	// Claim takes, in order, up to limit due deliveries from the subscription's first pending
	// one on, for lease; none when that one is not due or is held.
	Claim(ctx context.Context, subscription uuid.UUID, lease time.Duration, limit int) ([]Claim, error)
	// Finish records the attempts made (a failed one last; retryAt nil gives it up) and
	// releases the claimed deliveries not attempted.
	Finish(ctx context.Context, done []Attempt, retryAt *time.Time, unsent []uuid.UUID) error
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
// due, or it is past until (it starts no attempt after). It claims them a batch at a time and
// records a batch's attempts in one transaction; it starts an attempt only while the whole of
// it fits in the batch's lease, so that no other replica can take a delivery being sent. It
// returns how many were delivered.
func (d *Deliverer) Deliver(ctx context.Context, subscription uuid.UUID, until time.Time) (int, error) {
	sent := 0
	timeout := d.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	for ctx.Err() == nil && time.Now().Before(until) {
		claimed := time.Now()
		claims, err := d.Store.Claim(ctx, subscription, d.Lease(), Batch)
		if err != nil || len(claims) == 0 {
			return sent, err
		}
		held := claimed.Add(d.Lease())
		var done []Attempt
		var retryAt *time.Time
		failed := false
		for _, c := range claims {
			if time.Now().Add(timeout).After(held) || ctx.Err() != nil {
				break
			}
			res := d.Sender.Send(ctx, c.URL, c.Secret, Message{ID: c.MessageID, At: time.Now(), Body: c.Payload})
			done = append(done, Attempt{Claim: c, Result: res})
			if d.Log != nil {
				d.Log.Info("webhook attempt", "subscription_id", c.SubscriptionID, "message_id", c.MessageID,
					"attempt", c.Attempts+1, "status", res.StatusCode, "latency_ms", res.Latency.Milliseconds(), "ok", res.Err == nil)
			}
			if res.Err != nil {
				if next, ok := d.retryAfter(c.Attempts + 1); ok {
					at := time.Now().Add(next)
					retryAt = &at
				}
				failed = true
				break
			}
			sent++
		}
		unsent := make([]uuid.UUID, 0, len(claims)-len(done))
		for _, c := range claims[len(done):] {
			unsent = append(unsent, c.DeliveryID)
		}
		// The attempts are recorded even if ctx ended during them: otherwise they would be made again.
		rec, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		err = d.Store.Finish(rec, done, retryAt, unsent)
		cancel()
		if err != nil || failed {
			return sent, err
		}
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
