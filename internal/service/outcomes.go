package service

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// Outcomes records where participants went, with ILR codes and sustainment checks.
type Outcomes struct {
	tx           Transactor
	repo         domain.OutcomeRepository
	participants domain.ParticipantRepository
	enrolments   domain.EnrolmentRepository
	audit        Auditor
	now          Clock
}

// NewOutcomes wires the outcome use cases.
func NewOutcomes(tx Transactor, repo domain.OutcomeRepository, participants domain.ParticipantRepository, enrolments domain.EnrolmentRepository, audit Auditor, now Clock) *Outcomes {
	return &Outcomes{tx: tx, repo: repo, participants: participants, enrolments: enrolments, audit: audit, now: now}
}

// Create records an outcome of a participant within reach; the enrolment it follows, if
// named, must be that participant's. Errors: forbidden, invalid.
func (s *Outcomes) Create(ctx context.Context, o domain.Outcome, fields []string) (domain.Outcome, error) {
	if _, err := authorize(ctx, domain.ScopeParticipantsWrite); err != nil {
		return o, err
	}
	if err := o.Validate(); err != nil {
		return o, err
	}
	err := s.tx.InTx(ctx, func(ctx context.Context) error {
		who, err := s.participants.Get(ctx, o.ParticipantID)
		if domain.ErrorCode(err) == domain.CodeNotFound {
			return domain.Invalid("participant_id", "is not a participant within your reach")
		}
		if err != nil {
			return err
		}
		if o.EnrolmentID != nil {
			e, err := s.enrolments.Get(ctx, *o.EnrolmentID)
			if domain.ErrorCode(err) == domain.CodeNotFound || err == nil && e.ParticipantID != who.ID {
				return domain.Invalid("enrolment_id", "is not an enrolment of this participant within your reach")
			}
			if err != nil {
				return err
			}
		}
		o.OrganisationID = who.OrganisationID
		if err := s.repo.Create(ctx, &o); err != nil {
			return err
		}
		return audit(ctx, s.audit, "outcome.create", "outcome", o.ID, &o.OrganisationID, fields)
	})
	return o, err
}

// Get returns an outcome within reach. Errors: not_found.
func (s *Outcomes) Get(ctx context.Context, id uuid.UUID) (domain.Outcome, error) {
	return read(ctx, domain.ScopeParticipantsRead, func(ctx context.Context) (domain.Outcome, error) {
		return s.repo.Get(ctx, id)
	})
}

// List returns a page of outcomes within reach.
func (s *Outcomes) List(ctx context.Context, f domain.OutcomeFilter, req domain.PageRequest) (domain.Page[domain.Outcome], error) {
	return read(ctx, domain.ScopeParticipantsRead, func(ctx context.Context) (domain.Page[domain.Outcome], error) {
		return s.repo.List(ctx, f, req)
	})
}

// Update applies a merge patch, such as a sustainment check. Errors: forbidden, not_found,
// precondition_failed, invalid, conflict (deleted).
func (s *Outcomes) Update(ctx context.Context, id uuid.UUID, ifVersion *int64, c domain.OutcomeChange, fields []string) (domain.Outcome, error) {
	if _, err := authorize(ctx, domain.ScopeParticipantsWrite); err != nil {
		return domain.Outcome{}, err
	}
	var out domain.Outcome
	err := s.tx.InTx(ctx, func(ctx context.Context) (err error) {
		out, err = s.repo.Update(ctx, id, ifVersion, func(o *domain.Outcome) error {
			if o.DeletedAt != nil {
				return domain.Errorf(domain.CodeConflict, "the outcome was deleted")
			}
			c.Apply(o)
			return o.Validate()
		})
		if err != nil {
			return err
		}
		return audit(ctx, s.audit, "outcome.update", "outcome", id, &out.OrganisationID, fields)
	})
	return out, err
}

// Delete leaves a tombstone; deleting twice is harmless. Errors: forbidden, not_found, precondition_failed.
func (s *Outcomes) Delete(ctx context.Context, id uuid.UUID, ifVersion *int64) error {
	return remove(ctx, s.tx, s.repo, s.audit, s.now, outcomeRecord, id, ifVersion)
}

var outcomeRecord = tombstoned[domain.Outcome]{what: "outcome",
	deletedAt: func(v *domain.Outcome) **time.Time { return &v.DeletedAt }, org: func(v domain.Outcome) uuid.UUID { return v.OrganisationID }}
