package httpapi_test

import (
	"net/http"
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
)

// vacancyDoc is a vacancy as the API sends it; a nil pointer is a JSON null.
type vacancyDoc struct {
	ID                     string    `json:"id"`
	OrganisationID         string    `json:"organisation_id"`
	EmployerName           string    `json:"employer_name"`
	EmployerOrganisationID *string   `json:"employer_organisation_id"`
	Role                   string    `json:"role"`
	Band                   *string   `json:"band"`
	ClosingOn              string    `json:"closing_on"`
	Status                 string    `json:"status"`
	Deleted                bool      `json:"deleted"`
	UpdatedAt              time.Time `json:"updated_at"`
	Version                int64     `json:"version"`
}

// interviewDoc is an interview as the API sends it; a nil pointer is a JSON null.
type interviewDoc struct {
	ID             string    `json:"id"`
	OrganisationID string    `json:"organisation_id"`
	VacancyID      string    `json:"vacancy_id"`
	ParticipantID  string    `json:"participant_id"`
	EnrolmentID    *string   `json:"enrolment_id"`
	HeldOn         string    `json:"held_on"`
	Result         string    `json:"result"`
	Deleted        bool      `json:"deleted"`
	UpdatedAt      time.Time `json:"updated_at"`
	Version        int64     `json:"version"`
}

func TestVacanciesAndInterviews(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Oakhurst NHS Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	org := trust.ID.String()
	getStarted := mustCohortID(t, env, token, trust.ID, getStartedProgramme, "Get Started March 2027", "2027-03-01", "2027-03-03")
	amara := mustParticipantNamed(t, env, token, trust.ID, "Amara", "Diallo", "2005-06-06")
	jonah := mustParticipantNamed(t, env, token, trust.ID, "Jonah", "Whitlock", "2003-09-09")
	amaraEnrolment := mustEnrolThrough(t, env, token, getStarted, amara, "2027-02-15", [2]string{"enrolled", "2027-02-22"})
	jonahEnrolment := mustEnrolThrough(t, env, token, getStarted, jonah, "2027-02-15", [2]string{"enrolled", "2027-02-22"})

	const vacancies, interviews = "/v1/vacancies", "/v1/interviews"
	porter := apitest.MustPost[vacancyDoc](t, env, vacancies, token, apitest.JSON(t, "organisation_id", org, "employer_name", "Oakhurst Estates and Facilities",
		"role", "Porter", "band", "Band 2", "closing_on", "2027-03-31"))

	if porter.Status != "open" || porter.OrganisationID != org || porter.EmployerName != "Oakhurst Estates and Facilities" ||
		porter.Role != "Porter" || orNull(porter.Band) != "Band 2" || porter.ClosingOn != "2027-03-31" || porter.EmployerOrganisationID != nil ||
		porter.Deleted || porter.Version != 1 {
		t.Errorf("created: %+v", porter)
	}
	lab := apitest.MustPost[vacancyDoc](t, env, vacancies, token, apitest.JSON(t, "organisation_id", org, "employer_name", "Oakhurst Pathology",
		"role", "Laboratory support worker", "closing_on", "2027-02-15"))

	hcsw := apitest.MustPost[vacancyDoc](t, env, vacancies, token, apitest.JSON(t, "organisation_id", org, "employer_name", "Oakhurst NHS Trust",
		"employer_organisation_id", org, "role", "Healthcare support worker", "band", "Band 3", "closing_on", "2027-04-30"))

	if lab.Band != nil || orNull(hcsw.EmployerOrganisationID) != org {
		t.Errorf("created: %+v, %+v", lab, hcsw)
	}
	if got := apitest.MustGet[vacancyDoc](t, env, vacancies+"/"+porter.ID, token); !reflect.DeepEqual(got, porter) {
		t.Errorf("GET = %+v, want %+v", got, porter)
	}
	closed := apitest.MustPatch[vacancyDoc](t, env, vacancies+"/"+lab.ID, token, `{"status":"closed"}`, "If-Match", `"1"`)
	if closed.Status != "closed" || closed.Version != 2 {
		t.Errorf("closed: %+v", closed)
	}
	apitest.WantProblem(t, env.Patch(t, vacancies+"/"+lab.ID, token, `{"status":"filled"}`, "If-Match", `"1"`), http.StatusPreconditionFailed, "")
	apitest.WantProblem(t, env.Patch(t, vacancies+"/"+lab.ID, token, `{"status":"paused"}`), http.StatusBadRequest, "status")

	wantList(t, env, vacancies, token, nil, porter.ID, lab.ID, hcsw.ID)
	wantList(t, env, vacancies, token, url.Values{"status": {"open"}}, porter.ID, hcsw.ID)
	wantList(t, env, vacancies, token, url.Values{"status": {"closed"}}, lab.ID)
	wantList(t, env, vacancies, token, url.Values{"status": {"filled"}})
	wantList(t, env, vacancies, token, url.Values{"closing_after": {"2027-01-01"}}, porter.ID, lab.ID, hcsw.ID)
	wantList(t, env, vacancies, token, url.Values{"closing_after": {"2027-03-01"}}, porter.ID, hcsw.ID)
	wantList(t, env, vacancies, token, url.Values{"closing_after": {"2027-04-01"}}, hcsw.ID)
	wantList(t, env, vacancies, token, url.Values{"closing_after": {"2027-05-01"}})
	wantList(t, env, vacancies, token, url.Values{"status": {"open"}, "closing_after": {"2027-04-01"}}, hcsw.ID)
	apitest.WantProblem(t, env.Do(t, http.MethodGet, vacancies+"?closing_after=soon", token, ""), http.StatusBadRequest, "closing_after")

	// Interviews for two participants.
	interview := func(kv ...any) interviewDoc {
		t.Helper()
		return apitest.MustPost[interviewDoc](t, env, interviews, token, apitest.JSON(t, kv...))
	}
	amaraPorter := interview("vacancy_id", porter.ID, "participant_id", amara, "enrolment_id", amaraEnrolment, "held_on", "2027-03-03")
	if amaraPorter.Result != "pending" || amaraPorter.OrganisationID != org || amaraPorter.VacancyID != porter.ID ||
		amaraPorter.ParticipantID != amara || orNull(amaraPorter.EnrolmentID) != amaraEnrolment || amaraPorter.HeldOn != "2027-03-03" ||
		amaraPorter.Deleted || amaraPorter.Version != 1 {
		t.Errorf("created: %+v", amaraPorter)
	}
	jonahPorter := interview("vacancy_id", porter.ID, "participant_id", jonah, "enrolment_id", jonahEnrolment, "held_on", "2027-03-03")
	amaraHCSW := interview("vacancy_id", hcsw.ID, "participant_id", amara, "held_on", "2027-03-02")
	if amaraHCSW.EnrolmentID != nil || amaraHCSW.Result != "pending" {
		t.Errorf("created: %+v", amaraHCSW)
	}

	offered := apitest.MustPatch[interviewDoc](t, env, interviews+"/"+amaraPorter.ID, token, `{"result":"offered"}`, "If-Match", `"1"`)
	if offered.Result != "offered" || offered.Version != 2 || offered.HeldOn != "2027-03-03" {
		t.Errorf("offered: %+v", offered)
	}
	notOffered := apitest.MustPatch[interviewDoc](t, env, interviews+"/"+jonahPorter.ID, token, `{"result":"not_offered"}`)
	if notOffered.Result != "not_offered" || notOffered.Version != 2 {
		t.Errorf("not offered: %+v", notOffered)
	}
	apitest.WantProblem(t, env.Patch(t, interviews+"/"+amaraPorter.ID, token, `{"result":"withdrawn"}`, "If-Match", `"1"`), http.StatusPreconditionFailed, "")
	apitest.WantProblem(t, env.Patch(t, interviews+"/"+amaraPorter.ID, token, `{"vacancy_id":"`+hcsw.ID+`"}`), http.StatusBadRequest, "vacancy_id")
	if got := apitest.MustGet[interviewDoc](t, env, interviews+"/"+amaraPorter.ID, token); !reflect.DeepEqual(got, offered) {
		t.Errorf("GET after refused patches = %+v, want %+v", got, offered)
	}

	wantList(t, env, interviews, token, nil, amaraPorter.ID, jonahPorter.ID, amaraHCSW.ID)
	wantList(t, env, interviews, token, url.Values{"vacancy_id": {porter.ID}}, amaraPorter.ID, jonahPorter.ID)
	wantList(t, env, interviews, token, url.Values{"vacancy_id": {hcsw.ID}}, amaraHCSW.ID)
	wantList(t, env, interviews, token, url.Values{"vacancy_id": {lab.ID}})
	wantList(t, env, interviews, token, url.Values{"participant_id": {amara}}, amaraPorter.ID, amaraHCSW.ID)
	wantList(t, env, interviews, token, url.Values{"participant_id": {jonah}}, jonahPorter.ID)
	wantList(t, env, interviews, token, url.Values{"result": {"offered"}}, amaraPorter.ID)
	wantList(t, env, interviews, token, url.Values{"result": {"not_offered"}}, jonahPorter.ID)
	wantList(t, env, interviews, token, url.Values{"result": {"pending"}}, amaraHCSW.ID)
	wantList(t, env, interviews, token, url.Values{"result": {"withdrawn"}})
	wantList(t, env, interviews, token, url.Values{"vacancy_id": {porter.ID}, "result": {"offered"}}, amaraPorter.ID)
	wantList(t, env, interviews, token, url.Values{"participant_id": {jonah}, "result": {"offered"}})

	// What an interview refers to must exist, be the participant's own, and be within reach.
	post := func(body string) apitest.Response { return env.Do(t, http.MethodPost, interviews, token, body) }
	res := post(apitest.JSON(t, "vacancy_id", porter.ID, "participant_id", jonah, "enrolment_id", amaraEnrolment, "held_on", "2027-03-03"))
	apitest.WantProblem(t, res, http.StatusUnprocessableEntity, "enrolment_id")
	res = post(apitest.JSON(t, "vacancy_id", uuid.NewString(), "participant_id", jonah, "held_on", "2027-03-03"))
	apitest.WantProblem(t, res, http.StatusUnprocessableEntity, "vacancy_id")
	res = post(apitest.JSON(t, "vacancy_id", porter.ID, "participant_id", uuid.NewString(), "held_on", "2027-03-03"))
	apitest.WantProblem(t, res, http.StatusUnprocessableEntity, "participant_id")

	// A deleted vacancy: no new interviews, no changes, a tombstone in the lists.
	apitest.WantProblem(t, env.Do(t, http.MethodDelete, vacancies+"/"+lab.ID, token, "", "If-Match", `"1"`), http.StatusPreconditionFailed, "")
	env.MustDelete(t, vacancies+"/"+lab.ID, token, "If-Match", `"2"`)
	res = post(apitest.JSON(t, "vacancy_id", lab.ID, "participant_id", jonah, "held_on", "2027-03-03"))
	apitest.WantProblem(t, res, http.StatusUnprocessableEntity, "vacancy_id")
	apitest.WantProblem(t, env.Patch(t, vacancies+"/"+lab.ID, token, `{"status":"open"}`), http.StatusConflict, "")
	wantList(t, env, vacancies, token, nil, porter.ID, hcsw.ID)
	wantList(t, env, vacancies, token, url.Values{"status": {"closed"}})
	wantTombstone(t, env, vacancies, token, url.Values{"include_deleted": {"true"}}, lab.ID)
	wantList(t, env, vacancies, token, url.Values{"status": {"closed"}, "include_deleted": {"true"}}, lab.ID)
	wantTombstone(t, env, vacancies, token, updatedSince(closed.UpdatedAt), lab.ID)
	if n := env.MustQueryInt(t, `SELECT count(*) FROM interviews`); n != 3 {
		t.Errorf("%d interviews, want 3", n)
	}

	// A deleted interview.
	env.MustDelete(t, interviews+"/"+amaraHCSW.ID, token)
	wantList(t, env, interviews, token, url.Values{"participant_id": {amara}}, amaraPorter.ID)
	wantList(t, env, interviews, token, url.Values{"result": {"pending"}})
	wantTombstone(t, env, interviews, token, url.Values{"participant_id": {amara}, "include_deleted": {"true"}}, amaraHCSW.ID)
	wantTombstone(t, env, interviews, token, updatedSince(amaraHCSW.UpdatedAt), amaraHCSW.ID)
	apitest.WantProblem(t, env.Patch(t, interviews+"/"+amaraHCSW.ID, token, `{"result":"offered"}`), http.StatusConflict, "")
}
