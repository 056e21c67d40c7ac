package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
)

// participantsNDJSON holds the participants participantsCSV does, one JSON object a line.
func participantsNDJSON(org string, n int, prefix string) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `{"organisation_id":%q,"external_ref":"%s-%d","given_name":"Sam %d","family_name":"Okafor, Jr","date_of_birth":"2001-04-05","email":"sam%d@example.org","postcode":"l1 8jq","benefit_status":"universal_credit","consent_processing":true}`+"\n",
			org, prefix, i, i, i)
	}
	return b.String()
}

const ndjson = "application/x-ndjson"

// An NDJSON file imports the same participants as the CSV file of the same records: the CSV
// file imported after it in upsert mode finds every one unchanged.
func TestImportParticipantsFromNDJSON(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	env.StartJobs(t)
	trust := env.Organisation(t, domain.KindTrust, "Northgate")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	const n = 30
	org := trust.ID.String()

	job := submitImport(t, env, token, "mode=create", participantsNDJSON(org, n, "ND"), "Content-Type", ndjson+"; charset=utf-8")
	if job.Status != api.ImportJobStatusSucceeded || job.RowsRead != n {
		t.Fatalf("NDJSON import: %+v", job)
	}
	wantCounts(t, "NDJSON import", job, n, 0, 0, 0)
	if got := env.MustQueryInt(t, `SELECT count(*) FROM participants WHERE organisation_id = $1 AND family_name = 'Okafor, Jr' AND postcode = 'L1 8JQ' AND consent_processing`, trust.ID); got != n {
		t.Fatalf("%d participants stored as the file says, want %d", got, n)
	}
	if got := env.MustQueryInt(t, `SELECT count(*) FROM audit_events WHERE action = 'participant.create' AND organisation_id = $1`, trust.ID); got != n {
		t.Errorf("%d participant.create audit events, want %d", got, n)
	}
	wantCounts(t, "the same records as CSV", submitImport(t, env, token, "mode=upsert", participantsCSV(org, n, "ND")), 0, 0, n, 0)
}

// A bad NDJSON line is refused by its line number (blank lines count); with atomic, nothing is
// written. Per row, the good lines land.
func TestImportNDJSONRefusesBadLinesByNumber(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	env.StartJobs(t)
	trust := env.Organisation(t, domain.KindTrust, "Northgate")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	org := trust.ID.String()
	good := participantsNDJSON(org, 3, "L")
	lines := strings.SplitAfter(good, "\n")
	file := lines[0] + "\n" + lines[1] + `{"organisation_id":"` + org + `","external_ref":"L-9","given_name":"Sam","family_name":"Okafor","date_of_birth":"05/04/2001"}` + "\n" +
		"not json\n" + lines[2]

	job := submitImport(t, env, token, "mode=create&atomic=true", file, "Content-Type", ndjson)
	if job.Status != api.ImportJobStatusFailed || job.Created != 0 {
		t.Errorf("atomic: %+v, want failed with nothing created", job)
	}
	if got := env.MustQueryInt(t, `SELECT count(*) FROM participants`); got != 0 {
		t.Fatalf("an atomic import with refused lines wrote %d participants", got)
	}

	job = submitImport(t, env, token, "mode=create", file, "Content-Type", ndjson)
	wantCounts(t, "per row", job, 3, 0, 0, 2)
	page := getJSON[api.ImportErrorPage](t, env, "/v1/imports/"+job.Id.String()+"/errors", token)
	if len(page.Data) != 2 || page.Data[0].Row != 4 || page.Data[0].Column != "date_of_birth" ||
		page.Data[1].Row != 5 || !strings.Contains(page.Data[1].Message, "JSON object") {
		t.Errorf("errors %+v, want line 4's date_of_birth and line 5 not an object", page.Data)
	}

	res := env.Do(t, http.MethodPost, "/v1/imports?kind=participants", token, good, "Content-Type", "application/json")
	apitest.WantProblem(t, res, http.StatusUnsupportedMediaType, "")
}
