package httpapi

import (
	"context"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/civil"
	"github.com/p4w-nhs/p4w/internal/domain"
)

func mentorOut(m domain.Mentor) api.Mentor {
	return api.Mentor{Id: m.ID, OrganisationId: m.OrganisationID, Kind: api.MentorKind(m.Kind),
		GivenName: m.GivenName, FamilyName: m.FamilyName,
		Email: m.Email, ParticipantId: m.ParticipantID,
		TrainedOn: ptrOf(m.TrainedOn, dateOut), Active: m.Active, Deleted: m.DeletedAt != nil,
		CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt, Version: m.Version}
}

func matchOut(m domain.MentoringMatch) api.MentoringMatch {
	return api.MentoringMatch{Id: m.ID, OrganisationId: m.OrganisationID, MentorId: m.MentorID, ParticipantId: m.ParticipantID,
		EnrolmentId: m.EnrolmentID, StartsOn: dateOut(m.StartsOn), PlannedEndOn: dateOut(m.PlannedEndOn),
		EndedOn: ptrOf(m.EndedOn, dateOut), Status: api.MatchStatus(m.Status), EndReason: m.EndReason,
		Deleted: m.DeletedAt != nil, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt, Version: m.Version}
}

// ListMentors lists the mentors within reach.
func (s *Server) ListMentors(ctx context.Context, r api.ListMentorsRequestObject) (api.ListMentorsResponseObject, error) {
	q := r.Params
	req, err := pageRequest(q.Limit, q.Cursor, q.UpdatedSince)
	if err != nil {
		return nil, err
	}
	page, err := s.Mentoring.ListMentors(ctx, domain.MentorFilter{OrganisationID: q.OrganisationId, Kind: ptrOf(q.Kind, str[api.MentorKind]),
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
	m, err := s.Mentoring.CreateMentor(ctx, domain.Mentor{OrganisationID: b.OrganisationId, Kind: string(b.Kind), GivenName: &b.GivenName,
		FamilyName: &b.FamilyName, Email: ptrOf(b.Email, str), TrainedOn: ptrOf(b.TrainedOn, dateIn)}, bodyFields(ctx))
	if err != nil {
		return nil, err
	}
	loc := "/v1/mentors/" + m.ID.String()
	return api.CreateMentor201JSONResponse{Body: mentorOut(m), Headers: api.CreateMentor201ResponseHeaders{ETag: etag(m.Version), Location: &loc}}, nil
}

// MakePeerMentor makes a peer mentor of a participant.
func (s *Server) MakePeerMentor(ctx context.Context, r api.MakePeerMentorRequestObject) (api.MakePeerMentorResponseObject, error) {
	m, err := s.Mentoring.MakePeerMentor(ctx, r.ParticipantId, ptrOf(r.Body.TrainedOn, dateIn))
	if err != nil {
		return nil, err
	}
	loc := "/v1/mentors/" + m.ID.String()
	return api.MakePeerMentor201JSONResponse{Body: mentorOut(m), Headers: api.MakePeerMentor201ResponseHeaders{ETag: etag(m.Version), Location: &loc}}, nil
}

// GetMentor returns a mentor.
func (s *Server) GetMentor(ctx context.Context, r api.GetMentorRequestObject) (api.GetMentorResponseObject, error) {
	m, err := s.Mentoring.GetMentor(ctx, r.MentorId)
	if err != nil {
		return nil, err
	}
	return api.GetMentor200JSONResponse{Body: mentorOut(m), Headers: api.GetMentor200ResponseHeaders{ETag: etag(m.Version)}}, nil
}

// UpdateMentor applies a merge patch.
func (s *Server) UpdateMentor(ctx context.Context, r api.UpdateMentorRequestObject) (api.UpdateMentorResponseObject, error) {
	b := r.Body
	c := domain.MentorChange{GivenName: b.GivenName, FamilyName: b.FamilyName, Email: change(ctx, "email", b.Email, str), TrainedOn: change(ctx, "trained_on", b.TrainedOn, dateIn), Active: b.Active}
	m, err := s.Mentoring.UpdateMentor(ctx, r.MentorId, ifMatch(r.Params.IfMatch), c, bodyFields(ctx))
	if err != nil {
		return nil, err
	}
	return api.UpdateMentor200JSONResponse{Body: mentorOut(m), Headers: api.UpdateMentor200ResponseHeaders{ETag: etag(m.Version)}}, nil
}

// DeleteMentor leaves a tombstone.
func (s *Server) DeleteMentor(ctx context.Context, r api.DeleteMentorRequestObject) (api.DeleteMentorResponseObject, error) {
	if err := s.Mentoring.DeleteMentor(ctx, r.MentorId, ifMatch(r.Params.IfMatch)); err != nil {
		return nil, err
	}
	return api.DeleteMentor204Response{}, nil
}

// ListMentoringMatches lists the matches within reach.
func (s *Server) ListMentoringMatches(ctx context.Context, r api.ListMentoringMatchesRequestObject) (api.ListMentoringMatchesResponseObject, error) {
	q := r.Params
	req, err := pageRequest(q.Limit, q.Cursor, q.UpdatedSince)
	if err != nil {
		return nil, err
	}
	page, err := s.Mentoring.ListMatches(ctx, domain.MatchFilter{MentorID: q.MentorId, ParticipantID: q.ParticipantId,
		Status: ptrOf(q.Status, str[api.MatchStatus]), IncludeDeleted: ptrValue(q.IncludeDeleted)}, req)
	if err != nil {
		return nil, err
	}
	out := api.ListMentoringMatches200JSONResponse{Data: make([]api.MentoringMatch, len(page.Items)), NextCursor: encodeCursor(page.Next)}
	for i, m := range page.Items {
		out.Data[i] = matchOut(m)
	}
	return out, nil
}

// CreateMentoringMatch matches a mentor to a participant.
func (s *Server) CreateMentoringMatch(ctx context.Context, r api.CreateMentoringMatchRequestObject) (api.CreateMentoringMatchResponseObject, error) {
	b := r.Body
	m, err := s.Mentoring.CreateMatch(ctx, domain.MentoringMatch{MentorID: b.MentorId, ParticipantID: b.ParticipantId, EnrolmentID: b.EnrolmentId,
		StartsOn: b.StartsOn.Time, PlannedEndOn: b.PlannedEndOn.Time}, bodyFields(ctx))
	if err != nil {
		return nil, err
	}
	loc := "/v1/mentoring-matches/" + m.ID.String()
	return api.CreateMentoringMatch201JSONResponse{Body: matchOut(m), Headers: api.CreateMentoringMatch201ResponseHeaders{ETag: etag(m.Version), Location: &loc}}, nil
}

// GetMentoringMatch returns a match.
func (s *Server) GetMentoringMatch(ctx context.Context, r api.GetMentoringMatchRequestObject) (api.GetMentoringMatchResponseObject, error) {
	m, err := s.Mentoring.GetMatch(ctx, r.MatchId)
	if err != nil {
		return nil, err
	}
	return api.GetMentoringMatch200JSONResponse{Body: matchOut(m), Headers: api.GetMentoringMatch200ResponseHeaders{ETag: etag(m.Version)}}, nil
}

// UpdateMentoringMatch applies a merge patch.
func (s *Server) UpdateMentoringMatch(ctx context.Context, r api.UpdateMentoringMatchRequestObject) (api.UpdateMentoringMatchResponseObject, error) {
	b := r.Body
	c := domain.MatchChange{PlannedEndOn: ptrOf(b.PlannedEndOn, dateIn), Status: ptrOf(b.Status, str[api.MatchStatus]),
		EndedOn: change(ctx, "ended_on", b.EndedOn, dateIn), EndReason: change(ctx, "end_reason", b.EndReason, same[string])}
	m, err := s.Mentoring.UpdateMatch(ctx, r.MatchId, ifMatch(r.Params.IfMatch), c, bodyFields(ctx))
	if err != nil {
		return nil, err
	}
	return api.UpdateMentoringMatch200JSONResponse{Body: matchOut(m), Headers: api.UpdateMentoringMatch200ResponseHeaders{ETag: etag(m.Version)}}, nil
}

// DeleteMentoringMatch leaves a tombstone.
func (s *Server) DeleteMentoringMatch(ctx context.Context, r api.DeleteMentoringMatchRequestObject) (api.DeleteMentoringMatchResponseObject, error) {
	if err := s.Mentoring.DeleteMatch(ctx, r.MatchId, ifMatch(r.Params.IfMatch)); err != nil {
		return nil, err
	}
	return api.DeleteMentoringMatch204Response{}, nil
}

func checkInOut(c domain.CheckIn) api.CheckIn {
	return api.CheckIn{Id: c.ID, MatchId: c.MatchID, OrganisationId: c.OrganisationID, HeldOn: dateOut(c.HeldOn), Minutes: c.Minutes,
		Mode: api.CheckInMode(c.Mode), CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, Version: c.Version}
}

// ListCheckIns lists a match's check-ins.
func (s *Server) ListCheckIns(ctx context.Context, r api.ListCheckInsRequestObject) (api.ListCheckInsResponseObject, error) {
	req, err := pageRequest(r.Params.Limit, r.Params.Cursor, r.Params.UpdatedSince)
	if err != nil {
		return nil, err
	}
	page, err := s.Mentoring.ListCheckIns(ctx, r.MatchId, req)
	if err != nil {
		return nil, err
	}
	out := api.ListCheckIns200JSONResponse{Data: make([]api.CheckIn, len(page.Items)), NextCursor: encodeCursor(page.Next)}
	for i, c := range page.Items {
		out.Data[i] = checkInOut(c)
	}
	return out, nil
}

// CreateCheckIn records a check-in.
func (s *Server) CreateCheckIn(ctx context.Context, r api.CreateCheckInRequestObject) (api.CreateCheckInResponseObject, error) {
	b := r.Body
	c, err := s.Mentoring.CreateCheckIn(ctx, r.MatchId, domain.CheckIn{HeldOn: b.HeldOn.Time, Minutes: b.Minutes, Mode: string(b.Mode)})
	if err != nil {
		return nil, err
	}
	loc := "/v1/mentoring-matches/" + r.MatchId.String() + "/check-ins"
	return api.CreateCheckIn201JSONResponse{Body: checkInOut(c), Headers: api.CreateCheckIn201ResponseHeaders{ETag: etag(c.Version), Location: &loc}}, nil
}

// GetParticipantTimeline returns what happened to a participant, in date order.
func (s *Server) GetParticipantTimeline(ctx context.Context, r api.GetParticipantTimelineRequestObject) (api.GetParticipantTimelineResponseObject, error) {
	events, err := s.Timeline.Of(ctx, r.ParticipantId)
	if err != nil {
		return nil, err
	}
	out := api.Timeline{ParticipantId: r.ParticipantId, Events: make([]api.TimelineEvent, len(events))}
	for i, e := range events {
		out.Events[i] = api.TimelineEvent{On: civil.Date{Time: e.On}, Kind: e.Kind,
			ResourceType: api.TimelineEventResourceType(e.ResourceType), ResourceId: e.ResourceID, Summary: e.Summary}
	}
	return api.GetParticipantTimeline200JSONResponse{Body: out}, nil
}
