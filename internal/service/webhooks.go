package service

import (
	"context"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/internal/webhooks"
)

// URLGuard refuses webhook targets p4w must not send to (webhooks.Guard).
type URLGuard interface {
	CheckURL(ctx context.Context, raw string) error
}

// Webhooks manages an organisation's webhook subscriptions, their delivery log, test pings
// and redeliveries. Sending is internal/webhooks' and the jobs' work.
type Webhooks struct {
	WebhooksDeps
}

// WebhooksDeps are what Webhooks is built on.
type WebhooksDeps struct {
	Tx            Transactor
	Subscriptions domain.WebhookSubscriptionRepository
	Deliveries    domain.WebhookDeliveryRepository
	Organisations domain.OrganisationRepository
	Guard         URLGuard
	Audit         Auditor
	Now           Clock
}

// NewWebhooks wires the webhook use cases.
func NewWebhooks(d WebhooksDeps) *Webhooks {
	return &Webhooks{d}
}

// checkTarget refuses a URL the guard refuses, naming the url field.
func (s *Webhooks) checkTarget(ctx context.Context, url string) error {
	if err := s.Guard.CheckURL(ctx, url); err != nil {
		return domain.Invalid("url", err.Error())
	}
	return nil
}

// checkTypes refuses an empty list and any unknown type or pattern.
func checkTypes(types []string) error {
	if len(types) == 0 {
		return domain.Invalid("event_types", "must name at least one event type, or *")
	}
	for _, t := range types {
		if !webhooks.ValidPattern(t) {
			return domain.Invalid("event_types", "names "+t+", which is not an event type (participant.created, enrolment.* or * are)")
		}
	}
	return nil
}

// Create subscribes an organisation (the caller's own, unless national) to events; the answer
// holds the signing secret, once. Errors: forbidden, invalid.
func (s *Webhooks) Create(ctx context.Context, w domain.WebhookSubscription) (domain.WebhookSubscription, error) {
	return transact(ctx, s.Tx, s.Audit, domain.ScopePrincipalsAdmin, func(ctx context.Context, caller domain.Principal) (domain.WebhookSubscription, event, error) {
		if w.OrganisationID == uuid.Nil {
			w.OrganisationID = caller.OrganisationID
		}
		if err := mayManage(caller, w.OrganisationID); err != nil {
			return w, noEvent, err
		}
		if _, err := s.Organisations.Get(ctx, w.OrganisationID); err != nil {
			return w, noEvent, inReach(err, "organisation_id", "is not an organisation within your reach")
		}
		if err := checkTypes(w.EventTypes); err != nil {
			return w, noEvent, err
		}
		if err := s.checkTarget(ctx, w.URL); err != nil {
			return w, noEvent, err
		}
		w.Secret, w.Status = webhooks.NewSecret(), domain.WebhookActive
		if err := s.Subscriptions.Create(ctx, &w); err != nil {
			return w, noEvent, err
		}
		return w, event{"webhook_subscription.create", "webhook_subscription", w.ID, &w.OrganisationID,
			[]string{"url", "event_types", "enabled", "secret"}}, nil
	})
}

// Get returns a subscription within reach. Errors: forbidden, not_found.
func (s *Webhooks) Get(ctx context.Context, id uuid.UUID) (domain.WebhookSubscription, error) {
	return read(ctx, domain.ScopePrincipalsAdmin, func(ctx context.Context) (domain.WebhookSubscription, error) {
		return s.Subscriptions.Get(ctx, id)
	})
}

// List returns a page of the subscriptions within reach. Errors: forbidden.
func (s *Webhooks) List(ctx context.Context, f domain.WebhookSubscriptionFilter, req domain.PageRequest) (domain.Page[domain.WebhookSubscription], error) {
	return read(ctx, domain.ScopePrincipalsAdmin, func(ctx context.Context) (domain.Page[domain.WebhookSubscription], error) {
		return s.Subscriptions.List(ctx, f, req)
	})
}

// manage runs change on a live subscription the caller manages: its own organisation's, or
// any for the national team. One of a member trust, which a collaboration's admin can read,
// is the member's to change. Errors: forbidden, not_found, precondition_failed, conflict.
func (s *Webhooks) manage(ctx context.Context, caller domain.Principal, id uuid.UUID, ifVersion *int64, change func(*domain.WebhookSubscription) error) (domain.WebhookSubscription, error) {
	return s.Subscriptions.Update(ctx, id, ifVersion, func(w *domain.WebhookSubscription) error {
		if !caller.AllOrganisations && w.OrganisationID != caller.OrganisationID {
			return domain.Errorf(domain.CodeForbidden, "you manage the webhook subscriptions of your own organisation only")
		}
		if err := mustBeLive(w.DeletedAt, "webhook subscription"); err != nil {
			return err
		}
		return change(w)
	})
}

// Update applies a merge patch: the URL (checked again), the types, paused or not.
// Errors: forbidden, invalid, not_found, precondition_failed, conflict.
func (s *Webhooks) Update(ctx context.Context, id uuid.UUID, ifVersion *int64, c domain.WebhookSubscriptionChange, fields []string) (domain.WebhookSubscription, error) {
	return transact(ctx, s.Tx, s.Audit, domain.ScopePrincipalsAdmin, func(ctx context.Context, caller domain.Principal) (domain.WebhookSubscription, event, error) {
		if c.EventTypes != nil {
			if err := checkTypes(c.EventTypes); err != nil {
				return domain.WebhookSubscription{}, noEvent, err
			}
		}
		if c.URL != nil {
			if err := s.checkTarget(ctx, *c.URL); err != nil {
				return domain.WebhookSubscription{}, noEvent, err
			}
		}
		w, err := s.manage(ctx, caller, id, ifVersion, func(w *domain.WebhookSubscription) error {
			c.Apply(w)
			return nil
		})
		if err != nil {
			return w, noEvent, err
		}
		return w, event{"webhook_subscription.update", "webhook_subscription", id, &w.OrganisationID, fields}, nil
	})
}

// RotateSecret gives the subscription a new signing secret, returned this once; messages
// from then on are signed with it. Errors: forbidden, not_found, precondition_failed, conflict.
func (s *Webhooks) RotateSecret(ctx context.Context, id uuid.UUID, ifVersion *int64) (domain.WebhookSubscription, error) {
	return transact(ctx, s.Tx, s.Audit, domain.ScopePrincipalsAdmin, func(ctx context.Context, caller domain.Principal) (domain.WebhookSubscription, event, error) {
		w, err := s.manage(ctx, caller, id, ifVersion, func(w *domain.WebhookSubscription) error {
			w.Secret = webhooks.NewSecret()
			return nil
		})
		if err != nil {
			return w, noEvent, err
		}
		return w, event{"webhook_subscription.rotate_secret", "webhook_subscription", id, &w.OrganisationID, []string{"secret"}}, nil
	})
}

// Delete leaves a tombstone: nothing more is queued or sent; its log stays. Deleting twice is
// harmless. Errors: forbidden, not_found, precondition_failed.
func (s *Webhooks) Delete(ctx context.Context, id uuid.UUID, ifVersion *int64) error {
	_, err := transact(ctx, s.Tx, s.Audit, domain.ScopePrincipalsAdmin, func(ctx context.Context, caller domain.Principal) (struct{}, event, error) {
		already := false
		w, err := s.Subscriptions.Update(ctx, id, ifVersion, func(w *domain.WebhookSubscription) error {
			if !caller.AllOrganisations && w.OrganisationID != caller.OrganisationID {
				return domain.Errorf(domain.CodeForbidden, "you manage the webhook subscriptions of your own organisation only")
			}
			if already = w.DeletedAt != nil; already {
				return domain.ErrNoChange
			}
			now := s.Now()
			w.DeletedAt, w.Enabled = &now, false
			return nil
		})
		if err != nil || already {
			return struct{}{}, noEvent, err
		}
		return struct{}{}, event{"webhook_subscription.delete", "webhook_subscription", id, &w.OrganisationID, []string{"deleted"}}, nil
	})
	return err
}

// DeliveryLog returns a page of a subscription's delivery log. Errors: forbidden, not_found.
func (s *Webhooks) DeliveryLog(ctx context.Context, id uuid.UUID, f domain.WebhookDeliveryFilter, req domain.PageRequest) (domain.Page[domain.WebhookDelivery], error) {
	return read(ctx, domain.ScopePrincipalsAdmin, func(ctx context.Context) (domain.Page[domain.WebhookDelivery], error) {
		if _, err := s.Subscriptions.Get(ctx, id); err != nil {
			return domain.Page[domain.WebhookDelivery]{}, err
		}
		f.SubscriptionID = id
		return s.Deliveries.List(ctx, f, req)
	})
}

// Ping queues a test message (webhook.ping) to the subscription, sent like any other, after
// those already queued. Errors: forbidden, not_found, conflict (deleted).
func (s *Webhooks) Ping(ctx context.Context, id uuid.UUID) (domain.WebhookDelivery, error) {
	return transact(ctx, s.Tx, s.Audit, domain.ScopePrincipalsAdmin, func(ctx context.Context, caller domain.Principal) (domain.WebhookDelivery, event, error) {
		w, err := s.Subscriptions.Get(ctx, id)
		if err != nil {
			return domain.WebhookDelivery{}, noEvent, err
		}
		if err := mustBeLive(w.DeletedAt, "webhook subscription"); err != nil {
			return domain.WebhookDelivery{}, noEvent, err
		}
		e := webhooks.Event{Type: webhooks.PingType, ResourceType: "webhook_subscription", ResourceID: id.String(),
			OrganisationID: w.OrganisationID, At: s.Now()}
		d := domain.WebhookDelivery{SubscriptionID: id, OrganisationID: w.OrganisationID, MessageID: e.MessageID(),
			EventType: e.Type, Payload: e.Body()}
		if err := s.Deliveries.Create(ctx, &d); err != nil {
			return d, noEvent, err
		}
		return d, event{"webhook_subscription.ping", "webhook_subscription", id, &w.OrganisationID, nil}, nil
	})
}

// Redeliver queues one logged message again, with the same webhook-id and body, after those
// already queued. Errors: forbidden, not_found, conflict (deleted).
func (s *Webhooks) Redeliver(ctx context.Context, id, deliveryID uuid.UUID) (domain.WebhookDelivery, error) {
	return transact(ctx, s.Tx, s.Audit, domain.ScopePrincipalsAdmin, func(ctx context.Context, caller domain.Principal) (domain.WebhookDelivery, event, error) {
		w, err := s.Subscriptions.Get(ctx, id)
		if err != nil {
			return domain.WebhookDelivery{}, noEvent, err
		}
		if err := mustBeLive(w.DeletedAt, "webhook subscription"); err != nil {
			return domain.WebhookDelivery{}, noEvent, err
		}
		old, err := s.Deliveries.Get(ctx, deliveryID)
		if err == nil && old.SubscriptionID != id {
			err = domain.NotFound("webhook delivery")
		}
		if err != nil {
			return domain.WebhookDelivery{}, noEvent, err
		}
		d := domain.WebhookDelivery{SubscriptionID: id, OrganisationID: w.OrganisationID, MessageID: old.MessageID,
			EventType: old.EventType, EventSeq: old.EventSeq, Payload: old.Payload}
		if err := s.Deliveries.Create(ctx, &d); err != nil {
			return d, noEvent, err
		}
		return d, event{"webhook_delivery.redeliver", "webhook_delivery", d.ID, &w.OrganisationID, []string{"message_id"}}, nil
	})
}
