package httpapi

import (
	"context"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/domain"
)

func roleAreasIn(in *[]api.RoleArea) []string {
	if in == nil {
		return []string{}
	}
	out := make([]string, len(*in))
	for i, r := range *in {
		out[i] = string(r)
	}
	return out
}

func cohortOut(c domain.Cohort) api.Cohort {
	areas := make([]api.RoleArea, len(c.RoleAreas))
	for i, r := range c.RoleAreas {
		areas[i] = api.RoleArea(r)
	}
	return api.Cohort{Id: c.ID, ProgrammeId: c.ProgrammeID, OrganisationId: c.OrganisationID, Name: c.Name,
		StartsOn: dateOut(c.StartsOn), EndsOn: dateOut(c.EndsOn), Capacity: c.Capacity, PlacesTaken: c.PlacesTaken,
		RoleAreas: areas, Status: api.CohortStatus(c.Status), DeliveryPartnerId: c.DeliveryPartnerID,
		FundingAwardRef: c.FundingAwardRef, FundingAwardId: c.FundingAwardID, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, Version: c.Version}
}

// ListCohorts lists the cohorts within reach.
func (s *Server) ListCohorts(ctx context.Context, r api.ListCohortsRequestObject) (api.ListCohortsResponseObject, error) {
	q := r.Params
	req, err := pageRequest(q.Limit, q.Cursor, q.UpdatedSince)
	if err != nil {
		return nil, err
	}
	f := domain.CohortFilter{ProgrammeID: q.ProgrammeId, OrganisationID: q.OrganisationId, Status: ptrOf(q.Status, str[api.CohortStatus]),
		StartsFrom: ptrOf(q.StartsFrom, dateIn), StartsTo: ptrOf(q.StartsTo, dateIn), FundingAwardID: q.FundingAwardId}
	page, err := s.Cohorts.List(ctx, f, req)
	if err != nil {
		return nil, err
	}
	out := api.ListCohorts200JSONResponse{Data: make([]api.Cohort, len(page.Items)), NextCursor: encodeCursor(page.Next)}
	for i, c := range page.Items {
		out.Data[i] = cohortOut(c)
	}
	return out, nil
}

// CreateCohort plans a cohort.
func (s *Server) CreateCohort(ctx context.Context, r api.CreateCohortRequestObject) (api.CreateCohortResponseObject, error) {
	b := r.Body
	c, err := s.Cohorts.Create(ctx, domain.Cohort{ProgrammeID: b.ProgrammeId, OrganisationID: b.OrganisationId, Name: b.Name,
		StartsOn: b.StartsOn.Time, EndsOn: b.EndsOn.Time, Capacity: b.Capacity, RoleAreas: roleAreasIn(b.RoleAreas),
		DeliveryPartnerID: b.DeliveryPartnerId, FundingAwardRef: b.FundingAwardRef, FundingAwardID: b.FundingAwardId}, bodyFields(ctx))
	if err != nil {
		return nil, err
	}
	loc := "/v1/cohorts/" + c.ID.String()
	return api.CreateCohort201JSONResponse{Body: cohortOut(c), Headers: api.CreateCohort201ResponseHeaders{ETag: etag(c.Version), Location: &loc}}, nil
}

// GetCohort returns a cohort.
func (s *Server) GetCohort(ctx context.Context, r api.GetCohortRequestObject) (api.GetCohortResponseObject, error) {
	c, err := s.Cohorts.Get(ctx, r.CohortId)
	if err != nil {
		return nil, err
	}
	return api.GetCohort200JSONResponse{Body: cohortOut(c), Headers: api.GetCohort200ResponseHeaders{ETag: etag(c.Version)}}, nil
}

// UpdateCohort applies a merge patch.
func (s *Server) UpdateCohort(ctx context.Context, r api.UpdateCohortRequestObject) (api.UpdateCohortResponseObject, error) {
	b := r.Body
	var areas *[]string
	if b.RoleAreas != nil {
		a := roleAreasIn(b.RoleAreas)
		areas = &a
	}
	ch := domain.CohortChange{Name: b.Name, StartsOn: ptrOf(b.StartsOn, dateIn), EndsOn: ptrOf(b.EndsOn, dateIn), Capacity: b.Capacity,
		RoleAreas: areas, Status: ptrOf(b.Status, str[api.CohortStatus]),
		DeliveryPartnerID: change(ctx, "delivery_partner_id", b.DeliveryPartnerId, same), FundingAwardRef: change(ctx, "funding_award_ref", b.FundingAwardRef, same[string]),
		FundingAwardID: change(ctx, "funding_award_id", b.FundingAwardId, same)}
	c, err := s.Cohorts.Update(ctx, r.CohortId, ifMatch(r.Params.IfMatch), ch, bodyFields(ctx))
	if err != nil {
		return nil, err
	}
	return api.UpdateCohort200JSONResponse{Body: cohortOut(c), Headers: api.UpdateCohort200ResponseHeaders{ETag: etag(c.Version)}}, nil
}
