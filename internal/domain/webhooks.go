package domain

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// WebhookSubscription is an organisation's request to be sent its events at a URL.
type WebhookSubscription struct {
	ID             uuid.UUID
	OrganisationID uuid.UUID
	URL            string
	EventTypes     []string // types and patterns: participant.created, enrolment.*, *
	Enabled        bool     // false: paused, nothing is queued for it
	Status         string   // active, failing
	FailingReason  *string
	Secret         string // the signing secret; shown only when made
	DeletedAt      *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Version        int64
}

// Webhook subscription statuses.
const (
	WebhookActive  = "active"
	WebhookFailing = "failing"
)

// WebhookSubscriptionFilter narrows a list of subscriptions.
type WebhookSubscriptionFilter struct {
	OrganisationID *uuid.UUID
	IncludeDeleted bool
}

// WebhookSubscriptionChange is a merge patch of a subscription.
type WebhookSubscriptionChange struct {
	URL        *string
	EventTypes []string // nil: unchanged
	Enabled    *bool
}

// Apply changes s in place. Resuming a failing subscription makes it active again: its
// admin has seen why it failed.
func (c WebhookSubscriptionChange) Apply(s *WebhookSubscription) {
	if c.URL != nil {
		s.URL = *c.URL
	}
	if c.EventTypes != nil {
		s.EventTypes = c.EventTypes
	}
	if c.Enabled != nil {
		if *c.Enabled && !s.Enabled || c.URL != nil {
			s.Status, s.FailingReason = WebhookActive, nil
		}
		s.Enabled = *c.Enabled
	}
}

// WebhookSubscriptionRepository stores subscriptions within the caller's reach.
type WebhookSubscriptionRepository = Store[WebhookSubscription, WebhookSubscriptionFilter]

// WebhookDelivery is one message to one subscription, with its attempts.
type WebhookDelivery struct {
	ID             uuid.UUID
	SubscriptionID uuid.UUID
	OrganisationID uuid.UUID
	MessageID      string
	EventType      string
	EventSeq       *int64
	Payload        []byte // the JSON body sent
	Status         string // pending, succeeded, failed (given up)
	Attempts       int
	NextAttemptAt  time.Time
	LastStatusCode *int
	LastLatencyMS  *int
	LastError      *string
	DeliveredAt    *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Version        int64
}

// WebhookDeliveryFilter narrows a subscription's delivery log.
type WebhookDeliveryFilter struct {
	SubscriptionID uuid.UUID
	Status         *string
}

// WebhookDeliveryRepository stores deliveries within the caller's reach.
type WebhookDeliveryRepository interface {
	// Create queues d. Errors: invalid.
	Create(ctx context.Context, d *WebhookDelivery) error
	// Get returns one delivery within reach. Errors: not_found.
	Get(ctx context.Context, id uuid.UUID) (WebhookDelivery, error)
	List(ctx context.Context, f WebhookDeliveryFilter, req PageRequest) (Page[WebhookDelivery], error)
}
