// Package tabular reads and writes the rows of p4w's imports and exports: the columns of each
// kind of record, a streaming reader for CSV and NDJSON that refuses bad input row by row, a
// streaming CSV writer that keeps spreadsheets from running cells as formulas, and the
// conversion between a row and the domain's types. It knows nothing of HTTP or storage.
package tabular

import (
	"fmt"
	"slices"
)

// Type is what a column's cells hold. The reader checks the format of every non-empty cell
// of a typed column; text and enum cells are checked against the contract (Contract).
type Type string

const (
	Text   Type = "text"
	Date   Type = "date"   // YYYY-MM-DD
	Int    Type = "int"    // a whole number, in decimal
	Number Type = "number" // a decimal number, such as 22.5
	Bool   Type = "bool"   // true or false, in any case (spreadsheets write TRUE)
	Enum   Type = "enum"   // one of the values of the contract's schema named by Column.Schema
	UUID   Type = "uuid"   // 8-4-4-4-12 hexadecimal digits
)

// Column is one column of a kind's files.
type Column struct {
	Name string
	Type Type
	// Required: the header must name the column and a row's cell must not be empty. When
	// Group is set, one column of the group will do, for the header and for each row.
	Required bool
	// Group names the columns of which one must be given: a reference's id and the natural
	// key that may stand in for it.
	Group string
	// Schema is where the contract (openapi.yaml) states the cell's rules: a component
	// schema ("BenefitStatus") or a property of one ("ParticipantCreate.given_name").
	// Empty for ids, dates and booleans, whose format the reader checks.
	Schema string
	Doc    string
}

// Kind is one kind of record that is imported and exported.
type Kind struct {
	Name    string   // as the import API names it: "participants", "mentoring-matches"
	Columns []Column // in the order an export writes them
	// UpsertKey says which existing record a row names, for upsert and update imports.
	UpsertKey string
	index     map[string]int
}

func newKind(name, upsertKey string, cols ...Column) *Kind {
	k := &Kind{Name: name, Columns: cols, UpsertKey: upsertKey, index: make(map[string]int, len(cols))}
	for i, c := range cols {
		if _, dup := k.index[c.Name]; dup {
			panic(fmt.Sprintf("tabular: %s declares %s twice", name, c.Name))
		}
		k.index[c.Name] = i
	}
	return k
}

// NewKind declares a kind; for tests and tools that read files of their own shape.
func NewKind(name string, cols ...Column) *Kind { return newKind(name, "", cols...) }

// Column returns the index of the named column, or -1.
func (k *Kind) Column(name string) int {
	if i, ok := k.index[name]; ok {
		return i
	}
	return -1
}

// Header is the names of the columns, in order: the first row of an export.
func (k *Kind) Header() []string {
	h := make([]string, len(k.Columns))
	for i, c := range k.Columns {
		h[i] = c.Name
	}
	return h
}

// missing lists the required columns, or groups, of which names has none.
func (k *Kind) missing(has func(int) bool) []CellError {
	var out []CellError
	seen := map[string]bool{}
	for i, c := range k.Columns {
		if !c.Required || c.Group != "" && seen[c.Group] {
			continue
		}
		if c.Group == "" {
			if !has(i) {
				out = append(out, CellError{Column: c.Name, Message: "is a required column and is missing"})
			}
			continue
		}
		seen[c.Group] = true
		var names []string
		found := false
		for j, d := range k.Columns {
			if d.Group == c.Group {
				names = append(names, d.Name)
				found = found || has(j)
			}
		}
		if !found {
			out = append(out, CellError{Column: c.Name, Message: fmt.Sprintf("is missing: one of the columns %v is required", names)})
		}
	}
	return out
}

// Kinds are the kinds of record an import takes and an export gives, by name.
var Kinds = map[string]*Kind{}

func init() {
	for _, k := range []*Kind{Participants, Enrolments, Placements, Outcomes, MentoringMatches} {
		Kinds[k.Name] = k
	}
}

// KindNames lists the kinds, sorted.
func KindNames() []string {
	names := make([]string, 0, len(Kinds))
	for n := range Kinds {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
