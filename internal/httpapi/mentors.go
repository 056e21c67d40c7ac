package httpapi

import (
	"context"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/domain"
)

func mentorOut(m domain.Mentor) api.Mentor {
	return api.Mentor{Id: m.ID, OrganisationId: m.OrganisationID, Kind: api.MentorKind(m.Kind),
		GivenName: m.GivenName, FamilyName: m.FamilyName,
		Email: m.Email, ParticipantId: m.ParticipantID,
		TrainedOn: ptrOf(m.TrainedOn, dateOut), Active: m.Active, Deleted: m.DeletedAt != nil,
		CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt, Version: m.Version}
}

// ListMentors lists the mentors within reach.
func (s *Server) ListMentors(ctx context.Context, r api.ListMentorsRequestObject) (api.ListMentorsResponseObject, error) {
	q := r.Params
	req, err := pageRequest(q.Limit, q.Cursor, q.UpdatedSince)
	if err != nil {
		return nil, err
	}
	page, err := s.Mentors.List(ctx, domain.MentorFilter{OrganisationID: q.OrganisationId, Kind: ptrOf(q.Kind, str[api.MentorKind]),
		Active: q.Active, IncludeDeleted: ptrValue(q.IncludeDeleted)}, req)
	if err != nil {
		return nil, err
	}
	out := api.ListMentors200JSONResponse{Data: make([]api.Mentor, len(page.Items)), NextCursor: encodeCursor(page.Next)}
	for i, m := range page.Items {
		out.Data[i] = mentorOut(m)
	}
	return out, nil
}

// CreateMentor records a mentor.
func (s *Server) CreateMentor(ctx context.Context, r api.CreateMentorRequestObject) (api.CreateMentorResponseObject, error) {
	b := r.Body
	m, err := s.Mentors.Create(ctx, domain.Mentor{OrganisationID: b.OrganisationId, Kind: string(b.Kind), GivenName: &b.GivenName,
		FamilyName: &b.FamilyName, Email: ptrOf(b.Email, str), TrainedOn: ptrOf(b.TrainedOn, dateIn)}, bodyFields(ctx))
	if err != nil {
		return nil, err
	}
	loc := "/v1/mentors/" + m.ID.String()
	return api.CreateMentor201JSONResponse{Body: mentorOut(m), Headers: api.CreateMentor201ResponseHeaders{ETag: etag(m.Version), Location: &loc}}, nil
}

// MakePeerMentor makes a peer mentor of a participant.
func (s *Server) MakePeerMentor(ctx context.Context, r api.MakePeerMentorRequestObject) (api.MakePeerMentorResponseObject, error) {
	m, err := s.Mentors.MakePeer(ctx, r.ParticipantId, ptrOf(r.Body.TrainedOn, dateIn))
	if err != nil {
		return nil, err
	}
	loc := "/v1/mentors/" + m.ID.String()
	return api.MakePeerMentor201JSONResponse{Body: mentorOut(m), Headers: api.MakePeerMentor201ResponseHeaders{ETag: etag(m.Version), Location: &loc}}, nil
}

// GetMentor returns a mentor.
func (s *Server) GetMentor(ctx context.Context, r api.GetMentorRequestObject) (api.GetMentorResponseObject, error) {
	m, err := s.Mentors.Get(ctx, r.MentorId)
	if err != nil {
		return nil, err
	}
	return api.GetMentor200JSONResponse{Body: mentorOut(m), Headers: api.GetMentor200ResponseHeaders{ETag: etag(m.Version)}}, nil
}

// UpdateMentor applies a merge patch.
func (s *Server) UpdateMentor(ctx context.Context, r api.UpdateMentorRequestObject) (api.UpdateMentorResponseObject, error) {
	b := r.Body
	c := domain.MentorChange{GivenName: b.GivenName, FamilyName: b.FamilyName, Email: change(ctx, "email", b.Email, str), TrainedOn: change(ctx, "trained_on", b.TrainedOn, dateIn), Active: b.Active}
	m, err := s.Mentors.Update(ctx, r.MentorId, ifMatch(r.Params.IfMatch), c, bodyFields(ctx))
	if err != nil {
		return nil, err
	}
	return api.UpdateMentor200JSONResponse{Body: mentorOut(m), Headers: api.UpdateMentor200ResponseHeaders{ETag: etag(m.Version)}}, nil
}

// DeleteMentor leaves a tombstone.
func (s *Server) DeleteMentor(ctx context.Context, r api.DeleteMentorRequestObject) (api.DeleteMentorResponseObject, error) {
	if err := s.Mentors.Delete(ctx, r.MentorId, ifMatch(r.Params.IfMatch)); err != nil {
		return nil, err
	}
	return api.DeleteMentor204Response{}, nil
}
