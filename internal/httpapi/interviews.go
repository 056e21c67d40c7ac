package httpapi

import (
	"context"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/domain"
)

func interviewOut(i domain.Interview) api.Interview {
	return api.Interview{Id: i.ID, OrganisationId: i.OrganisationID, VacancyId: i.VacancyID, ParticipantId: i.ParticipantID,
		EnrolmentId: i.EnrolmentID, HeldOn: dateOut(i.HeldOn), Result: api.InterviewResult(i.Result),
		Deleted: i.DeletedAt != nil, CreatedAt: i.CreatedAt, UpdatedAt: i.UpdatedAt, Version: i.Version}
}

// ListInterviews lists the interviews within reach.
func (s *Server) ListInterviews(ctx context.Context, r api.ListInterviewsRequestObject) (api.ListInterviewsResponseObject, error) {
	q := r.Params
	req, err := pageRequest(q.Limit, q.Cursor, q.UpdatedSince)
	if err != nil {
		return nil, err
	}
	page, err := s.Interviews.List(ctx, domain.InterviewFilter{VacancyID: q.VacancyId, ParticipantID: q.ParticipantId,
		Result: ptrOf(q.Result, str[api.InterviewResult]), IncludeDeleted: ptrValue(q.IncludeDeleted)}, req)
	if err != nil {
		return nil, err
	}
	out := api.ListInterviews200JSONResponse{Data: make([]api.Interview, len(page.Items)), NextCursor: encodeCursor(page.Next)}
	for i, v := range page.Items {
		out.Data[i] = interviewOut(v)
	}
	return out, nil
}

// CreateInterview records an interview.
func (s *Server) CreateInterview(ctx context.Context, r api.CreateInterviewRequestObject) (api.CreateInterviewResponseObject, error) {
	b := r.Body
	i, err := s.Interviews.Create(ctx, domain.Interview{VacancyID: b.VacancyId, ParticipantID: b.ParticipantId, EnrolmentID: b.EnrolmentId,
		HeldOn: b.HeldOn.Time, Result: string(ptrValue(b.Result))}, bodyFields(ctx))
	if err != nil {
		return nil, err
	}
	loc := "/v1/interviews/" + i.ID.String()
	return api.CreateInterview201JSONResponse{Body: interviewOut(i), Headers: api.CreateInterview201ResponseHeaders{ETag: etag(i.Version), Location: &loc}}, nil
}

// GetInterview returns an interview.
func (s *Server) GetInterview(ctx context.Context, r api.GetInterviewRequestObject) (api.GetInterviewResponseObject, error) {
	i, err := s.Interviews.Get(ctx, r.InterviewId)
	if err != nil {
		return nil, err
	}
	return api.GetInterview200JSONResponse{Body: interviewOut(i), Headers: api.GetInterview200ResponseHeaders{ETag: etag(i.Version)}}, nil
}

// UpdateInterview records a result.
func (s *Server) UpdateInterview(ctx context.Context, r api.UpdateInterviewRequestObject) (api.UpdateInterviewResponseObject, error) {
	b := r.Body
	i, err := s.Interviews.Update(ctx, r.InterviewId, ifMatch(r.Params.IfMatch), ptrOf(b.HeldOn, dateIn), ptrOf(b.Result, str[api.InterviewResult]), bodyFields(ctx))
	if err != nil {
		return nil, err
	}
	return api.UpdateInterview200JSONResponse{Body: interviewOut(i), Headers: api.UpdateInterview200ResponseHeaders{ETag: etag(i.Version)}}, nil
}

// DeleteInterview leaves a tombstone.
func (s *Server) DeleteInterview(ctx context.Context, r api.DeleteInterviewRequestObject) (api.DeleteInterviewResponseObject, error) {
	if err := s.Interviews.Delete(ctx, r.InterviewId, ifMatch(r.Params.IfMatch)); err != nil {
		return nil, err
	}
	return api.DeleteInterview204Response{}, nil
}
