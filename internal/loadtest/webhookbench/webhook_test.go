package webhookbench_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/internal/jobs"
	"github.com/p4w-nhs/p4w/internal/pgtest"
)

// setting reads a whole-number setting of the benchmark from the environment.
func setting(name string, fallback int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return fallback
}

// receiver is an HR system's endpoint: it answers every message 204 at once and notes when
// each participant's created event arrived.
type receiver struct {
	mu      sync.Mutex
	arrived map[string]time.Time // participant id: when its participant.created arrived
	count   atomic.Int64
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	now := time.Now()
	var m struct {
		Type string `json:"type"`
		Data struct {
			ResourceID string `json:"resource_id"`
		} `json:"data"`
	}
	body, _ := io.ReadAll(req.Body)
	if json.Unmarshal(body, &m) == nil && m.Type == "participant.created" {
		r.mu.Lock()
		if _, seen := r.arrived[m.Data.ResourceID]; !seen {
			r.arrived[m.Data.ResourceID] = now
			r.count.Add(1)
		}
		r.mu.Unlock()
	}
	w.WriteHeader(http.StatusNoContent)
}

// world is p4w with its job runner, one trust, a coordinator's token and a subscription of
// every event of the trust to the receiver.
type world struct {
	env          *apitest.Env
	org          domain.Organisation
	token, admin string
	subscription string
	recv         *receiver
	http         *http.Client
}

// create records a participant and returns its id and when its 201 arrived: a moment after
// its transaction, and so its outbox event, committed.
func (w *world) create(b *testing.B) (string, time.Time) {
	body := apitest.ParticipantBody(b, w.org.ID, "external_ref", "BENCH-"+apitest.Unique(),
		"consent", map[string]bool{"processing": true, "hr_sharing": true})
	req := apitest.NewRequest(b, http.MethodPost, w.env.URL+"/v1/participants", w.token, body)
	res, err := w.http.Do(req)
	if err != nil {
		b.Fatalf("create a participant: %v", err)
	}
	defer res.Body.Close()
	committed := time.Now()
	var v struct {
		ID string `json:"id"`
	}
	if res.StatusCode != http.StatusCreated || json.NewDecoder(res.Body).Decode(&v) != nil {
		b.Fatalf("create a participant: %d", res.StatusCode)
	}
	return v.ID, committed
}

// enable pauses or resumes the subscription.
func (w *world) enable(b *testing.B, on bool) {
	res := w.env.Patch(b, "/v1/webhook-subscriptions/"+w.subscription, w.admin, fmt.Sprintf(`{"enabled": %t}`, on))
	apitest.WantStatus(b, res, http.StatusOK)
}

// writes runs workers writers creating participants for d and returns the ids created.
func (w *world) writes(b *testing.B, workers int, d time.Duration) []string {
	var mu sync.Mutex
	var ids []string
	var wg sync.WaitGroup
	end := time.Now().Add(d)
	for range workers {
		wg.Go(func() {
			for time.Now().Before(end) {
				id, _ := w.create(b)
				mu.Lock()
				ids = append(ids, id)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return ids
}

// drain waits until the receiver has every one of ids, or gives up after limit.
func (w *world) drain(b *testing.B, ids []string, limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		w.recv.mu.Lock()
		missing := slices.ContainsFunc(ids, func(id string) bool { _, ok := w.recv.arrived[id]; return !ok })
		w.recv.mu.Unlock()
		if !missing {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

// BenchmarkWebhooks measures what webhooks cost and how fast they go, on p4w in this process
// with its job runner, against a local receiver:
//
//   - the write path (POST /v1/participants by WEBHOOK_WRITERS writers for WEBHOOK_PHASE
//     seconds a phase) with the trust's one subscription to every event paused, then enabled,
//     alternating WEBHOOK_ROUNDS times; the same without the outbox (its trigger disabled) is
//     the baseline of the outbox's own cost;
//   - delivery: WEBHOOK_RATE participants a second created for WEBHOOK_PHASE seconds, each
//     one participant.created message; the lag from each 201 (its commit) to its arrival at
//     the receiver, at the median and 99th percentile, and whether delivery kept up.
func BenchmarkWebhooks(b *testing.B) {
	writers, phase, rounds, rate := setting("WEBHOOK_WRITERS", 4), setting("WEBHOOK_PHASE", 5), setting("WEBHOOK_ROUNDS", 3), setting("WEBHOOK_RATE", 200)
	cfg := apitest.Config(b, pgtest.NewURL(b))
	cfg.WebhookAllowHTTPLoopback = true
	cfg.DBMaxConns = 20
	env := apitest.NewOn(b, cfg, io.Discard)
	// A job runner as `p4w serve` starts one: it dispatches the outbox and delivers.
	runner, err := jobs.New(env.DB, jobs.Config{Workers: 2, IdempotencyTTL: cfg.IdempotencyTTL,
		Webhooks: env.Services.Deliverer, WebhookWorkers: cfg.WebhookWorkers})
	if err != nil {
		b.Fatal(err)
	}
	if err := runner.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = runner.Stop(ctx)
	}()
	recv := &receiver{arrived: map[string]time.Time{}}
	target := httptest.NewServer(recv)
	defer target.Close()

	w := &world{env: env, recv: recv, http: &http.Client{Timeout: time.Minute}}
	w.org = env.Organisation(b, domain.KindTrust, "Northgate Teaching Hospitals")
	w.token = env.User(b, w.org.ID, domain.RoleCoordinator)
	w.admin = env.User(b, w.org.ID, domain.RoleOrgAdmin)
	res := env.Do(b, http.MethodPost, "/v1/webhook-subscriptions", w.admin,
		`{"url": "`+target.URL+`/p4w", "event_types": ["*"]}`)
	w.subscription = apitest.CreatedID(b, res)
	w.enable(b, false)

	owner, err := pgx.Connect(context.Background(), env.DBURL)
	if err != nil {
		b.Fatal(err)
	}
	defer owner.Close(context.Background())
	outbox := func(on bool) {
		verb := "DISABLE"
		if on {
			verb = "ENABLE"
		}
		if _, err := owner.Exec(context.Background(), "ALTER TABLE audit_events "+verb+" TRIGGER audit_events_change_events"); err != nil {
			b.Fatalf("%s the outbox trigger: %v", verb, err)
		}
	}
	w.writes(b, writers, time.Second) // warm the pool, the caches and the plans

	d := time.Duration(phase) * time.Second
	rps := map[string][]float64{}
	measure := func(name string) []string {
		ids := w.writes(b, writers, d)
		rps[name] = append(rps[name], float64(len(ids))/d.Seconds())
		return ids
	}
	b.ResetTimer()
	for range rounds {
		outbox(false)
		measure("no outbox")
		outbox(true)
		measure("outbox, subscription paused")
		w.enable(b, true)
		ids := measure("outbox, subscription on every event")
		if !w.drain(b, ids, 5*time.Minute) {
			b.Fatalf("the receiver did not get the %d messages of a write phase within 5 minutes", len(ids))
		}
		w.enable(b, false)
	}

	// Delivery at a steady rate: a writer starts every 1/rate s.
	w.enable(b, true)
	type write struct {
		id        string
		committed time.Time
	}
	var mu sync.Mutex
	var made []write
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Second / time.Duration(rate))
	start := time.Now()
	for time.Since(start) < d {
		<-tick.C
		wg.Go(func() {
			id, at := w.create(b)
			mu.Lock()
			made = append(made, write{id, at})
			mu.Unlock()
		})
	}
	tick.Stop()
	wg.Wait()
	ids := make([]string, len(made))
	for i, m := range made {
		ids[i] = m.id
	}
	kept := w.drain(b, ids, 2*time.Minute)
	b.StopTimer()

	var lags []time.Duration
	var last time.Time
	recv.mu.Lock()
	for _, m := range made {
		if at, ok := recv.arrived[m.id]; ok {
			lags = append(lags, at.Sub(m.committed))
			if at.After(last) {
				last = at
			}
		}
	}
	recv.mu.Unlock()
	slices.Sort(lags)
	pct := func(p float64) time.Duration {
		if len(lags) == 0 {
			return 0
		}
		return lags[min(len(lags)-1, int(p*float64(len(lags))))]
	}
	med := func(xs []float64) float64 { s := slices.Clone(xs); slices.Sort(s); return s[len(s)/2] }
	none, paused, on := med(rps["no outbox"]), med(rps["outbox, subscription paused"]), med(rps["outbox, subscription on every event"])
	delivered := float64(len(lags)) / last.Sub(start).Seconds()
	b.ReportMetric(on, "writes/s-subscribed")
	b.ReportMetric(paused, "writes/s-paused")
	b.ReportMetric(none, "writes/s-no-outbox")
	b.ReportMetric(100*(1-on/paused), "%-fewer-writes-subscribed")
	b.ReportMetric(delivered, "delivered/s")
	b.ReportMetric(float64(pct(0.5).Milliseconds()), "lag-p50-ms")
	b.ReportMetric(float64(pct(0.99).Milliseconds()), "lag-p99-ms")
	fmt.Printf(`bench-webhooks: %d writers, %d rounds of %d s phases (median of rounds)
  write path, POST /v1/participants       requests/s
    no outbox (trigger disabled)          %8.1f
    outbox, subscription paused           %8.1f
    outbox, subscription on every event   %8.1f   (%.1f%% fewer than paused, %.1f%% fewer than no outbox)
  delivery at %d writes/s for %d s: %d of %d messages arrived (kept up: %t), %.1f/s
    lag from commit to arrival: p50 %s, p99 %s, max %s
`, writers, rounds, phase, none, paused, on, 100*(1-on/paused), 100*(1-on/none),
		rate, phase, len(lags), len(made), kept, delivered, pct(0.5).Round(time.Millisecond), pct(0.99).Round(time.Millisecond),
		pct(1).Round(time.Millisecond))
}
