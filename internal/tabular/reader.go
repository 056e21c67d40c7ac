package tabular

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Format is how a file is written.
type Format string

const (
	CSV    Format = "csv"    // RFC 4180, with a header row naming the columns
	NDJSON Format = "ndjson" // one JSON object a line, its keys the columns
)

// MaxCell is the longest cell the reader accepts, in bytes: room for the longest text the
// contract allows (1,000 characters) in any script.
const MaxCell = 4096

var bom = []byte("\uFEFF")

// Row is one record of a file, its cells in the kind's column order.
type Row struct {
	Number int      // as RowError numbers rows
	Cells  []string // one per column of the kind; "" when empty or absent
}

// Get returns the cell of the named column; "" for a column the kind does not have.
func (r Row) Get(k *Kind, name string) string {
	if i := k.Column(name); i >= 0 && i < len(r.Cells) {
		return r.Cells[i]
	}
	return ""
}

// Reader reads the rows of one file, a record at a time: it never holds more than one row.
//
// A CSV file must begin with a header naming each column once, every required column among
// them and no column the kind does not have; a UTF-8 byte order mark before it is skipped.
// Lines end with CRLF or LF; a quoted cell may hold commas, quotes (doubled) and line ends.
// Blank rows, and rows whose cells are all empty, are skipped. An empty file (no header) is
// refused; a file with a header and no rows has no rows, which is not an error.
//
// Every row is refused, with a RowError, for a NUL byte, invalid UTF-8, a cell longer than
// MaxCell, a number of cells other than the header's, or a cell of a typed column not in its
// format; reading goes on with the next row. Blank lines are skipped in NDJSON too, and an
// empty NDJSON file has no rows.
type Reader struct {
	kind   *Kind
	format Format
	br     *bufio.Reader
	row    int   // number of the last record read
	cols   []int // CSV: the kind's column index of each header cell
	header []string
	eof    bool
	buf    []byte
	raw    []string
}

// NewReader starts reading r as format, for kind. A CSV header that cannot be read is a
// *RowError of row 1; an error reading r is returned as it is.
func NewReader(r io.Reader, format Format, kind *Kind) (*Reader, error) {
	rd := &Reader{kind: kind, format: format, br: bufio.NewReaderSize(r, 64<<10)}
	if b, err := rd.br.Peek(len(bom)); err == nil && bytes.Equal(b, bom) {
		_, _ = rd.br.Discard(len(bom))
	}
	switch format {
	case CSV:
		return rd, rd.readHeader()
	case NDJSON:
		return rd, nil
	}
	return nil, fmt.Errorf("tabular: unknown format %q", format)
}

// Columns returns the columns the file's header names, in its order (CSV only).
func (r *Reader) Columns() []string { return r.header }

// Next returns the next row. At the end of the input it returns io.EOF. A refused row is a
// *RowError, after which Next may be called again; any other error ends the reading.
func (r *Reader) Next() (Row, error) {
	if r.format == NDJSON {
		return r.nextJSON()
	}
	for {
		cells, problems, err := r.record()
		if err != nil {
			return Row{}, err
		}
		if len(problems) == 0 && allEmpty(cells) {
			continue
		}
		return r.csvRow(cells, problems)
	}
}

func allEmpty(cells []string) bool {
	for _, c := range cells {
		if c != "" {
			return false
		}
	}
	return true
}

// cellProblem is something wrong with the cell at index i of a record (-1: the record).
type cellProblem struct {
	i   int
	msg string
}

func (r *Reader) readHeader() error {
	var cells []string
	var problems []cellProblem
	for {
		var err error
		cells, problems, err = r.record()
		if errors.Is(err, io.EOF) {
			return &RowError{Row: 1, Errors: []CellError{{Message: "the file is empty: a CSV file's first row is the header, naming the columns"}}}
		}
		if err != nil {
			return err
		}
		if len(problems) > 0 || !allEmpty(cells) {
			break
		}
	}
	var errs []CellError
	for _, p := range problems {
		errs = append(errs, CellError{Column: fmt.Sprintf("(column %d of the header)", p.i+1), Message: p.msg})
	}
	r.cols = make([]int, len(cells))
	r.header = make([]string, len(cells))
	seen := make(map[int]bool)
	for i, c := range cells {
		name := strings.TrimSpace(c)
		r.header[i] = name
		r.cols[i] = -1
		switch j := r.kind.Column(name); {
		case name == "":
			errs = append(errs, CellError{Column: fmt.Sprintf("(column %d of the header)", i+1), Message: "has no name"})
		case checkText(name) != "":
			errs = append(errs, CellError{Column: fmt.Sprintf("(column %d of the header)", i+1), Message: checkText(name)})
		case j < 0:
			errs = append(errs, CellError{Column: name, Message: fmt.Sprintf("is not a column of %s; the columns are %v", r.kind.Name, r.kind.Header())})
		case seen[j]:
			errs = append(errs, CellError{Column: name, Message: "is named twice in the header"})
		default:
			seen[j] = true
			r.cols[i] = j
		}
	}
	errs = append(errs, r.kind.missing(func(j int) bool { return seen[j] })...)
	return rowError(r.row, errs)
}

// csvRow checks a record's cells and places them in the kind's column order.
func (r *Reader) csvRow(cells []string, problems []cellProblem) (Row, error) {
	row := Row{Number: r.row, Cells: make([]string, len(r.kind.Columns))}
	var errs []CellError
	for _, p := range problems {
		errs = append(errs, CellError{Column: r.columnName(p.i), Message: p.msg})
	}
	if len(cells) != len(r.cols) {
		errs = append(errs, CellError{Message: fmt.Sprintf("has %d cells; the header has %d columns", len(cells), len(r.cols))})
	}
	for i, c := range cells {
		if i >= len(r.cols) || r.cols[i] < 0 {
			continue
		}
		j := r.cols[i]
		if msg := checkText(c); msg != "" {
			errs = append(errs, CellError{Column: r.kind.Columns[j].Name, Message: msg})
			continue
		}
		v, msg := r.kind.Columns[j].parse(Restore(c))
		if msg != "" {
			errs = append(errs, CellError{Column: r.kind.Columns[j].Name, Message: msg})
		}
		row.Cells[j] = v
	}
	if err := rowError(r.row, errs); err != nil {
		return Row{Number: r.row}, err
	}
	return row, nil
}

func (r *Reader) columnName(i int) string {
	switch {
	case i < 0:
		return ""
	case i < len(r.header):
		return r.header[i]
	}
	return fmt.Sprintf("(cell %d)", i+1)
}

// checkText refuses what no cell may hold.
func checkText(s string) string {
	switch {
	case !utf8.ValidString(s):
		return "is not valid UTF-8 text; save the file as UTF-8"
	case strings.IndexByte(s, 0) >= 0:
		return "contains a NUL byte"
	case len(s) > MaxCell:
		return fmt.Sprintf("is longer than %d bytes", MaxCell)
	}
	return ""
}

// parse checks a cell's format and returns it in its canonical form: typed cells lose the
// spaces around them, booleans are lower case. Text keeps every character.
func (c Column) parse(s string) (string, string) {
	if c.Type == Text {
		return s, ""
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return "", ""
	}
	switch c.Type {
	case Date:
		if _, err := time.Parse(time.DateOnly, s); err != nil {
			return s, "must be a date written YYYY-MM-DD, such as 2027-03-01"
		}
	case Int:
		if _, err := strconv.ParseInt(s, 10, 64); err != nil {
			return s, "must be a whole number"
		}
	case Number:
		if f, err := strconv.ParseFloat(s, 64); err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return s, "must be a number, such as 22.5"
		}
	case Bool:
		switch strings.ToLower(s) {
		case "true", "false":
			return strings.ToLower(s), ""
		}
		return s, "must be true or false"
	case UUID:
		if len(s) != 36 || uuid.Validate(s) != nil {
			return s, "must be an id: 36 characters, 8-4-4-4-12 hexadecimal digits"
		}
		return strings.ToLower(s), ""
	}
	return s, ""
}

// record reads one CSV record. It returns io.EOF when no record begins before the end of the
// input. A malformed record is read to its end, so that the next one starts cleanly; its
// problems are returned with what was read of its cells.
func (r *Reader) record() ([]string, []cellProblem, error) {
	if r.eof {
		return nil, nil, io.EOF
	}
	cells := r.raw[:0]
	var problems []cellProblem
	cell := r.buf[:0]
	const maxCells = 1024 // far more than any kind has; the rest are counted, not kept
	extra := 0
	problem := func(msg string) {
		i := len(cells)
		if i >= maxCells {
			return // the row is refused for its number of cells
		}
		for j := len(problems) - 1; j >= 0 && problems[j].i == i; j-- {
			if problems[j].msg == msg {
				return
			}
		}
		problems = append(problems, cellProblem{i, msg})
	}
	tooLong := false
	add := func(b byte) {
		if len(cell) >= MaxCell {
			if !tooLong {
				problem(fmt.Sprintf("is longer than %d bytes", MaxCell))
			}
			tooLong = true
			return
		}
		cell = append(cell, b)
	}
	finish := func() {
		if len(cells) < maxCells {
			cells = append(cells, string(cell))
		} else {
			extra++
		}
		cell, tooLong = cell[:0], false
	}
	done := func() ([]string, []cellProblem, error) {
		finish()
		r.row++
		r.buf, r.raw = cell, cells
		if extra > 0 {
			cells = append(cells, make([]string, extra)...)
		}
		return cells, problems, nil
	}
	started, inQuotes, afterQuote, atCellStart := false, false, false, true
	for {
		b, err := r.br.ReadByte()
		if errors.Is(err, io.EOF) {
			r.eof = true
			if !started {
				return nil, nil, io.EOF
			}
			if inQuotes {
				problem("has a quote that is never closed")
			}
			return done()
		}
		if err != nil {
			return nil, nil, err
		}
		started = true
		if inQuotes {
			if b == '"' {
				if next, err := r.br.Peek(1); err == nil && next[0] == '"' {
					_, _ = r.br.Discard(1)
					add('"')
					continue
				}
				inQuotes, afterQuote = false, true
				continue
			}
			add(b)
			continue
		}
		switch b {
		case ',':
			finish()
			afterQuote, atCellStart = false, true
			continue
		case '\n':
			return done()
		case '\r':
			if next, err := r.br.Peek(1); err == nil && next[0] == '\n' {
				_, _ = r.br.Discard(1)
				return done()
			} else if err != nil && !errors.Is(err, io.EOF) {
				return nil, nil, err
			} else if errors.Is(err, io.EOF) {
				return done()
			}
			problem("has a carriage return outside quotes")
		case '"':
			if atCellStart {
				inQuotes, atCellStart = true, false
				continue
			}
			problem(`has a quote in a cell that does not begin with one; write the cell in quotes and double the quote ("")`)
		}
		if afterQuote {
			problem("has text after its closing quote")
		}
		atCellStart = false
		add(b)
	}
}

// nextJSON reads one NDJSON line.
func (r *Reader) nextJSON() (Row, error) {
	maxLine := len(r.kind.Columns)*(6*MaxCell+64) + 1024 // every cell at its longest, each character escaped
	for {
		if r.eof {
			return Row{}, io.EOF
		}
		line, tooLong, err := r.line(maxLine)
		if errors.Is(err, io.EOF) {
			r.eof = true
			if len(line) == 0 && !tooLong {
				return Row{}, io.EOF
			}
		} else if err != nil {
			return Row{}, err
		}
		r.row++
		if tooLong {
			return Row{Number: r.row}, &RowError{Row: r.row, Errors: []CellError{{Message: fmt.Sprintf("is longer than %d bytes", maxLine)}}}
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		return r.jsonRow(line)
	}
}

// line reads up to the next LF, keeping at most max bytes of it.
func (r *Reader) line(max int) ([]byte, bool, error) {
	buf := r.buf[:0]
	tooLong := false
	for {
		part, err := r.br.ReadSlice('\n')
		if len(buf)+len(part) > max {
			tooLong = true
		} else {
			buf = append(buf, part...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		r.buf = buf
		return bytes.TrimSuffix(buf, []byte("\n")), tooLong, err
	}
}

func (r *Reader) jsonRow(line []byte) (Row, error) {
	fail := func(col, msg string) (Row, error) {
		return Row{Number: r.row}, &RowError{Row: r.row, Errors: []CellError{{Column: col, Message: msg}}}
	}
	if !utf8.Valid(line) {
		return fail("", "is not valid UTF-8 text; save the file as UTF-8")
	}
	if bytes.IndexByte(line, 0) >= 0 {
		return fail("", "contains a NUL byte")
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return fail("", "must be a JSON object, such as {\"given_name\": \"Sam\"}")
	}
	row := Row{Number: r.row, Cells: make([]string, len(r.kind.Columns))}
	seen := make([]bool, len(r.kind.Columns))
	var errs []CellError
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return fail("", "is not valid JSON")
		}
		key, _ := t.(string)
		v, err := dec.Token()
		if err != nil {
			return fail(key, "is not valid JSON")
		}
		var s string
		switch v := v.(type) {
		case string:
			s = v
		case json.Number:
			s = v.String()
		case bool:
			s = strconv.FormatBool(v)
		case nil:
		default: // an array or object: the row is refused, and its tokens need not be walked
			return fail(key, "must be a string, a number, true, false or null")
		}
		j := r.kind.Column(key)
		switch {
		case j < 0:
			errs = append(errs, CellError{Column: key, Message: fmt.Sprintf("is not a column of %s; the columns are %v", r.kind.Name, r.kind.Header())})
			continue
		case seen[j]:
			errs = append(errs, CellError{Column: key, Message: "is given twice"})
			continue
		}
		seen[j] = true
		if msg := checkText(s); msg != "" {
			errs = append(errs, CellError{Column: key, Message: msg})
			continue
		}
		c, msg := r.kind.Columns[j].parse(s)
		if msg != "" {
			errs = append(errs, CellError{Column: key, Message: msg})
		}
		row.Cells[j] = c
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return fail("", "is not valid JSON")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fail("", "must hold one JSON object, and nothing after it")
	}
	if err := rowError(r.row, errs); err != nil {
		return Row{Number: r.row}, err
	}
	return row, nil
}
