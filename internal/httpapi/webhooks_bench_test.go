package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
)

// BenchmarkWritePathWithSubscription: participants written through the API per second with no
// subscription, and with one subscribed to every event whose messages a local receiver takes,
// the job runner dispatching and delivering on the same machine in both:
//
//	go test ./internal/httpapi/ -run '^$' -bench WritePathWithSubscription -benchtime 2000x
func BenchmarkWritePathWithSubscription(b *testing.B) {
	for _, subscribed := range []bool{false, true} {
		name := "none"
		if subscribed {
			name = "one_subscription_on_every_event"
		}
		b.Run(name, func(b *testing.B) {
			env := benchWebhookEnv(b)
			trust := env.Organisation(b, domain.KindTrust, "Northgate")
			admin := env.User(b, trust.ID, domain.RoleOrgAdmin)
			coordinator := env.User(b, trust.ID, domain.RoleCoordinator)
			var got atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				got.Add(1)
				w.WriteHeader(http.StatusNoContent)
			}))
			defer srv.Close()
			if subscribed {
				apitest.MustPost[api.WebhookSubscriptionWithSecret](b, env, "/v1/webhook-subscriptions", admin,
					apitest.JSON(b, "url", srv.URL, "event_types", []string{"*"}))
			}
			body := apitest.ParticipantBody(b, trust.ID)
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					res := env.Do(b, http.MethodPost, "/v1/participants", coordinator, body)
					if res.Status != http.StatusCreated {
						b.Errorf("%d %s", res.Status, res.Body)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "writes/s")
		})
	}
}

// BenchmarkWebhookDeliveryLag writes participants at a steady 200 a second for b.N writes and
// reports, for one subscription on every event, the lag from each change's commit (the
// message's timestamp, taken in the writing transaction) to its arrival at a local receiver,
// at the median and the 99th percentile, and whether delivery kept up:
//
//	go test ./internal/httpapi/ -run '^$' -bench WebhookDeliveryLag -benchtime 2000x
func BenchmarkWebhookDeliveryLag(b *testing.B) {
	env := benchWebhookEnv(b)
	trust := env.Organisation(b, domain.KindTrust, "Northgate")
	admin := env.User(b, trust.ID, domain.RoleOrgAdmin)
	coordinator := env.User(b, trust.ID, domain.RoleCoordinator)
	var mu sync.Mutex
	var lags []time.Duration
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m struct {
			Timestamp time.Time `json:"timestamp"`
		}
		_ = json.NewDecoder(r.Body).Decode(&m)
		mu.Lock()
		lags = append(lags, time.Since(m.Timestamp))
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	apitest.MustPost[api.WebhookSubscriptionWithSecret](b, env, "/v1/webhook-subscriptions", admin,
		apitest.JSON(b, "url", srv.URL, "event_types", []string{"participant.created"}))
	body := apitest.ParticipantBody(b, trust.ID)
	b.ResetTimer()
	start := time.Now()
	tick := time.NewTicker(5 * time.Millisecond) // 200 a second
	var wg sync.WaitGroup
	for range b.N {
		<-tick.C
		wg.Go(func() {
			if res := env.Do(b, http.MethodPost, "/v1/participants", coordinator, body); res.Status != http.StatusCreated {
				b.Errorf("%d %s", res.Status, res.Body)
			}
		})
	}
	tick.Stop()
	wg.Wait()
	written := time.Since(start)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		mu.Lock()
		n := len(lags)
		mu.Unlock()
		if n >= b.N || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	delivered := time.Since(start)
	b.StopTimer()
	mu.Lock()
	defer mu.Unlock()
	if len(lags) < b.N {
		b.Fatalf("%d of %d delivered", len(lags), b.N)
	}
	slices.Sort(lags)
	b.ReportMetric(float64(b.N)/written.Seconds(), "writes/s")
	b.ReportMetric(float64(b.N)/delivered.Seconds(), "delivered/s")
	b.ReportMetric(float64(lags[len(lags)/2].Milliseconds()), "p50_lag_ms")
	b.ReportMetric(float64(lags[len(lags)*99/100].Milliseconds()), "p99_lag_ms")
}

func benchWebhookEnv(b *testing.B) *apitest.Env {
	b.Helper()
	return webhookEnv(b, fastRetries, 10*time.Second, true)
}
