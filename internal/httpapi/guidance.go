package httpapi

import (
	"context"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/domain"
)

func linksOut(links []domain.Link) []api.GuidanceLink {
	out := make([]api.GuidanceLink, len(links))
	for i, l := range links {
		out[i] = api.GuidanceLink{Title: l.Title, Url: l.URL}
	}
	return out
}

func linksIn(links []api.GuidanceLink) []domain.Link {
	out := make([]domain.Link, len(links))
	for i, l := range links {
		out[i] = domain.Link{Title: l.Title, URL: l.Url}
	}
	return out
}

func guidanceOut(g domain.Guidance) api.Guidance {
	return api.Guidance{Id: g.ID, Title: g.Title, Audience: api.GuidanceAudience(g.Audience), Topic: g.Topic,
		BodyMarkdown: g.BodyMarkdown, BodyHtml: g.BodyHTML, Links: linksOut(g.Links), Deleted: g.DeletedAt != nil,
		CreatedAt: g.CreatedAt, UpdatedAt: g.UpdatedAt, Version: g.Version}
}

func audienceIn(a api.GuidanceAudience) domain.GuidanceAudience { return domain.GuidanceAudience(a) }

// ListGuidance lists guidance.
func (s *Server) ListGuidance(ctx context.Context, r api.ListGuidanceRequestObject) (api.ListGuidanceResponseObject, error) {
	q := r.Params
	req, err := pageRequest(q.Limit, q.Cursor, q.UpdatedSince)
	if err != nil {
		return nil, err
	}
	page, err := s.Guidance.List(ctx, domain.GuidanceFilter{Audience: ptrOf(q.Audience, audienceIn), Topic: q.Topic,
		IncludeDeleted: ptrValue(q.IncludeDeleted)}, req)
	if err != nil {
		return nil, err
	}
	out := api.ListGuidance200JSONResponse{Data: make([]api.Guidance, len(page.Items)), NextCursor: encodeCursor(page.Next)}
	for i, g := range page.Items {
		out.Data[i] = guidanceOut(g)
	}
	return out, nil
}

// CreateGuidance writes an entry of guidance.
func (s *Server) CreateGuidance(ctx context.Context, r api.CreateGuidanceRequestObject) (api.CreateGuidanceResponseObject, error) {
	b := r.Body
	g, err := s.Guidance.Create(ctx, domain.Guidance{Title: b.Title, Audience: audienceIn(b.Audience), Topic: b.Topic,
		BodyMarkdown: b.BodyMarkdown, Links: linksIn(ptrValue(b.Links))}, bodyFields(ctx))
	if err != nil {
		return nil, err
	}
	loc := "/v1/guidance/" + g.ID.String()
	return api.CreateGuidance201JSONResponse{Body: guidanceOut(g),
		Headers: api.CreateGuidance201ResponseHeaders{ETag: etag(g.Version), Location: &loc}}, nil
}

// GetGuidance returns an entry of guidance.
func (s *Server) GetGuidance(ctx context.Context, r api.GetGuidanceRequestObject) (api.GetGuidanceResponseObject, error) {
	g, err := s.Guidance.Get(ctx, r.GuidanceId)
	if err != nil {
		return nil, err
	}
	return api.GetGuidance200JSONResponse{Body: guidanceOut(g), Headers: api.GetGuidance200ResponseHeaders{ETag: etag(g.Version)}}, nil
}

// UpdateGuidance applies a merge patch.
func (s *Server) UpdateGuidance(ctx context.Context, r api.UpdateGuidanceRequestObject) (api.UpdateGuidanceResponseObject, error) {
	b := r.Body
	c := domain.GuidanceChange{Title: b.Title, Audience: ptrOf(b.Audience, audienceIn), Topic: b.Topic, BodyMarkdown: b.BodyMarkdown,
		Links: ptrOf(b.Links, linksIn)}
	g, err := s.Guidance.Update(ctx, r.GuidanceId, ifMatch(r.Params.IfMatch), c, bodyFields(ctx))
	if err != nil {
		return nil, err
	}
	return api.UpdateGuidance200JSONResponse{Body: guidanceOut(g), Headers: api.UpdateGuidance200ResponseHeaders{ETag: etag(g.Version)}}, nil
}

// DeleteGuidance leaves a tombstone.
func (s *Server) DeleteGuidance(ctx context.Context, r api.DeleteGuidanceRequestObject) (api.DeleteGuidanceResponseObject, error) {
	if err := s.Guidance.Delete(ctx, r.GuidanceId, ifMatch(r.Params.IfMatch)); err != nil {
		return nil, err
	}
	return api.DeleteGuidance204Response{}, nil
}
