package service

import (
	"context"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// FundingAwards records HEE's funding awards: the national team writes them, recipients (and
// a collaboration's member trusts) read their own.
type FundingAwards struct {
	FundingAwardsDeps
}

// FundingAwardsDeps are what FundingAwards is built on.
type FundingAwardsDeps struct {
	Tx            Transactor
	Awards        domain.FundingAwardRepository
	Cohorts       domain.CohortRepository
	Programmes    domain.ProgrammeRepository
	Organisations domain.OrganisationRepository
	Audit         Auditor
	Now           Clock
}

// NewFundingAwards wires the funding award use cases.
func NewFundingAwards(d FundingAwardsDeps) *FundingAwards {
	return &FundingAwards{d}
}

// Create records an award. Errors: forbidden, invalid (a rising amount, a recipient that is
// neither a trust nor a collaboration, an unknown programme), conflict (the recipient already
// holds an award for the programme and tender round).
func (s *FundingAwards) Create(ctx context.Context, a domain.FundingAward, fields []string) (domain.FundingAward, error) {
	return transact(ctx, s.Tx, s.Audit, domain.ScopeCatalogueWrite, func(ctx context.Context, _ domain.Principal) (domain.FundingAward, event, error) {
		const notRecipient = "must be a trust or a collaboration"
		org, err := s.Organisations.Get(ctx, a.OrganisationID)
		if err != nil {
			return a, noEvent, inReach(err, "organisation_id", notRecipient)
		}
		if org.Kind != domain.KindTrust && org.Kind != domain.KindCollaboration {
			return a, noEvent, domain.Invalid("organisation_id", notRecipient)
		}
		if _, err := s.Programmes.Get(ctx, a.ProgrammeID); err != nil {
			return a, noEvent, inReach(err, "programme_id", "is not a programme of the catalogue")
		}
		if err := a.Validate(); err != nil {
			return a, noEvent, err
		}
		if err := s.Awards.Create(ctx, &a); err != nil {
			return a, noEvent, asFieldConflict(err, "tender_round")
		}
		return a, event{"funding_award.create", "funding_award", a.ID, &a.OrganisationID, fields}, nil
	})
}

// Get returns an award within reach. Errors: not_found.
func (s *FundingAwards) Get(ctx context.Context, id uuid.UUID) (domain.FundingAward, error) {
	return read(ctx, domain.ScopeOrganisationsRead, func(ctx context.Context) (domain.FundingAward, error) {
		return s.Awards.Get(ctx, id)
	})
}

// List returns a page of the awards within reach.
func (s *FundingAwards) List(ctx context.Context, f domain.FundingAwardFilter, req domain.PageRequest) (domain.Page[domain.FundingAward], error) {
	return read(ctx, domain.ScopeOrganisationsRead, func(ctx context.Context) (domain.Page[domain.FundingAward], error) {
		return s.Awards.List(ctx, f, req)
	})
}

// Update applies a merge patch. Errors: forbidden, not_found, precondition_failed, invalid, conflict.
func (s *FundingAwards) Update(ctx context.Context, id uuid.UUID, ifVersion *int64, c domain.FundingAwardChange, fields []string) (domain.FundingAward, error) {
	return transact(ctx, s.Tx, s.Audit, domain.ScopeCatalogueWrite, func(ctx context.Context, _ domain.Principal) (domain.FundingAward, event, error) {
		a, err := s.Awards.Update(ctx, id, ifVersion, func(a *domain.FundingAward) error {
			if err := mustBeLive(a.DeletedAt, "funding award"); err != nil {
				return err
			}
			c.Apply(a)
			return a.Validate()
		})
		if err != nil {
			return a, noEvent, asFieldConflict(err, "tender_round")
		}
		return a, event{"funding_award.update", "funding_award", id, &a.OrganisationID, fields}, nil
	})
}

// Delete leaves a tombstone; deleting twice is harmless. An award that cohorts are delivered
// under stays: its reports would lose their funding. Errors: forbidden, not_found,
// precondition_failed, conflict.
func (s *FundingAwards) Delete(ctx context.Context, id uuid.UUID, ifVersion *int64) error {
	_, err := transact(ctx, s.Tx, s.Audit, domain.ScopeCatalogueWrite, func(ctx context.Context, _ domain.Principal) (struct{}, event, error) {
		already := false
		a, err := s.Awards.Update(ctx, id, ifVersion, func(a *domain.FundingAward) error {
			if already = a.DeletedAt != nil; already {
				return domain.ErrNoChange
			}
			// A cohort linked by a transaction still running is not seen here: linking takes no
			// lock on the award (a member trust may read it, not lock it). Rare, and visible:
			// the cohort then names a tombstone.
			linked, err := s.Cohorts.List(ctx, domain.CohortFilter{FundingAwardID: &id}, domain.PageRequest{Limit: 1})
			if err != nil {
				return err
			}
			if len(linked.Items) > 0 {
				return domain.Errorf(domain.CodeConflict, "cohorts are delivered under this funding award: unlink them first (e.g. cohort %s)", linked.Items[0].ID)
			}
			now := s.Now()
			a.DeletedAt = &now
			return nil
		})
		if err != nil || already {
			return struct{}{}, noEvent, err
		}
		return struct{}{}, event{"funding_award.delete", "funding_award", id, &a.OrganisationID, []string{"deleted"}}, nil
	})
	return err
}

// fundingAwardServes checks that award may be the funding of cohort c: live, within the
// caller's reach, received by the cohort's organisation or by a collaboration it belongs to
// (collaborations bid together and their member trusts deliver), and for the cohort's
// programme. Every refusal answers alike, so an award out of reach reads as a missing one.
// Errors: invalid.
func fundingAwardServes(ctx context.Context, awards domain.FundingAwardRepository, c domain.Cohort) error {
	if c.FundingAwardID == nil {
		return nil
	}
	found, err := awards.List(ctx, domain.FundingAwardFilter{IDs: []uuid.UUID{*c.FundingAwardID},
		ServingOrganisationID: &c.OrganisationID, ProgrammeID: &c.ProgrammeID}, domain.PageRequest{Limit: 1})
	if err != nil {
		return err
	}
	if len(found.Items) == 0 {
		return domain.Invalid("funding_award_id",
			"must be a funding award of the cohort's organisation, or of a collaboration it belongs to, for the cohort's programme")
	}
	return nil
}
