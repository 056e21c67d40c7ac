package httpapi

import (
	"context"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/domain"
)

func fundingAwardOut(a domain.FundingAward) api.FundingAward {
	years := make([]api.FundedYear, domain.FundedYears)
	for i, y := range a.Years {
		fy, _ := a.FundedYear(i + 1) // the tender round was checked when written
		years[i] = api.FundedYear{FinancialYear: fy.Name, StartsOn: dateOut(fy.StartsOn), EndsOn: dateOut(fy.EndsOn),
			AmountPence: y.AmountPence, MinParticipants: y.MinParticipants}
	}
	return api.FundingAward{Id: a.ID, OrganisationId: a.OrganisationID, ProgrammeId: a.ProgrammeID, TenderRound: a.TenderRound,
		Years: years, TotalPence: a.TotalPence(), Deleted: a.DeletedAt != nil,
		CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt, Version: a.Version}
}

// fundedYearsIn reads the contract's three years (minItems and maxItems are 3).
func fundedYearsIn(in []api.FundedYearInput) [domain.FundedYears]domain.FundedYear {
	var out [domain.FundedYears]domain.FundedYear
	for i := range min(len(in), domain.FundedYears) {
		out[i] = domain.FundedYear{AmountPence: in[i].AmountPence, MinParticipants: in[i].MinParticipants}
	}
	return out
}

// ListFundingAwards lists the funding awards within reach, as JSON or CSV.
func (s *Server) ListFundingAwards(ctx context.Context, r api.ListFundingAwardsRequestObject) (api.ListFundingAwardsResponseObject, error) {
	q := r.Params
	req, err := pageRequest(q.Limit, q.Cursor, q.UpdatedSince)
	if err != nil {
		return nil, err
	}
	f := domain.FundingAwardFilter{OrganisationID: q.OrganisationId, ServingOrganisationID: q.ServingOrganisationId,
		ProgrammeID: q.ProgrammeId, TenderRound: q.TenderRound, IncludeDeleted: ptrValue(q.IncludeDeleted)}
	if wantsCSV(ctx) {
		return s.fundingAwardsCSV(ctx, f, req)
	}
	page, err := s.FundingAwards.List(ctx, f, req)
	if err != nil {
		return nil, err
	}
	out := api.ListFundingAwards200JSONResponse{Data: make([]api.FundingAward, len(page.Items)), NextCursor: encodeCursor(page.Next)}
	for i, a := range page.Items {
		out.Data[i] = fundingAwardOut(a)
	}
	return out, nil
}

// CreateFundingAward records a funding award.
func (s *Server) CreateFundingAward(ctx context.Context, r api.CreateFundingAwardRequestObject) (api.CreateFundingAwardResponseObject, error) {
	b := r.Body
	a, err := s.FundingAwards.Create(ctx, domain.FundingAward{OrganisationID: b.OrganisationId, ProgrammeID: b.ProgrammeId,
		TenderRound: b.TenderRound, Years: fundedYearsIn(b.Years)}, bodyFields(ctx))
	if err != nil {
		return nil, err
	}
	loc := "/v1/funding-awards/" + a.ID.String()
	return api.CreateFundingAward201JSONResponse{Body: fundingAwardOut(a),
		Headers: api.CreateFundingAward201ResponseHeaders{ETag: etag(a.Version), Location: &loc}}, nil
}

// GetFundingAward returns a funding award.
func (s *Server) GetFundingAward(ctx context.Context, r api.GetFundingAwardRequestObject) (api.GetFundingAwardResponseObject, error) {
	a, err := s.FundingAwards.Get(ctx, r.FundingAwardId)
	if err != nil {
		return nil, err
	}
	return api.GetFundingAward200JSONResponse{Body: fundingAwardOut(a), Headers: api.GetFundingAward200ResponseHeaders{ETag: etag(a.Version)}}, nil
}

// UpdateFundingAward applies a merge patch.
func (s *Server) UpdateFundingAward(ctx context.Context, r api.UpdateFundingAwardRequestObject) (api.UpdateFundingAwardResponseObject, error) {
	b := r.Body
	c := domain.FundingAwardChange{TenderRound: b.TenderRound}
	if b.Years != nil {
		years := fundedYearsIn(*b.Years)
		c.Years = &years
	}
	a, err := s.FundingAwards.Update(ctx, r.FundingAwardId, ifMatch(r.Params.IfMatch), c, bodyFields(ctx))
	if err != nil {
		return nil, err
	}
	return api.UpdateFundingAward200JSONResponse{Body: fundingAwardOut(a), Headers: api.UpdateFundingAward200ResponseHeaders{ETag: etag(a.Version)}}, nil
}

// DeleteFundingAward leaves a tombstone.
func (s *Server) DeleteFundingAward(ctx context.Context, r api.DeleteFundingAwardRequestObject) (api.DeleteFundingAwardResponseObject, error) {
	if err := s.FundingAwards.Delete(ctx, r.FundingAwardId, ifMatch(r.Params.IfMatch)); err != nil {
		return nil, err
	}
	return api.DeleteFundingAward204Response{}, nil
}
