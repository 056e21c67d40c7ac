package postgres

import (
	"testing"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

func TestConditionNumbersItsPlaceholders(t *testing.T) {
	c := condition{sql: "(organisation_id = ANY(?) OR kind = ?)"}
	if got, want := c.numbered(3), "(organisation_id = ANY($3) OR kind = $4)"; got != want {
		t.Errorf("numbered(3) = %q, want %q", got, want)
	}
}

func TestLimitsAreWrittenIntoTheSQL(t *testing.T) {
	for _, tc := range []struct {
		limit clause.Limit
		want  string
	}{
		{clause.Limit{Limit: ptr(51)}, "LIMIT 51"},
		{clause.Limit{Limit: ptr(10), Offset: 20}, "LIMIT 10 OFFSET 20"},
		{clause.Limit{Offset: 5}, "OFFSET 5"},
	} {
		stmt := &gorm.Statement{DB: &gorm.DB{Config: &gorm.Config{Dialector: postgres.New(postgres.Config{})}}, Clauses: map[string]clause.Clause{}}
		literalLimit(clause.Clause{Name: "LIMIT", Expression: tc.limit}, stmt)
		if got := stmt.SQL.String(); got != tc.want || len(stmt.Vars) != 0 {
			t.Errorf("%+v: %q with %d parameters, want %q with none", tc.limit, got, len(stmt.Vars), tc.want)
		}
	}
}

func ptr(n int) *int { return &n }
