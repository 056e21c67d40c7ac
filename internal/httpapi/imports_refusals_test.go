package httpapi_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/internal/pgtest"
)

// A job whose submitter is disabled before it runs fails, says why, and writes nothing: it
// never runs with the reach of an account that no longer has one.
func TestImportOfADisabledSubmitterFails(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Northgate")
	id, email := env.MustCreateUser(t, trust.ID, domain.RoleCoordinator)
	token := env.SignIn(t, email, apitest.Password)
	admin := env.User(t, trust.ID, domain.RoleOrgAdmin)

	res := env.Do(t, http.MethodPost, "/v1/imports?kind=participants", token, participantsCSV(trust.ID.String(), 10, "OFF"), "Content-Type", "text/csv")
	apitest.WantStatus(t, res, http.StatusAccepted)
	var job api.ImportJob
	res.Decode(t, &job)
	if _, err := env.DB.SQL().Exec(`UPDATE users SET enabled = false WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	env.StartJobs(t)

	done := waitImport(t, env, admin, job.Id.String())
	if done.Status != api.ImportJobStatusFailed || done.Failure == nil || !strings.Contains(*done.Failure, "disabled or revoked") {
		t.Fatalf("the disabled submitter's job ended %s (failure %v), want failed saying why", done.Status, done.Failure)
	}
	wantCounts(t, "the disabled submitter's job", done, 0, 0, 0, 0)
	for what, q := range map[string]string{
		"participants":  `SELECT count(*) FROM participants`,
		"audit events":  `SELECT count(*) FROM audit_events WHERE action LIKE 'participant.%'`,
		"stored chunks": `SELECT count(*) FROM import_chunks`,
	} {
		if got := env.MustQueryInt(t, q); got != 0 {
			t.Errorf("%s: %d, want none", what, got)
		}
	}
}

// hiddenLength hides a body's length, so that it is sent chunked and its size is learnt
// only as it is read.
type hiddenLength struct{ r io.Reader }

func (h hiddenLength) Read(p []byte) (int, error) { return h.r.Read(p) }

// A file over P4W_IMPORT_MAX_BYTES is 413 problem+json, whether its length is declared or
// learnt part-way through storing it, and leaves no job and no stored chunk behind.
func TestImportOverTheLimitLeavesNothing(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t, pgtest.NewURL(t))
	cfg.ImportMaxBytes = 3 << 19 // 1.5 MiB: more than one stored chunk (1 MiB) is written first
	env := apitest.NewOn(t, cfg, io.Discard)
	trust := env.Organisation(t, domain.KindTrust, "Northgate")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	file := participantsCSV(trust.ID.String(), 30000, "BIG") // about 3.5 MiB

	declared := env.Do(t, http.MethodPost, "/v1/imports?kind=participants", token, file, "Content-Type", "text/csv")
	apitest.WantProblem(t, declared, http.StatusRequestEntityTooLarge, "")

	req, err := http.NewRequest(http.MethodPost, env.URL+"/v1/imports?kind=participants", hiddenLength{strings.NewReader(file)})
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := env.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge || res.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("a chunked file over the limit: %d %s %s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	for what, q := range map[string]string{
		"import jobs":   `SELECT count(*) FROM import_jobs`,
		"stored chunks": `SELECT count(*) FROM import_chunks`,
		"river jobs":    `SELECT count(*) FROM river_job WHERE kind = 'import'`,
	} {
		if got := env.MustQueryInt(t, q); got != 0 {
			t.Errorf("%s: %d left behind, want none", what, got)
		}
	}
}
