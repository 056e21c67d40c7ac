package httpapi

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/internal/openreferral"
)

// openReferralPath is the stub of the Open Referral UK endpoints: public, read-only, open to
// pages of any origin, and limited per client address. They are plain Echo routes, not
// generated operations: their shape is the profile's, and answers are tested against the
// profile's own JSON schemas (openreferral_test.go).
const openReferralPath = "/openreferral/v3"

func isOpenReferral(c echo.Context) bool {
	p := c.Request().URL.Path
	return p == openReferralPath || strings.HasPrefix(p, openReferralPath+"/")
}

// mountOpenReferral serves the Open Referral UK endpoints on e.
func mountOpenReferral(e *echo.Echo, opportunities opportunityReader, perMinute int) {
	g := e.Group(openReferralPath,
		middleware.CORSWithConfig(middleware.CORSConfig{
			AllowOrigins:  []string{"*"},
			AllowMethods:  []string{http.MethodGet, http.MethodHead},
			ExposeHeaders: []string{headerRequestID, "Retry-After"},
			MaxAge:        600,
		}),
		limitPerAddress(perMinute, max(1, perMinute/6), nil))
	h := openReferralHandlers{opportunities: opportunities}
	g.GET("", h.info)
	g.GET("/", h.info)
	g.GET("/services", h.listServices)
	g.GET("/services/:id", h.getService)
	g.GET("/service_at_locations", h.listServiceAtLocations)
	g.GET("/service_at_locations/:id", h.getServiceAtLocation)
	g.GET("/taxonomies", h.listTaxonomies)
	g.GET("/taxonomies/:id", h.getTaxonomy)
	g.GET("/taxonomy_terms", h.listTaxonomyTerms)
	g.GET("/taxonomy_terms/:id", h.getTaxonomyTerm)
}

type openReferralHandlers struct {
	opportunities opportunityReader
}

// open reads the opportunities open for referral that f lets through, grouped as the profile
// serves them.
func (h openReferralHandlers) open(c echo.Context, f domain.OpportunityFilter) (openreferral.Opportunities, error) {
	open, err := h.opportunities.Open(c.Request().Context(), f)
	if err != nil {
		return openreferral.Opportunities{}, err
	}
	return openreferral.Group(open), nil
}

func (h openReferralHandlers) info(c echo.Context) error {
	return c.JSON(http.StatusOK, openreferral.Info{Version: openreferral.Version, Profile: openreferral.Profile})
}

func (h openReferralHandlers) listServices(c echo.Context) error {
	q, err := readOpenReferralQuery(c, true)
	if err != nil {
		return err
	}
	open, err := h.open(c, q.filter)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, openreferral.PageOf(open.Services(), q.page, q.perPage))
}

func (h openReferralHandlers) getService(c echo.Context) error {
	id, err := openReferralID(c)
	if err != nil {
		return err
	}
	open, err := h.open(c, domain.OpportunityFilter{})
	if err != nil {
		return err
	}
	s, ok := open.Service(id)
	if !ok {
		return domain.Errorf(domain.CodeNotFound, "no service open for referral has this id")
	}
	return c.JSON(http.StatusOK, s)
}

func (h openReferralHandlers) listServiceAtLocations(c echo.Context) error {
	q, err := readOpenReferralQuery(c, true)
	if err != nil {
		return err
	}
	open, err := h.open(c, q.filter)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, openreferral.PageOf(open.ServiceAtLocations(), q.page, q.perPage))
}

func (h openReferralHandlers) getServiceAtLocation(c echo.Context) error {
	id, err := openReferralID(c)
	if err != nil {
		return err
	}
	open, err := h.open(c, domain.OpportunityFilter{})
	if err != nil {
		return err
	}
	s, ok := open.ServiceAtLocation(id)
	if !ok {
		return domain.Errorf(domain.CodeNotFound, "no cohort open for referral has this id")
	}
	return c.JSON(http.StatusOK, s)
}

func (h openReferralHandlers) listTaxonomies(c echo.Context) error {
	q, err := readOpenReferralQuery(c, false)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, openreferral.PageOf([]openreferral.Taxonomy{openreferral.ProgrammeKinds}, q.page, q.perPage))
}

func (h openReferralHandlers) getTaxonomy(c echo.Context) error {
	id, err := openReferralID(c)
	if err != nil {
		return err
	}
	if id != openreferral.ProgrammeKinds.ID {
		return domain.Errorf(domain.CodeNotFound, "no taxonomy has this id")
	}
	return c.JSON(http.StatusOK, openreferral.ProgrammeKinds)
}

func (h openReferralHandlers) listTaxonomyTerms(c echo.Context) error {
	q, err := readOpenReferralQuery(c, false)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, openreferral.PageOf(openreferral.Terms, q.page, q.perPage))
}

func (h openReferralHandlers) getTaxonomyTerm(c echo.Context) error {
	id, err := openReferralID(c)
	if err != nil {
		return err
	}
	category, ok := openreferral.TermCategory(id)
	if !ok {
		return domain.Errorf(domain.CodeNotFound, "no taxonomy term has this id")
	}
	return c.JSON(http.StatusOK, openreferral.TermOf(category))
}

// openReferralQuery is a list's query: the page, and for services their filters.
type openReferralQuery struct {
	page, perPage int
	filter        domain.OpportunityFilter
}

// readOpenReferralQuery reads the profile's query parameters. Parameters the profile defines
// and p4w cannot answer (postcode, proximity, day, ...) are ignored, as they would be by a
// directory that holds no such data; a malformed one of ours is a 400 naming it.
func readOpenReferralQuery(c echo.Context, filtered bool) (openReferralQuery, error) {
	q := openReferralQuery{page: 1, perPage: openreferral.DefaultPerPage}
	var v badQuery
	readInt := func(name string, into *int, least, most int) {
		raw := c.QueryParam(name)
		if raw == "" {
			return
		}
		n, err := strconv.Atoi(raw)
		v.Check(err == nil && n >= least && n <= most, name, "must be a whole number from "+strconv.Itoa(least)+" to "+strconv.Itoa(most))
		*into = n
	}
	readInt("page", &q.page, 1, math.MaxInt32)
	readInt("per_page", &q.perPage, 1, openreferral.MaxPerPage)
	if filtered {
		q.filter.Search = strings.TrimSpace(c.QueryParam("search"))
		v.Check(len(q.filter.Search) <= 200, "search", "must be at most 200 characters")
		if raw := c.QueryParam("taxonomy_term_id"); raw != "" {
			id, err := uuid.Parse(raw)
			v.Check(err == nil, "taxonomy_term_id", "must be a UUID")
			q.filter.Categories = []domain.ProgrammeCategory{} // an unknown term matches nothing
			if category, ok := openreferral.TermCategory(id); ok {
				q.filter.Categories = append(q.filter.Categories, category)
			}
		}
		q.filter.MinimumAge = readAge(c, &v, "minimum_age", math.Ceil)
		q.filter.MaximumAge = readAge(c, &v, "maximum_age", math.Floor)
	}
	return q, v.err()
}

// readAge reads an age in years, a number as the profile has it, rounded towards the
// programmes it allows: programmes' ages are whole years.
func readAge(c echo.Context, v *badQuery, name string, round func(float64) float64) *int {
	raw := c.QueryParam(name)
	if raw == "" {
		return nil
	}
	f, err := strconv.ParseFloat(raw, 64)
	ok := err == nil && f >= 0 && f <= 150
	v.Check(ok, name, "must be a number of years from 0 to 150")
	if !ok {
		return nil
	}
	n := int(round(f))
	return &n
}

func openReferralID(c echo.Context) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		var v badQuery
		v.Check(false, "id", "must be a UUID")
		return id, v.err()
	}
	return id, nil
}

// opportunityReader reads the opportunities open for referral (service.Opportunities).
type opportunityReader interface {
	Open(ctx context.Context, f domain.OpportunityFilter) ([]domain.Opportunity, error)
}

// badQuery gathers what is wrong with a request's parameters: a 400 naming each.
type badQuery struct{ fields []fieldError }

func (q *badQuery) Check(ok bool, field, message string) {
	if !ok {
		q.fields = append(q.fields, fieldError{Field: field, Message: message})
	}
}

func (q *badQuery) err() error {
	if len(q.fields) == 0 {
		return nil
	}
	return &requestError{status: http.StatusBadRequest, detail: "the parameters are not valid", fields: q.fields}
}
