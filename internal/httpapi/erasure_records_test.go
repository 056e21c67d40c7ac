package httpapi_test

import (
	"bytes"
	"encoding/hex"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/internal/postgres"
)

// TestErasureClearsFreeTextOfEveryRecord writes a marker into every free-text field of every
// kind of record a participant can have (found in openapi.yaml, so that a field added later is
// written too), with Idempotency-Keys so that stored replies hold it, erases the participant,
// and looks for the marker in a pg_dump of the whole database: it must be nowhere, while the
// coded facts reports count read back unchanged and another person's text stays.
func TestErasureClearsFreeTextOfEveryRecord(t *testing.T) {
	t.Parallel()
	pgDump := findPgDump(t)
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Harbourside NHS Foundation Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	org := trust.ID.String()
	marker := "ZZMARK-" + apitest.Unique()
	w := newMarkerWriter(t, env, token, marker)

	// The participant: on no benefit, so Step into Work needs an eligibility override (a reason
	// in free text); 21 when the cohorts run, so Street Doctors takes them as they are.
	p := w.send("POST /v1/participants", "/v1/participants", 201, map[string]any{"organisation_id": org,
		"external_ref": marker, "email": marker + "@example.org", "date_of_birth": "2005-06-01",
		"benefit_status": "none", "referral_source": "jobcentre_plus", "consent": map[string]bool{"processing": true}})
	pid := p["id"].(string)
	w.send("PATCH /v1/participants/{participant_id}", "/v1/participants/"+pid, 200, map[string]any{})

	// Cohorts, mentors and vacancies are the trust's, not the person's: no markers.
	siw := env.MustCreate(t, "/v1/cohorts", token, apitest.JSON(t, "programme_id", "01900000-0000-7000-8000-000000000101",
		"organisation_id", org, "name", "Step into Work, spring", "starts_on", "2027-03-01", "ends_on", "2027-04-25", "capacity", 5))
	sd := env.MustCreate(t, "/v1/cohorts", token, apitest.JSON(t, "programme_id", "01900000-0000-7000-8000-000000000105",
		"organisation_id", org, "name", "Street Doctors, winter", "starts_on", "2027-01-04", "ends_on", "2027-02-26", "capacity", 5))
	mentor := env.MustCreate(t, "/v1/mentors", token, apitest.JSON(t, "organisation_id", org, "kind", "professional",
		"given_name", "Priya", "family_name", "Shah"))
	vacancy := env.MustCreate(t, "/v1/vacancies", token, apitest.JSON(t, "organisation_id", org, "employer_name", "Harbourside Estates",
		"role", "Porter", "closing_on", "2027-03-31"))

	e := w.send("POST /v1/enrolments", "/v1/enrolments", 201, map[string]any{"cohort_id": siw, "participant_id": pid,
		"status": "enrolled", "on": "2027-02-20"})["id"].(string)
	w.send("POST /v1/enrolments/{enrolment_id}/transitions", "/v1/enrolments/"+e+"/transitions", 200, map[string]any{"to": "active", "on": "2027-03-01"})
	placement := w.send("POST /v1/placements", "/v1/placements", 201, map[string]any{"enrolment_id": e, "kind": "placement",
		"role_area": "healthcare_support", "starts_on": "2027-03-15", "ends_on": "2027-04-16", "hours_per_week": 22.5,
		"status": "ended_early"})["id"].(string)
	w.send("PATCH /v1/placements/{placement_id}", "/v1/placements/"+placement, 200, map[string]any{"hours_per_week": 20})
	match := w.send("POST /v1/mentoring-matches", "/v1/mentoring-matches", 201, map[string]any{"mentor_id": mentor,
		"participant_id": pid, "enrolment_id": e, "starts_on": "2027-03-01", "planned_end_on": "2027-06-01"})["id"].(string)
	w.send("POST /v1/mentoring-matches/{match_id}/check-ins", "/v1/mentoring-matches/"+match+"/check-ins", 201,
		map[string]any{"held_on": "2027-03-08", "minutes": 45, "mode": "video"})
	w.send("PATCH /v1/mentoring-matches/{match_id}", "/v1/mentoring-matches/"+match, 200, map[string]any{"status": "ended_early", "ended_on": "2027-04-01"})
	interview := w.send("POST /v1/interviews", "/v1/interviews", 201, map[string]any{"vacancy_id": vacancy, "participant_id": pid,
		"enrolment_id": e, "held_on": "2027-04-02", "result": "offered"})["id"].(string)
	w.send("PATCH /v1/interviews/{interview_id}", "/v1/interviews/"+interview, 200, map[string]any{"held_on": "2027-04-03"})
	outcome := w.send("POST /v1/outcomes", "/v1/outcomes", 201, map[string]any{"participant_id": pid, "enrolment_id": e,
		"destination": "employment", "sector": "nhs", "starts_on": "2027-05-10", "ilr_code": "EMP1"})["id"].(string)
	w.send("PATCH /v1/outcomes/{outcome_id}", "/v1/outcomes/"+outcome, 200,
		map[string]any{"sustained_3_months": map[string]string{"result": "yes", "checked_on": "2027-08-12"}})
	// A deleted record keeps its text in its tombstone until erasure clears it.
	deleted := w.send("POST /v1/outcomes", "/v1/outcomes", 201, map[string]any{"participant_id": pid,
		"destination": "volunteering", "ilr_code": "VOL1"})["id"].(string)
	env.MustDelete(t, "/v1/outcomes/"+deleted, token)
	w.send("POST /v1/enrolments/{enrolment_id}/transitions", "/v1/enrolments/"+e+"/transitions", 200, map[string]any{"to": "withdrawn", "on": "2027-04-20"})

	// A completed mentoring programme makes them a peer mentor, a record of its own.
	e2 := w.send("POST /v1/enrolments", "/v1/enrolments", 201, map[string]any{"cohort_id": sd, "participant_id": pid,
		"status": "enrolled", "on": "2027-01-04"})["id"].(string)
	for _, to := range []string{"active", "completed"} {
		w.send("POST /v1/enrolments/{enrolment_id}/transitions", "/v1/enrolments/"+e2+"/transitions", 200, map[string]any{"to": to, "on": "2027-02-26"})
	}
	peer := w.send("POST /v1/participants/{participant_id}/peer-mentor", "/v1/participants/"+pid+"/peer-mentor", 201, map[string]any{})["id"].(string)
	w.send("PATCH /v1/mentors/{mentor_id}", "/v1/mentors/"+peer, 200, map[string]any{"email": marker + "@peer.example.org"})

	w.checkCoverage(map[string]string{
		"POST /v1/mentors": "records a mentor who is someone else; a participant's own mentor record is made by POST /v1/participants/{participant_id}/peer-mentor",
		// A case study is the trust's own article, written for publication with the person's consent:
		// erasure unlinks it from them and takes it back to draft (directory_test.go), and its text
		// is the trust's to revise before publishing it again.
		"POST /v1/case-studies":                  "the trust's article; erasure unlinks and unpublishes it (directory_test.go)",
		"PATCH /v1/case-studies/{case_study_id}": "the trust's article; erasure unlinks and unpublishes it (directory_test.go)",
	})

	// Someone else's records, whose text erasure must leave alone.
	keep := "KEEPMARK-" + apitest.Unique()
	other := env.MustCreate(t, "/v1/participants", token, apitest.ParticipantBody(t, trust.ID))
	otherOutcome := env.MustCreate(t, "/v1/outcomes", token, apitest.JSON(t, "participant_id", other, "destination", "employment",
		"ilr_code", "EMP1", "employer", keep, "role", keep))
	otherMatch := env.MustCreate(t, "/v1/mentoring-matches", token, apitest.JSON(t, "mentor_id", mentor, "participant_id", other,
		"starts_on", "2027-03-01", "planned_end_on", "2027-06-01"))
	apitest.MustPatch[map[string]any](t, env, "/v1/mentoring-matches/"+otherMatch, token,
		apitest.JSON(t, "status", "ended_early", "ended_on", "2027-04-01", "end_reason", keep))

	// The dump must see every marker where it is, or its silence afterwards proves nothing.
	before := dumpDatabase(t, pgDump, env.DBURL)
	for field, value := range w.written {
		if len(before.placesOf(value)) == 0 {
			t.Errorf("before erasure the dump does not hold the marker written into %s (%q)", field, value)
		}
	}
	found := before.placesOf(marker)
	for _, table := range []string{"participants", "enrolments", "placements", "outcomes", "mentoring_matches", "mentors", "idempotency_keys"} {
		if !slices.Contains(found, table) {
			t.Errorf("before erasure the dump does not hold the marker in %s (only in %v)", table, found)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	env.MustDelete(t, "/v1/participants/"+pid, token)

	after := dumpDatabase(t, pgDump, env.DBURL)
	if places := after.placesOf(marker); len(places) > 0 {
		t.Errorf("after erasure the marker is still in %v:\n%s", places, after.linesWith(marker))
	}
	if places := after.placesOf(keep); !slices.Contains(places, "outcomes") || !slices.Contains(places, "mentoring_matches") {
		t.Errorf("erasure cleared another participant's text: %q is left only in %v", keep, places)
	}

	// The coded facts still read back; text a rule requires reads as the erasure placeholder.
	get := func(path string) map[string]any { return apitest.MustGet[map[string]any](t, env, path, token) }
	wantFields(t, "enrolment", get("/v1/enrolments/"+e), map[string]any{"status": "withdrawn", "withdrawn_on": "2027-04-20",
		"started_on": "2027-03-01", "withdrawal_reason": domain.ErasedText, "eligibility_override_reason": domain.ErasedText})
	wantFields(t, "placement", get("/v1/placements/"+placement), map[string]any{"status": "ended_early", "kind": "placement",
		"role_area": "healthcare_support", "starts_on": "2027-03-15", "ends_on": "2027-04-16", "hours_per_week": float64(20),
		"host_department": domain.ErasedText, "site": nil, "supervisor_name": nil, "end_reason": domain.ErasedText})
	wantFields(t, "outcome", get("/v1/outcomes/"+outcome), map[string]any{"destination": "employment", "positive": true,
		"sector": "nhs", "ilr_code": "EMP1", "starts_on": "2027-05-10", "employer": nil, "role": nil,
		"sustained_3_months": map[string]any{"result": "yes", "checked_on": "2027-08-12"}})
	wantFields(t, "match", get("/v1/mentoring-matches/"+match), map[string]any{"status": "ended_early", "ended_on": "2027-04-01",
		"planned_end_on": "2027-06-01", "end_reason": domain.ErasedText})
	wantFields(t, "interview", get("/v1/interviews/"+interview), map[string]any{"result": "offered", "held_on": "2027-04-03"})
	wantFields(t, "completed enrolment", get("/v1/enrolments/"+e2), map[string]any{"status": "completed", "completed_on": "2027-02-26"})
	wantFields(t, "another's outcome", get("/v1/outcomes/"+otherOutcome), map[string]any{"employer": keep, "role": keep})
	wantFields(t, "another's match", get("/v1/mentoring-matches/"+otherMatch), map[string]any{"end_reason": keep})
	if checkIns := apitest.FirstPage[map[string]any](t, env, "/v1/mentoring-matches/"+match+"/check-ins", token, nil); len(checkIns) != 1 ||
		checkIns[0]["minutes"] != float64(45) || checkIns[0]["mode"] != "video" {
		t.Errorf("check-ins after erasure: %v", checkIns)
	}

	// Each record erasure changed has its audit event, naming the fields written.
	for id, action := range map[string]string{e: "enrolment.erase", placement: "placement.erase", outcome: "outcome.erase",
		deleted: "outcome.erase", match: "mentoring_match.erase"} {
		if n := env.MustQueryInt(t, `SELECT count(*) FROM audit_events WHERE resource_id = $1 AND action = $2`, id, action); n != 1 {
			t.Errorf("%d %s events for %s, want 1", n, action, id)
		}
	}
	var fields string
	if err := env.DB.SQL().QueryRow(`SELECT fields::text FROM audit_events WHERE resource_id = $1 AND action = 'placement.erase'`,
		placement).Scan(&fields); err != nil || fields != `["host_department", "site", "supervisor_name", "end_reason"]` {
		t.Errorf("placement.erase names %s (%v)", fields, err)
	}

	// Erasing again writes nothing more.
	events := env.MustQueryInt(t, `SELECT count(*) FROM audit_events`)
	env.MustDelete(t, "/v1/participants/"+pid, token)
	if n := env.MustQueryInt(t, `SELECT count(*) FROM audit_events`); n != events {
		t.Errorf("a second erasure wrote %d audit events", n-events)
	}
}

// Erasing again clears text written into the person's records after the first erasure: a
// placement of theirs changed by a stale client, say.
func TestErasingAgainClearsTextWrittenSince(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Fellside NHS Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	org := trust.ID.String()
	pid := env.MustCreate(t, "/v1/participants", token, apitest.ParticipantBody(t, trust.ID, "date_of_birth", "2005-06-01"))
	sd := env.MustCreate(t, "/v1/cohorts", token, apitest.JSON(t, "programme_id", "01900000-0000-7000-8000-000000000105",
		"organisation_id", org, "name", "Street Doctors", "starts_on", "2027-01-04", "ends_on", "2027-02-26", "capacity", 5))
	e := env.MustCreate(t, "/v1/enrolments", token, apitest.JSON(t, "cohort_id", sd, "participant_id", pid, "status", "enrolled", "on", "2027-01-04"))
	placement := env.MustCreate(t, "/v1/placements", token, apitest.JSON(t, "enrolment_id", e, "kind", "work_experience",
		"host_department", "Pharmacy", "role_area", "clinical_support", "starts_on", "2027-01-11", "ends_on", "2027-01-15"))
	env.MustDelete(t, "/v1/participants/"+pid, token)

	later := "Told us about their new flat in " + apitest.Unique()
	apitest.MustPatch[map[string]any](t, env, "/v1/placements/"+placement, token, apitest.JSON(t, "site", later))
	env.MustDelete(t, "/v1/participants/"+pid, token)
	got := apitest.MustGet[map[string]any](t, env, "/v1/placements/"+placement, token)
	wantFields(t, "placement", got, map[string]any{"site": nil, "host_department": domain.ErasedText, "kind": "work_experience"})
}

// Erasure changes only what the caller reaches. Another trust naming the participant's id
// changes nothing, even below the service's own check; the participant's trust leaves alone the
// enrolment its collaboration keeps; the collaboration, erasing again, clears it.
func TestErasureReachesOnlyWhatTheCallerReaches(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Eastmoor NHS Trust")
	stranger := env.Organisation(t, domain.KindTrust, "Westmoor NHS Trust")
	collab := env.Organisation(t, domain.KindCollaboration, "Moorland Collaboration")
	if err := env.Services.Organisations.AddMember(apitest.System(), collab.ID, trust.ID); err != nil {
		t.Fatal(err)
	}
	trustToken, collabToken := env.User(t, trust.ID, domain.RoleCoordinator), env.User(t, collab.ID, domain.RoleCoordinator)
	reason := "Moved in with their aunt in " + apitest.Unique()

	pid := env.MustCreate(t, "/v1/participants", trustToken, apitest.ParticipantBody(t, trust.ID, "date_of_birth", "2005-06-01"))
	outcome := env.MustCreate(t, "/v1/outcomes", trustToken, apitest.JSON(t, "participant_id", pid, "destination", "employment",
		"ilr_code", "EMP1", "employer", reason))
	cohort := env.MustCreate(t, "/v1/cohorts", collabToken, apitest.JSON(t, "programme_id", "01900000-0000-7000-8000-000000000105",
		"organisation_id", collab.ID.String(), "name", "Street Doctors, shared", "starts_on", "2027-01-04", "ends_on", "2027-02-26", "capacity", 5))
	e := env.MustCreate(t, "/v1/enrolments", collabToken, apitest.JSON(t, "cohort_id", cohort, "participant_id", pid))
	apitest.WantStatus(t, env.Do(t, http.MethodPost, "/v1/enrolments/"+e+"/transitions", collabToken,
		apitest.JSON(t, "to", "withdrawn", "reason", reason)), http.StatusOK)
	withdrawal := func() string {
		var v string
		if err := env.DB.SQL().QueryRow(`SELECT withdrawal_reason FROM enrolments WHERE id = $1`, e).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}

	// The attack: another trust's principal asks storage itself to erase this participant's records.
	ctx := domain.WithPrincipal(t.Context(), domain.Principal{Subject: "user:" + apitest.Unique(), OrganisationID: stranger.ID,
		Role: domain.RoleCoordinator, Reach: []uuid.UUID{stranger.ID}})
	if n, err := postgres.NewErasure(env.DB).EraseRecordsOf(ctx, uuid.MustParse(pid), "user:stranger", ""); err != nil || n != 0 {
		t.Errorf("another trust's erasure changed %d records (%v)", n, err)
	}
	if got := apitest.MustGet[map[string]any](t, env, "/v1/outcomes/"+outcome, trustToken); got["employer"] != reason || withdrawal() != reason {
		t.Errorf("another trust's erasure cleared text: outcome %v, withdrawal %q", got["employer"], withdrawal())
	}

	env.MustDelete(t, "/v1/participants/"+pid, trustToken)
	if got := apitest.MustGet[map[string]any](t, env, "/v1/outcomes/"+outcome, trustToken); got["employer"] != nil {
		t.Errorf("the trust's erasure left its outcome's employer %v", got["employer"])
	}
	if got := withdrawal(); got != reason {
		t.Errorf("the trust's erasure reached its collaboration's enrolment: %q", got)
	}
	env.MustDelete(t, "/v1/participants/"+pid, collabToken)
	if got := withdrawal(); got != domain.ErasedText {
		t.Errorf("the collaboration's erasure left the withdrawal reason %q", got)
	}
}

// wantFields checks the named fields of a record read back as JSON.
func wantFields(t *testing.T, what string, got, want map[string]any) {
	t.Helper()
	for k, v := range want {
		if g, w := apitest.Marshal(t, got[k]), apitest.Marshal(t, v); g != w {
			t.Errorf("%s: %s = %s, want %s", what, k, g, w)
		}
	}
}

// markerWriter sends the requests that build a participant's records, writing a marker into
// every free-text property the contract gives each request body.
type markerWriter struct {
	t       *testing.T
	env     *apitest.Env
	token   string
	marker  string
	doc     *openapi3.T
	sent    map[string]bool   // operations sent, "METHOD /path/{template}"
	written map[string]string // the value written, by property name
}

func newMarkerWriter(t *testing.T, env *apitest.Env, token, marker string) *markerWriter {
	return &markerWriter{t: t, env: env, token: token, marker: marker, doc: contract(t), sent: map[string]bool{}, written: map[string]string{}}
}

// send fills every free-text property of op's body with the marker (and the property's name,
// to tell them apart), sends it to path, with a fresh Idempotency-Key when op takes one, and
// decodes the answer, which must be want.
func (w *markerWriter) send(op, path string, want int, body map[string]any) map[string]any {
	w.t.Helper()
	method, template, _ := strings.Cut(op, " ")
	item := w.doc.Paths.Find(template)
	if item == nil || item.GetOperation(method) == nil {
		w.t.Fatalf("%s is not an operation of openapi.yaml", op)
	}
	o := item.GetOperation(method)
	for _, f := range freeTextProperties(requestSchema(o)) {
		v := w.marker + "-" + f.name
		if f.max > 0 && uint64(len(v)) > f.max {
			w.t.Fatalf("%s: the marker %q is longer than %s's maxLength %d", op, v, f.name, f.max)
		}
		body[f.name], w.written[f.name] = v, v
	}
	headers := []string{}
	if method == http.MethodPatch {
		headers = append(headers, "Content-Type", "application/merge-patch+json")
	}
	if takesIdempotencyKey(o) {
		headers = append(headers, "Idempotency-Key", "erasure-"+apitest.Unique())
	}
	res := w.env.Do(w.t, method, path, w.token, apitest.Marshal(w.t, body), headers...)
	if res.Status != want {
		w.t.Fatalf("%s %s: %d, want %d: %s", method, path, res.Status, want, res.Body)
	}
	w.sent[op] = true
	var out map[string]any
	res.Decode(w.t, &out)
	return out
}

// checkCoverage fails the test for every operation of openapi.yaml that writes free text into
// a participant's records and that the test did not send, unless excused with a reason.
func (w *markerWriter) checkCoverage(excused map[string]string) {
	w.t.Helper()
	for _, op := range participantTextOperations(w.doc) {
		if !w.sent[op] && excused[op] == "" {
			w.t.Errorf("%s writes free text into a participant's records, and this test does not send it: add it, so that erasure is seen to clear it", op)
		}
	}
}

// participantTextOperations lists the operations whose bodies hold free text that ends up in a
// participant's records: those under /v1/participants, those of collections whose records name a
// participant_id, and those nested under such a collection (a match's check-ins).
func participantTextOperations(doc *openapi3.T) []string {
	roots := map[string]bool{"/v1/participants": true}
	for path, item := range doc.Paths.Map() {
		for _, o := range item.Operations() {
			if s := successSchema(o); s != nil && s.Value != nil && s.Value.Properties["participant_id"] != nil {
				roots[rootOf(path)] = true
			}
		}
	}
	var out []string
	for path, item := range doc.Paths.Map() {
		for method, o := range item.Operations() {
			if roots[rootOf(path)] && len(freeTextProperties(requestSchema(o))) > 0 {
				out = append(out, method+" "+path)
			}
		}
	}
	slices.Sort(out)
	return out
}

// rootOf is the collection a path belongs to: "/v1/mentoring-matches" for its check-ins.
func rootOf(path string) string {
	parts := strings.SplitN(path, "/", 4)
	return strings.Join(parts[:min(len(parts), 3)], "/")
}

func requestSchema(o *openapi3.Operation) *openapi3.SchemaRef {
	if o.RequestBody == nil || o.RequestBody.Value == nil {
		return nil
	}
	for _, media := range o.RequestBody.Value.Content {
		return media.Schema
	}
	return nil
}

func successSchema(o *openapi3.Operation) *openapi3.SchemaRef {
	for _, status := range []int{http.StatusOK, http.StatusCreated} {
		if r := o.Responses.Status(status); r != nil && r.Value != nil {
			if media := r.Value.Content.Get("application/json"); media != nil {
				return media.Schema
			}
		}
	}
	return nil
}

func takesIdempotencyKey(o *openapi3.Operation) bool {
	return o.Parameters.GetByInAndName(openapi3.ParameterInHeader, "Idempotency-Key") != nil
}

type textProperty struct {
	name string
	max  uint64 // maxLength; 0 when unbounded
}

// freeTextProperties are the properties of a body a person writes in their own words: strings
// with no format, enum or pattern to code them.
func freeTextProperties(s *openapi3.SchemaRef) []textProperty {
	if s == nil || s.Value == nil {
		return nil
	}
	var out []textProperty
	for name, p := range s.Value.Properties {
		v := p.Value
		if v != nil && len(v.AllOf) == 1 && v.Type.IsEmpty() { // nullable: true beside a $ref
			v = v.AllOf[0].Value
		}
		if v == nil || !v.Type.Is("string") || v.Format != "" || len(v.Enum) > 0 || v.Pattern != "" {
			continue
		}
		tp := textProperty{name: name}
		if v.MaxLength != nil {
			tp.max = *v.MaxLength
		}
		out = append(out, tp)
	}
	slices.SortFunc(out, func(a, b textProperty) int { return strings.Compare(a.name, b.name) })
	return out
}

// findPgDump finds pg_dump on PATH or under /usr/lib/postgresql/*/bin, the newest of them: an
// older pg_dump refuses a newer server.
func findPgDump(t *testing.T) string {
	t.Helper()
	candidates, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_dump")
	if p, err := exec.LookPath("pg_dump"); err == nil {
		candidates = append(candidates, p)
	}
	best, bestVersion := "", []int(nil)
	for _, c := range candidates {
		out, err := exec.Command(c, "--version").Output()
		if err != nil {
			continue
		}
		var version []int
		for _, n := range regexp.MustCompile(`\d+`).FindAllString(string(out), 2) {
			i, _ := strconv.Atoi(n)
			version = append(version, i)
		}
		if best == "" || slices.Compare(version, bestVersion) > 0 {
			best, bestVersion = c, version
		}
	}
	if best == "" {
		t.Fatal("pg_dump is needed to check what erasure leaves in the database, and is neither on PATH nor under " +
			"/usr/lib/postgresql/*/bin: install the postgresql (or postgresql-client) package")
	}
	return best
}

// dump is a pg_dump --data-only of a database, table by table, with bytea columns (stored
// idempotent replies) decoded so that text inside them can be found.
type dump map[string]string

var byteaHex = regexp.MustCompile(`\\\\x([0-9a-fA-F]+)`)

func dumpDatabase(t *testing.T, pgDump, url string) dump {
	t.Helper()
	cmd := exec.Command(pgDump, "--data-only", "--no-password", "--dbname="+url)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v: %s", pgDump, err, stderr.String())
	}
	d := dump{}
	table := ""
	for _, line := range strings.Split(string(out), "\n") {
		if rest, ok := strings.CutPrefix(line, "COPY public."); ok {
			table, _, _ = strings.Cut(rest, " ")
			continue
		}
		if line == `\.` {
			table = ""
			continue
		}
		if table == "" {
			continue
		}
		text := line
		for _, m := range byteaHex.FindAllStringSubmatch(line, -1) {
			if b, err := hex.DecodeString(m[1]); err == nil {
				text += "\t" + string(b)
			}
		}
		d[table] += strings.ToLower(text) + "\n"
	}
	if len(d["participants"]) == 0 || len(d["audit_events"]) == 0 {
		t.Fatalf("the dump holds no participants or audit events; it cannot be read: %.500s", out)
	}
	return d
}

// placesOf lists the tables holding needle, in any case.
func (d dump) placesOf(needle string) []string {
	var out []string
	for table, text := range d {
		if strings.Contains(text, strings.ToLower(needle)) {
			out = append(out, table)
		}
	}
	slices.Sort(out)
	return out
}

// linesWith shows the rows holding needle, for the failure message.
func (d dump) linesWith(needle string) string {
	var out []string
	for table, text := range d {
		for _, line := range strings.Split(text, "\n") {
			if strings.Contains(line, strings.ToLower(needle)) {
				out = append(out, table+": "+line[:min(len(line), 300)])
			}
		}
	}
	slices.Sort(out)
	return strings.Join(out, "\n")
}
