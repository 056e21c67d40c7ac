package postgres

import (
	"testing"

	"github.com/google/uuid"

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
