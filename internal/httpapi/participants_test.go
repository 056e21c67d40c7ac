package httpapi_test

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
)

func TestCreateAndReadParticipant(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Northgate Teaching Hospitals NHS Foundation Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)

	body := `{"organisation_id":"` + trust.ID.String() + `","external_ref":"NTH-1","given_name":"Aisha","family_name":"Khan",
		"date_of_birth":"2001-04-05","postcode":"l18jq","benefit_status":"universal_credit","consent":{"processing":true}}`
	res := env.Do(t, http.MethodPost, "/v1/participants", token, body)
	if res.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", res.Status, res.Body)
	}
	var created struct {
		ID       string `json:"id"`
		Postcode string `json:"postcode"`
		Version  int64  `json:"version"`
	}
	res.Decode(t, &created)
	if loc := res.Header.Get("Location"); loc != "/v1/participants/"+created.ID {
		t.Errorf("Location = %q", loc)
	}
	if res.Header.Get("ETag") != `"1"` || created.Postcode != "L1 8JQ" {
		t.Errorf("ETag %q, postcode %q", res.Header.Get("ETag"), created.Postcode)
	}
	if res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("personal data without Cache-Control: no-store")
	}

	got := env.Do(t, http.MethodGet, "/v1/participants/"+created.ID, token, "")
	if got.Status != http.StatusOK {
		t.Fatalf("get: %d %s", got.Status, got.Body)
	}
}

func TestCreateParticipantRefusesBadInput(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Riverside Community Health NHS Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	org := `"organisation_id":"` + trust.ID.String() + `"`
	cases := []struct {
		name   string
		body   string
		status int
		field  string
	}{
		{"unknown field", `{` + org + `,"given_name":"A","family_name":"B","date_of_birth":"2000-01-01","nickname":"x"}`, 400, "nickname"},
		{"key in another case", `{` + org + `,"given_name":"A","family_name":"B","date_of_birth":"2000-01-01","External_Ref":"x"}`, 400, "External_Ref"},
		{"key given twice", `{` + org + `,"given_name":"A","given_name":"B","family_name":"B","date_of_birth":"2000-01-01"}`, 400, "given_name"},
		{"read-only field", `{` + org + `,"given_name":"A","family_name":"B","date_of_birth":"2000-01-01","id":"0190a000-0000-7000-8000-000000000001"}`, 400, "id"},
		{"bad date", `{` + org + `,"given_name":"A","family_name":"B","date_of_birth":"2000-02-31x"}`, 400, "date_of_birth"},
		{"future birth", `{` + org + `,"given_name":"A","family_name":"B","date_of_birth":"2999-01-01"}`, 422, "date_of_birth"},
		{"malformed id", `{"organisation_id":"not-a-uuid","given_name":"A","family_name":"B","date_of_birth":"2000-01-01"}`, 400, "organisation_id"},
		{"missing name", `{` + org + `,"family_name":"B","date_of_birth":"2000-01-01"}`, 400, "given_name"},
		{"bad postcode", `{` + org + `,"given_name":"A","family_name":"B","date_of_birth":"2000-01-01","postcode":"NOT A POSTCODE"}`, 400, "postcode"},
		{"bad enum", `{` + org + `,"given_name":"A","family_name":"B","date_of_birth":"2000-01-01","benefit_status":"rich"}`, 400, "benefit_status"},
		{"not json", `{"given_name":`, 400, "body"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := env.Do(t, http.MethodPost, "/v1/participants", token, tc.body)
			if res.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", res.Status, tc.status, res.Body)
			}
			if p := res.Problem(t); !slices.Contains(p.Fields(), tc.field) {
				t.Errorf("problem names %v, want %q: %s", p.Fields(), tc.field, res.Body)
			}
		})
	}
	// Nothing half-written: every refused request left no participant behind.
	page, err := env.Services.Participants.List(apitest.System(), domain.ParticipantFilter{}, domain.PageRequest{Limit: 10})
	if err != nil || len(page.Items) != 0 {
		t.Fatalf("refused requests left %d participants (err %v)", len(page.Items), err)
	}
	_ = context.Background
}
