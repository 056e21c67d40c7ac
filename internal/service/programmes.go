package service

import (
	"context"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// Programmes manages the catalogue: everyone may read it, the national team changes it.
type Programmes struct {
	tx    Transactor
	repo  domain.ProgrammeRepository
	orgs  domain.OrganisationRepository
	audit Auditor
}

// NewProgrammes wires the catalogue use cases.
func NewProgrammes(tx Transactor, repo domain.ProgrammeRepository, orgs domain.OrganisationRepository, audit Auditor) *Programmes {
	return &Programmes{tx: tx, repo: repo, orgs: orgs, audit: audit}
}

// Create adds a programme. Errors: forbidden, invalid, conflict.
func (s *Programmes) Create(ctx context.Context, p domain.Programme, fields []string) (domain.Programme, error) {
	if _, err := authorize(ctx, domain.ScopeCatalogueWrite); err != nil {
		return p, err
	}
	if err := p.Validate(); err != nil {
		return p, err
	}
	err := s.tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.checkPartner(ctx, p.DeliveryPartnerID); err != nil {
			return err
		}
		if err := s.repo.Create(ctx, &p); err != nil {
			return err
		}
		return audit(ctx, s.audit, "programme.create", "programme", p.ID, nil, fields)
	})
	return p, err
}

// Get returns a programme. Errors: not_found.
func (s *Programmes) Get(ctx context.Context, id uuid.UUID) (domain.Programme, error) {
	return read(ctx, domain.ScopeOrganisationsRead, func(ctx context.Context) (domain.Programme, error) {
		return s.repo.Get(ctx, id)
	})
}

// List returns a page of the catalogue.
func (s *Programmes) List(ctx context.Context, f domain.ProgrammeFilter, req domain.PageRequest) (domain.Page[domain.Programme], error) {
	return read(ctx, domain.ScopeOrganisationsRead, func(ctx context.Context) (domain.Page[domain.Programme], error) {
		return s.repo.List(ctx, f, req)
	})
}

// Update applies a merge patch. Errors: forbidden, not_found, precondition_failed, invalid.
func (s *Programmes) Update(ctx context.Context, id uuid.UUID, ifVersion *int64, change domain.ProgrammeChange, fields []string) (domain.Programme, error) {
	if _, err := authorize(ctx, domain.ScopeCatalogueWrite); err != nil {
		return domain.Programme{}, err
	}
	var out domain.Programme
	err := s.tx.InTx(ctx, func(ctx context.Context) (err error) {
		out, err = s.repo.Update(ctx, id, ifVersion, func(p *domain.Programme) error {
			change.Apply(p)
			if err := p.Validate(); err != nil {
				return err
			}
			return s.checkPartner(ctx, p.DeliveryPartnerID)
		})
		if err != nil {
			return err
		}
		return audit(ctx, s.audit, "programme.update", "programme", id, nil, fields)
	})
	return out, err
}

func (s *Programmes) checkPartner(ctx context.Context, id *uuid.UUID) error {
	if id == nil {
		return nil
	}
	o, err := s.orgs.Get(ctx, *id)
	if domain.ErrorCode(err) == domain.CodeNotFound || (err == nil && o.Kind != domain.KindPartner) {
		return domain.Invalid("delivery_partner_id", "must be the id of a partner organisation")
	}
	return err
}
