package service

import (
	"context"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// Cohorts manages cohorts: the runs of the catalogue's programmes at organisations.
type Cohorts struct {
	CohortsDeps
}

// CohortsDeps are what Cohorts is built on.
type CohortsDeps struct {
	Tx            Transactor
	Cohorts       domain.CohortRepository
	Programmes    domain.ProgrammeRepository
	Organisations domain.OrganisationRepository
	Awards        domain.FundingAwardRepository
	Audit         Auditor
}

// NewCohorts wires the cohort use cases.
func NewCohorts(d CohortsDeps) *Cohorts {
	return &Cohorts{d}
}

// Create plans a cohort of an organisation within reach.
// Errors: forbidden, invalid (dates outside the programme's bounds, an unknown programme).
func (s *Cohorts) Create(ctx context.Context, c domain.Cohort, fields []string) (domain.Cohort, error) {
	return transact(ctx, s.Tx, s.Audit, domain.ScopeParticipantsWrite, func(ctx context.Context, caller domain.Principal) (domain.Cohort, event, error) {
		if !caller.CanSee(c.OrganisationID) {
			return c, noEvent, domain.Invalid("organisation_id", "is not an organisation you may run cohorts for")
		}
		if c.Status == "" {
			c.Status = "planned"
		}
		prog, err := s.Programmes.Get(ctx, c.ProgrammeID)
		if err != nil {
			return c, noEvent, inReach(err, "programme_id", "is not a programme of the catalogue")
		}
		if err := s.checkOrganisations(ctx, c); err != nil {
			return c, noEvent, err
		}
		if err := fundingAwardServes(ctx, s.Awards, c); err != nil {
			return c, noEvent, err
		}
		if err := c.Validate(prog); err != nil {
			return c, noEvent, err
		}
		if err := s.Cohorts.Create(ctx, &c); err != nil {
			return c, noEvent, err
		}
		return c, event{"cohort.create", "cohort", c.ID, &c.OrganisationID, fields}, nil
	})
}

// checkOrganisations checks that the cohort's organisation may run cohorts and that its
// delivery partner, if named, is a partner. Errors: invalid.
func (s *Cohorts) checkOrganisations(ctx context.Context, c domain.Cohort) error {
	const notRunner = "must be a trust, a collaboration or the national team within your reach"
	org, err := s.Organisations.Get(ctx, c.OrganisationID)
	if err != nil {
		return inReach(err, "organisation_id", notRunner)
	}
	if org.Kind == domain.KindPartner {
		return domain.Invalid("organisation_id", notRunner)
	}
	if c.DeliveryPartnerID == nil {
		return nil
	}
	const notPartner = "must be the id of a partner organisation"
	partner, err := s.Organisations.Get(ctx, *c.DeliveryPartnerID)
	if err != nil {
		return inReach(err, "delivery_partner_id", notPartner)
	}
	if partner.Kind != domain.KindPartner {
		return domain.Invalid("delivery_partner_id", notPartner)
	}
	return nil
}

// Get returns a cohort within reach. Errors: not_found.
func (s *Cohorts) Get(ctx context.Context, id uuid.UUID) (domain.Cohort, error) {
	return read(ctx, domain.ScopeParticipantsRead, func(ctx context.Context) (domain.Cohort, error) {
		return s.Cohorts.Get(ctx, id)
	})
}

// List returns a page of cohorts within reach.
func (s *Cohorts) List(ctx context.Context, f domain.CohortFilter, req domain.PageRequest) (domain.Page[domain.Cohort], error) {
	return read(ctx, domain.ScopeParticipantsRead, func(ctx context.Context) (domain.Page[domain.Cohort], error) {
		return s.Cohorts.List(ctx, f, req)
	})
}

// Update applies a merge patch. Errors: forbidden, not_found, precondition_failed, invalid.
func (s *Cohorts) Update(ctx context.Context, id uuid.UUID, ifVersion *int64, ch domain.CohortChange, fields []string) (domain.Cohort, error) {
	return transact(ctx, s.Tx, s.Audit, domain.ScopeParticipantsWrite, func(ctx context.Context, _ domain.Principal) (domain.Cohort, event, error) {
		c, err := s.Cohorts.Update(ctx, id, ifVersion, func(c *domain.Cohort) error {
			ch.Apply(c)
			prog, err := s.Programmes.Get(ctx, c.ProgrammeID)
			if err != nil {
				return err
			}
			if err := s.checkOrganisations(ctx, *c); err != nil {
				return err
			}
			// Only a new link is checked: a cohort keeps the award it was delivered under.
			if ch.FundingAwardID.Set {
				if err := fundingAwardServes(ctx, s.Awards, *c); err != nil {
					return err
				}
			}
			return c.Validate(prog)
		})
		if err != nil {
			return c, noEvent, err
		}
		return c, event{"cohort.update", "cohort", id, &c.OrganisationID, fields}, nil
	})
}
