package postgres_test

import (
	"context"
	"slices"
	"testing"

	"github.com/p4w-nhs/p4w/internal/pgtest"
	"github.com/p4w-nhs/p4w/internal/postgres"
)

// scan reads every row into one value it copies out: nothing of a row may leak into the next,
// neither a slice decoded from JSON nor a pointer left over where the next row has NULL.
func TestScanGivesEachRowItsOwnValues(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDB(t)
	type model struct {
		Areas []string `gorm:"serializer:json"`
		Name  *string
	}
	got, err := postgres.ScanAll[model](context.Background(), db,
		`SELECT * FROM (VALUES ('["clinical", "estates"]'::jsonb, 'first'), ('["it"]'::jsonb, NULL)) AS t(areas, name)`)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d rows, want 2", len(got))
	}
	if !slices.Equal(got[0].Areas, []string{"clinical", "estates"}) || got[0].Name == nil || *got[0].Name != "first" {
		t.Errorf("first row = %v %v", got[0].Areas, got[0].Name)
	}
	if !slices.Equal(got[1].Areas, []string{"it"}) || got[1].Name != nil {
		t.Errorf("second row = %v %v, want [it] and no name", got[1].Areas, got[1].Name)
	}
}
