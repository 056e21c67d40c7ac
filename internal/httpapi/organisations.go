package httpapi

import (
	"context"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/domain"
)

func organisationOut(o domain.Organisation) api.Organisation {
	return api.Organisation{
		Id: o.ID, Kind: api.OrganisationKind(o.Kind), Name: o.Name,
		OdsCode:   o.ODSCode,
		Region:    ptrOf(o.Region, func(s string) api.Region { return api.Region(s) }),
		MemberIds: o.MemberIDs, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt, Version: o.Version,
	}
}

func organisationPage(p domain.Page[domain.Organisation]) api.OrganisationPage {
	out := api.OrganisationPage{Data: make([]api.Organisation, len(p.Items)), NextCursor: encodeCursor(p.Next)}
	for i, o := range p.Items {
		out.Data[i] = organisationOut(o)
	}
	return out
}

// ListOrganisations lists the organisations within the caller's reach.
func (s *Server) ListOrganisations(ctx context.Context, r api.ListOrganisationsRequestObject) (api.ListOrganisationsResponseObject, error) {
	req, err := pageRequest(r.Params.Limit, r.Params.Cursor, r.Params.UpdatedSince)
	if err != nil {
		return nil, err
	}
	f := domain.OrganisationFilter{
		Kind:    ptrOf(r.Params.Kind, func(k api.OrganisationKind) domain.OrganisationKind { return domain.OrganisationKind(k) }),
		Region:  ptrOf(r.Params.Region, str[api.Region]),
		ODSCode: r.Params.OdsCode, Query: r.Params.Q,
	}
	page, err := s.Organisations.List(ctx, f, req)
	if err != nil {
		return nil, err
	}
	return api.ListOrganisations200JSONResponse(organisationPage(page)), nil
}

// CreateOrganisation records a new organisation.
func (s *Server) CreateOrganisation(ctx context.Context, r api.CreateOrganisationRequestObject) (api.CreateOrganisationResponseObject, error) {
	b := r.Body
	o, err := s.Organisations.Create(ctx, domain.Organisation{
		Kind: domain.OrganisationKind(b.Kind), Name: b.Name, ODSCode: b.OdsCode, Region: ptrOf(b.Region, str[api.Region]),
	}, bodyFields(ctx))
	if err != nil {
		return nil, err
	}
	loc := "/v1/organisations/" + o.ID.String()
	return api.CreateOrganisation201JSONResponse{OrganisationCreatedJSONResponse: api.OrganisationCreatedJSONResponse{Body: organisationOut(o), Headers: api.OrganisationCreatedResponseHeaders{ETag: etag(o.Version), Location: &loc}}}, nil
}

// GetOrganisation returns one organisation.
func (s *Server) GetOrganisation(ctx context.Context, r api.GetOrganisationRequestObject) (api.GetOrganisationResponseObject, error) {
	o, err := s.Organisations.Get(ctx, r.OrganisationId)
	if err != nil {
		return nil, err
	}
	return api.GetOrganisation200JSONResponse{OrganisationOKJSONResponse: api.OrganisationOKJSONResponse{Body: organisationOut(o), Headers: api.OrganisationOKResponseHeaders{ETag: etag(o.Version)}}}, nil
}

// UpdateOrganisation applies a merge patch.
func (s *Server) UpdateOrganisation(ctx context.Context, r api.UpdateOrganisationRequestObject) (api.UpdateOrganisationResponseObject, error) {
	b := r.Body
	c := domain.OrganisationChange{
		Name:    b.Name,
		ODSCode: change(ctx, "ods_code", b.OdsCode, same[string]),
		Region:  change(ctx, "region", b.Region, str[api.Region]),
	}
	o, err := s.Organisations.Update(ctx, r.OrganisationId, ifMatch(r.Params.IfMatch), c, bodyFields(ctx))
	if err != nil {
		return nil, err
	}
	return api.UpdateOrganisation200JSONResponse{OrganisationOKJSONResponse: api.OrganisationOKJSONResponse{Body: organisationOut(o), Headers: api.OrganisationOKResponseHeaders{ETag: etag(o.Version)}}}, nil
}

// ListOrganisationMembers lists a collaboration's member trusts.
func (s *Server) ListOrganisationMembers(ctx context.Context, r api.ListOrganisationMembersRequestObject) (api.ListOrganisationMembersResponseObject, error) {
	req, err := pageRequest(r.Params.Limit, r.Params.Cursor, r.Params.UpdatedSince)
	if err != nil {
		return nil, err
	}
	page, err := s.Organisations.ListMembers(ctx, r.OrganisationId, req)
	if err != nil {
		return nil, err
	}
	return api.ListOrganisationMembers200JSONResponse(organisationPage(page)), nil
}

// AddOrganisationMember puts a trust into a collaboration.
func (s *Server) AddOrganisationMember(ctx context.Context, r api.AddOrganisationMemberRequestObject) (api.AddOrganisationMemberResponseObject, error) {
	if err := s.Organisations.AddMember(ctx, r.OrganisationId, uuid.UUID(r.MemberId)); err != nil {
		return nil, err
	}
	return api.AddOrganisationMember204Response{}, nil
}

// RemoveOrganisationMember takes a trust out of a collaboration.
func (s *Server) RemoveOrganisationMember(ctx context.Context, r api.RemoveOrganisationMemberRequestObject) (api.RemoveOrganisationMemberResponseObject, error) {
	if err := s.Organisations.RemoveMember(ctx, r.OrganisationId, uuid.UUID(r.MemberId)); err != nil {
		return nil, err
	}
	return api.RemoveOrganisationMember204Response{}, nil
}
