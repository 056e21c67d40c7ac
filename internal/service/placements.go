package service

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// Placements records placements, work experience and work-related learning during enrolments.
type Placements struct {
	tx         Transactor
	repo       domain.PlacementRepository
	enrolments domain.EnrolmentRepository
	cohorts    domain.CohortRepository
	audit      Auditor
	now        Clock
}

// NewPlacements wires the placement use cases.
func NewPlacements(tx Transactor, repo domain.PlacementRepository, enrolments domain.EnrolmentRepository, cohorts domain.CohortRepository, audit Auditor, now Clock) *Placements {
	return &Placements{tx: tx, repo: repo, enrolments: enrolments, cohorts: cohorts, audit: audit, now: now}
}

// Create records a placement during an enrolled or active enrolment, inside its cohort's window.
// Errors: forbidden, invalid, conflict (the enrolment is not under way).
func (s *Placements) Create(ctx context.Context, p domain.Placement, fields []string) (domain.Placement, error) {
	if _, err := authorize(ctx, domain.ScopeParticipantsWrite); err != nil {
		return p, err
	}
	if p.Status == "" {
		p.Status = "planned"
	}
	err := s.tx.InTx(ctx, func(ctx context.Context) error {
		e, err := s.enrolments.Get(ctx, p.EnrolmentID)
		if domain.ErrorCode(err) == domain.CodeNotFound {
			return domain.Invalid("enrolment_id", "is not an enrolment within your reach")
		}
		if err != nil {
			return err
		}
		if e.Status != domain.Enrolled && e.Status != domain.Active {
			return domain.Errorf(domain.CodeConflict, "placements belong to enrolled or active enrolments; this one is %s", e.Status)
		}
		c, err := s.cohorts.Get(ctx, e.CohortID)
		if err != nil {
			return err
		}
		p.ParticipantID, p.CohortID, p.OrganisationID = e.ParticipantID, e.CohortID, e.OrganisationID
		if err := p.Validate(c); err != nil {
			return err
		}
		if err := s.repo.Create(ctx, &p); err != nil {
			return err
		}
		return audit(ctx, s.audit, "placement.create", "placement", p.ID, &p.OrganisationID, fields)
	})
	return p, err
}

// Get returns a placement within reach. Errors: not_found.
func (s *Placements) Get(ctx context.Context, id uuid.UUID) (domain.Placement, error) {
	return read(ctx, domain.ScopeParticipantsRead, func(ctx context.Context) (domain.Placement, error) {
		return s.repo.Get(ctx, id)
	})
}

// List returns a page of placements within reach.
func (s *Placements) List(ctx context.Context, f domain.PlacementFilter, req domain.PageRequest) (domain.Page[domain.Placement], error) {
	return read(ctx, domain.ScopeParticipantsRead, func(ctx context.Context) (domain.Page[domain.Placement], error) {
		return s.repo.List(ctx, f, req)
	})
}

// Update applies a merge patch. A deleted placement cannot change.
// Errors: forbidden, not_found, precondition_failed, invalid, conflict.
func (s *Placements) Update(ctx context.Context, id uuid.UUID, ifVersion *int64, c domain.PlacementChange, fields []string) (domain.Placement, error) {
	if _, err := authorize(ctx, domain.ScopeParticipantsWrite); err != nil {
		return domain.Placement{}, err
	}
	var out domain.Placement
	err := s.tx.InTx(ctx, func(ctx context.Context) (err error) {
		out, err = s.repo.Update(ctx, id, ifVersion, func(p *domain.Placement) error {
			if p.DeletedAt != nil {
				return domain.Errorf(domain.CodeConflict, "the placement was deleted")
			}
			c.Apply(p)
			cohort, err := s.cohorts.Get(ctx, p.CohortID)
			if err != nil {
				return err
			}
			return p.Validate(cohort)
		})
		if err != nil {
			return err
		}
		return audit(ctx, s.audit, "placement.update", "placement", id, &out.OrganisationID, fields)
	})
	return out, err
}

// Delete leaves a tombstone; deleting twice is harmless. Errors: forbidden, not_found, precondition_failed.
func (s *Placements) Delete(ctx context.Context, id uuid.UUID, ifVersion *int64) error {
	return remove(ctx, s.tx, s.repo, s.audit, s.now, placementRecord, id, ifVersion)
}

var placementRecord = tombstoned[domain.Placement]{what: "placement",
	deletedAt: func(v *domain.Placement) **time.Time { return &v.DeletedAt }, org: func(v domain.Placement) uuid.UUID { return v.OrganisationID }}
