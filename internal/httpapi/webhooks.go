package httpapi

import (
	"context"
	"encoding/json"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/domain"
)

func webhookSubscriptionOut(w domain.WebhookSubscription) api.WebhookSubscription {
	types := w.EventTypes
	if types == nil {
		types = []string{}
	}
	return api.WebhookSubscription{Id: w.ID, OrganisationId: w.OrganisationID, Url: w.URL, EventTypes: types,
		Enabled: w.Enabled, Status: api.WebhookSubscriptionStatus(w.Status), FailingReason: w.FailingReason,
		Deleted: w.DeletedAt != nil, CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt, Version: w.Version}
}

// withSecret is the subscription as made or rotated: the only answers that show its secret.
func withSecret(w domain.WebhookSubscription) api.WebhookSubscriptionWithSecret {
	o := webhookSubscriptionOut(w)
	return api.WebhookSubscriptionWithSecret{Id: o.Id, OrganisationId: o.OrganisationId, Url: o.Url, EventTypes: o.EventTypes,
		Enabled: o.Enabled, Status: o.Status, FailingReason: o.FailingReason, Deleted: o.Deleted, CreatedAt: o.CreatedAt,
		UpdatedAt: o.UpdatedAt, Version: o.Version, Secret: w.Secret}
}

func webhookDeliveryOut(d domain.WebhookDelivery) api.WebhookDelivery {
	var payload api.WebhookMessage
	_ = json.Unmarshal(d.Payload, &payload) // written by p4w in this shape
	if payload.Data.Fields == nil {
		payload.Data.Fields = []string{}
	}
	return api.WebhookDelivery{Id: d.ID, SubscriptionId: d.SubscriptionID, MessageId: d.MessageID, EventType: d.EventType,
		Payload: payload, Status: api.WebhookDeliveryStatus(d.Status), Attempts: d.Attempts, NextAttemptAt: d.NextAttemptAt,
		LastStatusCode: d.LastStatusCode, LastLatencyMs: d.LastLatencyMS, LastError: d.LastError, DeliveredAt: d.DeliveredAt,
		CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
}

// ListWebhookSubscriptions lists the subscriptions within reach.
func (s *Server) ListWebhookSubscriptions(ctx context.Context, r api.ListWebhookSubscriptionsRequestObject) (api.ListWebhookSubscriptionsResponseObject, error) {
	q := r.Params
	req, err := pageRequest(q.Limit, q.Cursor, q.UpdatedSince)
	if err != nil {
		return nil, err
	}
	page, err := s.Webhooks.List(ctx, domain.WebhookSubscriptionFilter{OrganisationID: q.OrganisationId,
		IncludeDeleted: ptrValue(q.IncludeDeleted)}, req)
	if err != nil {
		return nil, err
	}
	out := api.ListWebhookSubscriptions200JSONResponse{Data: make([]api.WebhookSubscription, len(page.Items)), NextCursor: encodeCursor(page.Next)}
	for i, w := range page.Items {
		out.Data[i] = webhookSubscriptionOut(w)
	}
	return out, nil
}

// CreateWebhookSubscription subscribes a URL; the answer holds its secret, once.
func (s *Server) CreateWebhookSubscription(ctx context.Context, r api.CreateWebhookSubscriptionRequestObject) (api.CreateWebhookSubscriptionResponseObject, error) {
	b := r.Body
	enabled := true
	if b.Enabled != nil {
		enabled = *b.Enabled
	}
	var org uuid.UUID
	if b.OrganisationId != nil {
		org = *b.OrganisationId
	}
	w, err := s.Webhooks.Create(ctx, domain.WebhookSubscription{OrganisationID: org, URL: b.Url, EventTypes: b.EventTypes, Enabled: enabled})
	if err != nil {
		return nil, err
	}
	loc := "/v1/webhook-subscriptions/" + w.ID.String()
	return api.CreateWebhookSubscription201JSONResponse{Body: withSecret(w),
		Headers: api.CreateWebhookSubscription201ResponseHeaders{ETag: etag(w.Version), Location: &loc}}, nil
}

// GetWebhookSubscription returns a subscription, without its secret.
func (s *Server) GetWebhookSubscription(ctx context.Context, r api.GetWebhookSubscriptionRequestObject) (api.GetWebhookSubscriptionResponseObject, error) {
	w, err := s.Webhooks.Get(ctx, r.WebhookSubscriptionId)
	if err != nil {
		return nil, err
	}
	return api.GetWebhookSubscription200JSONResponse{Body: webhookSubscriptionOut(w),
		Headers: api.GetWebhookSubscription200ResponseHeaders{ETag: etag(w.Version)}}, nil
}

// UpdateWebhookSubscription applies a merge patch: URL, types, paused or not.
func (s *Server) UpdateWebhookSubscription(ctx context.Context, r api.UpdateWebhookSubscriptionRequestObject) (api.UpdateWebhookSubscriptionResponseObject, error) {
	b := r.Body
	c := domain.WebhookSubscriptionChange{URL: b.Url, Enabled: b.Enabled}
	if b.EventTypes != nil {
		c.EventTypes = *b.EventTypes
	}
	w, err := s.Webhooks.Update(ctx, r.WebhookSubscriptionId, ifMatch(r.Params.IfMatch), c, bodyFields(ctx))
	if err != nil {
		return nil, err
	}
	return api.UpdateWebhookSubscription200JSONResponse{Body: webhookSubscriptionOut(w),
		Headers: api.UpdateWebhookSubscription200ResponseHeaders{ETag: etag(w.Version)}}, nil
}

// DeleteWebhookSubscription stops a subscription, leaving a tombstone and its log.
func (s *Server) DeleteWebhookSubscription(ctx context.Context, r api.DeleteWebhookSubscriptionRequestObject) (api.DeleteWebhookSubscriptionResponseObject, error) {
	if err := s.Webhooks.Delete(ctx, r.WebhookSubscriptionId, ifMatch(r.Params.IfMatch)); err != nil {
		return nil, err
	}
	return api.DeleteWebhookSubscription204Response{}, nil
}

// RotateWebhookSecret gives a subscription a new secret, shown once.
func (s *Server) RotateWebhookSecret(ctx context.Context, r api.RotateWebhookSecretRequestObject) (api.RotateWebhookSecretResponseObject, error) {
	w, err := s.Webhooks.RotateSecret(ctx, r.WebhookSubscriptionId, ifMatch(r.Params.IfMatch))
	if err != nil {
		return nil, err
	}
	return api.RotateWebhookSecret200JSONResponse{Body: withSecret(w),
		Headers: api.RotateWebhookSecret200ResponseHeaders{ETag: etag(w.Version)}}, nil
}

// PingWebhookSubscription queues a test message.
func (s *Server) PingWebhookSubscription(ctx context.Context, r api.PingWebhookSubscriptionRequestObject) (api.PingWebhookSubscriptionResponseObject, error) {
	d, err := s.Webhooks.Ping(ctx, r.WebhookSubscriptionId)
	if err != nil {
		return nil, err
	}
	return api.PingWebhookSubscription202JSONResponse(webhookDeliveryOut(d)), nil
}

// ListWebhookDeliveries returns a subscription's delivery log.
func (s *Server) ListWebhookDeliveries(ctx context.Context, r api.ListWebhookDeliveriesRequestObject) (api.ListWebhookDeliveriesResponseObject, error) {
	q := r.Params
	req, err := pageRequest(q.Limit, q.Cursor, q.UpdatedSince)
	if err != nil {
		return nil, err
	}
	page, err := s.Webhooks.DeliveryLog(ctx, r.WebhookSubscriptionId,
		domain.WebhookDeliveryFilter{Status: ptrOf(q.Status, str[api.WebhookDeliveryStatus])}, req)
	if err != nil {
		return nil, err
	}
	out := api.ListWebhookDeliveries200JSONResponse{Data: make([]api.WebhookDelivery, len(page.Items)), NextCursor: encodeCursor(page.Next)}
	for i, d := range page.Items {
		out.Data[i] = webhookDeliveryOut(d)
	}
	return out, nil
}

// RedeliverWebhookDelivery queues a logged message again.
func (s *Server) RedeliverWebhookDelivery(ctx context.Context, r api.RedeliverWebhookDeliveryRequestObject) (api.RedeliverWebhookDeliveryResponseObject, error) {
	d, err := s.Webhooks.Redeliver(ctx, r.WebhookSubscriptionId, r.DeliveryId)
	if err != nil {
		return nil, err
	}
	return api.RedeliverWebhookDelivery202JSONResponse(webhookDeliveryOut(d)), nil
}
