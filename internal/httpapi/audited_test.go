package httpapi_test

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/internal/pgtest"
)

// The test of "every write audited": each write operation of openapi.yaml (POST, PUT, PATCH,
// DELETE) is driven through the API, and the database must then hold the audit event of that
// request, naming the caller, the record written and the organisation it belongs to; a refused
// attempt of the same operation must leave no event at all.

// writeRequest is one HTTP request of a case.
type writeRequest struct {
	method, path, token, body string
	headers                   []string // name, value pairs; a PATCH is sent as a merge patch unless they say otherwise
}

// auditedWrite is one successful write of an operation, and a refused attempt of the same operation.
type auditedWrite struct {
	name string // the variant's name, when an operation has several (the grants of issueToken)

	do     writeRequest // must succeed with status, and be audited
	status int
	// actor is the subject the event must name: the caller's ("user:<id>" or "client:<id>"),
	// or, at the token endpoint, the one signing in.
	actor string
	// resource is the id of the record written; "" for the record the answer creates (the id
	// of its body, which a Location naming a record must name too).
	resource string
	// org is the organisation the record belongs to, which the event must name; noOrganisation
	// for a record of no organisation, itself for an organisation created.
	org string

	refused       writeRequest // the same operation, refused with refusedStatus: it must leave no event
	refusedStatus int

	quiet []quietWrite // successful calls that by design write nothing, and so record nothing
}

// quietWrite is a call that succeeds but, by design, writes nothing and so records no event.
type quietWrite struct {
	why    string
	do     writeRequest
	status int
}

// noOrganisation says the record written belongs to no organisation: the event's
// organisation_id must be NULL. itself says the record written is an organisation, which the
// event must name as its organisation, so that its own admins can read it.
const (
	noOrganisation = "<none>"
	itself         = "<itself>"
)

// auditedCases has a case for each write operation of openapi.yaml, by operationId. The test fails
// when the contract has a write operation with no case here, so that no new write can skip its
// audit event, and when a case names an operation the contract lacks. A setup makes fresh
// records, so that no case sees another's.
var auditedCases = map[string]func(t *testing.T, w writesWorld) []auditedWrite{
	// --- sign-in, tokens -----------------------------------------------------------------------
	"issueToken":  issueTokenWrites,
	"revokeToken": revokeTokenWrites,

	// --- users and API clients -----------------------------------------------------------------
	"createUser": func(t *testing.T, w writesWorld) []auditedWrite {
		_, taken := w.env.MustCreateUser(t, w.a.ID, domain.RoleViewer)
		body := func(email string) string { return userBody(t, email, principalsPassword, domain.RoleViewer, w.a.ID) }
		return []auditedWrite{w.create(t, w.aAdmin, "/v1/users", body(newEmail("aw")), w.a.ID.String(),
			body(taken), http.StatusConflict)} // the email is taken
	},
	"updateUser": func(t *testing.T, w writesWorld) []auditedWrite {
		id, _ := w.env.MustCreateUser(t, w.a.ID, domain.RoleViewer)
		return []auditedWrite{w.patch(t, w.aAdmin, "/v1/users/"+id.String(), `{"role":"coordinator"}`, id.String(), w.a.ID.String())}
	},
	"createApiClient": func(t *testing.T, w writesWorld) []auditedWrite {
		body := func(org uuid.UUID) string {
			return `{"name":"AW HR ` + apitest.Unique() + `","organisation_id":"` + org.String() + `","scopes":["participants:read"]}`
		}
		return []auditedWrite{w.create(t, w.aAdmin, "/v1/api-clients", body(w.a.ID), w.a.ID.String(),
			body(w.b.ID), http.StatusUnprocessableEntity)} // an org_admin registers clients of its own organisation only
	},
	"revokeApiClient": func(t *testing.T, w writesWorld) []auditedWrite {
		c := registerClient(t, w.env, w.aAdmin, w.a.ID, "participants:read")
		path := "/v1/api-clients/" + c.ID
		return []auditedWrite{{
			do: deleteRequest(w.aAdmin, path), status: http.StatusNoContent, actor: w.subject(t, w.aAdmin), resource: c.ID, org: w.a.ID.String(),
			refused: deleteRequest(w.bAdmin, path), refusedStatus: http.StatusNotFound, // out of trust B's reach
			quiet: []quietWrite{{why: "revoking a revoked client changes nothing", do: deleteRequest(w.aAdmin, path), status: http.StatusNoContent}},
		}}
	},

	// --- webhook subscriptions (no job runner runs here: nothing is sent) -----------------------
	"createWebhookSubscription": func(t *testing.T, w writesWorld) []auditedWrite {
		body := func(url string) string { return `{"url":"` + url + `","event_types":["outcome.*"]}` }
		return []auditedWrite{w.create(t, w.aAdmin, "/v1/webhook-subscriptions", body(auditedHookURL), w.a.ID.String(),
			body("http://169.254.169.254/latest/meta-data"), http.StatusUnprocessableEntity)} // cloud metadata
	},
	"updateWebhookSubscription": func(t *testing.T, w writesWorld) []auditedWrite {
		id := w.webhookSubscription(t)
		return []auditedWrite{w.patch(t, w.aAdmin, "/v1/webhook-subscriptions/"+id, `{"enabled":false}`, id, w.a.ID.String())}
	},
	"deleteWebhookSubscription": func(t *testing.T, w writesWorld) []auditedWrite {
		id := w.webhookSubscription(t)
		return []auditedWrite{w.delete(t, w.aAdmin, "/v1/webhook-subscriptions/"+id, id, w.a.ID.String())}
	},
	"rotateWebhookSecret": func(t *testing.T, w writesWorld) []auditedWrite {
		path := "/v1/webhook-subscriptions/" + w.webhookSubscription(t) + "/rotate-secret"
		return []auditedWrite{{
			do: postRequest(w.aAdmin, path, ""), status: http.StatusOK, actor: w.subject(t, w.aAdmin), org: w.a.ID.String(),
			refused: postRequest(w.bAdmin, path, ""), refusedStatus: http.StatusNotFound, // out of trust B's reach
		}}
	},
	"pingWebhookSubscription": func(t *testing.T, w writesWorld) []auditedWrite {
		id := w.webhookSubscription(t)
		path := "/v1/webhook-subscriptions/" + id + "/ping"
		return []auditedWrite{{
			do: postRequest(w.aAdmin, path, ""), status: http.StatusAccepted, actor: w.subject(t, w.aAdmin), resource: id, org: w.a.ID.String(),
			refused: postRequest(w.bAdmin, path, ""), refusedStatus: http.StatusNotFound,
		}}
	},
	"redeliverWebhookDelivery": func(t *testing.T, w writesWorld) []auditedWrite {
		id := w.webhookSubscription(t)
		res := w.env.Do(t, http.MethodPost, "/v1/webhook-subscriptions/"+id+"/ping", w.aAdmin, "")
		apitest.WantStatus(t, res, http.StatusAccepted)
		var ping api.WebhookDelivery
		res.Decode(t, &ping)
		path := "/v1/webhook-subscriptions/" + id + "/deliveries/" + ping.Id.String() + "/redeliver"
		return []auditedWrite{{
			do: postRequest(w.aAdmin, path, ""), status: http.StatusAccepted, actor: w.subject(t, w.aAdmin), org: w.a.ID.String(),
			refused: postRequest(w.bAdmin, path, ""), refusedStatus: http.StatusNotFound,
		}}
	},

	// --- organisations and the catalogue -------------------------------------------------------
	"createOrganisation": func(t *testing.T, w writesWorld) []auditedWrite {
		body := func(ods string) string {
			return `{"kind":"trust","name":"AW ` + apitest.Unique() + `","ods_code":"` + ods + `","region":"london"}`
		}
		taken := newODSCode()
		w.env.MustCreate(t, "/v1/organisations", w.natAdmin, body(taken))
		return []auditedWrite{w.create(t, w.natAdmin, "/v1/organisations", body(newODSCode()), itself,
			body(taken), http.StatusConflict)} // the ODS code is taken
	},
	"updateOrganisation": func(t *testing.T, w writesWorld) []auditedWrite {
		id := w.env.Organisation(t, domain.KindTrust, "AW Trust "+apitest.Unique()).ID.String()
		return []auditedWrite{w.patch(t, w.natAdmin, "/v1/organisations/"+id, `{"name":"AW renamed `+apitest.Unique()+`"}`, id, id)}
	},
	"addOrganisationMember": func(t *testing.T, w writesWorld) []auditedWrite {
		collab := w.env.Organisation(t, domain.KindCollaboration, "AW Collaboration "+apitest.Unique()).ID.String()
		trust := w.env.Organisation(t, domain.KindTrust, "AW Member "+apitest.Unique()).ID.String()
		other := w.env.Organisation(t, domain.KindCollaboration, "AW Other collaboration "+apitest.Unique()).ID.String()
		members := "/v1/organisations/" + collab + "/members/"
		return []auditedWrite{{
			do: putRequest(w.natAdmin, members+trust), status: http.StatusNoContent, actor: w.subject(t, w.natAdmin), resource: collab, org: collab,
			refused: putRequest(w.natAdmin, members+other), refusedStatus: http.StatusConflict, // only a trust joins
			quiet: []quietWrite{{why: "adding a member twice changes nothing", do: putRequest(w.natAdmin, members+trust), status: http.StatusNoContent}},
		}}
	},
	"removeOrganisationMember": func(t *testing.T, w writesWorld) []auditedWrite {
		collab := w.env.Organisation(t, domain.KindCollaboration, "AW Collaboration "+apitest.Unique()).ID.String()
		trust := w.env.Organisation(t, domain.KindTrust, "AW Member "+apitest.Unique()).ID.String()
		members := "/v1/organisations/" + collab + "/members/"
		apitest.WantStatus(t, w.env.Do(t, http.MethodPut, members+trust, w.natAdmin, ""), http.StatusNoContent)
		return []auditedWrite{{
			do: deleteRequest(w.natAdmin, members+trust), status: http.StatusNoContent, actor: w.subject(t, w.natAdmin), resource: collab, org: collab,
			refused: deleteRequest(w.natAdmin, members+uuid.NewString()), refusedStatus: http.StatusNotFound,
			quiet: []quietWrite{{why: "removing a non-member changes nothing", do: deleteRequest(w.natAdmin, members+trust), status: http.StatusNoContent}},
		}}
	},
	"createProgramme": func(t *testing.T, w writesWorld) []auditedWrite {
		// The catalogue is national: a programme belongs to no organisation.
		return []auditedWrite{w.create(t, w.natAdmin, "/v1/programmes", programmeBody(princesTrustID.String()), noOrganisation,
			programmeBody(w.a.ID.String()), http.StatusUnprocessableEntity)} // the delivery partner is no partner
	},
	"updateProgramme": func(t *testing.T, w writesWorld) []auditedWrite {
		id := w.env.MustCreate(t, "/v1/programmes", w.natAdmin, programmeBody(princesTrustID.String()))
		return []auditedWrite{w.patch(t, w.natAdmin, "/v1/programmes/"+id, `{"description":"Changed"}`, id, noOrganisation)}
	},

	// --- participants --------------------------------------------------------------------------
	"createParticipant": func(t *testing.T, w writesWorld) []auditedWrite {
		taken := "AW-" + apitest.Unique()
		w.trustA.mustID(t, "/v1/participants", apitest.ParticipantBody(t, w.a.ID, "external_ref", taken))
		body := apitest.ParticipantBody(t, w.a.ID, "external_ref", "AW-"+apitest.Unique())
		c := w.create(t, w.coord, "/v1/participants", body, w.a.ID.String(),
			apitest.ParticipantBody(t, w.a.ID, "external_ref", taken), http.StatusConflict) // the external_ref is taken
		key := []string{"Idempotency-Key", "aw-" + uuid.NewString()}
		c.do.headers = key
		c.quiet = []quietWrite{{why: "a retry with the same Idempotency-Key replays the first answer and writes nothing",
			do: postRequest(w.coord, "/v1/participants", body, key...), status: http.StatusCreated}}
		return []auditedWrite{c}
	},
	"updateParticipant": func(t *testing.T, w writesWorld) []auditedWrite {
		id := w.trustA.participant(t)
		return []auditedWrite{w.patch(t, w.coord, "/v1/participants/"+id, `{"given_name":"Robin","postcode":"LS1 4AP"}`, id, w.a.ID.String())}
	},
	"eraseParticipant": func(t *testing.T, w writesWorld) []auditedWrite {
		id := w.trustA.participant(t)
		d := w.delete(t, w.coord, "/v1/participants/"+id, id, w.a.ID.String())
		d.refused, d.refusedStatus = deleteRequest(w.bCoord, "/v1/participants/"+id), http.StatusNotFound // out of trust B's reach
		d.quiet[0].why = "erasing twice changes nothing"
		return []auditedWrite{d}
	},

	// --- cohorts and enrolments ----------------------------------------------------------------
	"createCohort": func(t *testing.T, w writesWorld) []auditedWrite {
		body := func(programme string) string {
			return cohortBody(t, w.a.ID.String(), programme, "2027-01-04", "2027-01-29", 20)
		}
		return []auditedWrite{w.create(t, w.coord, "/v1/cohorts", body(workExperienceProgramme), w.a.ID.String(),
			body(uuid.NewString()), http.StatusUnprocessableEntity)} // no such programme
	},
	"updateCohort": func(t *testing.T, w writesWorld) []auditedWrite {
		id := w.trustA.cohort(t, "2027-01-04", "2027-01-29")
		return []auditedWrite{w.patch(t, w.coord, "/v1/cohorts/"+id, `{"name":"Renamed cohort","capacity":25}`, id, w.a.ID.String())}
	},
	"createEnrolment": func(t *testing.T, w writesWorld) []auditedWrite {
		cohort := w.trustA.cohort(t, "2027-01-04", "2027-01-29")
		enrolled, fresh := w.trustA.participant(t), w.trustA.participant(t)
		w.trustA.enrolment(t, cohort, enrolled, domain.Referred)
		body := func(participant string) string {
			return `{"cohort_id":"` + cohort + `","participant_id":"` + participant + `","status":"enrolled"}`
		}
		return []auditedWrite{w.create(t, w.coord, "/v1/enrolments", body(fresh), w.a.ID.String(),
			body(enrolled), http.StatusConflict)} // already in the cohort
	},
	"transitionEnrolment": func(t *testing.T, w writesWorld) []auditedWrite {
		cohort := w.trustA.cohort(t, "2027-01-04", "2027-01-29")
		id := w.trustA.enrolment(t, cohort, w.trustA.participant(t), domain.Referred)
		path := "/v1/enrolments/" + id + "/transitions"
		return []auditedWrite{{
			do: postRequest(w.coord, path, `{"to":"enrolled"}`), status: http.StatusOK, actor: w.subject(t, w.coord), resource: id, org: w.a.ID.String(),
			refused: postRequest(w.coord, path, `{"to":"completed"}`), refusedStatus: http.StatusConflict, // referred → completed is no move
		}}
	},

	// --- placements and outcomes ---------------------------------------------------------------
	"createPlacement": func(t *testing.T, w writesWorld) []auditedWrite {
		_, _, enrolment := w.trustA.enrolled(t)
		return []auditedWrite{w.create(t, w.coord, "/v1/placements", placementBody(t, enrolment), w.a.ID.String(),
			placementBody(t, enrolment, "starts_on", "2026-12-01"), http.StatusUnprocessableEntity)} // before the cohort starts
	},
	"updatePlacement": func(t *testing.T, w writesWorld) []auditedWrite {
		_, _, enrolment := w.trustA.enrolled(t)
		id := w.trustA.mustPlacement(t, placementBody(t, enrolment, "site", "Main site")).ID
		return []auditedWrite{w.patch(t, w.coord, "/v1/placements/"+id, `{"host_department":"Pharmacy","site":null}`, id, w.a.ID.String())}
	},
	"deletePlacement": func(t *testing.T, w writesWorld) []auditedWrite {
		_, _, enrolment := w.trustA.enrolled(t)
		id := w.trustA.mustPlacement(t, placementBody(t, enrolment)).ID
		return []auditedWrite{w.delete(t, w.coord, "/v1/placements/"+id, id, w.a.ID.String())}
	},
	"createOutcome": func(t *testing.T, w writesWorld) []auditedWrite {
		return []auditedWrite{w.create(t, w.coord, "/v1/outcomes", outcomeBody(t, w.trustA.participant(t)), w.a.ID.String(),
			outcomeBody(t, uuid.NewString()), http.StatusUnprocessableEntity)} // no such participant within reach
	},
	"updateOutcome": func(t *testing.T, w writesWorld) []auditedWrite {
		id := w.trustA.mustOutcome(t, outcomeBody(t, w.trustA.participant(t))).ID
		return []auditedWrite{w.patch(t, w.coord, "/v1/outcomes/"+id, `{"employer":"Riverside NHS Trust"}`, id, w.a.ID.String())}
	},
	"deleteOutcome": func(t *testing.T, w writesWorld) []auditedWrite {
		id := w.trustA.mustOutcome(t, outcomeBody(t, w.trustA.participant(t))).ID
		return []auditedWrite{w.delete(t, w.coord, "/v1/outcomes/"+id, id, w.a.ID.String())}
	},

	// --- mentoring -----------------------------------------------------------------------------
	"createMentor": func(t *testing.T, w writesWorld) []auditedWrite {
		body := func(org uuid.UUID) string {
			return `{"organisation_id":"` + org.String() + `","kind":"professional","given_name":"Mo","family_name":"Mentor"}`
		}
		return []auditedWrite{w.create(t, w.coord, "/v1/mentors", body(w.a.ID), w.a.ID.String(),
			body(w.b.ID), http.StatusUnprocessableEntity)} // an organisation out of reach
	},
	"updateMentor": func(t *testing.T, w writesWorld) []auditedWrite {
		id := w.mentor(t)
		return []auditedWrite{w.patch(t, w.coord, "/v1/mentors/"+id, `{"family_name":"Renamed","email":"mo@example.org"}`, id, w.a.ID.String())}
	},
	"deleteMentor": func(t *testing.T, w writesWorld) []auditedWrite {
		id := w.mentor(t)
		d := w.delete(t, w.coord, "/v1/mentors/"+id, id, w.a.ID.String())
		d.refused, d.refusedStatus = deleteRequest(w.bCoord, "/v1/mentors/"+id), http.StatusNotFound // out of trust B's reach
		return []auditedWrite{d}
	},
	"makePeerMentor": func(t *testing.T, w writesWorld) []auditedWrite {
		cohort := mustCohortID(t, w.env, w.coord, w.a.ID, streetDoctorsProgramme, "Street Doctors "+apitest.Unique(), "2026-03-02", "2026-05-29")
		trained := mustParticipantNamed(t, w.env, w.coord, w.a.ID, "Zephyrine", "Quarmby", "2009-01-10")
		mustEnrolThrough(t, w.env, w.coord, cohort, trained, "2026-02-16", [2]string{"enrolled", "2026-03-02"}, [2]string{"active", "2026-03-02"},
			[2]string{"completed", "2026-05-29"})
		training := mustParticipantNamed(t, w.env, w.coord, w.a.ID, "Ines", "Carvalho", "2008-11-30")
		mustEnrolThrough(t, w.env, w.coord, cohort, training, "2026-02-16", [2]string{"enrolled", "2026-03-02"}, [2]string{"active", "2026-03-02"})
		return []auditedWrite{{
			do: postRequest(w.coord, "/v1/participants/"+trained+"/peer-mentor", `{}`), status: http.StatusCreated,
			actor: w.subject(t, w.coord), org: w.a.ID.String(), // resource: the mentor created
			refused:       postRequest(w.coord, "/v1/participants/"+training+"/peer-mentor", `{}`),
			refusedStatus: http.StatusUnprocessableEntity, // training under way is not training completed
		}}
	},
	"createMentoringMatch": func(t *testing.T, w writesWorld) []auditedWrite {
		mentor, who := w.mentor(t), w.trustA.participant(t)
		return []auditedWrite{w.create(t, w.coord, "/v1/mentoring-matches", matchBody(t, mentor, who, "", "2027-01-04", "2027-05-04"), w.a.ID.String(),
			matchBody(t, mentor, who, "", "2027-01-04", "2027-12-04"), http.StatusUnprocessableEntity)} // professional mentoring lasts six months at most
	},
	"updateMentoringMatch": func(t *testing.T, w writesWorld) []auditedWrite {
		id := w.match(t)
		return []auditedWrite{w.patch(t, w.coord, "/v1/mentoring-matches/"+id, `{"planned_end_on":"2027-06-04"}`, id, w.a.ID.String())}
	},
	"deleteMentoringMatch": func(t *testing.T, w writesWorld) []auditedWrite {
		id := w.match(t)
		return []auditedWrite{w.delete(t, w.coord, "/v1/mentoring-matches/"+id, id, w.a.ID.String())}
	},
	"createCheckIn": func(t *testing.T, w writesWorld) []auditedWrite {
		return []auditedWrite{w.create(t, w.coord, "/v1/mentoring-matches/"+w.match(t)+"/check-ins", `{"held_on":"2027-01-11","minutes":30,"mode":"video"}`,
			w.a.ID.String(), `{"held_on":"2026-12-01","minutes":30,"mode":"video"}`, http.StatusUnprocessableEntity)} // before the match starts
	},

	// --- funding awards, written by the national team, each of its recipient ------------------
	"createFundingAward": func(t *testing.T, w writesWorld) []auditedWrite {
		a := w.a.ID.String()
		return []auditedWrite{w.create(t, w.natAdmin, "/v1/funding-awards", awardBody(t, a, stepIntoWorkProgramme, newTenderRound()), a,
			awardBody(t, a, stepIntoWorkProgramme, newTenderRound(), 100, 200, 50), http.StatusUnprocessableEntity)} // a rising amount
	},
	"updateFundingAward": func(t *testing.T, w writesWorld) []auditedWrite {
		id := mustAward(t, w.env, w.natAdmin, w.a.ID.String(), stepIntoWorkProgramme)
		return []auditedWrite{w.patch(t, w.natAdmin, "/v1/funding-awards/"+id, `{"tender_round":"`+newTenderRound()+`"}`, id, w.a.ID.String())}
	},
	"deleteFundingAward": func(t *testing.T, w writesWorld) []auditedWrite {
		id := mustAward(t, w.env, w.natAdmin, w.a.ID.String(), stepIntoWorkProgramme)
		return []auditedWrite{w.delete(t, w.natAdmin, "/v1/funding-awards/"+id, id, w.a.ID.String())}
	},

	// --- the directories: a trust's case studies, the national team's guidance ---------------
	"createCaseStudy": func(t *testing.T, w writesWorld) []auditedWrite {
		return []auditedWrite{w.create(t, w.coord, "/v1/case-studies", caseStudyBody(t, w.a.ID.String()), w.a.ID.String(),
			caseStudyBody(t, w.b.ID.String()), http.StatusUnprocessableEntity)} // an organisation out of reach
	},
	"updateCaseStudy": func(t *testing.T, w writesWorld) []auditedWrite {
		id := w.env.MustCreate(t, "/v1/case-studies", w.coord, caseStudyBody(t, w.a.ID.String()))
		return []auditedWrite{w.patch(t, w.coord, "/v1/case-studies/"+id, `{"title":"Retitled","status":"published"}`, id, w.a.ID.String())}
	},
	"publishCaseStudy": func(t *testing.T, w writesWorld) []auditedWrite {
		id := w.env.MustCreate(t, "/v1/case-studies", w.coord, caseStudyBody(t, w.a.ID.String()))
		path := "/v1/case-studies/" + id + "/publish"
		return []auditedWrite{{
			do: writeRequest{method: http.MethodPost, path: path, token: w.coord}, status: http.StatusOK,
			actor: w.subject(t, w.coord), resource: id, org: w.a.ID.String(),
			refused:       writeRequest{method: http.MethodPost, path: path, token: w.coord, headers: []string{"If-Match", `"99"`}},
			refusedStatus: http.StatusPreconditionFailed,
		}}
	},
	"deleteCaseStudy": func(t *testing.T, w writesWorld) []auditedWrite {
		id := w.env.MustCreate(t, "/v1/case-studies", w.coord, caseStudyBody(t, w.a.ID.String()))
		return []auditedWrite{w.delete(t, w.coord, "/v1/case-studies/"+id, id, w.a.ID.String())}
	},
	"createGuidance": func(t *testing.T, w writesWorld) []auditedWrite {
		return []auditedWrite{w.create(t, w.natAdmin, "/v1/guidance", guidanceBody(t, "https://www.jobs.nhs.uk/"), noOrganisation,
			guidanceBody(t, "http://insecure.example/"), http.StatusUnprocessableEntity)} // a link that is not https
	},
	"updateGuidance": func(t *testing.T, w writesWorld) []auditedWrite {
		id := w.env.MustCreate(t, "/v1/guidance", w.natAdmin, guidanceBody(t, "https://www.jobs.nhs.uk/"))
		return []auditedWrite{w.patch(t, w.natAdmin, "/v1/guidance/"+id, `{"topic":"applications"}`, id, noOrganisation)}
	},
	"deleteGuidance": func(t *testing.T, w writesWorld) []auditedWrite {
		id := w.env.MustCreate(t, "/v1/guidance", w.natAdmin, guidanceBody(t, "https://www.jobs.nhs.uk/"))
		return []auditedWrite{w.delete(t, w.natAdmin, "/v1/guidance/"+id, id, noOrganisation)}
	},

	// --- vacancies and interviews, written by trust A's API client -----------------------------
	"createVacancy": func(t *testing.T, w writesWorld) []auditedWrite {
		return []auditedWrite{w.create(t, w.client, "/v1/vacancies", vacancyBody(w.a.ID), w.a.ID.String(),
			vacancyBody(w.b.ID), http.StatusUnprocessableEntity)} // an organisation out of reach
	},
	"updateVacancy": func(t *testing.T, w writesWorld) []auditedWrite {
		id := w.env.MustCreate(t, "/v1/vacancies", w.client, vacancyBody(w.a.ID))
		return []auditedWrite{w.patch(t, w.client, "/v1/vacancies/"+id, `{"band":"Band 3","status":"closed"}`, id, w.a.ID.String())}
	},
	"deleteVacancy": func(t *testing.T, w writesWorld) []auditedWrite {
		id := w.env.MustCreate(t, "/v1/vacancies", w.client, vacancyBody(w.a.ID))
		d := w.delete(t, w.client, "/v1/vacancies/"+id, id, w.a.ID.String())
		d.refused, d.refusedStatus = deleteRequest(w.bCoord, "/v1/vacancies/"+id), http.StatusNotFound // out of trust B's reach
		return []auditedWrite{d}
	},
	// --- imports: the job's submission (its rows are audited by the job, imports_test.go) -------
	"createImport": func(t *testing.T, w writesWorld) []auditedWrite {
		file := "organisation_id,given_name,family_name,date_of_birth\n"
		return []auditedWrite{{
			do:     postRequest(w.coord, "/v1/imports?kind=participants&dry_run=true", file, "Content-Type", "text/csv"),
			status: http.StatusAccepted, actor: w.subject(t, w.coord), org: w.a.ID.String(),
			refused:       postRequest(w.coord, "/v1/imports?kind=participants&mode=bogus", file, "Content-Type", "text/csv"),
			refusedStatus: http.StatusBadRequest,
		}}
	},
	"createInterview": func(t *testing.T, w writesWorld) []auditedWrite {
		vacancy, who := w.env.MustCreate(t, "/v1/vacancies", w.client, vacancyBody(w.a.ID)), w.trustA.participant(t)
		body := func(vacancy string) string {
			return `{"vacancy_id":"` + vacancy + `","participant_id":"` + who + `","held_on":"2027-01-20"}`
		}
		return []auditedWrite{w.create(t, w.client, "/v1/interviews", body(vacancy), w.a.ID.String(),
			body(uuid.NewString()), http.StatusUnprocessableEntity)} // no such vacancy
	},
	"updateInterview": func(t *testing.T, w writesWorld) []auditedWrite {
		id := w.interview(t)
		return []auditedWrite{w.patch(t, w.client, "/v1/interviews/"+id, `{"result":"offered"}`, id, w.a.ID.String())}
	},
	"deleteInterview": func(t *testing.T, w writesWorld) []auditedWrite {
		id := w.interview(t)
		return []auditedWrite{w.delete(t, w.client, "/v1/interviews/"+id, id, w.a.ID.String())}
	},
}

// knownUnaudited names, by operationId, the write operations that record no audit event when
// they should: production bugs not fixed yet. For them the test asserts that the successful
// write indeed records nothing, so that it fails once the bug is fixed and the entry must go.
// Every write operation of openapi.yaml records its event today, so the set is empty.
var knownUnaudited = map[string]string{}

// issueTokenWrites signs in with each grant of the token endpoint: each sign-in is audited in the
// name of the one signing in, a refused one leaves no event. (A refresh token presented twice
// is refused too, but that refusal is audited on purpose, as auth.refresh_reuse: it revokes the
// sign-in's every token. This case refuses an unknown refresh token instead.)
func issueTokenWrites(t *testing.T, w writesWorld) []auditedWrite {
	org := w.a.ID.String()
	token := func(body string) writeRequest {
		return postRequest("", "/v1/auth/token", body, "Content-Type", formType)
	}
	userID, email := w.env.MustCreateUser(t, w.a.ID, domain.RoleCoordinator)
	refresh := wantToken(t, w.env.PostToken(t, apitest.PasswordGrant(email, apitest.Password))).RefreshToken
	if refresh == nil {
		t.Fatal("the password grant gave no refresh token")
	}
	clientID, client, secret := w.env.APIClient(t, w.aAdmin, w.a.ID, "participants:read")
	return []auditedWrite{{
		name: "password", do: token(apitest.PasswordGrant(email, apitest.Password)), status: http.StatusOK,
		actor: "user:" + userID.String(), resource: userID.String(), org: org,
		// A wrong password is audited as auth.login_failed (TestAuthAudit); a request without
		// one is refused before anything is written.
		refused: token(apitest.Form("grant_type", "password", "username", email)), refusedStatus: http.StatusBadRequest,
	}, {
		name: "refresh_token", do: token(apitest.Form("grant_type", "refresh_token", "refresh_token", *refresh)), status: http.StatusOK,
		actor: "user:" + userID.String(), resource: userID.String(), org: org,
		refused:       token(apitest.Form("grant_type", "refresh_token", "refresh_token", "not-a-refresh-token-"+apitest.Unique())),
		refusedStatus: http.StatusBadRequest,
	}, {
		name: "client_credentials", do: token(apitest.ClientGrant(client, secret)), status: http.StatusOK,
		actor: "client:" + clientID, resource: clientID, org: org,
		// A wrong secret is audited as auth.client_failed (TestAuthAudit); a request without one
		// is refused before anything is written.
		refused: token(apitest.Form("grant_type", "client_credentials", "client_id", client)), refusedStatus: http.StatusUnauthorized,
	}}
}

// revokeTokenWrites revokes a refresh token: audited in the name of its user. RFC 7009 answers 200
// to an unknown token too, and then nothing is revoked, so nothing is audited.
func revokeTokenWrites(t *testing.T, w writesWorld) []auditedWrite {
	revoke := func(body string) writeRequest {
		return postRequest("", "/v1/auth/revoke", body, "Content-Type", formType)
	}
	userID, email := w.env.MustCreateUser(t, w.a.ID, domain.RoleViewer)
	refresh := wantToken(t, w.env.PostToken(t, apitest.PasswordGrant(email, apitest.Password))).RefreshToken
	if refresh == nil {
		t.Fatal("the password grant gave no refresh token")
	}
	return []auditedWrite{{
		do: revoke(apitest.Form("token", *refresh)), status: http.StatusOK,
		actor: "user:" + userID.String(), resource: userID.String(), org: w.a.ID.String(),
		refused: revoke(apitest.Form("token_type_hint", "refresh_token")), refusedStatus: http.StatusBadRequest, // no token
		quiet: []quietWrite{{why: "RFC 7009: an unknown token is answered 200, and there is nothing to revoke",
			do: revoke(apitest.Form("token", "not-a-refresh-token-"+apitest.Unique())), status: http.StatusOK}},
	}}
}

// TestEveryWriteIsAudited drives every write operation of openapi.yaml through the API and
// checks, in the database, the audit event of each successful write: the caller as actor, the
// record written, the organisation it belongs to, its request id and time, and for a merge
// patch the names of the fields patched. A refused attempt of each operation must leave no
// event, and so must the successful calls that by design write nothing.
func TestEveryWriteIsAudited(t *testing.T) {
	t.Parallel()
	ops := writeOperations(t)
	for op := range ops {
		if _, ok := auditedCases[op]; !ok {
			t.Errorf("write operation %s (%s %s) has no case in auditedCases: add one, so that its audit event is checked", op, ops[op].method, ops[op].path)
		}
	}
	for op := range auditedCases {
		if _, ok := ops[op]; !ok {
			t.Errorf("auditedCases has a case for %s, which is no write operation of openapi.yaml", op)
		}
	}
	for op := range knownUnaudited {
		if _, ok := ops[op]; !ok {
			t.Errorf("knownUnaudited names %s, which is no write operation of openapi.yaml", op)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	w := newWritesWorld(t)
	for _, op := range slices.Sorted(maps.Keys(auditedCases)) {
		t.Run(op, func(t *testing.T) {
			t.Parallel()
			writes := auditedCases[op](t, w)
			if len(writes) == 0 {
				t.Fatal("the case makes no write")
			}
			for _, wr := range writes {
				if wr.name == "" {
					w.check(t, op, ops[op], wr)
					continue
				}
				t.Run(wr.name, func(t *testing.T) { w.check(t, op, ops[op], wr) })
			}
		})
	}
}

// writeOperation is a write operation of openapi.yaml.
type writeOperation struct {
	method, path string
	route        *regexp.Regexp // matches the operation's paths
}

// writeOperations returns the POST, PUT, PATCH and DELETE operations of openapi.yaml by operationId.
func writeOperations(t *testing.T) map[string]writeOperation {
	t.Helper()
	doc := contract(t)
	param := regexp.MustCompile(`\\\{[^}]+\\\}`)
	ops := map[string]writeOperation{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			switch method {
			case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
			default:
				continue
			}
			if op.OperationID == "" {
				t.Errorf("%s %s has no operationId", method, path)
				continue
			}
			route := regexp.MustCompile("^" + param.ReplaceAllString(regexp.QuoteMeta(path), "[^/]+") + "$")
			ops[op.OperationID] = writeOperation{method: method, path: path, route: route}
		}
	}
	if len(ops) < 30 {
		t.Fatalf("openapi.yaml has %d write operations: the test reads the contract wrongly", len(ops))
	}
	return ops
}

// writesWorld is what every case builds on: trust A with a coordinator, an org_admin and an API
// client that writes participants' records; trust B with a coordinator and an org_admin, whom
// trust A's records are out of reach of; and the national team's admin.
type writesWorld struct {
	env      *apitest.Env
	trustA   trustWorld // trust A and its coordinator, with the helpers of placements_test.go
	a, b     domain.Organisation
	coord    string // trust A's coordinator
	aAdmin   string // trust A's org_admin
	client   string // an API client of trust A with participants:write
	bCoord   string // trust B's coordinator
	bAdmin   string // trust B's org_admin
	natAdmin string
}

func newWritesWorld(t *testing.T) writesWorld {
	t.Helper()
	cfg := apitest.Config(t, pgtest.NewURL(t))
	cfg.WebhookAllowHTTPLoopback = true // the subscriptions' URL (auditedHookURL)
	env := apitest.NewOn(t, cfg, io.Discard)
	w := writesWorld{env: env, trustA: newTrustWorld(t, env, "Audited NHS Trust"), b: env.Organisation(t, domain.KindTrust, "Other NHS Trust")}
	w.a, w.coord = w.trustA.trust, w.trustA.token
	_, w.natAdmin = env.NationalAdmin(t)
	w.aAdmin = env.User(t, w.a.ID, domain.RoleOrgAdmin)
	w.bCoord, w.bAdmin = env.User(t, w.b.ID, domain.RoleCoordinator), env.User(t, w.b.ID, domain.RoleOrgAdmin)
	// The programme's own system, which records for any participant: a trust HR system's client
	// could not name one who has not agreed to sharing with HR (consent_test.go).
	_, w.client = clientFor(t, env, w.aAdmin, w.a.ID, "processing", "participants:write", "participants:read")
	return w
}

// subject is the subject of an access token, as audit events name their actor.
func (w writesWorld) subject(t *testing.T, token string) string {
	t.Helper()
	sub, _ := apitest.Claims(t, token)["sub"].(string)
	if !strings.HasPrefix(sub, "user:") && !strings.HasPrefix(sub, "client:") {
		t.Fatalf("token subject %q", sub)
	}
	return sub
}

func postRequest(token, path, body string, headers ...string) writeRequest {
	return writeRequest{method: http.MethodPost, path: path, token: token, body: body, headers: headers}
}

func putRequest(token, path string) writeRequest {
	return writeRequest{method: http.MethodPut, path: path, token: token}
}

func deleteRequest(token, path string, headers ...string) writeRequest {
	return writeRequest{method: http.MethodDelete, path: path, token: token, headers: headers}
}

// create is the write of a POST of body to path as token, creating a record of org; the same
// POST of refusedBody is refused with refusedStatus.
func (w writesWorld) create(t *testing.T, token, path, body, org, refusedBody string, refusedStatus int) auditedWrite {
	t.Helper()
	return auditedWrite{
		do: postRequest(token, path, body), status: http.StatusCreated, actor: w.subject(t, token), org: org,
		refused: postRequest(token, path, refusedBody), refusedStatus: refusedStatus,
	}
}

// patch is the write of a merge patch of the record at path (id, of org) as token; the same
// patch made against a version the record never had is refused.
func (w writesWorld) patch(t *testing.T, token, path, body, id, org string) auditedWrite {
	t.Helper()
	return auditedWrite{
		do:     writeRequest{method: http.MethodPatch, path: path, token: token, body: body},
		status: http.StatusOK, actor: w.subject(t, token), resource: id, org: org,
		refused:       writeRequest{method: http.MethodPatch, path: path, token: token, body: body, headers: []string{"If-Match", `"99"`}},
		refusedStatus: http.StatusPreconditionFailed,
	}
}

// delete is the write of a DELETE of the record at path (id, of org) as token; the same DELETE
// against a version the record never had is refused, and deleting it again changes nothing.
func (w writesWorld) delete(t *testing.T, token, path, id, org string) auditedWrite {
	t.Helper()
	return auditedWrite{
		do: deleteRequest(token, path), status: http.StatusNoContent, actor: w.subject(t, token), resource: id, org: org,
		refused: deleteRequest(token, path, "If-Match", `"99"`), refusedStatus: http.StatusPreconditionFailed,
		quiet: []quietWrite{{why: "deleting twice changes nothing: the tombstone is there", do: deleteRequest(token, path), status: http.StatusNoContent}},
	}
}

// auditedHookURL is where the audited world's subscriptions point: loopback, which its
// configuration allows, where nothing listens (no job runner sends to it).
const auditedHookURL = "http://127.0.0.1:9/hooks/p4w"

// webhookSubscription is a new webhook subscription of trust A.
func (w writesWorld) webhookSubscription(t *testing.T) string {
	t.Helper()
	return w.env.MustCreate(t, "/v1/webhook-subscriptions", w.aAdmin, `{"url":"`+auditedHookURL+`","event_types":["*"]}`)
}

// mentor is a new professional mentor of trust A.
func (w writesWorld) mentor(t *testing.T) string {
	t.Helper()
	return mustCreateMentor(t, w.env, w.coord, w.a.ID, "professional", "Mo", "Mentor").ID
}

// match is a new mentoring match of trust A, from 2027-01-04 to 2027-05-04.
func (w writesWorld) match(t *testing.T) string {
	t.Helper()
	return w.trustA.mustID(t, "/v1/mentoring-matches", matchBody(t, w.mentor(t), w.trustA.participant(t), "", "2027-01-04", "2027-05-04"))
}

// interview is a new interview of trust A, recorded by its API client.
func (w writesWorld) interview(t *testing.T) string {
	t.Helper()
	vacancy := w.env.MustCreate(t, "/v1/vacancies", w.client, vacancyBody(w.a.ID))
	return w.env.MustCreate(t, "/v1/interviews", w.client,
		`{"vacancy_id":"`+vacancy+`","participant_id":"`+w.trustA.participant(t)+`","held_on":"2027-01-20"}`)

}

// programmeBody is a create body of a programme delivered by partner.
func programmeBody(partner string) string {
	code := "aw_" + apitest.Unique()
	return `{"code":"` + code + `","name":"Programme ` + code + `","category":"mentoring","min_age":16,"requires_benefit":false,` +
		`"delivery_partner_id":"` + partner + `"}`
}

func vacancyBody(org uuid.UUID) string {
	return `{"organisation_id":"` + org.String() + `","employer_name":"AW Estates ` + apitest.Unique() + `","role":"Porter","band":"Band 2","closing_on":"2027-02-01"}`
}

// newODSCode is an unused ODS code.
func newODSCode() string { return "W" + strings.ToUpper(apitest.Unique()[:5]) }

// newRequestID is a fresh X-Request-ID, of the form the server keeps.
func newRequestID(op, what string) string {
	return "aw." + op + "." + what + "." + apitest.Unique()
}

// send sends r with the X-Request-ID id, after checking that r is a call of op.
func (w writesWorld) send(t *testing.T, op string, spec writeOperation, r writeRequest, id string) apitest.Response {
	t.Helper()
	path, _, _ := strings.Cut(r.path, "?")
	if r.method != spec.method || !spec.route.MatchString(path) {
		t.Fatalf("the case of %s sends %s %s, which is not %s %s", op, r.method, r.path, spec.method, spec.path)
	}
	var headers []string
	if r.method == http.MethodPatch {
		headers = append(headers, "Content-Type", "application/merge-patch+json")
	}
	headers = append(append(headers, r.headers...), "X-Request-ID", id)
	res := w.env.Do(t, r.method, r.path, r.token, r.body, headers...)
	if got := res.Header.Get("X-Request-ID"); got != id {
		t.Errorf("%s %s: X-Request-ID %q answered, %q sent", r.method, r.path, got, id)
	}
	return res
}

// check runs one write of op: the refused attempt, the write, then the quiet calls.
func (w writesWorld) check(t *testing.T, op string, spec writeOperation, wr auditedWrite) {
	if wr.org == "" || wr.actor == "" || wr.status/100 != 2 || wr.refused.method == "" || wr.refusedStatus/100 == 2 {
		t.Fatalf("the case of %s is incomplete: org %q, actor %q, status %d, refused with %d", op, wr.org, wr.actor, wr.status, wr.refusedStatus)
	}

	// Refused: nothing written, so nothing audited.
	id := newRequestID(op, "refused")
	res := w.send(t, op, spec, wr.refused, id)
	if res.Status != wr.refusedStatus {
		t.Fatalf("%s: the refused attempt answered %d, want %d: %s", op, res.Status, wr.refusedStatus, res.Body)
	}
	if events := storedEvents(t, w.env, id); len(events) != 0 {
		t.Errorf("%s: the refused attempt (%d) left %d audit events: %v", op, res.Status, len(events), events)
	}

	// Written: audited in the write's own transaction, so the event is there when the answer is.
	id = newRequestID(op, "ok")
	before := time.Now()
	res = w.send(t, op, spec, wr.do, id)
	after := time.Now()
	if res.Status != wr.status {
		t.Fatalf("%s: answered %d, want %d: %s", op, res.Status, wr.status, res.Body)
	}
	resource := wr.resource
	if resource == "" {
		resource = createdIDOf(t, op, res)
	}
	events := storedEvents(t, w.env, id)
	if gap, known := knownUnaudited[op]; known {
		if len(events) != 0 {
			t.Errorf("%s is in knownUnaudited (%s) but is audited now: remove it from knownUnaudited. Events: %v", op, gap, events)
		}
	} else {
		checkEvent(t, op, wr, resource, id, events, before, after)
	}

	// Succeeded, but by design wrote nothing: nothing audited.
	for _, q := range wr.quiet {
		id := newRequestID(op, "quiet")
		res := w.send(t, op, spec, q.do, id)
		if res.Status != q.status {
			t.Errorf("%s: %s: answered %d, want %d: %s", op, q.why, res.Status, q.status, res.Body)
			continue
		}
		if events := storedEvents(t, w.env, id); len(events) != 0 {
			t.Errorf("%s: %s, yet it left %d audit events: %v", op, q.why, len(events), events)
		}
	}
}

// checkEvent checks the events of the request requestID, a successful write of op to the
// record resource, made between before and after.
func checkEvent(t *testing.T, op string, wr auditedWrite, resource, requestID string, events []storedEvent, before, after time.Time) {
	if len(events) == 0 {
		t.Errorf("%s: %s %s succeeded and recorded no audit event with request_id %q", op, wr.do.method, wr.do.path, requestID)
		return
	}
	i := slices.IndexFunc(events, func(e storedEvent) bool { return e.resourceID == resource })
	if i < 0 {
		t.Errorf("%s: no audit event of request %q names the record written, %s: %v", op, requestID, resource, events)
		return
	}
	e := events[i]
	t.Logf("%s %s audited: %v", wr.do.method, wr.do.path, e)
	for _, other := range events { // every event of the request is the caller's
		if other.actor != wr.actor {
			t.Errorf("%s: event %v names actor %q, want %q", op, other, other.actor, wr.actor)
		}
	}
	var want sql.NullString // NULL for noOrganisation
	switch wr.org {
	case itself:
		want = sql.NullString{String: resource, Valid: true}
	case noOrganisation:
	default:
		want = sql.NullString{String: wr.org, Valid: true}
	}
	if e.org != want {
		t.Errorf("%s: event %s names organisation %s, want %s", op, e.action, nullString(e.org), nullString(want))
	}
	if e.action == "" || e.resourceType == "" {
		t.Errorf("%s: event without action or resource type: %v", op, e)
	}
	if e.at.Before(before.Add(-2*time.Second)) || e.at.After(after.Add(2*time.Second)) {
		t.Errorf("%s: event at %v, the request ran from %v to %v", op, e.at, before, after)
	}
	if wr.do.method == http.MethodPatch { // the fields of a merge patch are its keys
		var patch map[string]json.RawMessage
		if err := json.Unmarshal([]byte(wr.do.body), &patch); err != nil {
			t.Fatalf("%s: the case's patch %s: %v", op, wr.do.body, err)
		}
		if got, want := slices.Sorted(slices.Values(e.fields)), slices.Sorted(maps.Keys(patch)); !slices.Equal(got, want) {
			t.Errorf("%s: event %s names fields %v, want the fields patched %v", op, e.action, got, want)
		}
	}
	if wr.status == http.StatusCreated && len(e.fields) == 0 { // a record created says what it was given
		t.Errorf("%s: event %s of a created record names no fields", op, e.action)
	}
}

// createdIDOf is the id of the record a 201 created.
func createdIDOf(t *testing.T, op string, res apitest.Response) string {
	t.Helper()
	var v struct {
		ID string `json:"id"`
	}
	res.Decode(t, &v)
	if _, err := uuid.Parse(v.ID); err != nil {
		t.Fatalf("%s: the answer names no record created: %s", op, res.Body)
	}
	// A Location naming a record must name this one. (A check-in has no URL of its own: its
	// Location is its match's list of check-ins.)
	loc := res.Header.Get("Location")
	if last := loc[strings.LastIndex(loc, "/")+1:]; uuid.Validate(last) == nil && last != v.ID {
		t.Errorf("%s: Location %q for the record %s", op, loc, v.ID)
	}
	return v.ID
}

// storedEvent is an audit event as the database holds it.
type storedEvent struct {
	actor, action, resourceType, resourceID string
	org                                     sql.NullString
	fields                                  []string
	at                                      time.Time
}

func (e storedEvent) String() string {
	return fmt.Sprintf("{%s of %s %s by %s for organisation %s, fields %v, at %s}", e.action, e.resourceType, e.resourceID, e.actor,
		nullString(e.org), e.fields, e.at.Format(time.RFC3339Nano))
}

// storedEvents reads, straight from the database, the audit events of the request requestID.
func storedEvents(t *testing.T, env *apitest.Env, requestID string) []storedEvent {
	t.Helper()
	rows, err := env.DB.SQL().QueryContext(t.Context(), `SELECT actor, action, resource_type, resource_id, organisation_id::text, fields, at
		FROM audit_events WHERE request_id = $1 ORDER BY at, id`, requestID)
	if err != nil {
		t.Fatalf("read audit events: %v", err)
	}
	defer rows.Close()
	var out []storedEvent
	for rows.Next() {
		var e storedEvent
		var fields []byte
		if err := rows.Scan(&e.actor, &e.action, &e.resourceType, &e.resourceID, &e.org, &fields, &e.at); err != nil {
			t.Fatalf("read audit events: %v", err)
		}
		if err := json.Unmarshal(fields, &e.fields); err != nil {
			t.Errorf("audit event %s of %s: fields %s are no list of names: %v", e.action, e.resourceID, fields, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read audit events: %v", err)
	}
	return out
}

func nullString(o sql.NullString) string {
	if !o.Valid {
		return "NULL"
	}
	return o.String
}
