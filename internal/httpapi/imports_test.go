package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
)

const participantsHeader = "organisation_id,external_ref,given_name,family_name,date_of_birth,email,postcode,benefit_status,consent_processing\r\n"

func participantsCSV(org string, n int, prefix string) string {
	var b strings.Builder
	b.WriteString(participantsHeader)
	for i := range n {
		fmt.Fprintf(&b, "%s,%s-%d,Sam %d,\"Okafor, Jr\",2001-04-05,sam%d@example.org,l1 8jq,universal_credit,true\r\n", org, prefix, i, i, i)
	}
	return b.String()
}

// submitImport posts a file and waits for its job to end.
func submitImport(t *testing.T, env *apitest.Env, token, query, file string, headers ...string) api.ImportJob {
	t.Helper()
	res := env.Do(t, http.MethodPost, "/v1/imports?kind=participants&"+query, token, file, append([]string{"Content-Type", "text/csv"}, headers...)...)
	apitest.WantStatus(t, res, http.StatusAccepted)
	var job api.ImportJob
	res.Decode(t, &job)
	if loc := res.Header.Get("Location"); loc != "/v1/imports/"+job.Id.String() {
		t.Fatalf("Location %q, want the job's URL", loc)
	}
	return waitImport(t, env, token, job.Id.String())
}

func waitImport(t *testing.T, env *apitest.Env, token, id string) api.ImportJob {
	t.Helper()
	return waitImportWithin(t, env, token, id, 30*time.Second)
}

// waitImportWithin is waitImport for an import that may take up to d: a bound on waiting, no
// assertion on speed.
func waitImportWithin(t *testing.T, env *apitest.Env, token, id string, d time.Duration) api.ImportJob {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		job := getJSON[api.ImportJob](t, env, "/v1/imports/"+id, token)
		if job.Status == api.ImportJobStatusSucceeded || job.Status == api.ImportJobStatusFailed {
			return job
		}
		if time.Now().After(deadline) {
			t.Fatalf("the import is still %s after %s: %+v", job.Status, d, job)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// getJSON reads a resource that has no version (an import job, its errors).
func getJSON[T any](t *testing.T, env *apitest.Env, path, token string) T {
	t.Helper()
	res := env.Do(t, http.MethodGet, path, token, "")
	apitest.WantStatus(t, res, http.StatusOK)
	var v T
	res.Decode(t, &v)
	return v
}

func wantCounts(t *testing.T, what string, job api.ImportJob, created, updated, unchanged, failed int64) {
	t.Helper()
	if job.Created != created || job.Updated != updated || job.Unchanged != unchanged || job.Failed != failed {
		t.Errorf("%s: created %d, updated %d, unchanged %d, failed %d; want %d, %d, %d, %d (job %+v)", what,
			job.Created, job.Updated, job.Unchanged, job.Failed, created, updated, unchanged, failed, job)
	}
}

// A coordinator imports a CSV file of participants, imports it again in upsert mode (nothing
// changes, and no version moves), then an edited file (one row updated).
func TestImportParticipantsCreateThenUpsertIsUnchanged(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	env.StartJobs(t)
	trust := env.Organisation(t, domain.KindTrust, "Northgate")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	const n = 30
	file := participantsCSV(trust.ID.String(), n, "IMP")

	job := submitImport(t, env, token, "mode=create", file)
	if job.Status != api.ImportJobStatusSucceeded || job.RowsRead != n || job.Progress != 1 {
		t.Fatalf("first import: %+v", job)
	}
	wantCounts(t, "first import", job, n, 0, 0, 0)
	if got := env.MustQueryInt(t, `SELECT count(*) FROM participants WHERE organisation_id = $1 AND family_name = 'Okafor, Jr' AND postcode = 'L1 8JQ'`, trust.ID); got != n {
		t.Fatalf("%d participants stored as the file says (normalised), want %d", got, n)
	}
	if got := env.MustQueryInt(t, `SELECT count(*) FROM audit_events WHERE action = 'participant.create' AND organisation_id = $1`, trust.ID); got != n {
		t.Errorf("%d participant.create audit events, want %d", got, n)
	}
	versions := env.MustQueryInt(t, `SELECT sum(version) FROM participants WHERE organisation_id = $1`, trust.ID)

	job = submitImport(t, env, token, "mode=upsert", file)
	wantCounts(t, "the same file again", job, 0, 0, n, 0)
	if got := env.MustQueryInt(t, `SELECT sum(version) FROM participants WHERE organisation_id = $1`, trust.ID); got != versions {
		t.Errorf("re-importing the same file moved versions: %d, was %d", got, versions)
	}

	edited := strings.Replace(file, "Sam 3,", "Samuel 3,", 1)
	job = submitImport(t, env, token, "mode=upsert", edited)
	wantCounts(t, "one row edited", job, 0, 1, n-1, 0)
	if got := env.MustQueryInt(t, `SELECT version FROM participants WHERE external_ref = 'IMP-3'`); got != 2 {
		t.Errorf("the edited participant is at version %d, want 2", got)
	}
	if got := env.MustQueryInt(t, `SELECT count(*) FROM audit_events WHERE action = 'participant.update'`); got != 1 {
		t.Errorf("%d participant.update audit events, want 1", got)
	}
}

// Messy files: each refused row names its number and column; with atomic nothing is written.
func TestImportMessyFilesAreRefusedByRow(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	env.StartJobs(t)
	trust := env.Organisation(t, domain.KindTrust, "Northgate")
	other := env.Organisation(t, domain.KindTrust, "Southgate")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	org := trust.ID.String()
	row := func(ref, _ string) string {
		return org + "," + ref + ",Sam,Okafor,2001-04-05,,l1 8jq,none,true\n"
	}
	cases := []struct {
		name, file   string
		status       api.ImportJobStatus
		created      int64
		row          int
		column, text string
	}{
		{"BOM and CRLF", "\uFEFF" + participantsHeader + strings.ReplaceAll(row("BOM-1", ""), "\n", "\r\n"), api.ImportJobStatusSucceeded, 1, 0, "", ""},
		{"quoted commas and newlines", participantsHeader + org + ",Q-1,\"Sam, \"\"the man\"\"\",\"Okafor\nSmith\",2001-04-05,,,,\n", api.ImportJobStatusSucceeded, 1, 0, "", ""},
		{"missing required column", "organisation_id,external_ref,given_name\n" + org + ",M-1,Sam\n", api.ImportJobStatusFailed, 0, 1, "family_name", "missing"},
		{"unknown column", participantsHeader[:len(participantsHeader)-2] + ",nickname\r\n", api.ImportJobStatusFailed, 0, 1, "nickname", "not a column"},
		{"wrong date format", participantsHeader + org + ",D-1,Sam,Okafor,05/04/2001,,,,\n" + row("D-2", ""), api.ImportJobStatusFailed, 0, 2, "date_of_birth", "YYYY-MM-DD"},
		{"duplicate external_ref", participantsHeader + row("DUP-1", "") + row("DUP-1", ""), api.ImportJobStatusFailed, 0, 3, "external_ref", "row 2"},
		{"another trust's organisation", participantsHeader + strings.Replace(row("X-1", ""), org, other.ID.String(), 1) + row("X-2", ""), api.ImportJobStatusFailed, 0, 2, "organisation_id", "is not an organisation you may record participants for"},
		{"a random organisation", participantsHeader + strings.Replace(row("R-1", ""), org, "01900000-0000-7000-8000-00000000abcd", 1), api.ImportJobStatusFailed, 0, 2, "organisation_id", "is not an organisation you may record participants for"},
		{"NUL byte", participantsHeader + org + ",N-1,Sa\x00m,Okafor,2001-04-05,,,,\n", api.ImportJobStatusFailed, 0, 2, "given_name", "NUL"},
		{"invalid UTF-8", participantsHeader + org + ",U-1,Sa\xffm,Okafor,2001-04-05,,,,\n", api.ImportJobStatusFailed, 0, 2, "given_name", "UTF-8"},
		{"contract rule: enum", participantsHeader + org + ",E-1,Sam,Okafor,2001-04-05,,,rich,\n", api.ImportJobStatusFailed, 0, 2, "benefit_status", "must be one of"},
		{"empty file", "", api.ImportJobStatusFailed, 0, 1, "", "empty"},
		{"header only", participantsHeader, api.ImportJobStatusSucceeded, 0, 0, "", ""},
	}
	for _, c := range cases {
		before := env.MustQueryInt(t, `SELECT count(*) FROM participants`)
		job := submitImport(t, env, token, "mode=create&atomic=true", c.file)
		if job.Status != c.status || job.Created != c.created {
			t.Errorf("%s: status %s, created %d; want %s, %d (%+v)", c.name, job.Status, job.Created, c.status, c.created, job)
		}
		after := env.MustQueryInt(t, `SELECT count(*) FROM participants`)
		if after-before != int(c.created) {
			t.Errorf("%s: %d participants written, want %d", c.name, after-before, c.created)
		}
		if c.row == 0 {
			continue
		}
		page := getJSON[api.ImportErrorPage](t, env, "/v1/imports/"+job.Id.String()+"/errors", token)
		found := false
		for _, e := range page.Data {
			found = found || e.Row == c.row && e.Column == c.column && strings.Contains(e.Message, c.text)
		}
		if !found {
			t.Errorf("%s: no error of row %d, column %q, saying %q: %+v", c.name, c.row, c.column, c.text, page.Data)
		}
	}
}

// Per-row mode lands the good rows and reports the bad; a dry run writes nothing; the same
// Idempotency-Key returns the same job; another trust sees neither the job nor its errors.
func TestImportPerRowDryRunIdempotencyAndTenancy(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	env.StartJobs(t)
	trust := env.Organisation(t, domain.KindTrust, "Northgate")
	other := env.Organisation(t, domain.KindTrust, "Southgate")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	stranger := env.User(t, other.ID, domain.RoleOrgAdmin)
	org := trust.ID.String()
	file := participantsHeader + org + ",P-1,Sam,Okafor,2001-04-05,,,,\n" + org + ",P-2,Sam,Okafor,2001-02-30,,,,\n" + org + ",P-3,Ann,Lee,1999-01-01,,,,\n"

	dry := submitImport(t, env, token, "mode=upsert&dry_run=true", file)
	wantCounts(t, "dry run", dry, 2, 0, 0, 1)
	if got := env.MustQueryInt(t, `SELECT count(*) FROM participants`); got != 0 {
		t.Fatalf("a dry run wrote %d participants", got)
	}

	job := submitImport(t, env, token, "mode=create", file, "Idempotency-Key", "imp-1")
	wantCounts(t, "per row", job, 2, 0, 0, 1)
	again := env.Do(t, http.MethodPost, "/v1/imports?kind=participants", token, "other body", "Content-Type", "text/csv", "Idempotency-Key", "imp-1")
	apitest.WantStatus(t, again, http.StatusAccepted)
	var same api.ImportJob
	again.Decode(t, &same)
	if same.Id != job.Id {
		t.Errorf("the same Idempotency-Key started job %s, want %s", same.Id, job.Id)
	}

	csvRes := env.Do(t, http.MethodGet, "/v1/imports/"+job.Id.String()+"/errors", token, "", "Accept", "text/csv")
	apitest.WantStatus(t, csvRes, http.StatusOK)
	if body := string(csvRes.Body); !strings.HasPrefix(body, "row,column,message\n3,date_of_birth,") {
		t.Errorf("errors as CSV:\n%s", body)
	}
	for _, path := range []string{"/v1/imports/" + job.Id.String(), "/v1/imports/" + job.Id.String() + "/errors"} {
		apitest.WantProblem(t, env.Do(t, http.MethodGet, path, stranger, ""), http.StatusNotFound, "")
	}
	if got := env.MustQueryInt(t, `SELECT count(*) FROM import_chunks`); got != 0 {
		t.Errorf("%d chunks of finished jobs' files are kept", got)
	}
}

// A job the database refuses in a way no row check foresaw (an upsert by id that moves one
// participant's external_ref onto another's, which the unique key refuses) ends failed with a
// reason, and is not left running for River to retry; its batch writes nothing.
func TestImportThatCannotFinishEndsFailed(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	env.StartJobs(t)
	trust := env.Organisation(t, domain.KindTrust, "Northgate")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	org := trust.ID.String()
	wantCounts(t, "the first import", submitImport(t, env, token, "mode=create", participantsCSV(org, 2, "CLASH")), 2, 0, 0, 0)
	var second string
	if err := env.DB.SQL().QueryRow(`SELECT id FROM participants WHERE external_ref = 'CLASH-1'`).Scan(&second); err != nil {
		t.Fatal(err)
	}
	file := "id," + participantsHeader + second + "," + org + ",CLASH-0,Sam,Okafor,2001-04-05,sam@example.org,l1 8jq,universal_credit,true\r\n"

	job := submitImport(t, env, token, "mode=upsert", file)
	if job.Status != api.ImportJobStatusFailed || job.Failure == nil || !strings.Contains(*job.Failure, "the import stopped") {
		t.Fatalf("the clashing import ended %s (failure %v), want failed with its reason", job.Status, job.Failure)
	}
	if strings.Contains(*job.Failure, "Okafor") || strings.Contains(*job.Failure, "CLASH") {
		t.Errorf("the failure repeats a row's data: %q", *job.Failure)
	}
	if got := env.MustQueryInt(t, `SELECT count(*) FROM participants WHERE external_ref = 'CLASH-1' AND version = 1`); got != 1 {
		t.Error("the refused batch changed the participant")
	}
}
