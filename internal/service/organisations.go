package service

import (
	"context"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// Organisations manages organisations and collaboration memberships.
type Organisations struct {
	tx    Transactor
	repo  domain.OrganisationRepository
	audit Auditor
}

// NewOrganisations wires the organisations use cases.
func NewOrganisations(tx Transactor, repo domain.OrganisationRepository, audit Auditor) *Organisations {
	return &Organisations{tx: tx, repo: repo, audit: audit}
}

// Create records a new organisation; only the national team may. Errors: forbidden, invalid, conflict.
func (s *Organisations) Create(ctx context.Context, o domain.Organisation, fields []string) (domain.Organisation, error) {
	if _, err := authorize(ctx, domain.ScopeOrganisationsAdmin); err != nil {
		return o, err
	}
	if err := o.Validate(); err != nil {
		return o, err
	}
	err := s.tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.repo.Create(ctx, &o); err != nil {
			return asFieldConflict(err, "ods_code")
		}
		return audit(ctx, s.audit, "organisation.create", "organisation", o.ID, &o.ID, fields)
	})
	return o, err
}

// Get returns an organisation within reach. Errors: not_found.
func (s *Organisations) Get(ctx context.Context, id uuid.UUID) (domain.Organisation, error) {
	if _, err := authorize(ctx, domain.ScopeOrganisationsRead); err != nil {
		return domain.Organisation{}, err
	}
	var o domain.Organisation
	err := s.tx.InTx(ctx, func(ctx context.Context) (err error) {
		o, err = s.repo.Get(ctx, id)
		return err
	})
	return o, err
}

// List returns a page of the organisations within reach.
func (s *Organisations) List(ctx context.Context, f domain.OrganisationFilter, req domain.PageRequest) (domain.Page[domain.Organisation], error) {
	return within(ctx, s.tx, domain.ScopeOrganisationsRead, func(ctx context.Context) (domain.Page[domain.Organisation], error) {
		return s.repo.List(ctx, f, req)
	})
}

// ListMembers returns a page of a collaboration's member trusts. Errors: not_found.
func (s *Organisations) ListMembers(ctx context.Context, id uuid.UUID, req domain.PageRequest) (domain.Page[domain.Organisation], error) {
	var out domain.Page[domain.Organisation]
	if _, err := authorize(ctx, domain.ScopeOrganisationsRead); err != nil {
		return out, err
	}
	err := s.tx.InTx(ctx, func(ctx context.Context) (err error) {
		if _, err := s.repo.Get(ctx, id); err != nil {
			return err
		}
		out, err = s.repo.ListMembers(ctx, id, req)
		return err
	})
	return out, err
}

// Update applies a merge patch. Errors: forbidden, not_found, precondition_failed, invalid, conflict.
func (s *Organisations) Update(ctx context.Context, id uuid.UUID, ifVersion *int64, change domain.OrganisationChange, fields []string) (domain.Organisation, error) {
	principal, err := authorize(ctx, domain.ScopeOrganisationsWrite)
	if err != nil {
		return domain.Organisation{}, err
	}
	var out domain.Organisation
	err = s.tx.InTx(ctx, func(ctx context.Context) (err error) {
		// An org_admin changes its own organisation, not the member trusts it can see.
		if !principal.AllOrganisations && principal.OrganisationID != id {
			if _, err := s.repo.Get(ctx, id); err != nil {
				return err
			}
			return domain.Errorf(domain.CodeForbidden, "only the national team or the organisation's own admins may change it")
		}
		out, err = s.repo.Update(ctx, id, ifVersion, func(o *domain.Organisation) error {
			change.Apply(o)
			return o.Validate()
		})
		if err != nil {
			return asFieldConflict(err, "ods_code")
		}
		return audit(ctx, s.audit, "organisation.update", "organisation", id, &id, fields)
	})
	return out, err
}

// AddMember puts a trust into a collaboration; only the national team may.
// Errors: forbidden, not_found, conflict (wrong kinds).
func (s *Organisations) AddMember(ctx context.Context, collaboration, member uuid.UUID) error {
	return s.changeMembership(ctx, collaboration, member, true)
}

// RemoveMember takes a trust out of a collaboration; only the national team may.
func (s *Organisations) RemoveMember(ctx context.Context, collaboration, member uuid.UUID) error {
	return s.changeMembership(ctx, collaboration, member, false)
}

func (s *Organisations) changeMembership(ctx context.Context, collaboration, member uuid.UUID, join bool) error {
	if _, err := authorize(ctx, domain.ScopeOrganisationsAdmin); err != nil {
		return err
	}
	return s.tx.InTx(ctx, func(ctx context.Context) error {
		c, err := s.repo.Get(ctx, collaboration)
		if err != nil {
			return err
		}
		m, err := s.repo.Get(ctx, member)
		if err != nil {
			return err
		}
		action, changed := "organisation.member_remove", false
		if join {
			if err := c.CanJoin(&m); err != nil {
				return err
			}
			action = "organisation.member_add"
			changed, err = s.repo.AddMember(ctx, collaboration, member)
		} else {
			changed, err = s.repo.RemoveMember(ctx, collaboration, member)
		}
		if err != nil || !changed {
			return err // adding a member twice, or removing a non-member, is no write
		}
		return audit(ctx, s.audit, action, "organisation", collaboration, &collaboration, []string{"member_ids"})
	})
}
