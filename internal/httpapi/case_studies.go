package httpapi

import (
	"context"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/domain"
)

func caseStudyOut(c domain.CaseStudy) api.CaseStudy {
	return api.CaseStudy{Id: c.ID, OrganisationId: c.OrganisationID, ProgrammeId: c.ProgrammeID, Title: c.Title,
		Summary: c.Summary, BodyMarkdown: c.BodyMarkdown, BodyHtml: c.BodyHTML, ParticipantId: c.ParticipantID,
		Status: api.CaseStudyStatus(c.Status), PublishedOn: ptrOf(c.PublishedOn, dateOut), ImageUrl: c.ImageURL,
		Deleted: c.DeletedAt != nil, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, Version: c.Version}
}

// ListCaseStudies lists the case studies within reach.
func (s *Server) ListCaseStudies(ctx context.Context, r api.ListCaseStudiesRequestObject) (api.ListCaseStudiesResponseObject, error) {
	q := r.Params
	req, err := pageRequest(q.Limit, q.Cursor, q.UpdatedSince)
	if err != nil {
		return nil, err
	}
	f := domain.CaseStudyFilter{OrganisationID: q.OrganisationId, ProgrammeID: q.ProgrammeId, ParticipantID: q.ParticipantId,
		Status:         ptrOf(q.Status, func(v api.CaseStudyStatus) domain.CaseStudyStatus { return domain.CaseStudyStatus(v) }),
		IncludeDeleted: ptrValue(q.IncludeDeleted)}
	page, err := s.CaseStudies.List(ctx, f, req)
	if err != nil {
		return nil, err
	}
	out := api.ListCaseStudies200JSONResponse{Data: make([]api.CaseStudy, len(page.Items)), NextCursor: encodeCursor(page.Next)}
	for i, c := range page.Items {
		out.Data[i] = caseStudyOut(c)
	}
	return out, nil
}

// CreateCaseStudy writes a case study.
func (s *Server) CreateCaseStudy(ctx context.Context, r api.CreateCaseStudyRequestObject) (api.CreateCaseStudyResponseObject, error) {
	b := r.Body
	c, err := s.CaseStudies.Create(ctx, domain.CaseStudy{OrganisationID: b.OrganisationId, ProgrammeID: b.ProgrammeId,
		Title: b.Title, Summary: b.Summary, BodyMarkdown: b.BodyMarkdown, ParticipantID: b.ParticipantId,
		Status: domain.CaseStudyStatus(ptrValue(b.Status)), ImageURL: b.ImageUrl}, bodyFields(ctx))
	if err != nil {
		return nil, err
	}
	loc := "/v1/case-studies/" + c.ID.String()
	return api.CreateCaseStudy201JSONResponse{Body: caseStudyOut(c),
		Headers: api.CreateCaseStudy201ResponseHeaders{ETag: etag(c.Version), Location: &loc}}, nil
}

// GetCaseStudy returns a case study.
func (s *Server) GetCaseStudy(ctx context.Context, r api.GetCaseStudyRequestObject) (api.GetCaseStudyResponseObject, error) {
	c, err := s.CaseStudies.Get(ctx, r.CaseStudyId)
	if err != nil {
		return nil, err
	}
	return api.GetCaseStudy200JSONResponse{Body: caseStudyOut(c), Headers: api.GetCaseStudy200ResponseHeaders{ETag: etag(c.Version)}}, nil
}

// UpdateCaseStudy applies a merge patch.
func (s *Server) UpdateCaseStudy(ctx context.Context, r api.UpdateCaseStudyRequestObject) (api.UpdateCaseStudyResponseObject, error) {
	b := r.Body
	ch := domain.CaseStudyChange{ProgrammeID: b.ProgrammeId, Title: b.Title, Summary: b.Summary, BodyMarkdown: b.BodyMarkdown,
		ParticipantID: change(ctx, "participant_id", b.ParticipantId, same[uuid.UUID]),
		Status:        ptrOf(b.Status, func(v api.CaseStudyStatus) domain.CaseStudyStatus { return domain.CaseStudyStatus(v) }),
		ImageURL:      change(ctx, "image_url", b.ImageUrl, same[string])}
	c, err := s.CaseStudies.Update(ctx, r.CaseStudyId, ifMatch(r.Params.IfMatch), ch, bodyFields(ctx))
	if err != nil {
		return nil, err
	}
	return api.UpdateCaseStudy200JSONResponse{Body: caseStudyOut(c), Headers: api.UpdateCaseStudy200ResponseHeaders{ETag: etag(c.Version)}}, nil
}

// PublishCaseStudy puts a case study in the public directory.
func (s *Server) PublishCaseStudy(ctx context.Context, r api.PublishCaseStudyRequestObject) (api.PublishCaseStudyResponseObject, error) {
	c, err := s.CaseStudies.Publish(ctx, r.CaseStudyId, ifMatch(r.Params.IfMatch))
	if err != nil {
		return nil, err
	}
	return api.PublishCaseStudy200JSONResponse{Body: caseStudyOut(c), Headers: api.PublishCaseStudy200ResponseHeaders{ETag: etag(c.Version)}}, nil
}

// DeleteCaseStudy leaves a tombstone.
func (s *Server) DeleteCaseStudy(ctx context.Context, r api.DeleteCaseStudyRequestObject) (api.DeleteCaseStudyResponseObject, error) {
	if err := s.CaseStudies.Delete(ctx, r.CaseStudyId, ifMatch(r.Params.IfMatch)); err != nil {
		return nil, err
	}
	return api.DeleteCaseStudy204Response{}, nil
}
