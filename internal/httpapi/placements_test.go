package httpapi_test

import (
	"encoding/json"
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

// The tests of placements; trustWorld and its helpers serve outcomes_test.go and
// audited_test.go too.

// placementDoc is a placement as the API sends it; a nil pointer is a JSON null.
type placementDoc struct {
	ID             string    `json:"id"`
	EnrolmentID    string    `json:"enrolment_id"`
	ParticipantID  string    `json:"participant_id"`
	CohortID       string    `json:"cohort_id"`
	OrganisationID string    `json:"organisation_id"`
	Kind           string    `json:"kind"`
	HostDepartment string    `json:"host_department"`
	Site           *string   `json:"site"`
	RoleArea       string    `json:"role_area"`
	SupervisorName *string   `json:"supervisor_name"`
	StartsOn       string    `json:"starts_on"`
	EndsOn         string    `json:"ends_on"`
	HoursPerWeek   *float64  `json:"hours_per_week"`
	Status         string    `json:"status"`
	EndReason      *string   `json:"end_reason"`
	Deleted        bool      `json:"deleted"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	Version        int64     `json:"version"`
}

func (p placementDoc) docID() string { return p.ID }

type identified interface{ docID() string }

func docIDs[T identified](items []T) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.docID()
	}
	return out
}

// placementBody is a valid create body for enrolment in a cohort running 2027-01-04 to 2027-01-29.
func placementBody(tb testing.TB, enrolment string, kv ...any) string {
	tb.Helper()
	return apitest.JSON(tb, append([]any{"enrolment_id", enrolment, "kind", "placement", "host_department", "Estates and Facilities",
		"role_area", "estates", "starts_on", "2027-01-11", "ends_on", "2027-01-15"}, kv...)...)
}

// trustWorld is one trust with a coordinator, and the records the tests build on.
type trustWorld struct {
	env   *apitest.Env
	trust domain.Organisation
	token string
}

func newTrustWorld(t *testing.T, env *apitest.Env, name string) trustWorld {
	t.Helper()
	trust := env.Organisation(t, domain.KindTrust, name)
	return trustWorld{env: env, trust: trust, token: env.User(t, trust.ID, domain.RoleCoordinator)}
}

// mustID posts body to path and returns the id of what was created.
func (w trustWorld) mustID(t *testing.T, path, body string) string {
	t.Helper()
	return w.env.MustCreate(t, path, w.token, body)
}

func (w trustWorld) participant(t *testing.T) string {
	t.Helper()
	return w.mustID(t, "/v1/participants", apitest.JSON(t, "organisation_id", w.trust.ID.String(),
		"given_name", "Sam", "family_name", "Rowe", "date_of_birth", "2000-01-01"))
}

func (w trustWorld) cohort(t *testing.T, startsOn, endsOn string) string {
	t.Helper()
	return w.mustID(t, "/v1/cohorts", apitest.JSON(t, "programme_id", workExperienceProgramme,
		"organisation_id", w.trust.ID.String(), "name", "Work experience "+startsOn, "starts_on", startsOn, "ends_on", endsOn, "capacity", 20))
}

// enrolment enrols participant in cohort and moves the enrolment on to status.
func (w trustWorld) enrolment(t *testing.T, cohort, participant, status string) string {
	t.Helper()
	first := domain.Enrolled
	if status == domain.Referred {
		first = domain.Referred
	}
	id := w.mustID(t, "/v1/enrolments", apitest.JSON(t, "cohort_id", cohort, "participant_id", participant, "status", first))
	var path []string
	switch status {
	case domain.Active:
		path = []string{`{"to":"active"}`}
	case domain.Completed:
		path = []string{`{"to":"active"}`, `{"to":"completed"}`}
	case domain.Withdrawn:
		path = []string{`{"to":"withdrawn","reason":"Moved out of the area"}`}
	}
	for _, move := range path {
		if res := w.env.Do(t, http.MethodPost, "/v1/enrolments/"+id+"/transitions", w.token, move); res.Status != http.StatusOK {
			t.Fatalf("move enrolment %s: %d %s", move, res.Status, res.Body)
		}
	}
	return id
}

// enrolled builds a participant enrolled in a new cohort running 2027-01-04 to 2027-01-29.
func (w trustWorld) enrolled(t *testing.T) (participant, cohort, enrolment string) {
	t.Helper()
	participant = w.participant(t)
	cohort = w.cohort(t, "2027-01-04", "2027-01-29")
	return participant, cohort, w.enrolment(t, cohort, participant, domain.Enrolled)
}

func (w trustWorld) mustPlacement(t *testing.T, body string) placementDoc {
	t.Helper()
	p := apitest.MustPost[placementDoc](t, w.env, "/v1/placements", w.token, body)
	if p.Version != 1 {
		t.Errorf("created at version %d", p.Version)
	}
	return p
}

func dateOf(t time.Time) string { return t.Format(time.DateOnly) }

// ---------------------------------------------------------------------------------------------
// Placements

func TestPlacementCreateDuringAnEnrolment(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	w := newTrustWorld(t, env, "Northgate Teaching Hospitals NHS Foundation Trust")
	participant, cohort, enrolment := w.enrolled(t)

	p := w.mustPlacement(t, placementBody(t, enrolment, "site", "Northgate General", "supervisor_name", "Pat Lee",
		"hours_per_week", 30, "role_area", "facilities", "kind", "work_experience"))
	if p.EnrolmentID != enrolment || p.ParticipantID != participant || p.CohortID != cohort || p.OrganisationID != w.trust.ID.String() {
		t.Errorf("derived ids: enrolment %s participant %s cohort %s organisation %s; want %s %s %s %s",
			p.EnrolmentID, p.ParticipantID, p.CohortID, p.OrganisationID, enrolment, participant, cohort, w.trust.ID)
	}
	if p.Kind != "work_experience" || p.RoleArea != "facilities" || p.HostDepartment != "Estates and Facilities" ||
		p.Site == nil || *p.Site != "Northgate General" || p.SupervisorName == nil || *p.SupervisorName != "Pat Lee" ||
		p.HoursPerWeek == nil || *p.HoursPerWeek != 30 || p.StartsOn != "2027-01-11" || p.EndsOn != "2027-01-15" {
		t.Errorf("created placement does not echo its fields: %+v", p)
	}
	if p.Status != "planned" || p.EndReason != nil || p.Deleted {
		t.Errorf("status %q, end_reason %v, deleted %v; want planned, null, false", p.Status, p.EndReason, p.Deleted)
	}
	if got := apitest.MustGet[placementDoc](t, env, "/v1/placements/"+p.ID, w.token); !reflect.DeepEqual(got, p) {
		t.Errorf("GET = %+v, want %+v", got, p)
	}

	// The cohort's own first and last days are inside its window.
	whole := w.mustPlacement(t, placementBody(t, enrolment, "starts_on", "2027-01-04", "ends_on", "2027-01-29", "status", "in_progress"))
	if whole.Status != "in_progress" {
		t.Errorf("status %q, want in_progress", whole.Status)
	}

	// An active enrolment takes placements too.
	other := w.participant(t)
	active := w.enrolment(t, cohort, other, domain.Active)
	if p := w.mustPlacement(t, placementBody(t, active)); p.ParticipantID != other || p.EnrolmentID != active {
		t.Errorf("placement of the active enrolment: %+v", p)
	}
}

func TestPlacementNeedsAnEnrolmentUnderWay(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	w := newTrustWorld(t, env, "Riverside Community Health NHS Trust")
	cohort := w.cohort(t, "2027-01-04", "2027-01-29")
	for _, status := range []string{domain.Referred, domain.Withdrawn, domain.Completed} {
		t.Run(status, func(t *testing.T) {
			enrolment := w.enrolment(t, cohort, w.participant(t), status)
			res := w.env.Do(t, http.MethodPost, "/v1/placements", w.token, placementBody(t, enrolment))
			p := apitest.WantProblem(t, res, http.StatusConflict, "")
			if !strings.Contains(p.Detail, status) {
				t.Errorf("detail %q does not say the enrolment is %s", p.Detail, status)
			}
		})
	}
	if n := env.MustQueryInt(t, `SELECT count(*) FROM placements`); n != 0 {
		t.Errorf("%d placements recorded for enrolments not under way", n)
	}
}

func TestPlacementCreateRefusesBadInput(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	w := newTrustWorld(t, env, "Ashdown NHS Foundation Trust")
	_, _, enrolment := w.enrolled(t)
	other := newTrustWorld(t, env, "Brookfield NHS Trust")
	_, _, foreign := other.enrolled(t)
	missing := uuid.NewString()

	cases := []struct {
		name   string
		body   string
		status int
		fields []string
	}{
		{"starts before the cohort", placementBody(t, enrolment, "starts_on", "2027-01-03"), 422, []string{"starts_on"}},
		{"ends after the cohort", placementBody(t, enrolment, "ends_on", "2027-01-30"), 422, []string{"ends_on"}},
		{"both outside the cohort", placementBody(t, enrolment, "starts_on", "2026-12-01", "ends_on", "2027-02-28"), 422, []string{"starts_on", "ends_on"}},
		{"ends before it starts", placementBody(t, enrolment, "starts_on", "2027-01-15", "ends_on", "2027-01-11"), 422, []string{"ends_on"}},
		{"ended early with no reason", placementBody(t, enrolment, "status", "ended_early"), 422, []string{"end_reason"}},
		{"unknown enrolment", placementBody(t, missing), 422, []string{"enrolment_id"}},
		{"another trust's enrolment", placementBody(t, foreign), 422, []string{"enrolment_id"}},
		{"malformed enrolment", placementBody(t, "not-a-uuid"), 400, []string{"enrolment_id"}},
		{"no enrolment", placementBody(t, enrolment, "enrolment_id", apitest.Absent), 400, []string{"enrolment_id"}},
		{"bad role area", placementBody(t, enrolment, "role_area", "kitchens"), 400, []string{"role_area"}},
		{"bad kind", placementBody(t, enrolment, "kind", "internship"), 400, []string{"kind"}},
		{"bad status", placementBody(t, enrolment, "status", "paused"), 400, []string{"status"}},
		{"blank host department", placementBody(t, enrolment, "host_department", ""), 400, []string{"host_department"}},
		{"too many hours", placementBody(t, enrolment, "hours_per_week", 60), 400, []string{"hours_per_week"}},
		{"bad date", placementBody(t, enrolment, "starts_on", "2027-02-30"), 400, []string{"starts_on"}},
		{"derived participant", placementBody(t, enrolment, "participant_id", uuid.NewString()), 400, []string{"participant_id"}},
		{"derived organisation", placementBody(t, enrolment, "organisation_id", w.trust.ID.String()), 400, []string{"organisation_id"}},
		{"read-only deleted", placementBody(t, enrolment, "deleted", true), 400, []string{"deleted"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := w.env.Do(t, http.MethodPost, "/v1/placements", w.token, tc.body)
			p := apitest.WantProblem(t, res, tc.status, "")
			for _, f := range tc.fields {
				if !slices.Contains(p.Fields(), f) {
					t.Errorf("problem names %v, want %q: %s", p.Fields(), f, res.Body)
				}
			}
		})
	}

	// Another trust's enrolment and one that does not exist are refused alike.
	a := w.env.Do(t, http.MethodPost, "/v1/placements", w.token, placementBody(t, foreign))
	b := w.env.Do(t, http.MethodPost, "/v1/placements", w.token, placementBody(t, missing))
	pa, pb := a.Problem(t), b.Problem(t)
	if a.Status != b.Status || pa.Detail != pb.Detail || !slices.Equal(pa.Fields(), pb.Fields()) || pa.Errors[0].Message != pb.Errors[0].Message {
		t.Errorf("another trust's enrolment answers %s, a missing one %s", a.Body, b.Body)
	}
	if n := env.MustQueryInt(t, `SELECT count(*) FROM placements`); n != 0 {
		t.Errorf("refused requests left %d placements", n)
	}
}

func TestPlacementEachRoleAreaAndKind(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	w := newTrustWorld(t, env, "Coldwater Community NHS Trust")
	_, _, enrolment := w.enrolled(t)
	for _, area := range []string{"facilities", "estates", "healthcare_support", "administration", "clinical_support", "other"} {
		if p := w.mustPlacement(t, placementBody(t, enrolment, "role_area", area)); p.RoleArea != area {
			t.Errorf("role_area %q came back as %q", area, p.RoleArea)
		}
	}
	for _, kind := range []string{"placement", "work_experience", "work_related_learning"} {
		if p := w.mustPlacement(t, placementBody(t, enrolment, "kind", kind)); p.Kind != kind {
			t.Errorf("kind %q came back as %q", kind, p.Kind)
		}
	}
	for _, area := range []string{"Estates", "catering", ""} {
		apitest.WantProblem(t, w.env.Do(t, http.MethodPost, "/v1/placements", w.token, placementBody(t, enrolment, "role_area", area)), http.StatusBadRequest, "role_area")
	}
	for _, kind := range []string{"Placement", "volunteering", ""} {
		apitest.WantProblem(t, w.env.Do(t, http.MethodPost, "/v1/placements", w.token, placementBody(t, enrolment, "kind", kind)), http.StatusBadRequest, "kind")
	}
	if n := env.MustQueryInt(t, `SELECT count(*) FROM placements`); n != 9 {
		t.Errorf("%d placements, want 9", n)
	}
}

// Hours a week are stored as given: 7.25 hours (7 h 15 min) is a plausible week of work experience.
func TestPlacementHoursPerWeekKeepTheirValue(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	w := newTrustWorld(t, env, "Dunmore NHS Foundation Trust")
	_, _, enrolment := w.enrolled(t)
	for _, hours := range []float64{0.5, 16, 37.5, 48} {
		if p := w.mustPlacement(t, placementBody(t, enrolment, "hours_per_week", hours)); p.HoursPerWeek == nil || *p.HoursPerWeek != hours {
			t.Errorf("hours_per_week %v came back as %v", hours, p.HoursPerWeek)
		}
	}
	apitest.WantProblem(t, w.env.Do(t, http.MethodPost, "/v1/placements", w.token, placementBody(t, enrolment, "hours_per_week", 0.4)), http.StatusBadRequest, "hours_per_week")

	p := w.mustPlacement(t, placementBody(t, enrolment, "hours_per_week", 7.25))
	if p.HoursPerWeek == nil || *p.HoursPerWeek != 7.25 {
		t.Fatalf("regression: hours_per_week 7.25 (accepted by openapi.yaml, type number with no multipleOf) is silently stored as %v: "+
			"placements.hours_per_week is numeric(4, 1) in internal/postgres/migrations/00008_placements_outcomes.sql", ptrString(p.HoursPerWeek))
	}
}

func ptrString(f *float64) string {
	if f == nil {
		return "null"
	}
	b, _ := json.Marshal(*f)
	return string(b)
}

func TestPlacementPatch(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	w := newTrustWorld(t, env, "Eastbrook NHS Trust")
	_, _, enrolment := w.enrolled(t)
	orig := w.mustPlacement(t, placementBody(t, enrolment, "site", "Eastbrook General", "hours_per_week", 20))
	path := "/v1/placements/" + orig.ID

	// Ending early needs a reason.
	apitest.WantProblem(t, w.env.Patch(t, path, w.token, `{"status":"ended_early"}`), http.StatusUnprocessableEntity, "end_reason")
	if got := apitest.MustGet[placementDoc](t, env, path, w.token); got.Version != 1 || got.Status != "planned" {
		t.Errorf("a refused patch changed the placement: %+v", got)
	}
	p := apitest.MustPatch[placementDoc](t, w.env, path, w.token, `{"status":"ended_early","end_reason":"Started a job elsewhere"}`)
	if p.Status != "ended_early" || p.EndReason == nil || *p.EndReason != "Started a job elsewhere" || p.Version != 2 {
		t.Errorf("ended early: %+v", p)
	}
	if !p.UpdatedAt.After(orig.UpdatedAt) || !p.CreatedAt.Equal(orig.CreatedAt) {
		t.Errorf("updated_at %v (was %v), created_at %v (was %v)", p.UpdatedAt, orig.UpdatedAt, p.CreatedAt, orig.CreatedAt)
	}
	// Nor can the reason go while the placement stays ended early.
	apitest.WantProblem(t, w.env.Patch(t, path, w.token, `{"end_reason":null}`), http.StatusUnprocessableEntity, "end_reason")

	// Dates stay inside the cohort and in order.
	apitest.WantProblem(t, w.env.Patch(t, path, w.token, `{"starts_on":"2027-01-01"}`), http.StatusUnprocessableEntity, "starts_on")
	apitest.WantProblem(t, w.env.Patch(t, path, w.token, `{"ends_on":"2027-02-01"}`), http.StatusUnprocessableEntity, "ends_on")
	apitest.WantProblem(t, w.env.Patch(t, path, w.token, `{"ends_on":"2027-01-10"}`), http.StatusUnprocessableEntity, "ends_on")

	// Merge patch: null clears, absent leaves.
	p = apitest.MustPatch[placementDoc](t, w.env, path, w.token, `{"site":null,"role_area":"clinical_support","ends_on":"2027-01-22"}`)
	if p.Site != nil || p.RoleArea != "clinical_support" || p.EndsOn != "2027-01-22" || p.HoursPerWeek == nil || *p.HoursPerWeek != 20 ||
		p.HostDepartment != orig.HostDepartment || p.Status != "ended_early" || p.Version != 3 {
		t.Errorf("after a merge patch: %+v", p)
	}

	// If-Match: a stale version changes nothing; the current one does.
	res := w.env.Patch(t, path, w.token, `{"host_department":"Stale"}`, "If-Match", `"2"`)
	apitest.WantProblem(t, res, http.StatusPreconditionFailed, "")
	if got := apitest.MustGet[placementDoc](t, env, path, w.token); got.Version != 3 || got.HostDepartment != orig.HostDepartment {
		t.Errorf("a stale patch changed the placement: %+v", got)
	}
	p = apitest.MustPatch[placementDoc](t, w.env, path, w.token, `{"host_department":"Pharmacy"}`, "If-Match", `"3"`)
	if p.HostDepartment != "Pharmacy" || p.Version != 4 {
		t.Errorf("patch with the current If-Match: %+v", p)
	}

	// What is derived or fixed cannot be patched.
	for field, body := range map[string]string{
		"enrolment_id":    `{"enrolment_id":"` + uuid.NewString() + `"}`,
		"participant_id":  `{"participant_id":"` + uuid.NewString() + `"}`,
		"organisation_id": `{"organisation_id":"` + uuid.NewString() + `"}`,
		"kind":            `{"kind":"work_experience"}`,
		"deleted":         `{"deleted":true}`,
		"role_area":       `{"role_area":"kitchens"}`,
	} {
		apitest.WantProblem(t, w.env.Patch(t, path, w.token, body), http.StatusBadRequest, field)
	}
	if got := apitest.MustGet[placementDoc](t, env, path, w.token); got.Version != 4 {
		t.Errorf("refused patches changed the placement: version %d", got.Version)
	}
}

func TestPlacementDeleteLeavesATombstone(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	w := newTrustWorld(t, env, "Fairhaven NHS Trust")
	_, _, enrolment := w.enrolled(t)
	kept := w.mustPlacement(t, placementBody(t, enrolment, "host_department", "Kept"))
	gone := w.mustPlacement(t, placementBody(t, enrolment, "host_department", "Gone"))
	path := "/v1/placements/" + gone.ID

	// A syncing client's high-water mark: after both were created, before the delete.
	since := url.Values{"updated_since": {gone.UpdatedAt.Add(time.Microsecond).Format(time.RFC3339Nano)}}
	if got := apitest.FirstPage[placementDoc](t, env, "/v1/placements", w.token, since); len(got) != 0 {
		t.Fatalf("updated_since after the last change lists %v", docIDs(got))
	}

	apitest.WantProblem(t, env.Do(t, http.MethodDelete, path, w.token, "", "If-Match", `"7"`), http.StatusPreconditionFailed, "")
	if got := apitest.MustGet[placementDoc](t, env, path, w.token); got.Deleted {
		t.Fatal("a delete with a stale If-Match deleted the placement")
	}
	if res := env.Do(t, http.MethodDelete, path, w.token, "", "If-Match", `"1"`); res.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", res.Status, res.Body)
	}
	got := apitest.MustGet[placementDoc](t, env, path, w.token)
	if !got.Deleted || got.HostDepartment != "Gone" || got.Version != 2 {
		t.Errorf("GET after delete: %+v, want deleted at version 2", got)
	}
	if res := env.Do(t, http.MethodDelete, path, w.token, ""); res.Status != http.StatusNoContent {
		t.Fatalf("delete twice: %d %s", res.Status, res.Body)
	}
	if got := apitest.MustGet[placementDoc](t, env, path, w.token); !got.Deleted || got.HostDepartment != "Gone" {
		t.Errorf("GET after the second delete: %+v", got)
	}
	if ids := docIDs(apitest.FirstPage[placementDoc](t, env, "/v1/placements", w.token, nil)); !slices.Equal(ids, []string{kept.ID}) {
		t.Errorf("default list %v, want only %s", ids, kept.ID)
	}
	all := apitest.FirstPage[placementDoc](t, env, "/v1/placements", w.token, url.Values{"include_deleted": {"true"}})
	if !apitest.SameSet(docIDs(all), []string{kept.ID, gone.ID}) {
		t.Errorf("include_deleted lists %v", docIDs(all))
	}
	for _, p := range all {
		if p.Deleted != (p.ID == gone.ID) {
			t.Errorf("include_deleted: %s deleted=%v", p.ID, p.Deleted)
		}
	}
	if ids := docIDs(apitest.FirstPage[placementDoc](t, env, "/v1/placements", w.token, url.Values{"include_deleted": {"false"}})); !slices.Equal(ids, []string{kept.ID}) {
		t.Errorf("include_deleted=false lists %v", ids)
	}
	// The sync tombstone.
	synced := apitest.FirstPage[placementDoc](t, env, "/v1/placements", w.token, since)
	if len(synced) != 1 || synced[0].ID != gone.ID || !synced[0].Deleted {
		t.Errorf("updated_since before the delete: %+v, want only %s with deleted: true", synced, gone.ID)
	}

	// A deleted placement no longer changes.
	before := apitest.MustGet[placementDoc](t, env, path, w.token)
	apitest.WantProblem(t, w.env.Patch(t, path, w.token, `{"host_department":"Revived"}`), http.StatusConflict, "")
	apitest.WantProblem(t, w.env.Patch(t, path, w.token, `{"status":"completed"}`, "If-Match", apitest.ETag(before.Version)), http.StatusConflict, "")
	if after := apitest.MustGet[placementDoc](t, env, path, w.token); !reflect.DeepEqual(after, before) {
		t.Errorf("a patch after delete changed the placement: %+v, was %+v", after, before)
	}
	apitest.WantProblem(t, env.Do(t, http.MethodDelete, "/v1/placements/"+uuid.NewString(), w.token, ""), http.StatusNotFound, "")
	if n := env.MustQueryInt(t, `SELECT count(*) FROM audit_events WHERE action = 'placement.delete'`); n != 1 {
		t.Errorf("%d placement.delete audit events, want 1", n)
	}
}

func TestPlacementListFilters(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	w := newTrustWorld(t, env, "Glenfield NHS Trust")
	january := w.cohort(t, "2027-01-04", "2027-01-29")
	march := w.cohort(t, "2027-03-01", "2027-03-26")
	p1, p2 := w.participant(t), w.participant(t)
	e1 := w.enrolment(t, january, p1, domain.Enrolled)
	e2 := w.enrolment(t, march, p2, domain.Active)
	e3 := w.enrolment(t, january, p2, domain.Enrolled)

	pl1 := w.mustPlacement(t, placementBody(t, e1, "kind", "placement", "role_area", "estates"))
	pl2 := w.mustPlacement(t, placementBody(t, e1, "kind", "work_experience", "role_area", "facilities", "status", "in_progress"))
	pl3 := w.mustPlacement(t, placementBody(t, e2, "kind", "placement", "role_area", "healthcare_support", "status", "completed",
		"starts_on", "2027-03-01", "ends_on", "2027-03-12"))
	pl4 := w.mustPlacement(t, placementBody(t, e3, "kind", "work_related_learning", "role_area", "estates"))
	apitest.MustPatch[placementDoc](t, w.env, "/v1/placements/"+pl4.ID, w.token, `{"status":"ended_early","end_reason":"Illness"}`)
	pl5 := w.mustPlacement(t, placementBody(t, e3, "kind", "placement", "role_area", "administration"))
	if res := env.Do(t, http.MethodDelete, "/v1/placements/"+pl5.ID, w.token, ""); res.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", res.Status, res.Body)
	}

	cases := []struct {
		query url.Values
		want  []placementDoc
	}{
		{nil, []placementDoc{pl1, pl2, pl3, pl4}},
		{url.Values{"kind": {"placement"}}, []placementDoc{pl1, pl3}},
		{url.Values{"kind": {"work_experience"}}, []placementDoc{pl2}},
		{url.Values{"kind": {"work_related_learning"}}, []placementDoc{pl4}},
		{url.Values{"role_area": {"estates"}}, []placementDoc{pl1, pl4}},
		{url.Values{"role_area": {"healthcare_support"}}, []placementDoc{pl3}},
		{url.Values{"role_area": {"clinical_support"}}, nil},
		{url.Values{"status": {"planned"}}, []placementDoc{pl1}},
		{url.Values{"status": {"in_progress"}}, []placementDoc{pl2}},
		{url.Values{"status": {"completed"}}, []placementDoc{pl3}},
		{url.Values{"status": {"ended_early"}}, []placementDoc{pl4}},
		{url.Values{"enrolment_id": {e1}}, []placementDoc{pl1, pl2}},
		{url.Values{"enrolment_id": {e3}}, []placementDoc{pl4}},
		{url.Values{"enrolment_id": {uuid.NewString()}}, nil},
		{url.Values{"cohort_id": {january}}, []placementDoc{pl1, pl2, pl4}},
		{url.Values{"cohort_id": {march}}, []placementDoc{pl3}},
		{url.Values{"participant_id": {p2}}, []placementDoc{pl3, pl4}},
		{url.Values{"kind": {"placement"}, "cohort_id": {january}}, []placementDoc{pl1}},
		{url.Values{"role_area": {"estates"}, "status": {"planned"}}, []placementDoc{pl1}},
		{url.Values{"kind": {"placement"}, "include_deleted": {"true"}}, []placementDoc{pl1, pl3, pl5}},
		{url.Values{"enrolment_id": {e3}, "include_deleted": {"true"}}, []placementDoc{pl4, pl5}},
	}
	for _, tc := range cases {
		if got := docIDs(apitest.FirstPage[placementDoc](t, env, "/v1/placements", w.token, tc.query)); !apitest.SameSet(got, docIDs(tc.want)) {
			t.Errorf("%s: got %v, want %v", tc.query.Encode(), got, docIDs(tc.want))
		}
	}
	// A filter value outside the contract is refused, not ignored.
	for param, value := range map[string]string{"kind": "internship", "role_area": "kitchens", "status": "paused",
		"enrolment_id": "nope", "cohort_id": "nope", "participant_id": "nope", "include_deleted": "maybe"} {
		res := env.Do(t, http.MethodGet, "/v1/placements?"+url.Values{param: {value}}.Encode(), w.token, "")
		apitest.WantProblem(t, res, http.StatusBadRequest, param)
	}
}

func TestPlacementTenancy(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	a := newTrustWorld(t, env, "Ashdown NHS Foundation Trust")
	b := newTrustWorld(t, env, "Brookfield NHS Trust")
	_, cohortA, enrolmentA := a.enrolled(t)
	theirs := a.mustPlacement(t, placementBody(t, enrolmentA, "host_department", "Hidden"))
	missing := uuid.NewString()

	for _, r := range []struct {
		method, body string
		headers      []string
	}{
		{http.MethodGet, "", nil},
		{http.MethodPatch, `{"host_department":"Hijacked"}`, []string{"Content-Type", "application/merge-patch+json"}},
		{http.MethodPatch, `{"host_department":"Hijacked"}`, []string{"Content-Type", "application/merge-patch+json", "If-Match", `"1"`}},
		{http.MethodDelete, "", nil},
		{http.MethodDelete, "", []string{"If-Match", `"1"`}},
	} {
		got := env.Do(t, r.method, "/v1/placements/"+theirs.ID, b.token, r.body, r.headers...)
		want := env.Do(t, r.method, "/v1/placements/"+missing, b.token, r.body, r.headers...)
		if got.Status != http.StatusNotFound || want.Status != http.StatusNotFound {
			t.Errorf("%s %v of another trust's placement: %d (a missing one: %d) %s", r.method, r.headers, got.Status, want.Status, got.Body)
			continue
		}
		gp, wp := got.Problem(t), want.Problem(t)
		if gp.Type != wp.Type || gp.Title != wp.Title || gp.Detail != wp.Detail {
			t.Errorf("%s: another trust's placement answers %s, a missing one %s", r.method, got.Body, want.Body)
		}
	}
	for _, q := range []url.Values{nil, {"enrolment_id": {enrolmentA}}, {"cohort_id": {cohortA}}, {"include_deleted": {"true"}},
		{"updated_since": {"2000-01-01T00:00:00Z"}}} {
		if got := apitest.FirstPage[placementDoc](t, env, "/v1/placements", b.token, q); len(got) != 0 {
			t.Errorf("trust B's list %v shows %v", q, docIDs(got))
		}
	}
	if got := apitest.MustGet[placementDoc](t, env, "/v1/placements/"+theirs.ID, a.token); !reflect.DeepEqual(got, theirs) {
		t.Errorf("trust B changed trust A's placement: %+v", got)
	}
}

// ---------------------------------------------------------------------------------------------
// Outcomes

// Deleting twice is harmless (openapi.yaml): the second DELETE must leave the tombstone as it was,
// neither a new version nor a new updated_at, so that a client's ETag stays valid and a syncing
// client is not sent the tombstone again.
func TestPlacementDeleteTwiceChangesNothing(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	w := newTrustWorld(t, env, "Pinehurst NHS Trust")
	_, _, enrolment := w.enrolled(t)
	p := w.mustPlacement(t, placementBody(t, enrolment))
	path := "/v1/placements/" + p.ID
	if res := env.Do(t, http.MethodDelete, path, w.token, ""); res.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", res.Status, res.Body)
	}
	first := apitest.MustGet[placementDoc](t, env, path, w.token)
	if res := env.Do(t, http.MethodDelete, path, w.token, "", "If-Match", apitest.ETag(first.Version)); res.Status != http.StatusNoContent {
		t.Fatalf("delete twice: %d %s", res.Status, res.Body)
	}
	second := apitest.MustGet[placementDoc](t, env, path, w.token)
	if !reflect.DeepEqual(second, first) {
		t.Fatalf("regression: a second DELETE of a deleted placement moved version %d -> %d and updated_at %v -> %v "+
			"(internal/service/placements.go Delete's change func leaves an already deleted placement as it is and returns nil, "+
			"and the store's Update in internal/postgres/store.go writes the row regardless, so the p4w_touch trigger bumps both)", first.Version, second.Version, first.UpdatedAt, second.UpdatedAt)
	}
	if res := env.Do(t, http.MethodDelete, path, w.token, "", "If-Match", apitest.ETag(first.Version)); res.Status != http.StatusNoContent {
		t.Errorf("a third delete with the tombstone's ETag: %d %s", res.Status, res.Body)
	}
}
