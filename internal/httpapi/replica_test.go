package httpapi_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/app"
	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/internal/pgtest"
)

// With P4W_READ_DATABASE_URL naming a streaming replica, the audit trail (a long read) comes
// from the replica, with row-level security in force there, while a record just written reads
// back from the primary; when the replica is down the audit trail still answers, from the
// primary, and readiness does not fail. Both clusters are the test's own.
func TestLongReadsComeFromTheReadReplica(t *testing.T) {
	t.Parallel()
	primary, standby := pgtest.NewPrimaryAndStandby(t)
	cfg := apitest.Config(t, primary.URL())
	cfg.ReadDatabaseURL = standby.URL()
	cfg.DBConnectTimeout, cfg.DBAcquireTimeout = time.Second, time.Second
	env := apitest.NewOn(t, cfg, io.Discard)
	opts := app.PoolOptions(cfg, slog.New(slog.DiscardHandler))
	replica, err := app.OpenReadDB(context.Background(), cfg, env.DB, opts)
	if err != nil || replica == nil {
		t.Fatalf("open the read replica: %v, %v", replica, err)
	}
	t.Cleanup(func() { replica.Close() })

	trustA := env.Organisation(t, domain.KindTrust, "Northbank NHS Trust")
	trustB := env.Organisation(t, domain.KindTrust, "Southmoor NHS Trust")
	coordinatorA := env.User(t, trustA.ID, domain.RoleCoordinator)
	adminA := env.User(t, trustA.ID, domain.RoleOrgAdmin)
	adminB := env.User(t, trustB.ID, domain.RoleOrgAdmin)
	trail := func(t *testing.T, token string, query url.Values) []api.AuditEvent {
		t.Helper()
		return apitest.FirstPage[api.AuditEvent](t, env, "/v1/audit-events", token, query)
	}

	// With replay paused, the standby still answers but sees nothing newer.
	standby.WaitReplayed(primary)
	standby.PauseReplay()
	id := env.MustCreate(t, "/v1/participants", coordinatorA, apitest.ParticipantBody(t, trustA.ID))
	ofIt := url.Values{"resource_id": {id}}
	if res := env.Do(t, http.MethodGet, "/v1/participants/"+id, coordinatorA, ""); res.Status != http.StatusOK {
		t.Fatalf("the participant just created does not read back (a short read, on the primary): %d %s", res.Status, res.Body)
	}
	if got := trail(t, adminA, ofIt); len(got) != 0 {
		t.Fatalf("the audit trail shows %d events of a write the paused replica has not replayed: it was read from the primary", len(got))
	}

	standby.ResumeReplay()
	standby.WaitReplayed(primary)
	got := trail(t, adminA, ofIt)
	if len(got) != 1 || got[0].Action != "participant.create" || got[0].OrganisationId == nil || *got[0].OrganisationId != trustA.ID {
		t.Fatalf("once replayed, the audit trail of the participant is %+v, want its participant.create of trust A", got)
	}

	t.Run("another trust sees none of it on the replica", func(t *testing.T) {
		if got := trail(t, adminB, ofIt); len(got) != 0 {
			t.Errorf("trust B's admin reads %d of trust A's audit events", len(got))
		}
		if got := trail(t, adminB, url.Values{"organisation_id": {trustA.ID.String()}}); len(got) != 0 {
			t.Errorf("trust B's admin reads %d audit events filtered on trust A", len(got))
		}
		own := trail(t, adminB, nil)
		if len(own) == 0 {
			t.Error("trust B's admin reads none of its own audit events from the replica")
		}
		for _, e := range own {
			if e.OrganisationId == nil || *e.OrganisationId != trustB.ID {
				t.Errorf("trust B's admin reads an event of organisation %v: %s %s", e.OrganisationId, e.Action, e.ResourceId)
			}
		}
		// Beneath the services' own scoping: the policies themselves, on the standby, for a
		// statement alone and in a long read's transaction (a report's several queries).
		count := func(reach uuid.UUID, inTx bool) (inRecovery bool, n int) {
			t.Helper()
			ctx := domain.WithPrincipal(context.Background(), domain.Principal{Subject: "user:" + uuid.NewString(), Reach: []uuid.UUID{reach}})
			query := func(ctx context.Context) error {
				return env.DB.Query(ctx, func(rows pgx.Rows) error {
					rows.Next()
					return rows.Scan(&inRecovery, &n)
				}, `SELECT pg_is_in_recovery(), (SELECT count(*) FROM audit_events WHERE organisation_id = $1)::int`, trustA.ID)
			}
			err := env.DB.Read(ctx, func(ctx context.Context) error {
				if inTx {
					return env.DB.InTx(ctx, query)
				}
				return query(ctx)
			})
			if err != nil {
				t.Fatalf("count trust A's events through the seam: %v", err)
			}
			return inRecovery, n
		}
		for _, inTx := range []bool{false, true} {
			if inRecovery, n := count(trustB.ID, inTx); !inRecovery || n != 0 {
				t.Errorf("on the replica (in recovery: %v, in a transaction: %v), row-level security lets trust B count %d of trust A's events",
					inRecovery, inTx, n)
			}
			if inRecovery, n := count(trustA.ID, inTx); !inRecovery || n == 0 {
				t.Errorf("on the replica (in recovery: %v, in a transaction: %v), trust A counts %d of its own events", inRecovery, inTx, n)
			}
		}
	})

	t.Run("the replica down, the primary answers", func(t *testing.T) {
		standby.Stop()
		for range 2 { // the pool's connections cut, then none to be had
			got := trail(t, adminA, ofIt)
			if len(got) != 1 || got[0].Action != "participant.create" {
				t.Fatalf("with the replica stopped, the audit trail of the participant is %+v", got)
			}
		}
		if res := env.Do(t, http.MethodGet, "/readyz", "", ""); res.Status != http.StatusOK {
			t.Errorf("with only the replica down, /readyz answers %d %s", res.Status, res.Body)
		}
		metrics := env.Do(t, http.MethodGet, "/metrics", "", "")
		if lines := metricLines(string(metrics.Body), "p4w_db_replica_fallbacks_total"); len(lines) == 0 || anyLine(lines, " 0") {
			t.Errorf("p4w_db_replica_fallbacks_total counts no fallback: %v", lines)
		}
		// A replica down when the server starts does not keep it from starting.
		down, err := app.OpenReadDB(context.Background(), cfg, env.DB, opts)
		if err != nil {
			t.Fatalf("open a read replica that is down: %v", err)
		}
		defer down.Close()
		if got := trail(t, adminA, ofIt); len(got) != 1 {
			t.Errorf("with the replica down from the start, the audit trail of the participant has %d events", len(got))
		}
	})
}
