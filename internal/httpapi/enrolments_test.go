package httpapi_test

import (
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
)

// enrolmentDoc is an enrolment as the API sends it.
type enrolmentDoc struct {
	ID                        string  `json:"id"`
	CohortID                  string  `json:"cohort_id"`
	ParticipantID             string  `json:"participant_id"`
	OrganisationID            string  `json:"organisation_id"`
	Status                    string  `json:"status"`
	ReferredOn                *string `json:"referred_on"`
	EnrolledOn                *string `json:"enrolled_on"`
	StartedOn                 *string `json:"started_on"`
	CompletedOn               *string `json:"completed_on"`
	WithdrawnOn               *string `json:"withdrawn_on"`
	WithdrawalReason          *string `json:"withdrawal_reason"`
	EligibilityOverrideReason *string `json:"eligibility_override_reason"`
	History                   []struct {
		Status string    `json:"status"`
		On     string    `json:"on"`
		Actor  string    `json:"actor"`
		At     time.Time `json:"at"`
	} `json:"history"`
	UpdatedAt time.Time `json:"updated_at"`
	Version   int64     `json:"version"`
}

// placesTaken reads the cohort's places taken straight from the database.
func placesTaken(t *testing.T, env *apitest.Env, cohort string) int {
	t.Helper()
	return env.MustQueryInt(t, `SELECT places_taken FROM cohorts WHERE id = $1`, cohort)
}

// mustParticipantBorn creates a participant of org born on dob with benefit status benefit.
func mustParticipantBorn(t *testing.T, env *apitest.Env, token string, org uuid.UUID, dob, benefit string) string {
	t.Helper()
	return mustCreateParticipant(t, env, token, apitest.ParticipantBody(t, org, "date_of_birth", dob, "benefit_status", benefit)).ID
}

func enrol(t *testing.T, env *apitest.Env, token, cohort, participant string, kv ...any) apitest.Response {
	t.Helper()
	return env.Do(t, http.MethodPost, "/v1/enrolments", token, apitest.JSON(t, append([]any{"cohort_id", cohort, "participant_id", participant}, kv...)...))
}

func mustEnrol(t *testing.T, env *apitest.Env, token, cohort, participant string, kv ...any) enrolmentDoc {
	t.Helper()
	res := enrol(t, env, token, cohort, participant, kv...)
	apitest.WantStatus(t, res, http.StatusCreated)
	var e enrolmentDoc
	res.Decode(t, &e)
	if loc := res.Header.Get("Location"); loc != "/v1/enrolments/"+e.ID {
		t.Errorf("Location %q for enrolment %s", loc, e.ID)
	}
	if res.Header.Get("ETag") != apitest.ETag(e.Version) {
		t.Errorf("POST enrolment: ETag %q for version %d", res.Header.Get("ETag"), e.Version)
	}
	return e
}

func transition(t *testing.T, env *apitest.Env, token, id string, kv ...any) apitest.Response {
	t.Helper()
	return env.Do(t, http.MethodPost, "/v1/enrolments/"+id+"/transitions", token, apitest.JSON(t, kv...))
}

func mustTransition(t *testing.T, env *apitest.Env, token, id string, kv ...any) enrolmentDoc {
	t.Helper()
	res := transition(t, env, token, id, kv...)
	apitest.WantStatus(t, res, http.StatusOK)
	var e enrolmentDoc
	res.Decode(t, &e)
	if res.Header.Get("ETag") != apitest.ETag(e.Version) {
		t.Errorf("transition: ETag %q for version %d", res.Header.Get("ETag"), e.Version)
	}
	return e
}

func mustGetEnrolment(t *testing.T, env *apitest.Env, token, id string) enrolmentDoc {
	t.Helper()
	res := env.Do(t, http.MethodGet, "/v1/enrolments/"+id, token, "")
	apitest.WantStatus(t, res, http.StatusOK)
	var e enrolmentDoc
	res.Decode(t, &e)
	return e
}

// listIDs follows every page of path with query, two records a page so that filters and
// cursors are exercised together, and returns the ids.
func listIDs(t *testing.T, env *apitest.Env, path, token string, query url.Values) []string {
	t.Helper()
	type row struct {
		ID string `json:"id"`
	}
	var ids []string
	for _, r := range apitest.AllPages[row](t, env, path+"?"+query.Encode(), token, 2) {
		ids = append(ids, r.ID)
	}
	return ids
}

// isOneOf reports whether s is one of want.
func isOneOf(s *string, want ...string) bool { return s != nil && slices.Contains(want, *s) }

func TestEnrolReferral(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Greenbank NHS Trust")
	userID, email := env.MustCreateUser(t, trust.ID, domain.RoleCoordinator)
	token := env.SignIn(t, email, apitest.Password)
	c := mustCreateCohort(t, env, token, trust.ID, stepIntoWorkProgramme, cohortStarts, cohortEnds, 5)
	// Referral checks no eligibility: a 17-year-old may be referred.
	young := mustParticipantBorn(t, env, token, trust.ID, "2009-06-01", "none")

	before := apitest.Today()
	e := mustEnrol(t, env, token, c.ID, young)
	after := apitest.Today()
	if e.Status != "referred" || !isOneOf(e.ReferredOn, before, after) || e.EnrolledOn != nil || e.StartedOn != nil ||
		e.CohortID != c.ID || e.ParticipantID != young || e.OrganisationID != trust.ID.String() || e.Version != 1 {
		t.Errorf("referral %+v", e)
	}
	if len(e.History) != 1 || e.History[0].Status != "referred" || e.History[0].Actor != "user:"+userID.String() || !isOneOf(&e.History[0].On, before, after) {
		t.Errorf("history %+v, want one referral by user:%s", e.History, userID)
	}
	if n := placesTaken(t, env, c.ID); n != 0 {
		t.Errorf("a referral took %d places", n)
	}

	// With `on`, the referral is dated then.
	e = mustEnrol(t, env, token, c.ID, mustParticipantBorn(t, env, token, trust.ID, "1990-01-01", "none"), "on", "2026-10-01", "status", "referred")
	if e.Status != "referred" || !isOneOf(e.ReferredOn, "2026-10-01") || e.History[0].On != "2026-10-01" {
		t.Errorf("referral on 2026-10-01: %+v", e)
	}
	if got := mustGetEnrolment(t, env, token, e.ID); got.ID != e.ID || got.Version != e.Version {
		t.Errorf("read back %+v", got)
	}
}

func TestEnrolEligibleParticipant(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Ashgrove NHS Trust")
	userID, email := env.MustCreateUser(t, trust.ID, domain.RoleCoordinator)
	token := env.SignIn(t, email, apitest.Password)
	c := mustCreateCohort(t, env, token, trust.ID, stepIntoWorkProgramme, cohortStarts, cohortEnds, 5)
	who := mustParticipantBorn(t, env, token, trust.ID, "1990-01-01", "universal_credit")

	e := mustEnrol(t, env, token, c.ID, who, "status", "enrolled", "on", "2026-12-01")
	if e.Status != "enrolled" || !isOneOf(e.EnrolledOn, "2026-12-01") || !isOneOf(e.ReferredOn, "2026-12-01") || e.EligibilityOverrideReason != nil {
		t.Errorf("enrolment %+v", e)
	}
	var steps []string
	for _, h := range e.History {
		steps = append(steps, h.Status)
		if h.Actor != "user:"+userID.String() {
			t.Errorf("event %s by %q, want user:%s", h.Status, h.Actor, userID)
		}
	}
	if !slices.Equal(steps, []string{"referred", "enrolled"}) {
		t.Errorf("history %v", steps)
	}
	if got := mustGetCohort(t, env, token, c.ID); got.PlacesTaken != 1 {
		t.Errorf("places_taken %d after one enrolment, want 1", got.PlacesTaken)
	}

	// 19 exactly on the first day counts; so does a Get Into 30-year-old (no benefit needed).
	mustEnrol(t, env, token, c.ID, mustParticipantBorn(t, env, token, trust.ID, "2008-01-04", "jobseekers_allowance"), "status", "enrolled")
	gi := mustCreateCohort(t, env, token, trust.ID, getIntoProgramme, "2027-01-04", "2027-02-07", 5)
	mustEnrol(t, env, token, gi.ID, mustParticipantBorn(t, env, token, trust.ID, "1996-01-05", "none"), "status", "enrolled")
	mustEnrol(t, env, token, gi.ID, mustParticipantBorn(t, env, token, trust.ID, "2011-01-04", "none"), "status", "enrolled")
}

func TestEnrolIneligibleParticipant(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Brookvale NHS Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	siw := mustCreateCohort(t, env, token, trust.ID, stepIntoWorkProgramme, cohortStarts, cohortEnds, 10)
	gi := mustCreateCohort(t, env, token, trust.ID, getIntoProgramme, "2027-01-04", "2027-02-07", 10)
	cases := []struct {
		name          string
		cohort        string
		dob, benefit  string
		words         []string // the rule the refusal names
		overrideWorks bool
	}{
		{"17 for Step into Work", siw.ID, "2009-06-01", "universal_credit", []string{"aged 19 or over", "17"}, true},
		{"18, turning 19 the day after the start", siw.ID, "2008-01-05", "universal_credit", []string{"aged 19 or over", "18"}, true},
		{"25 without a benefit", siw.ID, "2001-06-01", "none", []string{"working-age benefit", "none"}, true},
		{"25, benefit unknown", siw.ID, "2001-06-01", "unknown", []string{"working-age benefit", "unknown"}, true},
		{"15 for Get Into", gi.ID, "2011-01-05", "none", []string{"aged 16 to 30", "15"}, true},
		{"31 for Get Into", gi.ID, "1996-01-04", "none", []string{"aged 16 to 30", "31"}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			who := mustParticipantBorn(t, env, token, trust.ID, tc.dob, tc.benefit)
			before := placesTaken(t, env, tc.cohort)
			p := apitest.WantProblem(t, enrol(t, env, token, tc.cohort, who, "status", "enrolled"), http.StatusUnprocessableEntity, "participant_id")
			msg := p.Message("participant_id")
			for _, w := range append([]string{"eligibility"}, tc.words...) {
				if !strings.Contains(msg, w) {
					t.Errorf("the refusal %q does not mention %q", msg, w)
				}
			}
			if n := env.MustQueryInt(t, `SELECT count(*) FROM enrolments WHERE participant_id = $1`, who); n != 0 {
				t.Errorf("a refused enrolment left %d rows", n)
			}
			if n := placesTaken(t, env, tc.cohort); n != before {
				t.Errorf("a refused enrolment moved places_taken from %d to %d", before, n)
			}
			// The same with an override: enrolled, the reason kept, a place taken.
			reason := "assessed by the coordinator: " + tc.name
			e := mustEnrol(t, env, token, tc.cohort, who, "status", "enrolled", "eligibility_override_reason", reason)
			if e.Status != "enrolled" || !isOneOf(e.EligibilityOverrideReason, reason) {
				t.Errorf("overridden enrolment %+v", e)
			}
			if got := mustGetEnrolment(t, env, token, e.ID); !isOneOf(got.EligibilityOverrideReason, reason) {
				t.Errorf("the override reason was not stored: %+v", got)
			}
			if n := placesTaken(t, env, tc.cohort); n != before+1 {
				t.Errorf("places_taken %d after an overridden enrolment, want %d", n, before+1)
			}
		})
	}
}

// Moving a referral to enrolled checks eligibility as creating does.
func TestEnrolTransitionChecksEligibility(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Cliffside NHS Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	c := mustCreateCohort(t, env, token, trust.ID, stepIntoWorkProgramme, cohortStarts, cohortEnds, 10)
	e := mustEnrol(t, env, token, c.ID, mustParticipantBorn(t, env, token, trust.ID, "2001-06-01", "none"))

	p := apitest.WantProblem(t, transition(t, env, token, e.ID, "to", "enrolled"), http.StatusUnprocessableEntity, "participant_id")
	if msg := p.Message("participant_id"); !strings.Contains(msg, "benefit") {
		t.Errorf("the refusal %q does not name the benefit rule", msg)
	}
	if got := mustGetEnrolment(t, env, token, e.ID); got.Status != "referred" || got.Version != 1 || placesTaken(t, env, c.ID) != 0 {
		t.Errorf("a refused move changed things: %+v, places %d", got, placesTaken(t, env, c.ID))
	}
	got := mustTransition(t, env, token, e.ID, "to", "enrolled", "eligibility_override_reason", "starts universal credit next week")
	if got.Status != "enrolled" || !isOneOf(got.EligibilityOverrideReason, "starts universal credit next week") || placesTaken(t, env, c.ID) != 1 {
		t.Errorf("overridden move: %+v, places %d", got, placesTaken(t, env, c.ID))
	}
}

// An erased participant cannot be enrolled, override or not.
func TestEnrolErasedParticipant(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Hollins NHS Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	c := mustCreateCohort(t, env, token, trust.ID, workExperienceProgramme, cohortStarts, cohortEnds, 10)
	who := mustParticipantBorn(t, env, token, trust.ID, "1990-01-01", "universal_credit")
	apitest.WantStatus(t, env.Do(t, http.MethodDelete, "/v1/participants/"+who, token, ""), http.StatusNoContent)
	for _, kv := range [][]any{{"status", "enrolled"}, {"status", "enrolled", "eligibility_override_reason", "please"}} {
		p := apitest.WantProblem(t, enrol(t, env, token, c.ID, who, kv...), http.StatusUnprocessableEntity, "participant_id")
		if msg := p.Message("participant_id"); !strings.Contains(msg, "erased") {
			t.Errorf("the refusal %q does not say the participant was erased", msg)
		}
	}
	if n := placesTaken(t, env, c.ID); n != 0 {
		t.Errorf("places_taken %d", n)
	}
}

func TestEnrolSameParticipantTwice(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Larchwood NHS Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	c := mustCreateCohort(t, env, token, trust.ID, stepIntoWorkProgramme, cohortStarts, cohortEnds, 10)
	who := mustParticipantBorn(t, env, token, trust.ID, "1990-01-01", "universal_credit")
	mustEnrol(t, env, token, c.ID, who, "status", "enrolled")
	apitest.WantProblem(t, enrol(t, env, token, c.ID, who, "status", "enrolled"), http.StatusConflict, "participant_id")
	apitest.WantProblem(t, enrol(t, env, token, c.ID, who), http.StatusConflict, "participant_id")
	if n := placesTaken(t, env, c.ID); n != 1 {
		t.Errorf("places_taken %d after a refused second enrolment, want 1", n)
	}
	if n := env.MustQueryInt(t, `SELECT count(*) FROM enrolments WHERE cohort_id = $1`, c.ID); n != 1 {
		t.Errorf("%d enrolments, want 1", n)
	}
	// The same participant in another cohort is fine.
	other := mustCreateCohort(t, env, token, trust.ID, stepIntoWorkProgramme, "2027-04-05", "2027-05-16", 10)
	mustEnrol(t, env, token, other.ID, who, "status", "enrolled")
}

func TestEnrolTransitions(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Oakfield NHS Trust")
	userID, email := env.MustCreateUser(t, trust.ID, domain.RoleCoordinator)
	token := env.SignIn(t, email, apitest.Password)
	otherID, otherEmail := env.MustCreateUser(t, trust.ID, domain.RoleCoordinator)
	other := env.SignIn(t, otherEmail, apitest.Password)
	c := mustCreateCohort(t, env, token, trust.ID, stepIntoWorkProgramme, cohortStarts, cohortEnds, 1)
	who := mustParticipantBorn(t, env, token, trust.ID, "1990-01-01", "universal_credit")

	e := mustEnrol(t, env, token, c.ID, who, "on", "2026-12-01")
	e = mustTransition(t, env, token, e.ID, "to", "enrolled", "on", "2026-12-10")
	if e.Status != "enrolled" || !isOneOf(e.EnrolledOn, "2026-12-10") || placesTaken(t, env, c.ID) != 1 {
		t.Fatalf("enrolled: %+v, places %d", e, placesTaken(t, env, c.ID))
	}
	// A stale If-Match is refused before anything moves.
	apitest.WantProblem(t, env.Do(t, http.MethodPost, "/v1/enrolments/"+e.ID+"/transitions", token, `{"to":"active"}`, "If-Match", `"1"`),
		http.StatusPreconditionFailed, "")

	res := env.Do(t, http.MethodPost, "/v1/enrolments/"+e.ID+"/transitions", other, `{"to":"active","on":"2027-01-04"}`, "If-Match", apitest.ETag(e.Version))
	apitest.WantStatus(t, res, http.StatusOK)
	res.Decode(t, &e)
	if e.Status != "active" || !isOneOf(e.StartedOn, "2027-01-04") {
		t.Fatalf("active: %+v", e)
	}
	e = mustTransition(t, env, token, e.ID, "to", "completed", "on", "2027-02-14")
	if e.Status != "completed" || !isOneOf(e.CompletedOn, "2027-02-14") || !isOneOf(e.ReferredOn, "2026-12-01") ||
		!isOneOf(e.EnrolledOn, "2026-12-10") || !isOneOf(e.StartedOn, "2027-01-04") || e.WithdrawnOn != nil || e.Version != 4 {
		t.Errorf("completed: %+v", e)
	}
	want := []struct{ status, on, actor string }{
		{"referred", "2026-12-01", userID.String()}, {"enrolled", "2026-12-10", userID.String()}, {"active", "2027-01-04", otherID.String()}, {"completed", "2027-02-14", userID.String()}}
	if len(e.History) != len(want) {
		t.Fatalf("history %+v", e.History)
	}
	for i, w := range want {
		h := e.History[i]
		if h.Status != w.status || h.On != w.on || h.Actor != "user:"+w.actor || h.At.IsZero() {
			t.Errorf("event %d: %+v, want %s on %s by user:%s", i, h, w.status, w.on, w.actor)
		}
		if i > 0 && h.At.Before(e.History[i-1].At) {
			t.Errorf("event %d stamped before the one before it", i)
		}
	}
	// A completed enrolment keeps its place: the cohort of one is still full.
	if got := mustGetCohort(t, env, token, c.ID); got.PlacesTaken != 1 {
		t.Errorf("places_taken %d after completion, want 1", got.PlacesTaken)
	}
	p := apitest.WantProblem(t, enrol(t, env, token, c.ID, mustParticipantBorn(t, env, token, trust.ID, "1990-01-01", "universal_credit"), "status", "enrolled"),
		http.StatusConflict, "")

	if !strings.Contains(p.Detail, "full") {
		t.Errorf("409 detail %q does not say the cohort is full", p.Detail)
	}
	// Completed is final.
	for _, to := range []string{"enrolled", "active", "completed", "withdrawn"} {
		p := apitest.WantProblem(t, transition(t, env, token, e.ID, "to", to, "reason", "changed their mind"), http.StatusConflict, "")
		if !strings.Contains(p.Detail, "completed") || !strings.Contains(p.Detail, "cannot move") {
			t.Errorf("completed to %s: detail %q", to, p.Detail)
		}
	}
	if got := mustGetEnrolment(t, env, token, e.ID); got.Version != 4 || got.Status != "completed" {
		t.Errorf("refused moves changed the enrolment: %+v", got)
	}
}

func TestEnrolIllegalMoves(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Elmstead NHS Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	c := mustCreateCohort(t, env, token, trust.ID, stepIntoWorkProgramme, cohortStarts, cohortEnds, 10)
	// walk creates an enrolment of a new eligible participant and moves it through steps.
	walk := func(steps ...string) enrolmentDoc {
		e := mustEnrol(t, env, token, c.ID, mustParticipantBorn(t, env, token, trust.ID, "1990-01-01", "universal_credit"))
		for _, s := range steps {
			e = mustTransition(t, env, token, e.ID, "to", s, "reason", "moved away")
		}
		return e
	}
	cases := []struct {
		from    []string
		to      string
		allowed []string // named in the detail; none for a final state
	}{
		{nil, "active", []string{"enrolled", "withdrawn"}},
		{nil, "completed", []string{"enrolled", "withdrawn"}},
		{[]string{"enrolled"}, "enrolled", []string{"active", "withdrawn"}},
		{[]string{"enrolled"}, "completed", []string{"active", "withdrawn"}},
		{[]string{"enrolled", "active"}, "active", []string{"completed", "withdrawn"}},
		{[]string{"enrolled", "active"}, "enrolled", []string{"completed", "withdrawn"}},
		{[]string{"withdrawn"}, "enrolled", nil},
		{[]string{"withdrawn"}, "withdrawn", nil},
		{[]string{"enrolled", "withdrawn"}, "active", nil},
		{[]string{"enrolled", "active", "withdrawn"}, "completed", nil},
	}
	for _, tc := range cases {
		e := walk(tc.from...)
		places := placesTaken(t, env, c.ID)
		p := apitest.WantProblem(t, transition(t, env, token, e.ID, "to", tc.to, "reason", "again"), http.StatusConflict, "")
		for _, a := range tc.allowed {
			if !strings.Contains(p.Detail, a) {
				t.Errorf("%s to %s: detail %q does not name the allowed move to %s", e.Status, tc.to, p.Detail, a)
			}
		}
		if len(tc.allowed) == 0 && !strings.Contains(p.Detail, "cannot move") {
			t.Errorf("%s to %s: detail %q does not say it cannot move any more", e.Status, tc.to, p.Detail)
		}
		if got := mustGetEnrolment(t, env, token, e.ID); got.Version != e.Version || got.Status != e.Status {
			t.Errorf("%s to %s: a refused move changed the enrolment to %+v", e.Status, tc.to, got)
		}
		if n := placesTaken(t, env, c.ID); n != places {
			t.Errorf("%s to %s: a refused move changed places_taken from %d to %d", e.Status, tc.to, places, n)
		}
	}
	// An unknown target is refused by the contract.
	apitest.WantStatus(t, transition(t, env, token, walk().ID, "to", "referred"), http.StatusBadRequest)
}

// Withdrawn is final even for a participant who is no longer eligible: the answer is the
// illegal move's 409, not an eligibility refusal that suggests an override would help.
func TestEnrolIllegalMoveOfAnIneligibleParticipant(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Thornbury NHS Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	c := mustCreateCohort(t, env, token, trust.ID, stepIntoWorkProgramme, cohortStarts, cohortEnds, 10)
	e := mustEnrol(t, env, token, c.ID, mustParticipantBorn(t, env, token, trust.ID, "2009-06-01", "none")) // 17: may be referred
	e = mustTransition(t, env, token, e.ID, "to", "withdrawn", "reason", "too young for this intake")
	res := transition(t, env, token, e.ID, "to", "enrolled")
	if res.Status == http.StatusUnprocessableEntity {
		t.Fatalf("regression: withdrawn → enrolled answers 422 (eligibility) instead of 409 (illegal move) when the participant is ineligible: %s "+
			"(service.Enrolments.Transition calls enrol, which checks eligibility before domain.Enrolment.Move checks the lifecycle)", res.Body)
	}
	p := apitest.WantProblem(t, res, http.StatusConflict, "")
	if !strings.Contains(p.Detail, "cannot move") {
		t.Errorf("detail %q", p.Detail)
	}
}

func TestEnrolWithdraw(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Kestrel NHS Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	c := mustCreateCohort(t, env, token, trust.ID, stepIntoWorkProgramme, cohortStarts, cohortEnds, 10)
	person := func() string { return mustParticipantBorn(t, env, token, trust.ID, "1990-01-01", "universal_credit") }

	// From active: the reason is required, and withdrawing frees the place.
	e := mustEnrol(t, env, token, c.ID, person(), "status", "enrolled")
	e = mustTransition(t, env, token, e.ID, "to", "active")
	if n := placesTaken(t, env, c.ID); n != 1 {
		t.Fatalf("places_taken %d, want 1", n)
	}
	apitest.WantProblem(t, transition(t, env, token, e.ID, "to", "withdrawn"), http.StatusUnprocessableEntity, "reason")
	if got := mustGetEnrolment(t, env, token, e.ID); got.Status != "active" || placesTaken(t, env, c.ID) != 1 {
		t.Errorf("a refused withdrawal changed things: %+v", got)
	}
	e = mustTransition(t, env, token, e.ID, "to", "withdrawn", "reason", "started a full-time job", "on", "2027-01-20")
	if e.Status != "withdrawn" || !isOneOf(e.WithdrawnOn, "2027-01-20") || !isOneOf(e.WithdrawalReason, "started a full-time job") ||
		e.History[len(e.History)-1].Status != "withdrawn" {
		t.Errorf("withdrawn: %+v", e)
	}
	if got := mustGetCohort(t, env, token, c.ID); got.PlacesTaken != 0 {
		t.Errorf("places_taken %d after withdrawing from active, want 0", got.PlacesTaken)
	}

	// From enrolled: frees the place.
	e = mustEnrol(t, env, token, c.ID, person(), "status", "enrolled")
	mustTransition(t, env, token, e.ID, "to", "withdrawn", "reason", "moved away")
	if n := placesTaken(t, env, c.ID); n != 0 {
		t.Errorf("places_taken %d after withdrawing from enrolled, want 0", n)
	}

	// From referred: no place was held, none is freed.
	mustEnrol(t, env, token, c.ID, person(), "status", "enrolled")
	e = mustEnrol(t, env, token, c.ID, person())
	mustTransition(t, env, token, e.ID, "to", "withdrawn", "reason", "not interested")
	if n := placesTaken(t, env, c.ID); n != 1 {
		t.Errorf("places_taken %d after withdrawing a referral beside one enrolment, want 1", n)
	}
	if n := env.MustQueryInt(t, `SELECT count(*) FROM enrolments WHERE cohort_id = $1 AND status IN ('enrolled', 'active', 'completed')`, c.ID); n != placesTaken(t, env, c.ID) {
		t.Errorf("places_taken %d, but %d enrolments hold a place", placesTaken(t, env, c.ID), n)
	}
}

// raceAnswer is a response read in a goroutine, where the test may not stop.
type raceAnswer struct {
	status int
	header http.Header
	body   []byte
	err    error
}

func (a raceAnswer) response() apitest.Response {
	return apitest.Response{Status: a.status, Header: a.header, Body: a.body}
}

type raceRequest struct{ path, token, body string }

// race sends the POSTs of reqs at the same moment, one goroutine each, and returns the answers.
func race(env *apitest.Env, reqs ...raceRequest) []raceAnswer {
	answers := make([]raceAnswer, len(reqs))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, r := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, err := http.NewRequest(http.MethodPost, env.URL+r.path, strings.NewReader(r.body))
			if err != nil {
				answers[i].err = err
				return
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+r.token)
			<-start
			res, err := env.HTTP.Do(req)
			if err != nil {
				answers[i].err = err
				return
			}
			defer res.Body.Close()
			b, err := io.ReadAll(res.Body)
			answers[i] = raceAnswer{status: res.StatusCode, header: res.Header, body: b, err: err}
		}()
	}
	close(start)
	wg.Wait()
	return answers
}

// oneWinner checks that exactly one answer is a success (201 or 200) and the others are
// 409s whose detail contains conflict; it returns the winner's index.
func oneWinner(t *testing.T, round int, answers []raceAnswer, conflict string) int {
	t.Helper()
	winner := -1
	for i, a := range answers {
		if a.err != nil {
			t.Fatalf("round %d, request %d: %v", round, i, a.err)
		}
		switch a.status {
		case http.StatusCreated, http.StatusOK:
			if winner >= 0 {
				t.Errorf("round %d: requests %d and %d both succeeded", round, winner, i)
			}
			winner = i
		case http.StatusConflict:
			p := a.response().Problem(t)
			if !strings.Contains(p.Detail, conflict) && !strings.Contains(strings.Join(p.Fields(), ","), conflict) {
				t.Errorf("round %d, request %d: a 409 without %q: %s", round, i, conflict, a.body)
			}
		default:
			t.Errorf("round %d, request %d: %d %s", round, i, a.status, a.body)
		}
	}
	if winner < 0 {
		t.Errorf("round %d: no request succeeded", round)
	}
	return winner
}

func TestEnrolCapacityUnderConcurrency(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Saltmarsh NHS Trust")
	first := env.User(t, trust.ID, domain.RoleCoordinator)
	second := env.User(t, trust.ID, domain.RoleCoordinator)
	p1 := mustParticipantBorn(t, env, first, trust.ID, "1990-01-01", "universal_credit")
	p2 := mustParticipantBorn(t, env, first, trust.ID, "1991-02-02", "universal_credit")
	for round := range 6 {
		c := mustCreateCohort(t, env, first, trust.ID, stepIntoWorkProgramme, cohortStarts, cohortEnds, 1)
		answers := race(env,
			raceRequest{"/v1/enrolments", first, apitest.JSON(t, "cohort_id", c.ID, "participant_id", p1, "status", "enrolled")},
			raceRequest{"/v1/enrolments", second, apitest.JSON(t, "cohort_id", c.ID, "participant_id", p2, "status", "enrolled")})
		oneWinner(t, round, answers, "full")
		if got := mustGetCohort(t, env, first, c.ID); got.PlacesTaken != 1 {
			t.Errorf("round %d: places_taken %d, want 1", round, got.PlacesTaken)
		}
		if n := env.MustQueryInt(t, `SELECT count(*) FROM enrolments WHERE cohort_id = $1`, c.ID); n != 1 {
			t.Errorf("round %d: %d enrolments in a cohort of one", round, n)
		}
	}
}

// The last place, wanted at once by a referral moving to enrolled and by a direct enrolment.
func TestEnrolTransitionRacesDirectEnrolment(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Wharfedale NHS Trust")
	first := env.User(t, trust.ID, domain.RoleCoordinator)
	second := env.User(t, trust.ID, domain.RoleCoordinator)
	p1 := mustParticipantBorn(t, env, first, trust.ID, "1990-01-01", "universal_credit")
	p2 := mustParticipantBorn(t, env, first, trust.ID, "1991-02-02", "universal_credit")
	p3 := mustParticipantBorn(t, env, first, trust.ID, "1992-03-03", "universal_credit")
	for round := range 6 {
		c := mustCreateCohort(t, env, first, trust.ID, stepIntoWorkProgramme, cohortStarts, cohortEnds, 2)
		mustEnrol(t, env, first, c.ID, p3, "status", "enrolled") // one place left
		referral := mustEnrol(t, env, first, c.ID, p1)
		answers := race(env,
			raceRequest{"/v1/enrolments/" + referral.ID + "/transitions", first, `{"to":"enrolled"}`},
			raceRequest{"/v1/enrolments", second, apitest.JSON(t, "cohort_id", c.ID, "participant_id", p2, "status", "enrolled")})
		winner := oneWinner(t, round, answers, "full")
		if got := mustGetCohort(t, env, first, c.ID); got.PlacesTaken != 2 {
			t.Errorf("round %d: places_taken %d, want 2", round, got.PlacesTaken)
		}
		holding := env.MustQueryInt(t, `SELECT count(*) FROM enrolments WHERE cohort_id = $1 AND status IN ('enrolled', 'active', 'completed')`, c.ID)
		if holding != 2 {
			t.Errorf("round %d: %d enrolments hold a place in a cohort of two", round, holding)
		}
		wantReferral := "enrolled"
		if winner == 1 {
			wantReferral = "referred"
		}
		if got := mustGetEnrolment(t, env, first, referral.ID); got.Status != wantReferral {
			t.Errorf("round %d: the referral is %s, want %s", round, got.Status, wantReferral)
		}
	}
}

func TestEnrolDuplicateUnderConcurrency(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Copperfield NHS Trust")
	first := env.User(t, trust.ID, domain.RoleCoordinator)
	second := env.User(t, trust.ID, domain.RoleCoordinator)
	who := mustParticipantBorn(t, env, first, trust.ID, "1990-01-01", "universal_credit")
	for round := range 6 {
		c := mustCreateCohort(t, env, first, trust.ID, stepIntoWorkProgramme, cohortStarts, cohortEnds, 10)
		status := "enrolled"
		if round%2 == 1 {
			status = "referred" // no place taken, so nothing serialises the two but the unique key
		}
		body := apitest.JSON(t, "cohort_id", c.ID, "participant_id", who, "status", status)
		answers := race(env, raceRequest{"/v1/enrolments", first, body}, raceRequest{"/v1/enrolments", second, body})
		oneWinner(t, round, answers, "participant_id")
		if n := env.MustQueryInt(t, `SELECT count(*) FROM enrolments WHERE cohort_id = $1`, c.ID); n != 1 {
			t.Errorf("round %d: %d enrolments of one participant in one cohort", round, n)
		}
		wantPlaces := 1
		if status == "referred" {
			wantPlaces = 0
		}
		if n := placesTaken(t, env, c.ID); n != wantPlaces {
			t.Errorf("round %d (%s): places_taken %d, want %d", round, status, n, wantPlaces)
		}
	}
}

func TestEnrolmentsUpdatedSince(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Silverdale NHS Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	c := mustCreateCohort(t, env, token, trust.ID, stepIntoWorkProgramme, cohortStarts, cohortEnds, 10)
	moved := mustEnrol(t, env, token, c.ID, mustParticipantBorn(t, env, token, trust.ID, "1990-01-01", "universal_credit"), "status", "enrolled")
	still := mustEnrol(t, env, token, c.ID, mustParticipantBorn(t, env, token, trust.ID, "1991-01-01", "universal_credit"), "status", "enrolled")

	time.Sleep(20 * time.Millisecond)
	since := time.Now().UTC()
	time.Sleep(20 * time.Millisecond)
	after := mustTransition(t, env, token, moved.ID, "to", "active")
	if !after.UpdatedAt.After(since) {
		t.Errorf("updated_at %v after the move is not after %v", after.UpdatedAt, since)
	}
	q := url.Values{"updated_since": {since.Format(time.RFC3339Nano)}}
	if got := listIDs(t, env, "/v1/enrolments", token, q); !apitest.SameSet(got, []string{moved.ID}) {
		t.Errorf("updated_since %s: %v, want only the moved enrolment %s (not %s)", since.Format(time.RFC3339Nano), got, moved.ID, still.ID)
	}
	// The list's own filters.
	for _, tc := range []struct {
		query url.Values
		want  []string
	}{
		{url.Values{"status": {"active"}}, []string{moved.ID}},
		{url.Values{"status": {"enrolled"}}, []string{still.ID}},
		{url.Values{"cohort_id": {c.ID}}, []string{moved.ID, still.ID}},
		{url.Values{"participant_id": {still.ParticipantID}}, []string{still.ID}},
		{url.Values{"cohort_id": {uuid.Must(uuid.NewV7()).String()}}, nil},
	} {
		if got := listIDs(t, env, "/v1/enrolments", token, tc.query); !apitest.SameSet(got, tc.want) {
			t.Errorf("%v: %v, want %v", tc.query, got, tc.want)
		}
	}
}

// An enrolment belongs to its cohort's organisation. A principal who sees two trusts (the
// national team) must not put trust B's participant into trust A's cohort: A's coordinators
// would then read an enrolment naming a participant of B, and B's would never see it.
func TestEnrolParticipantOfAnotherTrustByNationalAdmin(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	a := env.Organisation(t, domain.KindTrust, "Trust A")
	b := env.Organisation(t, domain.KindTrust, "Trust B")
	tokenA := env.User(t, a.ID, domain.RoleCoordinator)
	tokenB := env.User(t, b.ID, domain.RoleCoordinator)
	_, national := env.NationalAdmin(t)
	c := mustCreateCohort(t, env, tokenA, a.ID, workExperienceProgramme, cohortStarts, cohortEnds, 10)
	theirs := mustParticipantBorn(t, env, tokenB, b.ID, "1990-01-01", "universal_credit")
	res := enrol(t, env, national, c.ID, theirs, "status", "enrolled")
	if res.Status == http.StatusCreated {
		t.Fatalf("regression: the national team can enrol trust B's participant %s in trust A's cohort (201); A's coordinators then list an "+
			"enrolment naming a participant they get 404 for, and B's never see their participant's enrolment "+
			"(service.Enrolments.Create checks only that both records are within the caller's reach, not that the participant "+
			"is within the reach of the cohort's organisation)", theirs)
	}
	apitest.WantProblem(t, res, http.StatusUnprocessableEntity, "participant_id")
}

func TestCohortAndEnrolmentTenancy(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	a := env.Organisation(t, domain.KindTrust, "Trust A")
	b := env.Organisation(t, domain.KindTrust, "Trust B")
	tokenA := env.User(t, a.ID, domain.RoleCoordinator)
	tokenB := env.User(t, b.ID, domain.RoleCoordinator)
	c := mustCreateCohort(t, env, tokenA, a.ID, stepIntoWorkProgramme, cohortStarts, cohortEnds, 10)
	mineA := mustParticipantBorn(t, env, tokenA, a.ID, "1990-01-01", "universal_credit")
	mineB := mustParticipantBorn(t, env, tokenB, b.ID, "1990-01-01", "universal_credit")
	e := mustEnrol(t, env, tokenA, c.ID, mineA)

	// B cannot see A's records: 404, exactly as for ids that do not exist.
	for _, path := range []string{"/v1/cohorts/" + c.ID, "/v1/enrolments/" + e.ID,
		"/v1/cohorts/" + uuid.Must(uuid.NewV7()).String(), "/v1/enrolments/" + uuid.Must(uuid.NewV7()).String()} {
		apitest.WantProblem(t, env.Do(t, http.MethodGet, path, tokenB, ""), http.StatusNotFound, "")
	}
	apitest.WantProblem(t, env.Patch(t, "/v1/cohorts/"+c.ID, tokenB, `{"capacity":1}`), http.StatusNotFound, "")
	apitest.WantProblem(t, transition(t, env, tokenB, e.ID, "to", "withdrawn", "reason", "sabotage"), http.StatusNotFound, "")
	if got := listIDs(t, env, "/v1/cohorts", tokenB, nil); len(got) != 0 {
		t.Errorf("B lists A's cohorts: %v", got)
	}
	if got := listIDs(t, env, "/v1/enrolments", tokenB, nil); len(got) != 0 {
		t.Errorf("B lists A's enrolments: %v", got)
	}
	// B cannot put its own participant into A's cohort: the cohort is out of reach.
	for _, status := range []string{"referred", "enrolled"} {
		apitest.WantProblem(t, enrol(t, env, tokenB, c.ID, mineB, "status", status), http.StatusUnprocessableEntity, "cohort_id")
	}
	// Nor can A enrol B's participant.
	apitest.WantProblem(t, enrol(t, env, tokenA, c.ID, mineB, "status", "enrolled"), http.StatusUnprocessableEntity, "participant_id")

	if got := mustGetCohort(t, env, tokenA, c.ID); got.Capacity != 10 || got.PlacesTaken != 0 || got.Version != 1 {
		t.Errorf("B's attempts changed A's cohort: %+v", got)
	}
	if got := mustGetEnrolment(t, env, tokenA, e.ID); got.Status != "referred" || got.Version != 1 {
		t.Errorf("B's attempts changed A's enrolment: %+v", got)
	}
	if n := env.MustQueryInt(t, `SELECT count(*) FROM enrolments`); n != 1 {
		t.Errorf("%d enrolments, want 1", n)
	}
}
