package httpapi

import (
	"context"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/domain"
)

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

// ListEnrolments lists the enrolments within reach.
func (s *Server) ListEnrolments(ctx context.Context, r api.ListEnrolmentsRequestObject) (api.ListEnrolmentsResponseObject, error) {
	q := r.Params
	req, err := pageRequest(q.Limit, q.Cursor, q.UpdatedSince)
	if err != nil {
		return nil, err
	}
	f := domain.EnrolmentFilter{CohortID: q.CohortId, ParticipantID: q.ParticipantId, Status: ptrOf(q.Status, str[api.EnrolmentStatus])}
	if wantsCSV(ctx) {
		return s.enrolmentsCSV(ctx, f, req)
	}
	page, err := s.Enrolments.List(ctx, f, req)
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
	e, err := s.Enrolments.Create(ctx, b.CohortId, b.ParticipantId, status, ptrOf(b.On, dateIn), b.EligibilityOverrideReason)
	if err != nil {
		return nil, err
	}
	loc := "/v1/enrolments/" + e.ID.String()
	return api.CreateEnrolment201JSONResponse{Body: enrolmentOut(e), Headers: api.CreateEnrolment201ResponseHeaders{ETag: etag(e.Version), Location: &loc}}, nil
}

// GetEnrolment returns an enrolment.
func (s *Server) GetEnrolment(ctx context.Context, r api.GetEnrolmentRequestObject) (api.GetEnrolmentResponseObject, error) {
	e, err := s.Enrolments.Get(ctx, r.EnrolmentId)
	if err != nil {
		return nil, err
	}
	return api.GetEnrolment200JSONResponse{Body: enrolmentOut(e), Headers: api.GetEnrolment200ResponseHeaders{ETag: etag(e.Version)}}, nil
}

// TransitionEnrolment moves an enrolment along its lifecycle.
func (s *Server) TransitionEnrolment(ctx context.Context, r api.TransitionEnrolmentRequestObject) (api.TransitionEnrolmentResponseObject, error) {
	b := r.Body
	e, err := s.Enrolments.Transition(ctx, r.EnrolmentId, ifMatch(r.Params.IfMatch), string(b.To), ptrOf(b.On, dateIn), b.Reason, b.EligibilityOverrideReason)
	if err != nil {
		return nil, err
	}
	return api.TransitionEnrolment200JSONResponse{Body: enrolmentOut(e), Headers: api.TransitionEnrolment200ResponseHeaders{ETag: etag(e.Version)}}, nil
}
