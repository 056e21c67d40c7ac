package tabular_test

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/p4w-nhs/p4w/internal/tabular"
)

const header = "organisation_id,external_ref,given_name,family_name,date_of_birth\n"
const org = "01900000-0000-7000-8000-000000000001"

// readAll reads every row, gathering the refused ones.
func readAll(t *testing.T, format tabular.Format, kind *tabular.Kind, in string) ([]tabular.Row, []*tabular.RowError, error) {
	t.Helper()
	r, err := tabular.NewReader(strings.NewReader(in), format, kind)
	if err != nil {
		return nil, nil, err
	}
	var rows []tabular.Row
	var refused []*tabular.RowError
	for {
		row, err := r.Next()
		var re *tabular.RowError
		switch {
		case errors.Is(err, io.EOF):
			return rows, refused, nil
		case errors.As(err, &re):
			refused = append(refused, re)
		case err != nil:
			t.Fatalf("Next: %v", err)
		default:
			rows = append(rows, row)
		}
	}
}

func TestReadsMessyButValidCSV(t *testing.T) {
	in := "\uFEFF" + strings.ReplaceAll(header, "\n", "\r\n") +
		org + ",NTH-1,\"Khan, Aisha\",\"O'Neil \"\"Jo\"\"\nSecond line\",2001-04-05\r\n" +
		"\r\n" + // a blank line
		",,,,\r\n" + // a spreadsheet's empty row
		org + ",NTH-2,\"'=HYPERLINK(\"\"x\"\")\",B,2001-04-05\n" // LF alone, and a neutralised cell
	rows, refused, err := readAll(t, tabular.CSV, tabular.Participants, in)
	if err != nil || len(refused) > 0 {
		t.Fatalf("err %v, refused %v", err, refused)
	}
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 2", len(rows))
	}
	p := tabular.Participants
	if got := rows[0].Get(p, "given_name"); got != "Khan, Aisha" {
		t.Errorf("quoted comma: %q", got)
	}
	if got := rows[0].Get(p, "family_name"); got != "O'Neil \"Jo\"\nSecond line" {
		t.Errorf("quoted quote and newline: %q", got)
	}
	if rows[0].Number != 2 || rows[1].Number != 5 {
		t.Errorf("row numbers %d, %d; want 2 and 5 (the header is 1, blank rows count)", rows[0].Number, rows[1].Number)
	}
	if got := rows[1].Get(p, "given_name"); got != `=HYPERLINK("x")` {
		t.Errorf("neutralised cell reads %q", got)
	}
}

func TestRefusesBadHeaders(t *testing.T) {
	for name, tc := range map[string]struct{ in, column, message string }{
		"empty file":         {"", "", "the file is empty"},
		"only a BOM":         {"\uFEFF", "", "the file is empty"},
		"missing required":   {"organisation_id,given_name,family_name\n", "date_of_birth", "required column"},
		"unknown column":     {header[:len(header)-1] + ",nickname\n", "nickname", "not a column of participants"},
		"duplicated column":  {header[:len(header)-1] + ",given_name\n", "given_name", "twice"},
		"missing a group":    {"id,cohort_id\n", "participant_id", "one of the columns"},
		"nameless column":    {header[:len(header)-1] + ",\n", "(column 6 of the header)", "no name"},
		"invalid UTF-8 name": {header[:len(header)-1] + ",giv\xffen\n", "(column 6 of the header)", "UTF-8"},
	} {
		t.Run(name, func(t *testing.T) {
			kind := tabular.Participants
			if name == "missing a group" {
				kind = tabular.Enrolments
			}
			_, _, err := readAll(t, tabular.CSV, kind, tc.in)
			var re *tabular.RowError
			if !errors.As(err, &re) || re.Row != 1 {
				t.Fatalf("got %v, want a RowError of row 1", err)
			}
			if !slices.ContainsFunc(re.Errors, func(c tabular.CellError) bool {
				return c.Column == tc.column && strings.Contains(c.Message, tc.message)
			}) {
				t.Errorf("errors %+v, want %q on %q", re.Errors, tc.message, tc.column)
			}
		})
	}
}

func TestHeaderOnlyHasNoRows(t *testing.T) {
	rows, refused, err := readAll(t, tabular.CSV, tabular.Participants, header+"\n\n")
	if err != nil || len(rows)+len(refused) != 0 {
		t.Fatalf("rows %v, refused %v, err %v; want none", rows, refused, err)
	}
}

func TestRefusesBadRowsAndReadsOn(t *testing.T) {
	good := org + ",R,A,B,2001-04-05\n"
	for name, tc := range map[string]struct{ row, column, message string }{
		"NUL byte":         {org + ",R,A\x00,B,2001-04-05\n", "given_name", "NUL"},
		"invalid UTF-8":    {org + ",R,\xc3\x28,B,2001-04-05\n", "given_name", "UTF-8"},
		"wrong date":       {org + ",R,A,B,05/04/2001\n", "date_of_birth", "YYYY-MM-DD"},
		"impossible date":  {org + ",R,A,B,2001-02-30\n", "date_of_birth", "YYYY-MM-DD"},
		"bad id":           {"nope,R,A,B,2001-04-05\n", "organisation_id", "must be an id"},
		"over-long cell":   {org + ",R," + strings.Repeat("x", tabular.MaxCell+1) + ",B,2001-04-05\n", "given_name", "longer than"},
		"too few cells":    {org + ",R,A,B\n", "", "has 4 cells; the header has 5"},
		"too many cells":   {org + ",R,A,B,2001-04-05,x\n", "", "has 6 cells"},
		"stray quote":      {org + ",R,A\"x,B,2001-04-05\n", "given_name", "quote"},
		"text after quote": {org + ",R,\"A\"x,B,2001-04-05\n", "given_name", "after its closing quote"},
	} {
		t.Run(name, func(t *testing.T) {
			rows, refused, err := readAll(t, tabular.CSV, tabular.Participants, header+tc.row+good)
			if err != nil {
				t.Fatal(err)
			}
			if len(refused) != 1 || refused[0].Row != 2 {
				t.Fatalf("refused %v, want row 2", refused)
			}
			if !slices.ContainsFunc(refused[0].Errors, func(c tabular.CellError) bool {
				return c.Column == tc.column && strings.Contains(c.Message, tc.message)
			}) {
				t.Errorf("errors %+v, want %q on %q", refused[0].Errors, tc.message, tc.column)
			}
			if len(rows) != 1 || rows[0].Number != 3 {
				t.Errorf("rows %+v: the good row after it must be read, as row 3", rows)
			}
		})
	}
}

func TestUnterminatedQuoteEndsTheFileWithAnError(t *testing.T) {
	_, refused, err := readAll(t, tabular.CSV, tabular.Participants, header+org+",R,\"A,B,2001-04-05\n"+org+",S,A,B,2001-04-05\n")
	if err != nil || len(refused) != 1 || !strings.Contains(refused[0].Error(), "never closed") {
		t.Fatalf("refused %v, err %v", refused, err)
	}
}

func TestRandomBytesAreRefusedNotRead(t *testing.T) {
	junk := make([]byte, 1<<20)
	for i := range junk {
		junk[i] = byte(i*7919 + i>>3)
	}
	_, _, err := readAll(t, tabular.CSV, tabular.Participants, string(junk))
	var re *tabular.RowError
	if !errors.As(err, &re) || re.Row != 1 {
		t.Fatalf("got %v, want the header refused", err)
	}
}

func TestReadsNDJSON(t *testing.T) {
	in := "\uFEFF{\"organisation_id\":\"" + org + "\",\"given_name\":\"=A\",\"family_name\":\"B\",\"date_of_birth\":\"2001-04-05\",\"consent_processing\":true,\"phone\":null}\r\n" +
		"\n" +
		"{\"given_name\":\"A\",\"given_name\":\"B\"}\n" +
		"{\"nickname\":\"x\"}\n" +
		"{\"given_name\":\"A\\u0000\"}\n" +
		"{\"given_name\":\"\xff\"}\n" +
		"{\"date_of_birth\":\"5 April 2001\"}\n" +
		"[1,2]\n" +
		"{\"given_name\":{\"a\":1}}\n" +
		"{\"given_name\":\"A\"} {}\n"
	rows, refused, err := readAll(t, tabular.NDJSON, tabular.Participants, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Number != 1 {
		t.Fatalf("rows %+v", rows)
	}
	p := tabular.Participants
	if rows[0].Get(p, "given_name") != "=A" || rows[0].Get(p, "consent_processing") != "true" || rows[0].Get(p, "phone") != "" {
		t.Errorf("row %+v: NDJSON cells are taken as they are", rows[0])
	}
	want := []struct {
		row          int
		column, text string
	}{{3, "given_name", "twice"}, {4, "nickname", "not a column"}, {5, "given_name", "NUL"}, {6, "", "UTF-8"},
		{7, "date_of_birth", "YYYY-MM-DD"}, {8, "", "JSON object"}, {9, "given_name", "must be a string"}, {10, "", "nothing after it"}}
	if len(refused) != len(want) {
		t.Fatalf("refused %v", refused)
	}
	for i, w := range want {
		e := refused[i]
		if e.Row != w.row || e.Errors[0].Column != w.column || !strings.Contains(e.Errors[0].Message, w.text) {
			t.Errorf("refusal %d: %v, want row %d %q %q", i, e, w.row, w.column, w.text)
		}
	}
}

func TestNeutraliseRoundTrips(t *testing.T) {
	for _, s := range []string{"", "'", "''", "'a", "'=", "''=", "=", "=SUM(1)", "+1", "-1+2", "@SUM(1)", "\tx", "\rx", "'\t", "a=b", "O'Neil"} {
		n := tabular.Neutralise(s)
		if got := tabular.Restore(n); got != s {
			t.Errorf("Restore(Neutralise(%q)) = %q (written %q)", s, got, n)
		}
		if n != "" && (strings.ContainsAny(n[:1], "=+-@\t\r")) {
			t.Errorf("Neutralise(%q) = %q still begins with a formula character", s, n)
		}
	}
}

// TestWriterReaderRoundTrip writes awkward rows and reads them back exactly.
func TestWriterReaderRoundTrip(t *testing.T) {
	kind := tabular.NewKind("notes", tabular.Column{Name: "a", Type: tabular.Text}, tabular.Column{Name: "b", Type: tabular.Text})
	rows := [][]string{{"=HYPERLINK(\"x\")", "@SUM(1)"}, {"-1+2", "'=kept"}, {"line\r\nbreak", "quote \" and, comma"}, {"", "\tt"}, {"\r", "a\rb"}}
	var buf bytes.Buffer
	w, err := tabular.NewWriter(&buf, kind)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(buf.String(), "\r\n") {
		if line != "" && strings.ContainsAny(line[:1], "=+-@") {
			t.Errorf("line %q begins with a formula", line)
		}
	}
	got, refused, err := readAll(t, tabular.CSV, kind, buf.String())
	if err != nil || len(refused) > 0 || len(got) != len(rows) {
		t.Fatalf("got %v, refused %v, err %v", got, refused, err)
	}
	for i := range rows {
		if !slices.Equal(got[i].Cells, rows[i]) {
			t.Errorf("row %d: %q, want %q", i, got[i].Cells, rows[i])
		}
	}
}
