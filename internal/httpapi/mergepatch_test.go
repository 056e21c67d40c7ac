package httpapi_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
)

// The test of JSON merge patch (RFC 7396) semantics: in a PATCH body, a field left out is left
// alone and a field given as null is cleared. Handlers can only tell the two apart by the body's
// own keys, named by hand in each change(ctx, "json_name", ...) call, so a misspelt name or a
// nullable field wired without change() would silently ignore null.

// patchTarget is a record a case patches, and who patches and reads it.
type patchTarget struct {
	token string
	path  string // e.g. /v1/placements/<id>
}

// patchRefusal is a state in which a business rule refuses to clear the property.
type patchRefusal struct {
	setup func(t *testing.T, w mergePatchWorld) patchTarget
	field string // the field the 422 names
}

// mergePatchCase is one nullable property of one merge-patch operation.
type mergePatchCase struct {
	// setup makes a record in which the property holds a value, in a state in which the rules
	// allow clearing it.
	setup func(t *testing.T, w mergePatchWorld) patchTarget
	// other is a merge patch of another property only: it must leave this one as it was.
	other string
	// value is the JSON value the property is set to last; not the value setup gave it.
	value string
	// refused, when not nil, is a state in which null is refused with a 422 instead.
	refused *patchRefusal
}

// mergePatchCases has a case for each "operationId/property" of openapi.yaml that a merge patch may set
// to null. The test fails when the contract has a key with no case here, and the reverse.
var mergePatchCases = map[string]mergePatchCase{
	"updateOrganisation/ods_code": {setup: trustWithODSCodeTarget, other: `{"name":"Renamed Trust"}`, value: `"MPX02"`},
	// Every organisation but the national team must have a region: clear the national team's.
	"updateOrganisation/region": {setup: nationalTeamTarget, other: `{"name":"Renamed National Team"}`, value: `"london"`,
		refused: &patchRefusal{setup: trustWithODSCodeTarget, field: "region"}},

	"updateProgramme/max_age":             {setup: programmeTarget, other: `{"description":"Changed"}`, value: `30`},
	"updateProgramme/min_duration_days":   {setup: programmeTarget, other: `{"description":"Changed"}`, value: `10`},
	"updateProgramme/max_duration_days":   {setup: programmeTarget, other: `{"description":"Changed"}`, value: `90`},
	"updateProgramme/delivery_partner_id": {setup: programmeTarget, other: `{"description":"Changed"}`, value: `"` + streetDoctorsID.String() + `"`},

	"updateParticipant/external_ref":    {setup: participantTarget, other: `{"given_name":"Robin"}`, value: `"MP-NEW-1"`},
	"updateParticipant/email":           {setup: participantTarget, other: `{"given_name":"Robin"}`, value: `"new.address@example.org"`},
	"updateParticipant/phone":           {setup: participantTarget, other: `{"given_name":"Robin"}`, value: `"0161 496 0999"`},
	"updateParticipant/postcode":        {setup: participantTarget, other: `{"given_name":"Robin"}`, value: `"LS1 4AP"`},
	"updateParticipant/referral_source": {setup: participantTarget, other: `{"given_name":"Robin"}`, value: `"self_referral"`},

	"updateCohort/delivery_partner_id": {setup: cohortTarget, other: `{"name":"Renamed cohort"}`, value: `"` + streetDoctorsID.String() + `"`},
	"updateCohort/funding_award_ref":   {setup: cohortTarget, other: `{"name":"Renamed cohort"}`, value: `"HEE-MP-2"`},
	"updateCohort/funding_award_id":    {setup: cohortFundedTarget, other: `{"name":"Renamed cohort"}`, value: `"` + mergePatchAward + `"`},

	"updatePlacement/site":            {setup: placementTarget, other: `{"host_department":"Pharmacy"}`, value: `"North wing"`},
	"updatePlacement/supervisor_name": {setup: placementTarget, other: `{"host_department":"Pharmacy"}`, value: `"Jo Bloggs"`},
	"updatePlacement/hours_per_week":  {setup: placementTarget, other: `{"host_department":"Pharmacy"}`, value: `37.5`},
	// A placement that ended early must keep its end_reason: clear a planned placement's.
	"updatePlacement/end_reason": {setup: placementTarget, other: `{"host_department":"Pharmacy"}`, value: `"Found work"`,
		refused: &patchRefusal{setup: placementEndedEarlyTarget, field: "end_reason"}},

	"updateOutcome/sector":   {setup: outcomeCheckedTarget, other: `{"ilr_code":"EMP2"}`, value: `"social_care"`},
	"updateOutcome/employer": {setup: outcomeCheckedTarget, other: `{"ilr_code":"EMP2"}`, value: `"Hillside NHS Trust"`},
	"updateOutcome/role":     {setup: outcomeCheckedTarget, other: `{"ilr_code":"EMP2"}`, value: `"Porter"`},
	// A sustainment check needs the outcome's starts_on: clear it while no check is recorded.
	"updateOutcome/starts_on": {setup: outcomeTarget, other: `{"ilr_code":"EMP2"}`, value: `"2027-03-01"`,
		refused: &patchRefusal{setup: outcomeCheckedTarget, field: "sustained_3_months"}},
	"updateOutcome/sustained_3_months": {setup: outcomeCheckedTarget, other: `{"ilr_code":"EMP2"}`, value: `{"result":"no","checked_on":"2027-05-10"}`},
	"updateOutcome/sustained_6_months": {setup: outcomeCheckedTarget, other: `{"ilr_code":"EMP2"}`, value: `{"result":"not_known","checked_on":"2027-08-10"}`},

	"updateMentor/email":      {setup: mentorTarget, other: `{"family_name":"Renamed"}`, value: `"mentor.new@example.org"`},
	"updateMentor/trained_on": {setup: mentorTarget, other: `{"family_name":"Renamed"}`, value: `"2026-09-01"`},

	"updateMentoringMatch/ended_on": {setup: matchCompletedTarget, other: `{"planned_end_on":"2027-06-04"}`, value: `"2027-03-15"`},
	// A match that ended early must keep its end_reason: clear a completed match's.
	"updateMentoringMatch/end_reason": {setup: matchCompletedTarget, other: `{"planned_end_on":"2027-06-04"}`, value: `"Moved away"`,
		refused: &patchRefusal{setup: matchEndedEarlyTarget, field: "end_reason"}},

	"updateVacancy/band": {setup: vacancyTarget, other: `{"role":"Domestic assistant"}`, value: `"Band 3"`},

	"updateCaseStudy/image_url":      {setup: caseStudyTarget, other: `{"title":"Renamed story"}`, value: `"https://example.org/porter.jpg"`},
	"updateCaseStudy/participant_id": {setup: caseStudyTarget, other: `{"title":"Renamed story"}`, value: `"` + mergePatchStoryteller + `"`},
}

// TestMergePatchNullClearsEveryNullableField takes every nullable top-level property of every
// application/merge-patch+json body of openapi.yaml and checks, through the API, that leaving it
// out of a patch leaves it alone, that null clears it, and that a value sets it.
func TestMergePatchNullClearsEveryNullableField(t *testing.T) {
	t.Parallel()
	keys := nullableProperties(t)
	for _, key := range keys {
		if _, ok := mergePatchCases[key]; !ok {
			t.Errorf("openapi.yaml lets a merge patch set %s to null, but it has no case: add one to mergePatchCases", key)
		}
	}
	for key := range mergePatchCases {
		if !slices.Contains(keys, key) {
			t.Errorf("mergePatchCases has a case for %s, which is not a nullable merge-patch property of openapi.yaml", key)
		}
	}

	w := newMergePatchWorld(t)
	for _, key := range keys {
		c, ok := mergePatchCases[key]
		if !ok {
			continue
		}
		_, property, _ := strings.Cut(key, "/")
		t.Run(key, func(t *testing.T) {
			var other map[string]json.RawMessage
			if err := json.Unmarshal([]byte(c.other), &other); err != nil || len(other) == 0 {
				t.Fatalf("the case's other patch %s is not a JSON object with a field: %v", c.other, err)
			}
			if _, ok := other[property]; ok {
				t.Fatalf("the case's other patch %s names %s itself", c.other, property)
			}
			rec := c.setup(t, w)
			start := getTarget(t, w.env, rec)
			initial := start.field(property)
			if isNull(initial) {
				t.Fatalf("setup left %s null: %s", property, start.body)
			}
			if sameJSON(initial, json.RawMessage(c.value)) {
				t.Fatalf("the case sets %s to %s, the value setup gave it: choose another", property, c.value)
			}

			// a. A patch that leaves the property out leaves it as it was.
			got := mustPatchOf(t, w.env, rec, c.other, start.etag)
			for _, r := range []patchedRecord{got, getTarget(t, w.env, rec)} {
				if v := r.field(property); !sameJSON(v, initial) {
					t.Errorf("after PATCH %s, %s: %s is %s, want it left at %s", c.other, r.via, property, v, initial)
				}
			}

			// b. null clears it.
			null := `{"` + property + `":null}`
			got = mustPatchOf(t, w.env, rec, null, got.etag)
			for _, r := range []patchedRecord{got, getTarget(t, w.env, rec)} {
				if v := r.field(property); !isNull(v) {
					t.Errorf("after PATCH %s, %s: %s is %s, want it cleared", null, r.via, property, v)
				}
			}

			// c. A value sets it.
			set := `{"` + property + `":` + c.value + `}`
			got = mustPatchOf(t, w.env, rec, set, got.etag)
			for _, r := range []patchedRecord{got, getTarget(t, w.env, rec)} {
				if v := r.field(property); !sameJSON(v, json.RawMessage(c.value)) {
					t.Errorf("after PATCH %s, %s: %s is %s, want %s", set, r.via, property, v, c.value)
				}
			}

			if c.refused != nil {
				t.Run("refused", func(t *testing.T) {
					rec := c.refused.setup(t, w)
					before := getTarget(t, w.env, rec)
					if isNull(before.field(property)) {
						t.Fatalf("setup left %s null: %s", property, before.body)
					}
					res := patchOf(t, w.env, rec, null, before.etag)
					apitest.WantProblem(t, res, http.StatusUnprocessableEntity, c.refused.field)
					after := getTarget(t, w.env, rec)
					if after.etag != before.etag || !sameJSON(after.field(property), before.field(property)) {
						t.Errorf("the refused PATCH %s changed the record: %s, then %s", null, before.body, after.body)
					}
				})
			}
		})
	}
}

// TestPatchTakesApplicationJSONAsAMergePatch: a client that sends every JSON body as
// application/json (openapi-fetch, for one) can PATCH. Its body is read as the same merge
// patch, validated the same way, and any other media type is still refused with 415.
func TestPatchTakesApplicationJSONAsAMergePatch(t *testing.T) {
	t.Parallel()
	w := newMergePatchWorld(t)
	for _, key := range []string{"updateParticipant/email", "updateCohort/funding_award_ref", "updatePlacement/site"} {
		c := mergePatchCases[key]
		_, property, _ := strings.Cut(key, "/")
		t.Run(key, func(t *testing.T) {
			rec := c.setup(t, w)
			start := getTarget(t, w.env, rec)
			patch := func(contentType, body, etag string) apitest.Response {
				return w.env.Do(t, http.MethodPatch, rec.path, rec.token, body, "Content-Type", contentType, "If-Match", etag)
			}

			// Validated as a merge patch is: an unknown field, a stale If-Match.
			apitest.WantProblem(t, patch("application/json", `{"nickname":"Robin"}`, start.etag), http.StatusBadRequest, "nickname")
			apitest.WantProblem(t, patch("application/json", c.other, apitest.ETag(99)), http.StatusPreconditionFailed, "")
			for _, contentType := range []string{"text/plain", "application/json-patch+json", "application/xml"} {
				apitest.WantProblem(t, patch(contentType, c.other, start.etag), http.StatusUnsupportedMediaType, "")
			}
			if now := getTarget(t, w.env, rec); now.etag != start.etag {
				t.Fatalf("refused patches changed the record: %s, then %s", start.body, now.body)
			}

			// One patch sets the other patch's fields and clears the property with null;
			// whatever it leaves out stays as it was.
			var other map[string]json.RawMessage
			if err := json.Unmarshal([]byte(c.other), &other); err != nil {
				t.Fatal(err)
			}
			body := strings.TrimSuffix(c.other, "}") + `,"` + property + `":null}`
			res := patch("application/json", body, start.etag)
			if res.Status != http.StatusOK {
				t.Fatalf("PATCH %s as application/json: %d %s", body, res.Status, res.Body)
			}
			for _, r := range []patchedRecord{patchedRecordOf(t, "the PATCH answer", res), getTarget(t, w.env, rec)} {
				if r.etag == start.etag {
					t.Errorf("%s: the version did not move", r.via)
				}
				for name, before := range start.fields {
					want := before
					switch {
					case name == property:
						want = nil
					case other[name] != nil:
						want = other[name]
					case name == "version" || name == "updated_at":
						continue
					}
					if got := r.field(name); !sameJSON(got, want) && !(want == nil && isNull(got)) {
						t.Errorf("%s: %s is %s, want %s", r.via, name, got, want)
					}
				}
			}
		})
	}
}

// nullableProperties lists, sorted, "operationId/property" for each top-level property of an
// application/merge-patch+json request body of openapi.yaml that the contract lets be null.
func nullableProperties(t *testing.T) []string {
	t.Helper()
	doc := contract(t)
	var keys []string
	operations := 0
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			if op.RequestBody == nil || op.RequestBody.Value == nil {
				continue
			}
			media := op.RequestBody.Value.Content.Get("application/merge-patch+json")
			if media == nil {
				continue
			}
			operations++
			props := map[string][]*openapi3.Schema{}
			collectProperties(media.Schema, props)
			for name, schemas := range props {
				// The contract accepts null only where every schema that constrains the
				// property does: the same check the request validator makes.
				nullable := true
				for _, s := range schemas {
					nullable = nullable && s.VisitJSON(nil) == nil
				}
				if nullable {
					keys = append(keys, op.OperationID+"/"+name)
				}
			}
		}
	}
	if operations == 0 || len(keys) == 0 {
		t.Fatalf("openapi.yaml has %d merge-patch operations and %d nullable properties: the test reads the contract wrongly", operations, len(keys))
	}
	slices.Sort(keys)
	return keys
}

// collectProperties gathers the top-level properties of schema, including those of its allOf parts.
func collectProperties(schema *openapi3.SchemaRef, into map[string][]*openapi3.Schema) {
	if schema == nil || schema.Value == nil {
		return
	}
	for name, p := range schema.Value.Properties {
		if p != nil && p.Value != nil {
			into[name] = append(into[name], p.Value)
		}
	}
	for _, part := range schema.Value.AllOf {
		collectProperties(part, into)
	}
}

// patchedRecord is a record as one answer gave it.
type patchedRecord struct {
	via    string // which request answered
	etag   string
	body   []byte
	fields map[string]json.RawMessage
}

// field is the property's JSON value; nil when the record leaves it out.
func (r patchedRecord) field(name string) json.RawMessage { return r.fields[name] }

func patchedRecordOf(t *testing.T, via string, res apitest.Response) patchedRecord {
	t.Helper()
	r := patchedRecord{via: via, etag: res.Header.Get("ETag"), body: res.Body}
	res.Decode(t, &r.fields)
	var version struct {
		Version int64 `json:"version"`
	}
	res.Decode(t, &version)
	if r.etag != apitest.ETag(version.Version) {
		t.Errorf("%s: ETag %q for version %d", via, r.etag, version.Version)
	}
	return r
}

func getTarget(t *testing.T, env *apitest.Env, rec patchTarget) patchedRecord {
	t.Helper()
	res := env.Do(t, http.MethodGet, rec.path, rec.token, "")
	if res.Status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", rec.path, res.Status, res.Body)
	}
	return patchedRecordOf(t, "GET", res)
}

// patchOf sends a merge patch made against the version etag names.
func patchOf(t *testing.T, env *apitest.Env, rec patchTarget, body, etag string) apitest.Response {
	t.Helper()
	return env.Do(t, http.MethodPatch, rec.path, rec.token, body, "Content-Type", "application/merge-patch+json", "If-Match", etag)
}

func mustPatchOf(t *testing.T, env *apitest.Env, rec patchTarget, body, etag string) patchedRecord {
	t.Helper()
	res := patchOf(t, env, rec, body, etag)
	if res.Status != http.StatusOK {
		t.Fatalf("PATCH %s %s: %d %s", rec.path, body, res.Status, res.Body)
	}
	return patchedRecordOf(t, "the PATCH answer", res)
}

// isNull reports whether a property is null or left out.
func isNull(v json.RawMessage) bool { return v == nil || string(v) == "null" }

// sameJSON reports whether a and b are the same JSON value, whatever their spacing and order.
func sameJSON(a, b json.RawMessage) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// mergePatchWorld is a trust with a coordinator (trustWorld) and the national team with its admin.
type mergePatchWorld struct {
	trustWorld
	national      domain.Organisation
	nationalAdmin string
}

func newMergePatchWorld(t *testing.T) mergePatchWorld {
	t.Helper()
	env := apitest.New(t)
	nat, admin := env.NationalAdmin(t)
	return mergePatchWorld{trustWorld: newTrustWorld(t, env, "Riverside NHS Trust"), national: nat, nationalAdmin: admin}
}

// coordinator is a record of w's trust that its coordinator patches.
func (w mergePatchWorld) coordinator(path string) patchTarget {
	return patchTarget{token: w.token, path: path}
}

// The setups. Each makes a fresh record, so that no case sees another's changes.

func trustWithODSCodeTarget(t *testing.T, w mergePatchWorld) patchTarget {
	t.Helper()
	ods := "M" + strings.ToUpper(apitest.Unique()[:5])
	id := apitest.CreatedID(t, w.env.Do(t, http.MethodPost, "/v1/organisations", w.nationalAdmin,
		`{"kind":"trust","name":"Trust `+ods+`","ods_code":"`+ods+`","region":"north_west"}`))
	return patchTarget{token: w.nationalAdmin, path: "/v1/organisations/" + id}
}

func nationalTeamTarget(t *testing.T, w mergePatchWorld) patchTarget {
	t.Helper()
	if w.national.Region == nil {
		t.Fatal("the national team has no region to clear")
	}
	return patchTarget{token: w.nationalAdmin, path: "/v1/organisations/" + w.national.ID.String()}
}

func programmeTarget(t *testing.T, w mergePatchWorld) patchTarget {
	t.Helper()
	code := "mp_" + apitest.Unique()
	id := apitest.CreatedID(t, w.env.Do(t, http.MethodPost, "/v1/programmes", w.nationalAdmin,
		`{"code":"`+code+`","name":"Programme `+code+`","category":"employability","min_age":16,"max_age":64,`+
			`"requires_benefit":false,"min_duration_days":5,"max_duration_days":60,"delivery_partner_id":"`+princesTrustID.String()+`"}`))
	return patchTarget{token: w.nationalAdmin, path: "/v1/programmes/" + id}
}

func participantTarget(t *testing.T, w mergePatchWorld) patchTarget {
	t.Helper()
	id := w.mustID(t, "/v1/participants", apitest.ParticipantBody(t, w.trust.ID, "external_ref", "MP-"+apitest.Unique(),
		"email", "alex.taylor@example.org", "phone", "0161 496 0000", "postcode", "M1 1AE", "referral_source", "jobcentre_plus"))
	return w.coordinator("/v1/participants/" + id)
}

func cohortTarget(t *testing.T, w mergePatchWorld) patchTarget {
	t.Helper()
	id := w.mustID(t, "/v1/cohorts", cohortBody(t, w.trust.ID.String(), workExperienceProgramme, "2027-01-04", "2027-01-29", 20,
		"delivery_partner_id", princesTrustID.String(), "funding_award_ref", "HEE-MP-1"))
	return w.coordinator("/v1/cohorts/" + id)
}

// mergePatchAward is the id of a second award of the trust of newMergePatchWorld, for Work experience.
var mergePatchAward = uuid.NewString()

// cohortFundedTarget is a cohort delivered under one award of its trust, which may move to
// the trust's other award, mergePatchAward.
func cohortFundedTarget(t *testing.T, w mergePatchWorld) patchTarget {
	t.Helper()
	trust := w.trust.ID.String()
	if w.env.MustQueryInt(t, `SELECT count(*)::int FROM funding_awards WHERE id = $1`, mergePatchAward) == 0 {
		created := mustAward(t, w.env, w.nationalAdmin, trust, workExperienceProgramme)
		// The test names the award's id before it exists: give the award that id.
		if _, err := w.env.DB.SQL().Exec(`UPDATE funding_awards SET id = $1 WHERE id = $2`, mergePatchAward, created); err != nil {
			t.Fatal(err)
		}
	}
	award := mustAward(t, w.env, w.nationalAdmin, trust, workExperienceProgramme)
	id := w.mustID(t, "/v1/cohorts", cohortBody(t, trust, workExperienceProgramme, "2027-01-04", "2027-01-29", 20, "funding_award_id", award))
	return w.coordinator("/v1/cohorts/" + id)
}

func placementTargetWith(t *testing.T, w mergePatchWorld, status string) patchTarget {
	t.Helper()
	_, _, enrolment := w.enrolled(t)
	p := w.mustPlacement(t, placementBody(t, enrolment, "site", "Main site", "supervisor_name", "Pat Lee",
		"hours_per_week", 30, "status", status, "end_reason", "Host department closed"))
	return w.coordinator("/v1/placements/" + p.ID)
}

func placementTarget(t *testing.T, w mergePatchWorld) patchTarget {
	return placementTargetWith(t, w, "planned")
}

func placementEndedEarlyTarget(t *testing.T, w mergePatchWorld) patchTarget {
	return placementTargetWith(t, w, "ended_early")
}

// outcomeTarget is an employment outcome with every nullable field set but the sustainment checks.
func outcomeTarget(t *testing.T, w mergePatchWorld) patchTarget {
	t.Helper()
	o := w.mustOutcome(t, outcomeBody(t, w.participant(t), "sector", "nhs", "employer", "Riverside NHS Trust",
		"role", "Healthcare assistant", "starts_on", "2027-02-01"))
	return w.coordinator("/v1/outcomes/" + o.ID)
}

// outcomeCheckedTarget is outcomeTarget with both sustainment checks recorded.
func outcomeCheckedTarget(t *testing.T, w mergePatchWorld) patchTarget {
	t.Helper()
	rec := outcomeTarget(t, w)
	mustPatchOf(t, w.env, rec, `{"sustained_3_months":{"result":"yes","checked_on":"2027-05-03"},`+
		`"sustained_6_months":{"result":"yes","checked_on":"2027-08-02"}}`, getTarget(t, w.env, rec).etag)
	return rec
}

func mentorTarget(t *testing.T, w mergePatchWorld) patchTarget {
	t.Helper()
	m := mustCreateMentor(t, w.env, w.token, w.trust.ID, "professional", "Mo", "Mentor", "email", "mo.mentor@example.org", "trained_on", "2026-06-01")
	return w.coordinator("/v1/mentors/" + m.ID)
}

// matchEndedTarget is a match, starting 2027-01-04, that has ended with status.
func matchEndedTarget(t *testing.T, w mergePatchWorld, status string) patchTarget {
	t.Helper()
	mentor := mentorTarget(t, w)
	id := w.mustID(t, "/v1/mentoring-matches", matchBody(t, strings.TrimPrefix(mentor.path, "/v1/mentors/"),
		w.participant(t), "", "2027-01-04", "2027-05-04"))
	rec := w.coordinator("/v1/mentoring-matches/" + id)
	mustPatchOf(t, w.env, rec, `{"status":"`+status+`","ended_on":"2027-03-01","end_reason":"Participant found work"}`, getTarget(t, w.env, rec).etag)
	return rec
}

func matchCompletedTarget(t *testing.T, w mergePatchWorld) patchTarget {
	return matchEndedTarget(t, w, "completed")
}

func matchEndedEarlyTarget(t *testing.T, w mergePatchWorld) patchTarget {
	return matchEndedTarget(t, w, "ended_early")
}

func vacancyTarget(t *testing.T, w mergePatchWorld) patchTarget {
	t.Helper()
	id := w.mustID(t, "/v1/vacancies", `{"organisation_id":"`+w.trust.ID.String()+
		`","employer_name":"Riverside NHS Trust","role":"Porter","band":"Band 2","closing_on":"2027-02-01"}`)
	return w.coordinator("/v1/vacancies/" + id)
}

// mergePatchStoryteller is the id of a participant of the trust of newMergePatchWorld who agreed
// to case studies: the one a case study's participant_id is set to.
var mergePatchStoryteller = uuid.NewString()

// caseStudyTarget is a draft case study of w's trust, with an image, about a participant who
// agreed to case studies.
func caseStudyTarget(t *testing.T, w mergePatchWorld) patchTarget {
	t.Helper()
	storyteller := func() string {
		return w.mustID(t, "/v1/participants", apitest.ParticipantBody(t, w.trust.ID,
			"consent", map[string]bool{"processing": true, "case_study": true}))
	}
	if w.env.MustQueryInt(t, `SELECT count(*)::int FROM participants WHERE id = $1`, mergePatchStoryteller) == 0 {
		// The test names the participant's id before it exists: give a new participant that id.
		if _, err := w.env.DB.SQL().Exec(`UPDATE participants SET id = $1 WHERE id = $2`, mergePatchStoryteller, storyteller()); err != nil {
			t.Fatal(err)
		}
	}
	id := w.mustID(t, "/v1/case-studies", apitest.JSON(t, "organisation_id", w.trust.ID.String(), "programme_id", stepIntoWorkProgramme,
		"title", "From Step into Work to porter", "summary", "A placement that became a post.", "body_markdown", "**Hired**.",
		"participant_id", storyteller(), "image_url", "https://example.org/ward.jpg"))
	return w.coordinator("/v1/case-studies/" + id)
}
