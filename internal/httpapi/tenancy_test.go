package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
)

// TestEveryRouteKeepsTrustsApart tries every route the server registers as an admin of another
// trust, against trust A's records. It fails when a route has no case, so that no new route can
// skip it.
func TestEveryRouteKeepsTrustsApart(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	a := env.Organisation(t, domain.KindTrust, "Trust A")
	b := env.Organisation(t, domain.KindTrust, "Trust B")
	aCoordinator := env.User(t, a.ID, domain.RoleCoordinator)
	aAdmin := env.User(t, a.ID, domain.RoleOrgAdmin)
	attacker := env.User(t, b.ID, domain.RoleOrgAdmin) // the most powerful role a trust has

	res := env.Do(t, http.MethodPost, "/v1/participants", aCoordinator,
		`{"organisation_id":"`+a.ID.String()+`","external_ref":"A-1","given_name":"Secret","family_name":"Person","date_of_birth":"2000-01-01"}`)
	if res.Status != http.StatusCreated {
		t.Fatalf("create participant: %d %s", res.Status, res.Body)
	}
	var participant struct{ ID string }
	res.Decode(t, &participant)
	var aUser struct{ Data []struct{ ID string } }
	env.Do(t, http.MethodGet, "/v1/users?organisation_id="+a.ID.String(), aAdmin, "").Decode(t, &aUser)
	res = env.Do(t, http.MethodPost, "/v1/api-clients", aAdmin, `{"name":"A HR","organisation_id":"`+a.ID.String()+`","scopes":["participants:read"]}`)
	var client struct{ ID string }
	res.Decode(t, &client)
	res = env.Do(t, http.MethodPost, "/v1/cohorts", aCoordinator, `{"programme_id":"01900000-0000-7000-8000-000000000106",
		"organisation_id":"`+a.ID.String()+`","name":"A work experience","starts_on":"2027-01-04","ends_on":"2027-01-08","capacity":5}`)
	if res.Status != http.StatusCreated {
		t.Fatalf("create cohort: %d %s", res.Status, res.Body)
	}
	var cohort struct{ ID string }
	res.Decode(t, &cohort)
	res = env.Do(t, http.MethodPost, "/v1/enrolments", aCoordinator, `{"cohort_id":"`+cohort.ID+`","participant_id":"`+participant.ID+`"}`)
	if res.Status != http.StatusCreated {
		t.Fatalf("create enrolment: %d %s", res.Status, res.Body)
	}
	var enrolment struct{ ID string }
	res.Decode(t, &enrolment)
	res = env.Do(t, http.MethodPost, "/v1/enrolments/"+enrolment.ID+"/transitions", aCoordinator, `{"to":"enrolled"}`)
	if res.Status != http.StatusOK {
		t.Fatalf("enrol: %d %s", res.Status, res.Body)
	}
	res = env.Do(t, http.MethodPost, "/v1/placements", aCoordinator, `{"enrolment_id":"`+enrolment.ID+`","kind":"work_experience",
		"host_department":"Estates","role_area":"estates","starts_on":"2027-01-04","ends_on":"2027-01-08"}`)
	if res.Status != http.StatusCreated {
		t.Fatalf("create placement: %d %s", res.Status, res.Body)
	}
	var placement struct{ ID string }
	res.Decode(t, &placement)
	res = env.Do(t, http.MethodPost, "/v1/outcomes", aCoordinator, `{"participant_id":"`+participant.ID+`","destination":"volunteering","ilr_code":"VOL1"}`)
	if res.Status != http.StatusCreated {
		t.Fatalf("create outcome: %d %s", res.Status, res.Body)
	}
	var outcome struct{ ID string }
	res.Decode(t, &outcome)
	mentorID := apitest.CreatedID(t, env.Do(t, http.MethodPost, "/v1/mentors", aCoordinator,
		`{"organisation_id":"`+a.ID.String()+`","kind":"professional","given_name":"Mo","family_name":"Mentor"}`))
	matchID := apitest.CreatedID(t, env.Do(t, http.MethodPost, "/v1/mentoring-matches", aCoordinator,
		`{"mentor_id":"`+mentorID+`","participant_id":"`+participant.ID+`","starts_on":"2027-01-04","planned_end_on":"2027-05-04"}`))
	webhookID := apitest.CreatedID(t, env.Do(t, http.MethodPost, "/v1/webhook-subscriptions", aAdmin,
		`{"url":"https://93.184.216.34/hook","event_types":["*"]}`))
	var ping struct{ ID string }
	env.Do(t, http.MethodPost, "/v1/webhook-subscriptions/"+webhookID+"/ping", aAdmin, "").Decode(t, &ping)
	deliveryID := ping.ID
	apitest.CreatedID(t, env.Do(t, http.MethodPost, "/v1/mentoring-matches/"+matchID+"/check-ins", aCoordinator,
		`{"held_on":"2027-01-11","minutes":30,"mode":"video"}`))
	vacancyID := apitest.CreatedID(t, env.Do(t, http.MethodPost, "/v1/vacancies", aCoordinator,
		`{"organisation_id":"`+a.ID.String()+`","employer_name":"Trust A Estates","role":"Porter","closing_on":"2027-02-01"}`))
	interviewID := apitest.CreatedID(t, env.Do(t, http.MethodPost, "/v1/interviews", aCoordinator,
		`{"vacancy_id":"`+vacancyID+`","participant_id":"`+participant.ID+`","held_on":"2027-01-20"}`))
	_, natAdmin := env.NationalAdmin(t)
	awardID := mustAward(t, env, natAdmin, a.ID.String(), workExperienceProgramme)
	caseStudyID := env.MustCreate(t, "/v1/case-studies", aCoordinator, caseStudyBody(t, a.ID.String()))
	if participant.ID == "" || len(aUser.Data) == 0 || client.ID == "" || cohort.ID == "" || enrolment.ID == "" {
		t.Fatal("setting up trust A's records failed")
	}
	importRes := env.Do(t, http.MethodPost, "/v1/imports?kind=participants&dry_run=true", aCoordinator,
		"organisation_id,given_name,family_name,date_of_birth\n", "Content-Type", "text/csv")
	var imp struct{ ID string }
	importRes.Decode(t, &imp)
	if imp.ID == "" {
		t.Fatalf("trust A's import: %d %s", importRes.Status, importRes.Body)
	}
	aID, pID, uID, cID := a.ID.String(), participant.ID, aUser.Data[0].ID, client.ID
	coID, eID, plID, oID := cohort.ID, enrolment.ID, placement.ID, outcome.ID

	// hidden: the record must look missing (404) or the act refused (403): never data, never a write.
	hidden := func(statuses ...int) func(t *testing.T, r apitest.Response) {
		return func(t *testing.T, r apitest.Response) {
			for _, s := range statuses {
				if r.Status == s {
					return
				}
			}
			t.Errorf("status %d, want one of %v: %s", r.Status, statuses, r.Body)
		}
	}
	// listNoForeign: a list answers, but without any of trust A's ids.
	listNoForeign := func(t *testing.T, r apitest.Response) {
		if r.Status != http.StatusOK {
			t.Errorf("status %d: %s", r.Status, r.Body)
		}
		for _, id := range []string{aID, pID, uID, cID, coID, eID, plID, oID, mentorID, matchID, vacancyID, interviewID, awardID, caseStudyID, webhookID, deliveryID} {
			if strings.Contains(string(r.Body), id) {
				t.Errorf("the list shows trust A's record %s: %s", id, r.Body)
			}
		}
	}
	// noRows: a report answers, echoing its filters, with no row at all.
	noRows := func(t *testing.T, r apitest.Response) {
		var report struct {
			Rows []json.RawMessage `json:"rows"`
		}
		if r.Status != http.StatusOK || json.Unmarshal(r.Body, &report) != nil || len(report.Rows) != 0 {
			t.Errorf("status %d, want 200 and no row: %s", r.Status, r.Body)
		}
	}
	// noSpend: an ROI report answers with no award counted.
	noSpend := func(t *testing.T, r apitest.Response) {
		var report struct {
			FundedYears int `json:"funded_years"`
		}
		if r.Status != http.StatusOK || json.Unmarshal(r.Body, &report) != nil || report.FundedYears != 0 {
			t.Errorf("status %d, want 200 and no award counted: %s", r.Status, r.Body)
		}
	}
	// noActivity: an activity report answers counting nothing.
	noActivity := func(t *testing.T, r apitest.Response) {
		var report struct {
			Total map[string]int `json:"total"`
		}
		if r.Status != http.StatusOK || json.Unmarshal(r.Body, &report) != nil || len(report.Total) != 3 {
			t.Errorf("status %d, want 200 and a total: %s", r.Status, r.Body)
		}
		for k, n := range report.Total {
			if n != 0 {
				t.Errorf("another trust counts %d %s", n, k)
			}
		}
	}
	type attack struct {
		path, body string
		check      func(t *testing.T, r apitest.Response)
	}
	patch := []string{"Content-Type", "application/merge-patch+json"}
	cases := map[string][]attack{
		"GET /v1/organisations":                                        {{"/v1/organisations", "", listNoForeign}, {"/v1/organisations?ods_code=RA1", "", listNoForeign}},
		"POST /v1/organisations":                                       {{"/v1/organisations", `{"kind":"trust","name":"X","region":"london"}`, hidden(403)}},
		"GET /v1/organisations/:organisation_id":                       {{"/v1/organisations/" + aID, "", hidden(404)}},
		"PATCH /v1/organisations/:organisation_id":                     {{"/v1/organisations/" + aID, `{"name":"Hijacked"}`, hidden(404)}},
		"GET /v1/organisations/:organisation_id/members":               {{"/v1/organisations/" + aID + "/members", "", hidden(404)}},
		"PUT /v1/organisations/:organisation_id/members/:member_id":    {{"/v1/organisations/" + b.ID.String() + "/members/" + aID, "", hidden(403)}},
		"DELETE /v1/organisations/:organisation_id/members/:member_id": {{"/v1/organisations/" + b.ID.String() + "/members/" + aID, "", hidden(403)}},
		"GET /v1/participants": {{"/v1/participants", "", listNoForeign}, {"/v1/participants?organisation_id=" + aID, "", listNoForeign},
			{"/v1/participants?external_ref=A-1", "", listNoForeign}, {"/v1/participants?q=secret", "", listNoForeign}},
		"POST /v1/participants":                   {{"/v1/participants", `{"organisation_id":"` + aID + `","given_name":"X","family_name":"Y","date_of_birth":"2000-01-01"}`, hidden(422)}},
		"GET /v1/participants/:participant_id":    {{"/v1/participants/" + pID, "", hidden(404)}},
		"PATCH /v1/participants/:participant_id":  {{"/v1/participants/" + pID, `{"given_name":"Hijacked"}`, hidden(404)}},
		"DELETE /v1/participants/:participant_id": {{"/v1/participants/" + pID, "", hidden(404)}},
		"GET /v1/users":                           {{"/v1/users", "", listNoForeign}, {"/v1/users?organisation_id=" + aID, "", listNoForeign}},
		"POST /v1/users":                          {{"/v1/users", `{"email":"x@example.org","password":"long enough password","role":"viewer","organisation_id":"` + aID + `"}`, hidden(422)}},
		"GET /v1/users/:user_id":                  {{"/v1/users/" + uID, "", hidden(404)}},
		"PATCH /v1/users/:user_id":                {{"/v1/users/" + uID, `{"enabled":false}`, hidden(404)}},
		"GET /v1/api-clients":                     {{"/v1/api-clients", "", listNoForeign}, {"/v1/api-clients?organisation_id=" + aID, "", listNoForeign}},
		"POST /v1/api-clients":                    {{"/v1/api-clients", `{"name":"X","organisation_id":"` + aID + `","scopes":["participants:read"]}`, hidden(422)}},
		"GET /v1/api-clients/:api_client_id":      {{"/v1/api-clients/" + cID, "", hidden(404)}},
		"DELETE /v1/api-clients/:api_client_id":   {{"/v1/api-clients/" + cID, "", hidden(404)}},

		"GET /v1/webhook-subscriptions": {{"/v1/webhook-subscriptions", "", listNoForeign},
			{"/v1/webhook-subscriptions?include_deleted=true&organisation_id=" + aID, "", listNoForeign}},
		"POST /v1/webhook-subscriptions":                                        {{"/v1/webhook-subscriptions", `{"organisation_id":"` + aID + `","url":"https://93.184.216.34/x","event_types":["*"]}`, hidden(422)}},
		"GET /v1/webhook-subscriptions/:webhook_subscription_id":                {{"/v1/webhook-subscriptions/" + webhookID, "", hidden(404)}},
		"PATCH /v1/webhook-subscriptions/:webhook_subscription_id":              {{"/v1/webhook-subscriptions/" + webhookID, `{"url":"https://93.184.216.35/stolen"}`, hidden(404)}},
		"DELETE /v1/webhook-subscriptions/:webhook_subscription_id":             {{"/v1/webhook-subscriptions/" + webhookID, "", hidden(404)}},
		"POST /v1/webhook-subscriptions/:webhook_subscription_id/rotate-secret": {{"/v1/webhook-subscriptions/" + webhookID + "/rotate-secret", "", hidden(404)}},
		"POST /v1/webhook-subscriptions/:webhook_subscription_id/ping":          {{"/v1/webhook-subscriptions/" + webhookID + "/ping", "", hidden(404)}},
		"GET /v1/webhook-subscriptions/:webhook_subscription_id/deliveries":     {{"/v1/webhook-subscriptions/" + webhookID + "/deliveries", "", hidden(404)}},
		"POST /v1/webhook-subscriptions/:webhook_subscription_id/deliveries/:delivery_id/redeliver": {
			{"/v1/webhook-subscriptions/" + webhookID + "/deliveries/" + deliveryID + "/redeliver", "", hidden(404)}},

		"GET /v1/audit-events": {{"/v1/audit-events", "", listNoForeign}, {"/v1/audit-events?organisation_id=" + aID, "", listNoForeign}},
		"GET /v1/changes":      {{"/v1/changes?limit=500", "", listNoForeign}, {"/v1/changes?types=participant.created,enrolment.updated", "", listNoForeign}},
		"GET /v1/cohorts":      {{"/v1/cohorts", "", listNoForeign}, {"/v1/cohorts?organisation_id=" + aID, "", listNoForeign}},
		"POST /v1/cohorts": {{"/v1/cohorts", `{"programme_id":"01900000-0000-7000-8000-000000000106","organisation_id":"` + aID +
			`","name":"X","starts_on":"2027-01-04","ends_on":"2027-01-08","capacity":5}`, hidden(422)}},
		"GET /v1/cohorts/:cohort_id":                    {{"/v1/cohorts/" + coID, "", hidden(404)}},
		"PATCH /v1/cohorts/:cohort_id":                  {{"/v1/cohorts/" + coID, `{"capacity":1}`, hidden(404)}},
		"GET /v1/enrolments":                            {{"/v1/enrolments", "", listNoForeign}, {"/v1/enrolments?participant_id=" + pID, "", listNoForeign}},
		"POST /v1/enrolments":                           {{"/v1/enrolments", `{"cohort_id":"` + coID + `","participant_id":"` + pID + `"}`, hidden(422)}},
		"GET /v1/enrolments/:enrolment_id":              {{"/v1/enrolments/" + eID, "", hidden(404)}},
		"POST /v1/enrolments/:enrolment_id/transitions": {{"/v1/enrolments/" + eID + "/transitions", `{"to":"withdrawn","reason":"x"}`, hidden(404)}},
		"GET /v1/placements":                            {{"/v1/placements", "", listNoForeign}, {"/v1/placements?include_deleted=true&enrolment_id=" + eID, "", listNoForeign}},
		"POST /v1/placements": {{"/v1/placements", `{"enrolment_id":"` + eID + `","kind":"placement","host_department":"X","role_area":"estates",` +
			`"starts_on":"2027-01-04","ends_on":"2027-01-05"}`, hidden(422)}},
		"GET /v1/placements/:placement_id":                  {{"/v1/placements/" + plID, "", hidden(404)}},
		"PATCH /v1/placements/:placement_id":                {{"/v1/placements/" + plID, `{"host_department":"Hijacked"}`, hidden(404)}},
		"DELETE /v1/placements/:placement_id":               {{"/v1/placements/" + plID, "", hidden(404)}},
		"GET /v1/outcomes":                                  {{"/v1/outcomes", "", listNoForeign}, {"/v1/outcomes?participant_id=" + pID, "", listNoForeign}},
		"POST /v1/outcomes":                                 {{"/v1/outcomes", `{"participant_id":"` + pID + `","destination":"none","ilr_code":"NPE1"}`, hidden(422)}},
		"GET /v1/outcomes/:outcome_id":                      {{"/v1/outcomes/" + oID, "", hidden(404)}},
		"PATCH /v1/outcomes/:outcome_id":                    {{"/v1/outcomes/" + oID, `{"destination":"unknown","ilr_code":"NTK1"}`, hidden(404)}},
		"DELETE /v1/outcomes/:outcome_id":                   {{"/v1/outcomes/" + oID, "", hidden(404)}},
		"GET /v1/mentors":                                   {{"/v1/mentors", "", listNoForeign}, {"/v1/mentors?include_deleted=true&organisation_id=" + aID, "", listNoForeign}},
		"POST /v1/mentors":                                  {{"/v1/mentors", `{"organisation_id":"` + aID + `","kind":"peer","given_name":"X","family_name":"Y"}`, hidden(422)}},
		"GET /v1/mentors/:mentor_id":                        {{"/v1/mentors/" + mentorID, "", hidden(404)}},
		"PATCH /v1/mentors/:mentor_id":                      {{"/v1/mentors/" + mentorID, `{"active":false}`, hidden(404)}},
		"DELETE /v1/mentors/:mentor_id":                     {{"/v1/mentors/" + mentorID, "", hidden(404)}},
		"POST /v1/participants/:participant_id/peer-mentor": {{"/v1/participants/" + pID + "/peer-mentor", `{}`, hidden(404)}},
		"GET /v1/participants/:participant_id/timeline":     {{"/v1/participants/" + pID + "/timeline", "", hidden(404)}},
		"GET /v1/mentoring-matches":                         {{"/v1/mentoring-matches", "", listNoForeign}, {"/v1/mentoring-matches?participant_id=" + pID, "", listNoForeign}},
		"POST /v1/mentoring-matches": {{"/v1/mentoring-matches", `{"mentor_id":"` + mentorID + `","participant_id":"` + pID +
			`","starts_on":"2027-01-04","planned_end_on":"2027-02-04"}`, hidden(422)}},
		"GET /v1/mentoring-matches/:match_id":            {{"/v1/mentoring-matches/" + matchID, "", hidden(404)}},
		"PATCH /v1/mentoring-matches/:match_id":          {{"/v1/mentoring-matches/" + matchID, `{"status":"completed"}`, hidden(404)}},
		"DELETE /v1/mentoring-matches/:match_id":         {{"/v1/mentoring-matches/" + matchID, "", hidden(404)}},
		"GET /v1/mentoring-matches/:match_id/check-ins":  {{"/v1/mentoring-matches/" + matchID + "/check-ins", "", hidden(404)}},
		"POST /v1/mentoring-matches/:match_id/check-ins": {{"/v1/mentoring-matches/" + matchID + "/check-ins", `{"held_on":"2027-01-12","minutes":5,"mode":"phone"}`, hidden(404)}},
		"GET /v1/vacancies":                              {{"/v1/vacancies", "", listNoForeign}, {"/v1/vacancies?include_deleted=true", "", listNoForeign}},
		"POST /v1/vacancies":                             {{"/v1/vacancies", `{"organisation_id":"` + aID + `","employer_name":"X","role":"Y","closing_on":"2027-02-01"}`, hidden(422)}},
		"GET /v1/vacancies/:vacancy_id":                  {{"/v1/vacancies/" + vacancyID, "", hidden(404)}},
		"PATCH /v1/vacancies/:vacancy_id":                {{"/v1/vacancies/" + vacancyID, `{"status":"closed"}`, hidden(404)}},
		"DELETE /v1/vacancies/:vacancy_id":               {{"/v1/vacancies/" + vacancyID, "", hidden(404)}},
		"GET /v1/interviews":                             {{"/v1/interviews", "", listNoForeign}, {"/v1/interviews?vacancy_id=" + vacancyID, "", listNoForeign}},
		"POST /v1/interviews":                            {{"/v1/interviews", `{"vacancy_id":"` + vacancyID + `","participant_id":"` + pID + `","held_on":"2027-01-21"}`, hidden(422)}},
		"GET /v1/interviews/:interview_id":               {{"/v1/interviews/" + interviewID, "", hidden(404)}},
		"PATCH /v1/interviews/:interview_id":             {{"/v1/interviews/" + interviewID, `{"result":"offered"}`, hidden(404)}},
		"DELETE /v1/interviews/:interview_id":            {{"/v1/interviews/" + interviewID, "", hidden(404)}},
		"GET /v1/imports/:import_id":                     {{"/v1/imports/" + imp.ID, "", hidden(404)}},
		"GET /v1/imports/:import_id/errors":              {{"/v1/imports/" + imp.ID + "/errors", "", hidden(404)}},
		// An import is a job of the submitter's own organisation, whatever its file names (a row
		// naming trust A's organisation is refused by the job: imports_test.go).
		"POST /v1/imports": {{"/v1/imports?kind=participants&dry_run=true", "organisation_id,given_name,family_name,date_of_birth\n" + aID + ",X,Y,2000-01-01\n",
			func(t *testing.T, r apitest.Response) {
				var job struct {
					OrganisationID string `json:"organisation_id"`
				}
				r.Decode(t, &job)
				if r.Status != http.StatusAccepted || job.OrganisationID == aID {
					t.Errorf("status %d, job of organisation %s: %s", r.Status, job.OrganisationID, r.Body)
				}
			}}},
		"GET /v1/funding-awards": {{"/v1/funding-awards", "", listNoForeign}, {"/v1/funding-awards?include_deleted=true&organisation_id=" + aID, "", listNoForeign},
			{"/v1/funding-awards?serving_organisation_id=" + aID, "", listNoForeign}},
		"POST /v1/funding-awards":                                            {{"/v1/funding-awards", awardBody(t, aID, workExperienceProgramme, newTenderRound()), hidden(403)}},
		"GET /v1/funding-awards/:funding_award_id":                           {{"/v1/funding-awards/" + awardID, "", hidden(404)}},
		"GET /v1/funding-awards/:funding_award_id/highlight-reports/:period": {{"/v1/funding-awards/" + awardID + "/highlight-reports/year-1", "", hidden(404)}},
		"GET /v1/reports/outcomes": {{"/v1/reports/outcomes?group_by=organisation,cohort,award&organisation_id=" + aID, "", noRows},
			{"/v1/reports/outcomes?group_by=programme,organisation,region,cohort,award,quarter", "", listNoForeign}},
		"GET /v1/reports/roi":                         {{"/v1/reports/roi?organisation_id=" + aID, "", noSpend}, {"/v1/reports/roi", "", noSpend}},
		"GET /v1/reports/activity":                    {{"/v1/reports/activity?year=" + newTenderRound(), "", noActivity}},
		"PATCH /v1/funding-awards/:funding_award_id":  {{"/v1/funding-awards/" + awardID, `{"tender_round":"2030/31"}`, hidden(403)}},
		"DELETE /v1/funding-awards/:funding_award_id": {{"/v1/funding-awards/" + awardID, "", hidden(403)}},
		"GET /v1/case-studies": {{"/v1/case-studies", "", listNoForeign}, {"/v1/case-studies?include_deleted=true&organisation_id=" + aID, "", listNoForeign},
			{"/v1/case-studies?participant_id=" + pID, "", listNoForeign}},
		"POST /v1/case-studies":                        {{"/v1/case-studies", caseStudyBody(t, aID), hidden(422)}},
		"GET /v1/case-studies/:case_study_id":          {{"/v1/case-studies/" + caseStudyID, "", hidden(404)}},
		"PATCH /v1/case-studies/:case_study_id":        {{"/v1/case-studies/" + caseStudyID, `{"title":"Hijacked"}`, hidden(404)}},
		"POST /v1/case-studies/:case_study_id/publish": {{"/v1/case-studies/" + caseStudyID + "/publish", "", hidden(404)}},
		"DELETE /v1/case-studies/:case_study_id":       {{"/v1/case-studies/" + caseStudyID, "", hidden(404)}},
	}
	// Routes that hold no organisation's records, and why.
	shared := map[string]string{
		"GET /healthz": "process health", "GET /readyz": "database health", "GET /metrics": "counters, no records",
		"GET /openapi.yaml": "the contract", "GET /docs": "the reference", "GET /docs/assets/:name": "the reference's scripts and styles", "GET /.well-known/jwks.json": "public keys",
		"POST /v1/auth/token": "sign-in: a principal's own credentials", "POST /v1/auth/revoke": "revokes only the token presented",
		"GET /v1/programmes": "the national catalogue", "GET /v1/programmes/:programme_id": "the national catalogue",
		"POST /v1/programmes": "national only (catalogue:write)", "PATCH /v1/programmes/:programme_id": "national only (catalogue:write)",
		"GET /v1/guidance": "the national directory", "GET /v1/guidance/:guidance_id": "the national directory",
		"POST /v1/guidance": "national only (catalogue:write)", "PATCH /v1/guidance/:guidance_id": "national only (catalogue:write)",
		"DELETE /v1/guidance/:guidance_id":        "national only (catalogue:write)",
		"GET /public/case-studies":                "published case studies, for anyone (directory_test.go: never a draft)",
		"GET /public/case-studies/:case_study_id": "published case studies, for anyone (directory_test.go: never a draft)",
		"GET /directory/case-studies":             "published case studies, for anyone (directory_test.go: never a draft)",
		"GET /public/guidance":                    "the national directory, for anyone", "GET /public/guidance/:guidance_id": "the national directory, for anyone",
		"GET /directory/guidance": "the national directory, for anyone",
	}
	for _, r := range env.Routes {
		if strings.HasPrefix(r.Path, "/openreferral/v3") {
			// Public: read as the role that sees only open cohorts, whatever token comes with the
			// request (internal/openreferral's tests).
			shared[r.Method+" "+r.Path] = "the public opportunities"
		}
	}
	for _, r := range env.Routes {
		key := r.Method + " " + r.Path
		if _, ok := shared[key]; ok {
			continue
		}
		attacks, ok := cases[key]
		if !ok {
			t.Errorf("route %s has no tenancy case: add one to this test", key)
			continue
		}
		for _, at := range attacks {
			t.Run(key+" "+at.path, func(t *testing.T) {
				var headers []string
				if r.Method == http.MethodPatch {
					headers = patch
				}
				if r.Path == "/v1/imports" {
					headers = []string{"Content-Type", "text/csv"}
				}
				at.check(t, env.Do(t, r.Method, at.path, attacker, at.body, headers...))
			})
		}
	}

	// Nothing of trust A changed.
	var p struct {
		GivenName string `json:"given_name"`
		Version   int64
	}
	env.Do(t, http.MethodGet, "/v1/participants/"+pID, aCoordinator, "").Decode(t, &p)
	var o struct{ Name string }
	env.Do(t, http.MethodGet, "/v1/organisations/"+aID, aCoordinator, "").Decode(t, &o)
	var c struct {
		RevokedAt *string `json:"revoked_at"`
	}
	env.Do(t, http.MethodGet, "/v1/api-clients/"+cID, aAdmin, "").Decode(t, &c)
	var u struct{ Enabled bool }
	env.Do(t, http.MethodGet, "/v1/users/"+uID, aAdmin, "").Decode(t, &u)
	if p.GivenName != "Secret" || p.Version != 1 || o.Name != "Trust A" || c.RevokedAt != nil || !u.Enabled {
		t.Errorf("trust A's records changed: participant %+v, organisation %+v, client %+v, user %+v", p, o, c, u)
	}
	var count int
	if err := env.DB.SQL().QueryRow(`SELECT count(*) FROM participants`).Scan(&count); err != nil || count != 1 {
		t.Errorf("participants: %d (err %v), want only trust A's one", count, err)
	}

}
