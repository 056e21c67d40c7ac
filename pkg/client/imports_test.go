package client_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/pkg/client"
)

const importHeader = "organisation_id,external_ref,given_name,family_name,date_of_birth,benefit_status,consent_processing\n"

// importRows writes n rows of participants of org to w, one at a time, then closes it.
func importRows(w *io.PipeWriter, org string, n int, prefix, dob string) {
	if _, err := io.WriteString(w, importHeader); err != nil {
		return
	}
	for i := range n {
		if _, err := fmt.Fprintf(w, "%s,%s-%04d,Sam,Okafor,%s,universal_credit,true\n", org, prefix, i, dob); err != nil {
			return
		}
	}
	w.Close()
}

// streamed is a file of n participants made as it is read, never whole: an io.Pipe, which
// the standard library cannot read twice or measure.
func streamed(org string, n int, prefix, dob string) io.Reader {
	r, w := io.Pipe()
	go importRows(w, org, n, prefix, dob)
	return r
}

func importEnv(t *testing.T, jobs bool) (*apitest.Env, domain.Organisation, *client.Client, *counter) {
	t.Helper()
	env := apitest.New(t)
	if jobs {
		env.StartJobs(t)
	}
	trust := env.Organisation(t, domain.KindTrust, "Northgate Teaching Hospitals NHS Foundation Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	hc, n := countedHTTP(env)
	api, err := client.NewClient(env.URL, client.WithHTTPClient(hc), client.WithTokenSource(client.StaticToken(token)))
	if err != nil {
		t.Fatal(err)
	}
	return env, trust, api, n
}

func TestImport(t *testing.T) {
	t.Parallel()
	env, trust, api, _ := importEnv(t, true)
	ctx := context.Background()
	org := trust.ID.String()
	const n = 1200

	var seen []client.ImportJob
	opts := client.ImportOptions{Kind: "participants", Mode: "create", IdempotencyKey: "referrals-2026-03.csv",
		PollInterval: 20 * time.Millisecond, Progress: func(j client.ImportJob) { seen = append(seen, j) }}
	job, err := client.Import(ctx, api, streamed(org, n, "IMP", "2001-04-05"), opts)
	if err != nil {
		t.Fatal(err)
	}
	if job.Status != client.ImportJobStatusSucceeded || job.RowsRead != n || job.Created != n || job.Failed != 0 || job.Progress != 1 {
		t.Fatalf("the import ended %+v; want succeeded with %d rows created", job, n)
	}
	if got := env.MustQueryInt(t, `SELECT count(*) FROM participants WHERE organisation_id = $1`, trust.ID); got != n {
		t.Fatalf("%d participants stored, want %d", got, n)
	}

	// Progress saw the job queued (or already running) first and ended last, never going back.
	if len(seen) < 2 || seen[0].Status == client.ImportJobStatusSucceeded || !reflect.DeepEqual(seen[len(seen)-1], job) {
		t.Fatalf("progress reports %+v; want the job as uploaded first and as ended last", seen)
	}
	for i := 1; i < len(seen); i++ {
		if seen[i].RowsRead < seen[i-1].RowsRead || seen[i].Progress < seen[i-1].Progress {
			t.Errorf("progress went back: %+v then %+v", seen[i-1], seen[i])
		}
		if reflect.DeepEqual(seen[i], seen[i-1]) {
			t.Errorf("progress reported an unchanged job twice: %+v", seen[i])
		}
	}

	// The same key again, whatever the body, is the same job: an upload whose answer was lost
	// is repeated without a second import.
	opts.Progress = nil
	again, err := client.Import(ctx, api, strings.NewReader(importHeader), opts)
	if err != nil {
		t.Fatal(err)
	}
	if again.Id != job.Id || again.Created != n {
		t.Errorf("the same Idempotency-Key started %+v; want job %s again", again, job.Id)
	}

	// The same file without the key, in upsert mode, changes nothing and says so.
	upsert := client.ImportOptions{Kind: "participants", Mode: "upsert", PollInterval: 20 * time.Millisecond}
	re, err := client.Import(ctx, api, streamed(org, n, "IMP", "2001-04-05"), upsert)
	if err != nil {
		t.Fatal(err)
	}
	if re.Id == job.Id || re.Unchanged != n || re.Created != 0 || re.Updated != 0 {
		t.Errorf("re-import in upsert mode: %+v; want a new job with %d unchanged", re, n)
	}
}

func TestImportErrorsPaged(t *testing.T) {
	t.Parallel()
	_, trust, api, n := importEnv(t, true)
	ctx := context.Background()

	// 600 rows with a bad date each: more errors than a page holds.
	const bad = 600
	job, err := client.Import(ctx, api, streamed(trust.ID.String(), bad, "BAD", "05/04/2001"),
		client.ImportOptions{Kind: "participants", PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if job.Status != client.ImportJobStatusSucceeded || job.Failed != bad || job.Created != 0 {
		t.Fatalf("a file of bad rows, per row: %+v; want succeeded with %d failed", job, bad)
	}
	before := n.n("/v1/imports/" + job.Id.String() + "/errors")
	row := 1
	for e, err := range client.ImportErrors(ctx, api, job.Id) {
		if err != nil {
			t.Fatal(err)
		}
		row++
		if e.Row != row || e.Column != "date_of_birth" || !strings.Contains(e.Message, "YYYY-MM-DD") {
			t.Fatalf("error %d: %+v; want row %d's date_of_birth", row-1, e, row)
		}
	}
	if row-1 != bad {
		t.Errorf("%d errors read, want %d", row-1, bad)
	}
	if pages := n.n("/v1/imports/"+job.Id.String()+"/errors") - before; pages != 2 {
		t.Errorf("%d pages fetched, want 2 of up to 500", pages)
	}

	// Breaking off the walk fetches no further page.
	before = n.n("/v1/imports/" + job.Id.String() + "/errors")
	for range client.ImportErrors(ctx, api, job.Id) {
		break
	}
	if pages := n.n("/v1/imports/"+job.Id.String()+"/errors") - before; pages != 1 {
		t.Errorf("a walk broken off at its first error fetched %d pages, want 1", pages)
	}
}

// No worker runs here, so the job stays queued: the wait backs off and ends with ctx.
func TestWaitImportBacksOffAndHonoursContext(t *testing.T) {
	t.Parallel()
	_, trust, api, n := importEnv(t, false)
	job, err := client.StartImport(context.Background(), api, streamed(trust.ID.String(), 3, "Q", "2001-04-05"),
		client.ImportOptions{Kind: "participants"})
	if err != nil {
		t.Fatal(err)
	}
	if job.Status != client.ImportJobStatusQueued {
		t.Fatalf("the upload answered %+v; want it queued", job)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	calls := 0
	start := time.Now()
	last, err := client.WaitImport(ctx, api, job, client.ImportOptions{PollInterval: 100 * time.Millisecond,
		MaxPollInterval: time.Second, Progress: func(client.ImportJob) { calls++ }})
	if !errors.Is(err, context.DeadlineExceeded) || last.Id != job.Id {
		t.Fatalf("WaitImport past its deadline: %+v, %v; want the job with the deadline's error", last, err)
	}
	if took := time.Since(start); took > 2500*time.Millisecond {
		t.Errorf("WaitImport returned %s after its deadline of 2s", took)
	}
	// At a steady 100 ms the wait would poll 19 times; backing off by half again each time
	// (100, 150, 225, 337, 506, 759 ms) it polls 6 times in 2 s.
	if polls := n.n("/v1/imports/" + job.Id.String()); polls < 3 || polls > 7 {
		t.Errorf("%d polls in 2 s of a job that never changes; want about 6", polls)
	}
	if calls != 1 {
		t.Errorf("Progress was called %d times for a job that never changed; want once", calls)
	}
}

func TestImportRefused(t *testing.T) {
	t.Parallel()
	env, trust, _, _ := importEnv(t, false)
	ctx := context.Background()
	hc, _ := countedHTTP(env)

	// Another trust's job is not found, exactly as one that does not exist.
	theirs := env.Organisation(t, domain.KindTrust, "Riverside Community Health NHS Trust")
	theirToken := env.User(t, theirs.ID, domain.RoleCoordinator)
	mine := env.User(t, trust.ID, domain.RoleCoordinator)
	mineAPI, _ := client.NewClient(env.URL, client.WithHTTPClient(hc), client.WithTokenSource(client.StaticToken(mine)))
	theirAPI, _ := client.NewClient(env.URL, client.WithHTTPClient(hc), client.WithTokenSource(client.StaticToken(theirToken)))
	job, err := client.StartImport(ctx, mineAPI, strings.NewReader(importHeader), client.ImportOptions{Kind: "participants"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.WaitImport(ctx, theirAPI, job, client.ImportOptions{PollInterval: time.Millisecond})
	var refused *client.APIError
	if !errors.As(err, &refused) || refused.StatusCode != http.StatusNotFound {
		t.Fatalf("waiting on another trust's job: %v; want an *APIError of 404", err)
	}
	for _, err := range client.ImportErrors(ctx, theirAPI, job.Id) {
		if !errors.As(err, &refused) || refused.StatusCode != http.StatusNotFound {
			t.Errorf("another trust's job's errors: %v; want an *APIError of 404", err)
		}
	}

	// A mode the contract does not know is refused naming it, with the upload unread.
	_, err = client.StartImport(ctx, mineAPI, strings.NewReader(importHeader), client.ImportOptions{Kind: "participants", Mode: "replace"})
	if !errors.As(err, &refused) || refused.StatusCode != http.StatusBadRequest || refused.Problem == nil || !strings.Contains(err.Error(), "mode") {
		t.Fatalf("mode=replace: %v; want a 400 problem naming mode", err)
	}

	// No token: 401.
	anon, _ := client.NewClient(env.URL, client.WithHTTPClient(hc))
	_, err = client.StartImport(ctx, anon, strings.NewReader(importHeader), client.ImportOptions{Kind: "participants"})
	if !errors.As(err, &refused) || refused.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no token: %v; want an *APIError of 401", err)
	}
}
