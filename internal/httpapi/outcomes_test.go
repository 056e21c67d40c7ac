package httpapi_test

import (
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
)

type sustainmentDoc struct {
	Result    string `json:"result"`
	CheckedOn string `json:"checked_on"`
}

// outcomeDoc is an outcome as the API sends it; a nil pointer is a JSON null.
type outcomeDoc struct {
	ID             string          `json:"id"`
	ParticipantID  string          `json:"participant_id"`
	EnrolmentID    *string         `json:"enrolment_id"`
	OrganisationID string          `json:"organisation_id"`
	Destination    string          `json:"destination"`
	Positive       bool            `json:"positive"`
	Sector         *string         `json:"sector"`
	Employer       *string         `json:"employer"`
	Role           *string         `json:"role"`
	StartsOn       *string         `json:"starts_on"`
	ILRCode        string          `json:"ilr_code"`
	Sustained3m    *sustainmentDoc `json:"sustained_3_months"`
	Sustained6m    *sustainmentDoc `json:"sustained_6_months"`
	Deleted        bool            `json:"deleted"`
	CreatedAt      time.Time       `json:"created_at"`
	UpdatedAt      time.Time       `json:"updated_at"`
	Version        int64           `json:"version"`
}

func (o outcomeDoc) docID() string { return o.ID }

// outcomeBody is a valid create body: participant went into employment (EMP1).
func outcomeBody(tb testing.TB, participant string, kv ...any) string {
	tb.Helper()
	return apitest.JSON(tb, append([]any{"participant_id", participant, "destination", "employment", "ilr_code", "EMP1"}, kv...)...)
}

func (w trustWorld) mustOutcome(t *testing.T, body string) outcomeDoc {
	t.Helper()
	o := apitest.MustPost[outcomeDoc](t, w.env, "/v1/outcomes", w.token, body)
	if o.Version != 1 {
		t.Errorf("created at version %d", o.Version)
	}
	return o
}

func TestOutcomeCreate(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	w := newTrustWorld(t, env, "Harbourside NHS Trust")
	participant, _, enrolment := w.enrolled(t)

	o := w.mustOutcome(t, outcomeBody(t, participant, "enrolment_id", enrolment, "destination", "apprenticeship", "ilr_code", "EDU2",
		"sector", "nhs", "employer", "Harbourside NHS Trust", "role", "Healthcare support worker apprentice", "starts_on", "2026-09-01"))
	if !o.Positive || o.OrganisationID != w.trust.ID.String() || o.ParticipantID != participant ||
		o.EnrolmentID == nil || *o.EnrolmentID != enrolment {
		t.Errorf("apprenticeship: positive %v, organisation %s, participant %s, enrolment %v", o.Positive, o.OrganisationID, o.ParticipantID, o.EnrolmentID)
	}
	if o.Destination != "apprenticeship" || o.ILRCode != "EDU2" || o.Sector == nil || *o.Sector != "nhs" ||
		o.Employer == nil || *o.Employer != "Harbourside NHS Trust" || o.Role == nil || *o.Role != "Healthcare support worker apprentice" ||
		o.StartsOn == nil || *o.StartsOn != "2026-09-01" || o.Sustained3m != nil || o.Sustained6m != nil || o.Deleted {
		t.Errorf("created outcome does not echo its fields: %+v", o)
	}
	if got := apitest.MustGet[outcomeDoc](t, env, "/v1/outcomes/"+o.ID, w.token); got.ID != o.ID || got.Version != 1 || !got.Positive {
		t.Errorf("GET = %+v", got)
	}

	none := w.mustOutcome(t, outcomeBody(t, participant, "destination", "none", "ilr_code", "NPE1"))
	if none.Positive || none.EnrolmentID != nil || none.StartsOn != nil || none.Sector != nil {
		t.Errorf("none: %+v, want positive false and nulls", none)
	}

	// positive is derived for every destination.
	for dest, c := range map[string]struct {
		code     string
		positive bool
	}{
		"employment": {"EMP2", true}, "apprenticeship": {"EDU2", true}, "volunteering": {"VOL1", true},
		"further_education": {"EDU1", true}, "training": {"EDU4", true}, "none": {"GAP1", false}, "unknown": {"NTK1", false},
	} {
		if o := w.mustOutcome(t, outcomeBody(t, participant, "destination", dest, "ilr_code", c.code)); o.Positive != c.positive {
			t.Errorf("%s %s: positive %v, want %v", dest, c.code, o.Positive, c.positive)
		}
	}

	// The organisation is the participant's, whoever records it.
	nat := env.Organisation(t, domain.KindNational, "Health Education England National Team")
	national := env.User(t, nat.ID, domain.RoleNationalAdmin)
	res := env.Do(t, http.MethodPost, "/v1/outcomes", national, outcomeBody(t, participant))
	if res.Status != http.StatusCreated {
		t.Fatalf("national admin records an outcome: %d %s", res.Status, res.Body)
	}
	var byNational outcomeDoc
	res.Decode(t, &byNational)
	if byNational.OrganisationID != w.trust.ID.String() {
		t.Errorf("outcome recorded by the national team belongs to %s, want the participant's %s", byNational.OrganisationID, w.trust.ID)
	}
}

func TestOutcomeCreateRefusesBadInput(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	w := newTrustWorld(t, env, "Ironbridge NHS Trust")
	participant, cohort, _ := w.enrolled(t)
	someoneElse := w.participant(t)
	theirEnrolment := w.enrolment(t, cohort, someoneElse, domain.Enrolled)
	other := newTrustWorld(t, env, "Juniper Vale NHS Trust")
	foreignParticipant, _, foreignEnrolment := other.enrolled(t)

	cases := []struct {
		name   string
		body   string
		status int
		field  string
	}{
		{"employment with an apprenticeship code", outcomeBody(t, participant, "ilr_code", "EDU2"), 422, "ilr_code"},
		{"apprenticeship with an employment code", outcomeBody(t, participant, "destination", "apprenticeship", "ilr_code", "EMP1"), 422, "ilr_code"},
		{"volunteering with a none code", outcomeBody(t, participant, "destination", "volunteering", "ilr_code", "NPE1"), 422, "ilr_code"},
		{"unknown with a paid-work code", outcomeBody(t, participant, "destination", "unknown", "ilr_code", "EMP1"), 422, "ilr_code"},
		{"a code no destination has", outcomeBody(t, participant, "ilr_code", "XYZ9"), 422, "ilr_code"},
		{"another participant's enrolment", outcomeBody(t, participant, "enrolment_id", theirEnrolment), 422, "enrolment_id"},
		{"another trust's enrolment", outcomeBody(t, participant, "enrolment_id", foreignEnrolment), 422, "enrolment_id"},
		{"an enrolment that does not exist", outcomeBody(t, participant, "enrolment_id", uuid.NewString()), 422, "enrolment_id"},
		{"a participant that does not exist", outcomeBody(t, uuid.NewString()), 422, "participant_id"},
		{"another trust's participant", outcomeBody(t, foreignParticipant), 422, "participant_id"},
		{"positive is derived", outcomeBody(t, participant, "positive", true), 400, "positive"},
		{"positive false is derived too", outcomeBody(t, participant, "destination", "none", "ilr_code", "NPE1", "positive", false), 400, "positive"},
		{"organisation is derived", outcomeBody(t, participant, "organisation_id", w.trust.ID.String()), 400, "organisation_id"},
		{"sustainment at create", outcomeBody(t, participant, "sustained_3_months", map[string]string{"result": "yes", "checked_on": "2026-01-01"}), 400, "sustained_3_months"},
		{"bad destination", outcomeBody(t, participant, "destination", "astronaut"), 400, "destination"},
		{"bad sector", outcomeBody(t, participant, "sector", "private"), 400, "sector"},
		{"lower-case code", outcomeBody(t, participant, "ilr_code", "emp1"), 400, "ilr_code"},
		{"no code", outcomeBody(t, participant, "ilr_code", apitest.Absent), 400, "ilr_code"},
		{"no participant", outcomeBody(t, participant, "participant_id", apitest.Absent), 400, "participant_id"},
		{"bad date", outcomeBody(t, participant, "starts_on", "01/09/2026"), 400, "starts_on"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			apitest.WantProblem(t, w.env.Do(t, http.MethodPost, "/v1/outcomes", w.token, tc.body), tc.status, tc.field)
		})
	}

	// The message says which codes fit.
	res := w.env.Do(t, http.MethodPost, "/v1/outcomes", w.token, outcomeBody(t, participant, "ilr_code", "EDU2"))
	p := apitest.WantProblem(t, res, http.StatusUnprocessableEntity, "ilr_code")
	for _, code := range []string{"EMP1", "EMP2", "EMP4", "EMP5"} {
		if !strings.Contains(string(res.Body), code) {
			t.Errorf("the ilr_code problem does not list %s: %+v", code, p.Errors)
		}
	}
	if n := env.MustQueryInt(t, `SELECT count(*) FROM outcomes`); n != 0 {
		t.Errorf("refused requests left %d outcomes", n)
	}
}

func TestOutcomeListFilters(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	w := newTrustWorld(t, env, "Kingsbridge NHS Trust")
	p1, _, _ := w.enrolled(t)
	p2, _, e2 := w.enrolled(t)

	o1 := w.mustOutcome(t, outcomeBody(t, p1, "destination", "employment", "ilr_code", "EMP1"))
	o2 := w.mustOutcome(t, outcomeBody(t, p1, "destination", "none", "ilr_code", "NPE2"))
	o3 := w.mustOutcome(t, outcomeBody(t, p2, "destination", "apprenticeship", "ilr_code", "EDU2", "enrolment_id", e2))
	o4 := w.mustOutcome(t, outcomeBody(t, p2, "destination", "unknown", "ilr_code", "NTK1"))
	o5 := w.mustOutcome(t, outcomeBody(t, p2, "destination", "volunteering", "ilr_code", "VOL1"))
	o6 := w.mustOutcome(t, outcomeBody(t, p1, "destination", "training", "ilr_code", "EDU5"))
	if res := env.Do(t, http.MethodDelete, "/v1/outcomes/"+o5.ID, w.token, ""); res.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", res.Status, res.Body)
	}

	cases := []struct {
		query url.Values
		want  []outcomeDoc
	}{
		{nil, []outcomeDoc{o1, o2, o3, o4, o6}},
		{url.Values{"destination": {"employment"}}, []outcomeDoc{o1}},
		{url.Values{"destination": {"apprenticeship"}}, []outcomeDoc{o3}},
		{url.Values{"destination": {"further_education"}}, nil},
		{url.Values{"destination": {"volunteering"}}, nil},
		{url.Values{"destination": {"volunteering"}, "include_deleted": {"true"}}, []outcomeDoc{o5}},
		{url.Values{"positive": {"true"}}, []outcomeDoc{o1, o3, o6}},
		{url.Values{"positive": {"false"}}, []outcomeDoc{o2, o4}},
		{url.Values{"positive": {"true"}, "include_deleted": {"true"}}, []outcomeDoc{o1, o3, o5, o6}},
		{url.Values{"participant_id": {p1}}, []outcomeDoc{o1, o2, o6}},
		{url.Values{"participant_id": {p2}}, []outcomeDoc{o3, o4}},
		{url.Values{"participant_id": {p2}, "positive": {"false"}}, []outcomeDoc{o4}},
		{url.Values{"participant_id": {p1}, "positive": {"true"}, "destination": {"training"}}, []outcomeDoc{o6}},
		{url.Values{"participant_id": {uuid.NewString()}}, nil},
		{url.Values{"enrolment_id": {e2}}, []outcomeDoc{o3}},
	}
	for _, tc := range cases {
		got := apitest.FirstPage[outcomeDoc](t, env, "/v1/outcomes", w.token, tc.query)
		if !apitest.SameSet(docIDs(got), docIDs(tc.want)) {
			t.Errorf("%s: got %v, want %v", tc.query.Encode(), docIDs(got), docIDs(tc.want))
		}
		for _, o := range got {
			if o.Positive != domain.Positive(o.Destination) {
				t.Errorf("%s: %s positive %v", o.Destination, o.ID, o.Positive)
			}
		}
	}
	for param, value := range map[string]string{"destination": "astronaut", "positive": "maybe", "participant_id": "nope",
		"enrolment_id": "nope", "sustainment_due_before": "2026-02-30"} {
		res := env.Do(t, http.MethodGet, "/v1/outcomes?"+url.Values{param: {value}}.Encode(), w.token, "")
		apitest.WantProblem(t, res, http.StatusBadRequest, param)
	}
}

func TestOutcomeSustainmentChecks(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	w := newTrustWorld(t, env, "Larchwood NHS Trust")
	participant := w.participant(t)
	now := time.Now().UTC()
	today := dateOf(now)
	fourMonthsAgo := now.AddDate(0, -4, 0)

	due := w.mustOutcome(t, outcomeBody(t, participant, "destination", "apprenticeship", "ilr_code", "EDU2",
		"employer", "Larchwood NHS Trust", "role", "Estates apprentice", "starts_on", dateOf(fourMonthsAgo)))
	notYet := w.mustOutcome(t, outcomeBody(t, participant, "starts_on", dateOf(now.AddDate(0, -1, 0))))
	volunteering := w.mustOutcome(t, outcomeBody(t, participant, "destination", "volunteering", "ilr_code", "VOL1", "starts_on", dateOf(fourMonthsAgo)))
	none := w.mustOutcome(t, outcomeBody(t, participant, "destination", "none", "ilr_code", "NPE1", "starts_on", dateOf(fourMonthsAgo)))
	noStart := w.mustOutcome(t, outcomeBody(t, participant))
	deleted := w.mustOutcome(t, outcomeBody(t, participant, "starts_on", dateOf(fourMonthsAgo)))
	if res := env.Do(t, http.MethodDelete, "/v1/outcomes/"+deleted.ID, w.token, ""); res.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", res.Status, res.Body)
	}
	_, _ = volunteering, none

	dueBefore := func(day string, extra ...string) []string {
		t.Helper()
		q := url.Values{"sustainment_due_before": {day}}
		for i := 0; i+1 < len(extra); i += 2 {
			q.Set(extra[i], extra[i+1])
		}
		return docIDs(apitest.FirstPage[outcomeDoc](t, env, "/v1/outcomes", w.token, q))
	}
	if got := dueBefore(today); !slices.Equal(got, []string{due.ID}) {
		t.Fatalf("due before today (%s): %v, want only the apprenticeship %s", today, got, due.ID)
	}
	// Deleted outcomes need no check, even when the caller asks for tombstones.
	if got := dueBefore(today, "include_deleted", "true"); slices.Contains(got, deleted.ID) {
		t.Errorf("a deleted outcome is due a check: %v", got)
	}

	path := "/v1/outcomes/" + due.ID
	o := apitest.MustPatch[outcomeDoc](t, w.env, path, w.token, `{"sustained_3_months":{"result":"yes","checked_on":"`+today+`"}}`)
	if o.Sustained3m == nil || *o.Sustained3m != (sustainmentDoc{"yes", today}) || o.Sustained6m != nil || o.Version != 2 {
		t.Errorf("after the 3-month check: %+v", o)
	}
	if got := apitest.MustGet[outcomeDoc](t, env, path, w.token); got.Sustained3m == nil || got.Sustained3m.CheckedOn != today {
		t.Errorf("stored 3-month check: %+v", got.Sustained3m)
	}
	// Off the list until the 6-month mark, which is about two months away.
	if got := dueBefore(today); len(got) != 0 {
		t.Errorf("due before today after the 3-month check: %v, want none", got)
	}
	later := dateOf(now.AddDate(0, 3, 0)) // past both the apprenticeship's 6-month and notYet's 3-month marks
	if got := dueBefore(later); !apitest.SameSet(got, []string{due.ID, notYet.ID}) {
		t.Errorf("due before %s: %v, want %s (6 months) and %s (3 months)", later, got, due.ID, notYet.ID)
	}

	o = apitest.MustPatch[outcomeDoc](t, w.env, path, w.token, `{"sustained_6_months":{"result":"not_known","checked_on":"`+today+`"}}`)
	if o.Sustained3m == nil || o.Sustained6m == nil || *o.Sustained6m != (sustainmentDoc{"not_known", today}) {
		t.Errorf("after the 6-month check: %+v", o)
	}
	if got := dueBefore("2099-01-01"); !slices.Equal(got, []string{notYet.ID}) {
		t.Errorf("with both checks recorded, due in 2099: %v, want only %s", got, notYet.ID)
	}

	// null clears a check, and the outcome is due again.
	o = apitest.MustPatch[outcomeDoc](t, w.env, path, w.token, `{"sustained_3_months":null}`)
	if o.Sustained3m != nil || o.Sustained6m == nil {
		t.Errorf("after clearing the 3-month check: 3m %+v, 6m %+v", o.Sustained3m, o.Sustained6m)
	}
	if got := dueBefore(today); !slices.Equal(got, []string{due.ID}) {
		t.Errorf("due before today after clearing the check: %v, want %s", got, due.ID)
	}

	// A check before the outcome started, or of an outcome with no start, is refused.
	dayBefore := dateOf(fourMonthsAgo.AddDate(0, 0, -1))
	apitest.WantProblem(t, w.env.Patch(t, path, w.token, `{"sustained_3_months":{"result":"yes","checked_on":"`+dayBefore+`"}}`),
		http.StatusUnprocessableEntity, "sustained_3_months.checked_on")

	apitest.WantProblem(t, w.env.Patch(t, "/v1/outcomes/"+noStart.ID, w.token, `{"sustained_3_months":{"result":"yes","checked_on":"`+today+`"}}`),
		http.StatusUnprocessableEntity, "sustained_3_months")

	// Nor can starts_on go while a check stands on it.
	apitest.WantProblem(t, w.env.Patch(t, path, w.token, `{"starts_on":null}`), http.StatusUnprocessableEntity, "sustained_6_months")
	// Nor move after a recorded check.
	apitest.WantProblem(t, w.env.Patch(t, path, w.token, `{"starts_on":"`+dateOf(now.AddDate(0, 0, 1))+`"}`), http.StatusUnprocessableEntity, "sustained_6_months.checked_on")
	for field, body := range map[string]string{
		"sustained_3_months.result":     `{"sustained_3_months":{"result":"maybe","checked_on":"` + today + `"}}`,
		"sustained_6_months.checked_on": `{"sustained_6_months":{"result":"yes"}}`,
	} {
		apitest.WantProblem(t, w.env.Patch(t, path, w.token, body), http.StatusBadRequest, field)
	}
	if got := apitest.MustGet[outcomeDoc](t, env, path, w.token); got.Version != 4 || got.Sustained3m != nil || got.StartsOn == nil {
		t.Errorf("refused patches changed the outcome: %+v", got)
	}
}

// The list's boundaries: "due before DATE" means the 3- or 6-month mark falls strictly before DATE.
func TestOutcomeSustainmentDueBoundaries(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	w := newTrustWorld(t, env, "Millbrook NHS Trust")
	participant := w.participant(t)
	january := w.mustOutcome(t, outcomeBody(t, participant, "starts_on", "2026-01-10"))
	monthEnd := w.mustOutcome(t, outcomeBody(t, participant, "destination", "apprenticeship", "ilr_code", "EDU2", "starts_on", "2025-11-30"))

	dueBefore := func(day string) []string {
		t.Helper()
		return docIDs(apitest.FirstPage[outcomeDoc](t, env, "/v1/outcomes", w.token, url.Values{"sustainment_due_before": {day}}))
	}
	for day, want := range map[string][]string{
		"2026-02-28": nil,
		"2026-03-01": {monthEnd.ID}, // 30 November + 3 months is the end of February
		"2026-04-10": {monthEnd.ID}, // 10 January + 3 months is 10 April: not before 10 April
		"2026-04-11": {monthEnd.ID, january.ID},
	} {
		if got := dueBefore(day); !apitest.SameSet(got, want) {
			t.Errorf("due before %s: %v, want %v", day, got, want)
		}
	}
	apitest.MustPatch[outcomeDoc](t, w.env, "/v1/outcomes/"+january.ID, w.token, `{"sustained_3_months":{"result":"yes","checked_on":"2026-04-14"}}`)
	apitest.MustPatch[outcomeDoc](t, w.env, "/v1/outcomes/"+monthEnd.ID, w.token, `{"sustained_3_months":{"result":"no","checked_on":"2026-03-02"},`+
		`"sustained_6_months":{"result":"no","checked_on":"2026-06-01"}}`)

	for day, want := range map[string][]string{
		"2026-04-11": nil,
		"2026-07-10": nil,
		"2026-07-11": {january.ID},
		"2030-01-01": {january.ID},
	} {
		if got := dueBefore(day); !apitest.SameSet(got, want) {
			t.Errorf("after the checks, due before %s: %v, want %v", day, got, want)
		}
	}
}

func TestOutcomePatch(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	w := newTrustWorld(t, env, "Northfield NHS Trust")
	participant := w.participant(t)
	orig := w.mustOutcome(t, outcomeBody(t, participant, "destination", "apprenticeship", "ilr_code", "EDU2", "employer", "Northfield NHS Trust", "sector", "nhs"))
	path := "/v1/outcomes/" + orig.ID

	// The code must follow the destination.
	apitest.WantProblem(t, w.env.Patch(t, path, w.token, `{"destination":"employment"}`), http.StatusUnprocessableEntity, "ilr_code")
	apitest.WantProblem(t, w.env.Patch(t, path, w.token, `{"ilr_code":"EMP1"}`), http.StatusUnprocessableEntity, "ilr_code")
	o := apitest.MustPatch[outcomeDoc](t, w.env, path, w.token, `{"destination":"employment","ilr_code":"EMP1","sector":null}`)
	if o.Destination != "employment" || o.ILRCode != "EMP1" || !o.Positive || o.Sector != nil || o.Employer == nil || o.Version != 2 {
		t.Errorf("after the patch: %+v", o)
	}
	o = apitest.MustPatch[outcomeDoc](t, w.env, path, w.token, `{"destination":"none","ilr_code":"OTH1","employer":null}`)
	if o.Positive || o.Employer != nil {
		t.Errorf("positive %v, employer %v after moving to none", o.Positive, o.Employer)
	}

	// If-Match.
	apitest.WantProblem(t, w.env.Patch(t, path, w.token, `{"role":"Stale"}`, "If-Match", `"2"`), http.StatusPreconditionFailed, "")
	if o := apitest.MustPatch[outcomeDoc](t, w.env, path, w.token, `{"role":"Porter"}`, "If-Match", `"3"`); o.Role == nil || *o.Role != "Porter" || o.Version != 4 {
		t.Errorf("patch with the current If-Match: %+v", o)
	}

	// Derived and fixed fields cannot be written.
	for field, body := range map[string]string{
		"positive":        `{"positive":true}`,
		"organisation_id": `{"organisation_id":"` + uuid.NewString() + `"}`,
		"participant_id":  `{"participant_id":"` + uuid.NewString() + `"}`,
		"deleted":         `{"deleted":false}`,
		"destination":     `{"destination":null}`,
	} {
		apitest.WantProblem(t, w.env.Patch(t, path, w.token, body), http.StatusBadRequest, field)
	}
	if got := apitest.MustGet[outcomeDoc](t, env, path, w.token); got.Version != 4 || got.Destination != "none" {
		t.Errorf("refused patches changed the outcome: %+v", got)
	}
}

func TestOutcomeDeleteLeavesATombstone(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	w := newTrustWorld(t, env, "Oakham NHS Trust")
	participant := w.participant(t)
	kept := w.mustOutcome(t, outcomeBody(t, participant))
	gone := w.mustOutcome(t, outcomeBody(t, participant, "destination", "volunteering", "ilr_code", "VOL1"))
	path := "/v1/outcomes/" + gone.ID

	since := url.Values{"updated_since": {gone.UpdatedAt.Add(time.Microsecond).Format(time.RFC3339Nano)}}
	if got := apitest.FirstPage[outcomeDoc](t, env, "/v1/outcomes", w.token, since); len(got) != 0 {
		t.Fatalf("updated_since after the last change lists %v", docIDs(got))
	}
	apitest.WantProblem(t, env.Do(t, http.MethodDelete, path, w.token, "", "If-Match", `"2"`), http.StatusPreconditionFailed, "")
	if res := env.Do(t, http.MethodDelete, path, w.token, ""); res.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", res.Status, res.Body)
	}
	got := apitest.MustGet[outcomeDoc](t, env, path, w.token)
	if !got.Deleted || got.Destination != "volunteering" || got.Version != 2 {
		t.Errorf("GET after delete: %+v, want deleted at version 2", got)
	}
	if res := env.Do(t, http.MethodDelete, path, w.token, ""); res.Status != http.StatusNoContent {
		t.Fatalf("delete twice: %d %s", res.Status, res.Body)
	}
	if ids := docIDs(apitest.FirstPage[outcomeDoc](t, env, "/v1/outcomes", w.token, nil)); !slices.Equal(ids, []string{kept.ID}) {
		t.Errorf("default list %v, want only %s", ids, kept.ID)
	}
	// Neither do filters bring it back without include_deleted.
	if ids := docIDs(apitest.FirstPage[outcomeDoc](t, env, "/v1/outcomes", w.token, url.Values{"participant_id": {participant}, "positive": {"true"}})); !slices.Equal(ids, []string{kept.ID}) {
		t.Errorf("filtered list %v, want only %s", ids, kept.ID)
	}
	all := apitest.FirstPage[outcomeDoc](t, env, "/v1/outcomes", w.token, url.Values{"include_deleted": {"true"}})
	if !apitest.SameSet(docIDs(all), []string{kept.ID, gone.ID}) {
		t.Errorf("include_deleted lists %v", docIDs(all))
	}
	for _, o := range all {
		if o.Deleted != (o.ID == gone.ID) {
			t.Errorf("include_deleted: %s deleted=%v", o.ID, o.Deleted)
		}
	}
	synced := apitest.FirstPage[outcomeDoc](t, env, "/v1/outcomes", w.token, since)
	if len(synced) != 1 || synced[0].ID != gone.ID || !synced[0].Deleted {
		t.Errorf("updated_since before the delete: %+v, want only %s with deleted: true", synced, gone.ID)
	}

	before := apitest.MustGet[outcomeDoc](t, env, path, w.token)
	apitest.WantProblem(t, w.env.Patch(t, path, w.token, `{"role":"Revived"}`), http.StatusConflict, "")
	apitest.WantProblem(t, w.env.Patch(t, path, w.token, `{"sector":null}`, "If-Match", apitest.ETag(before.Version)), http.StatusConflict, "")
	if after := apitest.MustGet[outcomeDoc](t, env, path, w.token); !reflect.DeepEqual(after, before) {
		t.Errorf("a patch after delete changed the outcome: %+v, was %+v", after, before)
	}
	apitest.WantProblem(t, env.Do(t, http.MethodDelete, "/v1/outcomes/"+uuid.NewString(), w.token, ""), http.StatusNotFound, "")
	if n := env.MustQueryInt(t, `SELECT count(*) FROM audit_events WHERE action = 'outcome.delete'`); n != 1 {
		t.Errorf("%d outcome.delete audit events, want 1", n)
	}
}

func TestOutcomeTenancy(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	a := newTrustWorld(t, env, "Ashdown NHS Foundation Trust")
	b := newTrustWorld(t, env, "Brookfield NHS Trust")
	participantA, _, enrolmentA := a.enrolled(t)
	theirs := a.mustOutcome(t, outcomeBody(t, participantA, "enrolment_id", enrolmentA, "destination", "apprenticeship", "ilr_code", "EDU2",
		"starts_on", "2026-01-10", "employer", "Hidden"))
	missing := uuid.NewString()

	for _, r := range []struct {
		method, body string
		headers      []string
	}{
		{http.MethodGet, "", nil},
		{http.MethodPatch, `{"employer":"Hijacked"}`, []string{"Content-Type", "application/merge-patch+json"}},
		{http.MethodPatch, `{"sustained_3_months":{"result":"no","checked_on":"2026-05-01"}}`, []string{"Content-Type", "application/merge-patch+json", "If-Match", `"1"`}},
		{http.MethodDelete, "", nil},
		{http.MethodDelete, "", []string{"If-Match", `"1"`}},
	} {
		got := env.Do(t, r.method, "/v1/outcomes/"+theirs.ID, b.token, r.body, r.headers...)
		want := env.Do(t, r.method, "/v1/outcomes/"+missing, b.token, r.body, r.headers...)
		if got.Status != http.StatusNotFound || want.Status != http.StatusNotFound {
			t.Errorf("%s %v of another trust's outcome: %d (a missing one: %d) %s", r.method, r.headers, got.Status, want.Status, got.Body)
			continue
		}
		gp, wp := got.Problem(t), want.Problem(t)
		if gp.Type != wp.Type || gp.Title != wp.Title || gp.Detail != wp.Detail {
			t.Errorf("%s: another trust's outcome answers %s, a missing one %s", r.method, got.Body, want.Body)
		}
	}

	// Trust B cannot record an outcome for trust A's participant, nor hang its own on A's enrolment;
	// A's participant looks like one that does not exist.
	res := b.env.Do(t, http.MethodPost, "/v1/outcomes", b.token, outcomeBody(t, participantA, "employer", "Sneaky"))
	pa := apitest.WantProblem(t, res, http.StatusUnprocessableEntity, "participant_id")
	pm := apitest.WantProblem(t, b.env.Do(t, http.MethodPost, "/v1/outcomes", b.token, outcomeBody(t, uuid.NewString(), "employer", "Sneaky")), http.StatusUnprocessableEntity, "participant_id")
	if pa.Detail != pm.Detail || pa.Errors[0].Message != pm.Errors[0].Message {
		t.Errorf("trust A's participant answers %+v, a missing one %+v", pa, pm)
	}
	participantB := b.participant(t)
	apitest.WantProblem(t, b.env.Do(t, http.MethodPost, "/v1/outcomes", b.token, outcomeBody(t, participantB, "enrolment_id", enrolmentA, "employer", "Sneaky")),
		http.StatusUnprocessableEntity, "enrolment_id")

	if n := env.MustQueryInt(t, `SELECT count(*) FROM outcomes WHERE employer = 'Sneaky'`); n != 0 {
		t.Errorf("%d outcomes recorded out of reach", n)
	}

	for _, q := range []url.Values{nil, {"participant_id": {participantA}}, {"enrolment_id": {enrolmentA}}, {"include_deleted": {"true"}},
		{"sustainment_due_before": {"2030-01-01"}}, {"positive": {"true"}}, {"updated_since": {"2000-01-01T00:00:00Z"}}} {
		if got := apitest.FirstPage[outcomeDoc](t, env, "/v1/outcomes", b.token, q); len(got) != 0 {
			t.Errorf("trust B's list %v shows %v", q, docIDs(got))
		}
	}
	if got := apitest.MustGet[outcomeDoc](t, env, "/v1/outcomes/"+theirs.ID, a.token); got.Version != 1 || got.Deleted ||
		got.Employer == nil || *got.Employer != "Hidden" || got.Sustained3m != nil {
		t.Errorf("trust B changed trust A's outcome: %+v", got)
	}
}

func TestOutcomeDeleteTwiceChangesNothing(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	w := newTrustWorld(t, env, "Queensway NHS Trust")
	o := w.mustOutcome(t, outcomeBody(t, w.participant(t)))
	path := "/v1/outcomes/" + o.ID
	if res := env.Do(t, http.MethodDelete, path, w.token, ""); res.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", res.Status, res.Body)
	}
	first := apitest.MustGet[outcomeDoc](t, env, path, w.token)
	if res := env.Do(t, http.MethodDelete, path, w.token, "", "If-Match", apitest.ETag(first.Version)); res.Status != http.StatusNoContent {
		t.Fatalf("delete twice: %d %s", res.Status, res.Body)
	}
	second := apitest.MustGet[outcomeDoc](t, env, path, w.token)
	if !reflect.DeepEqual(second, first) {
		t.Fatalf("regression: a second DELETE of a deleted outcome moved version %d -> %d and updated_at %v -> %v "+
			"(internal/service/outcomes.go Delete's change func leaves an already deleted outcome as it is and returns nil, "+
			"and the store's Update in internal/postgres/store.go writes the row regardless, so the p4w_touch trigger bumps both)", first.Version, second.Version, first.UpdatedAt, second.UpdatedAt)
	}
	if res := env.Do(t, http.MethodDelete, path, w.token, "", "If-Match", apitest.ETag(first.Version)); res.Status != http.StatusNoContent {
		t.Errorf("a third delete with the tombstone's ETag: %d %s", res.Status, res.Body)
	}
}
