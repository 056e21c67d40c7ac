package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
)

// Export, then import the file as it came, in upsert mode: nothing changes. The participants
// carry what a spreadsheet would mangle (formula-like names, a quote, a comma and a line break)
// and consent both granted and not, and one was erased.
func TestExportThenReimportChangesNothing(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	env.StartJobs(t)
	trust := env.Organisation(t, domain.KindTrust, "Northgate")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	org := trust.ID.String()
	for i, body := range []string{
		`{"organisation_id":"` + org + `","external_ref":"RT-1","given_name":"=HYPERLINK(\"x\")","family_name":"O'Neil, \"Jr\"\nSecond line",
		  "date_of_birth":"2001-04-05","email":"rt1@example.org","phone":"+44 7700 900001","postcode":"l1 8jq","benefit_status":"universal_credit",
		  "referral_source":"jobcentre_plus","consent":{"processing":true,"hr_sharing":true}}`,
		`{"organisation_id":"` + org + `","external_ref":"RT-2","given_name":"@Sam","family_name":"-1+2","date_of_birth":"1999-12-31",
		  "benefit_status":"none","consent":{"processing":true,"case_study":false}}`,
		`{"organisation_id":"` + org + `","external_ref":"RT-3","given_name":"To be","family_name":"Erased","date_of_birth":"1990-01-01",
		  "benefit_status":"unknown"}`,
	} {
		id := env.MustCreate(t, "/v1/participants", token, body)
		if i == 2 {
			apitest.WantStatus(t, env.Do(t, http.MethodDelete, "/v1/participants/"+id, token, ""), http.StatusNoContent)
		}
	}
	versions := env.MustQueryInt(t, `SELECT sum(version) FROM participants WHERE organisation_id = $1`, trust.ID)
	const participantEvents = `SELECT count(*) FROM audit_events WHERE organisation_id = $1 AND action LIKE 'participant.%'`
	events := env.MustQueryInt(t, participantEvents, trust.ID)

	res := env.Do(t, http.MethodGet, "/v1/participants", token, "", "Accept", "text/csv")
	apitest.WantStatus(t, res, http.StatusOK)
	exported := string(res.Body)
	if !strings.Contains(exported, `'=HYPERLINK`) || !strings.Contains(exported, `'@Sam`) || !strings.Contains(exported, `'-1+2`) {
		t.Fatalf("the export does not neutralise formulas:\n%s", exported)
	}

	job := submitImport(t, env, token, "mode=upsert", exported)
	wantCounts(t, "the export imported again", job, 0, 0, 3, 0)
	if got := env.MustQueryInt(t, `SELECT sum(version) FROM participants WHERE organisation_id = $1`, trust.ID); got != versions {
		t.Errorf("re-importing the export moved versions: %d, was %d", got, versions)
	}
	if got := env.MustQueryInt(t, participantEvents, trust.ID); got != events {
		t.Errorf("re-importing the export wrote %d participant audit events", got-events)
	}
	if got := env.MustQueryInt(t, `SELECT count(*) FROM participants WHERE given_name = '=HYPERLINK("x")' AND family_name = E'O''Neil, "Jr"\nSecond line'`); got != 1 {
		t.Error("the names did not survive the round trip exactly")
	}
	again := env.Do(t, http.MethodGet, "/v1/participants", token, "", "Accept", "text/csv")
	if string(again.Body) != exported {
		t.Errorf("the second export differs from the first:\n%s\nwas\n%s", again.Body, exported)
	}
}
