package service

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// Placements records placements, work experience and work-related learning during enrolments.
type Placements struct {
	PlacementsDeps
}

// PlacementsDeps are what Placements is built on.
type PlacementsDeps struct {
	Tx         Transactor
	Placements domain.PlacementRepository
	Enrolments domain.EnrolmentRepository
	Cohorts    domain.CohortRepository
	Audit      Auditor
	Now        Clock
}

// NewPlacements wires the placement use cases.
func NewPlacements(d PlacementsDeps) *Placements {
	return &Placements{d}
}

var placementRecord = tombstoned[domain.Placement]{what: "placement",
	deletedAt: func(v *domain.Placement) **time.Time { return &v.DeletedAt }, org: func(v domain.Placement) uuid.UUID { return v.OrganisationID }}

// Create records a placement during an enrolled or active enrolment, inside its cohort's window.
// Errors: forbidden, invalid, conflict (the enrolment is not under way).
func (s *Placements) Create(ctx context.Context, p domain.Placement, fields []string) (domain.Placement, error) {
	return transact(ctx, s.Tx, s.Audit, domain.ScopeParticipantsWrite, func(ctx context.Context, _ domain.Principal) (domain.Placement, event, error) {
		if p.Status == "" {
			p.Status = "planned"
		}
		e, err := s.Enrolments.Get(ctx, p.EnrolmentID)
		if err != nil {
			return p, noEvent, inReach(err, "enrolment_id", "is not an enrolment within your reach")
		}
		if e.Status != domain.Enrolled && e.Status != domain.Active {
			return p, noEvent, domain.Errorf(domain.CodeConflict, "placements belong to enrolled or active enrolments; this one is %s", e.Status)
		}
		c, err := s.Cohorts.Get(ctx, e.CohortID)
		if err != nil {
			return p, noEvent, err
		}
		p.ParticipantID, p.CohortID, p.OrganisationID = e.ParticipantID, e.CohortID, e.OrganisationID
		if err := p.Validate(c); err != nil {
			return p, noEvent, err
		}
		if err := s.Placements.Create(ctx, &p); err != nil {
			return p, noEvent, err
		}
		return p, event{"placement.create", "placement", p.ID, &p.OrganisationID, fields}, nil
	})
}

// Get returns a placement within reach. Errors: not_found.
func (s *Placements) Get(ctx context.Context, id uuid.UUID) (domain.Placement, error) {
	return read(ctx, domain.ScopeParticipantsRead, func(ctx context.Context) (domain.Placement, error) {
		return s.Placements.Get(ctx, id)
	})
}

// List returns a page of placements within reach.
func (s *Placements) List(ctx context.Context, f domain.PlacementFilter, req domain.PageRequest) (domain.Page[domain.Placement], error) {
	return read(ctx, domain.ScopeParticipantsRead, func(ctx context.Context) (domain.Page[domain.Placement], error) {
		return s.Placements.List(ctx, f, req)
	})
}

// Update applies a merge patch. A deleted placement cannot change.
// Errors: forbidden, not_found, precondition_failed, invalid, conflict.
func (s *Placements) Update(ctx context.Context, id uuid.UUID, ifVersion *int64, c domain.PlacementChange, fields []string) (domain.Placement, error) {
	return transact(ctx, s.Tx, s.Audit, domain.ScopeParticipantsWrite, func(ctx context.Context, _ domain.Principal) (domain.Placement, event, error) {
		p, err := s.Placements.Update(ctx, id, ifVersion, func(p *domain.Placement) error {
			if err := mustBeLive(p.DeletedAt, "placement"); err != nil {
				return err
			}
			c.Apply(p)
			cohort, err := s.Cohorts.Get(ctx, p.CohortID)
			if err != nil {
				return err
			}
			return p.Validate(cohort)
		})
		if err != nil {
			return p, noEvent, err
		}
		return p, event{"placement.update", "placement", id, &p.OrganisationID, fields}, nil
	})
}

// Delete leaves a tombstone; deleting twice is harmless. Errors: forbidden, not_found, precondition_failed.
func (s *Placements) Delete(ctx context.Context, id uuid.UUID, ifVersion *int64) error {
	return remove(ctx, s.Tx, s.Placements, s.Audit, s.Now, placementRecord, id, ifVersion)
}
