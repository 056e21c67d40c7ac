package httpapi_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
)

// timelineDoc is a participant's timeline as the API sends it.
type timelineDoc struct {
	ParticipantID string `json:"participant_id"`
	Events        []struct {
		On           string `json:"on"`
		Kind         string `json:"kind"`
		ResourceType string `json:"resource_type"`
		ResourceID   string `json:"resource_id"`
		Summary      string `json:"summary"`
	} `json:"events"`
}

func TestTimelineOfAParticipant(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Fenbridge NHS Trust")
	other := env.Organisation(t, domain.KindTrust, "Harrowgate NHS Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	outsider := env.User(t, other.ID, domain.RoleCoordinator)
	org := trust.ID.String()

	who := mustParticipantNamed(t, env, token, trust.ID, "Oluwaseun", "Baptiste", "2007-10-10")
	cohort := mustCohortID(t, env, token, trust.ID, workExperienceProgramme, "Work experience January 2027", "2027-01-04", "2027-01-29")
	enrolment := mustEnrolThrough(t, env, token, cohort, who, "2026-12-14", [2]string{"enrolled", "2027-01-04"})

	// Recorded out of date order, and dated so that neither the order of recording nor the
	// order of the kinds of record is the order of the dates.
	type created struct {
		ID string `json:"id"`
	}
	outcome := apitest.MustPost[created](t, env, "/v1/outcomes", token, apitest.JSON(t, "participant_id", who, "enrolment_id", enrolment,
		"destination", "employment", "sector", "nhs", "ilr_code", "EMP1", "starts_on", "2027-02-15")).ID
	vacancy := apitest.MustPost[created](t, env, "/v1/vacancies", token, apitest.JSON(t, "organisation_id", org, "employer_name", "Fenbridge Estates",
		"role", "Porter", "closing_on", "2027-01-31")).ID
	interview := apitest.MustPost[created](t, env, "/v1/interviews", token, apitest.JSON(t, "vacancy_id", vacancy, "participant_id", who,
		"held_on", "2027-01-08")).ID
	mentor := mustCreateMentor(t, env, token, trust.ID, "professional", "Hugh", "Barrow")
	match := apitest.MustPost[created](t, env, "/v1/mentoring-matches", token, matchBody(t, mentor.ID, who, enrolment, "2027-01-05", "2027-04-05")).ID
	placement := apitest.MustPost[created](t, env, "/v1/placements", token, apitest.JSON(t, "enrolment_id", enrolment, "kind", "work_experience",
		"host_department", "Estates", "role_area", "estates", "starts_on", "2027-01-11", "ends_on", "2027-01-22")).ID
	mustMoveEnrolment(t, env, token, enrolment, "active", "2027-01-06")
	mustMoveEnrolment(t, env, token, enrolment, "completed", "2027-01-29")
	// Someone else's records stay off this timeline.
	bystander := mustParticipantNamed(t, env, token, trust.ID, "Bea", "Stander", "2006-06-06")
	mustEnrolThrough(t, env, token, cohort, bystander, "2026-12-01", [2]string{"enrolled", "2027-01-04"})
	apitest.MustPost[created](t, env, "/v1/interviews", token, apitest.JSON(t, "vacancy_id", vacancy, "participant_id", bystander, "held_on", "2027-01-20"))

	path := "/v1/participants/" + who + "/timeline"
	res := env.Do(t, http.MethodGet, path, token, "")
	if res.Status != http.StatusOK {
		t.Fatalf("timeline: %d %s", res.Status, res.Body)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
	var tl timelineDoc
	res.Decode(t, &tl)
	if tl.ParticipantID != who {
		t.Errorf("participant_id %s, want %s", tl.ParticipantID, who)
	}
	want := []struct{ on, kind, resourceType, id string }{
		{"2026-12-14", "enrolment.referred", "enrolment", enrolment},
		{"2027-01-04", "enrolment.enrolled", "enrolment", enrolment},
		{"2027-01-05", "mentoring_match", "mentoring_match", match},
		{"2027-01-06", "enrolment.active", "enrolment", enrolment},
		{"2027-01-08", "interview", "interview", interview},
		{"2027-01-11", "placement", "placement", placement},
		{"2027-01-29", "enrolment.completed", "enrolment", enrolment},
		{"2027-02-15", "outcome", "outcome", outcome},
	}
	if len(tl.Events) != len(want) {
		t.Fatalf("%d events, want %d: %s", len(tl.Events), len(want), res.Body)
	}
	for i, e := range tl.Events {
		w := want[i]
		if e.On != w.on || e.Kind != w.kind || e.ResourceType != w.resourceType || e.ResourceID != w.id {
			t.Errorf("event %d = %s %s %s %s, want %s %s %s %s", i, e.On, e.Kind, e.ResourceType, e.ResourceID, w.on, w.kind, w.resourceType, w.id)
		}
		if e.Summary == "" {
			t.Errorf("event %d has no summary", i)
		}
		if i > 0 && e.On < tl.Events[i-1].On {
			t.Errorf("event %d on %s comes after one on %s", i, e.On, tl.Events[i-1].On)
		}
	}

	// A deleted record leaves the timeline.
	env.MustDelete(t, "/v1/interviews/"+interview, token)
	var after timelineDoc
	res = env.Do(t, http.MethodGet, path, token, "")
	res.Decode(t, &after)
	for _, e := range after.Events {
		if e.ResourceID == interview {
			t.Errorf("the deleted interview is still on the timeline: %+v", e)
		}
	}
	if len(after.Events) != len(want)-1 {
		t.Errorf("%d events after deleting the interview, want %d", len(after.Events), len(want)-1)
	}

	// An unknown participant and another trust's look the same: not found.
	missing := env.Do(t, http.MethodGet, "/v1/participants/"+uuid.NewString()+"/timeline", token, "")
	foreign := env.Do(t, http.MethodGet, path, outsider, "")
	mp, fp := apitest.WantProblem(t, missing, http.StatusNotFound, ""), apitest.WantProblem(t, foreign, http.StatusNotFound, "")
	if mp.Type != fp.Type || mp.Title != fp.Title || mp.Detail != fp.Detail {
		t.Errorf("another trust's participant answers %s, a missing one %s", foreign.Body, missing.Body)
	}
	if cc := foreign.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("404: Cache-Control %q", cc)
	}
}

// A collaboration records a vacancy of its own and an interview for it of a member trust's
// participant; the trust sees its participant, the interview, and so the timeline.
func TestTimelineWithAnInterviewForACollaborationsVacancy(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	collab := env.Organisation(t, domain.KindCollaboration, "Mersey Valley Collaboration")
	member := env.Organisation(t, domain.KindTrust, "Mersey Valley Acute NHS Trust")
	if err := env.Services.Organisations.AddMember(apitest.System(), collab.ID, member.ID); err != nil {
		t.Fatal(err)
	}
	collabToken := env.User(t, collab.ID, domain.RoleCoordinator)
	memberToken := env.User(t, member.ID, domain.RoleCoordinator)
	who := mustParticipantNamed(t, env, memberToken, member.ID, "Priyanka", "Lowe", "2004-04-14")
	type created struct {
		ID string `json:"id"`
	}
	vacancy := apitest.MustPost[created](t, env, "/v1/vacancies", collabToken, apitest.JSON(t, "organisation_id", collab.ID.String(),
		"employer_name", "Mersey Valley Collaboration bank", "role", "Ward clerk", "closing_on", "2027-03-31")).ID
	interview := apitest.MustPost[interviewDoc](t, env, "/v1/interviews", collabToken, apitest.JSON(t, "vacancy_id", vacancy, "participant_id", who,
		"held_on", "2027-03-02"))

	if interview.OrganisationID != member.ID.String() {
		t.Errorf("interview organisation_id %s, want the participant's %s", interview.OrganisationID, member.ID)
	}
	// The member trust sees the interview of its participant...
	wantList(t, env, "/v1/interviews", memberToken, url.Values{"participant_id": {who}}, interview.ID)
	// ...and so its participant's timeline must answer.
	res := env.Do(t, http.MethodGet, "/v1/participants/"+who+"/timeline", memberToken, "")
	if res.Status != http.StatusOK {
		t.Fatalf("regression: the member trust's timeline of its own participant answers %d (%s): service.Timeline.Of "+
			"(internal/service/timeline.go) fails the whole timeline when the interview's vacancy belongs to an organisation "+
			"the caller cannot see", res.Status, res.Body)
	}
	var tl timelineDoc
	res.Decode(t, &tl)
	if len(tl.Events) != 1 || tl.Events[0].ResourceID != interview.ID {
		t.Errorf("timeline %s, want the interview", res.Body)
	}
}
