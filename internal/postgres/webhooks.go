package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/internal/webhooks"
)

type webhookSubscription struct {
	ID             uuid.UUID `gorm:"primaryKey"`
	OrganisationID uuid.UUID
	URL            string   `gorm:"column:url"`
	EventTypes     []string `gorm:"serializer:json"`
	Enabled        bool
	Status         string
	FailingReason  *string
	Secret         string
	DeletedAt      *time.Time
	CreatedAt      time.Time `gorm:"<-:false"`
	UpdatedAt      time.Time `gorm:"<-:false"`
	Version        int64     `gorm:"<-:false"`
}

func (webhookSubscription) TableName() string { return "webhook_subscriptions" }
func (m webhookSubscription) position() domain.Position {
	return domain.Position{UpdatedAt: m.UpdatedAt, ID: m.ID}
}
func (m webhookSubscription) rowVersion() int64 { return m.Version }

// NewWebhookSubscriptions returns the webhook subscriptions repository.
func NewWebhookSubscriptions(db *DB) domain.WebhookSubscriptionRepository {
	return store[webhookSubscription, domain.WebhookSubscription, domain.WebhookSubscriptionFilter]{
		db: db, what: "webhook subscription",
		toDomain: func(m webhookSubscription) domain.WebhookSubscription { return domain.WebhookSubscription(m) },
		toModel:  func(s domain.WebhookSubscription) webhookSubscription { return webhookSubscription(s) },
		newID:    func(m *webhookSubscription) { m.ID = NewID() },
		filter: func(s *statement, f domain.WebhookSubscriptionFilter) {
			eq(s, "organisation_id", f.OrganisationID)
		},
		deleted: func(f domain.WebhookSubscriptionFilter) bool { return f.IncludeDeleted },
		columns: []string{"url", "event_types", "enabled", "status", "failing_reason", "secret", "deleted_at"},
	}
}

type webhookDelivery struct {
	ID             uuid.UUID `gorm:"primaryKey"`
	SubscriptionID uuid.UUID
	OrganisationID uuid.UUID
	MessageID      string
	EventType      string
	EventSeq       *int64
	Payload        json.RawMessage `gorm:"type:jsonb"`
	Status         string          `gorm:"<-:false"`
	Attempts       int             `gorm:"<-:false"`
	NextAttemptAt  time.Time       `gorm:"<-:false"`
	LastStatusCode *int            `gorm:"<-:false"`
	LastLatencyMS  *int            `gorm:"column:last_latency_ms;<-:false"`
	LastError      *string         `gorm:"<-:false"`
	DeliveredAt    *time.Time      `gorm:"<-:false"`
	CreatedAt      time.Time       `gorm:"<-:false"`
	UpdatedAt      time.Time       `gorm:"<-:false"`
	Version        int64           `gorm:"<-:false"`
}

func (webhookDelivery) TableName() string { return "webhook_deliveries" }
func (m webhookDelivery) position() domain.Position {
	return domain.Position{UpdatedAt: m.UpdatedAt, ID: m.ID}
}
func (m webhookDelivery) rowVersion() int64 { return m.Version }

// WebhookDeliveries stores deliveries; the dispatcher's own work (Dispatch) is here too.
type WebhookDeliveries struct {
	store[webhookDelivery, domain.WebhookDelivery, domain.WebhookDeliveryFilter]
}

// NewWebhookDeliveries returns the deliveries repository.
func NewWebhookDeliveries(db *DB) *WebhookDeliveries {
	return &WebhookDeliveries{store[webhookDelivery, domain.WebhookDelivery, domain.WebhookDeliveryFilter]{
		db: db, what: "webhook delivery",
		toDomain: func(m webhookDelivery) domain.WebhookDelivery {
			return domain.WebhookDelivery{ID: m.ID, SubscriptionID: m.SubscriptionID, OrganisationID: m.OrganisationID,
				MessageID: m.MessageID, EventType: m.EventType, EventSeq: m.EventSeq, Payload: m.Payload, Status: m.Status,
				Attempts: m.Attempts, NextAttemptAt: m.NextAttemptAt, LastStatusCode: m.LastStatusCode, LastLatencyMS: m.LastLatencyMS,
				LastError: m.LastError, DeliveredAt: m.DeliveredAt, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt, Version: m.Version}
		},
		toModel: func(d domain.WebhookDelivery) webhookDelivery {
			return webhookDelivery{ID: d.ID, SubscriptionID: d.SubscriptionID, OrganisationID: d.OrganisationID,
				MessageID: d.MessageID, EventType: d.EventType, EventSeq: d.EventSeq, Payload: d.Payload}
		},
		newID: func(m *webhookDelivery) { m.ID = NewID() },
		filter: func(s *statement, f domain.WebhookDeliveryFilter) {
			s.and("subscription_id = ?", f.SubscriptionID)
			eq(s, "status", f.Status)
		},
	}}
}

// Dispatch reads the outbox for the events committed since its last read and queues a
// delivery of each to every enabled subscription of the event's organisation that wants its
// type and existed when it happened; then it keeps the snapshot it read with, all in one
// transaction. "Committed since" is: visible now, not visible in the snapshot kept (migration
// 00021), so a transaction that commits late is read when it commits, and one still running
// holds back only its own events. Another replica dispatching at the same moment finds the
// position locked and returns at once. It returns the number of events read. ctx must carry
// the system's principal.
func (r *WebhookDeliveries) Dispatch(ctx context.Context) (int, error) {
	read := 0
	err := r.db.InTx(ctx, func(ctx context.Context) error {
		var seen string
		found := false
		err := r.db.Query(ctx, func(rows pgx.Rows) error {
			for rows.Next() {
				found = true
				if err := rows.Scan(&seen); err != nil {
					return err
				}
			}
			return rows.Err()
		}, `SELECT seen::text FROM webhook_dispatch WHERE id = 1 FOR UPDATE SKIP LOCKED`)
		if err != nil || !found {
			return err // !found: another replica is dispatching
		}
		// One statement, so that the events and the snapshot kept are of one snapshot. Within
		// a read, events go in the order they were written (at, seq): a change to a record
		// that waited for another's lock is written after it, whatever its txid.
		// A record about a participant who does not consent to sharing with HR is not
		// announced, as a client acting for HR does not read it; its tombstone always is.
		var events []webhooks.Event
		var now string
		err = r.db.Query(ctx, func(rows pgx.Rows) error {
			for rows.Next() {
				var e struct {
					seq          *int64
					org          *uuid.UUID
					typ, rt, rid *string
					fields       []string
					at           *time.Time
				}
				if err := rows.Scan(&now, &e.seq, &e.org, &e.typ, &e.rt, &e.rid, &e.fields, &e.at); err != nil {
					return err
				}
				if e.seq != nil {
					events = append(events, webhooks.Event{Seq: *e.seq, OrganisationID: *e.org, Type: *e.typ,
						ResourceType: *e.rt, ResourceID: *e.rid, Fields: e.fields, At: *e.at})
				}
			}
			return rows.Err()
		}, `SELECT pg_current_snapshot()::text, e.seq, e.organisation_id, e.event_type, e.resource_type, e.resource_id, e.fields, e.at
			FROM (SELECT $1::pg_snapshot AS seen) s
			LEFT JOIN change_events e ON e.txid >= pg_snapshot_xmin(s.seen) AND NOT pg_visible_in_snapshot(e.txid, s.seen)
				AND e.organisation_id IS NOT NULL
				AND (e.event_type LIKE '%.erased' OR e.event_type LIKE '%.deleted' OR `+aboutConsentingParticipant+`)
			ORDER BY e.at, e.seq`, seen)
		if err != nil {
			return err
		}
		read = len(events)
		if _, err := r.db.Exec(ctx, `UPDATE webhook_dispatch SET seen = $1::pg_snapshot, updated_at = clock_timestamp() WHERE id = 1`, now); err != nil {
			return err
		}
		if len(events) == 0 {
			return nil
		}
		orgs := make([]uuid.UUID, 0, len(events))
		known := map[uuid.UUID]bool{}
		for _, e := range events {
			if !known[e.OrganisationID] {
				known[e.OrganisationID] = true
				orgs = append(orgs, e.OrganisationID)
			}
		}
		type sub struct {
			id, org uuid.UUID
			types   []string
			created time.Time
		}
		var subs []sub
		err = r.db.Query(ctx, func(rows pgx.Rows) error {
			for rows.Next() {
				var s sub
				if err := rows.Scan(&s.id, &s.org, &s.types, &s.created); err != nil {
					return err
				}
				subs = append(subs, s)
			}
			return rows.Err()
		}, `SELECT id, organisation_id, event_types, created_at FROM webhook_subscriptions
			WHERE organisation_id = ANY($1) AND enabled AND deleted_at IS NULL ORDER BY id`, orgs)
		if err != nil {
			return err
		}
		// One INSERT of arrays, in event order, so that each subscription's deliveries take seq
		// in the order of the changes. (COPY would be quicker, but refuses tables under
		// row-level security.)
		var q struct {
			ids, subs, orgs []uuid.UUID
			msgs, types     []string
			seqs            []int64
			payloads        []string
		}
		for _, e := range events {
			for _, s := range subs {
				if s.org == e.OrganisationID && !e.At.Before(s.created) && webhooks.Matches(s.types, e.Type) {
					q.ids, q.subs, q.orgs = append(q.ids, NewID()), append(q.subs, s.id), append(q.orgs, s.org)
					q.msgs, q.types = append(q.msgs, e.MessageID()), append(q.types, e.Type)
					q.seqs, q.payloads = append(q.seqs, e.Seq), append(q.payloads, string(e.Body()))
				}
			}
		}
		if len(q.ids) > 0 {
			if _, err := r.db.Exec(ctx, `INSERT INTO webhook_deliveries (id, subscription_id, organisation_id, message_id, event_type, event_seq, payload)
				SELECT id, sub, org, msg, typ, seq, payload::jsonb
				FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::bigint[], $7::text[])
					WITH ORDINALITY AS u (id, sub, org, msg, typ, seq, payload, n)
				ORDER BY n`, q.ids, q.subs, q.orgs, q.msgs, q.types, q.seqs, q.payloads); err != nil {
				return err
			}
		}
		return nil
	})
	return read, translate(err, "webhook dispatch")
}

// Due returns the enabled subscriptions whose next delivery may be attempted now: the first
// pending one is due and no replica holds it.
func (r *WebhookDeliveries) Due(ctx context.Context) ([]uuid.UUID, error) {
	var out []uuid.UUID
	err := r.db.Query(ctx, func(rows pgx.Rows) error {
		for rows.Next() {
			var id uuid.UUID
			if err := rows.Scan(&id); err != nil {
				return err
			}
			out = append(out, id)
		}
		return rows.Err()
	}, `SELECT s.id FROM webhook_subscriptions s
		CROSS JOIN LATERAL (SELECT d.next_attempt_at, d.locked_until FROM webhook_deliveries d
			WHERE d.subscription_id = s.id AND d.status = 'pending' ORDER BY d.seq LIMIT 1) head
		WHERE s.enabled AND s.deleted_at IS NULL
		  AND head.next_attempt_at <= clock_timestamp()
		  AND (head.locked_until IS NULL OR head.locked_until < clock_timestamp())`)
	return out, translate(err, "webhook deliveries due")
}

// Claim takes, in order, up to limit of the subscription's pending deliveries that are due and
// held by no replica, from its first one on: none when the first is not due (it waits for its
// retry) or is held. It holds them for lease: a replica that dies mid-attempt leaves them to
// another once the lease is over.
func (r *WebhookDeliveries) Claim(ctx context.Context, subscription uuid.UUID, lease time.Duration, limit int) ([]webhooks.Claim, error) {
	var out []webhooks.Claim
	err := r.db.InTx(ctx, func(ctx context.Context) error {
		return r.db.Query(ctx, func(rows pgx.Rows) error {
			for rows.Next() {
				var c webhooks.Claim
				var seq int64
				if err := rows.Scan(&c.DeliveryID, &c.SubscriptionID, &c.OrganisationID, &c.URL, &c.Secret, &c.MessageID,
					&c.Payload, &c.Attempts, &seq); err != nil {
					return err
				}
				c.Seq = seq
				out = append(out, c)
			}
			return rows.Err()
		}, // The queue's head is locked, never skipped, and only the run of due, unheld
			// deliveries from the head on is taken: taking a later one would send it out of order.
			`WITH queue AS (
				SELECT d.id, d.seq, d.next_attempt_at, d.locked_until FROM webhook_deliveries d
				WHERE d.subscription_id = $1 AND d.status = 'pending'
				ORDER BY d.seq LIMIT `+fmt.Sprint(limit)+` FOR UPDATE),
			run AS (
				SELECT q.id FROM queue q WHERE NOT EXISTS (SELECT 1 FROM queue b WHERE b.seq <= q.seq
					AND (b.next_attempt_at > clock_timestamp() OR b.locked_until >= clock_timestamp())))
			UPDATE webhook_deliveries d SET locked_until = clock_timestamp() + $2::bigint * interval '1 millisecond'
			FROM run, webhook_subscriptions s
			WHERE d.id = run.id AND s.id = d.subscription_id AND s.enabled AND s.deleted_at IS NULL
			RETURNING d.id, d.subscription_id, d.organisation_id, s.url, s.secret, d.message_id, d.payload, d.attempts, d.seq`,
			subscription, lease.Milliseconds())
	})
	slices.SortFunc(out, func(a, b webhooks.Claim) int { return cmp.Compare(a.Seq, b.Seq) })
	return out, translate(err, "webhook delivery")
}

// Finish records the attempts made of claimed deliveries, in one transaction: those that
// succeeded; the failed one, if any (the last), with its next attempt at retryAt, or given up
// when retryAt is nil, which marks the subscription failing with the reason; and releases the
// claimed deliveries not attempted. A success makes the subscription active again.
func (r *WebhookDeliveries) Finish(ctx context.Context, done []webhooks.Attempt, retryAt *time.Time, unsent []uuid.UUID) error {
	var ok struct {
		ids        []uuid.UUID
		codes, lat []int32
	}
	var failed *webhooks.Attempt
	for i, a := range done {
		if a.Result.Err != nil {
			failed = &done[i]
			continue
		}
		ok.ids = append(ok.ids, a.Claim.DeliveryID)
		ok.codes = append(ok.codes, int32(a.Result.StatusCode))
		ok.lat = append(ok.lat, int32(a.Result.Latency.Milliseconds()))
	}
	err := r.db.InTx(ctx, func(ctx context.Context) error {
		if len(ok.ids) > 0 {
			if _, err := r.db.Exec(ctx, `UPDATE webhook_deliveries d SET status = 'succeeded', attempts = d.attempts + 1, locked_until = NULL,
					last_status_code = u.code, last_latency_ms = u.lat, last_error = NULL, delivered_at = clock_timestamp()
				FROM unnest($1::uuid[], $2::int[], $3::int[]) AS u (id, code, lat) WHERE d.id = u.id`, ok.ids, ok.codes, ok.lat); err != nil {
				return err
			}
			if _, err := r.db.Exec(ctx, `UPDATE webhook_subscriptions SET status = 'active', failing_reason = NULL
				WHERE id = $1 AND status <> 'active'`, done[0].Claim.SubscriptionID); err != nil {
				return err
			}
		}
		if len(unsent) > 0 {
			if _, err := r.db.Exec(ctx, `UPDATE webhook_deliveries SET locked_until = NULL WHERE id = ANY($1)`, unsent); err != nil {
				return err
			}
		}
		if failed == nil {
			return nil
		}
		c, res := failed.Claim, failed.Result
		var code *int
		if res.StatusCode != 0 {
			code = &res.StatusCode
		}
		cause := res.Err.Error()
		if len(cause) > 500 {
			cause = cause[:500]
		}
		status := "pending"
		if retryAt == nil {
			status = "failed"
		}
		if _, err := r.db.Exec(ctx, `UPDATE webhook_deliveries SET status = $2, attempts = attempts + 1, locked_until = NULL,
				next_attempt_at = coalesce($3, next_attempt_at), last_status_code = $4, last_latency_ms = $5, last_error = $6
			WHERE id = $1`, c.DeliveryID, status, retryAt, code, int(res.Latency.Milliseconds()), cause); err != nil {
			return err
		}
		if status == "failed" {
			_, err := r.db.Exec(ctx, `UPDATE webhook_subscriptions SET status = 'failing', failing_reason = $2 WHERE id = $1`,
				c.SubscriptionID, fmt.Sprintf("gave up on message %s after %d attempts: %s", c.MessageID, c.Attempts+1, cause))
			return err
		}
		return nil
	})
	return translate(err, "webhook delivery")
}
