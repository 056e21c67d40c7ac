package domain

import (
	"time"

	"github.com/google/uuid"
)

// Position is a place in a list ordered by (updated_at, id): lists resume after it.
type Position struct {
	UpdatedAt time.Time
	ID        uuid.UUID
}

// PageRequest asks for one page of a collection.
type PageRequest struct {
	Limit        int
	After        *Position  // resume after this record
	UpdatedSince *time.Time // only records changed at or after this instant
}

// Page is one page of a collection; Next is nil on the last page.
type Page[T any] struct {
	Items []T
	Next  *Position
}

// Change is one field of a merge patch: absent (leave as is), null (clear) or a value.
type Change[T any] struct {
	Set   bool
	Value *T
}

// Apply sets *dst when the change is present.
func (c Change[T]) Apply(dst **T) {
	if c.Set {
		*dst = c.Value
	}
}

// AddMonths adds n calendar months to a date, clamping to the month's last day as PostgreSQL's
// interval arithmetic does: 31 August plus six months is the end of February, not 2 March.
func AddMonths(day time.Time, n int) time.Time {
	first := time.Date(day.Year(), day.Month()+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	return time.Date(first.Year(), first.Month(), min(day.Day(), last), 0, 0, 0, 0, time.UTC)
}
