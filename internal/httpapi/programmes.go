package httpapi

import (
	"context"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/domain"
)

func programmeOut(p domain.Programme) api.Programme {
	return api.Programme{
		Id: p.ID, Code: p.Code, Name: p.Name, Category: api.ProgrammeCategory(p.Category), Description: p.Description,
		MinAge: p.MinAge, MaxAge: p.MaxAge, RequiresBenefit: p.RequiresBenefit,
		MinDurationDays:   p.MinDurationDays,
		MaxDurationDays:   p.MaxDurationDays,
		DeliveryPartnerId: p.DeliveryPartnerID,
		CreatedAt:         p.CreatedAt, UpdatedAt: p.UpdatedAt, Version: p.Version,
	}
}

// ListProgrammes lists the catalogue.
func (s *Server) ListProgrammes(ctx context.Context, r api.ListProgrammesRequestObject) (api.ListProgrammesResponseObject, error) {
	req, err := pageRequest(r.Params.Limit, r.Params.Cursor, r.Params.UpdatedSince)
	if err != nil {
		return nil, err
	}
	f := domain.ProgrammeFilter{Category: ptrOf(r.Params.Category, func(c api.ProgrammeCategory) domain.ProgrammeCategory { return domain.ProgrammeCategory(c) })}
	page, err := s.Programmes.List(ctx, f, req)
	if err != nil {
		return nil, err
	}
	out := api.ListProgrammes200JSONResponse{Data: make([]api.Programme, len(page.Items)), NextCursor: encodeCursor(page.Next)}
	for i, p := range page.Items {
		out.Data[i] = programmeOut(p)
	}
	return out, nil
}

// CreateProgramme adds a programme to the catalogue.
func (s *Server) CreateProgramme(ctx context.Context, r api.CreateProgrammeRequestObject) (api.CreateProgrammeResponseObject, error) {
	b := r.Body
	desc := ""
	if b.Description != nil {
		desc = *b.Description
	}
	p, err := s.Programmes.Create(ctx, domain.Programme{
		Code: b.Code, Name: b.Name, Category: domain.ProgrammeCategory(b.Category), Description: desc,
		MinAge: b.MinAge, MaxAge: b.MaxAge, RequiresBenefit: b.RequiresBenefit,
		MinDurationDays: b.MinDurationDays, MaxDurationDays: b.MaxDurationDays, DeliveryPartnerID: b.DeliveryPartnerId,
	}, bodyFields(ctx))
	if err != nil {
		return nil, err
	}
	loc := "/v1/programmes/" + p.ID.String()
	return api.CreateProgramme201JSONResponse{ProgrammeCreatedJSONResponse: api.ProgrammeCreatedJSONResponse{Body: programmeOut(p), Headers: api.ProgrammeCreatedResponseHeaders{ETag: etag(p.Version), Location: &loc}}}, nil
}

// GetProgramme returns one programme.
func (s *Server) GetProgramme(ctx context.Context, r api.GetProgrammeRequestObject) (api.GetProgrammeResponseObject, error) {
	p, err := s.Programmes.Get(ctx, r.ProgrammeId)
	if err != nil {
		return nil, err
	}
	return api.GetProgramme200JSONResponse{ProgrammeOKJSONResponse: api.ProgrammeOKJSONResponse{Body: programmeOut(p), Headers: api.ProgrammeOKResponseHeaders{ETag: etag(p.Version)}}}, nil
}

// UpdateProgramme applies a merge patch.
func (s *Server) UpdateProgramme(ctx context.Context, r api.UpdateProgrammeRequestObject) (api.UpdateProgrammeResponseObject, error) {
	b := r.Body
	c := domain.ProgrammeChange{
		Name: b.Name, Description: b.Description, MinAge: b.MinAge, RequiresBenefit: b.RequiresBenefit,
		MaxAge:            change(ctx, "max_age", b.MaxAge, same[int]),
		MinDurationDays:   change(ctx, "min_duration_days", b.MinDurationDays, same[int]),
		MaxDurationDays:   change(ctx, "max_duration_days", b.MaxDurationDays, same[int]),
		DeliveryPartnerID: change(ctx, "delivery_partner_id", b.DeliveryPartnerId, same),
	}
	p, err := s.Programmes.Update(ctx, r.ProgrammeId, ifMatch(r.Params.IfMatch), c, bodyFields(ctx))
	if err != nil {
		return nil, err
	}
	return api.UpdateProgramme200JSONResponse{ProgrammeOKJSONResponse: api.ProgrammeOKJSONResponse{Body: programmeOut(p), Headers: api.ProgrammeOKResponseHeaders{ETag: etag(p.Version)}}}, nil
}
