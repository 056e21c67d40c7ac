package importbench_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/tabular"
)

// TestGeneratedParticipants checks, in a moment, what the benchmark would otherwise find out
// only minutes into a run: that its file is one an import takes whole (every row passes the
// contract's cell checks and the domain's rules, and no external_ref repeats), and that the same
// arguments make the same file.
func TestGeneratedParticipants(t *testing.T) {
	t.Parallel()
	spec, err := os.ReadFile("../../../openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	contract, err := tabular.NewContract(spec)
	if err != nil {
		t.Fatal(err)
	}
	const rows = 3000
	org := uuid.MustParse("01938f2e-6a4b-7c3d-8e5f-0a1b2c3d4e5f")
	dir := t.TempDir()
	first, second := filepath.Join(dir, "first.csv"), filepath.Join(dir, "second.csv")
	for _, path := range []string{first, second} {
		if _, err := writeParticipants(path, org, rows); err != nil {
			t.Fatal(err)
		}
	}
	a, _ := os.ReadFile(first)
	b, _ := os.ReadFile(second)
	if !bytes.Equal(a, b) {
		t.Fatal("two files made with the same arguments differ")
	}

	rd, err := tabular.NewReader(bytes.NewReader(a), tabular.CSV, tabular.Participants)
	if err != nil {
		t.Fatal(err)
	}
	refs := map[string]int{}
	today := time.Now()
	for {
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err == nil {
			err = contract.Check(tabular.Participants, row)
		}
		var rec tabular.ParticipantRecord
		if err == nil {
			rec, err = tabular.ParticipantFromRow(row)
		}
		if err == nil {
			rec.Participant.Normalise()
			err = rec.Participant.Validate(today)
		}
		if err != nil {
			t.Fatalf("row %d would be refused: %v", row.Number, err)
		}
		ref := *rec.Participant.ExternalRef
		if earlier, dup := refs[ref]; dup {
			t.Fatalf("row %d repeats the external_ref of row %d", row.Number, earlier)
		}
		refs[ref] = row.Number
	}
	if len(refs) != rows {
		t.Fatalf("%d rows read, want %d", len(refs), rows)
	}
}
