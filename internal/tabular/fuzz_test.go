package tabular_test

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/p4w-nhs/p4w/internal/tabular"
)

var notes = tabular.NewKind("notes",
	tabular.Column{Name: "a", Type: tabular.Text}, tabular.Column{Name: "b", Type: tabular.Text},
	tabular.Column{Name: "c", Type: tabular.Date})

// FuzzReadRows feeds the reader arbitrary files, as they are and after a valid header, and
// checks that it never panics and never accepts a cell that is not UTF-8 text without NUL
// bytes. It also takes the input as a row's cells (split at 0xFF, which UTF-8 never holds),
// writes the row and checks that reading gives it back exactly.
// `go test` runs the seeds; `go test -fuzz=FuzzReadRows ./internal/tabular` explores.
func FuzzReadRows(f *testing.F) {
	random := make([]byte, 4096)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	for _, seed := range []string{
		"\uFEFFa,b,c\r\n1,2,2027-03-01\r\n",
		"a,b\r\n\"x\r\ny\",\"q\"\"q\"\r\n",
		"\"multi\nline, with comma\",b\n",
		"a\x00b,c\n",
		"\xff\xfe,\xc3\x28\n",
		"'=1\xff'@x\xff2027-02-30",
		"=HYPERLINK(\"x\")\xff@SUM(1)\xff-1+2",
		"\"unterminated,\n",
		"a,\"b\"c,\rd\n",
		"{\"a\":\"x\",\"b\":1.5,\"c\":null}\n{\"a\":[1]}\n",
		"",
		"\n\n,,\n",
		string(random),
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, in := range [][]byte{data, append([]byte("a,b,c\n"), data...)} {
			for _, format := range []tabular.Format{tabular.CSV, tabular.NDJSON} {
				checkRows(t, format, in)
			}
		}
		parts := bytes.SplitN(data, []byte{0xFF}, 2)
		row := []string{string(parts[0]), "", ""}
		if len(parts) > 1 {
			row[1] = string(parts[1])
		}
		for _, c := range row {
			if !utf8.ValidString(c) || strings.IndexByte(c, 0) >= 0 || len(c) > tabular.MaxCell {
				return // not a row a file can hold
			}
		}
		if row[0] == "" && row[1] == "" {
			return // a row of empty cells is skipped as blank
		}
		var buf bytes.Buffer
		w, _ := tabular.NewWriter(&buf, notes)
		if err := w.Write(row); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		r, err := tabular.NewReader(&buf, tabular.CSV, notes)
		if err != nil {
			t.Fatalf("header: %v", err)
		}
		got, err := r.Next()
		if err != nil {
			t.Fatalf("reading back %q: %v", buf.String(), err)
		}
		if !slices.Equal(got.Cells, row) {
			t.Fatalf("wrote %q, read %q", row, got.Cells)
		}
		if _, err := r.Next(); !errors.Is(err, io.EOF) {
			t.Fatalf("a second row: %v", err)
		}
	})
}

func checkRows(t *testing.T, format tabular.Format, in []byte) {
	r, err := tabular.NewReader(bytes.NewReader(in), format, notes)
	if err != nil {
		var re *tabular.RowError
		if !errors.As(err, &re) {
			t.Fatalf("NewReader: %v is not a RowError", err)
		}
		return
	}
	for range len(in) + 2 { // every row takes at least a byte: the reader must end
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		var re *tabular.RowError
		if errors.As(err, &re) {
			if len(re.Errors) == 0 || re.Row < 1 {
				t.Fatalf("an empty or unnumbered refusal: %+v", re)
			}
			continue
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if len(row.Cells) != len(notes.Columns) {
			t.Fatalf("row %+v has %d cells", row, len(row.Cells))
		}
		for _, c := range row.Cells {
			if !utf8.ValidString(c) || strings.IndexByte(c, 0) >= 0 || len(c) > tabular.MaxCell {
				t.Fatalf("accepted a cell %q", c)
			}
		}
	}
	t.Fatalf("the reader did not end")
}
