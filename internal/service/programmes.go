package service

import (
	"context"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// Programmes manages the catalogue: everyone may read it, the national team changes it.
type Programmes struct {
	ProgrammesDeps
}

// ProgrammesDeps are what Programmes is built on.
type ProgrammesDeps struct {
	Tx            Transactor
	Programmes    domain.ProgrammeRepository
	Organisations domain.OrganisationRepository
	Audit         Auditor
}

// NewProgrammes wires the catalogue use cases.
func NewProgrammes(d ProgrammesDeps) *Programmes {
	return &Programmes{d}
}

// Create adds a programme. Errors: forbidden, invalid, conflict.
func (s *Programmes) Create(ctx context.Context, p domain.Programme, fields []string) (domain.Programme, error) {
	return transact(ctx, s.Tx, s.Audit, domain.ScopeCatalogueWrite, func(ctx context.Context, _ domain.Principal) (domain.Programme, event, error) {
		if err := p.Validate(); err != nil {
			return p, noEvent, err
		}
		if err := s.checkPartner(ctx, p.DeliveryPartnerID); err != nil {
			return p, noEvent, err
		}
		if err := s.Programmes.Create(ctx, &p); err != nil {
			return p, noEvent, err
		}
		return p, event{"programme.create", "programme", p.ID, nil, fields}, nil
	})
}

// Get returns a programme. Errors: not_found.
func (s *Programmes) Get(ctx context.Context, id uuid.UUID) (domain.Programme, error) {
	return read(ctx, domain.ScopeOrganisationsRead, func(ctx context.Context) (domain.Programme, error) {
		return s.Programmes.Get(ctx, id)
	})
}

// List returns a page of the catalogue.
func (s *Programmes) List(ctx context.Context, f domain.ProgrammeFilter, req domain.PageRequest) (domain.Page[domain.Programme], error) {
	return read(ctx, domain.ScopeOrganisationsRead, func(ctx context.Context) (domain.Page[domain.Programme], error) {
		return s.Programmes.List(ctx, f, req)
	})
}

// Update applies a merge patch. Errors: forbidden, not_found, precondition_failed, invalid.
func (s *Programmes) Update(ctx context.Context, id uuid.UUID, ifVersion *int64, change domain.ProgrammeChange, fields []string) (domain.Programme, error) {
	return transact(ctx, s.Tx, s.Audit, domain.ScopeCatalogueWrite, func(ctx context.Context, _ domain.Principal) (domain.Programme, event, error) {
		p, err := s.Programmes.Update(ctx, id, ifVersion, func(p *domain.Programme) error {
			change.Apply(p)
			if err := p.Validate(); err != nil {
				return err
			}
			return s.checkPartner(ctx, p.DeliveryPartnerID)
		})
		if err != nil {
			return p, noEvent, err
		}
		return p, event{"programme.update", "programme", id, nil, fields}, nil
	})
}

// checkPartner checks that id, when given, names a partner organisation within reach.
// Errors: invalid.
func (s *Programmes) checkPartner(ctx context.Context, id *uuid.UUID) error {
	const notPartner = "must be the id of a partner organisation"
	if id == nil {
		return nil
	}
	o, err := s.Organisations.Get(ctx, *id)
	if err != nil {
		return inReach(err, "delivery_partner_id", notPartner)
	}
	if o.Kind != domain.KindPartner {
		return domain.Invalid("delivery_partner_id", notPartner)
	}
	return nil
}
