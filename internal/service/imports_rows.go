package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/internal/tabular"
)

// Enrolments, placements, outcomes and mentoring matches are imported one row at a time,
// through the same use cases as the single-record API (Create, Update, Transition), in the
// batch's transaction and each in a savepoint of its own. Their rules read other records
// (an enrolment's state, a cohort's places and window, a mentor's kind), and a row's fate
// may depend on the rows before it (the last place of a cohort goes to the first row that
// asks), so a set-based write would be a second implementation of those rules.

// rowResult is what an imported row did.
type rowResult int

const (
	rowCreated rowResult = iota + 1
	rowUpdated
	rowUnchanged
)

// rowWrite is a row of a kind imported one row at a time, read and ready to write.
type rowWrite struct {
	row    int
	key    string // names the record within the file: a second row with the same key is refused
	column string // the column the key is read from, to name in that refusal
	what   string // the record, in words: "enrolment"
	write  func(ctx context.Context, mode string) (rowResult, error)
}

// perRow reports whether kind is imported one row at a time.
func perRow(kind *tabular.Kind) bool { return kind != tabular.Participants }

// readRow reads a row of a kind imported one row at a time. present holds the columns the
// file names: a column it leaves out leaves the stored value as it is.
func (s *Imports) readRow(kind *tabular.Kind, row tabular.Row, present map[string]bool) (rowWrite, error) {
	switch kind {
	case tabular.Enrolments:
		rec, err := tabular.EnrolmentFromRow(row)
		col := participantColumn(rec.Participant)
		key := rec.Enrolment.CohortID.String() + "\x00" + participantKey(rec.Participant)
		return rowWrite{row: row.Number, key: keyOr(rec.Enrolment.ID, key), column: idOr(rec.Enrolment.ID, col), what: "enrolment",
			write: func(ctx context.Context, mode string) (rowResult, error) {
				return s.Enrolments.importEnrolmentRow(ctx, mode, rec, col)
			}}, err
	case tabular.Placements:
		rec, err := tabular.PlacementFromRow(row)
		key := enrolmentKey(rec.Enrolment, rec.Participant) + "\x00" + rec.Placement.Kind + "\x00" + day(rec.Placement.StartsOn)
		return rowWrite{row: row.Number, key: keyOr(rec.Placement.ID, key), column: idOr(rec.Placement.ID, "starts_on"), what: "placement",
			write: func(ctx context.Context, mode string) (rowResult, error) {
				return s.importPlacement(ctx, mode, rec, present)
			}}, err
	case tabular.Outcomes:
		rec, err := tabular.OutcomeFromRow(row)
		key := participantKey(rec.Participant) + "\x00" + rec.Outcome.Destination + "\x00" + dayPtr(rec.Outcome.StartsOn)
		return rowWrite{row: row.Number, key: keyOr(rec.Outcome.ID, key), column: idOr(rec.Outcome.ID, "starts_on"), what: "outcome",
			write: func(ctx context.Context, mode string) (rowResult, error) {
				return s.importOutcome(ctx, mode, rec, present)
			}}, err
	case tabular.MentoringMatches:
		rec, err := tabular.MatchFromRow(row)
		key := rec.Match.MentorID.String() + "\x00" + participantKey(rec.Participant) + "\x00" + day(rec.Match.StartsOn)
		return rowWrite{row: row.Number, key: keyOr(rec.Match.ID, key), column: idOr(rec.Match.ID, "starts_on"), what: "mentoring match",
			write: func(ctx context.Context, mode string) (rowResult, error) {
				return s.importMatch(ctx, mode, rec, present)
			}}, err
	}
	return rowWrite{}, fmt.Errorf("import: %s is not imported a row at a time", kind.Name)
}

// keyOr is the file key of a row: the id it names, or else its natural key.
func keyOr(id uuid.UUID, natural string) string {
	if id != uuid.Nil {
		return "id\x00" + id.String()
	}
	return natural
}

func idOr(id uuid.UUID, column string) string {
	if id != uuid.Nil {
		return "id"
	}
	return column
}

func participantKey(ref tabular.ParticipantRef) string {
	if ref.ID != uuid.Nil {
		return "id:" + ref.ID.String()
	}
	return "ref:" + ref.ExternalRef
}

func enrolmentKey(e tabular.EnrolmentRef, p tabular.ParticipantRef) string {
	if e.ID != uuid.Nil {
		return "enrolment:" + e.ID.String()
	}
	return e.CohortID.String() + "\x00" + participantKey(p)
}

func day(t time.Time) string { return t.Format(time.DateOnly) }

func dayPtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return day(*t)
}

// participantColumn is the column a row names its participant by.
func participantColumn(ref tabular.ParticipantRef) string {
	if ref.ID == uuid.Nil {
		return "participant_external_ref"
	}
	return "participant_id"
}

// checkDuplicate refuses a row naming the same record as an earlier row of the file.
func (r *importRun) checkDuplicate(w rowWrite) error {
	h := keyHash(w.key)
	if first, dup := r.seen.first(h); dup && first != w.row {
		return &tabular.RowError{Row: w.row, Errors: []tabular.CellError{{Column: w.column,
			Message: fmt.Sprintf("names the same %s as row %d of this file", w.what, first)}}}
	}
	r.seen.add(h, w.row)
	return nil
}

// applyRows writes a batch one row at a time, each in a savepoint of the batch's transaction:
// a refused row leaves nothing (not even a place taken) and the rows after it go on.
func (r *importRun) applyRows(ctx context.Context, rows []rowWrite) (domain.ImportResult, error) {
	var res domain.ImportResult
	for _, w := range rows {
		var did rowResult
		err := r.s.Store.Savepoint(ctx, true, func(ctx context.Context) error {
			var err error
			did, err = w.write(ctx, r.job.Mode)
			return err
		})
		var de *domain.Error
		switch {
		case err == nil && did == rowCreated:
			res.Created++
		case err == nil && did == rowUpdated:
			res.Updated++
		case err == nil:
			res.Unchanged++
		case errors.As(err, &de) && (de.Code == domain.CodeInvalid || de.Code == domain.CodeConflict) && len(de.Fields) > 0:
			for _, f := range de.Fields {
				res.Refused = append(res.Refused, domain.ImportRowError{Row: w.row, Column: f.Field, Message: f.Message})
			}
		default:
			return res, err
		}
	}
	return res, nil
}

// onColumn names the column of an error the single-record API reports without a field (the
// cohort full, an illegal move) and reports participant_id as the column the row used.
func onColumn(err error, column, participantCol string) error {
	var de *domain.Error
	if !errors.As(err, &de) {
		return err
	}
	out := &domain.Error{Code: de.Code, Message: de.Message}
	if len(de.Fields) == 0 && (de.Code == domain.CodeConflict || de.Code == domain.CodeInvalid) {
		out.Fields = []domain.FieldError{{Field: column, Message: de.Message}}
		return out
	}
	for _, f := range de.Fields {
		if f.Field == "participant_id" {
			f.Field = participantCol
		}
		out.Fields = append(out.Fields, f)
	}
	return out
}

// rowChange builds the merge patch that takes a stored record to a row's values: a column
// the file names and whose value differs is set; the rest are left out.
type rowChange struct {
	present map[string]bool
	fields  []string // the API's names of the fields set, for the audit event
}

// changed is the change of an optional field, set when column is in the file and differs.
func changed[T any](c *rowChange, column, field string, stored, row *T, equal func(a, b T) bool) domain.Change[T] {
	same := stored == nil && row == nil || stored != nil && row != nil && equal(*stored, *row)
	if !c.present[column] || same {
		return domain.Change[T]{}
	}
	c.fields = append(c.fields, field)
	return domain.Change[T]{Set: true, Value: row}
}

// replaced is the change of a required field: the row's value when it differs, else nil.
func replaced[T any](c *rowChange, column string, stored, row T, equal func(a, b T) bool) *T {
	if !c.present[column] || equal(stored, row) {
		return nil
	}
	c.fields = append(c.fields, column)
	return &row
}

func same[T comparable](a, b T) bool { return a == b }
func sameDay(a, b time.Time) bool    { return a.Equal(b) }
func sameCheck(a, b domain.SustainmentCheck) bool {
	return a.Result == b.Result && a.CheckedOn.Equal(b.CheckedOn)
}

// createdFields are the API's names of the fields a created row sets: the columns the file
// names, less the references that only find the record.
func createdFields(present map[string]bool, refs ...string) []string {
	var out []string
	for c := range present {
		if c != "id" && !slices.Contains(refs, c) {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out
}
