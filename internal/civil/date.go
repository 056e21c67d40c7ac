// Package civil holds the calendar date of the server's models, as openapi.yaml's
// format: date maps it (api/server.cfg.yaml). It writes and reads "2006-01-02" as
// oapi-codegen's own Date does, without a nested json.Marshal for every date of every
// record in a list.
package civil

import (
	"fmt"
	"time"
)

// Layout is a date as JSON and query parameters carry it.
const Layout = "2006-01-02"

// Date is a calendar date, held as midnight UTC.
type Date struct {
	time.Time
}

// MarshalJSON writes the date as a JSON string.
func (d Date) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, len(Layout)+2)
	b = append(b, '"')
	b = d.AppendFormat(b, Layout)
	return append(b, '"'), nil
}

// UnmarshalJSON reads a JSON string holding a date.
func (d *Date) UnmarshalJSON(data []byte) error {
	if len(data) < 2 || data[0] != '"' || data[len(data)-1] != '"' {
		return fmt.Errorf("a date must be a JSON string, %s", Layout)
	}
	return d.UnmarshalText(data[1 : len(data)-1])
}

// MarshalText writes the date as text.
func (d Date) MarshalText() ([]byte, error) {
	return d.AppendFormat(nil, Layout), nil
}

// UnmarshalText reads a date.
func (d *Date) UnmarshalText(data []byte) error {
	t, err := time.Parse(Layout, string(data))
	if err != nil {
		return err
	}
	d.Time = t
	return nil
}

// Bind reads a date from a query or path parameter (oapi-codegen runtime's Binder).
func (d *Date) Bind(src string) error {
	return d.UnmarshalText([]byte(src))
}

// String is the date as text.
func (d Date) String() string {
	return d.Format(Layout)
}
