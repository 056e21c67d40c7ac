package service

import (
	"context"
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
func (s *Enrolments) importEnrolmentRow(ctx context.Context, mode string, rec tabular.EnrolmentRecord, participantCol string) (rowResult, error) {
	e := rec.Enrolment
	c, err := s.Cohorts.Get(ctx, e.CohortID)
	if err != nil {
		return 0, inReach(err, "cohort_id", "is not a cohort within your reach")
	}
	who, err := s.importParticipant(ctx, rec.Participant, c.OrganisationID)
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
// external_ref among the participants of org (the organisation the row's record belongs to)
// or, for a collaboration, of its member trusts. One out of reach is refused exactly as one
// that does not exist. Errors: invalid.
func (s *Enrolments) importParticipant(ctx context.Context, ref tabular.ParticipantRef, org uuid.UUID) (domain.Participant, error) {
	if ref.ID != uuid.Nil {
		who, err := participantFor(ctx, s.Participants, ref.ID)
		return who, inReach(err, "participant_id", "is not a participant within your reach")
	}
	caller, _ := domain.PrincipalFrom(ctx)
	// Looked up within one organisation at a time, by the unique (organisation_id, external_ref):
	// org's, then, for a collaboration, each member trust's.
	orgs := []uuid.UUID{org}
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
			o, err := s.Organisations.Get(ctx, org)
			if domain.ErrorCode(err) == domain.CodeNotFound {
				break
			}
			if err != nil {
				return domain.Participant{}, err
			}
			if o.Kind == domain.KindCollaboration {
				orgs = append(orgs, o.MemberIDs...)
			}
		}
	}
	switch len(found) {
	case 0:
		return domain.Participant{}, domain.Invalid("participant_external_ref", "names no participant of the record's organisation within your reach")
	case 1:
		return found[0], nil
	}
	return domain.Participant{}, domain.Invalid("participant_external_ref", "names participants of two of the collaboration's trusts; name the participant by participant_id")
}

// importEnrolmentRef resolves the enrolment a row names, within reach: by enrolment_id, or
// by cohort_id with the row's participant. Errors: invalid, naming the column.
func (s *Enrolments) importEnrolmentRef(ctx context.Context, ref tabular.EnrolmentRef, who tabular.ParticipantRef) (domain.Enrolment, error) {
	if ref.ID != uuid.Nil {
		e, err := s.Enrolments.Get(ctx, ref.ID)
		if err != nil {
			return e, inReach(err, "enrolment_id", "is not an enrolment within your reach")
		}
		if who.ID != uuid.Nil && who.ID != e.ParticipantID {
			return e, domain.Invalid("participant_id", "is not the participant of the enrolment named by enrolment_id")
		}
		return e, nil
	}
	c, err := s.Cohorts.Get(ctx, ref.CohortID)
	if err != nil {
		return domain.Enrolment{}, inReach(err, "cohort_id", "is not a cohort within your reach")
	}
	p, err := s.importParticipant(ctx, who, c.OrganisationID)
	if err != nil {
		return domain.Enrolment{}, err
	}
	page, err := s.Enrolments.List(ctx, domain.EnrolmentFilter{CohortID: &c.ID, ParticipantID: &p.ID}, domain.PageRequest{Limit: 1})
	if err != nil {
		return domain.Enrolment{}, err
	}
	if len(page.Items) == 0 {
		return domain.Enrolment{}, domain.Invalid("cohort_id", "has no enrolment of the row's participant: enrol them first")
	}
	return page.Items[0], nil
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
