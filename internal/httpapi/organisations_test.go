package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/pkg/client"
)

// The delivery partners migration 00002 seeds, with fixed ids.
var (
	princesTrustID  = uuid.MustParse("01900000-0000-7000-8000-000000000001")
	streetDoctorsID = uuid.MustParse("01900000-0000-7000-8000-000000000002")
)

func decodeOrganisation(t *testing.T, res apitest.Response) client.Organisation {
	t.Helper()
	var o client.Organisation
	res.Decode(t, &o)
	return o
}

func decodeOrganisationPage(t *testing.T, res apitest.Response) client.OrganisationPage {
	t.Helper()
	var p client.OrganisationPage
	res.Decode(t, &p)
	return p
}

// organisationIDs lists the organisations a GET of path returns (one page of up to 500).
func organisationIDs(t *testing.T, env *apitest.Env, token, path string) []uuid.UUID {
	t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	res := env.Do(t, http.MethodGet, path+sep+"limit=500", token, "")
	apitest.WantStatus(t, res, http.StatusOK)
	page := decodeOrganisationPage(t, res)
	if !page.NextCursor.IsNull() {
		t.Fatalf("%s: more than one page", path)
	}
	ids := make([]uuid.UUID, len(page.Data))
	for i, o := range page.Data {
		ids[i] = o.Id
	}
	return ids
}

func sameIDs(got, want []uuid.UUID) bool {
	a, b := slices.Clone(got), slices.Clone(want)
	cmp := func(x, y uuid.UUID) int { return strings.Compare(x.String(), y.String()) }
	slices.SortFunc(a, cmp)
	slices.SortFunc(b, cmp)
	return slices.Equal(a, b)
}

// createOrganisation creates an organisation through the API as token and returns it.
func createOrganisation(t *testing.T, env *apitest.Env, token, body string) client.Organisation {
	t.Helper()
	res := env.Do(t, http.MethodPost, "/v1/organisations", token, body)
	apitest.WantStatus(t, res, http.StatusCreated)
	return decodeOrganisation(t, res)
}

func TestOrganisationCreate(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	_, admin := env.NationalAdmin(t)

	res := env.Do(t, http.MethodPost, "/v1/organisations", admin,
		`{"kind":"trust","name":"Northgate Teaching Hospitals NHS Foundation Trust","ods_code":"RXN01","region":"north_west"}`)
	apitest.WantStatus(t, res, http.StatusCreated)
	o := decodeOrganisation(t, res)
	if loc := res.Header.Get("Location"); loc != "/v1/organisations/"+o.Id.String() {
		t.Errorf("Location = %q, id %s", loc, o.Id)
	}
	if et := res.Header.Get("ETag"); et != `"1"` || o.Version != 1 {
		t.Errorf("ETag %q, version %d; want \"1\" and 1", et, o.Version)
	}
	if o.Kind != client.OrganisationKind(domain.KindTrust) || o.Name != "Northgate Teaching Hospitals NHS Foundation Trust" ||
		o.OdsCode.MustGet() != "RXN01" || o.Region.MustGet() != "north_west" || len(o.MemberIds) != 0 {
		t.Errorf("created %s", res.Body)
	}
	if o.Id.Version() != 7 {
		t.Errorf("id %s is not a UUIDv7", o.Id)
	}
	if o.CreatedAt.IsZero() || o.CreatedAt.Location() != time.UTC || o.UpdatedAt.Before(o.CreatedAt) {
		t.Errorf("created_at %v, updated_at %v", o.CreatedAt, o.UpdatedAt)
	}

	// The record is what the Location says it is.
	got := env.Do(t, http.MethodGet, res.Header.Get("Location"), admin, "")
	apitest.WantStatus(t, got, http.StatusOK)
	if g := decodeOrganisation(t, got); g.Id != o.Id || g.Name != o.Name || g.OdsCode.MustGet() != "RXN01" || g.Version != 1 {
		t.Errorf("read back %s", got.Body)
	}

	// The national team itself needs no region.
	nat := createOrganisation(t, env, admin, `{"kind":"national","name":"Second national team"}`)
	if !nat.Region.IsNull() || !nat.OdsCode.IsNull() {
		t.Errorf("national team: region %v, ods_code %v", nat.Region, nat.OdsCode)
	}
}

func TestOrganisationCreateRefusesBadInput(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	_, admin := env.NationalAdmin(t)
	createOrganisation(t, env, admin, `{"kind":"trust","name":"First Trust","ods_code":"RXN01","region":"north_west"}`)
	before := organisationIDs(t, env, admin, "/v1/organisations")

	cases := []struct {
		name   string
		body   string
		status int
		field  string
	}{
		{"ods_code shape", `{"kind":"trust","name":"T","ods_code":"rx-1","region":"london"}`, 400, "ods_code"},
		{"ods_code too long", `{"kind":"trust","name":"T","ods_code":"RXN0123","region":"london"}`, 400, "ods_code"},
		{"region not a region", `{"kind":"trust","name":"T","region":"wales"}`, 400, "region"},
		{"kind not a kind", `{"kind":"hospital","name":"T","region":"london"}`, 400, "kind"},
		{"trust without region", `{"kind":"trust","name":"T","ods_code":"RXN02"}`, 422, "region"},
		{"unknown field", `{"kind":"trust","name":"T","region":"london","colour":"blue"}`, 400, "colour"},
		{"read-only field", `{"kind":"trust","name":"T","region":"london","version":3}`, 400, "version"},
		{"missing name", `{"kind":"trust","region":"london"}`, 400, "name"},
		{"empty name", `{"kind":"trust","name":"","region":"london"}`, 400, "name"},
		{"not json", `{"kind":`, 400, "body"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			apitest.WantProblem(t, env.Do(t, http.MethodPost, "/v1/organisations", admin, tc.body), tc.status, tc.field)
		})
	}

	t.Run("ods_code taken", func(t *testing.T) {
		res := env.Do(t, http.MethodPost, "/v1/organisations", admin, `{"kind":"trust","name":"Other Trust","ods_code":"RXN01","region":"london"}`)
		p := apitest.WantProblem(t, res, http.StatusConflict, "")
		if !strings.Contains(p.Detail, "ods_code") && !slices.Contains(p.Fields(), "ods_code") {
			t.Errorf("conflict does not name ods_code: %s", res.Body)
		}
	})

	// Nothing half-written: every refused request left no organisation behind.
	if after := organisationIDs(t, env, admin, "/v1/organisations"); !sameIDs(after, before) {
		t.Errorf("refused requests changed the organisations: %d before, %d after", len(before), len(after))
	}
}

func TestOrganisationCreateOnlyByNationalAdmin(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	_, admin := env.NationalAdmin(t)
	trust := env.Organisation(t, domain.KindTrust, "Riverside Community Health NHS Trust")
	body := `{"kind":"trust","name":"Sneaky Trust","region":"london"}`

	for _, role := range []domain.Role{domain.RoleCoordinator, domain.RoleOrgAdmin, domain.RoleViewer} {
		t.Run(string(role), func(t *testing.T) {
			token := env.User(t, trust.ID, role)
			apitest.WantProblem(t, env.Do(t, http.MethodPost, "/v1/organisations", token, body), http.StatusForbidden, "")
		})
	}
	for name, tc := range map[string]struct{ token, challenge string }{
		"no token":     {"", `Bearer realm="p4w"`}, // RFC 6750 §3.1: no error code
		"forged token": {"eyJhbGciOiJub25lIn0.e30.", `Bearer realm="p4w", error="invalid_token", error_description="the access token is not valid"`},
	} {
		t.Run(name, func(t *testing.T) {
			res := env.Do(t, http.MethodPost, "/v1/organisations", tc.token, body)
			apitest.WantProblem(t, res, http.StatusUnauthorized, "")
			if h := res.Header.Get("WWW-Authenticate"); h != tc.challenge {
				t.Errorf("WWW-Authenticate = %q, want %q", h, tc.challenge)
			}
		})
	}
	if ids := organisationIDs(t, env, admin, "/v1/organisations?q=Sneaky"); len(ids) != 0 {
		t.Errorf("a refused caller created %d organisations", len(ids))
	}
}

func TestOrganisationGet(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	a := env.Organisation(t, domain.KindTrust, "Trust A")
	b := env.Organisation(t, domain.KindTrust, "Trust B")
	token := env.User(t, a.ID, domain.RoleCoordinator)

	res := env.Do(t, http.MethodGet, "/v1/organisations/"+a.ID.String(), token, "")
	apitest.WantStatus(t, res, http.StatusOK)
	if o := decodeOrganisation(t, res); o.Id != a.ID || o.Name != "Trust A" || res.Header.Get("ETag") != `"1"` {
		t.Errorf("ETag %q, body %s", res.Header.Get("ETag"), res.Body)
	}

	// Another trust's organisation is indistinguishable from one that does not exist.
	hidden := apitest.WantProblem(t, env.Do(t, http.MethodGet, "/v1/organisations/"+b.ID.String(), token, ""), http.StatusNotFound, "")
	missing := apitest.WantProblem(t, env.Do(t, http.MethodGet, "/v1/organisations/"+uuid.NewString(), token, ""), http.StatusNotFound, "")
	hidden.RequestID, missing.RequestID = "", ""
	if h, m := apitest.Marshal(t, hidden), apitest.Marshal(t, missing); h != m {
		t.Errorf("another trust's organisation answers\n%s\nbut a random id answers\n%s", h, m)
	}

	// The delivery partners are a directory every trust may read (it names them on cohorts).
	if res := env.Do(t, http.MethodGet, "/v1/organisations/"+princesTrustID.String(), token, ""); res.Status != http.StatusOK {
		t.Errorf("a trust cannot read the delivery partner: %d %s", res.Status, res.Body)
	}

	apitest.WantProblem(t, env.Do(t, http.MethodGet, "/v1/organisations/not-a-uuid", token, ""), http.StatusBadRequest, "organisation_id")
	apitest.WantProblem(t, env.Do(t, http.MethodGet, "/v1/organisations/"+a.ID.String(), "", ""), http.StatusUnauthorized, "")
}

func TestOrganisationListIsWithinReach(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	nat, admin := env.NationalAdmin(t)
	a := env.Organisation(t, domain.KindTrust, "Trust A")
	b := env.Organisation(t, domain.KindTrust, "Trust B")

	coordinator := env.User(t, a.ID, domain.RoleCoordinator)
	if got := organisationIDs(t, env, coordinator, "/v1/organisations"); !sameIDs(got, []uuid.UUID{princesTrustID, streetDoctorsID, a.ID}) {
		t.Errorf("trust coordinator sees %v, want its trust %s and the delivery partners", got, a.ID)
	}
	if got := organisationIDs(t, env, coordinator, "/v1/organisations?kind=trust"); !sameIDs(got, []uuid.UUID{a.ID}) {
		t.Errorf("trust coordinator sees trusts %v, want only its own", got)
	}
	want := []uuid.UUID{princesTrustID, streetDoctorsID, nat.ID, a.ID, b.ID}
	if got := organisationIDs(t, env, admin, "/v1/organisations"); !sameIDs(got, want) {
		t.Errorf("national admin sees %v, want %v", got, want)
	}
	apitest.WantProblem(t, env.Do(t, http.MethodGet, "/v1/organisations", "", ""), http.StatusUnauthorized, "")
}

func TestOrganisationListFilters(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	_, admin := env.NationalAdmin(t)
	north := createOrganisation(t, env, admin, `{"kind":"trust","name":"Northgate Teaching Hospitals","ods_code":"RXN01","region":"north_west"}`)
	london := createOrganisation(t, env, admin, `{"kind":"trust","name":"Thames Valley 100% Care Trust","ods_code":"RXL02","region":"london"}`)
	collab := createOrganisation(t, env, admin, `{"kind":"collaboration","name":"North West Step into Work Collaboration","region":"north_west"}`)

	cases := []struct {
		query string
		want  []uuid.UUID
	}{
		{"kind=trust", []uuid.UUID{north.Id, london.Id}},
		{"kind=collaboration", []uuid.UUID{collab.Id}},
		{"kind=partner", []uuid.UUID{princesTrustID, streetDoctorsID}},
		{"region=london", []uuid.UUID{london.Id, princesTrustID}},
		{"region=north_west&kind=trust", []uuid.UUID{north.Id}},
		{"ods_code=RXL02", []uuid.UUID{london.Id}},
		{"ods_code=RXZ99", nil},
		{"q=NORTH", []uuid.UUID{north.Id, collab.Id}},            // case-insensitive
		{"q=step+into", []uuid.UUID{collab.Id}},                  // anywhere in the name
		{"q=" + url.QueryEscape("100%"), []uuid.UUID{london.Id}}, // % is a character, not a wildcard
		{"q=" + url.QueryEscape("%"), []uuid.UUID{london.Id}},
		{"q=_", nil}, // _ is a character, not a wildcard
		{"q=nowhere", nil},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			if got := organisationIDs(t, env, admin, "/v1/organisations?"+tc.query); !sameIDs(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	for query, field := range map[string]string{"kind=hospital": "kind", "region=wales": "region", "ods_code=rx": "ods_code", "q=": "q"} {
		t.Run("bad "+query, func(t *testing.T) {
			apitest.WantProblem(t, env.Do(t, http.MethodGet, "/v1/organisations?"+query, admin, ""), http.StatusBadRequest, field)
		})
	}
}

func TestOrganisationListPages(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	_, admin := env.NationalAdmin(t)
	for _, name := range []string{"Trust A", "Trust B", "Trust C", "Trust D"} {
		env.Organisation(t, domain.KindTrust, name)
	}
	all := organisationIDs(t, env, admin, "/v1/organisations") // 2 partners, the national team, 4 trusts
	if len(all) != 7 {
		t.Fatalf("national admin sees %d organisations, want 7", len(all))
	}

	var walked []uuid.UUID
	path := "/v1/organisations?limit=1"
	for pages := 0; ; pages++ {
		if pages > len(all) {
			t.Fatalf("more than %d pages of one: the cursor does not advance", len(all))
		}
		res := env.Do(t, http.MethodGet, path, admin, "")
		apitest.WantStatus(t, res, http.StatusOK)
		page := decodeOrganisationPage(t, res)
		if len(page.Data) != 1 {
			t.Fatalf("page of %d, want 1: %s", len(page.Data), res.Body)
		}
		walked = append(walked, page.Data[0].Id)
		if page.NextCursor.IsNull() {
			break
		}
		path = "/v1/organisations?limit=1&cursor=" + url.QueryEscape(page.NextCursor.MustGet())
	}
	if !slices.Equal(walked, all) {
		t.Errorf("pages of one walked %v, one page of all is %v", walked, all)
	}

	for name, c := range map[string]string{
		"not base64":  "!!!",
		"too long":    strings.Repeat("A", 201),
		"not json":    "bm90IGpzb24",                                      // "not json"
		"no id":       "eyJ1IjoiMjAyNS0wMS0wMVQwMDowMDowMFoifQ",           // {"u":"2025-01-01T00:00:00Z"}
		"wrong shape": "WzEsMiwzXQ",                                       // [1,2,3]
		"wrong id":    "eyJ1IjoiMjAyNS0wMS0wMVQwMDowMDowMFoiLCJpIjoieCJ9", // {"u":"2025-01-01T00:00:00Z","i":"x"}
	} {
		t.Run(name, func(t *testing.T) {
			apitest.WantProblem(t, env.Do(t, http.MethodGet, "/v1/organisations?cursor="+c, admin, ""), http.StatusBadRequest, "cursor")
		})
	}
	for _, limit := range []string{"0", "501", "x"} {
		apitest.WantProblem(t, env.Do(t, http.MethodGet, "/v1/organisations?limit="+limit, admin, ""), http.StatusBadRequest, "limit")
	}
}

func TestOrganisationListUpdatedSince(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	_, admin := env.NationalAdmin(t)
	older := createOrganisation(t, env, admin, `{"kind":"trust","name":"Older Trust","region":"london"}`)
	newer := createOrganisation(t, env, admin, `{"kind":"trust","name":"Newer Trust","region":"london"}`)
	if !newer.UpdatedAt.After(older.UpdatedAt) {
		t.Fatalf("updated_at does not advance: %v then %v", older.UpdatedAt, newer.UpdatedAt)
	}
	since := func(ts time.Time) string {
		return "/v1/organisations?updated_since=" + url.QueryEscape(ts.Format(time.RFC3339Nano))
	}
	if got := organisationIDs(t, env, admin, since(newer.UpdatedAt)); !sameIDs(got, []uuid.UUID{newer.Id}) {
		t.Errorf("updated_since the newer's updated_at: got %v, want only %s", got, newer.Id)
	}
	if got := organisationIDs(t, env, admin, since(older.UpdatedAt)); !sameIDs(got, []uuid.UUID{older.Id, newer.Id}) {
		t.Errorf("updated_since the older's updated_at: got %v, want both", got)
	}

	// A change brings the older record back into the window.
	res := env.Patch(t, "/v1/organisations/"+older.Id.String(), admin, `{"name":"Older Trust, renamed"}`)
	apitest.WantStatus(t, res, http.StatusOK)
	if got := organisationIDs(t, env, admin, since(newer.UpdatedAt)); !sameIDs(got, []uuid.UUID{older.Id, newer.Id}) {
		t.Errorf("after a change: got %v, want both", got)
	}
	// In the window, the changed record comes last: the order is (updated_at, id).
	if got := organisationIDs(t, env, admin, since(newer.UpdatedAt)); len(got) == 2 && got[1] != older.Id {
		t.Errorf("order %v, want the changed record last", got)
	}
	apitest.WantProblem(t, env.Do(t, http.MethodGet, "/v1/organisations?updated_since=yesterday", admin, ""), http.StatusBadRequest, "updated_since")
}

func TestOrganisationPatch(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	_, national := env.NationalAdmin(t)
	trust := createOrganisation(t, env, national, `{"kind":"trust","name":"Riverside Trust","ods_code":"RXR01","region":"north_west"}`)
	admin := env.User(t, trust.Id, domain.RoleOrgAdmin)
	path := "/v1/organisations/" + trust.Id.String()
	patch := func(body string, headers ...string) apitest.Response {
		return env.Patch(t, path, admin, body, headers...)
	}
	read := func() client.Organisation {
		res := env.Do(t, http.MethodGet, path, admin, "")
		apitest.WantStatus(t, res, http.StatusOK)
		return decodeOrganisation(t, res)
	}

	res := patch(`{"name":"Riverside Community Trust"}`)
	apitest.WantStatus(t, res, http.StatusOK)
	o := decodeOrganisation(t, res)
	if o.Name != "Riverside Community Trust" || o.Version != 2 || res.Header.Get("ETag") != `"2"` {
		t.Errorf("ETag %q, body %s", res.Header.Get("ETag"), res.Body)
	}
	if o.OdsCode.MustGet() != "RXR01" || o.Region.MustGet() != "north_west" || !o.CreatedAt.Equal(trust.CreatedAt) {
		t.Errorf("fields not in the patch changed: %s", res.Body)
	}
	if !o.UpdatedAt.After(trust.UpdatedAt) {
		t.Errorf("updated_at %v did not move on from %v", o.UpdatedAt, trust.UpdatedAt)
	}

	// A stale If-Match changes nothing.
	apitest.WantProblem(t, patch(`{"name":"Lost Update"}`, "If-Match", `"1"`), http.StatusPreconditionFailed, "")
	if got := read(); got.Name != "Riverside Community Trust" || got.Version != 2 {
		t.Errorf("a stale If-Match changed the record: %+v", got)
	}
	apitest.WantProblem(t, patch(`{"name":"Lost Update"}`, "If-Match", `"not-a-version"`), http.StatusPreconditionFailed, "")

	// A matching strong If-Match goes through; a weak one never matches (RFC 9110).
	res = patch(`{"region":"london"}`, "If-Match", `"2"`)
	apitest.WantStatus(t, res, http.StatusOK)
	if o := decodeOrganisation(t, res); o.Region.MustGet() != "london" || o.Version != 3 || res.Header.Get("ETag") != `"3"` {
		t.Errorf("ETag %q, body %s", res.Header.Get("ETag"), res.Body)
	}
	apitest.WantProblem(t, patch(`{"name":"Riverside Trust"}`, "If-Match", `W/"3"`), http.StatusPreconditionFailed, "")
	res = patch(`{"name":"Riverside Trust"}`, "If-Match", `"3"`)
	apitest.WantStatus(t, res, http.StatusOK)

	// null clears a nullable field.
	res = patch(`{"ods_code":null}`)
	apitest.WantStatus(t, res, http.StatusOK)
	if o := decodeOrganisation(t, res); !o.OdsCode.IsNull() || o.Region.MustGet() != "london" || o.Name != "Riverside Trust" {
		t.Errorf("clearing ods_code: %s", res.Body)
	}
	if got := read(); !got.OdsCode.IsNull() {
		t.Errorf("ods_code still %v after it was cleared", got.OdsCode)
	}
	// The cleared code is free for another organisation.
	createOrganisation(t, env, national, `{"kind":"trust","name":"Code Taker","ods_code":"RXR01","region":"london"}`)
	before := read()

	cases := []struct {
		name   string
		body   string
		status int
		field  string
	}{
		{"empty patch", `{}`, 400, ""},
		{"unknown field", `{"colour":"blue"}`, 400, "colour"},
		{"read-only field", `{"kind":"partner"}`, 400, "kind"},
		{"bad ods_code", `{"ods_code":"rx-1"}`, 400, "ods_code"},
		{"bad region", `{"region":"wales"}`, 400, "region"},
		{"empty name", `{"name":""}`, 400, "name"},
		{"null name", `{"name":null}`, 400, "name"},
		{"a trust needs a region", `{"region":null}`, 422, "region"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			apitest.WantProblem(t, patch(tc.body), tc.status, tc.field)
		})
	}
	t.Run("ods_code taken", func(t *testing.T) {
		p := apitest.WantProblem(t, patch(`{"ods_code":"RXR01"}`), http.StatusConflict, "")
		if !strings.Contains(p.Detail, "ods_code") && !slices.Contains(p.Fields(), "ods_code") {
			t.Errorf("conflict does not name ods_code: %+v", p)
		}
	})
	t.Run("text/plain", func(t *testing.T) {
		apitest.WantProblem(t, env.Do(t, http.MethodPatch, path, admin, `{"name":"Plain text"}`, "Content-Type", "text/plain"),
			http.StatusUnsupportedMediaType, "")
	})
	if after := read(); after.Version != before.Version || after.Name != before.Name {
		t.Errorf("refused patches changed the record: version %d -> %d", before.Version, after.Version)
	}
}

func TestOrganisationPatchOnlyOwnOrganisation(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	_, national := env.NationalAdmin(t)
	a := env.Organisation(t, domain.KindTrust, "Trust A")
	b := env.Organisation(t, domain.KindTrust, "Trust B")
	adminA := env.User(t, a.ID, domain.RoleOrgAdmin)
	body := `{"name":"Taken Over"}`

	// Trust A's admin cannot learn that trust B exists, let alone change it.
	res := env.Patch(t, "/v1/organisations/"+b.ID.String(), adminA, body)
	hidden := apitest.WantProblem(t, res, http.StatusNotFound, "")
	missing := apitest.WantProblem(t, env.Patch(t, "/v1/organisations/"+uuid.NewString(), adminA, body), http.StatusNotFound, "")
	if hidden.Detail != missing.Detail || hidden.Type != missing.Type {
		t.Errorf("another trust answers %+v, a random id %+v", hidden, missing)
	}
	// A delivery partner is visible to every trust, but only the national team changes it.
	apitest.WantProblem(t, env.Patch(t, "/v1/organisations/"+princesTrustID.String(), adminA, body), http.StatusForbidden, "")

	// Coordinators and viewers may read their organisation but not change it.
	for _, role := range []domain.Role{domain.RoleCoordinator, domain.RoleViewer} {
		token := env.User(t, a.ID, role)
		res := env.Patch(t, "/v1/organisations/"+a.ID.String(), token, body)
		apitest.WantProblem(t, res, http.StatusForbidden, "")
	}
	apitest.WantProblem(t, env.Patch(t, "/v1/organisations/"+a.ID.String(), "", body), http.StatusUnauthorized, "")

	for _, id := range []uuid.UUID{a.ID, b.ID} {
		res := env.Do(t, http.MethodGet, "/v1/organisations/"+id.String(), national, "")
		apitest.WantStatus(t, res, http.StatusOK)
		if o := decodeOrganisation(t, res); o.Name == "Taken Over" || o.Version != 1 {
			t.Errorf("a refused patch changed %s: %s", id, res.Body)
		}
	}
	// The national team may change any organisation.
	apitest.WantStatus(t, env.Patch(t, "/v1/organisations/"+b.ID.String(), national, body), http.StatusOK)
}

func TestOrganisationCollaborationMembers(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	nat, national := env.NationalAdmin(t)
	collab := createOrganisation(t, env, national, `{"kind":"collaboration","name":"Mersey Valley Collaboration","region":"north_west"}`)
	member := env.Organisation(t, domain.KindTrust, "Member Trust")
	outsider := env.Organisation(t, domain.KindTrust, "Outsider Trust")
	otherCollab := env.Organisation(t, domain.KindCollaboration, "Other Collaboration")
	membership := func(collabID, memberID uuid.UUID) string {
		return "/v1/organisations/" + collabID.String() + "/members/" + memberID.String()
	}
	readCollab := func() client.Organisation {
		res := env.Do(t, http.MethodGet, "/v1/organisations/"+collab.Id.String(), national, "")
		apitest.WantStatus(t, res, http.StatusOK)
		return decodeOrganisation(t, res)
	}

	// Adding is idempotent.
	for range 2 {
		res := env.Do(t, http.MethodPut, membership(collab.Id, member.ID), national, "")
		apitest.WantStatus(t, res, http.StatusNoContent)
		if len(res.Body) != 0 {
			t.Errorf("204 with a body: %s", res.Body)
		}
	}
	c := readCollab()
	if !sameIDs(c.MemberIds, []uuid.UUID{member.ID}) {
		t.Errorf("member_ids %v, want [%s]", c.MemberIds, member.ID)
	}
	// A syncing client sees the collaboration changed.
	if c.Version <= collab.Version || !c.UpdatedAt.After(collab.UpdatedAt) {
		t.Errorf("adding a member left version %d -> %d, updated_at %v -> %v", collab.Version, c.Version, collab.UpdatedAt, c.UpdatedAt)
	}
	if got := organisationIDs(t, env, national, "/v1/organisations/"+collab.Id.String()+"/members"); !sameIDs(got, []uuid.UUID{member.ID}) {
		t.Errorf("members %v, want [%s]", got, member.ID)
	}
	// A collaboration's member trust lists with member_ids empty; the collaboration with its members.
	res := env.Do(t, http.MethodGet, "/v1/organisations?kind=collaboration&limit=500", national, "")
	apitest.WantStatus(t, res, http.StatusOK)
	for _, o := range decodeOrganisationPage(t, res).Data {
		if o.Id == collab.Id && !sameIDs(o.MemberIds, []uuid.UUID{member.ID}) {
			t.Errorf("listed collaboration has member_ids %v", o.MemberIds)
		}
		if o.Id == otherCollab.ID && len(o.MemberIds) != 0 {
			t.Errorf("another collaboration has member_ids %v", o.MemberIds)
		}
	}

	// A user of the collaboration sees it and its member trust, and nothing else.
	collabUser := env.User(t, collab.Id, domain.RoleCoordinator)
	apitest.WantStatus(t, env.Do(t, http.MethodGet, "/v1/organisations/"+member.ID.String(), collabUser, ""), http.StatusOK)
	apitest.WantStatus(t, env.Do(t, http.MethodGet, "/v1/organisations/"+collab.Id.String(), collabUser, ""), http.StatusOK)
	apitest.WantProblem(t, env.Do(t, http.MethodGet, "/v1/organisations/"+outsider.ID.String(), collabUser, ""), http.StatusNotFound, "")
	if got := organisationIDs(t, env, collabUser, "/v1/organisations"); !sameIDs(got, []uuid.UUID{collab.Id, member.ID, princesTrustID, streetDoctorsID}) {
		t.Errorf("collaboration user lists %v, want the collaboration, its member and the delivery partners", got)
	}
	if got := organisationIDs(t, env, collabUser, "/v1/organisations/"+collab.Id.String()+"/members"); !sameIDs(got, []uuid.UUID{member.ID}) {
		t.Errorf("collaboration user lists members %v", got)
	}
	// A member trust's user does not see the collaboration.
	memberUser := env.User(t, member.ID, domain.RoleCoordinator)
	apitest.WantProblem(t, env.Do(t, http.MethodGet, "/v1/organisations/"+collab.Id.String(), memberUser, ""), http.StatusNotFound, "")
	apitest.WantProblem(t, env.Do(t, http.MethodGet, "/v1/organisations/"+collab.Id.String()+"/members", memberUser, ""), http.StatusNotFound, "")

	// Only a trust joins, and only a collaboration has members.
	for name, tc := range map[string]struct{ collab, member uuid.UUID }{
		"partner joins":            {collab.Id, princesTrustID},
		"collaboration joins":      {collab.Id, otherCollab.ID},
		"national team joins":      {collab.Id, nat.ID},
		"trust as collaboration":   {outsider.ID, member.ID},
		"partner as collaboration": {princesTrustID, member.ID},
	} {
		t.Run(name, func(t *testing.T) {
			apitest.WantProblem(t, env.Do(t, http.MethodPut, membership(tc.collab, tc.member), national, ""), http.StatusConflict, "")
		})
	}
	apitest.WantProblem(t, env.Do(t, http.MethodPut, membership(collab.Id, uuid.New()), national, ""), http.StatusNotFound, "")
	apitest.WantProblem(t, env.Do(t, http.MethodPut, "/v1/organisations/x/members/"+member.ID.String(), national, ""), http.StatusBadRequest, "organisation_id")
	apitest.WantProblem(t, env.Do(t, http.MethodPut, "/v1/organisations/"+collab.Id.String()+"/members/x", national, ""), http.StatusBadRequest, "member_id")

	// Only the national team changes memberships.
	collabAdmin := env.User(t, collab.Id, domain.RoleOrgAdmin)
	apitest.WantProblem(t, env.Do(t, http.MethodPut, membership(collab.Id, outsider.ID), collabAdmin, ""), http.StatusForbidden, "")
	apitest.WantProblem(t, env.Do(t, http.MethodDelete, membership(collab.Id, member.ID), collabUser, ""), http.StatusForbidden, "")
	if c := readCollab(); !sameIDs(c.MemberIds, []uuid.UUID{member.ID}) {
		t.Errorf("refused changes left member_ids %v", c.MemberIds)
	}

	// Removing is idempotent.
	for range 2 {
		apitest.WantStatus(t, env.Do(t, http.MethodDelete, membership(collab.Id, member.ID), national, ""), http.StatusNoContent)
	}
	if c := readCollab(); len(c.MemberIds) != 0 {
		t.Errorf("member_ids %v after removal", c.MemberIds)
	}
	if got := organisationIDs(t, env, national, "/v1/organisations/"+collab.Id.String()+"/members"); len(got) != 0 {
		t.Errorf("members %v after removal", got)
	}
	// A user of the collaboration signed in after the removal no longer sees the former member.
	later := env.User(t, collab.Id, domain.RoleCoordinator)
	apitest.WantProblem(t, env.Do(t, http.MethodGet, "/v1/organisations/"+member.ID.String(), later, ""), http.StatusNotFound, "")
}

func TestOrganisationCreateIdempotencyKey(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	nat, admin := env.NationalAdmin(t)
	body := `{"kind":"trust","name":"Idempotent Trust","ods_code":"RXI01","region":"north_west"}`
	key := "Idempotency-Key"

	first := env.Do(t, http.MethodPost, "/v1/organisations", admin, body, key, "create-trust-1")
	apitest.WantStatus(t, first, http.StatusCreated)
	if first.Header.Get("Idempotent-Replayed") != "" {
		t.Errorf("the first answer says it is replayed")
	}
	again := env.Do(t, http.MethodPost, "/v1/organisations", admin, body, key, "create-trust-1")
	apitest.WantStatus(t, again, http.StatusCreated)
	if string(again.Body) != string(first.Body) {
		t.Errorf("replay body\n%s\nfirst body\n%s", again.Body, first.Body)
	}
	if again.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("Idempotent-Replayed = %q", again.Header.Get("Idempotent-Replayed"))
	}
	for _, h := range []string{"Location", "ETag", "Content-Type"} {
		if again.Header.Get(h) != first.Header.Get(h) {
			t.Errorf("replayed %s %q, first %q", h, again.Header.Get(h), first.Header.Get(h))
		}
	}
	if got := organisationIDs(t, env, admin, "/v1/organisations?q=Idempotent"); len(got) != 1 {
		t.Errorf("%d organisations after a retried create, want 1", len(got))
	}

	// The same key with another body is refused, and creates nothing.
	res := env.Do(t, http.MethodPost, "/v1/organisations", admin, strings.Replace(body, "RXI01", "RXI02", 1), key, "create-trust-1")
	apitest.WantProblem(t, res, http.StatusUnprocessableEntity, "Idempotency-Key")
	if got := organisationIDs(t, env, admin, "/v1/organisations?ods_code=RXI02"); len(got) != 0 {
		t.Errorf("a refused replay created %v", got)
	}

	// A failed request is not remembered: once fixed, the same key goes through.
	apitest.WantProblem(t, env.Do(t, http.MethodPost, "/v1/organisations", admin, `{"kind":"trust","name":"No Region"}`, key, "create-trust-2"),
		http.StatusUnprocessableEntity, "region")

	apitest.WantStatus(t, env.Do(t, http.MethodPost, "/v1/organisations", admin, `{"kind":"trust","name":"No Region"}`, key, "create-trust-2"),
		http.StatusUnprocessableEntity)

	apitest.WantStatus(t, env.Do(t, http.MethodPost, "/v1/organisations", admin, `{"kind":"trust","name":"No Region","region":"london"}`, key, "create-trust-2"),
		http.StatusCreated)

	// Keys are scoped to the caller: another user's identical key is a new request.
	shared := `{"kind":"trust","name":"Shared Key Trust","region":"london"}`
	mine := env.Do(t, http.MethodPost, "/v1/organisations", admin, shared, key, "shared-key")
	apitest.WantStatus(t, mine, http.StatusCreated)
	other := env.User(t, nat.ID, domain.RoleNationalAdmin)
	theirs := env.Do(t, http.MethodPost, "/v1/organisations", other, shared, key, "shared-key")
	apitest.WantStatus(t, theirs, http.StatusCreated)
	if theirs.Header.Get("Idempotent-Replayed") != "" || decodeOrganisation(t, theirs).Id == decodeOrganisation(t, mine).Id {
		t.Errorf("another user's key replayed my answer: %s", theirs.Body)
	}
	res = env.Do(t, http.MethodPost, "/v1/organisations", other, strings.Replace(shared, "Shared", "Their", 1), key, "create-trust-1")
	apitest.WantStatus(t, res, http.StatusCreated)
	if got := organisationIDs(t, env, admin, "/v1/organisations?q=Shared+Key"); len(got) != 2 {
		t.Errorf("%d organisations named Shared Key, want 2", len(got))
	}
}

func TestOrganisationWritesAreAudited(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	_, admin := env.NationalAdmin(t)
	o := createOrganisation(t, env, admin, `{"kind":"trust","name":"Audited Trust","ods_code":"RXA01","region":"london"}`)
	res := env.Patch(t, "/v1/organisations/"+o.Id.String(), admin, `{"name":"Audited Trust (renamed)","ods_code":null}`)
	apitest.WantStatus(t, res, http.StatusOK)
	requestID := res.Header.Get("X-Request-ID")
	// A refused change leaves no audit event.
	apitest.WantStatus(t, env.Do(t, http.MethodPatch, "/v1/organisations/"+o.Id.String(), admin, `{"region":"midlands"}`, "Content-Type", "application/merge-patch+json", "If-Match", `"1"`),
		http.StatusPreconditionFailed)

	rows, err := env.DB.SQL().QueryContext(t.Context(),
		`select action, fields, actor, request_id from audit_events where resource_id = $1 order by at`, o.Id.String())
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	type event struct {
		action, actor, requestID string
		fields                   []string
	}
	var events []event
	for rows.Next() {
		var e event
		var fields []byte
		if err := rows.Scan(&e.action, &fields, &e.actor, &e.requestID); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(fields, &e.fields); err != nil {
			t.Fatalf("fields %s: %v", fields, err)
		}
		events = append(events, e)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 || events[0].action != "organisation.create" || events[1].action != "organisation.update" {
		t.Fatalf("audit events %+v, want a create and an update", events)
	}
	if want := []string{"name", "ods_code"}; !apitest.SameSet(events[1].fields, want) {
		t.Errorf("update audited fields %v, want %v", events[1].fields, want)
	}
	for _, e := range events {
		if !strings.HasPrefix(e.actor, "user:") {
			t.Errorf("%s audited as actor %q, want the signed-in user", e.action, e.actor)
		}
	}
	if events[1].requestID != requestID || requestID == "" {
		t.Errorf("update audited with request_id %q, the response said %q", events[1].requestID, requestID)
	}
}

// TestOrganisationParameterErrorsNameTheParameter: a query or path parameter that breaks its
// schema answers 400 with a problem naming that parameter, so that a client can tell which.
func TestOrganisationParameterErrorsNameTheParameter(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	nat, admin := env.NationalAdmin(t)
	for _, tc := range []struct{ path, field string }{
		{"/v1/organisations/not-a-uuid", "organisation_id"},
		{"/v1/organisations/not-a-uuid/members", "organisation_id"},
		{"/v1/organisations?ods_code=rx", "ods_code"},
		{"/v1/organisations?q=", "q"},
		{"/v1/organisations?q=" + strings.Repeat("x", 101), "q"},
		{"/v1/organisations?cursor=!!!", "cursor"},
		{"/v1/organisations?cursor=" + strings.Repeat("A", 201), "cursor"},
		{"/v1/organisations?limit=0", "limit"},
		{"/v1/organisations?limit=501", "limit"},
		{"/v1/organisations?updated_since=yesterday", "updated_since"},
		{"/v1/programmes/step_into_work", "programme_id"},
		{"/v1/programmes?cursor=!!!", "cursor"},
		{"/v1/programmes?limit=0", "limit"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			apitest.WantProblem(t, env.Do(t, http.MethodGet, tc.path, admin, ""), http.StatusBadRequest, tc.field)
		})
	}
	apitest.WantProblem(t, env.Do(t, http.MethodPut, "/v1/organisations/x/members/"+nat.ID.String(), admin, ""), http.StatusBadRequest, "organisation_id")
	apitest.WantProblem(t, env.Do(t, http.MethodPut, "/v1/organisations/"+nat.ID.String()+"/members/x", admin, ""), http.StatusBadRequest, "member_id")
}

// TestOrganisationPatchNeedsMergePatchContentType: a PATCH body is a JSON merge patch, sent as
// application/merge-patch+json or application/json; any other media type is 415 Unsupported
// Media Type, and changes nothing.
func TestOrganisationPatchNeedsMergePatchContentType(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Riverside Trust")
	admin := env.User(t, trust.ID, domain.RoleOrgAdmin)
	_, national := env.NationalAdmin(t)
	path := "/v1/organisations/" + trust.ID.String()
	for _, ct := range []string{"application/json-patch+json", "text/plain"} {
		apitest.WantProblem(t, env.Do(t, http.MethodPatch, path, admin, `{"name":"Not A Merge Patch"}`, "Content-Type", ct),
			http.StatusUnsupportedMediaType, "")

	}
	siw := "/v1/programmes/01900000-0000-7000-8000-000000000101"
	apitest.WantProblem(t, env.Do(t, http.MethodPatch, siw, national, `{"name":"Not A Merge Patch"}`, "Content-Type", "text/plain"),
		http.StatusUnsupportedMediaType, "")
	res := env.Do(t, http.MethodGet, path, admin, "")
	apitest.WantStatus(t, res, http.StatusOK)
	if o := decodeOrganisation(t, res); o.Version != 1 {
		t.Errorf("a refused patch changed the organisation: %s", res.Body)
	}
}
