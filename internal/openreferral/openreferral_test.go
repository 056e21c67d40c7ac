package openreferral_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/internal/openreferral"
	"github.com/p4w-nhs/p4w/internal/pgtest"
)

// The catalogue of migration 00002.
const (
	getInto       = "01900000-0000-7000-8000-000000000102" // employability, 16 to 30, 28..42 days
	getStarted    = "01900000-0000-7000-8000-000000000103" // employability, 16 to 30, 2..3 days
	stepIntoWork  = "01900000-0000-7000-8000-000000000101" // employability, 19 or over, 42..84 days
	streetDoctors = "01900000-0000-7000-8000-000000000105" // mentoring, 14 to 25
	workExp       = "01900000-0000-7000-8000-000000000106" // work experience, 14 or over
)

// profile holds the Open Referral UK schemas vendored in testdata (see its README).
type profile struct {
	page, serviceList, service, salList, sal, taxonomy, term *jsonschema.Schema
}

const schemaBase = "https://oruk.test/"

func loadProfile(t *testing.T) profile {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat() // uuid, date-time, uri, email: a directory relies on them
	root := filepath.Join("testdata", "uk-profile")
	err := filepath.WalkDir(filepath.Join(root, "schema"), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		doc, err := jsonschema.UnmarshalJSON(f)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		return c.AddResource(schemaBase+filepath.ToSlash(rel), doc)
	})
	if err != nil {
		t.Fatalf("load the profile's schemas: %v", err)
	}
	compile := func(loc string) *jsonschema.Schema {
		s, err := c.Compile(schemaBase + loc)
		if err != nil {
			t.Fatalf("compile %s: %v", loc, err)
		}
		return s
	}
	return profile{
		page:        compile("schema/openapi.json#/components/schemas/Page"),
		serviceList: compile("schema/compiled/service_list.json"),
		service:     compile("schema/compiled/service.json"),
		salList:     compile("schema/compiled/service_at_location_list.json"),
		sal:         compile("schema/compiled/service_at_location.json"),
		taxonomy:    compile("schema/taxonomy.json"),
		term:        compile("schema/taxonomy_term.json"),
	}
}

// mustValidate checks body against s.
func mustValidate(t *testing.T, what string, s *jsonschema.Schema, body []byte) {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("%s: not JSON: %v", what, err)
	}
	if err := s.Validate(doc); err != nil {
		t.Errorf("%s breaks the Open Referral UK profile: %v\nbody: %s", what, err, body)
	}
}

// pageDoc is the profile's page envelope.
type pageDoc struct {
	TotalItems int               `json:"total_items"`
	TotalPages int               `json:"total_pages"`
	PageNumber int               `json:"page_number"`
	Size       int               `json:"size"`
	FirstPage  bool              `json:"first_page"`
	LastPage   bool              `json:"last_page"`
	Empty      bool              `json:"empty"`
	Contents   []json.RawMessage `json:"contents"`
}

func (p pageDoc) ids(t *testing.T) []string {
	t.Helper()
	var ids []string
	for _, c := range p.Contents {
		var v struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(c, &v); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, v.ID)
	}
	slices.Sort(ids)
	return ids
}

// world is a national team, two trusts and their cohorts, open and not, with a participant
// in the open one.
type world struct {
	env                      *apitest.Env
	trustA, trustB           domain.Organisation
	openA, runningA, openB   string // cohorts open for referral
	finished, cancelled      string // closed cohorts
	past                     string // planned, but ended before today
	personal                 []string
	getIntoA, streetDoctorsB string // the services' ids
	stepIntoWorkA            string // a programme of trust A with no open cohort
}

func day(offset int) string { return time.Now().AddDate(0, 0, offset).Format("2006-01-02") }

func newWorld(t *testing.T, env *apitest.Env) world {
	t.Helper()
	_, admin := env.NationalAdmin(t)
	w := world{env: env,
		trustA: env.Organisation(t, domain.KindTrust, "Northgate Teaching Hospitals NHS Trust"),
		trustB: env.Organisation(t, domain.KindTrust, "Southmoor Community NHS Trust")}
	cohort := func(org domain.Organisation, programme, starts, ends, status string) string {
		t.Helper()
		type doc struct {
			ID string `json:"id"`
		}
		id := apitest.MustPost[doc](t, env, "/v1/cohorts", admin, apitest.JSON(t, "programme_id", programme,
			"organisation_id", org.ID.String(), "name", "Intake of "+starts, "starts_on", starts, "ends_on", ends,
			"capacity", 12)).ID
		if status != "planned" {
			apitest.MustPatch[doc](t, env, "/v1/cohorts/"+id, admin, apitest.JSON(t, "status", status))
		}
		return id
	}
	w.openA = cohort(w.trustA, getInto, day(30), day(64), "planned")
	w.runningA = cohort(w.trustA, getInto, day(-10), day(20), "running")
	w.openB = cohort(w.trustB, streetDoctors, day(7), day(90), "planned")
	w.finished = cohort(w.trustA, stepIntoWork, day(-80), day(-20), "finished")
	w.cancelled = cohort(w.trustA, getStarted, day(40), day(41), "cancelled")
	w.past = cohort(w.trustA, workExp, day(-30), day(-26), "planned")

	type participant struct {
		ID string `json:"id"`
	}
	p := apitest.MustPost[participant](t, env, "/v1/participants", admin, apitest.JSON(t,
		"organisation_id", w.trustA.ID.String(), "external_ref", "NTH-PRIVATE-77", "given_name", "Zebedee",
		"family_name", "Quillfeather", "date_of_birth", "2005-03-09", "email", "zebedee.q@example.org",
		"postcode", "L1 8JQ", "consent", map[string]any{"processing": true}))
	type enrolment struct {
		ID string `json:"id"`
	}
	apitest.MustPost[enrolment](t, env, "/v1/enrolments", admin, apitest.JSON(t, "cohort_id", w.openA, "participant_id", p.ID))
	w.personal = []string{p.ID, "NTH-PRIVATE-77", "Zebedee", "Quillfeather", "2005-03-09", "zebedee", "L1 8JQ"}

	w.getIntoA = openreferral.ServiceID(uuid.MustParse(getInto), w.trustA.ID).String()
	w.streetDoctorsB = openreferral.ServiceID(uuid.MustParse(streetDoctors), w.trustB.ID).String()
	w.stepIntoWorkA = openreferral.ServiceID(uuid.MustParse(stepIntoWork), w.trustA.ID).String()
	return w
}

// get reads a public path with no token.
func (w world) get(t *testing.T, path string, headers ...string) apitest.Response {
	t.Helper()
	return w.env.Do(t, http.MethodGet, "/openreferral/v3"+path, "", "", headers...)
}

func (w world) page(t *testing.T, path string) pageDoc {
	t.Helper()
	res := w.get(t, path)
	apitest.WantStatus(t, res, http.StatusOK)
	var p pageDoc
	res.Decode(t, &p)
	return p
}

func TestOpenReferralAnswersFollowTheProfile(t *testing.T) {
	t.Parallel()
	w := newWorld(t, apitest.New(t))
	prof := loadProfile(t)

	res := w.get(t, "") // the contract's path; "/" answers the same
	apitest.WantStatus(t, res, http.StatusOK)
	if slash := w.get(t, "/"); !bytes.Equal(slash.Body, res.Body) {
		t.Errorf("/openreferral/v3/ answered %s, /openreferral/v3 %s", slash.Body, res.Body)
	}
	var info openreferral.Info
	res.Decode(t, &info)
	if info.Version != "3.0" || info.Profile != openreferral.Profile {
		t.Errorf("/ answered %s", res.Body)
	}

	lists := []struct {
		path  string
		items *jsonschema.Schema
		one   *jsonschema.Schema
		ids   []string
	}{
		{"/services", prof.serviceList, prof.service, []string{w.getIntoA, w.streetDoctorsB}},
		{"/service_at_locations", prof.salList, prof.sal, []string{w.openA, w.runningA, w.openB}},
		{"/taxonomies", prof.taxonomy, prof.taxonomy, []string{openreferral.ProgrammeKinds.ID.String()}},
		{"/taxonomy_terms", prof.term, prof.term, nil},
	}
	for _, l := range lists {
		res := w.get(t, l.path)
		apitest.WantStatus(t, res, http.StatusOK)
		if got := res.Header.Get("Content-Type"); !strings.HasPrefix(got, "application/json") {
			t.Errorf("%s: Content-Type %q", l.path, got)
		}
		mustValidate(t, l.path, prof.page, res.Body)
		var p pageDoc
		res.Decode(t, &p)
		if len(p.Contents) == 0 {
			t.Fatalf("%s is empty", l.path)
		}
		ids := p.ids(t)
		if l.ids != nil {
			want := slices.Clone(l.ids)
			slices.Sort(want)
			if !slices.Equal(ids, want) {
				t.Errorf("%s: ids %v, want %v", l.path, ids, want)
			}
		}
		for i, item := range p.Contents {
			mustValidate(t, l.path+" item", l.items, item)
			one := w.get(t, l.path+"/"+ids[i])
			apitest.WantStatus(t, one, http.StatusOK)
			mustValidate(t, l.path+"/"+ids[i], l.one, one.Body)
		}
	}

	// A service read by id carries its open cohorts, their dates and its kind.
	var s openreferral.Service
	w.get(t, "/services/"+w.getIntoA).Decode(t, &s)
	var cohorts, from []string
	for _, sal := range s.ServiceAtLocations {
		cohorts = append(cohorts, sal.ID.String())
	}
	for _, sc := range s.Schedules {
		from = append(from, sc.ValidFrom)
	}
	slices.Sort(cohorts)
	want := []string{w.openA, w.runningA}
	slices.Sort(want)
	if !slices.Equal(cohorts, want) || !slices.Equal(from, []string{day(-10), day(30)}) {
		t.Errorf("Get Into at trust A: cohorts %v starting %v, want %v starting %v and %v", cohorts, from, want, day(-10), day(30))
	}
	if s.MinimumAge == nil || *s.MinimumAge != 16 || s.MaximumAge == nil || *s.MaximumAge != 30 || s.OrganizationID != w.trustA.ID {
		t.Errorf("Get Into at trust A: ages %v..%v, organization %s", s.MinimumAge, s.MaximumAge, s.OrganizationID)
	}
	if len(s.Attributes) != 1 || s.Attributes[0].TaxonomyTerm.Term != "employability" {
		t.Errorf("Get Into at trust A: attributes %+v, want the employability term", s.Attributes)
	}
}

func TestOpenReferralShowsOnlyOpenCohorts(t *testing.T) {
	t.Parallel()
	w := newWorld(t, apitest.New(t))

	for _, closed := range []string{w.finished, w.cancelled, w.past} {
		apitest.WantStatus(t, w.get(t, "/service_at_locations/"+closed), http.StatusNotFound)
	}
	// Step into Work at trust A has only a finished cohort: no service.
	res := w.get(t, "/services/"+w.stepIntoWorkA)
	apitest.WantStatus(t, res, http.StatusNotFound)
	if got := res.Header.Get("Content-Type"); got != "application/problem+json" {
		t.Errorf("404: Content-Type %q", got)
	}
	for _, path := range []string{"/services", "/service_at_locations"} {
		body := string(w.get(t, path+"?per_page=500").Body)
		for _, closed := range []string{w.finished, w.cancelled, w.past, w.stepIntoWorkA} {
			if strings.Contains(body, closed) {
				t.Errorf("%s shows %s, which is not open for referral", path, closed)
			}
		}
	}

	// A token changes nothing, not even the national team's.
	_, admin := w.env.NationalAdmin(t)
	for _, closed := range []string{w.finished, w.cancelled, w.past} {
		res := w.env.Do(t, http.MethodGet, "/openreferral/v3/service_at_locations/"+closed, admin, "")
		apitest.WantStatus(t, res, http.StatusNotFound)
	}

	// A cohort that closes leaves at once; the service goes with its last open cohort.
	apitest.MustPatch[struct{}](t, w.env, "/v1/cohorts/"+w.openB, admin, `{"status":"cancelled"}`)
	apitest.WantStatus(t, w.get(t, "/service_at_locations/"+w.openB), http.StatusNotFound)
	apitest.WantStatus(t, w.get(t, "/services/"+w.streetDoctorsB), http.StatusNotFound)
}

func TestOpenReferralShowsNoPersonalData(t *testing.T) {
	t.Parallel()
	w := newWorld(t, apitest.New(t))
	coordinator, email := w.env.MustCreateUser(t, w.trustA.ID, domain.RoleCoordinator)
	personal := append(slices.Clone(w.personal), coordinator.String(), email)

	paths := []string{"/", "/services", "/services/" + w.getIntoA, "/services/" + w.streetDoctorsB,
		"/service_at_locations", "/service_at_locations/" + w.openA, "/service_at_locations/" + w.runningA,
		"/taxonomies", "/taxonomy_terms", "/services?search=get", "/service_at_locations?minimum_age=16"}
	for _, path := range paths {
		res := w.get(t, path)
		apitest.WantStatus(t, res, http.StatusOK)
		for _, p := range personal {
			if bytes.Contains(bytes.ToLower(res.Body), bytes.ToLower([]byte(p))) {
				t.Errorf("%s shows %q, personal data: %s", path, p, res.Body)
			}
		}
	}

	// Row-level security and grants: the public role reads open cohorts and nothing personal,
	// whatever a query asks.
	db, err := sql.Open("pgx", w.env.DBURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	asPublic := func(query string) (int, error) {
		tx, err := db.BeginTx(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = tx.Rollback() }()
		if _, err := tx.Exec("SET LOCAL ROLE p4w_public"); err != nil {
			t.Fatal(err)
		}
		var n int
		return n, tx.QueryRow(query).Scan(&n)
	}
	if n, err := asPublic("SELECT count(*) FROM cohorts"); err != nil || n != 3 {
		t.Errorf("p4w_public sees %d cohorts (%v), want the 3 open ones", n, err)
	}
	for _, q := range []string{"SELECT count(*) FROM participants", "SELECT count(*) FROM enrolments",
		"SELECT count(*) FROM users", "SELECT count(funding_award_ref) FROM cohorts"} {
		if _, err := asPublic(q); err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("p4w_public ran %q: %v, want permission denied", q, err)
		}
	}
}

func TestOpenReferralPages(t *testing.T) {
	t.Parallel()
	w := newWorld(t, apitest.New(t))

	for _, c := range []struct {
		path                string
		number, size, pages int
		first, last         bool
	}{
		{"/service_at_locations?per_page=2", 1, 2, 2, true, false},
		{"/service_at_locations?per_page=2&page=2", 2, 1, 2, false, true},
		{"/service_at_locations?per_page=2&page=3", 3, 0, 2, false, true},
		{"/service_at_locations", 1, 3, 1, true, true},
	} {
		p := w.page(t, c.path)
		if p.TotalItems != 3 || p.TotalPages != c.pages || p.PageNumber != c.number || p.Size != c.size ||
			len(p.Contents) != c.size || p.FirstPage != c.first || p.LastPage != c.last || p.Empty {
			t.Errorf("%s: %+v", c.path, p)
		}
	}
	// The pages together are the whole list, each item once.
	var all []string
	for n := 1; n <= 3; n++ {
		all = append(all, w.page(t, "/service_at_locations?per_page=1&page="+strconv.Itoa(n)).ids(t)...)
	}
	slices.Sort(all)
	if want := w.page(t, "/service_at_locations").ids(t); !slices.Equal(all, want) {
		t.Errorf("pages of one: %v, want %v", all, want)
	}

	if p := w.page(t, "/services?search=no-such-programme"); !p.Empty || p.TotalItems != 0 || p.TotalPages != 0 ||
		p.Size != 0 || !p.FirstPage || !p.LastPage || p.Contents == nil {
		t.Errorf("an empty result: %+v", p)
	}

	for _, bad := range []struct{ query, field string }{
		{"per_page=0", "per_page"}, {"per_page=501", "per_page"}, {"page=0", "page"}, {"page=x", "page"},
		{"minimum_age=-1", "minimum_age"}, {"maximum_age=old", "maximum_age"}, {"taxonomy_term_id=42", "taxonomy_term_id"},
	} {
		res := w.get(t, "/services?"+bad.query)
		apitest.WantStatus(t, res, http.StatusBadRequest)
		var problem struct {
			Errors []struct {
				Field string `json:"field"`
			} `json:"errors"`
		}
		res.Decode(t, &problem)
		if res.Header.Get("Content-Type") != "application/problem+json" || len(problem.Errors) != 1 || problem.Errors[0].Field != bad.field {
			t.Errorf("%s: %s, want a problem naming %s", bad.query, res.Body, bad.field)
		}
	}
}

func TestOpenReferralFilters(t *testing.T) {
	t.Parallel()
	w := newWorld(t, apitest.New(t))
	term := func(category string) string {
		for _, tt := range openreferral.Terms {
			if tt.Term == category {
				return tt.ID.String()
			}
		}
		t.Fatalf("no term %s", category)
		return ""
	}
	for _, c := range []struct {
		query string
		want  []string
	}{
		{"search=STREET", []string{w.streetDoctorsB}},
		{"search=hands-on+work+placements", []string{w.getIntoA}}, // in Get Into's description
		{"search=100%25", nil},                                    // % is a character, not a wildcard
		{"taxonomy_term_id=" + term("mentoring"), []string{w.streetDoctorsB}},
		{"taxonomy_term_id=" + term("employability"), []string{w.getIntoA}},
		{"taxonomy_term_id=" + term("work_experience"), nil}, // only a past cohort
		{"taxonomy_term_id=" + uuid.NewString(), nil},
		{"minimum_age=16", []string{w.getIntoA}},       // Street Doctors starts at 14
		{"minimum_age=15.5", []string{w.getIntoA}},     // rounded towards whole years
		{"maximum_age=25", []string{w.streetDoctorsB}}, // Get Into goes up to 30
		{"minimum_age=14&maximum_age=30", []string{w.getIntoA, w.streetDoctorsB}},
		{"search=get&taxonomy_term_id=" + term("mentoring"), nil},
	} {
		got := w.page(t, "/services?"+c.query).ids(t)
		want := slices.Clone(c.want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("services?%s: %v, want %v", c.query, got, want)
		}
	}
	// The cohorts follow their services' filters.
	if got := w.page(t, "/service_at_locations?taxonomy_term_id="+term("mentoring")).ids(t); !slices.Equal(got, []string{w.openB}) {
		t.Errorf("service_at_locations of mentoring: %v, want %v", got, []string{w.openB})
	}
}

func TestOpenReferralIsPublicToAnyOrigin(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t, pgtest.NewURL(t))
	cfg.CORSOrigins = []string{"https://portal.example.org"} // the API's own front ends
	cfg.PublicRatePerMinute = 6                              // a burst of 1, then one every 10 s
	env := apitest.NewOn(t, cfg, io.Discard)
	w := world{env: env}

	res := w.get(t, "/taxonomies", "Origin", "https://directory.example.net", "Authorization", "Bearer not-a-token")
	apitest.WantStatus(t, res, http.StatusOK)
	if got := res.Header.Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf("Access-Control-Allow-Origin %q, want *", got)
	}
	res = w.get(t, "/taxonomies")
	apitest.WantStatus(t, res, http.StatusTooManyRequests)
	if res.Header.Get("Retry-After") != "10" || res.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("429: Retry-After %q, Content-Type %q", res.Header.Get("Retry-After"), res.Header.Get("Content-Type"))
	}
	// The limit is the public endpoints' own: the rest of the API still answers.
	apitest.WantStatus(t, env.Do(t, http.MethodGet, "/healthz", "", ""), http.StatusOK)
}
