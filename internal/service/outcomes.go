package service

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// Outcomes records where participants went, with ILR codes and sustainment checks.
type Outcomes struct {
	OutcomesDeps
}

// OutcomesDeps are what Outcomes is built on.
type OutcomesDeps struct {
	Tx           Transactor
	Outcomes     domain.OutcomeRepository
	Participants domain.ParticipantRepository
	Enrolments   domain.EnrolmentRepository
	Audit        Auditor
	Now          Clock
}

// NewOutcomes wires the outcome use cases.
func NewOutcomes(d OutcomesDeps) *Outcomes {
	return &Outcomes{d}
}

var outcomeRecord = tombstoned[domain.Outcome]{what: "outcome",
	deletedAt: func(v *domain.Outcome) **time.Time { return &v.DeletedAt }, org: func(v domain.Outcome) uuid.UUID { return v.OrganisationID }}

// Create records an outcome of a participant within reach; the enrolment it follows, if
// named, must be that participant's. Errors: forbidden, invalid.
func (s *Outcomes) Create(ctx context.Context, o domain.Outcome, fields []string) (domain.Outcome, error) {
	return transact(ctx, s.Tx, s.Audit, domain.ScopeParticipantsWrite, func(ctx context.Context, _ domain.Principal) (domain.Outcome, event, error) {
		if err := o.Validate(); err != nil {
			return o, noEvent, err
		}
		who, err := participantFor(ctx, s.Participants, o.ParticipantID)
		if err != nil {
			return o, noEvent, inReach(err, "participant_id", "is not a participant within your reach")
		}
		if o.EnrolmentID != nil {
			const notTheirs = "is not an enrolment of this participant within your reach"
			e, err := s.Enrolments.Get(ctx, *o.EnrolmentID)
			if err != nil {
				return o, noEvent, inReach(err, "enrolment_id", notTheirs)
			}
			if e.ParticipantID != who.ID {
				return o, noEvent, domain.Invalid("enrolment_id", notTheirs)
			}
		}
		o.OrganisationID = who.OrganisationID
		if err := s.Outcomes.Create(ctx, &o); err != nil {
			return o, noEvent, err
		}
		return o, event{"outcome.create", "outcome", o.ID, &o.OrganisationID, fields}, nil
	})
}

// Get returns an outcome within reach. Errors: not_found.
func (s *Outcomes) Get(ctx context.Context, id uuid.UUID) (domain.Outcome, error) {
	return read(ctx, domain.ScopeParticipantsRead, func(ctx context.Context) (domain.Outcome, error) {
		return s.Outcomes.Get(ctx, id)
	})
}

// List returns a page of outcomes within reach.
func (s *Outcomes) List(ctx context.Context, f domain.OutcomeFilter, req domain.PageRequest) (domain.Page[domain.Outcome], error) {
	return read(ctx, domain.ScopeParticipantsRead, func(ctx context.Context) (domain.Page[domain.Outcome], error) {
		return s.Outcomes.List(ctx, f, req)
	})
}

// Update applies a merge patch, such as a sustainment check. Errors: forbidden, not_found,
// precondition_failed, invalid, conflict (deleted).
func (s *Outcomes) Update(ctx context.Context, id uuid.UUID, ifVersion *int64, c domain.OutcomeChange, fields []string) (domain.Outcome, error) {
	return transact(ctx, s.Tx, s.Audit, domain.ScopeParticipantsWrite, func(ctx context.Context, _ domain.Principal) (domain.Outcome, event, error) {
		o, err := s.Outcomes.Update(ctx, id, ifVersion, func(o *domain.Outcome) error {
			if err := mustBeLive(o.DeletedAt, "outcome"); err != nil {
				return err
			}
			c.Apply(o)
			return o.Validate()
		})
		if err != nil {
			return o, noEvent, err
		}
		return o, event{"outcome.update", "outcome", id, &o.OrganisationID, fields}, nil
	})
}

// Delete leaves a tombstone; deleting twice is harmless. Errors: forbidden, not_found, precondition_failed.
func (s *Outcomes) Delete(ctx context.Context, id uuid.UUID, ifVersion *int64) error {
	return remove(ctx, s.Tx, s.Outcomes, s.Audit, s.Now, outcomeRecord, id, ifVersion)
}
