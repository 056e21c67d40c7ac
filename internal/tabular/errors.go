package tabular

import (
	"fmt"
	"strings"
)

// CellError is one thing wrong with a row: the column it is in ("" for the row as a whole)
// and what is wrong, in words a person editing the file can act on.
type CellError struct {
	Column  string `json:"column"`
	Message string `json:"message"`
}

// RowError refuses one row. Row is the row's number as a spreadsheet shows it: in a CSV file
// the header is row 1 and blank rows count; in NDJSON it is the line number. A reader goes on
// after a RowError; a RowError of the header (row 1 of a CSV file) ends the file.
type RowError struct {
	Row    int
	Errors []CellError
}

func (e *RowError) Error() string {
	parts := make([]string, len(e.Errors))
	for i, c := range e.Errors {
		if c.Column == "" {
			parts[i] = c.Message
		} else {
			parts[i] = c.Column + " " + c.Message
		}
	}
	return fmt.Sprintf("row %d: %s", e.Row, strings.Join(parts, "; "))
}

func rowError(row int, errs []CellError) error {
	if len(errs) == 0 {
		return nil
	}
	return &RowError{Row: row, Errors: errs}
}
