package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/internal/jobs"
	"github.com/p4w-nhs/p4w/internal/pgtest"
)

// webhookEnv starts p4w with webhooks allowed to loopback over http, as a receiver in the
// test process needs, a fast retry schedule, and (when run) a job runner delivering them.
func webhookEnv(t testing.TB, schedule []time.Duration, timeout time.Duration, run bool) *apitest.Env {
	t.Helper()
	cfg := apitest.Config(t, pgtest.NewURL(t))
	cfg.WebhookAllowHTTPLoopback = true
	cfg.WebhookRetrySchedule = schedule
	cfg.WebhookTimeout = timeout
	env := apitest.NewOn(t, cfg, io.Discard)
	if run {
		startWebhookRunner(t, env)
	}
	return env
}

// startWebhookRunner starts a job runner dispatching and delivering webhooks, as a replica does.
func startWebhookRunner(t testing.TB, env *apitest.Env) {
	t.Helper()
	runner, err := jobs.New(env.DB, jobs.Config{Workers: 1, IdempotencyTTL: env.Config.IdempotencyTTL,
		Webhooks: env.Services.Deliverer, WebhookWorkers: 4})
	if err != nil {
		t.Fatal(err)
	}
	if err := runner.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = runner.Stop(ctx)
	})
}

// message is one request a receiver got, verified with the Standard Webhooks library.
type message struct {
	ID, Type, ResourceType, ResourceID string
	Org                                uuid.UUID
	Fields                             []string
	Verified                           bool
	Answered                           int
}

// receiver is an HR system's endpoint: it verifies each message with the specification's
// library and answers with what answer says (200 when nil).
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	secret string
	got    []message
	answer func(n int) int // the status for the n-th request (0-based)
	block  chan struct{}   // when not nil, every request hangs until it is closed
	held   chan struct{}   // signalled when a request starts hanging
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(func() {
		r.mu.Lock()
		if r.block != nil {
			close(r.block)
			r.block = nil
		}
		r.mu.Unlock()
		r.Close()
	})
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	block := r.block
	r.mu.Unlock()
	if block != nil {
		if r.held != nil {
			select {
			case r.held <- struct{}{}:
			default:
			}
		}
		select {
		case <-block:
		case <-req.Context().Done():
		}
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var m message
	if wh, err := standardwebhooks.NewWebhook(r.secret); err == nil {
		m.Verified = wh.Verify(body, req.Header) == nil
	}
	var b struct {
		Type string `json:"type"`
		Data struct {
			ResourceType   string    `json:"resource_type"`
			ResourceID     string    `json:"resource_id"`
			OrganisationID uuid.UUID `json:"organisation_id"`
			Fields         []string  `json:"fields"`
		} `json:"data"`
	}
	_ = json.Unmarshal(body, &b)
	m.ID, m.Type, m.ResourceType, m.ResourceID, m.Org, m.Fields = req.Header.Get("webhook-id"), b.Type, b.Data.ResourceType, b.Data.ResourceID, b.Data.OrganisationID, b.Data.Fields
	m.Answered = http.StatusOK
	if r.answer != nil {
		m.Answered = r.answer(len(r.got))
	}
	if !m.Verified {
		m.Answered = http.StatusUnauthorized
	}
	r.got = append(r.got, m)
	w.WriteHeader(m.Answered)
}

// delivered returns the messages the receiver accepted (verified and answered 2xx), in order.
func (r *receiver) delivered() []message {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []message
	for _, m := range r.got {
		if m.Verified && m.Answered < 300 {
			out = append(out, m)
		}
	}
	return out
}

func (r *receiver) all() []message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]message(nil), r.got...)
}

// waitFor polls until cond holds, failing the test after a generous bound (the bound is no
// assertion on speed: delivery takes about a second).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// subscribe creates a subscription and gives its secret to r.
func subscribe(t *testing.T, env *apitest.Env, token string, r *receiver, types ...string) api.WebhookSubscriptionWithSecret {
	t.Helper()
	s := apitest.MustPost[api.WebhookSubscriptionWithSecret](t, env, "/v1/webhook-subscriptions", token,
		apitest.JSON(t, "url", r.URL+"/hooks/p4w", "event_types", types))
	if !strings.HasPrefix(s.Secret, "whsec_") {
		t.Fatalf("secret %q", s.Secret)
	}
	r.mu.Lock()
	r.secret = s.Secret
	r.mu.Unlock()
	return s
}

func deliveries(t *testing.T, env *apitest.Env, token, sub string) []api.WebhookDelivery {
	t.Helper()
	res := env.Do(t, http.MethodGet, "/v1/webhook-subscriptions/"+sub+"/deliveries?limit=500", token, "")
	apitest.WantStatus(t, res, http.StatusOK)
	var page api.WebhookDeliveryPage
	res.Decode(t, &page)
	return page.Data
}

var fastRetries = []time.Duration{100 * time.Millisecond, 100 * time.Millisecond, 100 * time.Millisecond, 100 * time.Millisecond,
	100 * time.Millisecond, 100 * time.Millisecond, 100 * time.Millisecond, 100 * time.Millisecond}

// A receiver that answers 500 for a while, then 200, gets every event once per successful
// delivery, in the order of the changes, each verified with the Standard Webhooks library; the
// log shows each message's attempts, status code, latency and error.
func TestWebhooksDeliverEveryEventOnceInOrderThroughFailures(t *testing.T) {
	t.Parallel()
	env := webhookEnv(t, fastRetries, 5*time.Second, true)
	trust := env.Organisation(t, domain.KindTrust, "Northgate")
	admin := env.User(t, trust.ID, domain.RoleOrgAdmin)
	coordinator := env.User(t, trust.ID, domain.RoleCoordinator)
	r := newReceiver(t)
	r.answer = func(n int) int {
		if n < 3 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	}
	sub := subscribe(t, env, admin, r, "participant.*")
	if sub.Status != api.WebhookSubscriptionStatusActive || !sub.Enabled {
		t.Errorf("new subscription: %+v", sub)
	}
	var ids []string
	for i := range 3 {
		ids = append(ids, env.MustCreate(t, "/v1/participants", coordinator,
			apitest.ParticipantBody(t, trust.ID, "external_ref", "WH-"+string(rune('A'+i)))))
	}
	apitest.MustPatch[api.Participant](t, env, "/v1/participants/"+ids[1], coordinator, `{"given_name":"Robin"}`)
	// An event the subscription does not want, between them.
	env.MustCreate(t, "/v1/mentors", coordinator, `{"organisation_id":"`+trust.ID.String()+`","kind":"professional","given_name":"Mo","family_name":"Mentor"}`)

	waitFor(t, "four messages delivered", func() bool { return len(r.delivered()) >= 4 })
	got := r.delivered()
	want := []struct{ typ, id string }{{"participant.created", ids[0]}, {"participant.created", ids[1]},
		{"participant.created", ids[2]}, {"participant.updated", ids[1]}}
	seen := map[string]bool{}
	for i, w := range want {
		m := got[i]
		if m.Type != w.typ || m.ResourceID != w.id || m.ResourceType != "participant" || m.Org != trust.ID {
			t.Errorf("message %d: %+v, want %s of %s", i, m, w.typ, w.id)
		}
		if seen[m.ID] {
			t.Errorf("message %s delivered twice", m.ID)
		}
		seen[m.ID] = true
	}
	if got[3].Fields == nil || !strings.Contains(strings.Join(got[3].Fields, ","), "given_name") {
		t.Errorf("the update names fields %v, want given_name", got[3].Fields)
	}
	for _, m := range r.all() {
		if !m.Verified {
			t.Errorf("message %s did not verify", m.ID)
		}
		if strings.Contains(m.Type, "mentor") {
			t.Errorf("a mentor event was sent to a participant.* subscription: %+v", m)
		}
	}
	// The three failures were the first message's attempts: nothing overtook it.
	for i, m := range r.all()[:3] {
		if m.ID != got[0].ID || m.Answered != http.StatusInternalServerError {
			t.Errorf("request %d: %+v, want a failed attempt of %s", i, m, got[0].ID)
		}
	}
	time.Sleep(300 * time.Millisecond) // a further, wrong, delivery would show by now
	if n := len(r.delivered()); n != 4 {
		t.Errorf("%d messages delivered, want 4", n)
	}

	log := deliveries(t, env, admin, sub.Id.String())
	if len(log) != 4 {
		t.Fatalf("the log has %d deliveries, want 4", len(log))
	}
	byMessage := map[string]api.WebhookDelivery{}
	for _, d := range log {
		byMessage[d.MessageId] = d
		if d.Status != api.WebhookDeliveryStatusSucceeded || d.LastStatusCode == nil || *d.LastStatusCode != 200 ||
			d.LastLatencyMs == nil || d.DeliveredAt == nil || d.LastError != nil {
			t.Errorf("delivery %+v, want succeeded with 200, a latency and no error", d)
		}
	}
	if first := byMessage[got[0].ID]; first.Attempts != 4 {
		t.Errorf("the first message took %d attempts, want 4 (3 answered 500)", first.Attempts)
	}
	if d := byMessage[got[1].ID]; d.Attempts != 1 || d.Payload.Data.ResourceId != ids[1] || d.EventType != "participant.created" {
		t.Errorf("second delivery: %+v", d)
	}
	// The secret is never shown again.
	res := env.Do(t, http.MethodGet, "/v1/webhook-subscriptions/"+sub.Id.String(), admin, "")
	if strings.Contains(string(res.Body), "whsec_") || strings.Contains(string(res.Body), `"secret"`) {
		t.Errorf("GET shows the secret: %s", res.Body)
	}
}

// After the last retry a message is given up and the subscription marked failing with the
// reason, visible to the organisation's admins; the next message is tried all the same, and
// one delivered makes the subscription active again.
func TestWebhooksGiveUpAndMarkTheSubscriptionFailing(t *testing.T) {
	t.Parallel()
	env := webhookEnv(t, fastRetries[:2], 5*time.Second, true)
	trust := env.Organisation(t, domain.KindTrust, "Northgate")
	admin := env.User(t, trust.ID, domain.RoleOrgAdmin)
	coordinator := env.User(t, trust.ID, domain.RoleCoordinator)
	r := newReceiver(t)
	var healthy sync.Mutex
	failing := true
	r.answer = func(int) int {
		healthy.Lock()
		defer healthy.Unlock()
		if failing {
			return http.StatusServiceUnavailable
		}
		return http.StatusNoContent
	}
	sub := subscribe(t, env, admin, r, "*")
	env.MustCreate(t, "/v1/participants", coordinator, apitest.ParticipantBody(t, trust.ID))
	path := "/v1/webhook-subscriptions/" + sub.Id.String()
	waitFor(t, "the subscription failing", func() bool {
		return apitest.MustGet[api.WebhookSubscription](t, env, path, admin).Status == api.WebhookSubscriptionStatusFailing
	})
	s := apitest.MustGet[api.WebhookSubscription](t, env, path, admin)
	if s.FailingReason == nil || !strings.Contains(*s.FailingReason, "answered 503") || !strings.Contains(*s.FailingReason, "3 attempts") {
		t.Errorf("failing_reason %v", s.FailingReason)
	}
	log := deliveries(t, env, admin, sub.Id.String())
	if len(log) != 1 || log[0].Status != api.WebhookDeliveryStatusFailed || log[0].Attempts != 3 ||
		log[0].LastStatusCode == nil || *log[0].LastStatusCode != 503 || log[0].LastError == nil || !strings.Contains(*log[0].LastError, "503") {
		t.Fatalf("log %+v, want one failed delivery of 3 attempts answered 503", log)
	}
	if n := len(r.all()); n != 3 {
		t.Errorf("the receiver got %d attempts, want 3", n)
	}
	healthy.Lock()
	failing = false
	healthy.Unlock()
	env.MustCreate(t, "/v1/participants", coordinator, apitest.ParticipantBody(t, trust.ID))
	waitFor(t, "the next message", func() bool { return len(r.delivered()) == 1 })
	waitFor(t, "the subscription active again", func() bool {
		return apitest.MustGet[api.WebhookSubscription](t, env, path, admin).Status == api.WebhookSubscriptionStatusActive
	})
	// The given-up message can be sent again by hand, with its own webhook-id.
	res := env.Do(t, http.MethodPost, path+"/deliveries/"+log[0].Id.String()+"/redeliver", admin, "")
	apitest.WantStatus(t, res, http.StatusAccepted)
	waitFor(t, "the redelivery", func() bool { return len(r.delivered()) == 2 })
	if got := r.delivered()[1]; got.ID != log[0].MessageId {
		t.Errorf("redelivered %s, want the same webhook-id %s", got.ID, log[0].MessageId)
	}
}

// A receiver that hangs does not hold up another subscription: each subscription's
// deliveries are a job of their own.
func TestWebhooksHangingReceiverHoldsUpNoOther(t *testing.T) {
	t.Parallel()
	env := webhookEnv(t, fastRetries, 30*time.Second, true)
	trust := env.Organisation(t, domain.KindTrust, "Northgate")
	admin := env.User(t, trust.ID, domain.RoleOrgAdmin)
	coordinator := env.User(t, trust.ID, domain.RoleCoordinator)
	hanging, healthy := newReceiver(t), newReceiver(t)
	hanging.block, hanging.held = make(chan struct{}), make(chan struct{}, 1)
	subscribe(t, env, admin, hanging, "participant.created")
	subscribe(t, env, admin, healthy, "participant.created")
	first := env.MustCreate(t, "/v1/participants", coordinator, apitest.ParticipantBody(t, trust.ID))
	select {
	case <-hanging.held:
	case <-time.After(60 * time.Second):
		t.Fatal("the hanging receiver got nothing")
	}
	// The hanging receiver holds its first request, and will for 30 s; meanwhile the other
	// subscription gets this message and the next.
	second := env.MustCreate(t, "/v1/participants", coordinator, apitest.ParticipantBody(t, trust.ID))
	waitFor(t, "the healthy receiver's two messages", func() bool { return len(healthy.delivered()) == 2 })
	if got := healthy.delivered(); got[0].ResourceID != first || got[1].ResourceID != second {
		t.Errorf("healthy receiver got %+v", got)
	}
	if n := len(hanging.all()); n != 0 {
		t.Errorf("the hanging receiver finished %d requests; it should still hold the first", n)
	}
}

// A paused subscription queues nothing: events while it is paused are never sent, and those
// after it is resumed are.
func TestWebhooksPausedSubscriptionQueuesNothing(t *testing.T) {
	t.Parallel()
	env := webhookEnv(t, fastRetries, 5*time.Second, true)
	trust := env.Organisation(t, domain.KindTrust, "Northgate")
	admin := env.User(t, trust.ID, domain.RoleOrgAdmin)
	coordinator := env.User(t, trust.ID, domain.RoleCoordinator)
	paused, witness := newReceiver(t), newReceiver(t)
	sub := subscribe(t, env, admin, paused, "*")
	subscribe(t, env, admin, witness, "*")
	path := "/v1/webhook-subscriptions/" + sub.Id.String()
	p := apitest.MustPatch[api.WebhookSubscription](t, env, path, admin, `{"enabled":false}`, "If-Match", apitest.ETag(sub.Version))
	if p.Enabled {
		t.Fatal("not paused")
	}
	during := env.MustCreate(t, "/v1/participants", coordinator, apitest.ParticipantBody(t, trust.ID))
	// The witness, enabled, got the event: the dispatcher has passed it.
	waitFor(t, "the witness's message", func() bool { return len(witness.delivered()) == 1 })
	if log := deliveries(t, env, admin, sub.Id.String()); len(log) != 0 {
		t.Errorf("the paused subscription has %d deliveries queued", len(log))
	}
	apitest.MustPatch[api.WebhookSubscription](t, env, path, admin, `{"enabled":true}`)
	after := env.MustCreate(t, "/v1/participants", coordinator, apitest.ParticipantBody(t, trust.ID))
	waitFor(t, "the resumed subscription's message", func() bool { return len(paused.delivered()) == 1 })
	waitFor(t, "the witness's second message", func() bool { return len(witness.delivered()) == 2 })
	if got := paused.delivered(); got[0].ResourceID != after || got[0].ResourceID == during {
		t.Errorf("resumed subscription got %+v, want only %s", got, after)
	}
}

// A subscription of another trust never sees this trust's events, and its admin can neither
// read nor change this trust's subscriptions: each answers 404, as for an id that does not exist.
func TestWebhooksKeepTrustsApart(t *testing.T) {
	t.Parallel()
	env := webhookEnv(t, fastRetries, 5*time.Second, true)
	a := env.Organisation(t, domain.KindTrust, "Trust A")
	b := env.Organisation(t, domain.KindTrust, "Trust B")
	aAdmin, aCoordinator := env.User(t, a.ID, domain.RoleOrgAdmin), env.User(t, a.ID, domain.RoleCoordinator)
	bAdmin := env.User(t, b.ID, domain.RoleOrgAdmin)
	aReceiver, bReceiver := newReceiver(t), newReceiver(t)
	aSub := subscribe(t, env, aAdmin, aReceiver, "*")
	bSub := subscribe(t, env, bAdmin, bReceiver, "*")
	env.MustCreate(t, "/v1/participants", aCoordinator, apitest.ParticipantBody(t, a.ID))
	waitFor(t, "trust A's message", func() bool { return len(aReceiver.delivered()) == 1 })
	res := env.Do(t, http.MethodPost, "/v1/webhook-subscriptions/"+bSub.Id.String()+"/ping", bAdmin, "")
	apitest.WantStatus(t, res, http.StatusAccepted)
	waitFor(t, "trust B's ping", func() bool { return len(bReceiver.delivered()) == 1 })
	if got := bReceiver.all(); len(got) != 1 || got[0].Type != "webhook.ping" || got[0].Org != b.ID {
		t.Errorf("trust B's receiver got %+v, want its ping only", got)
	}
	if log := deliveries(t, env, bAdmin, bSub.Id.String()); len(log) != 1 {
		t.Errorf("trust B's log has %d deliveries, want its ping", len(log))
	}
	aPath := "/v1/webhook-subscriptions/" + aSub.Id.String()
	aLog := deliveries(t, env, aAdmin, aSub.Id.String())
	for _, tc := range []struct{ method, path, body string }{
		{http.MethodGet, aPath, ""},
		{http.MethodPatch, aPath, `{"url":"` + bReceiver.URL + `/stolen"}`},
		{http.MethodDelete, aPath, ""},
		{http.MethodPost, aPath + "/rotate-secret", ""},
		{http.MethodPost, aPath + "/ping", ""},
		{http.MethodGet, aPath + "/deliveries", ""},
		{http.MethodPost, aPath + "/deliveries/" + aLog[0].Id.String() + "/redeliver", ""},
		// Trust A's delivery through trust B's own subscription.
		{http.MethodPost, "/v1/webhook-subscriptions/" + bSub.Id.String() + "/deliveries/" + aLog[0].Id.String() + "/redeliver", ""},
	} {
		res := env.Do(t, tc.method, tc.path, bAdmin, tc.body)
		if res.Status != http.StatusNotFound {
			t.Errorf("%s %s as trust B: %d %s, want 404", tc.method, tc.path, res.Status, res.Body)
		}
	}
	var page api.WebhookSubscriptionPage
	env.Do(t, http.MethodGet, "/v1/webhook-subscriptions", bAdmin, "").Decode(t, &page)
	if len(page.Data) != 1 || page.Data[0].Id != bSub.Id {
		t.Errorf("trust B lists %+v", page.Data)
	}
	// Nor may trust B subscribe to trust A's events by naming it.
	apitest.WantProblem(t, env.Do(t, http.MethodPost, "/v1/webhook-subscriptions", bAdmin,
		apitest.JSON(t, "organisation_id", a.ID, "url", bReceiver.URL, "event_types", []string{"*"})), http.StatusUnprocessableEntity, "organisation_id")
	if s := apitest.MustGet[api.WebhookSubscription](t, env, aPath, aAdmin); s.Url != aReceiver.URL+"/hooks/p4w" || s.Deleted {
		t.Errorf("trust A's subscription changed: %+v", s)
	}
	if n := len(aReceiver.all()); n != 1 {
		t.Errorf("trust A's receiver got %d requests, want 1", n)
	}
}

// The URL of a subscription must be https on a public address; loopback over http only with
// the setting; the refusal names url.
func TestWebhookSubscriptionRefusesInternalTargets(t *testing.T) {
	t.Parallel()
	strict := apitest.New(t) // production settings: no loopback
	trust := strict.Organisation(t, domain.KindTrust, "Northgate")
	admin := strict.User(t, trust.ID, domain.RoleOrgAdmin)
	for _, url := range []string{"http://127.0.0.1:8080/hook", "https://127.0.0.1/hook", "https://localhost/hook",
		"https://169.254.169.254/latest/meta-data/", "https://[fd00:ec2::254]/", "https://10.0.0.1/hook", "https://192.168.1.20/hook",
		"https://100.64.1.1/hook", "http://hr.example.org/hook", "https://[::1]/hook"} {
		res := strict.Do(t, http.MethodPost, "/v1/webhook-subscriptions", admin, apitest.JSON(t, "url", url, "event_types", []string{"*"}))
		apitest.WantProblem(t, res, http.StatusUnprocessableEntity, "url")
	}
	res := strict.Do(t, http.MethodPost, "/v1/webhook-subscriptions", admin, apitest.JSON(t, "url", "https://93.184.216.34/hook", "event_types", []string{"*"}))
	apitest.WantStatus(t, res, http.StatusCreated)
	var s api.WebhookSubscription
	res.Decode(t, &s)
	apitest.WantProblem(t, strict.Patch(t, "/v1/webhook-subscriptions/"+s.Id.String(), admin, `{"url":"https://10.9.8.7/"}`), http.StatusUnprocessableEntity, "url")
	for _, types := range [][]string{{"participant.exploded"}, {"api_client.created"}, {}} {
		res := strict.Do(t, http.MethodPost, "/v1/webhook-subscriptions", admin, apitest.JSON(t, "url", "https://93.184.216.34/hook", "event_types", types))
		if res.Status != http.StatusBadRequest && res.Status != http.StatusUnprocessableEntity {
			t.Errorf("event_types %v: %d %s", types, res.Status, res.Body)
		}
	}
	// With the setting, loopback over http is allowed, and private ranges still are not.
	loose := webhookEnv(t, fastRetries, time.Second, false)
	trust = loose.Organisation(t, domain.KindTrust, "Northgate")
	admin = loose.User(t, trust.ID, domain.RoleOrgAdmin)
	apitest.WantStatus(t, loose.Do(t, http.MethodPost, "/v1/webhook-subscriptions", admin,
		apitest.JSON(t, "url", "http://127.0.0.1:9/hook", "event_types", []string{"*"})), http.StatusCreated)
	apitest.WantProblem(t, loose.Do(t, http.MethodPost, "/v1/webhook-subscriptions", admin,
		apitest.JSON(t, "url", "http://10.0.0.1/hook", "event_types", []string{"*"})), http.StatusUnprocessableEntity, "url")
	// A coordinator manages none.
	coordinator := loose.User(t, trust.ID, domain.RoleCoordinator)
	apitest.WantStatus(t, loose.Do(t, http.MethodPost, "/v1/webhook-subscriptions", coordinator,
		apitest.JSON(t, "url", "http://127.0.0.1:9/hook", "event_types", []string{"*"})), http.StatusForbidden)
}

// A ping arrives signed; a rotated secret signs what follows, and the old one no longer
// verifies it; every change to a subscription is audited.
func TestWebhookPingRotateAndAudit(t *testing.T) {
	t.Parallel()
	env := webhookEnv(t, fastRetries, 5*time.Second, true)
	trust := env.Organisation(t, domain.KindTrust, "Northgate")
	admin := env.User(t, trust.ID, domain.RoleOrgAdmin)
	r := newReceiver(t)
	sub := subscribe(t, env, admin, r, "outcome.*")
	path := "/v1/webhook-subscriptions/" + sub.Id.String()
	res := env.Do(t, http.MethodPost, path+"/ping", admin, "")
	apitest.WantStatus(t, res, http.StatusAccepted)
	var queued api.WebhookDelivery
	res.Decode(t, &queued)
	if queued.Status != api.WebhookDeliveryStatusPending || queued.EventType != "webhook.ping" || queued.Attempts != 0 {
		t.Errorf("queued %+v", queued)
	}
	waitFor(t, "the ping", func() bool { return len(r.delivered()) == 1 })
	if m := r.delivered()[0]; m.ID != queued.MessageId || m.Type != "webhook.ping" {
		t.Errorf("ping arrived as %+v", m)
	}
	old := r.secret
	res = env.Do(t, http.MethodPost, path+"/rotate-secret", admin, "")
	apitest.WantStatus(t, res, http.StatusOK)
	var rotated api.WebhookSubscriptionWithSecret
	res.Decode(t, &rotated)
	if rotated.Secret == old || !strings.HasPrefix(rotated.Secret, "whsec_") {
		t.Fatalf("rotated secret %q", rotated.Secret)
	}
	apitest.WantStatus(t, env.Do(t, http.MethodPost, path+"/ping", admin, ""), http.StatusAccepted)
	waitFor(t, "the second ping", func() bool { return len(r.all()) == 2 })
	if m := r.all()[1]; m.Verified {
		t.Error("a message after the rotation verified with the old secret")
	}
	apitest.WantStatus(t, env.Do(t, http.MethodDelete, path, admin, ""), http.StatusNoContent)
	apitest.WantStatus(t, env.Do(t, http.MethodPost, path+"/ping", admin, ""), http.StatusConflict)
	var audit struct {
		Data []struct{ Action string } `json:"data"`
	}
	env.Do(t, http.MethodGet, "/v1/audit-events?resource_id="+sub.Id.String()+"&limit=100", admin, "").Decode(t, &audit)
	var actions []string
	for _, e := range audit.Data {
		actions = append(actions, e.Action)
	}
	for _, want := range []string{"webhook_subscription.create", "webhook_subscription.ping", "webhook_subscription.rotate_secret", "webhook_subscription.delete"} {
		if !strings.Contains(strings.Join(actions, " "), want) {
			t.Errorf("audit %v lacks %s", actions, want)
		}
	}
}

// A delivery claimed by a replica that then died (its lease not released) is sent by another
// replica once the lease is over, once.
func TestWebhookDeliveryOfADeadReplicaIsTakenOver(t *testing.T) {
	t.Parallel()
	env := webhookEnv(t, fastRetries, time.Second, false)
	trust := env.Organisation(t, domain.KindTrust, "Northgate")
	admin := env.User(t, trust.ID, domain.RoleOrgAdmin)
	coordinator := env.User(t, trust.ID, domain.RoleCoordinator)
	r := newReceiver(t)
	sub := subscribe(t, env, admin, r, "*")
	env.MustCreate(t, "/v1/participants", coordinator, apitest.ParticipantBody(t, trust.ID))
	store := env.Services.Deliverer.Store
	ctx := apitest.System()
	waitFor(t, "the event dispatched", func() bool {
		if _, err := store.Dispatch(ctx); err != nil {
			t.Fatalf("dispatch: %v", err)
		}
		return len(deliveries(t, env, admin, sub.Id.String())) == 1
	})
	// The dead replica's claim: held, never finished.
	if claims, err := store.Claim(ctx, sub.Id, 2*time.Second, 10); err != nil || len(claims) != 1 {
		t.Fatalf("claim: %v %v", claims, err)
	}
	if claims, _ := store.Claim(ctx, sub.Id, time.Second, 10); len(claims) != 0 {
		t.Fatal("a second replica claimed a delivery held by the first")
	}
	startWebhookRunner(t, env)
	waitFor(t, "the message delivered by the other replica", func() bool { return len(r.delivered()) == 1 })
	time.Sleep(500 * time.Millisecond)
	if n := len(r.all()); n != 1 {
		t.Errorf("the receiver got %d requests, want 1", n)
	}
	if log := deliveries(t, env, admin, sub.Id.String()); log[0].Attempts != 1 || log[0].Status != api.WebhookDeliveryStatusSucceeded {
		t.Errorf("log %+v", log[0])
	}
}

// Messages carry ids and field names only, and not even those of a record about a participant
// who does not consent to sharing with HR: an HR system subscribed to outcomes hears of the
// consenting participant's outcome and never of the other's, though both trusts' staff record
// them alike; the other participant's erasure, a tombstone, is announced so that a copy goes.
func TestWebhooksKeepToHRSharingConsent(t *testing.T) {
	t.Parallel()
	env := webhookEnv(t, fastRetries, 5*time.Second, true)
	trust := env.Organisation(t, domain.KindTrust, "Northgate")
	admin := env.User(t, trust.ID, domain.RoleOrgAdmin)
	coordinator := env.User(t, trust.ID, domain.RoleCoordinator)
	hr := newReceiver(t)
	subscribe(t, env, admin, hr, "outcome.*", "participant.erased")
	consenting := env.MustCreate(t, "/v1/participants", coordinator, apitest.ParticipantBody(t, trust.ID,
		"consent", map[string]bool{"processing": true, "hr_sharing": true}))
	private := env.MustCreate(t, "/v1/participants", coordinator, apitest.ParticipantBody(t, trust.ID,
		"consent", map[string]bool{"processing": true}))
	hidden := env.MustCreate(t, "/v1/outcomes", coordinator, outcomeBody(t, private))
	shown := env.MustCreate(t, "/v1/outcomes", coordinator, outcomeBody(t, consenting))
	apitest.WantStatus(t, env.Do(t, http.MethodDelete, "/v1/participants/"+private, coordinator, ""), http.StatusNoContent)

	waitFor(t, "the consenting participant's outcome and the erasure", func() bool { return len(hr.delivered()) == 2 })
	var got []string
	for _, m := range hr.delivered() {
		got = append(got, m.Type+" "+m.ResourceID)
	}
	want := []string{"outcome.created " + shown, "participant.erased " + private}
	if !slices.Equal(got, want) {
		t.Errorf("the HR system heard %q, want %q (never of outcome %s)", got, want, hidden)
	}
}
