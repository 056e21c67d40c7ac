package httpapi

import (
	"context"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/domain"
)

func placementOut(p domain.Placement) api.Placement {
	return api.Placement{Id: p.ID, EnrolmentId: p.EnrolmentID, ParticipantId: p.ParticipantID, CohortId: p.CohortID,
		OrganisationId: p.OrganisationID, Kind: api.PlacementKind(p.Kind), HostDepartment: p.HostDepartment,
		Site: p.Site, RoleArea: api.RoleArea(p.RoleArea), SupervisorName: p.SupervisorName,
		StartsOn: dateOut(p.StartsOn), EndsOn: dateOut(p.EndsOn), HoursPerWeek: p.HoursPerWeek,
		Status: api.PlacementStatus(p.Status), EndReason: p.EndReason, Deleted: p.DeletedAt != nil,
		CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt, Version: p.Version}
}

// ListPlacements lists the placements within reach.
func (s *Server) ListPlacements(ctx context.Context, r api.ListPlacementsRequestObject) (api.ListPlacementsResponseObject, error) {
	q := r.Params
	req, err := pageRequest(q.Limit, q.Cursor, q.UpdatedSince)
	if err != nil {
		return nil, err
	}
	f := domain.PlacementFilter{EnrolmentID: q.EnrolmentId, ParticipantID: q.ParticipantId, CohortID: q.CohortId,
		Kind: ptrOf(q.Kind, str[api.PlacementKind]), RoleArea: ptrOf(q.RoleArea, str[api.RoleArea]),
		Status: ptrOf(q.Status, str[api.PlacementStatus]), IncludeDeleted: ptrValue(q.IncludeDeleted)}
	if wantsCSV(ctx) {
		return s.placementsCSV(ctx, f, req)
	}
	page, err := s.Placements.List(ctx, f, req)
	if err != nil {
		return nil, err
	}
	out := api.ListPlacements200JSONResponse{Data: make([]api.Placement, len(page.Items)), NextCursor: encodeCursor(page.Next)}
	for i, p := range page.Items {
		out.Data[i] = placementOut(p)
	}
	return out, nil
}

// CreatePlacement records a placement.
func (s *Server) CreatePlacement(ctx context.Context, r api.CreatePlacementRequestObject) (api.CreatePlacementResponseObject, error) {
	b := r.Body
	p, err := s.Placements.Create(ctx, domain.Placement{EnrolmentID: b.EnrolmentId, Kind: string(b.Kind), HostDepartment: b.HostDepartment,
		Site: b.Site, RoleArea: string(b.RoleArea), SupervisorName: b.SupervisorName, StartsOn: b.StartsOn.Time, EndsOn: b.EndsOn.Time,
		HoursPerWeek: b.HoursPerWeek, Status: string(ptrValue(b.Status)), EndReason: b.EndReason}, bodyFields(ctx))
	if err != nil {
		return nil, err
	}
	loc := "/v1/placements/" + p.ID.String()
	return api.CreatePlacement201JSONResponse{Body: placementOut(p), Headers: api.CreatePlacement201ResponseHeaders{ETag: etag(p.Version), Location: &loc}}, nil
}

// GetPlacement returns a placement.
func (s *Server) GetPlacement(ctx context.Context, r api.GetPlacementRequestObject) (api.GetPlacementResponseObject, error) {
	p, err := s.Placements.Get(ctx, r.PlacementId)
	if err != nil {
		return nil, err
	}
	return api.GetPlacement200JSONResponse{Body: placementOut(p), Headers: api.GetPlacement200ResponseHeaders{ETag: etag(p.Version)}}, nil
}

// UpdatePlacement applies a merge patch.
func (s *Server) UpdatePlacement(ctx context.Context, r api.UpdatePlacementRequestObject) (api.UpdatePlacementResponseObject, error) {
	b := r.Body
	c := domain.PlacementChange{HostDepartment: b.HostDepartment, Site: change(ctx, "site", b.Site, same[string]),
		RoleArea: ptrOf(b.RoleArea, str[api.RoleArea]), SupervisorName: change(ctx, "supervisor_name", b.SupervisorName, same[string]),
		StartsOn: ptrOf(b.StartsOn, dateIn), EndsOn: ptrOf(b.EndsOn, dateIn), HoursPerWeek: change(ctx, "hours_per_week", b.HoursPerWeek, same[float64]),
		Status: ptrOf(b.Status, str[api.PlacementStatus]), EndReason: change(ctx, "end_reason", b.EndReason, same[string])}
	p, err := s.Placements.Update(ctx, r.PlacementId, ifMatch(r.Params.IfMatch), c, bodyFields(ctx))
	if err != nil {
		return nil, err
	}
	return api.UpdatePlacement200JSONResponse{Body: placementOut(p), Headers: api.UpdatePlacement200ResponseHeaders{ETag: etag(p.Version)}}, nil
}

// DeletePlacement leaves a tombstone.
func (s *Server) DeletePlacement(ctx context.Context, r api.DeletePlacementRequestObject) (api.DeletePlacementResponseObject, error) {
	if err := s.Placements.Delete(ctx, r.PlacementId, ifMatch(r.Params.IfMatch)); err != nil {
		return nil, err
	}
	return api.DeletePlacement204Response{}, nil
}
