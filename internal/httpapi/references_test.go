package httpapi_test

import (
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
)

// A request body names other records by id. Tenancy asks that an id of a record the caller
// cannot see answers exactly as an id of nothing: the same 422 naming the same field with the
// same message, and nothing written. A different answer, a 201 or a 409, tells a trust which
// ids exist elsewhere.

// notReferences are the request-body properties ending in _id that name no record of p4w, by
// operationId and property, with why.
var notReferences = map[string]string{
	"issueToken client_id": "the OAuth client identifier a client signs in with, answered by RFC 6749's errors",
}

// referenceCase is one reference field of one body: the request with ref in that field, the
// id of another trust's record of the kind it names (or, for a shared directory, another trust's
// record of another kind), and the count that must not move when the request is refused.
type referenceCase struct {
	op, field string
	method    string
	path      string
	token     string
	body      func(ref string) string
	foreign   string
	within    string // an id of a record the caller may refer to
	written   string // a query of one integer that a write would change
	args      []any
}

func (c referenceCase) name() string { return c.op + " " + c.field }

// referencesWorld is trust A, whose users send the requests, with a record of every kind to
// refer to; and trust B, with a record of every kind out of A's reach.
type referencesWorld struct {
	env         *apitest.Env
	a, b        trustWorld
	aAdmin      string
	natAdmin    string
	participant string // trust A's participant, enrolled in cohort
	fresh       string // trust A's participant in no cohort
	cohort      string // trust A's cohort, 2027-01-04 to 2027-01-29
	enrolment   string // participant's enrolment in cohort, enrolled
	mentor      string
	vacancy     string
	programme   string // a programme of the catalogue delivered by the Prince's Trust

	storyteller string // trust A's participant who agreed to case studies
	caseStudy   string // trust A's draft case study

	bParticipant, bCohort, bEnrolment, bMentor, bVacancy string
	award, bAward                                        string // Work experience awards of trust A and of trust B
}

func newReferencesWorld(t *testing.T) referencesWorld {
	t.Helper()
	env := apitest.New(t)
	w := referencesWorld{env: env, a: newTrustWorld(t, env, "Referring NHS Trust"), b: newTrustWorld(t, env, "Hidden NHS Trust")}
	w.aAdmin = env.User(t, w.a.trust.ID, domain.RoleOrgAdmin)
	_, w.natAdmin = env.NationalAdmin(t)
	w.participant, w.cohort, w.enrolment = w.a.enrolled(t)
	w.fresh = w.a.participant(t)
	w.mentor = mustCreateMentor(t, env, w.a.token, w.a.trust.ID, "professional", "Mo", "Mentor").ID
	w.vacancy = w.a.mustID(t, "/v1/vacancies", vacancyBody(w.a.trust.ID))
	w.programme = env.MustCreate(t, "/v1/programmes", w.natAdmin, programmeBody(princesTrustOrg))
	w.bParticipant, w.bCohort, w.bEnrolment = w.b.enrolled(t)
	w.bMentor = mustCreateMentor(t, env, w.b.token, w.b.trust.ID, "professional", "Bo", "Mentor").ID
	w.bVacancy = w.b.mustID(t, "/v1/vacancies", vacancyBody(w.b.trust.ID))
	w.award = mustAward(t, env, w.natAdmin, w.a.trust.ID.String(), workExperienceProgramme)
	w.bAward = mustAward(t, env, w.natAdmin, w.b.trust.ID.String(), workExperienceProgramme)
	w.storyteller = w.a.mustID(t, "/v1/participants", apitest.ParticipantBody(t, w.a.trust.ID,
		"consent", map[string]bool{"processing": true, "case_study": true}))
	w.caseStudy = w.a.mustID(t, "/v1/case-studies", caseStudyBody(t, w.a.trust.ID.String()))
	return w
}

// referenceCases are the cases of every reference field of every create and patch body.
func referenceCases(t *testing.T, w referencesWorld) []referenceCase {
	a, b := w.a.trust.ID.String(), w.b.trust.ID.String()
	count := func(table string) string { return "SELECT count(*)::int FROM " + table }
	post := func(op, field, path, token, foreign, within, table string, body func(string) string) referenceCase {
		return referenceCase{op: op, field: field, method: http.MethodPost, path: path, token: token, body: body,
			foreign: foreign, within: within, written: count(table)}
	}
	cohort := func(kv ...any) string {
		return cohortBody(t, a, workExperienceProgramme, "2027-01-04", "2027-01-29", 20, kv...)
	}
	vacancy := func(kv ...any) string {
		return apitest.JSON(t, append([]any{"organisation_id", a, "employer_name", "Estates " + apitest.Unique(),
			"employer_organisation_id", a, "role", "Porter", "closing_on", "2027-02-01"}, kv...)...)
	}
	interview := func(kv ...any) string {
		return apitest.JSON(t, append([]any{"vacancy_id", w.vacancy, "participant_id", w.participant,
			"enrolment_id", w.enrolment, "held_on", "2027-01-20"}, kv...)...)
	}
	match := func(kv ...any) string {
		return apitest.JSON(t, append([]any{"mentor_id", w.mentor, "participant_id", w.participant, "enrolment_id", w.enrolment,
			"starts_on", "2027-01-04", "planned_end_on", "2027-05-04"}, kv...)...)
	}
	return []referenceCase{
		post("createApiClient", "organisation_id", "/v1/api-clients", w.aAdmin, b, a, "api_clients", func(ref string) string {
			return apitest.JSON(t, "name", "Client "+apitest.Unique(), "organisation_id", ref, "scopes", []string{"participants:read"})
		}),
		post("createWebhookSubscription", "organisation_id", "/v1/webhook-subscriptions", w.aAdmin, b, a, "webhook_subscriptions", func(ref string) string {
			return apitest.JSON(t, "organisation_id", ref, "url", "https://93.184.216.34/hook", "event_types", []string{"*"})
		}),
		post("createUser", "organisation_id", "/v1/users", w.aAdmin, b, a, "users", func(ref string) string {
			return apitest.JSON(t, "email", "ref-"+apitest.Unique()+"@example.org", "password", apitest.Password,
				"role", "coordinator", "organisation_id", ref)
		}),
		post("createParticipant", "organisation_id", "/v1/participants", w.a.token, b, a, "participants", func(ref string) string {
			return apitest.ParticipantBody(t, uuid.MustParse(ref))
		}),
		post("createCohort", "organisation_id", "/v1/cohorts", w.a.token, b, a, "cohorts", func(ref string) string {
			return cohort("organisation_id", ref)
		}),
		// The catalogue is shared: another trust's record of another kind is as foreign as it gets.
		post("createCohort", "programme_id", "/v1/cohorts", w.a.token, w.bCohort, workExperienceProgramme, "cohorts", func(ref string) string {
			return cohort("programme_id", ref)
		}),
		// Partners are a shared directory: another trust's organisation is no partner.
		post("createCohort", "delivery_partner_id", "/v1/cohorts", w.a.token, b, princesTrustOrg, "cohorts", func(ref string) string {
			return cohort("delivery_partner_id", ref)
		}),
		{op: "updateCohort", field: "delivery_partner_id", method: http.MethodPatch, path: "/v1/cohorts/" + w.cohort, token: w.a.token,
			body:    func(ref string) string { return apitest.JSON(t, "delivery_partner_id", ref) },
			foreign: b, within: princesTrustOrg, written: "SELECT version::int FROM cohorts WHERE id = $1", args: []any{w.cohort}},
		post("createCohort", "funding_award_id", "/v1/cohorts", w.a.token, w.bAward, w.award, "cohorts", func(ref string) string {
			return cohort("funding_award_id", ref)
		}),
		{op: "updateCohort", field: "funding_award_id", method: http.MethodPatch, path: "/v1/cohorts/" + w.cohort, token: w.a.token,
			body:    func(ref string) string { return apitest.JSON(t, "funding_award_id", ref) },
			foreign: w.bAward, within: w.award, written: "SELECT version::int FROM cohorts WHERE id = $1", args: []any{w.cohort}},
		// The national team sees every organisation: a partner receives no award.
		post("createFundingAward", "organisation_id", "/v1/funding-awards", w.natAdmin, princesTrustOrg, a, "funding_awards", func(ref string) string {
			return awardBody(t, ref, workExperienceProgramme, newTenderRound())
		}),
		post("createFundingAward", "programme_id", "/v1/funding-awards", w.natAdmin, a, workExperienceProgramme, "funding_awards", func(ref string) string {
			return awardBody(t, a, ref, newTenderRound())
		}),
		post("createEnrolment", "cohort_id", "/v1/enrolments", w.a.token, w.bCohort, w.cohort, "enrolments", func(ref string) string {
			return apitest.JSON(t, "cohort_id", ref, "participant_id", w.fresh)
		}),
		post("createEnrolment", "participant_id", "/v1/enrolments", w.a.token, w.bParticipant, w.fresh, "enrolments", func(ref string) string {
			return apitest.JSON(t, "cohort_id", w.cohort, "participant_id", ref)
		}),
		post("createPlacement", "enrolment_id", "/v1/placements", w.a.token, w.bEnrolment, w.enrolment, "placements", func(ref string) string {
			return placementBody(t, ref)
		}),
		post("createOutcome", "participant_id", "/v1/outcomes", w.a.token, w.bParticipant, w.participant, "outcomes", func(ref string) string {
			return outcomeBody(t, ref)
		}),
		post("createOutcome", "enrolment_id", "/v1/outcomes", w.a.token, w.bEnrolment, w.enrolment, "outcomes", func(ref string) string {
			return outcomeBody(t, w.participant, "enrolment_id", ref)
		}),
		post("createMentor", "organisation_id", "/v1/mentors", w.a.token, b, a, "mentors", func(ref string) string {
			return apitest.JSON(t, "organisation_id", ref, "kind", "professional", "given_name", "Mo", "family_name", "Mentor")
		}),
		post("createMentoringMatch", "mentor_id", "/v1/mentoring-matches", w.a.token, w.bMentor, w.mentor, "mentoring_matches", func(ref string) string {
			return match("mentor_id", ref)
		}),
		post("createMentoringMatch", "participant_id", "/v1/mentoring-matches", w.a.token, w.bParticipant, w.participant, "mentoring_matches", func(ref string) string {
			return match("participant_id", ref, "enrolment_id", apitest.Absent)
		}),
		post("createMentoringMatch", "enrolment_id", "/v1/mentoring-matches", w.a.token, w.bEnrolment, w.enrolment, "mentoring_matches", func(ref string) string {
			return match("enrolment_id", ref)
		}),
		post("createVacancy", "organisation_id", "/v1/vacancies", w.a.token, b, a, "vacancies", func(ref string) string {
			return vacancy("organisation_id", ref)
		}),
		post("createVacancy", "employer_organisation_id", "/v1/vacancies", w.a.token, b, a, "vacancies", func(ref string) string {
			return vacancy("employer_organisation_id", ref)
		}),
		post("createInterview", "vacancy_id", "/v1/interviews", w.a.token, w.bVacancy, w.vacancy, "interviews", func(ref string) string {
			return interview("vacancy_id", ref)
		}),
		post("createInterview", "participant_id", "/v1/interviews", w.a.token, w.bParticipant, w.participant, "interviews", func(ref string) string {
			return interview("participant_id", ref, "enrolment_id", apitest.Absent)
		}),
		post("createInterview", "enrolment_id", "/v1/interviews", w.a.token, w.bEnrolment, w.enrolment, "interviews", func(ref string) string {
			return interview("enrolment_id", ref)
		}),
		// The catalogue is the national team's, who may see every trust: a trust is no partner.
		post("createProgramme", "delivery_partner_id", "/v1/programmes", w.natAdmin, a, princesTrustOrg, "programmes", func(ref string) string {
			return programmeBody(ref)
		}),
		{op: "updateProgramme", field: "delivery_partner_id", method: http.MethodPatch, path: "/v1/programmes/" + w.programme, token: w.natAdmin,
			body:    func(ref string) string { return apitest.JSON(t, "delivery_partner_id", ref) },
			foreign: a, within: princesTrustOrg, written: "SELECT version::int FROM programmes WHERE id = $1", args: []any{w.programme}},
		post("createCaseStudy", "organisation_id", "/v1/case-studies", w.a.token, b, a, "case_studies", func(ref string) string {
			return caseStudyBody(t, ref)
		}),
		// The catalogue is shared: another trust's record of another kind is as foreign as it gets.
		post("createCaseStudy", "programme_id", "/v1/case-studies", w.a.token, w.bCohort, workExperienceProgramme, "case_studies", func(ref string) string {
			return caseStudyBody(t, a, "programme_id", ref)
		}),
		post("createCaseStudy", "participant_id", "/v1/case-studies", w.a.token, w.bParticipant, w.storyteller, "case_studies", func(ref string) string {
			return caseStudyBody(t, a, "participant_id", ref)
		}),
		{op: "updateCaseStudy", field: "participant_id", method: http.MethodPatch, path: "/v1/case-studies/" + w.caseStudy, token: w.a.token,
			body:    func(ref string) string { return apitest.JSON(t, "participant_id", ref) },
			foreign: w.bParticipant, within: w.storyteller, written: "SELECT version::int FROM case_studies WHERE id = $1", args: []any{w.caseStudy}},
		{op: "updateCaseStudy", field: "programme_id", method: http.MethodPatch, path: "/v1/case-studies/" + w.caseStudy, token: w.a.token,
			body:    func(ref string) string { return apitest.JSON(t, "programme_id", ref) },
			foreign: w.bCohort, within: workExperienceProgramme, written: "SELECT version::int FROM case_studies WHERE id = $1", args: []any{w.caseStudy}},
	}
}

func (c referenceCase) send(t *testing.T, env *apitest.Env, ref string) apitest.Response {
	t.Helper()
	if c.method == http.MethodPatch {
		return env.Patch(t, c.path, c.token, c.body(ref))
	}
	return env.Do(t, c.method, c.path, c.token, c.body(ref))
}

func TestReferencesOutOfReachAnswerAsReferencesToNothing(t *testing.T) {
	t.Parallel()
	w := newReferencesWorld(t)
	cases := referenceCases(t, w)
	checkReferenceCasesCoverTheContract(t, cases)
	for _, c := range cases {
		t.Run(c.name(), func(t *testing.T) {
			before := w.env.MustQueryInt(t, c.written, c.args...)
			audited := w.env.MustQueryInt(t, `SELECT count(*)::int FROM audit_events`)

			foreign := c.send(t, w.env, c.foreign)
			random := c.send(t, w.env, uuid.NewString())

			if after := w.env.MustQueryInt(t, c.written, c.args...); after != before {
				t.Errorf("%s moved from %d to %d: a refused reference wrote (foreign: %d, random: %d)", c.written, before, after, foreign.Status, random.Status)
			}
			if n := w.env.MustQueryInt(t, `SELECT count(*)::int FROM audit_events`); n != audited {
				t.Errorf("%d audit events recorded for refused references", n-audited)
			}
			if foreign.Status != random.Status {
				t.Fatalf("another trust's id answers %d, a random id %d: the difference tells which ids exist\nforeign: %s\nrandom: %s",
					foreign.Status, random.Status, foreign.Body, random.Body)
			}
			fp := apitest.WantProblem(t, foreign, http.StatusUnprocessableEntity, c.field)
			rp := apitest.WantProblem(t, random, http.StatusUnprocessableEntity, c.field)
			if fp.Message(c.field) == "" {
				t.Errorf("the problem gives no message for %s: %s", c.field, foreign.Body)
			}
			if fp.Type != rp.Type || fp.Title != rp.Title || fp.Detail != rp.Detail || !slices.Equal(fp.Errors, rp.Errors) {
				t.Errorf("another trust's id and a random id answer differently\nforeign: %s\nrandom:  %s", foreign.Body, random.Body)
			}
		})
	}
	// Each body refused above is otherwise valid: referring within reach, it is accepted.
	tried := map[string]bool{}
	for _, c := range cases {
		if tried[c.op] {
			continue // one write per operation: a second could clash with the first
		}
		tried[c.op] = true
		t.Run("within reach "+c.name(), func(t *testing.T) {
			if res := c.send(t, w.env, c.within); res.Status != http.StatusCreated && res.Status != http.StatusOK {
				t.Errorf("%s referring within reach answers %d: %s", c.field, res.Status, res.Body)
			}
		})
	}
}

// checkReferenceCasesCoverTheContract fails when a request body of openapi.yaml has a property
// ending in _id, other than the record's own read-only id, with no case; and when a case names
// a property the contract no longer has.
func checkReferenceCasesCoverTheContract(t *testing.T, cases []referenceCase) {
	t.Helper()
	want := map[string]bool{}
	for _, item := range contract(t).Paths.Map() {
		for _, op := range item.Operations() {
			if op.RequestBody == nil || op.RequestBody.Value == nil {
				continue
			}
			for _, media := range op.RequestBody.Value.Content {
				for _, name := range referenceProperties(media.Schema) {
					want[op.OperationID+" "+name] = true
				}
			}
		}
	}
	if len(want) < 20 {
		t.Fatalf("openapi.yaml has %d reference fields in request bodies: the test reads the contract wrongly", len(want))
	}
	have := map[string]bool{}
	for _, c := range cases {
		have[c.name()] = true
		if !want[c.name()] {
			t.Errorf("case %q: openapi.yaml has no such request-body property", c.name())
		}
	}
	var missing []string
	for name := range want {
		if _, skip := notReferences[name]; !have[name] && !skip {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	for _, name := range missing {
		t.Errorf("%s refers to another record and has no case in TestReferencesOutOfReachAnswerAsReferencesToNothing", name)
	}
	for name := range notReferences {
		if !want[name] {
			t.Errorf("notReferences names %q, which openapi.yaml no longer has", name)
		}
	}
}

// referenceProperties are the writable properties ending in _id of a body's schema, through
// allOf and oneOf.
func referenceProperties(s *openapi3.SchemaRef) []string {
	if s == nil || s.Value == nil {
		return nil
	}
	var out []string
	for name, p := range s.Value.Properties {
		if strings.HasSuffix(name, "_id") && (p.Value == nil || !p.Value.ReadOnly) {
			out = append(out, name)
		}
	}
	for _, part := range slices.Concat(s.Value.AllOf, s.Value.OneOf) {
		for _, name := range referenceProperties(part) {
			if !slices.Contains(out, name) {
				out = append(out, name)
			}
		}
	}
	return out
}
