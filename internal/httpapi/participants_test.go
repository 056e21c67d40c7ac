package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
)

func TestCreateAndReadParticipant(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Northgate Teaching Hospitals NHS Foundation Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)

	body := `{"organisation_id":"` + trust.ID.String() + `","external_ref":"NTH-1","given_name":"Aisha","family_name":"Khan",
		"date_of_birth":"2001-04-05","postcode":"l18jq","benefit_status":"universal_credit","consent":{"processing":true}}`
	res := env.Do(t, http.MethodPost, "/v1/participants", token, body)
	if res.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", res.Status, res.Body)
	}
	var created struct {
		ID       string `json:"id"`
		Postcode string `json:"postcode"`
		Version  int64  `json:"version"`
	}
	res.Decode(t, &created)
	if loc := res.Header.Get("Location"); loc != "/v1/participants/"+created.ID {
		t.Errorf("Location = %q", loc)
	}
	if res.Header.Get("ETag") != `"1"` || created.Postcode != "L1 8JQ" {
		t.Errorf("ETag %q, postcode %q", res.Header.Get("ETag"), created.Postcode)
	}
	if res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("personal data without Cache-Control: no-store")
	}

	got := env.Do(t, http.MethodGet, "/v1/participants/"+created.ID, token, "")
	if got.Status != http.StatusOK {
		t.Fatalf("get: %d %s", got.Status, got.Body)
	}
}

func TestCreateParticipantRefusesBadInput(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Riverside Community Health NHS Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	org := `"organisation_id":"` + trust.ID.String() + `"`
	cases := []struct {
		name   string
		body   string
		status int
		field  string
	}{
		{"unknown field", `{` + org + `,"given_name":"A","family_name":"B","date_of_birth":"2000-01-01","nickname":"x"}`, 400, "nickname"},
		{"key in another case", `{` + org + `,"given_name":"A","family_name":"B","date_of_birth":"2000-01-01","External_Ref":"x"}`, 400, "External_Ref"},
		{"key given twice", `{` + org + `,"given_name":"A","given_name":"B","family_name":"B","date_of_birth":"2000-01-01"}`, 400, "given_name"},
		{"read-only field", `{` + org + `,"given_name":"A","family_name":"B","date_of_birth":"2000-01-01","id":"0190a000-0000-7000-8000-000000000001"}`, 400, "id"},
		{"bad date", `{` + org + `,"given_name":"A","family_name":"B","date_of_birth":"2000-02-31x"}`, 400, "date_of_birth"},
		{"future birth", `{` + org + `,"given_name":"A","family_name":"B","date_of_birth":"2999-01-01"}`, 422, "date_of_birth"},
		{"malformed id", `{"organisation_id":"not-a-uuid","given_name":"A","family_name":"B","date_of_birth":"2000-01-01"}`, 400, "organisation_id"},
		{"missing name", `{` + org + `,"family_name":"B","date_of_birth":"2000-01-01"}`, 400, "given_name"},
		{"bad postcode", `{` + org + `,"given_name":"A","family_name":"B","date_of_birth":"2000-01-01","postcode":"NOT A POSTCODE"}`, 400, "postcode"},
		{"bad enum", `{` + org + `,"given_name":"A","family_name":"B","date_of_birth":"2000-01-01","benefit_status":"rich"}`, 400, "benefit_status"},
		{"not json", `{"given_name":`, 400, "body"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := env.Do(t, http.MethodPost, "/v1/participants", token, tc.body)
			if res.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", res.Status, tc.status, res.Body)
			}
			if p := res.Problem(t); !slices.Contains(p.Fields(), tc.field) {
				t.Errorf("problem names %v, want %q: %s", p.Fields(), tc.field, res.Body)
			}
		})
	}
	// Nothing half-written: every refused request left no participant behind.
	page, err := env.Services.Participants.List(apitest.System(), domain.ParticipantFilter{}, domain.PageRequest{Limit: 10})
	if err != nil || len(page.Items) != 0 {
		t.Fatalf("refused requests left %d participants (err %v)", len(page.Items), err)
	}
	_ = context.Background
}

// participantDoc is a participant as the API sends it; a nil pointer is a JSON null.
type participantDoc struct {
	ID             string  `json:"id"`
	OrganisationID string  `json:"organisation_id"`
	ExternalRef    *string `json:"external_ref"`
	GivenName      *string `json:"given_name"`
	FamilyName     *string `json:"family_name"`
	DateOfBirth    *string `json:"date_of_birth"`
	Email          *string `json:"email"`
	Phone          *string `json:"phone"`
	Postcode       *string `json:"postcode"`
	BenefitStatus  string  `json:"benefit_status"`
	ReferralSource *string `json:"referral_source"`
	Consent        map[string]struct {
		Granted   bool       `json:"granted"`
		ChangedAt *time.Time `json:"changed_at"`
	} `json:"consent"`
	Erased    bool       `json:"erased"`
	ErasedAt  *time.Time `json:"erased_at"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	Version   int64      `json:"version"`
}

type participantPageDoc struct {
	Data       []participantDoc `json:"data"`
	NextCursor *string          `json:"next_cursor"`
}

// mustCreateParticipant posts body and fails the test unless a participant was created.
func mustCreateParticipant(tb testing.TB, env *apitest.Env, token, body string, headers ...string) participantDoc {
	tb.Helper()
	res := env.Do(tb, http.MethodPost, "/v1/participants", token, body, headers...)
	if res.Status != http.StatusCreated {
		tb.Fatalf("create participant: %d %s", res.Status, res.Body)
	}
	var p participantDoc
	res.Decode(tb, &p)
	return p
}

func mustGetParticipant(tb testing.TB, env *apitest.Env, token, id string) participantDoc {
	tb.Helper()
	res := env.Do(tb, http.MethodGet, "/v1/participants/"+id, token, "")
	if res.Status != http.StatusOK {
		tb.Fatalf("get participant: %d %s", res.Status, res.Body)
	}
	var p participantDoc
	res.Decode(tb, &p)
	if res.Header.Get("ETag") != apitest.ETag(p.Version) {
		tb.Errorf("GET: ETag %q for version %d", res.Header.Get("ETag"), p.Version)
	}
	return p
}

func mustPatchParticipant(tb testing.TB, env *apitest.Env, token, id, body string, headers ...string) participantDoc {
	tb.Helper()
	res := env.Patch(tb, "/v1/participants/"+id, token, body, headers...)
	if res.Status != http.StatusOK {
		tb.Fatalf("patch participant with %s: %d %s", body, res.Status, res.Body)
	}
	var p participantDoc
	res.Decode(tb, &p)
	if res.Header.Get("ETag") != apitest.ETag(p.Version) {
		tb.Errorf("PATCH: ETag %q for version %d", res.Header.Get("ETag"), p.Version)
	}
	return p
}

// listParticipantPage fetches one page of GET /v1/participants with query.
func listParticipantPage(tb testing.TB, env *apitest.Env, token string, query url.Values) participantPageDoc {
	tb.Helper()
	path := "/v1/participants"
	if len(query) > 0 {
		path += "?" + query.Encode()
	}
	res := env.Do(tb, http.MethodGet, path, token, "")
	if res.Status != http.StatusOK {
		tb.Fatalf("GET %s: %d %s", path, res.Status, res.Body)
	}
	var page participantPageDoc
	res.Decode(tb, &page)
	return page
}

// listParticipantIDs returns the ids of the first page (up to 500) of GET /v1/participants,
// in the order the API gave them, failing when more pages follow.
func listParticipantIDs(tb testing.TB, env *apitest.Env, token string, query url.Values) []string {
	tb.Helper()
	q := url.Values{"limit": {"500"}}
	for k, v := range query {
		q[k] = v
	}
	page := listParticipantPage(tb, env, token, q)
	if page.NextCursor != nil {
		tb.Fatalf("unexpected second page for %v", query)
	}
	ids := make([]string, len(page.Data))
	for i, p := range page.Data {
		ids[i] = p.ID
	}
	return ids
}

func TestParticipantExternalRefUniquePerOrganisation(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trustA := env.Organisation(t, domain.KindTrust, "Ashdown NHS Foundation Trust")
	trustB := env.Organisation(t, domain.KindTrust, "Brookfield NHS Trust")
	tokenA := env.User(t, trustA.ID, domain.RoleCoordinator)
	tokenB := env.User(t, trustB.ID, domain.RoleCoordinator)

	first := mustCreateParticipant(t, env, tokenA, apitest.ParticipantBody(t, trustA.ID, "external_ref", "REF-7"))

	res := env.Do(t, http.MethodPost, "/v1/participants", tokenA, apitest.ParticipantBody(t, trustA.ID, "external_ref", "REF-7", "given_name", "Other"))
	if res.Status != http.StatusConflict {
		t.Fatalf("duplicate external_ref: %d %s", res.Status, res.Body)
	}
	if p := res.Problem(t); !slices.Contains(p.Fields(), "external_ref") {
		t.Errorf("conflict names %v, want external_ref: %s", p.Fields(), res.Body)
	}
	if n := env.MustQueryInt(t, `SELECT count(*) FROM participants WHERE organisation_id = $1`, trustA.ID); n != 1 {
		t.Errorf("trust A has %d participants after a refused duplicate, want 1", n)
	}

	// The same reference in another organisation is another person.
	other := mustCreateParticipant(t, env, tokenB, apitest.ParticipantBody(t, trustB.ID, "external_ref", "REF-7"))
	if other.ExternalRef == nil || *other.ExternalRef != "REF-7" || other.ID == first.ID {
		t.Errorf("trust B's REF-7: %+v", other)
	}

	// A PATCH cannot take a reference already in use in the organisation either.
	second := mustCreateParticipant(t, env, tokenA, apitest.ParticipantBody(t, trustA.ID, "external_ref", "REF-8"))
	res = env.Patch(t, "/v1/participants/"+second.ID, tokenA, `{"external_ref":"REF-7"}`)
	if res.Status != http.StatusConflict {
		t.Fatalf("patch to a taken external_ref: %d %s", res.Status, res.Body)
	}
	if p := res.Problem(t); !slices.Contains(p.Fields(), "external_ref") {
		t.Errorf("conflict names %v, want external_ref", p.Fields())
	}
	if got := mustGetParticipant(t, env, tokenA, second.ID); got.Version != 1 || *got.ExternalRef != "REF-8" {
		t.Errorf("refused patch changed the record: version %d, external_ref %v", got.Version, *got.ExternalRef)
	}
}

func TestParticipantTenancy(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trustA := env.Organisation(t, domain.KindTrust, "Ashdown NHS Foundation Trust")
	trustB := env.Organisation(t, domain.KindTrust, "Brookfield NHS Trust")
	tokenA := env.User(t, trustA.ID, domain.RoleCoordinator)
	tokenB := env.User(t, trustB.ID, domain.RoleCoordinator)

	theirs := mustCreateParticipant(t, env, tokenA, apitest.ParticipantBody(t, trustA.ID, "external_ref", "A-1", "given_name", "Hidden"))
	ours := mustCreateParticipant(t, env, tokenB, apitest.ParticipantBody(t, trustB.ID, "external_ref", "B-1"))
	missing := uuid.NewString()

	// Trust A's participant and an id that does not exist must be indistinguishable.
	requests := []struct {
		method, body string
		headers      []string
	}{
		{http.MethodGet, "", nil},
		{http.MethodPatch, `{"given_name":"Changed"}`, []string{"Content-Type", "application/merge-patch+json"}},
		{http.MethodPatch, `{"given_name":"Changed"}`, []string{"Content-Type", "application/merge-patch+json", "If-Match", `"1"`}},
		{http.MethodDelete, "", nil},
		{http.MethodDelete, "", []string{"If-Match", `"1"`}},
	}
	for _, r := range requests {
		got := env.Do(t, r.method, "/v1/participants/"+theirs.ID, tokenB, r.body, r.headers...)
		want := env.Do(t, r.method, "/v1/participants/"+missing, tokenB, r.body, r.headers...)
		if got.Status != http.StatusNotFound || want.Status != http.StatusNotFound {
			t.Errorf("%s %v of another trust's participant: %d (a missing one: %d) %s", r.method, r.headers, got.Status, want.Status, got.Body)
			continue
		}
		gp, wp := got.Problem(t), want.Problem(t)
		if gp.Type != wp.Type || gp.Title != wp.Title || gp.Detail != wp.Detail || !slices.Equal(gp.Fields(), wp.Fields()) {
			t.Errorf("%s: another trust's participant answers %s, a missing one %s", r.method, got.Body, want.Body)
		}
	}
	if got := mustGetParticipant(t, env, tokenA, theirs.ID); got.Version != 1 || got.Erased || *got.GivenName != "Hidden" {
		t.Errorf("trust B changed trust A's participant: %+v", got)
	}

	// Lists show only what is within reach, whatever the filter asks for.
	for _, q := range []url.Values{
		nil,
		{"organisation_id": {trustA.ID.String()}},
		{"external_ref": {"A-1"}},
		{"q": {"hidden"}},
	} {
		ids := listParticipantIDs(t, env, tokenB, q)
		if slices.Contains(ids, theirs.ID) {
			t.Errorf("trust B's list %v shows trust A's participant", q)
		}
		if q == nil && !slices.Equal(ids, []string{ours.ID}) {
			t.Errorf("trust B's list = %v, want only its own %s", ids, ours.ID)
		}
	}

	// Nor can a participant be recorded for an organisation out of reach, or one that does not exist.
	for _, org := range []uuid.UUID{trustA.ID, uuid.New()} {
		res := env.Do(t, http.MethodPost, "/v1/participants", tokenB, apitest.ParticipantBody(t, org, "given_name", "Sneaky"))
		if res.Status != http.StatusUnprocessableEntity {
			t.Fatalf("create for organisation %s out of reach: %d %s", org, res.Status, res.Body)
		}
		if p := res.Problem(t); !slices.Contains(p.Fields(), "organisation_id") {
			t.Errorf("problem names %v, want organisation_id", p.Fields())
		}
	}
	if n := env.MustQueryInt(t, `SELECT count(*) FROM participants WHERE given_name = 'Sneaky'`); n != 0 {
		t.Errorf("%d participants recorded out of reach", n)
	}
}

func TestParticipantViewerReadsOnly(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Coldwater Community NHS Trust")
	coordinator := env.User(t, trust.ID, domain.RoleCoordinator)
	viewer := env.User(t, trust.ID, domain.RoleViewer)
	p := mustCreateParticipant(t, env, coordinator, apitest.ParticipantBody(t, trust.ID, "external_ref", "V-1"))

	if got := mustGetParticipant(t, env, viewer, p.ID); got.ID != p.ID || got.GivenName == nil {
		t.Errorf("viewer's GET: %+v", got)
	}
	if ids := listParticipantIDs(t, env, viewer, nil); !slices.Equal(ids, []string{p.ID}) {
		t.Errorf("viewer's list = %v, want [%s]", ids, p.ID)
	}

	for _, r := range []struct {
		method, path, body string
		headers            []string
	}{
		{http.MethodPost, "/v1/participants", apitest.ParticipantBody(t, trust.ID, "given_name", "Viewer"), nil},
		{http.MethodPatch, "/v1/participants/" + p.ID, `{"given_name":"Viewer"}`, []string{"Content-Type", "application/merge-patch+json"}},
		{http.MethodDelete, "/v1/participants/" + p.ID, "", nil},
	} {
		res := env.Do(t, r.method, r.path, viewer, r.body, r.headers...)
		if res.Status != http.StatusForbidden {
			t.Errorf("viewer %s %s: %d %s", r.method, r.path, res.Status, res.Body)
			continue
		}
		res.Problem(t)
	}
	got := mustGetParticipant(t, env, coordinator, p.ID)
	if got.Version != 1 || got.Erased || *got.GivenName == "Viewer" {
		t.Errorf("a viewer changed the participant: %+v", got)
	}
	if n := env.MustQueryInt(t, `SELECT count(*) FROM participants`); n != 1 {
		t.Errorf("%d participants, want 1", n)
	}
}

func TestParticipantSearch(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Dunmore NHS Foundation Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	ids := map[string]string{}
	for _, n := range [][2]string{
		{"Joanne", "Smith"}, {"John", "Brown"}, {"Josephine", "Blacksmith"}, {"Per%cy", "Jones"},
		{"Perry", "Mason"}, {"Al_i", "Khan"}, {"Alfie", "Kent"},
	} {
		p := mustCreateParticipant(t, env, token, apitest.ParticipantBody(t, trust.ID, "given_name", n[0], "family_name", n[1]))
		ids[n[0]+" "+n[1]] = p.ID
	}
	cases := []struct {
		q    string
		want []string
	}{
		{"jo smi", []string{"Joanne Smith"}},
		{"JO SMI", []string{"Joanne Smith"}},
		{"smith jo", []string{"Joanne Smith"}},
		{"smith", []string{"Joanne Smith"}}, // a word prefix, not a substring: no Blacksmith
		{"jo", []string{"Joanne Smith", "John Brown", "Josephine Blacksmith", "Per%cy Jones"}},
		{"john", []string{"John Brown"}},
		{"per%", []string{"Per%cy Jones"}}, // % is a character, not a wildcard: no Perry
		{"%", nil},
		{"al_", []string{"Al_i Khan"}}, // _ is a character, not a wildcard: no Alfie
		{"_", nil},
		{"zz", nil},
	}
	for _, tc := range cases {
		var want []string
		for _, name := range tc.want {
			want = append(want, ids[name])
		}
		got := listParticipantIDs(t, env, token, url.Values{"q": {tc.q}})
		if !apitest.SameSet(got, want) {
			names := map[string]string{}
			for name, id := range ids {
				names[id] = name
			}
			var gotNames []string
			for _, id := range got {
				gotNames = append(gotNames, names[id])
			}
			t.Errorf("q=%q found %q, want %q", tc.q, gotNames, tc.want)
		}
	}
}

func TestParticipantListFilters(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Eastbrook NHS Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	r1 := mustCreateParticipant(t, env, token, apitest.ParticipantBody(t, trust.ID, "external_ref", "F-1", "benefit_status", "universal_credit", "referral_source", "jobcentre_plus"))
	r2 := mustCreateParticipant(t, env, token, apitest.ParticipantBody(t, trust.ID, "external_ref", "F-2", "benefit_status", "none", "referral_source", "self_referral"))
	r3 := mustCreateParticipant(t, env, token, apitest.ParticipantBody(t, trust.ID, "external_ref", "F-3", "benefit_status", "universal_credit", "referral_source", "self_referral"))
	r4 := mustCreateParticipant(t, env, token, apitest.ParticipantBody(t, trust.ID))
	if r4.BenefitStatus != "unknown" || r4.ReferralSource != nil {
		t.Errorf("defaults: benefit_status %q, referral_source %v", r4.BenefitStatus, r4.ReferralSource)
	}
	if res := env.Do(t, http.MethodDelete, "/v1/participants/"+r3.ID, token, ""); res.Status != http.StatusNoContent {
		t.Fatalf("erase: %d %s", res.Status, res.Body)
	}
	cases := []struct {
		query url.Values
		want  []string
	}{
		{nil, []string{r1.ID, r2.ID, r3.ID, r4.ID}},
		{url.Values{"external_ref": {"F-2"}}, []string{r2.ID}},
		{url.Values{"external_ref": {"F-3"}}, nil}, // erased with the rest of the personal data
		{url.Values{"external_ref": {"F-9"}}, nil},
		{url.Values{"benefit_status": {"universal_credit"}}, []string{r1.ID, r3.ID}},
		{url.Values{"benefit_status": {"unknown"}}, []string{r4.ID}},
		{url.Values{"referral_source": {"self_referral"}}, []string{r2.ID, r3.ID}},
		{url.Values{"referral_source": {"jobcentre_plus"}}, []string{r1.ID}},
		{url.Values{"erased": {"true"}}, []string{r3.ID}},
		{url.Values{"erased": {"false"}}, []string{r1.ID, r2.ID, r4.ID}},
		{url.Values{"benefit_status": {"universal_credit"}, "erased": {"false"}}, []string{r1.ID}},
		{url.Values{"referral_source": {"self_referral"}, "benefit_status": {"none"}}, []string{r2.ID}},
		{url.Values{"organisation_id": {trust.ID.String()}, "erased": {"true"}}, []string{r3.ID}},
	}
	for _, tc := range cases {
		if got := listParticipantIDs(t, env, token, tc.query); !apitest.SameSet(got, tc.want) {
			t.Errorf("%v: got %v, want %v", tc.query.Encode(), got, tc.want)
		}
	}
	// A filter value outside the contract is refused, not ignored.
	res := env.Do(t, http.MethodGet, "/v1/participants?benefit_status=rich", token, "")
	if res.Status != http.StatusBadRequest {
		t.Fatalf("bad filter: %d %s", res.Status, res.Body)
	}
	if p := res.Problem(t); !slices.Contains(p.Fields(), "benefit_status") {
		t.Errorf("problem names %v, want benefit_status", p.Fields())
	}
}

func TestParticipantPagination(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Fairhaven NHS Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	var created []string
	for i := range 5 {
		p := mustCreateParticipant(t, env, token, apitest.ParticipantBody(t, trust.ID, "external_ref", fmt.Sprintf("P-%d", i)))
		created = append(created, p.ID)
	}

	var seen []string
	var sizes []int
	q := url.Values{"limit": {"2"}}
	for range 10 { // a guard against a cursor that never ends
		page := listParticipantPage(t, env, token, q)
		sizes = append(sizes, len(page.Data))
		for _, p := range page.Data {
			seen = append(seen, p.ID)
		}
		if page.NextCursor == nil {
			break
		}
		q.Set("cursor", *page.NextCursor)
	}
	if !slices.Equal(sizes, []int{2, 2, 1}) {
		t.Errorf("page sizes %v, want [2 2 1]", sizes)
	}
	if !slices.Equal(seen, created) {
		t.Errorf("pages visited %v, want each of %v once, in order", seen, created)
	}

	res := env.Do(t, http.MethodGet, "/v1/participants?cursor=bm90LWEtY3Vyc29y", token, "")
	if res.Status != http.StatusBadRequest {
		t.Fatalf("forged cursor: %d %s", res.Status, res.Body)
	}
	if p := res.Problem(t); !slices.Contains(p.Fields(), "cursor") {
		t.Errorf("problem names %v, want cursor", p.Fields())
	}
}

func TestParticipantUpdatedSince(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Glenfield NHS Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	a := mustCreateParticipant(t, env, token, apitest.ParticipantBody(t, trust.ID, "external_ref", "U-A"))
	b := mustCreateParticipant(t, env, token, apitest.ParticipantBody(t, trust.ID, "external_ref", "U-B"))
	c := mustCreateParticipant(t, env, token, apitest.ParticipantBody(t, trust.ID, "external_ref", "U-C"))
	if all := listParticipantIDs(t, env, token, nil); !slices.Equal(all, []string{a.ID, b.ID, c.ID}) {
		t.Fatalf("initial order %v, want a, b, c", all)
	}
	highWater := c.UpdatedAt // the latest change a syncing client has seen

	time.Sleep(20 * time.Millisecond)
	since := time.Now().UTC()
	time.Sleep(20 * time.Millisecond)
	patched := mustPatchParticipant(t, env, token, b.ID, `{"phone":"07700 900001"}`)
	if !patched.UpdatedAt.After(b.UpdatedAt) {
		t.Errorf("PATCH left updated_at at %v", patched.UpdatedAt)
	}

	at := func(ts time.Time) url.Values { return url.Values{"updated_since": {ts.Format(time.RFC3339Nano)}} }
	if got := listParticipantIDs(t, env, token, at(since)); !slices.Equal(got, []string{b.ID}) {
		t.Errorf("updated_since before the patch: %v, want only %s", got, b.ID)
	}
	// "At or after": the exact instant of the change is included.
	if got := listParticipantIDs(t, env, token, at(patched.UpdatedAt)); !slices.Equal(got, []string{b.ID}) {
		t.Errorf("updated_since at the patch's own instant: %v, want %s", got, b.ID)
	}
	if got := listParticipantIDs(t, env, token, at(patched.UpdatedAt.Add(time.Microsecond))); len(got) != 0 {
		t.Errorf("updated_since after the patch: %v, want none", got)
	}
	// The patched record moves to the end of the sync order, so a client resuming from the
	// latest change it saw gets it again.
	if all := listParticipantIDs(t, env, token, nil); !slices.Equal(all, []string{a.ID, c.ID, b.ID}) {
		t.Errorf("order after the patch %v, want a, c, b", all)
	}
	got := listParticipantIDs(t, env, token, at(highWater))
	if len(got) == 0 || got[len(got)-1] != b.ID || slices.Contains(got, a.ID) {
		t.Errorf("resuming sync from %v: %v, want ... %s last and not %s", highWater, got, b.ID, a.ID)
	}
}

func TestParticipantPatchIsMergePatch(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Harbourside NHS Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	orig := mustCreateParticipant(t, env, token, apitest.ParticipantBody(t, trust.ID, "external_ref", "M-1",
		"given_name", "Maya", "family_name", "Okafor", "email", "maya@example.org", "phone", "07700 900111",
		"postcode", "M1 1AE", "benefit_status", "universal_credit", "referral_source", "jobcentre_plus",
		"consent", map[string]bool{"processing": true}))
	if orig.Version != 1 || orig.Consent["processing"].ChangedAt == nil || !orig.Consent["processing"].Granted {
		t.Fatalf("created: %+v", orig)
	}

	// null clears; absent leaves.
	p := mustPatchParticipant(t, env, token, orig.ID, `{"email":null}`)
	if p.Email != nil {
		t.Errorf("email = %q after {\"email\": null}", *p.Email)
	}
	if p.Phone == nil || *p.Phone != "07700 900111" || *p.GivenName != "Maya" || *p.FamilyName != "Okafor" ||
		*p.Postcode != "M1 1AE" || *p.ExternalRef != "M-1" || *p.DateOfBirth != "2000-01-01" ||
		p.BenefitStatus != "universal_credit" || *p.ReferralSource != "jobcentre_plus" || !p.Consent["processing"].Granted {
		t.Errorf("absent fields changed: %+v", p)
	}
	if p.Version != 2 || !p.UpdatedAt.After(orig.UpdatedAt) || !p.CreatedAt.Equal(orig.CreatedAt) {
		t.Errorf("version %d, updated_at %v (was %v), created_at %v (was %v)", p.Version, p.UpdatedAt, orig.UpdatedAt, p.CreatedAt, orig.CreatedAt)
	}
	if got := mustGetParticipant(t, env, token, orig.ID); got.Email != nil || got.Version != 2 {
		t.Errorf("stored after clearing email: email %v, version %d", got.Email, got.Version)
	}

	// One consent purpose changes; the others keep their state and timestamps.
	p = mustPatchParticipant(t, env, token, orig.ID, `{"consent":{"case_study":true}}`)
	cs, proc, hr := p.Consent["case_study"], p.Consent["processing"], p.Consent["hr_sharing"]
	if !cs.Granted || cs.ChangedAt == nil || cs.ChangedAt.Before(orig.CreatedAt) {
		t.Errorf("case_study = %+v, want granted with changed_at set", cs)
	}
	if !proc.Granted || proc.ChangedAt == nil || !proc.ChangedAt.Equal(*orig.Consent["processing"].ChangedAt) {
		t.Errorf("processing = %+v, want unchanged from %+v", proc, orig.Consent["processing"])
	}
	if hr.Granted || hr.ChangedAt != nil {
		t.Errorf("hr_sharing = %+v, want never given", hr)
	}
	if p.Version != 3 {
		t.Errorf("version %d, want 3", p.Version)
	}
	// Restating a consent already given does not move its timestamp.
	p = mustPatchParticipant(t, env, token, orig.ID, `{"consent":{"processing":true},"given_name":"Maya-Rose"}`)
	if got := p.Consent["processing"].ChangedAt; got == nil || !got.Equal(*proc.ChangedAt) {
		t.Errorf("restated processing consent moved changed_at to %v", got)
	}
	// Withdrawing stamps it.
	p = mustPatchParticipant(t, env, token, orig.ID, `{"consent":{"case_study":false}}`)
	if got := p.Consent["case_study"]; got.Granted || got.ChangedAt == nil || got.ChangedAt.Before(*cs.ChangedAt) {
		t.Errorf("withdrawn case_study = %+v", got)
	}
	if *p.GivenName != "Maya-Rose" || p.Version != 5 {
		t.Errorf("given_name %q version %d", *p.GivenName, p.Version)
	}
}

func TestParticipantPatchIfMatch(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Ironbridge NHS Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	orig := mustCreateParticipant(t, env, token, apitest.ParticipantBody(t, trust.ID, "given_name", "Ifeoma", "phone", "07700 900222"))

	p := mustPatchParticipant(t, env, token, orig.ID, `{"given_name":"Ife"}`, "If-Match", `"1"`)
	if p.Version != 2 || *p.GivenName != "Ife" {
		t.Fatalf("patch with a current If-Match: %+v", p)
	}

	// A stale or foreign entity tag changes nothing.
	for _, tag := range []string{`"1"`, `W/"1"`, `"3"`, `"abc"`, `"0"`} {
		res := env.Patch(t, "/v1/participants/"+orig.ID, token, `{"given_name":"Stale","phone":null}`, "If-Match", tag)
		if res.Status != http.StatusPreconditionFailed {
			t.Errorf("If-Match %s on version 2: %d %s", tag, res.Status, res.Body)
			continue
		}
		res.Problem(t)
	}
	if got := mustGetParticipant(t, env, token, orig.ID); got.Version != 2 || *got.GivenName != "Ife" || got.Phone == nil {
		t.Errorf("a refused patch changed the record: %+v", got)
	}

	// RFC 9110: If-Match compares strongly, so a weak tag never matches, even of the version.
	if res := env.Patch(t, "/v1/participants/"+orig.ID, token, `{"family_name":"Weak"}`, "If-Match", `W/"2"`); res.Status != http.StatusPreconditionFailed {
		t.Errorf("weak If-Match of the current version: %d %s, want 412", res.Status, res.Body)
	}
	p = mustPatchParticipant(t, env, token, orig.ID, `{"family_name":"Strong"}`, "If-Match", `"2"`)
	if p.Version != 3 || *p.FamilyName != "Strong" {
		t.Errorf("strong If-Match: %+v", p)
	}
	p = mustPatchParticipant(t, env, token, orig.ID, `{"family_name":"Star"}`, "If-Match", `*`)
	if p.Version != 4 || *p.FamilyName != "Star" {
		t.Errorf("If-Match *: %+v", p)
	}
	p = mustPatchParticipant(t, env, token, orig.ID, `{"family_name":"None"}`)
	if p.Version != 5 {
		t.Errorf("no If-Match: version %d, want 5", p.Version)
	}
	if res := env.Do(t, http.MethodGet, "/v1/participants/"+orig.ID, token, ""); res.Header.Get("ETag") != `"5"` {
		t.Errorf("ETag %q after five versions", res.Header.Get("ETag"))
	}
}

func TestParticipantPatchRefusesBadInput(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Juniper Vale NHS Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	orig := mustCreateParticipant(t, env, token, apitest.ParticipantBody(t, trust.ID, "given_name", "Kofi"))

	cases := []struct {
		name, body string
		status     int
		field      string
	}{
		{"id", `{"id":"` + uuid.NewString() + `","given_name":"X"}`, 400, "id"},
		{"version", `{"version":7}`, 400, "version"},
		{"organisation", `{"organisation_id":"` + uuid.NewString() + `"}`, 400, "organisation_id"},
		{"erased", `{"erased":true}`, 400, "erased"},
		{"unknown", `{"nickname":"K"}`, 400, "nickname"},
		{"blank name", `{"given_name":"   "}`, 422, "given_name"},
		{"null name", `{"given_name":null}`, 400, "given_name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := env.Patch(t, "/v1/participants/"+orig.ID, token, tc.body)
			if res.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", res.Status, tc.status, res.Body)
			}
			if p := res.Problem(t); !slices.Contains(p.Fields(), tc.field) {
				t.Errorf("problem names %v, want %q", p.Fields(), tc.field)
			}
		})
	}
	// A merge patch is JSON: text is another media type.
	res := env.Do(t, http.MethodPatch, "/v1/participants/"+orig.ID, token, `{"given_name":"Plain"}`, "Content-Type", "text/plain")
	if res.Status != http.StatusUnsupportedMediaType {
		t.Errorf("PATCH as text/plain: %d %s", res.Status, res.Body)
	}
	if got := mustGetParticipant(t, env, token, orig.ID); got.Version != 1 || *got.GivenName != "Kofi" {
		t.Errorf("refused patches changed the record: %+v", got)
	}
}
