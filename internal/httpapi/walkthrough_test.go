package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
)

// TestWalkThrough runs the README's walk-through, step by step with the same bodies: one
// participant from referral through a Step into Work cohort, a placement, a mentor and an
// apprenticeship with its 3-month sustainment check. It runs it twice, each time with its own
// $RUN suffix, as the README says it may be.
func TestWalkThrough(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	org := env.Organisation(t, domain.KindTrust, "Northgate Teaching Hospitals NHS Foundation Trust").ID.String()
	token := env.User(t, uuidOf(t, org), domain.RoleCoordinator)
	post := func(path, body string, want int) map[string]any {
		t.Helper()
		res := env.Do(t, http.MethodPost, path, token, body)
		if res.Status != want {
			t.Fatalf("POST %s: %d, want %d: %s", path, res.Status, want, res.Body)
		}
		var out map[string]any
		res.Decode(t, &out)
		return out
	}
	patch := func(path, body string) map[string]any {
		t.Helper()
		res := env.Do(t, http.MethodPatch, path, token, body, "Content-Type", "application/merge-patch+json")
		if res.Status != http.StatusOK {
			t.Fatalf("PATCH %s: %d %s", path, res.Status, res.Body)
		}
		var out map[string]any
		res.Decode(t, &out)
		return out
	}
	get := func(path string) map[string]any {
		t.Helper()
		res := env.Do(t, http.MethodGet, path, token, "")
		if res.Status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, res.Status, res.Body)
		}
		var out map[string]any
		res.Decode(t, &out)
		return out
	}
	want := func(what string, got, expected any) {
		t.Helper()
		if got != expected {
			t.Errorf("%s = %v, want %v", what, got, expected)
		}
	}

	// walk is the README's code block with its $RUN; it runs twice, as a reader may run it.
	walk := func(run string) {
		p := post("/v1/participants", `{"organisation_id":"`+org+`","external_ref":"NTH-WALK-`+run+`","given_name":"Sam","family_name":"Okafor",
  "date_of_birth":"2002-05-14","benefit_status":"universal_credit","referral_source":"jobcentre_plus","consent":{"processing":true}}`, 201)["id"].(string)

		siw := "01900000-0000-7000-8000-000000000101"
		c := post("/v1/cohorts", `{"programme_id":"`+siw+`","organisation_id":"`+org+`","name":"Step into Work, spring 2027",
  "starts_on":"2027-03-01","ends_on":"2027-04-25","capacity":12,"role_areas":["healthcare_support","facilities"]}`, 201)["id"].(string)

		e := post("/v1/enrolments", `{"cohort_id":"`+c+`","participant_id":"`+p+`","on":"2027-02-10"}`, 201)["id"].(string)
		enrolled := post("/v1/enrolments/"+e+"/transitions", `{"to":"enrolled","on":"2027-02-20"}`, 200)
		want("status after enrolling", enrolled["status"], "enrolled")
		want("enrolled_on", enrolled["enrolled_on"], "2027-02-20")
		want("places taken", get("/v1/cohorts/" + c)["places_taken"], float64(1))
		active := post("/v1/enrolments/"+e+"/transitions", `{"to":"active","on":"2027-03-01"}`, 200)
		want("started_on", active["started_on"], "2027-03-01")

		placement := post("/v1/placements", `{"enrolment_id":"`+e+`","kind":"placement","host_department":"Ward 7, Elderly Care","site":"Northgate General",
  "role_area":"healthcare_support","supervisor_name":"Ward Sister","starts_on":"2027-03-15","ends_on":"2027-04-16","hours_per_week":22.5}`, 201)
		want("placement status", placement["status"], "planned")
		want("placement participant", placement["participant_id"], p)

		m := post("/v1/mentors", `{"organisation_id":"`+org+`","kind":"professional","given_name":"Priya","family_name":"Shah"}`, 201)["id"].(string)
		match := post("/v1/mentoring-matches", `{"mentor_id":"`+m+`","participant_id":"`+p+`","enrolment_id":"`+e+`",
  "starts_on":"2027-03-01","planned_end_on":"2027-06-01"}`, 201)["id"].(string)
		checkIn := post("/v1/mentoring-matches/"+match+"/check-ins", `{"held_on":"2027-03-08","minutes":45,"mode":"video"}`, 201)
		want("check-in minutes", checkIn["minutes"], float64(45))

		completed := post("/v1/enrolments/"+e+"/transitions", `{"to":"completed","on":"2027-04-25"}`, 200)
		want("completed_on", completed["completed_on"], "2027-04-25")
		o := post("/v1/outcomes", `{"participant_id":"`+p+`","enrolment_id":"`+e+`","destination":"apprenticeship","sector":"nhs",
  "employer":"Northgate Teaching Hospitals","role":"Healthcare support worker apprentice","starts_on":"2027-05-10","ilr_code":"EDU2"}`, 201)
		want("positive", o["positive"], true)
		outcomeID := o["id"].(string)

		due := get("/v1/outcomes?sustainment_due_before=2027-08-11")
		if !strings.Contains(apitest.Marshal(t, due["data"]), outcomeID) {
			t.Errorf("the apprenticeship is not due its 3-month check by 2027-08-11: %v", due["data"])
		}
		checked := patch("/v1/outcomes/"+outcomeID, `{"sustained_3_months":{"result":"yes","checked_on":"2027-08-12"}}`)
		want("3-month check", apitest.Marshal(t, checked["sustained_3_months"]), `{"checked_on":"2027-08-12","result":"yes"}`)
		if strings.Contains(apitest.Marshal(t, get("/v1/outcomes?sustainment_due_before=2027-08-11")["data"]), outcomeID) {
			t.Error("the checked apprenticeship is still listed as due before its 6-month mark")
		}

		var kinds []string
		for _, ev := range get("/v1/participants/" + p + "/timeline")["events"].([]any) {
			kinds = append(kinds, ev.(map[string]any)["kind"].(string))
		}
		wantKinds := []string{"enrolment.referred", "enrolment.enrolled", "enrolment.active", "mentoring_match", "placement", "enrolment.completed", "outcome"}
		if strings.Join(kinds, ",") != strings.Join(wantKinds, ",") {
			t.Errorf("timeline %v, want %v", kinds, wantKinds)
		}
	}
	walk("1764860000")
	walk("1764860060") // a second run: a new participant, nothing refused as taken
}

func uuidOf(t *testing.T, s string) uuid.UUID {
	t.Helper()
	id, err := uuid.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// A trust runs a Prince's Trust programme and names the partner on its cohort: the delivery
// partners are a directory every trust can read.
func TestTrustNamesADeliveryPartnerOnItsCohort(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Riverside Community Health NHS Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	princesTrust := "01900000-0000-7000-8000-000000000001"
	res := env.Do(t, http.MethodPost, "/v1/cohorts", token, `{"programme_id":"01900000-0000-7000-8000-000000000102",
		"organisation_id":"`+trust.ID.String()+`","name":"Get Into Healthcare, June","starts_on":"2027-06-07","ends_on":"2027-07-09",
		"capacity":10,"delivery_partner_id":"`+princesTrust+`"}`)
	if res.Status != http.StatusCreated {
		t.Fatalf("create cohort with the Prince's Trust as delivery partner: %d %s", res.Status, res.Body)
	}
	var c struct {
		DeliveryPartnerID string `json:"delivery_partner_id"`
	}
	res.Decode(t, &c)
	if c.DeliveryPartnerID != princesTrust {
		t.Errorf("delivery_partner_id = %q", c.DeliveryPartnerID)
	}
}
