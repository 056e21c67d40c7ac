package httpapi_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"image/png"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
)

// The tests of reports build their records through the API, keep each one as written (the raw
// rows), and compute what a report must say from those rows in plain Go, never with the
// report's own query.

// rateDoc is a rate as the API sends it.
type rateDoc struct {
	Numerator   int      `json:"numerator"`
	Denominator int      `json:"denominator"`
	Rate        *float64 `json:"rate"`
}

// highlightDoc is a highlight report as the API sends it.
type highlightDoc struct {
	FundingAwardID string `json:"funding_award_id"`
	Period         string `json:"period"`
	FundedYear     int    `json:"funded_year"`
	FinancialYear  string `json:"financial_year"`
	StartsOn       string `json:"starts_on"`
	EndsOn         string `json:"ends_on"`
	Cohorts        int    `json:"cohorts"`
	Participants   struct {
		Engaged    int  `json:"engaged"`
		Minimum    int  `json:"minimum"`
		MinimumMet bool `json:"minimum_met"`
	} `json:"participants"`
	Enrolments struct {
		Starts      int `json:"starts"`
		Completions int `json:"completions"`
		Withdrawals int `json:"withdrawals"`
	} `json:"enrolments"`
	WithdrawalsByReason []struct {
		Reason string `json:"reason"`
		Count  int    `json:"count"`
	} `json:"withdrawals_by_reason"`
	OutcomesByDestination []struct {
		Destination string `json:"destination"`
		Positive    bool   `json:"positive"`
		Count       int    `json:"count"`
	} `json:"outcomes_by_destination"`
	OutcomesByILRCode []struct {
		ILRCode string `json:"ilr_code"`
		Count   int    `json:"count"`
	} `json:"outcomes_by_ilr_code"`
	Conversion           rateDoc `json:"conversion"`
	Sustained3Months     rateDoc `json:"sustained_3_months"`
	Sustained6Months     rateDoc `json:"sustained_6_months"`
	PlacementsByRoleArea []struct {
		RoleArea string `json:"role_area"`
		Count    int    `json:"count"`
	} `json:"placements_by_role_area"`
	Mentoring struct {
		Matches  int `json:"matches"`
		CheckIns int `json:"check_ins"`
	} `json:"mentoring"`
	CaseStudies struct {
		Published int                 `json:"published"`
		Items     []reportedCaseStudy `json:"items"`
	} `json:"case_studies"`
}

// reportedCaseStudy is a case study a highlight report lists.
type reportedCaseStudy struct {
	ID             string `json:"id"`
	OrganisationID string `json:"organisation_id"`
	Title          string `json:"title"`
	PublishedOn    string `json:"published_on"`
}

// The raw rows a report test wrote.
type (
	rawEnrolment struct {
		id, participant, cohort       string
		started, completed, withdrawn string // dates, "" when it never happened
		reason                        string
	}
	rawOutcome struct {
		participant, enrolment, destination, ilrCode string
		held3m, held6m                               string // "yes", "no", "" when not checked
		deleted                                      bool
	}
	rawPlacement struct{ cohort, roleArea, startsOn, endsOn string }
	rawMatch     struct {
		enrolment, startsOn, plannedEndOn string
		checkIns                          []string
	}
	rawCohort    struct{ id, startsOn, endsOn string }
	rawCaseStudy struct {
		id, org, programme, title string
		publishedOn               string // "" while a draft
		deleted                   bool
	}
)

// reportWorld is what a report test wrote, row by row.
type reportWorld struct {
	cohorts     []rawCohort
	enrolments  []rawEnrolment
	outcomes    []rawOutcome
	placements  []rawPlacement
	matches     []rawMatch
	caseStudies []rawCaseStudy
}

// expectedCaseStudies lists the case studies a highlight report of an award for programme
// shows over from..to: published (and not since unpublished or deleted) in the period, about
// the programme, by one of authors, earliest first, then by id.
func (w reportWorld) expectedCaseStudies(programme string, authors []string, from, to string) []reportedCaseStudy {
	var out []reportedCaseStudy
	for _, c := range w.caseStudies {
		if !c.deleted && c.programme == programme && slices.Contains(authors, c.org) && within(c.publishedOn, from, to) {
			out = append(out, reportedCaseStudy{c.id, c.org, c.title, c.publishedOn})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].PublishedOn < out[j].PublishedOn || out[i].PublishedOn == out[j].PublishedOn && out[i].ID < out[j].ID
	})
	return out
}

func within(day, from, to string) bool { return day != "" && day >= from && day <= to }

// expectedHighlight computes a highlight report of the cohorts in award over from..to from the
// raw rows, as the contract defines each figure.
func (w reportWorld) expectedHighlight(award []string, from, to string, minimum int) highlightDoc {
	var want highlightDoc
	inAward := func(cohort string) bool { return slices.Contains(award, cohort) }
	for _, c := range w.cohorts {
		if inAward(c.id) && c.startsOn <= to && c.endsOn >= from {
			want.Cohorts++
		}
	}
	engaged := map[string]bool{}
	awardEnrolments := map[string]bool{}
	reasons := map[string]int{}
	for _, e := range w.enrolments {
		if !inAward(e.cohort) {
			continue
		}
		awardEnrolments[e.id] = true
		end := e.completed + e.withdrawn // at most one is set
		if e.started != "" && e.started <= to && (end == "" || end >= from) {
			engaged[e.participant] = true
		}
		if within(e.started, from, to) {
			want.Enrolments.Starts++
		}
		if within(e.completed, from, to) {
			want.Enrolments.Completions++
		}
		if within(e.withdrawn, from, to) {
			want.Enrolments.Withdrawals++
			reasons[e.reason]++
		}
	}
	for reason, n := range reasons {
		want.WithdrawalsByReason = append(want.WithdrawalsByReason, struct {
			Reason string `json:"reason"`
			Count  int    `json:"count"`
		}{reason, n})
	}
	sort.Slice(want.WithdrawalsByReason, func(i, j int) bool {
		a, b := want.WithdrawalsByReason[i], want.WithdrawalsByReason[j]
		return a.Count > b.Count || a.Count == b.Count && a.Reason < b.Reason
	})
	want.Participants.Engaged, want.Participants.Minimum = len(engaged), minimum
	want.Participants.MinimumMet = len(engaged) >= minimum

	byDestination, byCode := map[string]int{}, map[string]int{}
	positive := map[string]bool{}
	for _, o := range w.outcomes {
		if o.deleted || !engaged[o.participant] || o.enrolment != "" && !awardEnrolments[o.enrolment] {
			continue
		}
		byDestination[o.destination]++
		byCode[o.ilrCode]++
		if o.destination == "none" || o.destination == "unknown" {
			continue
		}
		positive[o.participant] = true
		if o.held3m != "" {
			want.Sustained3Months.Denominator++
		}
		if o.held3m == "yes" {
			want.Sustained3Months.Numerator++
		}
		if o.held6m != "" {
			want.Sustained6Months.Denominator++
		}
		if o.held6m == "yes" {
			want.Sustained6Months.Numerator++
		}
	}
	for _, d := range []string{"employment", "apprenticeship", "volunteering", "further_education", "training", "none", "unknown"} {
		want.OutcomesByDestination = append(want.OutcomesByDestination, struct {
			Destination string `json:"destination"`
			Positive    bool   `json:"positive"`
			Count       int    `json:"count"`
		}{d, d != "none" && d != "unknown", byDestination[d]})
	}
	codes := make([]string, 0, len(byCode))
	for c := range byCode {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	for _, c := range codes {
		want.OutcomesByILRCode = append(want.OutcomesByILRCode, struct {
			ILRCode string `json:"ilr_code"`
			Count   int    `json:"count"`
		}{c, byCode[c]})
	}
	want.Conversion = rateDoc{Numerator: len(positive), Denominator: len(engaged)}

	byArea := map[string]int{}
	for _, p := range w.placements {
		if inAward(p.cohort) && p.startsOn <= to && p.endsOn >= from {
			byArea[p.roleArea]++
		}
	}
	for _, a := range []string{"facilities", "estates", "healthcare_support", "administration", "clinical_support", "other"} {
		want.PlacementsByRoleArea = append(want.PlacementsByRoleArea, struct {
			RoleArea string `json:"role_area"`
			Count    int    `json:"count"`
		}{a, byArea[a]})
	}
	for _, m := range w.matches {
		if !awardEnrolments[m.enrolment] {
			continue
		}
		if m.startsOn <= to && m.plannedEndOn >= from {
			want.Mentoring.Matches++
		}
		for _, day := range m.checkIns {
			if within(day, from, to) {
				want.Mentoring.CheckIns++
			}
		}
	}
	return want
}

// reportTrust is a trust of a report test, writing through its coordinator and noting each row.
type reportTrust struct {
	env   *apitest.Env
	org   domain.Organisation
	token string
	w     *reportWorld
}

func (r reportTrust) cohort(t *testing.T, award, startsOn, endsOn string) string {
	t.Helper()
	kv := []any{"programme_id", workExperienceProgramme, "organisation_id", r.org.ID.String(), "name", "Cohort " + startsOn,
		"starts_on", startsOn, "ends_on", endsOn, "capacity", 30}
	if award != "" {
		kv = append(kv, "funding_award_id", award)
	}
	id := r.env.MustCreate(t, "/v1/cohorts", r.token, apitest.JSON(t, kv...))
	r.w.cohorts = append(r.w.cohorts, rawCohort{id, startsOn, endsOn})
	return id
}

func (r reportTrust) participant(t *testing.T) string {
	t.Helper()
	return r.env.MustCreate(t, "/v1/participants", r.token, apitest.JSON(t, "organisation_id", r.org.ID.String(),
		"given_name", "Alex", "family_name", "Reporter", "date_of_birth", "2000-01-01"))
}

// enrol enrols participant in cohort on enrolledOn and moves it: to active on started, then to
// completed on completed or withdrawn on withdrawn (with reason); "" skips a move.
func (r reportTrust) enrol(t *testing.T, cohort, participant, enrolledOn, started, completed, withdrawn, reason string) string {
	t.Helper()
	id := r.env.MustCreate(t, "/v1/enrolments", r.token, apitest.JSON(t, "cohort_id", cohort, "participant_id", participant,
		"status", "enrolled", "on", enrolledOn))
	move := func(body string) {
		if res := r.env.Do(t, http.MethodPost, "/v1/enrolments/"+id+"/transitions", r.token, body); res.Status != http.StatusOK {
			t.Fatalf("move enrolment %s: %d %s", body, res.Status, res.Body)
		}
	}
	if started != "" {
		move(apitest.JSON(t, "to", "active", "on", started))
	}
	if completed != "" {
		move(apitest.JSON(t, "to", "completed", "on", completed))
	}
	if withdrawn != "" {
		move(apitest.JSON(t, "to", "withdrawn", "on", withdrawn, "reason", reason))
	}
	r.w.enrolments = append(r.w.enrolments, rawEnrolment{id, participant, cohort, started, completed, withdrawn, reason})
	return id
}

// finish completes enrolment id on completed or withdraws it on withdrawn, later than enrol.
func (r reportTrust) finish(t *testing.T, id, completed, withdrawn, reason string) {
	t.Helper()
	body := apitest.JSON(t, "to", "completed", "on", completed)
	if withdrawn != "" {
		body = apitest.JSON(t, "to", "withdrawn", "on", withdrawn, "reason", reason)
	}
	if res := r.env.Do(t, http.MethodPost, "/v1/enrolments/"+id+"/transitions", r.token, body); res.Status != http.StatusOK {
		t.Fatalf("finish enrolment: %d %s", res.Status, res.Body)
	}
	for i, e := range r.w.enrolments {
		if e.id == id {
			r.w.enrolments[i].completed, r.w.enrolments[i].withdrawn, r.w.enrolments[i].reason = completed, withdrawn, reason
		}
	}
}

// outcome records an outcome; held3m and held6m are sustainment results ("" for none).
func (r reportTrust) outcome(t *testing.T, participant, enrolment, destination, ilrCode, held3m, held6m string) string {
	t.Helper()
	kv := []any{"participant_id", participant, "destination", destination, "ilr_code", ilrCode, "starts_on", "2025-09-01"}
	if enrolment != "" {
		kv = append(kv, "enrolment_id", enrolment)
	}
	id := r.env.MustCreate(t, "/v1/outcomes", r.token, apitest.JSON(t, kv...))
	// Sustainment is checked later, by a patch.
	var checks []any
	if held3m != "" {
		checks = append(checks, "sustained_3_months", map[string]string{"result": held3m, "checked_on": "2025-12-01"})
	}
	if held6m != "" {
		checks = append(checks, "sustained_6_months", map[string]string{"result": held6m, "checked_on": "2026-03-02"})
	}
	if checks != nil {
		apitest.WantStatus(t, r.env.Patch(t, "/v1/outcomes/"+id, r.token, apitest.JSON(t, checks...)), http.StatusOK)
	}
	r.w.outcomes = append(r.w.outcomes, rawOutcome{participant, enrolment, destination, ilrCode, held3m, held6m, false})
	return id
}

func (r reportTrust) placement(t *testing.T, cohort, enrolment, roleArea, startsOn, endsOn string) {
	t.Helper()
	r.env.MustCreate(t, "/v1/placements", r.token, apitest.JSON(t, "enrolment_id", enrolment, "kind", "placement",
		"host_department", "Estates and Facilities", "role_area", roleArea, "starts_on", startsOn, "ends_on", endsOn))
	r.w.placements = append(r.w.placements, rawPlacement{cohort, roleArea, startsOn, endsOn})
}

func (r reportTrust) match(t *testing.T, mentor, participant, enrolment, startsOn, plannedEndOn string, checkIns ...string) {
	t.Helper()
	kv := []any{"mentor_id", mentor, "participant_id", participant, "starts_on", startsOn, "planned_end_on", plannedEndOn}
	if enrolment != "" {
		kv = append(kv, "enrolment_id", enrolment)
	}
	id := r.env.MustCreate(t, "/v1/mentoring-matches", r.token, apitest.JSON(t, kv...))
	for _, day := range checkIns {
		r.env.MustCreate(t, "/v1/mentoring-matches/"+id+"/check-ins", r.token, apitest.JSON(t, "held_on", day, "minutes", 30, "mode", "video"))
	}
	r.w.matches = append(r.w.matches, rawMatch{enrolment, startsOn, plannedEndOn, checkIns})
}

// highlightFixture is a collaboration funded for Work experience in tender round 2025/26
// (funded year 1 is 1 April 2025 to 31 March 2026; minimum 30 participants), delivered by its
// two member trusts, the second of which then leaves the collaboration.
type highlightFixture struct {
	env                   *apitest.Env
	nat                   string
	collab, first, second domain.Organisation
	collabUser, firstUser string
	secondUser, outsider  string
	award, emptyAward     string
	awardCohorts          []string
	// caseStudyAuthors are the organisations whose case studies the award's report lists: the
	// recipient, its member trust, and the trust that left but delivered a cohort under it.
	caseStudyAuthors []string
	world            *reportWorld
}

// caseStudy writes a case study of org about programme through token: published on
// publishedOn, or a draft when that is "". The service publishes on the day of the request;
// the fixture's periods are past, so the day is moved back in the database, as time passing
// would have done.
func (f highlightFixture) caseStudy(t *testing.T, token string, org domain.Organisation, programme, title, publishedOn string, kv ...any) string {
	t.Helper()
	kv = append([]any{"organisation_id", org.ID.String(), "programme_id", programme, "title", title, "summary", "A story",
		"body_markdown", "**Hired**"}, kv...)
	if publishedOn != "" {
		kv = append(kv, "status", "published")
	}
	id := f.env.MustCreate(t, "/v1/case-studies", token, apitest.JSON(t, kv...))
	if publishedOn != "" {
		res, err := f.env.DB.SQL().Exec(`UPDATE case_studies SET published_on = $2 WHERE id = $1`, id, publishedOn)
		if n, _ := res.RowsAffected(); err != nil || n != 1 {
			t.Fatalf("backdate case study %s: %v (%d rows)", id, err, n)
		}
	}
	f.world.caseStudies = append(f.world.caseStudies, rawCaseStudy{id, org.ID.String(), programme, title, publishedOn, false})
	return id
}

func newHighlightFixture(t *testing.T) highlightFixture {
	t.Helper()
	env := apitest.New(t)
	_, nat := env.NationalAdmin(t)
	f := highlightFixture{env: env, nat: nat, world: &reportWorld{},
		collab: env.Organisation(t, domain.KindCollaboration, "Northgate Collaboration"),
		first:  env.Organisation(t, domain.KindTrust, "First Member NHS Trust"),
		second: env.Organisation(t, domain.KindTrust, "Second Member NHS Trust")}
	outsider := env.Organisation(t, domain.KindTrust, "Outside NHS Trust")
	for _, m := range []domain.Organisation{f.first, f.second} {
		apitest.WantStatus(t, env.Do(t, http.MethodPut, "/v1/organisations/"+f.collab.ID.String()+"/members/"+m.ID.String(), nat, ""), http.StatusNoContent)
	}
	f.award = env.MustCreate(t, "/v1/funding-awards", nat, awardBody(t, f.collab.ID.String(), workExperienceProgramme, "2025/26"))
	// An award with no cohorts at all: its report is every figure at zero.
	f.emptyAward = env.MustCreate(t, "/v1/funding-awards", nat, awardBody(t, f.collab.ID.String(), stepIntoWorkProgramme, "2025/26"))
	f.collabUser = env.User(t, f.collab.ID, domain.RoleViewer)
	f.outsider = env.User(t, outsider.ID, domain.RoleOrgAdmin)
	first := reportTrust{env, f.first, env.User(t, f.first.ID, domain.RoleCoordinator), f.world}
	second := reportTrust{env, f.second, env.User(t, f.second.ID, domain.RoleCoordinator), f.world}
	f.firstUser, f.secondUser = first.token, second.token

	// A cohort spanning two quarters (Q2 and Q3 of 2025), one of the second trust in Q4, and one
	// of the first trust under no award, whose records never count.
	spanning := first.cohort(t, f.award, "2025-06-02", "2025-08-29")
	later := second.cohort(t, f.award, "2025-10-06", "2025-11-28")
	unfunded := first.cohort(t, "", "2025-07-07", "2025-08-01")
	f.awardCohorts = []string{spanning, later}

	// Completed, with two outcomes: employment on the enrolment, sustained at 3 months, and an
	// apprenticeship recorded against no enrolment. Also in the unfunded cohort, with an outcome
	// linked there, which the award's report leaves out.
	p1 := first.participant(t)
	e1 := first.enrol(t, spanning, p1, "2025-05-20", "2025-06-02", "", "", "") // completed below
	first.outcome(t, p1, e1, "employment", "EMP1", "yes", "")
	first.outcome(t, p1, "", "apprenticeship", "EDU2", "", "")
	o1 := first.enrol(t, unfunded, p1, "2025-07-01", "2025-07-07", "", "", "")
	first.outcome(t, p1, o1, "further_education", "EDU1", "", "")
	first.placement(t, unfunded, o1, "facilities", "2025-07-14", "2025-07-18")
	// Withdrawn after starting, yet into work: engaged, withdrawn, and converted.
	p2 := first.participant(t)
	e2 := first.enrol(t, spanning, p2, "2025-05-20", "2025-06-02", "", "", "") // withdrawn below
	first.outcome(t, p2, e2, "employment", "EMP2", "yes", "no")
	// Completed in Q2: engaged then, not in Q3; no positive outcome, and a deleted one.
	p3 := first.participant(t)
	e3 := first.enrol(t, spanning, p3, "2025-05-20", "2025-06-02", "2025-06-27", "", "")
	first.outcome(t, p3, e3, "none", "NPE1", "", "")
	deleted := first.outcome(t, p3, e3, "employment", "EMP1", "", "")
	env.MustDelete(t, "/v1/outcomes/"+deleted, first.token)
	f.world.outcomes[len(f.world.outcomes)-1].deleted = true
	// Withdrawn before starting: a withdrawal, never engaged.
	p4 := first.participant(t)
	first.enrol(t, spanning, p4, "2025-05-20", "", "", "2025-06-10", "Moved out of the area")
	// Withdrawn in Q3, with a training outcome not sustained, then erased: still counted, its
	// withdrawal reason erased.
	p6 := first.participant(t)
	e6 := first.enrol(t, spanning, p6, "2025-05-20", "2025-06-02", "", "2025-08-01", "Found work")
	first.outcome(t, p6, e6, "training", "EDU3", "no", "")
	// The second trust's participant, active since October, volunteering.
	p5 := second.participant(t)
	e5 := second.enrol(t, later, p5, "2025-10-01", "2025-10-06", "", "", "")
	second.outcome(t, p5, "", "volunteering", "VOL1", "", "")
	second.placement(t, later, e5, "administration", "2025-10-13", "2025-10-24")

	first.placement(t, spanning, e1, "estates", "2025-06-09", "2025-06-20")
	first.placement(t, spanning, e1, "healthcare_support", "2025-07-07", "2025-07-18")
	first.placement(t, spanning, e2, "healthcare_support", "2025-06-30", "2025-07-04")
	mentor := mustCreateMentor(t, env, first.token, f.first.ID, "professional", "Priya", "Shah")
	first.match(t, mentor.ID, p1, e1, "2025-06-02", "2025-11-30", "2025-06-16", "2025-07-14", "2025-08-11")
	first.match(t, mentor.ID, p3, "", "2025-07-01", "2025-09-30", "2025-07-21") // on no enrolment: not the award's
	first.finish(t, e1, "2025-08-29", "", "")
	first.finish(t, e2, "", "2025-07-15", "Found work")

	apitest.WantStatus(t, env.Do(t, http.MethodDelete, "/v1/participants/"+p6, first.token, ""), http.StatusNoContent)
	for i := range f.world.enrolments {
		if f.world.enrolments[i].participant == p6 {
			f.world.enrolments[i].reason = domain.ErasedText
		}
	}
	// Case studies: the report lists those published in its period about Work experience by the
	// collaboration, its member and the trust that delivered the Q4 cohort; not a draft, nor
	// another programme's, another trust's, a deleted one, or one taken back to draft when its
	// participant withdrew their consent. The collaboration's title would be a formula in a
	// spreadsheet.
	f.caseStudyAuthors = []string{f.collab.ID.String(), f.first.ID.String(), f.second.ID.String()}
	f.caseStudy(t, first.token, f.first, workExperienceProgramme, "From work experience to porter", "2025-08-14")
	f.caseStudy(t, first.token, f.first, workExperienceProgramme, "A week on the wards", "2025-08-14")
	f.caseStudy(t, nat, f.collab, workExperienceProgramme, "@Northgate: twelve weeks, three trusts", "2025-11-03")
	f.caseStudy(t, second.token, f.second, workExperienceProgramme, "Administration placements at Second", "2025-10-20")
	f.caseStudy(t, first.token, f.first, workExperienceProgramme, "Before the award", "2025-03-31")
	f.caseStudy(t, first.token, f.first, workExperienceProgramme, "A draft, never published", "")
	f.caseStudy(t, first.token, f.first, getStartedProgramme, "Another programme", "2025-08-20")
	f.caseStudy(t, f.outsider, outsider, workExperienceProgramme, "Another trust's", "2025-08-21")
	gone := f.caseStudy(t, first.token, f.first, workExperienceProgramme, "Deleted", "2025-08-22")
	env.MustDelete(t, "/v1/case-studies/"+gone, first.token)
	f.world.caseStudies[len(f.world.caseStudies)-1].deleted = true
	named := first.participant(t)
	apitest.MustPatch[map[string]any](t, env, "/v1/participants/"+named, first.token, apitest.JSON(t, "consent", map[string]bool{"case_study": true}))
	f.caseStudy(t, first.token, f.first, workExperienceProgramme, "Consent withdrawn", "2025-08-23", "participant_id", named)
	apitest.MustPatch[map[string]any](t, env, "/v1/participants/"+named, first.token, apitest.JSON(t, "consent", map[string]bool{"case_study": false}))
	f.world.caseStudies[len(f.world.caseStudies)-1].publishedOn = "" // the trigger took it back to draft

	// The second trust leaves the collaboration: its cohort was still delivered under the award.
	apitest.WantStatus(t, env.Do(t, http.MethodDelete, "/v1/organisations/"+f.collab.ID.String()+"/members/"+f.second.ID.String(), nat, ""),
		http.StatusNoContent)
	return f
}

func (f highlightFixture) report(t *testing.T, award, period, token string) highlightDoc {
	t.Helper()
	res := f.env.Do(t, http.MethodGet, "/v1/funding-awards/"+award+"/highlight-reports/"+period, token, "")
	apitest.WantStatus(t, res, http.StatusOK)
	var d highlightDoc
	res.Decode(t, &d)
	return d
}

// figures is a report without what identifies it, to compare with an expectation.
func figures(d highlightDoc) highlightDoc {
	d.FundingAwardID, d.Period, d.FundedYear, d.FinancialYear, d.StartsOn, d.EndsOn = "", "", 0, "", "", ""
	for _, r := range []*rateDoc{&d.Conversion, &d.Sustained3Months, &d.Sustained6Months} {
		r.Rate = nil
	}
	if len(d.WithdrawalsByReason) == 0 {
		d.WithdrawalsByReason = nil
	}
	if len(d.OutcomesByILRCode) == 0 {
		d.OutcomesByILRCode = nil
	}
	d.CaseStudies.Published, d.CaseStudies.Items = 0, nil // compared on their own
	return d
}

func TestHighlightReportCountsTheAwardsCohortsFromTheRawRecords(t *testing.T) {
	t.Parallel()
	f := newHighlightFixture(t)
	periods := []struct{ name, from, to, fy string }{
		{"year-1", "2025-04-01", "2026-03-31", "2025/26"},
		{"2025-Q2", "2025-04-01", "2025-06-30", "2025/26"},
		{"2025-Q3", "2025-07-01", "2025-09-30", "2025/26"},
		{"2025-Q4", "2025-10-01", "2025-12-31", "2025/26"},
		{"year-2", "2026-04-01", "2027-03-31", "2026/27"},
	}
	for _, p := range periods {
		t.Run(p.name, func(t *testing.T) {
			minimum := 30
			if p.name == "year-2" {
				minimum = 25
			}
			got := f.report(t, f.award, p.name, f.collabUser)
			if got.FundingAwardID != f.award || got.Period != p.name || got.StartsOn != p.from || got.EndsOn != p.to || got.FinancialYear != p.fy {
				t.Errorf("report of %s: award %s, period %s %s..%s %s", p.name, got.FundingAwardID, got.Period, got.StartsOn, got.EndsOn, got.FinancialYear)
			}
			want := f.world.expectedHighlight(f.awardCohorts, p.from, p.to, minimum)
			if !reflect.DeepEqual(figures(got), want) {
				t.Errorf("report of %s:\n got %+v\nwant %+v", p.name, figures(got), want)
			}
			wantStudies := f.world.expectedCaseStudies(workExperienceProgramme, f.caseStudyAuthors, p.from, p.to)
			if got.CaseStudies.Published != len(wantStudies) || len(got.CaseStudies.Items)+len(wantStudies) > 0 &&
				!reflect.DeepEqual(got.CaseStudies.Items, wantStudies) {
				t.Errorf("case studies of %s:\n got %d %+v\nwant %+v", p.name, got.CaseStudies.Published, got.CaseStudies.Items, wantStudies)
			}
			if c := got.Conversion; c.Denominator > 0 && (c.Rate == nil || *c.Rate != float64(int(float64(c.Numerator)/float64(c.Denominator)*10000+0.5))/10000) {
				t.Errorf("conversion %+v", c)
			}
		})
	}

	// The figures the raw rows give for Q3, written out, so a reader sees what the edge cases make.
	q3 := f.report(t, f.award, "2025-Q3", f.nat)
	if q3.Participants.Engaged != 3 || q3.Conversion.Numerator != 3 || q3.Enrolments.Withdrawals != 2 || q3.Cohorts != 1 ||
		q3.Mentoring.Matches != 1 || q3.Mentoring.CheckIns != 2 || q3.Participants.MinimumMet {
		t.Errorf("Q3: %+v", q3)
	}
	year := f.report(t, f.award, "year-1", f.nat)
	if year.Participants.Engaged != 5 || year.Conversion.Numerator != 4 || year.OutcomesByDestination[0].Count != 2 ||
		len(year.WithdrawalsByReason) != 3 || year.Cohorts != 2 || year.CaseStudies.Published != 4 {
		t.Errorf("year 1: %+v", year)
	}
	if q3.CaseStudies.Published != 2 {
		t.Errorf("Q3's case studies: %+v", q3.CaseStudies)
	}

	// An award with no cohorts reports zeros, every destination and role area listed.
	empty := f.report(t, f.emptyAward, "year-1", f.collabUser)
	if want := (reportWorld{}).expectedHighlight(nil, "2025-04-01", "2026-03-31", 30); !reflect.DeepEqual(figures(empty), want) {
		t.Errorf("the empty award's report:\n got %+v\nwant %+v", figures(empty), want)
	}
	if empty.Conversion.Rate != nil || len(empty.OutcomesByDestination) != 7 || len(empty.PlacementsByRoleArea) != 6 ||
		empty.CaseStudies.Published != 0 || empty.CaseStudies.Items == nil {
		t.Errorf("the empty award's report: %+v", empty)
	}

	// Periods outside the award, or not periods at all, are refused naming the period.
	for _, period := range []string{"2025-Q1", "2028-Q2", "year-4", "2025-Q5", "2025", "year-0"} {
		res := f.env.Do(t, http.MethodGet, "/v1/funding-awards/"+f.award+"/highlight-reports/"+period, f.nat, "")
		if res.Status != http.StatusBadRequest && res.Status != http.StatusUnprocessableEntity {
			t.Errorf("period %s: %d %s", period, res.Status, res.Body)
			continue
		}
		apitest.WantProblem(t, res, res.Status, "period")
	}
}

func TestHighlightReportIsReadOnlyWithinTheAwardsReach(t *testing.T) {
	t.Parallel()
	f := newHighlightFixture(t)
	path := "/v1/funding-awards/" + f.award + "/highlight-reports/year-1"
	// The recipient, a member trust and the national team read the same report.
	want := figures(f.report(t, f.award, "year-1", f.nat))
	for who, token := range map[string]string{"collaboration": f.collabUser, "member trust": f.firstUser} {
		if got := figures(f.report(t, f.award, "year-1", token)); !reflect.DeepEqual(got, want) {
			t.Errorf("the %s reads %+v, the national team %+v", who, got, want)
		}
	}
	// Another trust, and the member that left, cannot tell the award exists: the same 404 as an
	// award that does not.
	missing := f.env.Do(t, http.MethodGet, "/v1/funding-awards/"+uuid.NewString()+"/highlight-reports/year-1", f.outsider, "")
	wantProblem := apitest.WantProblem(t, missing, http.StatusNotFound, "")
	for who, token := range map[string]string{"another trust": f.outsider, "the member that left": f.secondUser} {
		res := f.env.Do(t, http.MethodGet, path, token, "")
		if p := apitest.WantProblem(t, res, http.StatusNotFound, ""); p.Detail != wantProblem.Detail {
			t.Errorf("%s is told %q, a missing award %q", who, p.Detail, wantProblem.Detail)
		}
	}
}

// TestReportsTakeTheReportsReadScope: an API client granted reports:read alone (a reporting
// tool) reads every report over its organisation's reach, as that organisation's users do;
// another trust's client cannot tell the award exists; a client without the scope is refused,
// told which scope it lacks.
func TestReportsTakeTheReportsReadScope(t *testing.T) {
	t.Parallel()
	f := newHighlightFixture(t)
	firstAdmin := f.env.User(t, f.first.ID, domain.RoleOrgAdmin)
	outsiderOrg := f.env.Organisation(t, domain.KindTrust, "Reporting Outsider NHS Trust")
	reporting := clientToken(t, f.env, registerClient(t, f.env, firstAdmin, f.first.ID, "reports:read"))
	strangers := clientToken(t, f.env, registerClient(t, f.env, f.env.User(t, outsiderOrg.ID, domain.RoleOrgAdmin), outsiderOrg.ID, "reports:read"))
	unscoped := clientToken(t, f.env, registerClient(t, f.env, firstAdmin, f.first.ID, "organisations:read", "participants:read"))
	highlight := "/v1/funding-awards/" + f.award + "/highlight-reports/year-1"
	reports := []string{highlight, "/v1/reports/outcomes?group_by=organisation,quarter", "/v1/reports/activity?year=2025/26", "/v1/reports/roi"}

	// The member trust's client reads each report exactly as the trust's coordinator does.
	answer := func(path, token string) map[string]any {
		t.Helper()
		res := f.env.Do(t, http.MethodGet, path, token, "")
		apitest.WantStatus(t, res, http.StatusOK)
		var m map[string]any
		res.Decode(t, &m)
		delete(m, "generated_at")
		return m
	}
	for _, path := range reports {
		if got, want := answer(path, reporting), answer(path, f.firstUser); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: the client reads\n%v\nthe coordinator\n%v", path, got, want)
		}
	}
	if got := f.report(t, f.award, "year-1", reporting); got.Participants.Engaged == 0 {
		t.Errorf("the client's highlight report counts nothing: %+v", got)
	}
	// Another trust's client: the award is missing, and the first trust's enrolments count nothing.
	missing := apitest.WantProblem(t, f.env.Do(t, http.MethodGet, "/v1/funding-awards/"+uuid.NewString()+"/highlight-reports/year-1",
		strangers, ""), http.StatusNotFound, "")
	if p := apitest.WantProblem(t, f.env.Do(t, http.MethodGet, highlight, strangers, ""), http.StatusNotFound, ""); p.Detail != missing.Detail {
		t.Errorf("another trust's client is told %q, for a missing award %q", p.Detail, missing.Detail)
	}
	if rows := answer("/v1/reports/outcomes?group_by=organisation&organisation_id="+f.first.ID.String(), strangers)["rows"]; len(rows.([]any)) != 0 {
		t.Errorf("another trust's client reads the first trust's outcomes: %v", rows)
	}
	// Without the scope: 403, naming it, however much else the client may read.
	for _, path := range reports {
		res := f.env.Do(t, http.MethodGet, path, unscoped, "")
		if p := apitest.WantProblem(t, res, http.StatusForbidden, ""); !strings.Contains(p.Detail, "reports:read") {
			t.Errorf("%s: refused with %q", path, p.Detail)
		}
	}
}

func TestHighlightReportAsCSVHasEveryFigureOfTheJSON(t *testing.T) {
	t.Parallel()
	f := newHighlightFixture(t)
	path := "/v1/funding-awards/" + f.award + "/highlight-reports/2025-Q3"
	res := f.env.Do(t, http.MethodGet, path, f.collabUser, "", "Accept", "text/csv")
	apitest.WantStatus(t, res, http.StatusOK)
	if ct, cd := res.Header.Get("Content-Type"), res.Header.Get("Content-Disposition"); ct != "text/csv; charset=utf-8" ||
		cd != `attachment; filename=highlight-report-2025-Q3.csv` {
		t.Errorf("Content-Type %q, Content-Disposition %q", ct, cd)
	}
	rows, err := csv.NewReader(bytes.NewReader(res.Body)).ReadAll()
	if err != nil || len(rows) == 0 || !slices.Equal(rows[0], []string{"section", "measure", "value"}) {
		t.Fatalf("not a CSV of section, measure, value (%v):\n%s", err, res.Body)
	}
	got := map[string]string{}
	for _, r := range rows[1:] {
		got[r[0]+"/"+r[1]] = r[2]
	}
	// Every figure the JSON answer (the test above checks it against the raw rows) has a row
	// with the same value.
	j := f.report(t, f.award, "2025-Q3", f.collabUser)
	want := map[string]string{
		"report/funding_award_id": f.award, "report/period": "2025-Q3", "report/starts_on": "2025-07-01", "report/ends_on": "2025-09-30",
		"report/cohorts":       strconv.Itoa(j.Cohorts),
		"participants/engaged": strconv.Itoa(j.Participants.Engaged), "participants/minimum": "30", "participants/minimum_met": "false",
		"enrolments/starts": strconv.Itoa(j.Enrolments.Starts), "enrolments/completions": strconv.Itoa(j.Enrolments.Completions),
		"enrolments/withdrawals": strconv.Itoa(j.Enrolments.Withdrawals),
		"conversion/numerator":   strconv.Itoa(j.Conversion.Numerator), "conversion/denominator": strconv.Itoa(j.Conversion.Denominator),
		"conversion/rate":                strconv.FormatFloat(*j.Conversion.Rate, 'f', -1, 64),
		"sustained_3_months/numerator":   strconv.Itoa(j.Sustained3Months.Numerator),
		"sustained_6_months/denominator": strconv.Itoa(j.Sustained6Months.Denominator),
		"mentoring/matches":              strconv.Itoa(j.Mentoring.Matches), "mentoring/check_ins": strconv.Itoa(j.Mentoring.CheckIns),
	}
	for _, w := range j.WithdrawalsByReason {
		want["withdrawals_by_reason/"+w.Reason] = strconv.Itoa(w.Count)
	}
	for _, d := range j.OutcomesByDestination {
		want["outcomes_by_destination/"+d.Destination] = strconv.Itoa(d.Count)
	}
	for _, c := range j.OutcomesByILRCode {
		want["outcomes_by_ilr_code/"+c.ILRCode] = strconv.Itoa(c.Count)
	}
	for _, p := range j.PlacementsByRoleArea {
		want["placements_by_role_area/"+p.RoleArea] = strconv.Itoa(p.Count)
	}
	want["case_studies/published"] = strconv.Itoa(j.CaseStudies.Published)
	for _, c := range j.CaseStudies.Items {
		want["case_studies/"+c.ID] = c.Title
	}
	if j.CaseStudies.Published == 0 {
		t.Error("Q3 lists no case study: the CSV's are not checked")
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s: CSV %q (present %v), want %q", k, g, ok, v)
		}
	}
	// A case study's title is free text: one a spreadsheet would take for a formula is shown as text.
	q4 := f.env.Do(t, http.MethodGet, "/v1/funding-awards/"+f.award+"/highlight-reports/2025-Q4", f.collabUser, "", "Accept", "text/csv")
	apitest.WantStatus(t, q4, http.StatusOK)
	q4rows, err := csv.NewReader(bytes.NewReader(q4.Body)).ReadAll()
	if err != nil || !slices.ContainsFunc(q4rows, func(r []string) bool { return r[2] == "'@Northgate: twelve weeks, three trusts" }) {
		t.Errorf("Q4's CSV does not neutralise the title beginning with @ (%v):\n%s", err, q4.Body)
	}
	// Another trust gets the same 404 as in JSON, not a file.
	apitest.WantProblem(t, f.env.Do(t, http.MethodGet, path, f.outsider, "", "Accept", "text/csv"), http.StatusNotFound, "")
}

// tool finds a program the test needs: missing, the test skips, except in CI, which installs
// it (.ci/run) and where it fails.
func tool(t *testing.T, names ...string) string {
	t.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not installed (.ci/run installs it)", names[0])
	}
	t.Skipf("%s is not installed", names[0])
	return ""
}

func TestHighlightReportPrintsToPDFWithItsChartsInChromium(t *testing.T) {
	t.Parallel()
	chromium := tool(t, "chromium", "chromium-browser")
	pdftotext := tool(t, "pdftotext")
	f := newHighlightFixture(t)
	res := f.env.Do(t, http.MethodGet, "/v1/funding-awards/"+f.award+"/highlight-reports/year-1", f.collabUser, "", "Accept", "text/html")
	apitest.WantStatus(t, res, http.StatusOK)
	if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	page := string(res.Body)
	// Self-contained: no script, nothing fetched, the print stylesheet and the charts inline.
	for _, banned := range []string{"<script", "src=", "href=", "@import", "url("} {
		if strings.Contains(strings.ToLower(page), banned) {
			t.Errorf("the page holds %q", banned)
		}
	}
	for _, needed := range []string{"@page { size: A4", "@media print", `<svg class="chart" id="chart-destinations"`, `id="chart-placements"`, "<rect "} {
		if !strings.Contains(page, needed) {
			t.Errorf("the page lacks %q", needed)
		}
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	json := f.report(t, f.award, "year-1", f.collabUser)

	dir := t.TempDir()
	html := filepath.Join(dir, "report.html")
	if err := os.WriteFile(html, res.Body, 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		args = append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + filepath.Join(dir, "profile"),
			"--no-first-run", "--no-pdf-header-footer"}, append(args, "file://"+html)...)
		if out, err := exec.CommandContext(ctx, chromium, args...).CombinedOutput(); err != nil {
			t.Fatalf("chromium %v: %v\n%s", args, err, out)
		}
	}
	pdf, shot := filepath.Join(dir, "report.pdf"), filepath.Join(dir, "report.png")
	run("--print-to-pdf=" + pdf)
	run("--screenshot="+shot, "--window-size=1000,2400", "--hide-scrollbars")

	// The PDF has pages, and its text holds the figures and the charts' labels.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	text, err := exec.CommandContext(ctx, pdftotext, pdf, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	raw, _ := os.ReadFile(pdf)
	if !bytes.HasPrefix(raw, []byte("%PDF-")) || bytes.Count(raw, []byte("/Type /Page\n"))+bytes.Count(raw, []byte("/Type /Page\r"))+
		bytes.Count(raw, []byte("/Type /Page/"))+bytes.Count(raw, []byte("/Type /Page ")) == 0 && !bytes.Contains(raw, []byte("/Type /Page")) {
		t.Errorf("not a PDF with pages: %.40q", raw)
	}
	words := strings.Join(strings.Fields(string(text)), " ")
	for _, want := range []string{"Highlight report: year-1", "funded year 1 (2025/26)",
		"engaged, against a minimum of 30", "engaged " + strconv.Itoa(json.Participants.Engaged) + " minimum 30", // the tile, the chart
		"conversion: " + strconv.Itoa(json.Conversion.Numerator) + " of " + strconv.Itoa(json.Conversion.Denominator),
		"Outcomes by destination", "further education", "healthcare support", "Placements by role area", "Found work",
		"Published case studies", strconv.Itoa(json.CaseStudies.Published) + " published in the period", "From work experience to porter"} {
		if !strings.Contains(words, want) {
			t.Errorf("the PDF's text lacks %q:\n%s", want, words)
		}
	}

	// The screenshot decodes as a PNG, and below the heading it is drawn in NHS blue where the
	// charts' bars are: a page without its charts has a few blue borders at most.
	file, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	img, err := png.Decode(file)
	if err != nil {
		t.Fatalf("the screenshot is not a PNG: %v", err)
	}
	blue := 0
	b := img.Bounds()
	for y := b.Min.Y + 150; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r>>8 < 16 && g>>8 > 80 && g>>8 < 110 && bl>>8 > 170 && bl>>8 < 200 {
				blue++
			}
		}
	}
	if blue < 20_000 {
		t.Errorf("%d NHS blue pixels below the heading: the charts were not drawn", blue)
	}
}
