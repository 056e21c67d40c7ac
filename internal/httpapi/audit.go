package httpapi

import (
	"context"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/domain"
)

// ListAuditEvents lists the audit trail within reach.
func (s *Server) ListAuditEvents(ctx context.Context, r api.ListAuditEventsRequestObject) (api.ListAuditEventsResponseObject, error) {
	q := r.Params
	req, err := pageRequest(q.Limit, q.Cursor, q.UpdatedSince)
	if err != nil {
		return nil, err
	}
	f := domain.AuditFilter{OrganisationID: q.OrganisationId, Actor: q.Actor, Action: q.Action, ResourceType: q.ResourceType,
		ResourceID: q.ResourceId, From: q.From, To: q.To}
	page, err := s.Audit.List(ctx, f, req)
	if err != nil {
		return nil, err
	}
	out := api.ListAuditEvents200JSONResponse{Data: make([]api.AuditEvent, len(page.Items)), NextCursor: encodeCursor(page.Next)}
	for i, e := range page.Items {
		out.Data[i] = api.AuditEvent{Id: e.ID, Actor: e.Actor, OrganisationId: e.OrganisationID, Action: e.Action,
			ResourceType: e.ResourceType, ResourceId: e.ResourceID, Fields: e.Fields, RequestId: e.RequestID, At: e.At}
	}
	return out, nil
}
