package httpapi

import (
	"bytes"
	"context"
	_ "embed"
	"html/template"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/domain"
)

// publicPrefixes are the paths of the public directories: anyone reads them with no token,
// from any web page. The contract makes their operations public (security: []); the server
// answers them with Access-Control-Allow-Origin: * and limits them per client address. A new
// public directory adds its prefix here.
var publicPrefixes = []string{"/public/", "/directory/"}

// isPublic reports whether a request is for a public directory.
func isPublic(c echo.Context) bool {
	p := c.Request().URL.Path
	for _, prefix := range publicPrefixes {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	return false
}

// htmlPageCSP lets a directory's HTML page show its own styles and https images, and nothing
// else: no script, no frame, no form. The bodies are sanitised already; this is the second lock.
const htmlPageCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src https:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// defaultPublicRatePerMinute is the public directories' limit per client address when the
// configuration sets none: a person browsing never meets it, a scraper soon does.
const defaultPublicRatePerMinute = 300

// publicAccess opens the public directories to every origin and limits each client address to
// perMinute requests (with a burst), so that the unauthenticated endpoints cannot be used to
// load the database. Browsers need no preflight: the directories take only simple GETs.
func publicAccess(perMinute, burst int) echo.MiddlewareFunc {
	if perMinute <= 0 {
		perMinute = defaultPublicRatePerMinute
	}
	limit := limitPerAddress(perMinute, burst, func(c echo.Context) bool { return !isPublic(c) })
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		limited := limit(next)
		return func(c echo.Context) error {
			if !isPublic(c) {
				return next(c)
			}
			h := c.Response().Header()
			h.Set(echo.HeaderAccessControlAllowOrigin, "*")
			h.Set(echo.HeaderAccessControlExposeHeaders, headerRequestID+", Retry-After")
			if strings.HasPrefix(c.Request().URL.Path, "/directory/") {
				h.Set("Content-Security-Policy", htmlPageCSP)
			}
			return limited(c)
		}
	}
}

func publicCaseStudyOut(c domain.PublicCaseStudy) api.PublicCaseStudy {
	return api.PublicCaseStudy{Id: c.ID, OrganisationName: c.OrganisationName, ProgrammeName: c.ProgrammeName, Title: c.Title,
		Summary: c.Summary, BodyHtml: c.BodyHTML, PublishedOn: dateOut(c.PublishedOn), ImageUrl: c.ImageURL}
}

func publicGuidanceOut(g domain.Guidance) api.PublicGuidance {
	return api.PublicGuidance{Id: g.ID, Title: g.Title, Audience: api.GuidanceAudience(g.Audience), Topic: g.Topic,
		BodyHtml: g.BodyHTML, Links: linksOut(g.Links), UpdatedAt: g.UpdatedAt}
}

// ListPublicCaseStudies answers the published case studies.
func (s *Server) ListPublicCaseStudies(ctx context.Context, r api.ListPublicCaseStudiesRequestObject) (api.ListPublicCaseStudiesResponseObject, error) {
	req, err := pageRequest(r.Params.Limit, r.Params.Cursor, nil)
	if err != nil {
		return nil, err
	}
	page, err := s.Directory.CaseStudies(ctx, req)
	if err != nil {
		return nil, err
	}
	out := api.ListPublicCaseStudies200JSONResponse{Data: make([]api.PublicCaseStudy, len(page.Items)), NextCursor: encodeCursor(page.Next)}
	for i, c := range page.Items {
		out.Data[i] = publicCaseStudyOut(c)
	}
	return out, nil
}

// GetPublicCaseStudy answers a published case study.
func (s *Server) GetPublicCaseStudy(ctx context.Context, r api.GetPublicCaseStudyRequestObject) (api.GetPublicCaseStudyResponseObject, error) {
	c, err := s.Directory.CaseStudy(ctx, r.CaseStudyId)
	if err != nil {
		return nil, err
	}
	return api.GetPublicCaseStudy200JSONResponse(publicCaseStudyOut(c)), nil
}

// ListPublicGuidance answers the live guidance.
func (s *Server) ListPublicGuidance(ctx context.Context, r api.ListPublicGuidanceRequestObject) (api.ListPublicGuidanceResponseObject, error) {
	q := r.Params
	req, err := pageRequest(q.Limit, q.Cursor, nil)
	if err != nil {
		return nil, err
	}
	page, err := s.Directory.GuidanceList(ctx, domain.GuidanceFilter{Audience: ptrOf(q.Audience, audienceIn), Topic: q.Topic}, req)
	if err != nil {
		return nil, err
	}
	out := api.ListPublicGuidance200JSONResponse{Data: make([]api.PublicGuidance, len(page.Items)), NextCursor: encodeCursor(page.Next)}
	for i, g := range page.Items {
		out.Data[i] = publicGuidanceOut(g)
	}
	return out, nil
}

// GetPublicGuidance answers an entry of live guidance.
func (s *Server) GetPublicGuidance(ctx context.Context, r api.GetPublicGuidanceRequestObject) (api.GetPublicGuidanceResponseObject, error) {
	g, err := s.Directory.GuidanceEntry(ctx, r.GuidanceId)
	if err != nil {
		return nil, err
	}
	return api.GetPublicGuidance200JSONResponse(publicGuidanceOut(g)), nil
}

//go:embed directory.html.tmpl
var directoryPageSource string

// directoryPage renders a directory's HTML page. Bodies are the sanitised HTML stored with
// each record (safe marks them so); every other value is escaped by html/template.
var directoryPage = template.Must(template.New("directory").Funcs(template.FuncMap{
	"safe": func(s string) template.HTML { return template.HTML(s) }, //nolint:gosec // sanitised when written (internal/markdown)
}).Parse(directoryPageSource))

// directoryPageMax is how many entries a directory's HTML page lists.
const directoryPageMax = 500

type directoryPageData struct {
	Title, Intro string
	CaseStudies  []domain.PublicCaseStudy
	Guidance     []domain.Guidance
}

func renderDirectoryPage(d directoryPageData) (*bytes.Buffer, error) {
	var buf bytes.Buffer
	if err := directoryPage.ExecuteTemplate(&buf, "page", d); err != nil {
		return nil, err
	}
	return &buf, nil
}

// GetCaseStudiesPage answers the Widening Participation Directory as a page to browse.
func (s *Server) GetCaseStudiesPage(ctx context.Context, _ api.GetCaseStudiesPageRequestObject) (api.GetCaseStudiesPageResponseObject, error) {
	page, err := s.Directory.CaseStudies(ctx, domain.PageRequest{Limit: directoryPageMax})
	if err != nil {
		return nil, err
	}
	buf, err := renderDirectoryPage(directoryPageData{Title: "Widening Participation Directory",
		Intro: "Case studies of NHS preparation for work programmes, written by the trusts that ran them.", CaseStudies: page.Items})
	if err != nil {
		return nil, err
	}
	return api.GetCaseStudiesPage200TexthtmlResponse{Body: buf, ContentLength: int64(buf.Len())}, nil
}

// GetGuidancePage answers the Preparation for Work Directory as a page to browse.
func (s *Server) GetGuidancePage(ctx context.Context, _ api.GetGuidancePageRequestObject) (api.GetGuidancePageResponseObject, error) {
	page, err := s.Directory.GuidanceList(ctx, domain.GuidanceFilter{}, domain.PageRequest{Limit: directoryPageMax})
	if err != nil {
		return nil, err
	}
	buf, err := renderDirectoryPage(directoryPageData{Title: "Preparation for Work Directory",
		Intro: "Guidance for people preparing for work in the NHS, and for organisations setting up activities.", Guidance: page.Items})
	if err != nil {
		return nil, err
	}
	return api.GetGuidancePage200TexthtmlResponse{Body: buf, ContentLength: int64(buf.Len())}, nil
}
