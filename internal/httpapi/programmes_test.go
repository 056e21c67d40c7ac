package httpapi_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/pkg/client"
)

// seededProgrammes are the codes of the catalogue migration 00002 seeds.
var seededProgrammes = []string{"step_into_work", "get_into", "get_started", "professional_mentoring",
	"street_doctors_peer_mentoring", "work_experience", "work_related_learning"}

func decodeProgramme(t *testing.T, res apitest.Response) client.Programme {
	t.Helper()
	var p client.Programme
	res.Decode(t, &p)
	return p
}

// listProgrammes returns the catalogue a GET of path lists, by code (one page of up to 500).
func listProgrammes(t *testing.T, env *apitest.Env, token, query string) map[string]client.Programme {
	t.Helper()
	res := env.Do(t, http.MethodGet, "/v1/programmes?limit=500"+query, token, "")
	apitest.WantStatus(t, res, http.StatusOK)
	var page client.ProgrammePage
	res.Decode(t, &page)
	if !page.NextCursor.IsNull() {
		t.Fatalf("more than one page of programmes")
	}
	out := map[string]client.Programme{}
	for _, p := range page.Data {
		if _, dup := out[p.Code]; dup {
			t.Errorf("programme %s listed twice", p.Code)
		}
		out[p.Code] = p
	}
	return out
}

func codesOf(m map[string]client.Programme) []string {
	out := make([]string, 0, len(m))
	for c := range m {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

func TestProgrammeCatalogueIsSeeded(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Northgate Teaching Hospitals NHS Foundation Trust")
	partner := env.Organisation(t, domain.KindPartner, "A Delivery Partner")

	// Anyone signed in reads the whole catalogue, whatever its organisation.
	for name, token := range map[string]string{
		"trust viewer":      env.User(t, trust.ID, domain.RoleViewer),
		"trust coordinator": env.User(t, trust.ID, domain.RoleCoordinator),
		"partner viewer":    env.User(t, partner.ID, domain.RoleViewer),
	} {
		t.Run(name, func(t *testing.T) {
			got := listProgrammes(t, env, token, "")
			want := slices.Sorted(slices.Values(seededProgrammes))
			if !slices.Equal(codesOf(got), want) {
				t.Fatalf("catalogue %v, want %v", codesOf(got), want)
			}
			siw, gi, gs := got["step_into_work"], got["get_into"], got["get_started"]
			if siw.MinAge != 19 || !siw.MaxAge.IsNull() || !siw.RequiresBenefit ||
				siw.MinDurationDays.MustGet() != 42 || siw.MaxDurationDays.MustGet() != 84 || siw.Category != "employability" {
				t.Errorf("step_into_work: %+v", siw)
			}
			if gi.MinAge != 16 || gi.MaxAge.MustGet() != 30 || gi.RequiresBenefit ||
				gi.MinDurationDays.MustGet() != 28 || gi.MaxDurationDays.MustGet() != 42 {
				t.Errorf("get_into: %+v", gi)
			}
			if gs.MinAge != 16 || gs.MaxAge.MustGet() != 30 || gs.MinDurationDays.MustGet() != 2 || gs.MaxDurationDays.MustGet() != 3 {
				t.Errorf("get_started: %+v", gs)
			}
			// The Prince's Trust delivers Get Into and Get Started; Step into Work has no partner.
			if gi.DeliveryPartnerId.MustGet() != princesTrustID || gs.DeliveryPartnerId.MustGet() != princesTrustID || !siw.DeliveryPartnerId.IsNull() {
				t.Errorf("delivery partners: get_into %v, get_started %v, step_into_work %v", gi.DeliveryPartnerId, gs.DeliveryPartnerId, siw.DeliveryPartnerId)
			}
			if sd := got["street_doctors_peer_mentoring"]; sd.DeliveryPartnerId.MustGet() != streetDoctorsID || sd.Category != "mentoring" {
				t.Errorf("street_doctors_peer_mentoring: %+v", sd)
			}
		})
	}
	apitest.WantProblem(t, env.Do(t, http.MethodGet, "/v1/programmes", "", ""), http.StatusUnauthorized, "")
}

func TestProgrammeListFilters(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Trust")
	token := env.User(t, trust.ID, domain.RoleViewer)

	for category, want := range map[string][]string{
		"employability":         {"get_into", "get_started", "step_into_work"},
		"mentoring":             {"professional_mentoring", "street_doctors_peer_mentoring"},
		"work_experience":       {"work_experience"},
		"work_related_learning": {"work_related_learning"},
	} {
		got := listProgrammes(t, env, token, "&category="+category)
		if !slices.Equal(codesOf(got), want) {
			t.Errorf("category=%s: %v, want %v", category, codesOf(got), want)
		}
		for code, p := range got {
			if string(p.Category) != category {
				t.Errorf("category=%s lists %s of category %s", category, code, p.Category)
			}
		}
	}
	apitest.WantProblem(t, env.Do(t, http.MethodGet, "/v1/programmes?category=cooking", token, ""), http.StatusBadRequest, "category")

	// Pages of two walk the whole catalogue once.
	var walked []string
	path := "/v1/programmes?limit=2"
	for pages := 0; ; pages++ {
		if pages > len(seededProgrammes) {
			t.Fatalf("the cursor does not advance")
		}
		res := env.Do(t, http.MethodGet, path, token, "")
		apitest.WantStatus(t, res, http.StatusOK)
		var page client.ProgrammePage
		res.Decode(t, &page)
		for _, p := range page.Data {
			walked = append(walked, p.Code)
		}
		if page.NextCursor.IsNull() {
			break
		}
		path = "/v1/programmes?limit=2&cursor=" + page.NextCursor.MustGet()
	}
	if slices.Sort(walked); !slices.Equal(walked, slices.Sorted(slices.Values(seededProgrammes))) {
		t.Errorf("pages walked %v", walked)
	}
	apitest.WantProblem(t, env.Do(t, http.MethodGet, "/v1/programmes?cursor=bm90IGpzb24", token, ""), http.StatusBadRequest, "cursor")
}

func TestProgrammeGet(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	siw := listProgrammes(t, env, token, "")["step_into_work"]

	res := env.Do(t, http.MethodGet, "/v1/programmes/"+siw.Id.String(), token, "")
	apitest.WantStatus(t, res, http.StatusOK)
	if p := decodeProgramme(t, res); p.Id != siw.Id || p.Code != "step_into_work" || p.Name != "Step into Work" || p.MinAge != 19 {
		t.Errorf("got %s", res.Body)
	}
	if res.Header.Get("ETag") != `"1"` {
		t.Errorf("ETag %q", res.Header.Get("ETag"))
	}
	apitest.WantProblem(t, env.Do(t, http.MethodGet, "/v1/programmes/"+uuid.NewString(), token, ""), http.StatusNotFound, "")
	// An organisation's id is not a programme's.
	apitest.WantProblem(t, env.Do(t, http.MethodGet, "/v1/programmes/"+trust.ID.String(), token, ""), http.StatusNotFound, "")
	apitest.WantProblem(t, env.Do(t, http.MethodGet, "/v1/programmes/step_into_work", token, ""), http.StatusBadRequest, "programme_id")
	apitest.WantProblem(t, env.Do(t, http.MethodGet, "/v1/programmes/"+siw.Id.String(), "", ""), http.StatusUnauthorized, "")
}

func TestProgrammeCreate(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	_, national := env.NationalAdmin(t)

	body := `{"code":"care_academy","name":"Care Academy","category":"employability","description":"Six weeks in social care.",
		"min_age":18,"max_age":64,"requires_benefit":true,"min_duration_days":30,"max_duration_days":45,
		"delivery_partner_id":"` + princesTrustID.String() + `"}`
	res := env.Do(t, http.MethodPost, "/v1/programmes", national, body)
	apitest.WantStatus(t, res, http.StatusCreated)
	p := decodeProgramme(t, res)
	if loc := res.Header.Get("Location"); loc != "/v1/programmes/"+p.Id.String() {
		t.Errorf("Location %q, id %s", loc, p.Id)
	}
	if res.Header.Get("ETag") != `"1"` || p.Version != 1 {
		t.Errorf("ETag %q, version %d", res.Header.Get("ETag"), p.Version)
	}
	if p.Code != "care_academy" || p.Name != "Care Academy" || p.Category != "employability" || p.Description != "Six weeks in social care." ||
		p.MinAge != 18 || p.MaxAge.MustGet() != 64 || !p.RequiresBenefit || p.MinDurationDays.MustGet() != 30 ||
		p.MaxDurationDays.MustGet() != 45 || p.DeliveryPartnerId.MustGet() != princesTrustID {
		t.Errorf("created %s", res.Body)
	}
	got := env.Do(t, http.MethodGet, res.Header.Get("Location"), national, "")
	apitest.WantStatus(t, got, http.StatusOK)
	if g := decodeProgramme(t, got); g.Code != "care_academy" || g.MaxAge.MustGet() != 64 {
		t.Errorf("read back %s", got.Body)
	}

	// Optional fields may be left out.
	res = env.Do(t, http.MethodPost, "/v1/programmes", national, `{"code":"insight_day","name":"Insight day","category":"work_related_learning","min_age":14,"requires_benefit":false}`)
	apitest.WantStatus(t, res, http.StatusCreated)
	if p := decodeProgramme(t, res); !p.MaxAge.IsNull() || !p.DeliveryPartnerId.IsNull() || p.Description != "" {
		t.Errorf("minimal programme: %s", res.Body)
	}
}

func TestProgrammeCreateRefusesBadInput(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	_, national := env.NationalAdmin(t)
	trust := env.Organisation(t, domain.KindTrust, "Not A Partner Trust")
	valid := func(extra string) string {
		return `{"code":"new_programme","name":"New","category":"mentoring","min_age":16,"requires_benefit":false` + extra + `}`
	}

	cases := []struct {
		name   string
		body   string
		status int
		field  string
	}{
		{"max_age below min_age", valid(`,"max_age":15`), 422, "max_age"},
		{"max duration below min", valid(`,"min_duration_days":10,"max_duration_days":5`), 422, "max_duration_days"},
		{"partner is a trust", valid(`,"delivery_partner_id":"` + trust.ID.String() + `"`), 422, "delivery_partner_id"},
		{"partner does not exist", valid(`,"delivery_partner_id":"` + uuid.NewString() + `"`), 422, "delivery_partner_id"},
		{"code taken", `{"code":"get_into","name":"Get Into again","category":"employability","min_age":16,"requires_benefit":false}`, 409, ""},
		{"bad code", `{"code":"Get Into","name":"X","category":"employability","min_age":16,"requires_benefit":false}`, 400, "code"},
		{"bad category", `{"code":"x_y","name":"X","category":"cooking","min_age":16,"requires_benefit":false}`, 400, "category"},
		{"min_age too low", `{"code":"x_y","name":"X","category":"mentoring","min_age":5,"requires_benefit":false}`, 400, "min_age"},
		{"missing requires_benefit", `{"code":"x_y","name":"X","category":"mentoring","min_age":16}`, 400, "requires_benefit"},
		{"unknown field", valid(`,"cost":100`), 400, "cost"},
		{"read-only field", valid(`,"id":"` + uuid.NewString() + `"`), 400, "id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			apitest.WantProblem(t, env.Do(t, http.MethodPost, "/v1/programmes", national, tc.body), tc.status, tc.field)
		})
	}
	if got := listProgrammes(t, env, national, ""); len(got) != len(seededProgrammes) {
		t.Errorf("refused requests changed the catalogue: %v", codesOf(got))
	}
	if gi := listProgrammes(t, env, national, "")["get_into"]; gi.Name != "Get Into" || gi.Version != 1 {
		t.Errorf("a refused duplicate changed get_into: %+v", gi)
	}
}

func TestProgrammeWritesOnlyByNationalAdmin(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Trust")
	siw := listProgrammes(t, env, env.User(t, trust.ID, domain.RoleViewer), "")["step_into_work"]
	body := `{"code":"rogue","name":"Rogue","category":"mentoring","min_age":16,"requires_benefit":false}`

	for _, role := range []domain.Role{domain.RoleOrgAdmin, domain.RoleCoordinator, domain.RoleViewer} {
		t.Run(string(role), func(t *testing.T) {
			token := env.User(t, trust.ID, role)
			apitest.WantProblem(t, env.Do(t, http.MethodPost, "/v1/programmes", token, body), http.StatusForbidden, "")
			apitest.WantProblem(t, env.Patch(t, "/v1/programmes/"+siw.Id.String(), token, `{"min_age":14}`),
				http.StatusForbidden, "")

		})
	}
	res := env.Do(t, http.MethodPost, "/v1/programmes", "", body)
	apitest.WantProblem(t, res, http.StatusUnauthorized, "")
	if res.Header.Get("WWW-Authenticate") != `Bearer realm="p4w"` { // no token: no error code (RFC 6750 §3.1)
		t.Errorf("WWW-Authenticate = %q", res.Header.Get("WWW-Authenticate"))
	}

	viewer := env.User(t, trust.ID, domain.RoleViewer)
	got := listProgrammes(t, env, viewer, "")
	if _, ok := got["rogue"]; ok || got["step_into_work"].MinAge != 19 || got["step_into_work"].Version != 1 {
		t.Errorf("refused writes changed the catalogue: %v", codesOf(got))
	}
}

func TestProgrammePatch(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	_, national := env.NationalAdmin(t)
	trust := env.Organisation(t, domain.KindTrust, "Trust")
	gi := listProgrammes(t, env, national, "")["get_into"]
	path := "/v1/programmes/" + gi.Id.String()
	patch := func(body string, headers ...string) apitest.Response {
		return env.Patch(t, path, national, body, headers...)
	}
	read := func() client.Programme {
		res := env.Do(t, http.MethodGet, path, national, "")
		apitest.WantStatus(t, res, http.StatusOK)
		return decodeProgramme(t, res)
	}

	res := patch(`{"max_duration_days":49,"description":"Now up to seven weeks."}`, "If-Match", `"1"`)
	apitest.WantStatus(t, res, http.StatusOK)
	p := decodeProgramme(t, res)
	if p.MaxDurationDays.MustGet() != 49 || p.Description != "Now up to seven weeks." || p.Version != 2 || res.Header.Get("ETag") != `"2"` {
		t.Errorf("ETag %q, body %s", res.Header.Get("ETag"), res.Body)
	}
	if p.Code != "get_into" || p.Name != "Get Into" || p.MinAge != 16 || p.MaxAge.MustGet() != 30 || p.MinDurationDays.MustGet() != 28 ||
		p.DeliveryPartnerId.MustGet() != princesTrustID || !p.CreatedAt.Equal(gi.CreatedAt) {
		t.Errorf("fields not in the patch changed: %s", res.Body)
	}

	// A stale If-Match changes nothing.
	apitest.WantProblem(t, patch(`{"min_age":18}`, "If-Match", `"1"`), http.StatusPreconditionFailed, "")
	if got := read(); got.MinAge != 16 || got.Version != 2 {
		t.Errorf("a stale If-Match changed the programme: %+v", got)
	}

	// null clears; the partner may be changed to another partner.
	res = patch(`{"max_age":null,"delivery_partner_id":"`+streetDoctorsID.String()+`"}`, "If-Match", `"2"`)
	apitest.WantStatus(t, res, http.StatusOK)
	if p := decodeProgramme(t, res); !p.MaxAge.IsNull() || p.DeliveryPartnerId.MustGet() != streetDoctorsID || p.Version != 3 {
		t.Errorf("clearing max_age: %s", res.Body)
	}
	res = patch(`{"delivery_partner_id":null,"max_age":30}`)
	apitest.WantStatus(t, res, http.StatusOK)
	if p := decodeProgramme(t, res); !p.DeliveryPartnerId.IsNull() || p.MaxAge.MustGet() != 30 {
		t.Errorf("clearing delivery_partner_id: %s", res.Body)
	}
	before := read()

	cases := []struct {
		name   string
		body   string
		status int
		field  string
	}{
		{"min_age above max_age", `{"min_age":31}`, 422, "max_age"},
		{"max_age below min_age", `{"max_age":15}`, 422, "max_age"},
		{"min duration above max", `{"min_duration_days":50}`, 422, "max_duration_days"},
		{"partner is a trust", `{"delivery_partner_id":"` + trust.ID.String() + `"}`, 422, "delivery_partner_id"},
		{"code is fixed", `{"code":"get_out"}`, 400, "code"},
		{"category is fixed", `{"category":"mentoring"}`, 400, "category"},
		{"empty patch", `{}`, 400, ""},
		{"null min_age", `{"min_age":null}`, 400, "min_age"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			apitest.WantProblem(t, patch(tc.body), tc.status, tc.field)
		})
	}
	if after := read(); after.Version != before.Version || after.MinAge != before.MinAge || !after.DeliveryPartnerId.IsNull() {
		t.Errorf("refused patches changed the programme: %+v", after)
	}
	apitest.WantProblem(t, env.Patch(t, "/v1/programmes/"+uuid.NewString(), national, `{"name":"Ghost"}`), http.StatusNotFound, "")
}
