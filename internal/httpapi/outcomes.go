package httpapi

import (
	"context"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/domain"
)

func checkOut(c domain.SustainmentCheck) api.SustainmentCheck {
	return api.SustainmentCheck{Result: api.SustainmentResult(c.Result), CheckedOn: dateOut(c.CheckedOn)}
}

func checkIn(c api.SustainmentCheck) domain.SustainmentCheck {
	return domain.SustainmentCheck{Result: string(c.Result), CheckedOn: c.CheckedOn.Time}
}

func outcomeOut(o domain.Outcome) api.Outcome {
	return api.Outcome{Id: o.ID, ParticipantId: o.ParticipantID, EnrolmentId: o.EnrolmentID,
		OrganisationId: o.OrganisationID, Destination: api.Destination(o.Destination), Positive: o.Positive(),
		Sector: ptrOf(o.Sector, func(s string) api.Sector { return api.Sector(s) }), Employer: o.Employer,
		Role: o.Role, StartsOn: ptrOf(o.StartsOn, dateOut), IlrCode: o.ILRCode,
		Sustained3Months: ptrOf(o.Sustained3m, checkOut), Sustained6Months: ptrOf(o.Sustained6m, checkOut),
		Deleted: o.DeletedAt != nil, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt, Version: o.Version}
}

// ListOutcomes lists the outcomes within reach.
func (s *Server) ListOutcomes(ctx context.Context, r api.ListOutcomesRequestObject) (api.ListOutcomesResponseObject, error) {
	q := r.Params
	req, err := pageRequest(q.Limit, q.Cursor, q.UpdatedSince)
	if err != nil {
		return nil, err
	}
	f := domain.OutcomeFilter{ParticipantID: q.ParticipantId, EnrolmentID: q.EnrolmentId, Destination: ptrOf(q.Destination, str[api.Destination]),
		Positive: q.Positive, SustainmentDueBefore: ptrOf(q.SustainmentDueBefore, dateIn), IncludeDeleted: ptrValue(q.IncludeDeleted)}
	if wantsCSV(ctx) {
		return s.outcomesCSV(ctx, f, req)
	}
	page, err := s.Outcomes.List(ctx, f, req)
	if err != nil {
		return nil, err
	}
	out := api.ListOutcomes200JSONResponse{Data: make([]api.Outcome, len(page.Items)), NextCursor: encodeCursor(page.Next)}
	for i, o := range page.Items {
		out.Data[i] = outcomeOut(o)
	}
	return out, nil
}

// CreateOutcome records where a participant went.
func (s *Server) CreateOutcome(ctx context.Context, r api.CreateOutcomeRequestObject) (api.CreateOutcomeResponseObject, error) {
	b := r.Body
	o, err := s.Outcomes.Create(ctx, domain.Outcome{ParticipantID: b.ParticipantId, EnrolmentID: b.EnrolmentId,
		Destination: string(b.Destination), Sector: ptrOf(b.Sector, str[api.Sector]), Employer: b.Employer, Role: b.Role,
		StartsOn: ptrOf(b.StartsOn, dateIn), ILRCode: b.IlrCode}, bodyFields(ctx))
	if err != nil {
		return nil, err
	}
	loc := "/v1/outcomes/" + o.ID.String()
	return api.CreateOutcome201JSONResponse{Body: outcomeOut(o), Headers: api.CreateOutcome201ResponseHeaders{ETag: etag(o.Version), Location: &loc}}, nil
}

// GetOutcome returns an outcome.
func (s *Server) GetOutcome(ctx context.Context, r api.GetOutcomeRequestObject) (api.GetOutcomeResponseObject, error) {
	o, err := s.Outcomes.Get(ctx, r.OutcomeId)
	if err != nil {
		return nil, err
	}
	return api.GetOutcome200JSONResponse{Body: outcomeOut(o), Headers: api.GetOutcome200ResponseHeaders{ETag: etag(o.Version)}}, nil
}

// UpdateOutcome applies a merge patch, such as a sustainment check.
func (s *Server) UpdateOutcome(ctx context.Context, r api.UpdateOutcomeRequestObject) (api.UpdateOutcomeResponseObject, error) {
	b := r.Body
	c := domain.OutcomeChange{Destination: ptrOf(b.Destination, str[api.Destination]), Sector: change(ctx, "sector", b.Sector, str[api.Sector]),
		Employer: change(ctx, "employer", b.Employer, same[string]), Role: change(ctx, "role", b.Role, same[string]),
		StartsOn: change(ctx, "starts_on", b.StartsOn, dateIn), ILRCode: b.IlrCode,
		Sustained3m: change(ctx, "sustained_3_months", b.Sustained3Months, checkIn), Sustained6m: change(ctx, "sustained_6_months", b.Sustained6Months, checkIn)}
	o, err := s.Outcomes.Update(ctx, r.OutcomeId, ifMatch(r.Params.IfMatch), c, bodyFields(ctx))
	if err != nil {
		return nil, err
	}
	return api.UpdateOutcome200JSONResponse{Body: outcomeOut(o), Headers: api.UpdateOutcome200ResponseHeaders{ETag: etag(o.Version)}}, nil
}

// DeleteOutcome leaves a tombstone.
func (s *Server) DeleteOutcome(ctx context.Context, r api.DeleteOutcomeRequestObject) (api.DeleteOutcomeResponseObject, error) {
	if err := s.Outcomes.Delete(ctx, r.OutcomeId, ifMatch(r.Params.IfMatch)); err != nil {
		return nil, err
	}
	return api.DeleteOutcome204Response{}, nil
}
