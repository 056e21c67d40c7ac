package httpapi_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
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

// Consent by purpose: an API client acting for a trust's HR system (purpose hr_sharing, the
// default) gets nothing personal of a participant who has not agreed to sharing with HR, and
// its incremental sync learns to delete its copy when consent is withdrawn.

// consentedDoc is a participant as the API sends it, with withheld.
type consentedDoc struct {
	participantDoc
	Withheld bool `json:"withheld"`
}

// person is a participant's personal data as recorded, each value distinctive enough to be
// looked for in a raw body.
type person struct {
	given, family, ref, email, phone, postcode, born string
}

// newPerson makes one; postcode and born must differ from every other person's of the test.
func newPerson(given, family, postcode, born string) person {
	u := apitest.Unique()
	return person{given: given, family: family + u, ref: "HR-" + u, email: strings.ToLower(given) + "." + u + "@example.org",
		phone: fmt.Sprintf("07700 9%05d", rand.IntN(100000)), postcode: postcode, born: born}
}

// values are the personal values, as they appear in a body.
func (p person) values() []string {
	return []string{p.given, p.family, p.ref, p.email, p.phone, p.postcode, p.born}
}

// mustRecord records p at org as token with consent to hr_sharing as given.
func (p person) mustRecord(tb testing.TB, env *apitest.Env, token string, org uuid.UUID, hrSharing bool) string {
	tb.Helper()
	return mustCreateParticipant(tb, env, token, apitest.ParticipantBody(tb, org, "given_name", p.given, "family_name", p.family,
		"date_of_birth", p.born, "external_ref", p.ref, "email", p.email, "phone", p.phone, "postcode", p.postcode,
		"benefit_status", "universal_credit", "referral_source", "jobcentre_plus",
		"consent", map[string]bool{"processing": true, "hr_sharing": hrSharing})).ID
}

// clientFor registers an API client of org acting for purpose ("" leaves it to the default)
// and signs it in, returning the client as the API answered and its access token.
func clientFor(tb testing.TB, env *apitest.Env, admin string, org uuid.UUID, purpose string, scopes ...string) (map[string]any, string) {
	tb.Helper()
	kv := []any{"name", "Client " + apitest.Unique(), "organisation_id", org.String(), "scopes", scopes}
	if purpose != "" {
		kv = append(kv, "purpose", purpose)
	}
	res := env.Do(tb, http.MethodPost, "/v1/api-clients", admin, apitest.JSON(tb, kv...))
	apitest.WantStatus(tb, res, http.StatusCreated)
	var c map[string]any
	res.Decode(tb, &c)
	id, _ := c["client_id"].(string)
	secret, _ := c["client_secret"].(string)
	return c, env.ClientToken(tb, id, secret)
}

// wantWhole checks that doc shows p in full.
func wantWhole(tb testing.TB, who string, doc consentedDoc, p person) {
	tb.Helper()
	if doc.Withheld || orNull(doc.GivenName) != p.given || orNull(doc.FamilyName) != p.family || orNull(doc.ExternalRef) != p.ref ||
		orNull(doc.Email) != p.email || orNull(doc.Postcode) != p.postcode || orNull(doc.DateOfBirth) != p.born {
		tb.Errorf("%s: %+v, want %s %s in full, not withheld", who, doc, p.given, p.family)
	}
}

// wantWithheld checks that doc is withheld: every personal field null, the consent that says
// why still there, and not erased.
func wantWithheld(tb testing.TB, who string, doc consentedDoc) {
	tb.Helper()
	if !doc.Withheld {
		tb.Errorf("%s: withheld false, want true", who)
	}
	for field, v := range map[string]*string{"external_ref": doc.ExternalRef, "given_name": doc.GivenName, "family_name": doc.FamilyName,
		"date_of_birth": doc.DateOfBirth, "email": doc.Email, "phone": doc.Phone, "postcode": doc.Postcode} {
		if v != nil {
			tb.Errorf("%s: %s is %q, want null", who, field, *v)
		}
	}
	if doc.Erased || doc.ErasedAt != nil {
		tb.Errorf("%s: withheld shows as erased", who)
	}
	if c, ok := doc.Consent["hr_sharing"]; !ok || c.Granted || c.ChangedAt == nil {
		tb.Errorf("%s: consent %+v, want hr_sharing withdrawn or never given, with its date", who, doc.Consent)
	}
	if !doc.Consent["processing"].Granted {
		tb.Errorf("%s: the consent block lost its other purposes: %+v", who, doc.Consent)
	}
}

// wantNothingPersonal checks that no personal value of p appears anywhere in body.
func wantNothingPersonal(tb testing.TB, who string, body []byte, p person) {
	tb.Helper()
	for _, v := range p.values() {
		if strings.Contains(string(body), v) {
			tb.Errorf("%s: the body carries %q: %s", who, v, body)
		}
	}
}

// find returns the participant with id in docs.
func find(tb testing.TB, who string, docs []consentedDoc, id string) consentedDoc {
	tb.Helper()
	i := slices.IndexFunc(docs, func(d consentedDoc) bool { return d.ID == id })
	if i < 0 {
		tb.Fatalf("%s: participant %s not listed", who, id)
	}
	return docs[i]
}

func consentedIDs(docs []consentedDoc) []string {
	ids := make([]string, len(docs))
	for i, d := range docs {
		ids[i] = d.ID
	}
	return ids
}

func TestConsentHRClientIsWithheldWhoHasNotAgreed(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Ribbleside NHS Trust")
	admin := env.User(t, trust.ID, domain.RoleOrgAdmin)
	coordinator := env.User(t, trust.ID, domain.RoleCoordinator)
	agreed, refused := newPerson("Marguerite", "Oyelaran", "L1 8JQ", "2001-04-05"), newPerson("Thaddeus", "Quennell", "PR7 2BX", "1998-11-23")
	agreedID := agreed.mustRecord(t, env, coordinator, trust.ID, true)
	refusedID := refused.mustRecord(t, env, coordinator, trust.ID, false)

	// A client registered without a purpose is a trust HR system's, and says so.
	hrClient, hr := clientFor(t, env, admin, trust.ID, "", "participants:read", "participants:write")
	if hrClient["purpose"] != "hr_sharing" {
		t.Errorf("a client registered without a purpose has purpose %v, want hr_sharing", hrClient["purpose"])
	}
	shown := apitest.MustGet[map[string]any](t, env, "/v1/api-clients/"+hrClient["id"].(string), admin)
	if shown["purpose"] != "hr_sharing" {
		t.Errorf("GET api client: purpose %v, want hr_sharing", shown["purpose"])
	}
	procClient, processing := clientFor(t, env, admin, trust.ID, "processing", "participants:read")
	if procClient["purpose"] != "processing" {
		t.Errorf("a client registered for processing has purpose %v", procClient["purpose"])
	}
	if res := env.Do(t, http.MethodPost, "/v1/api-clients", admin, apitest.JSON(t, "name", "Bad", "organisation_id", trust.ID.String(),
		"scopes", []string{"participants:read"}, "purpose", "case_study")); res.Status != http.StatusUnprocessableEntity && res.Status != http.StatusBadRequest {
		t.Errorf("purpose case_study: %d %s, want a refusal naming purpose", res.Status, res.Body)
	} else if p := res.Problem(t); !slices.Contains(p.Fields(), "purpose") {
		t.Errorf("purpose case_study: problem names %v, want purpose", p.Fields())
	}

	// The HR client: the participant who agreed in full, the other withheld, by GET...
	wantWhole(t, "HR client, GET of who agreed", apitest.MustGet[consentedDoc](t, env, "/v1/participants/"+agreedID, hr), agreed)
	res := env.Do(t, http.MethodGet, "/v1/participants/"+refusedID, hr, "")
	apitest.WantStatus(t, res, http.StatusOK)
	var doc consentedDoc
	res.Decode(t, &doc)
	wantWithheld(t, "HR client, GET of who did not agree", doc)
	wantNothingPersonal(t, "HR client, GET of who did not agree", res.Body, refused)
	if doc.BenefitStatus != "universal_credit" || orNull(doc.ReferralSource) != "jobcentre_plus" {
		t.Errorf("withheld: the non-personal facts are gone: %+v", doc)
	}

	// ...and in the list, where the withheld one stays so that a sync sees it.
	res = env.Do(t, http.MethodGet, "/v1/participants?limit=500", hr, "")
	apitest.WantStatus(t, res, http.StatusOK)
	wantNothingPersonal(t, "HR client, list", res.Body, refused)
	var page struct {
		Data []consentedDoc `json:"data"`
	}
	res.Decode(t, &page)
	wantWhole(t, "HR client, list", find(t, "HR client, list", page.Data, agreedID), agreed)
	wantWithheld(t, "HR client, list", find(t, "HR client, list", page.Data, refusedID))

	// Searching by personal data never finds the withheld one: not by name, nor by reference.
	searches := []url.Values{
		{"q": {refused.given}}, {"q": {refused.family}}, {"q": {refused.given[:3] + " " + refused.family[:3]}},
		{"external_ref": {refused.ref}}, {"q": {refused.given}, "benefit_status": {"universal_credit"}},
	}
	for _, q := range searches {
		res := env.Do(t, http.MethodGet, "/v1/participants?"+q.Encode(), hr, "")
		apitest.WantStatus(t, res, http.StatusOK)
		if strings.Contains(string(res.Body), refusedID) {
			t.Errorf("HR client, search %s finds the participant who did not agree: %s", q.Encode(), res.Body)
		}
	}
	for _, q := range []url.Values{{"q": {agreed.family}}, {"external_ref": {agreed.ref}}} {
		if got := consentedIDs(apitest.FirstPage[consentedDoc](t, env, "/v1/participants", hr, q)); !slices.Equal(got, []string{agreedID}) {
			t.Errorf("HR client, search %s = %v, want who agreed", q.Encode(), got)
		}
	}

	// The programme's own client and its staff see both in full, and find both.
	for who, token := range map[string]string{"processing client": processing, "coordinator": coordinator} {
		wantWhole(t, who+", GET", apitest.MustGet[consentedDoc](t, env, "/v1/participants/"+refusedID, token), refused)
		wantWhole(t, who+", GET", apitest.MustGet[consentedDoc](t, env, "/v1/participants/"+agreedID, token), agreed)
		for _, q := range []url.Values{{"q": {refused.family}}, {"external_ref": {refused.ref}}} {
			got := apitest.FirstPage[consentedDoc](t, env, "/v1/participants", token, q)
			if len(got) != 1 || got[0].ID != refusedID {
				t.Errorf("%s, search %s = %v, want who did not agree", who, q.Encode(), consentedIDs(got))
			} else {
				wantWhole(t, who+", search", got[0], refused)
			}
		}
	}

	// The HR client cannot change or erase the withheld participant: to it, there is none. A
	// PATCH granting consent would be the HR system consenting for the person.
	for _, r := range []apitest.Response{
		env.Patch(t, "/v1/participants/"+refusedID, hr, `{"consent": {"hr_sharing": true}}`),
		env.Patch(t, "/v1/participants/"+refusedID, hr, `{"given_name": "Changed"}`),
		env.Do(t, http.MethodDelete, "/v1/participants/"+refusedID, hr, ""),
	} {
		apitest.WantProblem(t, r, http.StatusNotFound, "")
	}
	after := apitest.MustGet[consentedDoc](t, env, "/v1/participants/"+refusedID, coordinator)
	wantWhole(t, "coordinator, after the HR client's refused writes", after, refused)
	if after.Version != 1 || after.Consent["hr_sharing"].Granted {
		t.Errorf("the HR client's refused writes changed the participant: %+v", after)
	}
	// It may still change who agreed; withdrawing consent itself answers withheld.
	withdrawn := apitest.MustPatch[consentedDoc](t, env, "/v1/participants/"+agreedID, hr, `{"consent": {"hr_sharing": false}}`)
	wantWithheld(t, "HR client, its own withdrawal", withdrawn)
}

func TestConsentWithdrawalReachesTheHRSync(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Calderbrook NHS Trust")
	admin := env.User(t, trust.ID, domain.RoleOrgAdmin)
	coordinator := env.User(t, trust.ID, domain.RoleCoordinator)
	p := newPerson("Evangeline", "Achterberg", "BB2 6AT", "2003-02-17")
	id := p.mustRecord(t, env, coordinator, trust.ID, true)
	bystander := newPerson("Cornelius", "Mbeki", "M1 1AE", "2002-07-30").mustRecord(t, env, coordinator, trust.ID, true)
	_, hr := clientFor(t, env, admin, trust.ID, "hr_sharing", "participants:read")

	// sync is one incremental run of the HR system: every page since, and the high-water mark.
	sync := func(since time.Time) ([]consentedDoc, []byte, time.Time) {
		t.Helper()
		res := env.Do(t, http.MethodGet, "/v1/participants?limit=500&updated_since="+url.QueryEscape(since.Format(time.RFC3339Nano)), hr, "")
		apitest.WantStatus(t, res, http.StatusOK)
		var page struct {
			Data       []consentedDoc `json:"data"`
			NextCursor *string        `json:"next_cursor"`
		}
		res.Decode(t, &page)
		if page.NextCursor != nil {
			t.Fatal("an unexpected second page")
		}
		mark := since
		for _, d := range page.Data {
			if d.UpdatedAt.After(mark) {
				mark = d.UpdatedAt
			}
		}
		return page.Data, res.Body, mark
	}

	first, _, mark := sync(time.Time{})
	wantWhole(t, "first sync", find(t, "first sync", first, id), p)
	find(t, "first sync", first, bystander)

	// The coordinator records the withdrawal; the next sync returns the participant withheld.
	mark1 := mark
	withdrawn := apitest.MustPatch[consentedDoc](t, env, "/v1/participants/"+id, coordinator, `{"consent": {"hr_sharing": false}}`)
	wantWhole(t, "coordinator's withdrawal", withdrawn, p)
	second, body, mark := sync(mark1)
	doc := find(t, "sync after withdrawal", second, id)
	wantWithheld(t, "sync after withdrawal", doc)
	wantNothingPersonal(t, "sync after withdrawal", body, p)
	if doc.Version != 2 || !doc.UpdatedAt.After(mark1) {
		t.Errorf("sync after withdrawal: version %d updated_at %s, want version 2 after the mark %s", doc.Version, doc.UpdatedAt, mark1)
	}
	var raw struct {
		Data []map[string]any `json:"data"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatal(err)
	}
	for _, d := range raw.Data {
		if d["id"] == id {
			for _, f := range []string{"external_ref", "given_name", "family_name", "date_of_birth", "email", "phone", "postcode"} {
				if v, ok := d[f]; !ok || v != nil {
					t.Errorf("sync after withdrawal: %s = %v (present %v), want null", f, v, ok)
				}
			}
		}
	}

	// Consent given again: the next sync makes it whole.
	apitest.MustPatch[consentedDoc](t, env, "/v1/participants/"+id, coordinator, `{"consent": {"hr_sharing": true}}`)
	third, _, _ := sync(mark)
	wantWhole(t, "sync after consent given again", find(t, "sync after consent given again", third, id), p)
	wantWhole(t, "GET after consent given again", apitest.MustGet[consentedDoc](t, env, "/v1/participants/"+id, hr), p)
}

// The records about a withheld participant, and its timeline, are out of an HR client's reach.
func TestConsentHRClientReachesNoRecordOfWhomItIsWithheld(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Wyrebank NHS Trust")
	admin := env.User(t, trust.ID, domain.RoleOrgAdmin)
	coordinator := env.User(t, trust.ID, domain.RoleCoordinator)
	org := trust.ID.String()
	type created struct {
		ID string `json:"id"`
	}
	cohort := mustCohortID(t, env, coordinator, trust.ID, workExperienceProgramme, "Work experience March 2027", "2027-03-01", "2027-03-26")
	vacancy := apitest.MustPost[created](t, env, "/v1/vacancies", coordinator, apitest.JSON(t, "organisation_id", org, "employer_name", "Wyrebank Estates",
		"role", "Porter", "closing_on", "2027-03-31")).ID
	mentor := mustCreateMentor(t, env, coordinator, trust.ID, "professional", "Hilary", "Penrose")

	// records makes a participant's enrolment, placement, outcome, match and interview.
	records := func(id string) map[string]string {
		t.Helper()
		enrolment := mustEnrolThrough(t, env, coordinator, cohort, id, "2027-02-15", [2]string{"enrolled", "2027-03-01"})
		return map[string]string{
			"/v1/enrolments": enrolment,
			"/v1/placements": apitest.MustPost[created](t, env, "/v1/placements", coordinator, apitest.JSON(t, "enrolment_id", enrolment,
				"kind", "work_experience", "host_department", "Estates", "role_area", "estates", "starts_on", "2027-03-08", "ends_on", "2027-03-19")).ID,
			"/v1/outcomes": apitest.MustPost[created](t, env, "/v1/outcomes", coordinator, apitest.JSON(t, "participant_id", id, "enrolment_id", enrolment,
				"destination", "employment", "sector", "nhs", "ilr_code", "EMP1", "starts_on", "2027-04-12")).ID,
			"/v1/mentoring-matches": apitest.MustPost[created](t, env, "/v1/mentoring-matches", coordinator,
				matchBody(t, mentor.ID, id, enrolment, "2027-03-02", "2027-06-02")).ID,
			"/v1/interviews": apitest.MustPost[created](t, env, "/v1/interviews", coordinator, apitest.JSON(t, "vacancy_id", vacancy,
				"participant_id", id, "held_on", "2027-03-10")).ID,
		}
	}
	agreed := newPerson("Ottoline", "Fairweather", "FY1 4QT", "2005-05-05").mustRecord(t, env, coordinator, trust.ID, true)
	refused := newPerson("Barnaby", "Ikwuemesi", "LA1 3EX", "2006-06-16").mustRecord(t, env, coordinator, trust.ID, false)
	agreedRecords, refusedRecords := records(agreed), records(refused)

	_, hr := clientFor(t, env, admin, trust.ID, "", "participants:read", "participants:write")
	_, processing := clientFor(t, env, admin, trust.ID, "processing", "participants:read")

	for path := range agreedRecords {
		// The HR client lists and reads the records of who agreed, and none of the other's,
		// whether it lists them all, by participant or since a date.
		wantList(t, env, path, hr, nil, agreedRecords[path])
		wantList(t, env, path, hr, url.Values{"participant_id": {refused}})
		wantList(t, env, path, hr, url.Values{"updated_since": {"2000-01-01T00:00:00Z"}}, agreedRecords[path])
		apitest.MustGet[created](t, env, path+"/"+agreedRecords[path], hr)
		apitest.WantProblem(t, env.Do(t, http.MethodGet, path+"/"+refusedRecords[path], hr, ""), http.StatusNotFound, "")
		// The programme's own client and its staff reach both.
		for _, token := range []string{processing, coordinator} {
			wantList(t, env, path, token, nil, agreedRecords[path], refusedRecords[path])
			apitest.MustGet[created](t, env, path+"/"+refusedRecords[path], token)
		}
	}
	// Nor can it change them, or make new ones naming the participant.
	apitest.WantProblem(t, env.Patch(t, "/v1/interviews/"+refusedRecords["/v1/interviews"], hr, `{"result": "offered"}`), http.StatusNotFound, "")
	apitest.WantProblem(t, env.Do(t, http.MethodPost, "/v1/interviews", hr, apitest.JSON(t, "vacancy_id", vacancy, "participant_id", refused,
		"held_on", "2027-03-11")), http.StatusUnprocessableEntity, "participant_id")
	apitest.WantProblem(t, env.Do(t, http.MethodPost, "/v1/participants/"+refused+"/peer-mentor", hr, `{}`), http.StatusNotFound, "")

	// The timeline: who agreed has one, the other none.
	if res := env.Do(t, http.MethodGet, "/v1/participants/"+agreed+"/timeline", hr, ""); res.Status != http.StatusOK {
		t.Errorf("HR client, timeline of who agreed: %d %s", res.Status, res.Body)
	}
	apitest.WantProblem(t, env.Do(t, http.MethodGet, "/v1/participants/"+refused+"/timeline", hr, ""), http.StatusNotFound, "")
	for _, token := range []string{processing, coordinator} {
		if res := env.Do(t, http.MethodGet, "/v1/participants/"+refused+"/timeline", token, ""); res.Status != http.StatusOK {
			t.Errorf("timeline of who did not agree, for the programme: %d %s", res.Status, res.Body)
		}
	}

	// Consent given again brings the records back.
	apitest.MustPatch[consentedDoc](t, env, "/v1/participants/"+refused, coordinator, `{"consent": {"hr_sharing": true}}`)
	for path, id := range refusedRecords {
		wantList(t, env, path, hr, url.Values{"participant_id": {refused}}, id)
	}
}
