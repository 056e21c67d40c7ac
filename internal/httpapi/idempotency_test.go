package httpapi_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
)

func TestIdempotentCreateReplaysTheFirstAnswer(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Millbrook NHS Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	body := apitest.ParticipantBody(t, trust.ID, "external_ref", "IDEM-1", "given_name", "Nadia", "email", "nadia@example.org")

	first := env.Do(t, http.MethodPost, "/v1/participants", token, body, "Idempotency-Key", "key-1")
	if first.Status != http.StatusCreated {
		t.Fatalf("first: %d %s", first.Status, first.Body)
	}
	if first.Header.Get("Idempotent-Replayed") != "" {
		t.Errorf("the first answer says it is a replay")
	}
	for i := range 2 {
		again := env.Do(t, http.MethodPost, "/v1/participants", token, body, "Idempotency-Key", "key-1")
		if again.Status != first.Status || !bytes.Equal(again.Body, first.Body) {
			t.Fatalf("replay %d: %d %s, want %d %s", i, again.Status, again.Body, first.Status, first.Body)
		}
		for _, h := range []string{"Location", "ETag", "Content-Type", "Cache-Control"} {
			if again.Header.Get(h) != first.Header.Get(h) || first.Header.Get(h) == "" {
				t.Errorf("replay %d: %s %q, first %q", i, h, again.Header.Get(h), first.Header.Get(h))
			}
		}
		if again.Header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("replay %d: Idempotent-Replayed %q", i, again.Header.Get("Idempotent-Replayed"))
		}
	}
	if n := env.MustQueryInt(t, `SELECT count(*) FROM participants`); n != 1 {
		t.Errorf("%d participants after three identical requests, want 1", n)
	}
	if n := env.MustQueryInt(t, `SELECT count(*) FROM audit_events WHERE action = 'participant.create'`); n != 1 {
		t.Errorf("%d create audit events, want 1", n)
	}

	// The same key with another body is refused, and creates nothing.
	other := apitest.ParticipantBody(t, trust.ID, "external_ref", "IDEM-2", "given_name", "Nadia", "email", "nadia@example.org")
	res := env.Do(t, http.MethodPost, "/v1/participants", token, other, "Idempotency-Key", "key-1")
	if res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("same key, another body: %d %s", res.Status, res.Body)
	}
	if p := res.Problem(t); !slices.Contains(p.Fields(), "Idempotency-Key") {
		t.Errorf("problem names %v, want Idempotency-Key", p.Fields())
	}
	if n := env.MustQueryInt(t, `SELECT count(*) FROM participants`); n != 1 {
		t.Errorf("%d participants after a refused key reuse, want 1", n)
	}
	// The stored answer is still the first one.
	if again := env.Do(t, http.MethodPost, "/v1/participants", token, body, "Idempotency-Key", "key-1"); !bytes.Equal(again.Body, first.Body) {
		t.Errorf("after the refused reuse the key replays %d %s", again.Status, again.Body)
	}
	// Another key is another request.
	res = env.Do(t, http.MethodPost, "/v1/participants", token, other, "Idempotency-Key", "key-2")
	if res.Status != http.StatusCreated || res.Header.Get("Idempotent-Replayed") != "" {
		t.Errorf("a new key: %d %s", res.Status, res.Body)
	}
}

func TestIdempotencyDoesNotStoreFailures(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Northcliffe NHS Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	holder := mustCreateParticipant(t, env, token, apitest.ParticipantBody(t, trust.ID, "external_ref", "DUP-1"))
	body := apitest.ParticipantBody(t, trust.ID, "external_ref", "DUP-1", "given_name", "Second")

	for i := range 2 {
		res := env.Do(t, http.MethodPost, "/v1/participants", token, body, "Idempotency-Key", "retry-me")
		if res.Status != http.StatusConflict || res.Header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("attempt %d with a taken external_ref: %d %s", i, res.Status, res.Body)
		}
		if p := res.Problem(t); !slices.Contains(p.Fields(), "external_ref") {
			t.Errorf("attempt %d names %v, want external_ref", i, p.Fields())
		}
	}
	if n := env.MustQueryInt(t, `SELECT count(*) FROM idempotency_keys`); n != 0 {
		t.Errorf("%d stored replies after failed requests, want 0", n)
	}
	if n := env.MustQueryInt(t, `SELECT count(*) FROM audit_events WHERE action = 'participant.create'`); n != 1 {
		t.Errorf("%d create audit events, want 1 (a failed attempt left one behind)", n)
	}

	// Once the conflict is resolved, the same key and body run again, for real.
	mustPatchParticipant(t, env, token, holder.ID, `{"external_ref":"DUP-1-OLD"}`)
	res := env.Do(t, http.MethodPost, "/v1/participants", token, body, "Idempotency-Key", "retry-me")
	if res.Status != http.StatusCreated || res.Header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("retry after fixing the conflict: %d %s (replayed %q)", res.Status, res.Body, res.Header.Get("Idempotent-Replayed"))
	}
	again := env.Do(t, http.MethodPost, "/v1/participants", token, body, "Idempotency-Key", "retry-me")
	if again.Status != http.StatusCreated || again.Header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(again.Body, res.Body) {
		t.Errorf("the successful retry is not replayed: %d %s", again.Status, again.Body)
	}
	if n := env.MustQueryInt(t, `SELECT count(*) FROM participants WHERE external_ref = 'DUP-1'`); n != 1 {
		t.Errorf("%d participants with DUP-1, want 1", n)
	}

	// A request refused by the contract is not stored either.
	bad := apitest.ParticipantBody(t, trust.ID, "postcode", "NOT A POSTCODE")
	for range 2 {
		if res := env.Do(t, http.MethodPost, "/v1/participants", token, bad, "Idempotency-Key", "bad-body"); res.Status != http.StatusBadRequest {
			t.Errorf("invalid body with a key: %d %s", res.Status, res.Body)
		}
	}
	if n := env.MustQueryInt(t, `SELECT count(*) FROM idempotency_keys WHERE key = 'bad-body'`); n != 0 {
		t.Errorf("an invalid request's answer was stored")
	}
}

func TestIdempotencyKeysAreScopedPerCaller(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Oakleigh NHS Trust")
	alice := env.User(t, trust.ID, domain.RoleCoordinator)
	bob := env.User(t, trust.ID, domain.RoleCoordinator)
	body := apitest.ParticipantBody(t, trust.ID, "given_name", "Shared")

	a := env.Do(t, http.MethodPost, "/v1/participants", alice, body, "Idempotency-Key", "same-key")
	b := env.Do(t, http.MethodPost, "/v1/participants", bob, body, "Idempotency-Key", "same-key")
	for who, res := range map[string]apitest.Response{"alice": a, "bob": b} {
		if res.Status != http.StatusCreated || res.Header.Get("Idempotent-Replayed") != "" {
			t.Errorf("%s: %d %s (replayed %q)", who, res.Status, res.Body, res.Header.Get("Idempotent-Replayed"))
		}
	}
	if a.Header.Get("Location") == b.Header.Get("Location") {
		t.Errorf("two callers with the same key got the same record %s", a.Header.Get("Location"))
	}
	if n := env.MustQueryInt(t, `SELECT count(*) FROM participants`); n != 2 {
		t.Errorf("%d participants, want 2", n)
	}
	// And each caller's own retry replays its own answer.
	if again := env.Do(t, http.MethodPost, "/v1/participants", bob, body, "Idempotency-Key", "same-key"); !bytes.Equal(again.Body, b.Body) {
		t.Errorf("bob's retry: %d %s", again.Status, again.Body)
	}
}

func TestCreateWithoutIdempotencyKeyCreatesEachTime(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Pendle Valley NHS Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	body := apitest.ParticipantBody(t, trust.ID, "given_name", "Twice")
	a := mustCreateParticipant(t, env, token, body)
	b := mustCreateParticipant(t, env, token, body)
	if a.ID == b.ID {
		t.Errorf("two requests without a key gave one record %s", a.ID)
	}
	if n := env.MustQueryInt(t, `SELECT count(*) FROM participants`); n != 2 {
		t.Errorf("%d participants, want 2", n)
	}
	if n := env.MustQueryInt(t, `SELECT count(*) FROM idempotency_keys`); n != 0 {
		t.Errorf("%d stored replies without any key", n)
	}
}

func TestIdempotencyUnderConcurrentRetries(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Queensway NHS Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	// Several rounds, each a new key, make a lost race likelier to show.
	for round := range 3 {
		key := fmt.Sprintf("racing-key-%d", round)
		// No external_ref: only the Idempotency-Key can stop a second record.
		body := apitest.ParticipantBody(t, trust.ID, "given_name", fmt.Sprintf("Racer%d", round))
		raceCreates(t, env, token, key, body)
		if got := env.MustQueryInt(t, `SELECT count(*) FROM participants`); got != round+1 {
			t.Fatalf("round %d: %d participants, want %d: concurrent requests with one key created more than one", round, got, round+1)
		}
		if got := env.MustQueryInt(t, `SELECT count(*) FROM idempotency_keys WHERE key = $1`, key); got != 1 {
			t.Errorf("round %d: %d stored replies, want 1", round, got)
		}
	}
}

// raceCreates fires concurrent POSTs with one key and body and checks every answer: the one
// 201 (original or replayed), or a 409 for a retry while the first is still running.
func raceCreates(t *testing.T, env *apitest.Env, token, key, body string) {
	t.Helper()
	const n = 8
	type answer struct {
		status   int
		body     []byte
		header   http.Header
		err      error
		replayed string
	}
	answers := make([]answer, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			req, err := http.NewRequest(http.MethodPost, env.URL+"/v1/participants", strings.NewReader(body))
			if err != nil {
				answers[i].err = err
				return
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Idempotency-Key", key)
			res, err := env.HTTP.Do(req)
			if err != nil {
				answers[i].err = err
				return
			}
			defer res.Body.Close()
			b, err := io.ReadAll(res.Body)
			answers[i] = answer{status: res.StatusCode, body: b, header: res.Header, err: err, replayed: res.Header.Get("Idempotent-Replayed")}
		}()
	}
	close(start) // release them together
	wg.Wait()

	var created []answer
	var summary []string
	for i, a := range answers {
		if a.err != nil {
			t.Fatalf("request %d: %v", i, a.err)
		}
		summary = append(summary, fmt.Sprintf("%d(replayed=%q)", a.status, a.replayed))
		switch a.status {
		case http.StatusCreated:
			created = append(created, a)
		case http.StatusConflict:
			res := apitest.Response{Status: a.status, Header: a.header, Body: a.body}
			if p := res.Problem(t); len(p.Fields()) != 0 || !strings.Contains(p.Detail, "still being processed") {
				t.Errorf("request %d: a 409 that is not \"still being processed\": %s", i, a.body)
			}
		default:
			t.Errorf("request %d: %d %q", i, a.status, a.body)
		}
	}
	t.Logf("%s: %v", key, summary)
	if len(created) == 0 {
		t.Fatalf("no request succeeded: %v", summary)
	}
	originals := 0
	for _, a := range created {
		if !bytes.Equal(a.body, created[0].body) || a.header.Get("Location") != created[0].header.Get("Location") {
			t.Errorf("two different 201s:\n%s\n%s", a.body, created[0].body)
		}
		if a.replayed == "" {
			originals++
		}
	}
	if originals != 1 {
		t.Errorf("%d answers claim to be the original, want 1: %v", originals, summary)
	}
}

func TestIdempotencyReportsAFailureToStoreTheAnswer(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Rookwood NHS Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	// Make storing the answer fail, as a lost connection or a full disk would, after the
	// handler has already produced its 201.
	for _, stmt := range []string{
		`CREATE FUNCTION test_refuse_reply() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$`,
		`CREATE TRIGGER test_refuse_reply BEFORE INSERT ON idempotency_keys FOR EACH ROW EXECUTE FUNCTION test_refuse_reply()`,
	} {
		if _, err := env.DB.SQL().Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}

	res := env.Do(t, http.MethodPost, "/v1/participants", token, apitest.ParticipantBody(t, trust.ID, "given_name", "Lost"), "Idempotency-Key", "doomed")
	if n := env.MustQueryInt(t, `SELECT count(*) FROM participants`); n != 0 {
		t.Errorf("%d participants written although the transaction failed", n)
	}
	// The client must learn that the request failed, not receive an empty success.
	if res.Status != http.StatusInternalServerError {
		t.Fatalf("failed to store the answer: %d %q (Content-Type %q)", res.Status, res.Body, res.Header.Get("Content-Type"))
	}
	res.Problem(t)
}

func TestIdempotencyNeverStoresTokens(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Saltmarsh NHS Trust")
	env.User(t, trust.ID, domain.RoleCoordinator)
	var email string
	if err := env.DB.SQL().QueryRow(`SELECT email FROM users`).Scan(&email); err != nil {
		t.Fatal(err)
	}
	body := "grant_type=password&username=" + email + "&password=" + apitest.Password
	for i := range 2 {
		res := env.Do(t, http.MethodPost, "/v1/auth/token", "", body,
			"Content-Type", "application/x-www-form-urlencoded", "Idempotency-Key", "sign-in")
		if res.Status != http.StatusOK || res.Header.Get("Idempotent-Replayed") != "" {
			t.Errorf("sign-in %d: %d (replayed %q)", i, res.Status, res.Header.Get("Idempotent-Replayed"))
		}
	}
	if n := env.MustQueryInt(t, `SELECT count(*) FROM idempotency_keys`); n != 0 {
		t.Errorf("%d token responses stored", n)
	}
}
