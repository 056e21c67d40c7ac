package service

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/internal/tabular"
)

// An enrolment row is imported one at a time, through Create and Transition, in the batch's
// transaction: eligibility needs the programme and the participant, and a place is taken
// under the cohort's row lock, so a row's fate depends on the rows before it (the last place
// of a cohort goes to the first row that asks). A set-based write would be a second
// implementation of those rules; the per-row path is the one the API uses.

// importEnrolmentRow writes one row of an enrolments import in ctx's transaction and says
// what it did. participantCol is the column the row names its participant by. Errors:
// invalid (naming the column), conflict (already in the cohort, the cohort full, an illegal
// move), and the database's.
func (s *Enrolments) importEnrolmentRow(ctx context.Context, mode string, rec tabular.EnrolmentRecord, participantCol string) (importOutcome, error) {
	e := rec.Enrolment
	c, err := s.Cohorts.Get(ctx, e.CohortID)
	if err != nil {
		return 0, inReach(err, "cohort_id", "is not a cohort within your reach")
	}
	who, err := s.importParticipant(ctx, rec.Participant, c)
	if err != nil {
		return 0, err
	}
	var stored *domain.Enrolment
	if e.ID != uuid.Nil {
		got, err := s.Enrolments.Get(ctx, e.ID)
		if err != nil {
			return 0, inReach(err, "id", "is not an enrolment within your reach")
		}
		if got.CohortID != c.ID || got.ParticipantID != who.ID {
			return 0, domain.Invalid("id", "names the enrolment of another cohort or participant than the row's")
		}
		stored = &got
	} else {
		page, err := s.Enrolments.List(ctx, domain.EnrolmentFilter{CohortID: &c.ID, ParticipantID: &who.ID}, domain.PageRequest{Limit: 1})
		if err != nil {
			return 0, err
		}
		if len(page.Items) > 0 {
			stored = &page.Items[0]
		}
	}
	status := e.Status
	if status == "" {
		status = domain.Referred
	}
	if stored == nil {
		if mode == domain.ImportUpdate {
			return 0, domain.Invalid(participantCol, "is not in the cohort; import in create or upsert mode to refer or enrol them")
		}
		if status != domain.Referred && status != domain.Enrolled {
			return 0, domain.Invalid("status", "must be referred or enrolled for a new enrolment, as the API creates them; move it on afterwards")
		}
		on := e.ReferredOn
		if status == domain.Enrolled {
			on = e.EnrolledOn
		}
		_, err := s.Create(ctx, c.ID, who.ID, status, on, e.EligibilityOverrideReason)
		return rowCreated, onColumn(err, "cohort_id", participantCol)
	}
	if mode == domain.ImportCreate {
		return 0, domain.Invalid(participantCol, "is already in the cohort; import in upsert or update mode to change the enrolment")
	}
	if e.Status == "" || e.Status == stored.Status {
		return rowUnchanged, nil // an import moves an enrolment along its lifecycle, and changes nothing else
	}
	_, err = s.Transition(ctx, stored.ID, nil, status, statusDate(e, status), e.WithdrawalReason, e.EligibilityOverrideReason)
	return rowUpdated, onColumn(err, "status", participantCol)
}

// importParticipant resolves the participant a row names, within reach: by id, or by
// external_ref among the participants of the cohort's organisation (or its member trusts).
// One out of reach is refused exactly as one that does not exist. Errors: invalid.
func (s *Enrolments) importParticipant(ctx context.Context, ref tabular.ParticipantRef, c domain.Cohort) (domain.Participant, error) {
	if ref.ID != uuid.Nil {
		who, err := participantFor(ctx, s.Participants, ref.ID)
		return who, inReach(err, "participant_id", "is not a participant within your reach")
	}
	caller, _ := domain.PrincipalFrom(ctx)
	// Looked up within one organisation at a time, by the unique (organisation_id, external_ref):
	// the cohort's, then, for a collaboration's cohort, each member trust's.
	orgs := []uuid.UUID{c.OrganisationID}
	var found []domain.Participant
	for i := 0; i < len(orgs); i++ {
		page, err := s.Participants.List(ctx, domain.ParticipantFilter{ExternalRef: &ref.ExternalRef, OrganisationID: &orgs[i],
			ForHR: caller.ActsForHR()}, domain.PageRequest{Limit: 1})
		if err != nil {
			return domain.Participant{}, err
		}
		for _, p := range page.Items {
			if !caller.Withholds(p) {
				found = append(found, p)
			}
		}
		if i == 0 && len(found) == 0 {
			org, err := s.Organisations.Get(ctx, c.OrganisationID)
			if err != nil {
				return domain.Participant{}, err
			}
			if org.Kind == domain.KindCollaboration {
				orgs = append(orgs, org.MemberIDs...)
			}
		}
	}
	switch len(found) {
	case 0:
		return domain.Participant{}, domain.Invalid("participant_external_ref", "names no participant of the cohort's organisation within your reach")
	case 1:
		return found[0], nil
	}
	return domain.Participant{}, domain.Invalid("participant_external_ref", "names participants of two of the collaboration's trusts; name the participant by participant_id")
}

// statusDate is the row's date of the move to status.
func statusDate(e domain.Enrolment, status string) *time.Time {
	switch status {
	case domain.Enrolled:
		return e.EnrolledOn
	case domain.Active:
		return e.StartedOn
	case domain.Completed:
		return e.CompletedOn
	case domain.Withdrawn:
		return e.WithdrawnOn
	}
	return e.ReferredOn
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

// importOutcome is what an imported row did.
type importOutcome int

const (
	rowCreated importOutcome = iota + 1
	rowUpdated
	rowUnchanged
)

// enrolmentRow is a checked row of an enrolments import, and its number in the file.
type enrolmentRow struct {
	row int
	rec tabular.EnrolmentRecord
}

// participantColumn is the column a row names its participant by.
func participantColumn(rec tabular.EnrolmentRecord) string {
	if rec.Participant.ID == uuid.Nil {
		return "participant_external_ref"
	}
	return "participant_id"
}

// checkEnrolment refuses a row naming the same enrolment as an earlier row of the file (by id,
// or by cohort and the participant's id or external_ref as written).
func (r *importRun) checkEnrolment(rec tabular.EnrolmentRecord, row int) error {
	key, col := "id\x00"+rec.Enrolment.ID.String(), "id"
	if rec.Enrolment.ID == uuid.Nil {
		col = participantColumn(rec)
		key = rec.Enrolment.CohortID.String() + "\x00" + col + "\x00" + rec.Participant.ID.String() + "\x00" + rec.Participant.ExternalRef
	}
	h := fnv.New64a()
	h.Write([]byte(key))
	if first, dup := r.seen[h.Sum64()]; dup && first != row {
		return &tabular.RowError{Row: row, Errors: []tabular.CellError{{Column: col, Message: fmt.Sprintf("names the same enrolment as row %d of this file", first)}}}
	}
	r.seen[h.Sum64()] = row
	return nil
}

// applyEnrolments writes a batch one row at a time, each in a savepoint of the batch's
// transaction: a refused row leaves nothing (not even a place taken) and the rows after it go on.
func (r *importRun) applyEnrolments(ctx context.Context, rows []enrolmentRow) (domain.ImportResult, error) {
	var res domain.ImportResult
	for _, b := range rows {
		var did importOutcome
		err := r.s.Store.Savepoint(ctx, true, func(ctx context.Context) error {
			var err error
			did, err = r.s.Enrolments.importEnrolmentRow(ctx, r.job.Mode, b.rec, participantColumn(b.rec))
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
				res.Refused = append(res.Refused, domain.ImportRowError{Row: b.row, Column: f.Field, Message: f.Message})
			}
		default:
			return res, err
		}
	}
	return res, nil
}
