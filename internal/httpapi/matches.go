package httpapi

import (
	"context"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/domain"
)

func matchOut(m domain.MentoringMatch) api.MentoringMatch {
	return api.MentoringMatch{Id: m.ID, OrganisationId: m.OrganisationID, MentorId: m.MentorID, ParticipantId: m.ParticipantID,
		EnrolmentId: m.EnrolmentID, StartsOn: dateOut(m.StartsOn), PlannedEndOn: dateOut(m.PlannedEndOn),
		EndedOn: ptrOf(m.EndedOn, dateOut), Status: api.MatchStatus(m.Status), EndReason: m.EndReason,
		Deleted: m.DeletedAt != nil, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt, Version: m.Version}
}

// ListMentoringMatches lists the matches within reach.
func (s *Server) ListMentoringMatches(ctx context.Context, r api.ListMentoringMatchesRequestObject) (api.ListMentoringMatchesResponseObject, error) {
	q := r.Params
	req, err := pageRequest(q.Limit, q.Cursor, q.UpdatedSince)
	if err != nil {
		return nil, err
	}
	f := domain.MatchFilter{MentorID: q.MentorId, ParticipantID: q.ParticipantId,
		Status: ptrOf(q.Status, str[api.MatchStatus]), IncludeDeleted: ptrValue(q.IncludeDeleted)}
	if wantsCSV(ctx) {
		return s.matchesCSV(ctx, f, req)
	}
	page, err := s.Matches.List(ctx, f, req)
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
	m, err := s.Matches.Create(ctx, domain.MentoringMatch{MentorID: b.MentorId, ParticipantID: b.ParticipantId, EnrolmentID: b.EnrolmentId,
		StartsOn: b.StartsOn.Time, PlannedEndOn: b.PlannedEndOn.Time}, bodyFields(ctx))
	if err != nil {
		return nil, err
	}
	loc := "/v1/mentoring-matches/" + m.ID.String()
	return api.CreateMentoringMatch201JSONResponse{Body: matchOut(m), Headers: api.CreateMentoringMatch201ResponseHeaders{ETag: etag(m.Version), Location: &loc}}, nil
}

// GetMentoringMatch returns a match.
func (s *Server) GetMentoringMatch(ctx context.Context, r api.GetMentoringMatchRequestObject) (api.GetMentoringMatchResponseObject, error) {
	m, err := s.Matches.Get(ctx, r.MatchId)
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
	m, err := s.Matches.Update(ctx, r.MatchId, ifMatch(r.Params.IfMatch), c, bodyFields(ctx))
	if err != nil {
		return nil, err
	}
	return api.UpdateMentoringMatch200JSONResponse{Body: matchOut(m), Headers: api.UpdateMentoringMatch200ResponseHeaders{ETag: etag(m.Version)}}, nil
}

// DeleteMentoringMatch leaves a tombstone.
func (s *Server) DeleteMentoringMatch(ctx context.Context, r api.DeleteMentoringMatchRequestObject) (api.DeleteMentoringMatchResponseObject, error) {
	if err := s.Matches.Delete(ctx, r.MatchId, ifMatch(r.Params.IfMatch)); err != nil {
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
	page, err := s.Matches.ListCheckIns(ctx, r.MatchId, req)
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
	c, err := s.Matches.CreateCheckIn(ctx, r.MatchId, domain.CheckIn{HeldOn: b.HeldOn.Time, Minutes: b.Minutes, Mode: string(b.Mode)})
	if err != nil {
		return nil, err
	}
	loc := "/v1/mentoring-matches/" + r.MatchId.String() + "/check-ins"
	return api.CreateCheckIn201JSONResponse{Body: checkInOut(c), Headers: api.CreateCheckIn201ResponseHeaders{ETag: etag(c.Version), Location: &loc}}, nil
}
