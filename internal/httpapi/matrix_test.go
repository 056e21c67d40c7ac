package httpapi_test

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
)

// The columns of the matrix: the kinds of principal, and no principal at all.
const (
	asViewer = iota
	asCoordinator
	asOrgAdmin
	asNationalAdmin
	asClientParticipantsRead
	asClientParticipantsWrite
	asClientOrganisationsRead
	asNoToken
	callerKinds
)

var callerNames = [callerKinds]string{"viewer", "coordinator", "org_admin", "national_admin",
	"client[participants:read]", "client[participants:write]", "client[organisations:read]", "no token"}

// Y: the principal may call the operation; N: it is refused.
const Y, N = true, false

// matrixRow is one operation of openapi.yaml: the scope it needs ("" for a public operation)
// and, for each column, whether the call is allowed.
type matrixRow struct {
	cells matrixCells
	op    string // operationId
	route string // method and path; {collaboration_id} stands for a path's organisation_id where it must be a collaboration
	scope string
}

// matrixCells says, column by column, whether the call is allowed.
type matrixCells = [callerKinds]bool

// roleScopeMatrix is written out by hand from the roles of DESIGN.md and the scopes of
// openapi.yaml, on purpose not computed from the production role → scope map: a change to that
// map, or to an operation's scope, must show up here as a failing cell.
var roleScopeMatrix = []matrixRow{
	//       viewer
	//       |    coordinator
	//       |    |    org_admin
	//       |    |    |    national_admin
	//       |    |    |    |    client[participants:read]
	//       |    |    |    |    |    client[participants:write]
	//       |    |    |    |    |    |    client[organisations:read]
	//       |    |    |    |    |    |    |    no token (public operations only)
	{matrixCells{Y, Y, Y, Y, Y, Y, Y, Y}, "getHealth", "GET /healthz", ""},
	{matrixCells{Y, Y, Y, Y, Y, Y, Y, Y}, "getReadiness", "GET /readyz", ""},
	{matrixCells{Y, Y, Y, Y, Y, Y, Y, Y}, "getJWKS", "GET /.well-known/jwks.json", ""},
	{matrixCells{Y, Y, Y, Y, Y, Y, Y, Y}, "issueToken", "POST /v1/auth/token", ""},
	{matrixCells{Y, Y, Y, Y, Y, Y, Y, Y}, "revokeToken", "POST /v1/auth/revoke", ""},
	{matrixCells{N, N, Y, Y, N, N, N, N}, "listUsers", "GET /v1/users", "principals:admin"},
	{matrixCells{N, N, Y, Y, N, N, N, N}, "createUser", "POST /v1/users", "principals:admin"},
	{matrixCells{N, N, Y, Y, N, N, N, N}, "getUser", "GET /v1/users/{user_id}", "principals:admin"},
	{matrixCells{N, N, Y, Y, N, N, N, N}, "updateUser", "PATCH /v1/users/{user_id}", "principals:admin"},
	{matrixCells{N, N, Y, Y, N, N, N, N}, "listApiClients", "GET /v1/api-clients", "principals:admin"},
	{matrixCells{N, N, Y, Y, N, N, N, N}, "createApiClient", "POST /v1/api-clients", "principals:admin"},
	{matrixCells{N, N, Y, Y, N, N, N, N}, "getApiClient", "GET /v1/api-clients/{api_client_id}", "principals:admin"},
	{matrixCells{N, N, Y, Y, N, N, N, N}, "revokeApiClient", "DELETE /v1/api-clients/{fresh_api_client_id}", "principals:admin"},
	{matrixCells{N, N, Y, Y, N, N, N, N}, "listWebhookSubscriptions", "GET /v1/webhook-subscriptions", "principals:admin"},
	{matrixCells{N, N, Y, Y, N, N, N, N}, "createWebhookSubscription", "POST /v1/webhook-subscriptions", "principals:admin"},
	{matrixCells{N, N, Y, Y, N, N, N, N}, "getWebhookSubscription", "GET /v1/webhook-subscriptions/{webhook_subscription_id}", "principals:admin"},
	{matrixCells{N, N, Y, Y, N, N, N, N}, "updateWebhookSubscription", "PATCH /v1/webhook-subscriptions/{webhook_subscription_id}", "principals:admin"},
	{matrixCells{N, N, Y, Y, N, N, N, N}, "rotateWebhookSecret", "POST /v1/webhook-subscriptions/{webhook_subscription_id}/rotate-secret", "principals:admin"},
	{matrixCells{N, N, Y, Y, N, N, N, N}, "pingWebhookSubscription", "POST /v1/webhook-subscriptions/{webhook_subscription_id}/ping", "principals:admin"},
	{matrixCells{N, N, Y, Y, N, N, N, N}, "listWebhookDeliveries", "GET /v1/webhook-subscriptions/{webhook_subscription_id}/deliveries", "principals:admin"},
	{matrixCells{N, N, Y, Y, N, N, N, N}, "redeliverWebhookDelivery", "POST /v1/webhook-subscriptions/{webhook_subscription_id}/deliveries/{webhook_delivery_id}/redeliver", "principals:admin"},
	{matrixCells{N, N, Y, Y, N, N, N, N}, "deleteWebhookSubscription", "DELETE /v1/webhook-subscriptions/{webhook_subscription_id}", "principals:admin"},
	{matrixCells{N, N, Y, Y, N, N, N, N}, "listAuditEvents", "GET /v1/audit-events", "audit:read"},
	{matrixCells{Y, Y, Y, Y, Y, N, N, N}, "listChanges", "GET /v1/changes", "participants:read"},
	{matrixCells{Y, Y, Y, Y, Y, N, N, N}, "listCohorts", "GET /v1/cohorts", "participants:read"},
	{matrixCells{N, Y, Y, Y, N, Y, N, N}, "createCohort", "POST /v1/cohorts", "participants:write"},
	{matrixCells{Y, Y, Y, Y, Y, N, N, N}, "getCohort", "GET /v1/cohorts/{cohort_id}", "participants:read"},
	{matrixCells{N, Y, Y, Y, N, Y, N, N}, "updateCohort", "PATCH /v1/cohorts/{cohort_id}", "participants:write"},
	{matrixCells{Y, Y, Y, Y, N, N, Y, N}, "listFundingAwards", "GET /v1/funding-awards", "organisations:read"},
	{matrixCells{N, N, N, Y, N, N, N, N}, "createFundingAward", "POST /v1/funding-awards", "catalogue:write"},
	{matrixCells{Y, Y, Y, Y, N, N, Y, N}, "getFundingAward", "GET /v1/funding-awards/{funding_award_id}", "organisations:read"},
	{matrixCells{N, N, N, Y, N, N, N, N}, "updateFundingAward", "PATCH /v1/funding-awards/{funding_award_id}", "catalogue:write"},
	{matrixCells{N, N, N, Y, N, N, N, N}, "deleteFundingAward", "DELETE /v1/funding-awards/{funding_award_id}", "catalogue:write"},
	{matrixCells{Y, Y, Y, Y, Y, N, N, N}, "listCaseStudies", "GET /v1/case-studies", "participants:read"},
	{matrixCells{N, Y, Y, Y, N, Y, N, N}, "createCaseStudy", "POST /v1/case-studies", "participants:write"},
	{matrixCells{Y, Y, Y, Y, Y, N, N, N}, "getCaseStudy", "GET /v1/case-studies/{case_study_id}", "participants:read"},
	{matrixCells{N, Y, Y, Y, N, Y, N, N}, "updateCaseStudy", "PATCH /v1/case-studies/{case_study_id}", "participants:write"},
	{matrixCells{N, Y, Y, Y, N, Y, N, N}, "publishCaseStudy", "POST /v1/case-studies/{case_study_id}/publish", "participants:write"},
	{matrixCells{N, Y, Y, Y, N, Y, N, N}, "deleteCaseStudy", "DELETE /v1/case-studies/{case_study_id}", "participants:write"},
	{matrixCells{Y, Y, Y, Y, N, N, Y, N}, "listGuidance", "GET /v1/guidance", "organisations:read"},
	{matrixCells{N, N, N, Y, N, N, N, N}, "createGuidance", "POST /v1/guidance", "catalogue:write"},
	{matrixCells{Y, Y, Y, Y, N, N, Y, N}, "getGuidance", "GET /v1/guidance/{guidance_id}", "organisations:read"},
	{matrixCells{N, N, N, Y, N, N, N, N}, "updateGuidance", "PATCH /v1/guidance/{guidance_id}", "catalogue:write"},
	{matrixCells{N, N, N, Y, N, N, N, N}, "deleteGuidance", "DELETE /v1/guidance/{guidance_id}", "catalogue:write"},
	{matrixCells{Y, Y, Y, Y, Y, Y, Y, Y}, "listPublicCaseStudies", "GET /public/case-studies", ""},
	{matrixCells{Y, Y, Y, Y, Y, Y, Y, Y}, "getPublicCaseStudy", "GET /public/case-studies/{published_case_study_id}", ""},
	{matrixCells{Y, Y, Y, Y, Y, Y, Y, Y}, "listPublicGuidance", "GET /public/guidance", ""},
	{matrixCells{Y, Y, Y, Y, Y, Y, Y, Y}, "getPublicGuidance", "GET /public/guidance/{public_guidance_id}", ""},
	{matrixCells{Y, Y, Y, Y, Y, Y, Y, Y}, "getCaseStudiesPage", "GET /directory/case-studies", ""},
	{matrixCells{Y, Y, Y, Y, Y, Y, Y, Y}, "getGuidancePage", "GET /directory/guidance", ""},
	{matrixCells{Y, Y, Y, Y, N, N, N, N}, "getHighlightReport", "GET /v1/funding-awards/{funding_award_id}/highlight-reports/{period}", "reports:read"},
	{matrixCells{Y, Y, Y, Y, N, N, N, N}, "getOutcomeReport", "GET /v1/reports/outcomes", "reports:read"},
	{matrixCells{Y, Y, Y, Y, N, N, N, N}, "getROIReport", "GET /v1/reports/roi", "reports:read"},
	{matrixCells{Y, Y, Y, Y, N, N, N, N}, "getActivityReport", "GET /v1/reports/activity", "reports:read"},
	{matrixCells{Y, Y, Y, Y, Y, N, N, N}, "listEnrolments", "GET /v1/enrolments", "participants:read"},
	{matrixCells{N, Y, Y, Y, N, Y, N, N}, "createEnrolment", "POST /v1/enrolments", "participants:write"},
	{matrixCells{Y, Y, Y, Y, Y, N, N, N}, "getEnrolment", "GET /v1/enrolments/{enrolment_id}", "participants:read"},
	{matrixCells{N, Y, Y, Y, N, Y, N, N}, "transitionEnrolment", "POST /v1/enrolments/{fresh_enrolment_id}/transitions", "participants:write"},
	{matrixCells{Y, Y, Y, Y, N, N, Y, N}, "listOrganisations", "GET /v1/organisations", "organisations:read"},
	{matrixCells{N, N, N, Y, N, N, N, N}, "createOrganisation", "POST /v1/organisations", "organisations:admin"},
	{matrixCells{Y, Y, Y, Y, N, N, Y, N}, "getOrganisation", "GET /v1/organisations/{organisation_id}", "organisations:read"},
	{matrixCells{N, N, Y, Y, N, N, N, N}, "updateOrganisation", "PATCH /v1/organisations/{organisation_id}", "organisations:write"},
	{matrixCells{Y, Y, Y, Y, N, N, Y, N}, "listOrganisationMembers", "GET /v1/organisations/{collaboration_id}/members", "organisations:read"},
	{matrixCells{N, N, N, Y, N, N, N, N}, "addOrganisationMember", "PUT /v1/organisations/{collaboration_id}/members/{member_id}", "organisations:admin"},
	{matrixCells{N, N, N, Y, N, N, N, N}, "removeOrganisationMember", "DELETE /v1/organisations/{collaboration_id}/members/{member_id}", "organisations:admin"},
	{matrixCells{Y, Y, Y, Y, N, N, Y, N}, "listProgrammes", "GET /v1/programmes", "organisations:read"},
	{matrixCells{N, N, N, Y, N, N, N, N}, "createProgramme", "POST /v1/programmes", "catalogue:write"},
	{matrixCells{Y, Y, Y, Y, N, N, Y, N}, "getProgramme", "GET /v1/programmes/{programme_id}", "organisations:read"},
	{matrixCells{N, N, N, Y, N, N, N, N}, "updateProgramme", "PATCH /v1/programmes/{programme_id}", "catalogue:write"},
	{matrixCells{Y, Y, Y, Y, Y, N, N, N}, "listPlacements", "GET /v1/placements", "participants:read"},
	{matrixCells{N, Y, Y, Y, N, Y, N, N}, "createPlacement", "POST /v1/placements", "participants:write"},
	{matrixCells{Y, Y, Y, Y, Y, N, N, N}, "getPlacement", "GET /v1/placements/{placement_id}", "participants:read"},
	{matrixCells{N, Y, Y, Y, N, Y, N, N}, "updatePlacement", "PATCH /v1/placements/{placement_id}", "participants:write"},
	{matrixCells{N, Y, Y, Y, N, Y, N, N}, "deletePlacement", "DELETE /v1/placements/{placement_id}", "participants:write"},
	{matrixCells{Y, Y, Y, Y, Y, N, N, N}, "listOutcomes", "GET /v1/outcomes", "participants:read"},
	{matrixCells{N, Y, Y, Y, N, Y, N, N}, "createOutcome", "POST /v1/outcomes", "participants:write"},
	{matrixCells{Y, Y, Y, Y, Y, N, N, N}, "getOutcome", "GET /v1/outcomes/{outcome_id}", "participants:read"},
	{matrixCells{N, Y, Y, Y, N, Y, N, N}, "updateOutcome", "PATCH /v1/outcomes/{outcome_id}", "participants:write"},
	{matrixCells{N, Y, Y, Y, N, Y, N, N}, "deleteOutcome", "DELETE /v1/outcomes/{outcome_id}", "participants:write"},
	{matrixCells{Y, Y, Y, Y, Y, N, N, N}, "listMentors", "GET /v1/mentors", "participants:read"},
	{matrixCells{N, Y, Y, Y, N, Y, N, N}, "createMentor", "POST /v1/mentors", "participants:write"},
	{matrixCells{Y, Y, Y, Y, Y, N, N, N}, "getMentor", "GET /v1/mentors/{mentor_id}", "participants:read"},
	{matrixCells{N, Y, Y, Y, N, Y, N, N}, "updateMentor", "PATCH /v1/mentors/{mentor_id}", "participants:write"},
	{matrixCells{N, Y, Y, Y, N, Y, N, N}, "deleteMentor", "DELETE /v1/mentors/{mentor_id}", "participants:write"},
	{matrixCells{Y, Y, Y, Y, Y, N, N, N}, "listMentoringMatches", "GET /v1/mentoring-matches", "participants:read"},
	{matrixCells{N, Y, Y, Y, N, Y, N, N}, "createMentoringMatch", "POST /v1/mentoring-matches", "participants:write"},
	{matrixCells{Y, Y, Y, Y, Y, N, N, N}, "getMentoringMatch", "GET /v1/mentoring-matches/{match_id}", "participants:read"},
	{matrixCells{N, Y, Y, Y, N, Y, N, N}, "updateMentoringMatch", "PATCH /v1/mentoring-matches/{match_id}", "participants:write"},
	{matrixCells{N, Y, Y, Y, N, Y, N, N}, "deleteMentoringMatch", "DELETE /v1/mentoring-matches/{match_id}", "participants:write"},
	{matrixCells{Y, Y, Y, Y, Y, N, N, N}, "listVacancies", "GET /v1/vacancies", "participants:read"},
	{matrixCells{N, Y, Y, Y, N, Y, N, N}, "createVacancy", "POST /v1/vacancies", "participants:write"},
	{matrixCells{Y, Y, Y, Y, Y, N, N, N}, "getVacancy", "GET /v1/vacancies/{vacancy_id}", "participants:read"},
	{matrixCells{N, Y, Y, Y, N, Y, N, N}, "updateVacancy", "PATCH /v1/vacancies/{vacancy_id}", "participants:write"},
	{matrixCells{N, Y, Y, Y, N, Y, N, N}, "deleteVacancy", "DELETE /v1/vacancies/{vacancy_id}", "participants:write"},
	{matrixCells{Y, Y, Y, Y, Y, N, N, N}, "listInterviews", "GET /v1/interviews", "participants:read"},
	{matrixCells{N, Y, Y, Y, N, Y, N, N}, "createInterview", "POST /v1/interviews", "participants:write"},
	{matrixCells{Y, Y, Y, Y, Y, N, N, N}, "getInterview", "GET /v1/interviews/{interview_id}", "participants:read"},
	{matrixCells{N, Y, Y, Y, N, Y, N, N}, "updateInterview", "PATCH /v1/interviews/{interview_id}", "participants:write"},
	{matrixCells{N, Y, Y, Y, N, Y, N, N}, "deleteInterview", "DELETE /v1/interviews/{interview_id}", "participants:write"},
	{matrixCells{Y, Y, Y, Y, Y, N, N, N}, "listCheckIns", "GET /v1/mentoring-matches/{match_id}/check-ins", "participants:read"},
	{matrixCells{N, Y, Y, Y, N, Y, N, N}, "createCheckIn", "POST /v1/mentoring-matches/{match_id}/check-ins", "participants:write"},
	{matrixCells{N, Y, Y, Y, N, Y, N, N}, "makePeerMentor", "POST /v1/participants/{participant_id}/peer-mentor", "participants:write"},
	{matrixCells{Y, Y, Y, Y, Y, N, N, N}, "getParticipantTimeline", "GET /v1/participants/{participant_id}/timeline", "participants:read"},
	{matrixCells{Y, Y, Y, Y, Y, N, N, N}, "listParticipants", "GET /v1/participants", "participants:read"},
	{matrixCells{N, Y, Y, Y, N, Y, N, N}, "createParticipant", "POST /v1/participants", "participants:write"},
	{matrixCells{Y, Y, Y, Y, Y, N, N, N}, "getParticipant", "GET /v1/participants/{participant_id}", "participants:read"},
	{matrixCells{N, Y, Y, Y, N, Y, N, N}, "updateParticipant", "PATCH /v1/participants/{participant_id}", "participants:write"},
	{matrixCells{N, Y, Y, Y, N, Y, N, N}, "eraseParticipant", "DELETE /v1/participants/{fresh_participant_id}", "participants:write"},
	{matrixCells{N, Y, Y, Y, N, N, N, N}, "createImport", "POST /v1/imports", "imports:write"},
	{matrixCells{N, Y, Y, Y, N, N, N, N}, "getImport", "GET /v1/imports/{import_id}", "imports:write"},
	{matrixCells{N, Y, Y, Y, N, N, N, N}, "listImportErrors", "GET /v1/imports/{import_id}/errors", "imports:write"},
}

// matrixBodies are the request bodies, by operation; {name} stands for the caller's value.
var matrixBodies = map[string]struct{ contentType, body string }{
	"issueToken":          {"application/x-www-form-urlencoded", "grant_type=password&username={signin_email}&password={signin_password}"},
	"revokeToken":         {"application/x-www-form-urlencoded", "token=not-a-refresh-token"},
	"createUser":          {"application/json", `{"email":"matrix-{unique}@example.org","password":"long enough password","role":"viewer","organisation_id":"{organisation_id}"}`},
	"updateUser":          {"application/merge-patch+json", `{"enabled":true}`},
	"createApiClient":     {"application/json", `{"name":"Matrix {unique}","organisation_id":"{organisation_id}","scopes":["participants:read"]}`},
	"createCohort":        {"application/json", `{"programme_id":"{cohort_programme_id}","organisation_id":"{organisation_id}","name":"Matrix {unique}","starts_on":"2030-06-03","ends_on":"2030-06-28","capacity":1000}`},
	"updateCohort":        {"application/merge-patch+json", `{"name":"Renamed {unique}"}`},
	"createEnrolment":     {"application/json", `{"cohort_id":"{cohort_id}","participant_id":"{fresh_participant_id}"}`},
	"transitionEnrolment": {"application/json", `{"to":"withdrawn","reason":"Moved away"}`},
	"createOrganisation":  {"application/json", `{"kind":"trust","name":"Matrix {unique}","region":"london"}`},
	"updateOrganisation":  {"application/merge-patch+json", `{"name":"Renamed {unique}"}`},
	"createProgramme":     {"application/json", `{"code":"matrix_{unique}","name":"Matrix {unique}","category":"mentoring","min_age":16,"requires_benefit":false}`},
	"updateProgramme":     {"application/merge-patch+json", `{"description":"Changed by {unique}"}`},
	"createParticipant":   {"application/json", `{"organisation_id":"{organisation_id}","given_name":"Matrix","family_name":"Cell","date_of_birth":"2000-01-01"}`},
	"updateParticipant":   {"application/merge-patch+json", `{"given_name":"Changed"}`},
	"createPlacement": {"application/json", `{"enrolment_id":"{placed_enrolment_id}","kind":"placement","host_department":"Matrix {unique}",` +
		`"role_area":"estates","starts_on":"2030-06-03","ends_on":"2030-06-07"}`},
	"updatePlacement": {"application/merge-patch+json", `{"site":"Site {unique}"}`},
	"createOutcome":   {"application/json", `{"participant_id":"{participant_id}","destination":"volunteering","ilr_code":"VOL1"}`},
	"updateOutcome":   {"application/merge-patch+json", `{"employer":"Matrix {unique}"}`},
	"createMentor":    {"application/json", `{"organisation_id":"{organisation_id}","kind":"professional","given_name":"Matrix","family_name":"{unique}"}`},
	"updateMentor":    {"application/merge-patch+json", `{"family_name":"Renamed {unique}"}`},
	"createMentoringMatch": {"application/json", `{"mentor_id":"{mentor_id}","participant_id":"{participant_id}",` +
		`"starts_on":"2030-06-03","planned_end_on":"2030-09-03"}`},
	"updateMentoringMatch": {"application/merge-patch+json", `{"planned_end_on":"2030-10-03"}`},
	"createCheckIn":        {"application/json", `{"held_on":"2030-06-10","minutes":30,"mode":"video"}`},
	"makePeerMentor":       {"application/json", `{}`},
	"createImport":         {"text/csv", "organisation_id,given_name,family_name,date_of_birth\n"},
	"createVacancy":        {"application/json", `{"organisation_id":"{organisation_id}","employer_name":"Matrix {unique}","role":"Porter","closing_on":"2030-07-01"}`},
	"updateVacancy":        {"application/merge-patch+json", `{"band":"Band {unique}"}`},
	"createInterview":      {"application/json", `{"vacancy_id":"{vacancy_id}","participant_id":"{participant_id}","held_on":"2030-06-20"}`},
	"updateInterview":      {"application/merge-patch+json", `{"result":"offered"}`},
	"createFundingAward": {"application/json", `{"organisation_id":"{awardee_id}","programme_id":"{cohort_programme_id}","tender_round":"2999/00",` +
		`"years":[{"amount_pence":3,"min_participants":1},{"amount_pence":2,"min_participants":1},{"amount_pence":1,"min_participants":1}]}`},
	"createCaseStudy": {"application/json", `{"organisation_id":"{awardee_id}","programme_id":"{cohort_programme_id}","title":"Matrix {unique}",` +
		`"summary":"A story","body_markdown":"**Hired**"}`},
	"updateCaseStudy":    {"application/merge-patch+json", `{"title":"Renamed {unique}"}`},
	"createGuidance":     {"application/json", `{"title":"Matrix {unique}","audience":"individuals","topic":"interviews","body_markdown":"Prepare"}`},
	"updateGuidance":     {"application/merge-patch+json", `{"title":"Renamed {unique}"}`},
	"updateFundingAward": {"application/merge-patch+json", `{"years":[{"amount_pence":3,"min_participants":1},{"amount_pence":2,"min_participants":1},{"amount_pence":1,"min_participants":1}]}`},

	"createWebhookSubscription": {"application/json", `{"url":"https://93.184.216.34/matrix/{unique}","event_types":["*"]}`},
	"updateWebhookSubscription": {"application/merge-patch+json", `{"event_types":["outcome.*"]}`},
}

// matrixCaller is one column's principal and the records of its own organisation.
type matrixCaller struct {
	token string
	admin string // an admin of the caller's organisation, to make records a call may consume
	org   uuid.UUID
	vars  map[string]string
}

var pathParam = regexp.MustCompile(`\{[a-z_]+\}`)

// TestMatrixOfRolesAndScopes calls every operation of openapi.yaml as every kind of principal,
// against records the principal can see, and checks that exactly the table's cells are refused.
func TestMatrixOfRolesAndScopes(t *testing.T) {
	t.Parallel()
	checkMatrixCoversTheContract(t)

	env := apitest.New(t)
	nat, national := env.NationalAdmin(t)
	trust := env.Organisation(t, domain.KindTrust, "Riverside NHS Trust")
	joiner := env.Organisation(t, domain.KindTrust, "Hillside NHS Trust")
	collab := env.Organisation(t, domain.KindCollaboration, "North West Collaboration")
	orgAdmin := env.User(t, trust.ID, domain.RoleOrgAdmin)
	coordinator := env.User(t, trust.ID, domain.RoleCoordinator)
	_, signinEmail := mustCreateUserVia(t, env, orgAdmin, trust.ID, domain.RoleViewer)
	var programmeID string
	if err := env.DB.SQL().QueryRow(`SELECT id FROM programmes ORDER BY code LIMIT 1`).Scan(&programmeID); err != nil {
		t.Fatal(err)
	}

	// records makes the records of org that the calls name, as that organisation's admin.
	records := func(org uuid.UUID, admin, writer string) map[string]string {
		target, _ := mustCreateUserVia(t, env, admin, org, domain.RoleViewer)
		participant := mustCreateParticipant(t, env, writer, apitest.ParticipantBody(t, org)).ID
		cohort := matrixCohort(t, env, writer, org)
		placed := env.MustCreate(t, "/v1/enrolments", writer, `{"cohort_id":"`+cohort+`","participant_id":"`+
			mustCreateParticipant(t, env, writer, apitest.ParticipantBody(t, org)).ID+`","status":"enrolled"}`)

		mentor := env.MustCreate(t, "/v1/mentors", writer, `{"organisation_id":"`+org.String()+`","kind":"professional","given_name":"Matrix","family_name":"Mentor"}`)
		vacancy := env.MustCreate(t, "/v1/vacancies", writer, `{"organisation_id":"`+org.String()+`","employer_name":"Matrix","role":"Porter","closing_on":"2030-07-01"}`)
		webhook := env.MustCreate(t, "/v1/webhook-subscriptions", admin, `{"url":"https://93.184.216.34/matrix","event_types":["*"]}`)
		var webhookDelivery struct{ ID string }
		env.Do(t, http.MethodPost, "/v1/webhook-subscriptions/"+webhook+"/ping", admin, "").Decode(t, &webhookDelivery)
		return map[string]string{
			"mentor_id": mentor,
			"match_id": env.MustCreate(t, "/v1/mentoring-matches", writer, `{"mentor_id":"`+mentor+`","participant_id":"`+participant+
				`","starts_on":"2030-06-03","planned_end_on":"2030-09-03"}`),

			"vacancy_id":          vacancy,
			"interview_id":        env.MustCreate(t, "/v1/interviews", writer, `{"vacancy_id":"`+vacancy+`","participant_id":"`+participant+`","held_on":"2030-06-20"}`),
			"placed_enrolment_id": placed,
			"placement_id": env.MustCreate(t, "/v1/placements", writer, `{"enrolment_id":"`+placed+`","kind":"work_experience",`+
				`"host_department":"Estates","role_area":"estates","starts_on":"2030-06-03","ends_on":"2030-06-07"}`),

			"outcome_id":          env.MustCreate(t, "/v1/outcomes", writer, `{"participant_id":"`+participant+`","destination":"none","ilr_code":"NPE1"}`),
			"organisation_id":     org.String(),
			"collaboration_id":    org.String(),
			"member_id":           org.String(),
			"programme_id":        programmeID,
			"cohort_programme_id": workExperienceProgramme,
			"user_id":             target.ID,
			"api_client_id":       registerClient(t, env, admin, org, "participants:read").ID,

			"webhook_subscription_id": webhook,
			"webhook_delivery_id":     webhookDelivery.ID,

			"participant_id":  participant,
			"cohort_id":       cohort,
			"enrolment_id":    matrixEnrolment(t, env, writer, cohort, participant),
			"signin_email":    signinEmail,
			"signin_password": principalsPassword,
			"import_id":       uuid.NewString(), // none: an allowed call answers 404, a refused one 403
		}
	}
	trustVars := records(trust.ID, orgAdmin, coordinator)
	nationalVars := records(nat.ID, national, national)
	// Funding awards go to trusts: the national team reads and writes the trust's.
	trustVars["funding_award_id"] = mustAward(t, env, national, trust.ID.String(), workExperienceProgramme)
	trustVars["awardee_id"] = trust.ID.String()
	nationalVars["funding_award_id"], nationalVars["awardee_id"] = trustVars["funding_award_id"], trust.ID.String()
	trustVars["period"], nationalVars["period"] = "year-1", "year-1"
	// Case studies are a trust's: the national team reads and writes the trust's. Guidance is
	// the national team's, read by everyone; the public operations read a published case study
	// and an entry of guidance that no call deletes.
	trustVars["case_study_id"] = env.MustCreate(t, "/v1/case-studies", coordinator, apitest.JSON(t, "organisation_id", trust.ID.String(),
		"programme_id", workExperienceProgramme, "title", "Matrix", "summary", "A story", "body_markdown", "**Hired**"))
	nationalVars["case_study_id"] = trustVars["case_study_id"]
	trustVars["published_case_study_id"] = env.MustCreate(t, "/v1/case-studies", coordinator, apitest.JSON(t, "organisation_id", trust.ID.String(),
		"programme_id", workExperienceProgramme, "title", "Published", "summary", "A story", "body_markdown", "**Hired**", "status", "published"))
	nationalVars["published_case_study_id"] = trustVars["published_case_study_id"]
	guidanceBody := apitest.JSON(t, "title", "Matrix", "audience", "individuals", "topic", "interviews", "body_markdown", "Prepare")
	trustVars["guidance_id"] = env.MustCreate(t, "/v1/guidance", national, guidanceBody)
	trustVars["public_guidance_id"] = env.MustCreate(t, "/v1/guidance", national, guidanceBody)
	nationalVars["guidance_id"], nationalVars["public_guidance_id"] = trustVars["guidance_id"], trustVars["public_guidance_id"]
	// The national team manages collaborations: its membership calls name one and a trust.
	nationalVars["collaboration_id"], nationalVars["member_id"] = collab.ID.String(), joiner.ID.String()

	var callers [callerKinds]matrixCaller
	trustCaller := func(token string) matrixCaller {
		return matrixCaller{token: token, admin: orgAdmin, org: trust.ID, vars: trustVars}
	}
	callers[asViewer] = trustCaller(env.User(t, trust.ID, domain.RoleViewer))
	callers[asCoordinator] = trustCaller(coordinator)
	callers[asOrgAdmin] = trustCaller(orgAdmin)
	callers[asNationalAdmin] = matrixCaller{token: national, admin: national, org: nat.ID, vars: nationalVars}
	callers[asClientParticipantsRead] = trustCaller(clientToken(t, env, registerClient(t, env, orgAdmin, trust.ID, "participants:read")))
	callers[asClientParticipantsWrite] = trustCaller(clientToken(t, env, registerClient(t, env, orgAdmin, trust.ID, "participants:write")))
	callers[asClientOrganisationsRead] = trustCaller(clientToken(t, env, registerClient(t, env, orgAdmin, trust.ID, "organisations:read")))
	callers[asNoToken] = trustCaller("")

	serial := 0
	for _, row := range roleScopeMatrix {
		method, path, _ := strings.Cut(row.route, " ")
		for col, allowed := range row.cells {
			caller := callers[col]
			t.Run(row.op+"/"+callerNames[col], func(t *testing.T) {
				serial++
				vars := map[string]string{"unique": "c" + strconv.Itoa(serial)}
				for k, v := range caller.vars {
					vars[k] = v
				}
				// Calls that consume their record get a fresh one of the caller's organisation.
				wants := func(name string) bool {
					return strings.Contains(path, "{"+name+"}") || strings.Contains(matrixBodies[row.op].body, "{"+name+"}")
				}
				if wants("fresh_participant_id") || wants("fresh_enrolment_id") {
					vars["fresh_participant_id"] = mustCreateParticipant(t, env, caller.admin, apitest.ParticipantBody(t, caller.org)).ID
				}
				if wants("fresh_enrolment_id") {
					vars["fresh_enrolment_id"] = matrixEnrolment(t, env, caller.admin, vars["cohort_id"], vars["fresh_participant_id"])
				}
				if wants("fresh_api_client_id") {
					vars["fresh_api_client_id"] = registerClient(t, env, caller.admin, caller.org, "participants:read").ID
				}
				fill := func(s string, escape func(string) string) string {
					return pathParam.ReplaceAllStringFunc(s, func(name string) string {
						v, ok := vars[strings.Trim(name, "{}")]
						if !ok {
							t.Fatalf("no value for %s", name)
						}
						return escape(v)
					})
				}
				var headers []string
				body := ""
				if b, ok := matrixBodies[row.op]; ok {
					escape := func(s string) string { return s }
					if b.contentType == "application/x-www-form-urlencoded" {
						escape = url.QueryEscape
					}
					body = fill(b.body, escape)
					headers = []string{"Content-Type", b.contentType}
				}
				res := env.Do(t, method, fill(path, url.PathEscape), caller.token, body, headers...)
				switch {
				case allowed && (res.Status == http.StatusUnauthorized || res.Status == http.StatusForbidden):
					t.Errorf("allowed, but answered %d: %s", res.Status, res.Body)
				case allowed && res.Status >= 500:
					t.Errorf("allowed, but the server failed: %d %s", res.Status, res.Body)
				case allowed:
					// Any other answer: authorisation let the call through.
				case col == asNoToken:
					if res.Status != http.StatusUnauthorized {
						t.Fatalf("no token: %d, want 401: %s", res.Status, res.Body)
					}
					res.Problem(t)
				default:
					if res.Status != http.StatusForbidden {
						t.Fatalf("refused, but answered %d: %s", res.Status, res.Body)
					}
					if p := res.Problem(t); !strings.Contains(p.Detail, row.scope) {
						t.Errorf("the refusal %q does not name the missing scope %s", p.Detail, row.scope)
					}
				}
			})
		}
	}
}

// matrixCohort plans a cohort of Work experience at org.
func matrixCohort(t *testing.T, env *apitest.Env, token string, org uuid.UUID) string {
	t.Helper()
	return env.MustCreate(t, "/v1/cohorts", token, `{"programme_id":"`+workExperienceProgramme+`","organisation_id":"`+org.String()+
		`","name":"Matrix cohort","starts_on":"2030-06-03","ends_on":"2030-06-28","capacity":1000}`)

}

// matrixEnrolment refers participant to cohort.
func matrixEnrolment(t *testing.T, env *apitest.Env, token, cohort, participant string) string {
	t.Helper()
	return env.MustCreate(t, "/v1/enrolments", token, `{"cohort_id":"`+cohort+`","participant_id":"`+participant+`"}`)
}

// checkMatrixCoversTheContract fails when an operation of openapi.yaml has no row, a row names
// no operation, or a row's route or scope differs from the contract's.
func checkMatrixCoversTheContract(t *testing.T) {
	t.Helper()
	doc, err := api.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]matrixRow{}
	for _, row := range roleScopeMatrix {
		key := strings.ToLower(row.op)
		if _, dup := rows[key]; dup {
			t.Errorf("operation %s has two rows", row.op)
		}
		rows[key] = row
	}
	for key, body := range matrixBodies {
		if _, ok := rows[strings.ToLower(key)]; !ok {
			t.Errorf("a body for %s, which has no row (%s)", key, body.body)
		}
	}
	normal := func(path string) string { return pathParam.ReplaceAllString(path, "{}") }
	seen := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			key := strings.ToLower(op.OperationID)
			seen[key] = true
			row, ok := rows[key]
			if !ok {
				t.Errorf("operation %s (%s %s) has no row in the matrix: add one", op.OperationID, method, path)
				continue
			}
			if want := method + " " + normal(path); normal(row.route) != want {
				t.Errorf("%s: the row says %s, openapi.yaml %s %s", row.op, row.route, method, path)
			}
			reqs := doc.Security
			if op.Security != nil {
				reqs = *op.Security
			}
			var scopes []string
			for _, req := range reqs {
				for _, s := range req {
					scopes = append(scopes, s...)
				}
			}
			switch {
			case len(reqs) == 0 && row.scope != "":
				t.Errorf("%s: openapi.yaml makes it public, the row needs %s", row.op, row.scope)
			case len(reqs) != 0 && !slices.Equal(scopes, []string{row.scope}):
				t.Errorf("%s: openapi.yaml needs %v, the row %q", row.op, scopes, row.scope)
			}
			if len(reqs) == 0 && slices.Contains(row.cells[:], N) {
				t.Errorf("%s is public, but the row refuses someone", row.op)
			}
		}
	}
	for key, row := range rows {
		if !seen[key] {
			t.Errorf("the row %s names no operation of openapi.yaml", row.op)
		}
	}
}
