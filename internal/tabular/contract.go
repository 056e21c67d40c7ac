package tabular

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Contract checks a row's text and enum cells against the schemas openapi.yaml gives them
// (Column.Schema), with kin-openapi as the API's request validator does: an import row and a
// single-record request are held to the same rules, written once, in the contract.
type Contract struct {
	schemas map[string]*openapi3.Schema // by Column.Schema
	opts    []openapi3.SchemaValidationOption
}

// NewContract resolves the schema of every column of every kind in spec (openapi.yaml).
func NewContract(spec []byte) (*Contract, error) {
	doc, err := openapi3.NewLoader().LoadFromData(spec)
	if err != nil {
		return nil, fmt.Errorf("tabular: load the contract: %w", err)
	}
	// The API's validator checks emails by this same format; the contract says format: email.
	doc.SetStringFormatValidator("email", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForEmail))
	c := &Contract{schemas: map[string]*openapi3.Schema{}, opts: doc.GetSchemaValidationOptions()}
	for _, k := range Kinds {
		for _, col := range k.Columns {
			if col.Schema == "" || c.schemas[col.Schema] != nil {
				continue
			}
			name, prop, _ := strings.Cut(col.Schema, ".")
			ref := doc.Components.Schemas[name]
			if ref == nil || ref.Value == nil {
				return nil, fmt.Errorf("tabular: %s.%s: the contract has no schema %s", k.Name, col.Name, name)
			}
			s := ref.Value
			if prop != "" {
				p := s.Properties[prop]
				if p == nil || p.Value == nil {
					return nil, fmt.Errorf("tabular: %s.%s: the contract's %s has no property %s", k.Name, col.Name, name, prop)
				}
				s = p.Value
			}
			c.schemas[col.Schema] = s
		}
	}
	return c, nil
}

// Check returns a *RowError listing every non-empty cell of row that its column's schema
// refuses, or nil. Empty cells are absent values, which the kind's required columns and the
// domain's rules judge.
func (c *Contract) Check(k *Kind, row Row) error {
	var errs []CellError
	for i, col := range k.Columns {
		if col.Schema == "" || i >= len(row.Cells) || row.Cells[i] == "" {
			continue
		}
		s := c.schemas[col.Schema]
		if s == nil {
			continue
		}
		if err := s.VisitJSON(cellValue(col, row.Cells[i]), c.opts...); err != nil {
			errs = append(errs, CellError{Column: col.Name, Message: schemaMessage(err)})
		}
	}
	return rowError(row.Number, errs)
}

// cellValue is a cell as the JSON value its schema judges: a number column's cell, whose
// format the reader has checked, is a number.
func cellValue(col Column, cell string) any {
	if col.Type == Number || col.Type == Int {
		if f, err := strconv.ParseFloat(cell, 64); err == nil {
			return f
		}
	}
	return cell
}

// schemaMessage words a schema's refusal as the API's validator does.
func schemaMessage(err error) string {
	var se *openapi3.SchemaError
	if !errors.As(err, &se) {
		return err.Error()
	}
	switch {
	case se.SchemaField == "enum" && se.Schema != nil:
		return fmt.Sprintf("must be one of %v", se.Schema.Enum)
	case se.SchemaField == "format" && se.Schema != nil:
		return "must be a valid " + se.Schema.Format
	}
	return se.Reason
}
