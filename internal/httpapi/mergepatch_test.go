package httpapi_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
)

// The test of JSON merge patch (RFC 7396) semantics: in a PATCH body, a field left out is left
// alone and a field given as null is cleared. Handlers can only tell the two apart by the body's
// own keys, named by hand in each change(ctx, "json_name", ...) call, so a misspelt name or a
// nullable field wired without change() would silently ignore null. Helpers here carry the
// prefix mp so that they do not clash with those of the other test files of the package.

// mpTarget is a record a case patches, and who patches and reads it.
type mpTarget struct {
	token string
	path  string // e.g. /v1/placements/<id>
}

// mpRefusal is a state in which a business rule refuses to clear the property.
type mpRefusal struct {
	setup func(t *testing.T, w mpWorld) mpTarget
	field string // the field the 422 names
}

// mpCase is one nullable property of one merge-patch operation.
type mpCase struct {
	// setup makes a record in which the property holds a value, in a state in which the rules
	// allow clearing it.
	setup func(t *testing.T, w mpWorld) mpTarget
	// other is a merge patch of another property only: it must leave this one as it was.
	other string
	// value is the JSON value the property is set to last; not the value setup gave it.
	value string
	// refused, when not nil, is a state in which null is refused with a 422 instead.
	refused *mpRefusal
}

// mpCases has a case for each "operationId/property" of openapi.yaml that a merge patch may set
// to null. The test fails when the contract has a key with no case here, and the reverse.
var mpCases = map[string]mpCase{
	"updateOrganisation/ods_code": {setup: mpTrustWithODSCode, other: `{"name":"Renamed Trust"}`, value: `"MPX02"`},
	// Every organisation but the national team must have a region: clear the national team's.
	"updateOrganisation/region": {setup: mpNationalTeam, other: `{"name":"Renamed National Team"}`, value: `"london"`,
		refused: &mpRefusal{setup: mpTrustWithODSCode, field: "region"}},

	"updateProgramme/max_age":             {setup: mpProgramme, other: `{"description":"Changed"}`, value: `30`},
	"updateProgramme/min_duration_days":   {setup: mpProgramme, other: `{"description":"Changed"}`, value: `10`},
	"updateProgramme/max_duration_days":   {setup: mpProgramme, other: `{"description":"Changed"}`, value: `90`},
	"updateProgramme/delivery_partner_id": {setup: mpProgramme, other: `{"description":"Changed"}`, value: `"` + streetDoctorsID.String() + `"`},

	"updateParticipant/external_ref":    {setup: mpParticipant, other: `{"given_name":"Robin"}`, value: `"MP-NEW-1"`},
	"updateParticipant/email":           {setup: mpParticipant, other: `{"given_name":"Robin"}`, value: `"new.address@example.org"`},
	"updateParticipant/phone":           {setup: mpParticipant, other: `{"given_name":"Robin"}`, value: `"0161 496 0999"`},
	"updateParticipant/postcode":        {setup: mpParticipant, other: `{"given_name":"Robin"}`, value: `"LS1 4AP"`},
	"updateParticipant/referral_source": {setup: mpParticipant, other: `{"given_name":"Robin"}`, value: `"self_referral"`},

	"updateCohort/delivery_partner_id": {setup: mpCohort, other: `{"name":"Renamed cohort"}`, value: `"` + streetDoctorsID.String() + `"`},
	"updateCohort/funding_award_ref":   {setup: mpCohort, other: `{"name":"Renamed cohort"}`, value: `"HEE-MP-2"`},

	"updatePlacement/site":            {setup: mpPlacement, other: `{"host_department":"Pharmacy"}`, value: `"North wing"`},
	"updatePlacement/supervisor_name": {setup: mpPlacement, other: `{"host_department":"Pharmacy"}`, value: `"Jo Bloggs"`},
	"updatePlacement/hours_per_week":  {setup: mpPlacement, other: `{"host_department":"Pharmacy"}`, value: `37.5`},
	// A placement that ended early must keep its end_reason: clear a planned placement's.
	"updatePlacement/end_reason": {setup: mpPlacement, other: `{"host_department":"Pharmacy"}`, value: `"Found work"`,
		refused: &mpRefusal{setup: mpPlacementEndedEarly, field: "end_reason"}},

	"updateOutcome/sector":   {setup: mpOutcomeChecked, other: `{"ilr_code":"EMP2"}`, value: `"social_care"`},
	"updateOutcome/employer": {setup: mpOutcomeChecked, other: `{"ilr_code":"EMP2"}`, value: `"Hillside NHS Trust"`},
	"updateOutcome/role":     {setup: mpOutcomeChecked, other: `{"ilr_code":"EMP2"}`, value: `"Porter"`},
	// A sustainment check needs the outcome's starts_on: clear it while no check is recorded.
	"updateOutcome/starts_on": {setup: mpOutcome, other: `{"ilr_code":"EMP2"}`, value: `"2027-03-01"`,
		refused: &mpRefusal{setup: mpOutcomeChecked, field: "sustained_3_months"}},
	"updateOutcome/sustained_3_months": {setup: mpOutcomeChecked, other: `{"ilr_code":"EMP2"}`, value: `{"result":"no","checked_on":"2027-05-10"}`},
	"updateOutcome/sustained_6_months": {setup: mpOutcomeChecked, other: `{"ilr_code":"EMP2"}`, value: `{"result":"not_known","checked_on":"2027-08-10"}`},

	"updateMentor/email":      {setup: mpMentor, other: `{"family_name":"Renamed"}`, value: `"mentor.new@example.org"`},
	"updateMentor/trained_on": {setup: mpMentor, other: `{"family_name":"Renamed"}`, value: `"2026-09-01"`},

	"updateMentoringMatch/ended_on": {setup: mpMatchCompleted, other: `{"planned_end_on":"2027-06-04"}`, value: `"2027-03-15"`},
	// A match that ended early must keep its end_reason: clear a completed match's.
	"updateMentoringMatch/end_reason": {setup: mpMatchCompleted, other: `{"planned_end_on":"2027-06-04"}`, value: `"Moved away"`,
		refused: &mpRefusal{setup: mpMatchEndedEarly, field: "end_reason"}},

	"updateVacancy/band": {setup: mpVacancy, other: `{"role":"Domestic assistant"}`, value: `"Band 3"`},
}

// TestMergePatchNullClearsEveryNullableField takes every nullable top-level property of every
// application/merge-patch+json body of openapi.yaml and checks, through the API, that leaving it
// out of a patch leaves it alone, that null clears it, and that a value sets it.
func TestMergePatchNullClearsEveryNullableField(t *testing.T) {
	t.Parallel()
	keys := mpNullableProperties(t)
	for _, key := range keys {
		if _, ok := mpCases[key]; !ok {
			t.Errorf("openapi.yaml lets a merge patch set %s to null, but it has no case: add one to mpCases", key)
		}
	}
	for key := range mpCases {
		if !slices.Contains(keys, key) {
			t.Errorf("mpCases has a case for %s, which is not a nullable merge-patch property of openapi.yaml", key)
		}
	}

	w := newMPWorld(t)
	for _, key := range keys {
		c, ok := mpCases[key]
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
			start := mpGet(t, w.env, rec)
			initial := start.field(property)
			if mpIsNull(initial) {
				t.Fatalf("setup left %s null: %s", property, start.body)
			}
			if mpSameJSON(initial, json.RawMessage(c.value)) {
				t.Fatalf("the case sets %s to %s, the value setup gave it: choose another", property, c.value)
			}

			// a. A patch that leaves the property out leaves it as it was.
			got := mpMustPatch(t, w.env, rec, c.other, start.etag)
			for _, r := range []mpRecord{got, mpGet(t, w.env, rec)} {
				if v := r.field(property); !mpSameJSON(v, initial) {
					t.Errorf("after PATCH %s, %s: %s is %s, want it left at %s", c.other, r.via, property, v, initial)
				}
			}

			// b. null clears it.
			null := `{"` + property + `":null}`
			got = mpMustPatch(t, w.env, rec, null, got.etag)
			for _, r := range []mpRecord{got, mpGet(t, w.env, rec)} {
				if v := r.field(property); !mpIsNull(v) {
					t.Errorf("after PATCH %s, %s: %s is %s, want it cleared", null, r.via, property, v)
				}
			}

			// c. A value sets it.
			set := `{"` + property + `":` + c.value + `}`
			got = mpMustPatch(t, w.env, rec, set, got.etag)
			for _, r := range []mpRecord{got, mpGet(t, w.env, rec)} {
				if v := r.field(property); !mpSameJSON(v, json.RawMessage(c.value)) {
					t.Errorf("after PATCH %s, %s: %s is %s, want %s", set, r.via, property, v, c.value)
				}
			}

			if c.refused != nil {
				t.Run("refused", func(t *testing.T) {
					rec := c.refused.setup(t, w)
					before := mpGet(t, w.env, rec)
					if mpIsNull(before.field(property)) {
						t.Fatalf("setup left %s null: %s", property, before.body)
					}
					res := mpPatch(t, w.env, rec, null, before.etag)
					apitest.WantProblem(t, res, http.StatusUnprocessableEntity, c.refused.field)
					after := mpGet(t, w.env, rec)
					if after.etag != before.etag || !mpSameJSON(after.field(property), before.field(property)) {
						t.Errorf("the refused PATCH %s changed the record: %s, then %s", null, before.body, after.body)
					}
				})
			}
		})
	}
}

// mpNullableProperties lists, sorted, "operationId/property" for each top-level property of an
// application/merge-patch+json request body of openapi.yaml that the contract lets be null.
func mpNullableProperties(t *testing.T) []string {
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
			mpProperties(media.Schema, props)
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

// mpProperties gathers the top-level properties of schema, including those of its allOf parts.
func mpProperties(schema *openapi3.SchemaRef, into map[string][]*openapi3.Schema) {
	if schema == nil || schema.Value == nil {
		return
	}
	for name, p := range schema.Value.Properties {
		if p != nil && p.Value != nil {
			into[name] = append(into[name], p.Value)
		}
	}
	for _, part := range schema.Value.AllOf {
		mpProperties(part, into)
	}
}

// mpRecord is a record as one answer gave it.
type mpRecord struct {
	via    string // which request answered
	etag   string
	body   []byte
	fields map[string]json.RawMessage
}

// field is the property's JSON value; nil when the record leaves it out.
func (r mpRecord) field(name string) json.RawMessage { return r.fields[name] }

func mpRecordOf(t *testing.T, via string, res apitest.Response) mpRecord {
	t.Helper()
	r := mpRecord{via: via, etag: res.Header.Get("ETag"), body: res.Body}
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

func mpGet(t *testing.T, env *apitest.Env, rec mpTarget) mpRecord {
	t.Helper()
	res := env.Do(t, http.MethodGet, rec.path, rec.token, "")
	if res.Status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", rec.path, res.Status, res.Body)
	}
	return mpRecordOf(t, "GET", res)
}

// mpPatch sends a merge patch made against the version etag names.
func mpPatch(t *testing.T, env *apitest.Env, rec mpTarget, body, etag string) apitest.Response {
	t.Helper()
	return env.Do(t, http.MethodPatch, rec.path, rec.token, body, "Content-Type", "application/merge-patch+json", "If-Match", etag)
}

func mpMustPatch(t *testing.T, env *apitest.Env, rec mpTarget, body, etag string) mpRecord {
	t.Helper()
	res := mpPatch(t, env, rec, body, etag)
	if res.Status != http.StatusOK {
		t.Fatalf("PATCH %s %s: %d %s", rec.path, body, res.Status, res.Body)
	}
	return mpRecordOf(t, "the PATCH answer", res)
}

// mpIsNull reports whether a property is null or left out.
func mpIsNull(v json.RawMessage) bool { return v == nil || string(v) == "null" }

// mpSameJSON reports whether a and b are the same JSON value, whatever their spacing and order.
func mpSameJSON(a, b json.RawMessage) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// mpWorld is a trust with a coordinator (recWorld) and the national team with its admin.
type mpWorld struct {
	recWorld
	national      domain.Organisation
	nationalAdmin string
}

func newMPWorld(t *testing.T) mpWorld {
	t.Helper()
	env := apitest.New(t)
	nat, admin := env.NationalAdmin(t)
	return mpWorld{recWorld: newRecWorld(t, env, "Riverside NHS Trust"), national: nat, nationalAdmin: admin}
}

// coordinator is a record of w's trust that its coordinator patches.
func (w mpWorld) coordinator(path string) mpTarget { return mpTarget{token: w.token, path: path} }

// The setups. Each makes a fresh record, so that no case sees another's changes.

func mpTrustWithODSCode(t *testing.T, w mpWorld) mpTarget {
	t.Helper()
	ods := "M" + strings.ToUpper(apitest.Unique()[:5])
	id := apitest.CreatedID(t, w.env.Do(t, http.MethodPost, "/v1/organisations", w.nationalAdmin,
		`{"kind":"trust","name":"Trust `+ods+`","ods_code":"`+ods+`","region":"north_west"}`))
	return mpTarget{token: w.nationalAdmin, path: "/v1/organisations/" + id}
}

func mpNationalTeam(t *testing.T, w mpWorld) mpTarget {
	t.Helper()
	if w.national.Region == nil {
		t.Fatal("the national team has no region to clear")
	}
	return mpTarget{token: w.nationalAdmin, path: "/v1/organisations/" + w.national.ID.String()}
}

func mpProgramme(t *testing.T, w mpWorld) mpTarget {
	t.Helper()
	code := "mp_" + apitest.Unique()
	id := apitest.CreatedID(t, w.env.Do(t, http.MethodPost, "/v1/programmes", w.nationalAdmin,
		`{"code":"`+code+`","name":"Programme `+code+`","category":"employability","min_age":16,"max_age":64,`+
			`"requires_benefit":false,"min_duration_days":5,"max_duration_days":60,"delivery_partner_id":"`+princesTrustID.String()+`"}`))
	return mpTarget{token: w.nationalAdmin, path: "/v1/programmes/" + id}
}

func mpParticipant(t *testing.T, w mpWorld) mpTarget {
	t.Helper()
	id := w.mustID(t, "/v1/participants", apitest.ParticipantBody(t, w.trust.ID, "external_ref", "MP-"+apitest.Unique(),
		"email", "alex.taylor@example.org", "phone", "0161 496 0000", "postcode", "M1 1AE", "referral_source", "jobcentre_plus"))
	return w.coordinator("/v1/participants/" + id)
}

func mpCohort(t *testing.T, w mpWorld) mpTarget {
	t.Helper()
	id := w.mustID(t, "/v1/cohorts", dlCohortBody(t, w.trust.ID.String(), recWorkExperience, "2027-01-04", "2027-01-29", 20,
		"delivery_partner_id", princesTrustID.String(), "funding_award_ref", "HEE-MP-1"))
	return w.coordinator("/v1/cohorts/" + id)
}

func mpPlacementWith(t *testing.T, w mpWorld, status string) mpTarget {
	t.Helper()
	_, _, enrolment := w.enrolled(t)
	p := w.mustPlacement(t, recPlacementBody(t, enrolment, "site", "Main site", "supervisor_name", "Pat Lee",
		"hours_per_week", 30, "status", status, "end_reason", "Host department closed"))
	return w.coordinator("/v1/placements/" + p.ID)
}

func mpPlacement(t *testing.T, w mpWorld) mpTarget { return mpPlacementWith(t, w, "planned") }

func mpPlacementEndedEarly(t *testing.T, w mpWorld) mpTarget {
	return mpPlacementWith(t, w, "ended_early")
}

// mpOutcome is an employment outcome with every nullable field set but the sustainment checks.
func mpOutcome(t *testing.T, w mpWorld) mpTarget {
	t.Helper()
	o := w.mustOutcome(t, recOutcomeBody(t, w.participant(t), "sector", "nhs", "employer", "Riverside NHS Trust",
		"role", "Healthcare assistant", "starts_on", "2027-02-01"))
	return w.coordinator("/v1/outcomes/" + o.ID)
}

// mpOutcomeChecked is mpOutcome with both sustainment checks recorded.
func mpOutcomeChecked(t *testing.T, w mpWorld) mpTarget {
	t.Helper()
	rec := mpOutcome(t, w)
	mpMustPatch(t, w.env, rec, `{"sustained_3_months":{"result":"yes","checked_on":"2027-05-03"},`+
		`"sustained_6_months":{"result":"yes","checked_on":"2027-08-02"}}`, mpGet(t, w.env, rec).etag)
	return rec
}

func mpMentor(t *testing.T, w mpWorld) mpTarget {
	t.Helper()
	m := mtMentor(t, w.env, w.token, w.trust.ID, "professional", "Mo", "Mentor", "email", "mo.mentor@example.org", "trained_on", "2026-06-01")
	return w.coordinator("/v1/mentors/" + m.ID)
}

// mpMatchEnded is a match, starting 2027-01-04, that has ended with status.
func mpMatchEnded(t *testing.T, w mpWorld, status string) mpTarget {
	t.Helper()
	mentor := mpMentor(t, w)
	id := w.mustID(t, "/v1/mentoring-matches", mtMatchBody(t, strings.TrimPrefix(mentor.path, "/v1/mentors/"),
		w.participant(t), "", "2027-01-04", "2027-05-04"))
	rec := w.coordinator("/v1/mentoring-matches/" + id)
	mpMustPatch(t, w.env, rec, `{"status":"`+status+`","ended_on":"2027-03-01","end_reason":"Participant found work"}`, mpGet(t, w.env, rec).etag)
	return rec
}

func mpMatchCompleted(t *testing.T, w mpWorld) mpTarget { return mpMatchEnded(t, w, "completed") }

func mpMatchEndedEarly(t *testing.T, w mpWorld) mpTarget { return mpMatchEnded(t, w, "ended_early") }

func mpVacancy(t *testing.T, w mpWorld) mpTarget {
	t.Helper()
	id := w.mustID(t, "/v1/vacancies", `{"organisation_id":"`+w.trust.ID.String()+
		`","employer_name":"Riverside NHS Trust","role":"Porter","band":"Band 2","closing_on":"2027-02-01"}`)
	return w.coordinator("/v1/vacancies/" + id)
}
