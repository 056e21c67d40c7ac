package httpapi_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
)

// The catalogue of migration 00002.
const (
	stepIntoWorkProgramme   = "01900000-0000-7000-8000-000000000101" // 19+, a working-age benefit, 42..84 days
	getIntoProgramme        = "01900000-0000-7000-8000-000000000102" // 16..30, 28..42 days
	getStartedProgramme     = "01900000-0000-7000-8000-000000000103" // 16..30, 2..3 days
	streetDoctorsProgramme  = "01900000-0000-7000-8000-000000000105" // mentoring, 14 to 25
	workExperienceProgramme = "01900000-0000-7000-8000-000000000106" // 14 or over, no bounds
	princesTrustOrg         = "01900000-0000-7000-8000-000000000001" // a partner organisation
)

// A Step into Work cohort of 42 days, the shortest allowed.
const (
	cohortStarts = "2027-01-04"
	cohortEnds   = "2027-02-14"
)

// cohortDoc is a cohort as the API sends it.
type cohortDoc struct {
	ID                string    `json:"id"`
	ProgrammeID       string    `json:"programme_id"`
	OrganisationID    string    `json:"organisation_id"`
	Name              string    `json:"name"`
	StartsOn          string    `json:"starts_on"`
	EndsOn            string    `json:"ends_on"`
	Capacity          int       `json:"capacity"`
	PlacesTaken       int       `json:"places_taken"`
	RoleAreas         []string  `json:"role_areas"`
	Status            string    `json:"status"`
	DeliveryPartnerID *string   `json:"delivery_partner_id"`
	FundingAwardRef   *string   `json:"funding_award_ref"`
	UpdatedAt         time.Time `json:"updated_at"`
	Version           int64     `json:"version"`
}

// cohortBody is a create body; kv adds fields or overrides them.
func cohortBody(t *testing.T, org, programme, starts, ends string, capacity int, kv ...any) string {
	t.Helper()
	return apitest.JSON(t, append([]any{"programme_id", programme, "organisation_id", org, "name", "Cohort " + starts,
		"starts_on", starts, "ends_on", ends, "capacity", capacity}, kv...)...)
}

func mustCreateCohort(t *testing.T, env *apitest.Env, token string, org uuid.UUID, programme, starts, ends string, capacity int, kv ...any) cohortDoc {
	t.Helper()
	res := env.Do(t, http.MethodPost, "/v1/cohorts", token, cohortBody(t, org.String(), programme, starts, ends, capacity, kv...))
	apitest.WantStatus(t, res, http.StatusCreated)
	var c cohortDoc
	res.Decode(t, &c)
	return c
}

func mustGetCohort(t *testing.T, env *apitest.Env, token, id string) cohortDoc {
	t.Helper()
	res := env.Do(t, http.MethodGet, "/v1/cohorts/"+id, token, "")
	apitest.WantStatus(t, res, http.StatusOK)
	var c cohortDoc
	res.Decode(t, &c)
	if res.Header.Get("ETag") != apitest.ETag(c.Version) {
		t.Errorf("GET cohort: ETag %q for version %d", res.Header.Get("ETag"), c.Version)
	}
	return c
}

func TestCohortCreate(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Harbourside NHS Foundation Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)

	res := env.Do(t, http.MethodPost, "/v1/cohorts", token, cohortBody(t, trust.ID.String(), stepIntoWorkProgramme, cohortStarts, cohortEnds, 12,
		"role_areas", []string{"facilities", "estates"}, "funding_award_ref", "HEE-SIW-27"))
	apitest.WantStatus(t, res, http.StatusCreated)
	var c cohortDoc
	res.Decode(t, &c)
	if loc := res.Header.Get("Location"); loc != "/v1/cohorts/"+c.ID {
		t.Errorf("Location %q for cohort %s", loc, c.ID)
	}
	if res.Header.Get("ETag") != `"1"` || c.Version != 1 {
		t.Errorf("ETag %q, version %d", res.Header.Get("ETag"), c.Version)
	}
	if c.ProgrammeID != stepIntoWorkProgramme || c.OrganisationID != trust.ID.String() || c.StartsOn != cohortStarts || c.EndsOn != cohortEnds ||
		c.Capacity != 12 || c.PlacesTaken != 0 || c.Status != "planned" || !slices.Equal(c.RoleAreas, []string{"facilities", "estates"}) ||
		!isOneOf(c.FundingAwardRef, "HEE-SIW-27") || c.DeliveryPartnerID != nil {
		t.Errorf("created %+v", c)
	}
	if got := mustGetCohort(t, env, token, c.ID); got.ID != c.ID || got.Version != 1 || got.EndsOn != cohortEnds {
		t.Errorf("read back %+v", got)
	}

	// The shortest and longest of the other bounded programmes.
	mustCreateCohort(t, env, token, trust.ID, getStartedProgramme, "2027-01-04", "2027-01-05", 20) // Monday to Tuesday: 2 days
	mustCreateCohort(t, env, token, trust.ID, getIntoProgramme, "2027-01-04", "2027-02-14", 20)    // 42 days
	mustCreateCohort(t, env, token, trust.ID, stepIntoWorkProgramme, "2027-01-04", "2027-03-28", 20)
}

func TestCohortCreateRefusesBadInput(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Moorfield NHS Trust")
	other := env.Organisation(t, domain.KindTrust, "Other NHS Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	_, national := env.NationalAdmin(t)
	own := trust.ID.String()
	cases := []struct {
		name  string
		token string
		body  string
		field string
	}{
		{"Step into Work of 41 days", token, cohortBody(t, own, stepIntoWorkProgramme, "2027-01-04", "2027-02-13", 10), "ends_on"},
		{"Step into Work of 85 days", token, cohortBody(t, own, stepIntoWorkProgramme, "2027-01-04", "2027-03-29", 10), "ends_on"},
		{"Get Started of 4 days", token, cohortBody(t, own, getStartedProgramme, "2027-01-04", "2027-01-07", 10), "ends_on"},
		{"ends before it starts", token, cohortBody(t, own, workExperienceProgramme, "2027-01-05", "2027-01-04", 10), "ends_on"},
		{"unknown programme", token, cohortBody(t, own, uuid.Must(uuid.NewV7()).String(), cohortStarts, cohortEnds, 10), "programme_id"},
		{"a partner as organisation_id", token, cohortBody(t, princesTrustOrg, workExperienceProgramme, cohortStarts, cohortEnds, 10), "organisation_id"},
		{"a partner as organisation_id, national admin", national, cohortBody(t, princesTrustOrg, workExperienceProgramme, cohortStarts, cohortEnds, 10), "organisation_id"},
		{"another trust as organisation_id", token, cohortBody(t, other.ID.String(), workExperienceProgramme, cohortStarts, cohortEnds, 10), "organisation_id"},
		{"unknown organisation_id", national, cohortBody(t, uuid.Must(uuid.NewV7()).String(), workExperienceProgramme, cohortStarts, cohortEnds, 10), "organisation_id"},
		{"a trust as delivery_partner_id", token, cohortBody(t, own, workExperienceProgramme, cohortStarts, cohortEnds, 10, "delivery_partner_id", own), "delivery_partner_id"},
		{"a trust as delivery_partner_id, national admin", national, cohortBody(t, own, workExperienceProgramme, cohortStarts, cohortEnds, 10, "delivery_partner_id", other.ID.String()), "delivery_partner_id"},
		{"unknown delivery_partner_id", national, cohortBody(t, own, workExperienceProgramme, cohortStarts, cohortEnds, 10, "delivery_partner_id", uuid.Must(uuid.NewV7()).String()), "delivery_partner_id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := env.Do(t, http.MethodPost, "/v1/cohorts", tc.token, tc.body)
			p := apitest.WantProblem(t, res, http.StatusUnprocessableEntity, tc.field)
			t.Logf("%s: %s", tc.field, p.Message(tc.field))
		})
	}
	p := apitest.WantProblem(t, env.Do(t, http.MethodPost, "/v1/cohorts", token,
		cohortBody(t, own, stepIntoWorkProgramme, "2027-01-04", "2027-02-13", 10)), http.StatusUnprocessableEntity, "ends_on")

	if msg := p.Message("ends_on"); !strings.Contains(msg, "41 days") || !strings.Contains(msg, "42 to 84") {
		t.Errorf("the refusal of 41 days says %q; want the days it gives and the bounds", msg)
	}
	if n := env.MustQueryInt(t, `SELECT count(*) FROM cohorts`); n != 0 {
		t.Errorf("refused requests left %d cohorts", n)
	}
}

// A trust runs Get Into with The Prince's Trust: naming its delivery partner is what
// delivery_partner_id is for, so the trust's own coordinator must be able to do it.
func TestCohortDeliveryPartnerNamedByTheTrust(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Eastmoor NHS Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	res := env.Do(t, http.MethodPost, "/v1/cohorts", token, cohortBody(t, trust.ID.String(), getIntoProgramme, "2027-01-04", "2027-02-07", 10,
		"delivery_partner_id", princesTrustOrg))
	apitest.WantStatus(t, res, http.StatusCreated)
	var c cohortDoc
	res.Decode(t, &c)
	if !isOneOf(c.DeliveryPartnerID, princesTrustOrg) {
		t.Errorf("delivery_partner_id %v", c.DeliveryPartnerID)
	}
}

// A cohort whose partner the national team recorded stays editable by the trust.
func TestCohortWithPartnerPatchedByTheTrust(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Westmoor NHS Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	_, national := env.NationalAdmin(t)
	c := mustCreateCohort(t, env, national, trust.ID, getIntoProgramme, "2027-01-04", "2027-02-07", 10, "delivery_partner_id", princesTrustOrg)
	res := env.Patch(t, "/v1/cohorts/"+c.ID, token, `{"capacity":15}`)
	apitest.WantStatus(t, res, http.StatusOK)
}

func TestCohortListFilters(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	a := env.Organisation(t, domain.KindTrust, "Trust A")
	b := env.Organisation(t, domain.KindTrust, "Trust B")
	tokenA := env.User(t, a.ID, domain.RoleCoordinator)
	tokenB := env.User(t, b.ID, domain.RoleCoordinator)
	_, national := env.NationalAdmin(t)

	siw := mustCreateCohort(t, env, tokenA, a.ID, stepIntoWorkProgramme, "2027-01-04", "2027-02-14", 10)
	getInto := mustCreateCohort(t, env, tokenA, a.ID, getIntoProgramme, "2027-03-01", "2027-04-04", 10)
	started := mustCreateCohort(t, env, tokenA, a.ID, getStartedProgramme, "2027-05-03", "2027-05-04", 10)
	apitest.WantStatus(t, env.Patch(t, "/v1/cohorts/"+started.ID, tokenA, `{"status":"running"}`), http.StatusOK)
	work := mustCreateCohort(t, env, tokenA, a.ID, workExperienceProgramme, "2027-03-01", "2027-03-05", 10)
	other := mustCreateCohort(t, env, tokenB, b.ID, getIntoProgramme, "2027-03-01", "2027-04-04", 10)

	cases := []struct {
		name  string
		token string
		query url.Values
		want  []string
	}{
		{"everything of A", tokenA, nil, []string{siw.ID, getInto.ID, started.ID, work.ID}},
		{"programme_id", tokenA, url.Values{"programme_id": {getIntoProgramme}}, []string{getInto.ID}},
		{"status running", tokenA, url.Values{"status": {"running"}}, []string{started.ID}},
		{"status planned", tokenA, url.Values{"status": {"planned"}}, []string{siw.ID, getInto.ID, work.ID}},
		{"starts_from, inclusive", tokenA, url.Values{"starts_from": {"2027-03-01"}}, []string{getInto.ID, started.ID, work.ID}},
		{"starts_to, inclusive", tokenA, url.Values{"starts_to": {"2027-03-01"}}, []string{siw.ID, getInto.ID, work.ID}},
		{"starts_from and starts_to", tokenA, url.Values{"starts_from": {"2027-01-05"}, "starts_to": {"2027-05-02"}}, []string{getInto.ID, work.ID}},
		{"programme_id and status", tokenA, url.Values{"programme_id": {getStartedProgramme}, "status": {"planned"}}, nil},
		{"organisation_id, own", tokenA, url.Values{"organisation_id": {a.ID.String()}}, []string{siw.ID, getInto.ID, started.ID, work.ID}},
		{"organisation_id of another trust", tokenA, url.Values{"organisation_id": {b.ID.String()}}, nil},
		{"national: organisation_id", national, url.Values{"organisation_id": {b.ID.String()}}, []string{other.ID}},
		{"national: programme_id across trusts", national, url.Values{"programme_id": {getIntoProgramme}}, []string{getInto.ID, other.ID}},
		{"B sees only B", tokenB, nil, []string{other.ID}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := listIDs(t, env, "/v1/cohorts", tc.token, tc.query); !apitest.SameSet(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCohortPatch(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Fernhill NHS Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	c := mustCreateCohort(t, env, token, trust.ID, stepIntoWorkProgramme, cohortStarts, cohortEnds, 2)

	res := env.Patch(t, "/v1/cohorts/"+c.ID, token, `{"capacity":5,"status":"running"}`, "If-Match", `"1"`)
	apitest.WantStatus(t, res, http.StatusOK)
	var got cohortDoc
	res.Decode(t, &got)
	if got.Capacity != 5 || got.Status != "running" || got.Version != 2 || res.Header.Get("ETag") != `"2"` || got.EndsOn != cohortEnds {
		t.Errorf("after the patch: %+v, ETag %q", got, res.Header.Get("ETag"))
	}
	// A stale version: 412, and nothing changes.
	apitest.WantProblem(t, env.Patch(t, "/v1/cohorts/"+c.ID, token, `{"capacity":9}`, "If-Match", `"1"`), http.StatusPreconditionFailed, "")
	if now := mustGetCohort(t, env, token, c.ID); now.Capacity != 5 || now.Version != 2 {
		t.Errorf("a stale patch changed the cohort: %+v", now)
	}
	// Dates outside the programme's bounds: 422 naming ends_on.
	apitest.WantProblem(t, env.Patch(t, "/v1/cohorts/"+c.ID, token, `{"ends_on":"2027-02-13"}`), http.StatusUnprocessableEntity, "ends_on")
	apitest.WantProblem(t, env.Patch(t, "/v1/cohorts/"+c.ID, token, `{"starts_on":"2027-01-05"}`), http.StatusUnprocessableEntity, "ends_on")

	// Capacity below the places taken: 422 naming capacity; at the places taken: fine.
	for range 3 {
		mustEnrol(t, env, token, c.ID, mustParticipantBorn(t, env, token, trust.ID, "1990-05-05", "universal_credit"), "status", "enrolled")
	}
	// Each place taken is a change of the cohort a syncing client sees: a new version.
	current := mustGetCohort(t, env, token, c.ID)
	if current.PlacesTaken != 3 || current.Version <= 2 {
		t.Errorf("after three enrolments: places_taken %d, version %d", current.PlacesTaken, current.Version)
	}
	match := apitest.ETag(current.Version)
	p := apitest.WantProblem(t, env.Patch(t, "/v1/cohorts/"+c.ID, token, `{"capacity":2}`, "If-Match", match), http.StatusUnprocessableEntity, "capacity")
	if msg := p.Message("capacity"); !strings.Contains(msg, "3") {
		t.Errorf("the refusal does not say how many places are taken: %q", msg)
	}
	res = env.Patch(t, "/v1/cohorts/"+c.ID, token, `{"capacity":3}`, "If-Match", match)
	apitest.WantStatus(t, res, http.StatusOK)
	res.Decode(t, &got)
	if got.Capacity != 3 || got.PlacesTaken != 3 {
		t.Errorf("capacity %d, places taken %d", got.Capacity, got.PlacesTaken)
	}
	// And now it is full.
	p = apitest.WantProblem(t, enrol(t, env, token, c.ID, mustParticipantBorn(t, env, token, trust.ID, "1990-05-05", "universal_credit"), "status", "enrolled"),
		http.StatusConflict, "")

	if !strings.Contains(p.Detail, "full") {
		t.Errorf("409 detail %q does not say the cohort is full", p.Detail)
	}
}
