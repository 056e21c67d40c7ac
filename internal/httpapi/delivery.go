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
		FundingAwardRef: c.FundingAwardRef, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, Version: c.Version}
}

func enrolmentOut(e domain.Enrolment) api.Enrolment {
	history := make([]api.EnrolmentEvent, len(e.History))
	for i, h := range e.History {
		history[i] = api.EnrolmentEvent{Status: api.EnrolmentStatus(h.Status), On: dateOut(h.On), Actor: h.Actor, At: h.At}
	}
	return api.Enrolment{Id: e.ID, CohortId: e.CohortID, ParticipantId: e.ParticipantID, OrganisationId: e.OrganisationID,
		Status: api.EnrolmentStatus(e.Status), ReferredOn: ptrOf(e.ReferredOn, dateOut), EnrolledOn: ptrOf(e.EnrolledOn, dateOut),
		StartedOn: ptrOf(e.StartedOn, dateOut), CompletedOn: ptrOf(e.CompletedOn, dateOut),
		WithdrawnOn: ptrOf(e.WithdrawnOn, dateOut), WithdrawalReason: e.WithdrawalReason,
		EligibilityOverrideReason: e.EligibilityOverrideReason, History: history,
		CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt, Version: e.Version}
}

// ListCohorts lists the cohorts within reach.
func (s *Server) ListCohorts(ctx context.Context, r api.ListCohortsRequestObject) (api.ListCohortsResponseObject, error) {
	q := r.Params
	req, err := pageRequest(q.Limit, q.Cursor, q.UpdatedSince)
	if err != nil {
		return nil, err
	}
	f := domain.CohortFilter{ProgrammeID: q.ProgrammeId, OrganisationID: q.OrganisationId, Status: ptrOf(q.Status, str[api.CohortStatus]),
		StartsFrom: ptrOf(q.StartsFrom, dateIn), StartsTo: ptrOf(q.StartsTo, dateIn)}
	page, err := s.Delivery.ListCohorts(ctx, f, req)
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
	c, err := s.Delivery.CreateCohort(ctx, domain.Cohort{ProgrammeID: b.ProgrammeId, OrganisationID: b.OrganisationId, Name: b.Name,
		StartsOn: b.StartsOn.Time, EndsOn: b.EndsOn.Time, Capacity: b.Capacity, RoleAreas: roleAreasIn(b.RoleAreas),
		DeliveryPartnerID: b.DeliveryPartnerId, FundingAwardRef: b.FundingAwardRef}, bodyFields(ctx))
	if err != nil {
		return nil, err
	}
	loc := "/v1/cohorts/" + c.ID.String()
	return api.CreateCohort201JSONResponse{Body: cohortOut(c), Headers: api.CreateCohort201ResponseHeaders{ETag: etag(c.Version), Location: &loc}}, nil
}

// GetCohort returns a cohort.
func (s *Server) GetCohort(ctx context.Context, r api.GetCohortRequestObject) (api.GetCohortResponseObject, error) {
	c, err := s.Delivery.GetCohort(ctx, r.CohortId)
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
		DeliveryPartnerID: change(ctx, "delivery_partner_id", b.DeliveryPartnerId, same), FundingAwardRef: change(ctx, "funding_award_ref", b.FundingAwardRef, same[string])}
	c, err := s.Delivery.UpdateCohort(ctx, r.CohortId, ifMatch(r.Params.IfMatch), ch, bodyFields(ctx))
	if err != nil {
		return nil, err
	}
	return api.UpdateCohort200JSONResponse{Body: cohortOut(c), Headers: api.UpdateCohort200ResponseHeaders{ETag: etag(c.Version)}}, nil
}

// ListEnrolments lists the enrolments within reach.
func (s *Server) ListEnrolments(ctx context.Context, r api.ListEnrolmentsRequestObject) (api.ListEnrolmentsResponseObject, error) {
	q := r.Params
	req, err := pageRequest(q.Limit, q.Cursor, q.UpdatedSince)
	if err != nil {
		return nil, err
	}
	f := domain.EnrolmentFilter{CohortID: q.CohortId, ParticipantID: q.ParticipantId, Status: ptrOf(q.Status, str[api.EnrolmentStatus])}
	page, err := s.Delivery.ListEnrolments(ctx, f, req)
	if err != nil {
		return nil, err
	}
	out := api.ListEnrolments200JSONResponse{Data: make([]api.Enrolment, len(page.Items)), NextCursor: encodeCursor(page.Next)}
	for i, e := range page.Items {
		out.Data[i] = enrolmentOut(e)
	}
	return out, nil
}

// CreateEnrolment refers or enrols a participant.
func (s *Server) CreateEnrolment(ctx context.Context, r api.CreateEnrolmentRequestObject) (api.CreateEnrolmentResponseObject, error) {
	b := r.Body
	status := domain.Referred
	if b.Status != nil {
		status = string(*b.Status)
	}
	e, err := s.Delivery.Enrol(ctx, b.CohortId, b.ParticipantId, status, ptrOf(b.On, dateIn), b.EligibilityOverrideReason)
	if err != nil {
		return nil, err
	}
	loc := "/v1/enrolments/" + e.ID.String()
	return api.CreateEnrolment201JSONResponse{Body: enrolmentOut(e), Headers: api.CreateEnrolment201ResponseHeaders{ETag: etag(e.Version), Location: &loc}}, nil
}

// GetEnrolment returns an enrolment.
func (s *Server) GetEnrolment(ctx context.Context, r api.GetEnrolmentRequestObject) (api.GetEnrolmentResponseObject, error) {
	e, err := s.Delivery.GetEnrolment(ctx, r.EnrolmentId)
	if err != nil {
		return nil, err
	}
	return api.GetEnrolment200JSONResponse{Body: enrolmentOut(e), Headers: api.GetEnrolment200ResponseHeaders{ETag: etag(e.Version)}}, nil
}

// TransitionEnrolment moves an enrolment along its lifecycle.
func (s *Server) TransitionEnrolment(ctx context.Context, r api.TransitionEnrolmentRequestObject) (api.TransitionEnrolmentResponseObject, error) {
	b := r.Body
	e, err := s.Delivery.Transition(ctx, r.EnrolmentId, ifMatch(r.Params.IfMatch), string(b.To), ptrOf(b.On, dateIn), b.Reason, b.EligibilityOverrideReason)
	if err != nil {
		return nil, err
	}
	return api.TransitionEnrolment200JSONResponse{Body: enrolmentOut(e), Headers: api.TransitionEnrolment200ResponseHeaders{ETag: etag(e.Version)}}, nil
}
