package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/internal/pgtest"
	"github.com/p4w-nhs/p4w/internal/postgres"
)

func TestHousekeepDeletesOnlyWhatHasExpired(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDB(t)
	a, _ := rlsFixture(t, db)
	sys := domain.WithPrincipal(context.Background(), domain.Principal{Subject: "system", AllOrganisations: true})
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.SQL().Exec(q, args...); err != nil {
			t.Fatal(err)
		}
	}
	old, fresh := time.Now().Add(-48*time.Hour), time.Now()
	for _, k := range []struct {
		key string
		at  time.Time
	}{{"old", old}, {"fresh", fresh}} {
		exec(`INSERT INTO idempotency_keys (scope, key, request_hash, status, response_header, response_body, created_at)
			VALUES ('user:x', $1, '\x00', 201, '{}', '\x00', $2)`, k.key, k.at)
	}
	exec(`INSERT INTO users (id, organisation_id, email, password_hash, role) VALUES (gen_random_uuid(), $1, 'u@example.org', 'x', 'viewer')`, a)
	for _, r := range []struct {
		hash    string
		expires time.Time
	}{{`\x01`, old}, {`\x02`, fresh.Add(time.Hour)}} {
		exec(`INSERT INTO refresh_tokens (id, family_id, user_id, organisation_id, token_hash, expires_at)
			SELECT gen_random_uuid(), gen_random_uuid(), id, organisation_id, $1, $2 FROM users`, r.hash, r.expires)
	}
	exec(`INSERT INTO sign_in_throttle (key, failures, updated_at) VALUES ('email:old', 3, $1), ('email:fresh', 3, $2)`, old, fresh)
	// A trigger stamps updated_at on UPDATE only, so the inserted times stand.

	n, err := postgres.Housekeep(sys, db, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("deleted %d rows, want the 3 expired ones", n)
	}
	for table, want := range map[string]int{"idempotency_keys": 1, "refresh_tokens": 1, "sign_in_throttle": 1} {
		var got int
		if err := db.SQL().QueryRow(`SELECT count(*) FROM ` + table).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s keeps %d rows, want %d (the fresh one)", table, got, want)
		}
	}
}
