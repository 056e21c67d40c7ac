package postgres

import (
	"context"
	"database/sql/driver"
	"fmt"
	"io"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/p4w-nhs/p4w/internal/domain"
)

func TestStatementNumbersPlaceholdersInTheOrderWritten(t *testing.T) {
	org, id := uuid.New(), uuid.New()
	s := condition{sql: "(organisation_id = ANY(?) OR kind = ?)", args: []any{[]uuid.UUID{org}, "partner"}}.
		to((&statement{}).write("SELECT 1 FROM t").and("id = ?", id))
	if got, want := s.sql(), "SELECT 1 FROM t WHERE id = $1 AND (organisation_id = ANY($2) OR kind = $3)"; got != want {
		t.Errorf("sql = %q, want %q", got, want)
	}
	if len(s.args) != 3 || s.args[0] != id || s.args[2] != "partner" {
		t.Errorf("args = %v, want the id, the reach and the kind in that order", s.args)
	}
}

// The limit is a number in the SQL, not a parameter: with "LIMIT $n" PostgreSQL re-plans
// every execution of a list (see page).
func TestLimitsAreWrittenIntoTheSQL(t *testing.T) {
	s := page(&statement{}, "t", domain.PageRequest{Limit: 50})
	if got, want := s.sql(), " ORDER BY t.updated_at, t.id LIMIT 51"; got != want || len(s.args) != 0 {
		t.Errorf("page = %q with %d parameters, want %q with none", got, len(s.args), want)
	}
}

// What PostgreSQL could not serve is unavailable (503, retry later); what it refused is not.
func TestUnavailableTellsFailuresFromRefusals(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&pgconn.PgError{Code: "57014"}, true}, // statement_timeout
		{&pgconn.PgError{Code: "55P03"}, true}, // lock_timeout
		{&pgconn.PgError{Code: "53300"}, true}, // too many connections
		{&pgconn.PgError{Code: "57P01"}, true}, // the server is shutting down
		{&pgconn.PgError{Code: "57P03"}, true}, // the server is starting up
		{&pgconn.PgError{Code: "08006"}, true}, // connection failure
		{fmt.Errorf("take a connection: %w", context.DeadlineExceeded), true},
		{io.ErrUnexpectedEOF, true},
		{fmt.Errorf("begin: %w", driver.ErrBadConn), true}, // a pooled connection cut while idle
		{errUnavailable, true},
		{&pgconn.PgError{Code: "23505"}, false}, // a unique key
		{&pgconn.PgError{Code: "42P01"}, false}, // a bad statement is a bug, not an outage
		{context.Canceled, false},               // the caller went away
		{domain.NotFound("participant"), false},
	} {
		if got := unavailable(tc.err); got != tc.want {
			t.Errorf("unavailable(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
	if domain.ErrorCode(translate(&pgconn.PgError{Code: "53300"}, "participant")) != domain.CodeUnavailable {
		t.Error("translate does not make too many connections unavailable")
	}
}
