package service

import (
	"context"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// Organisations manages organisations and collaboration memberships.
type Organisations struct {
	OrganisationsDeps
}

// OrganisationsDeps are what Organisations is built on.
type OrganisationsDeps struct {
	Tx            Transactor
	Organisations domain.OrganisationRepository
	Audit         Auditor
}

// NewOrganisations wires the organisations use cases.
func NewOrganisations(d OrganisationsDeps) *Organisations {
	return &Organisations{d}
}

// Create records a new organisation; only the national team may. Errors: forbidden, invalid, conflict.
func (s *Organisations) Create(ctx context.Context, o domain.Organisation, fields []string) (domain.Organisation, error) {
	return transact(ctx, s.Tx, s.Audit, domain.ScopeOrganisationsAdmin, func(ctx context.Context, _ domain.Principal) (domain.Organisation, event, error) {
		if err := o.Validate(); err != nil {
			return o, noEvent, err
		}
		if err := s.Organisations.Create(ctx, &o); err != nil {
			return o, noEvent, asFieldConflict(err, "ods_code")
		}
		return o, event{"organisation.create", "organisation", o.ID, &o.ID, fields}, nil
	})
}

// Get returns an organisation within reach. It reads in a transaction, as every read of
// organisations does: a collaboration's members are a second query. Errors: not_found.
func (s *Organisations) Get(ctx context.Context, id uuid.UUID) (domain.Organisation, error) {
	return transact(ctx, s.Tx, s.Audit, domain.ScopeOrganisationsRead, func(ctx context.Context, _ domain.Principal) (domain.Organisation, event, error) {
		o, err := s.Organisations.Get(ctx, id)
		return o, noEvent, err
	})
}

// List returns a page of the organisations within reach.
func (s *Organisations) List(ctx context.Context, f domain.OrganisationFilter, req domain.PageRequest) (domain.Page[domain.Organisation], error) {
	return transact(ctx, s.Tx, s.Audit, domain.ScopeOrganisationsRead, func(ctx context.Context, _ domain.Principal) (domain.Page[domain.Organisation], event, error) {
		page, err := s.Organisations.List(ctx, f, req)
		return page, noEvent, err
	})
}

// ListMembers returns a page of a collaboration's member trusts. Errors: not_found.
func (s *Organisations) ListMembers(ctx context.Context, id uuid.UUID, req domain.PageRequest) (domain.Page[domain.Organisation], error) {
	return transact(ctx, s.Tx, s.Audit, domain.ScopeOrganisationsRead, func(ctx context.Context, _ domain.Principal) (domain.Page[domain.Organisation], event, error) {
		if _, err := s.Organisations.Get(ctx, id); err != nil {
			return domain.Page[domain.Organisation]{}, noEvent, err
		}
		page, err := s.Organisations.ListMembers(ctx, id, req)
		return page, noEvent, err
	})
}

// Update applies a merge patch. Errors: forbidden, not_found, precondition_failed, invalid, conflict.
func (s *Organisations) Update(ctx context.Context, id uuid.UUID, ifVersion *int64, change domain.OrganisationChange, fields []string) (domain.Organisation, error) {
	return transact(ctx, s.Tx, s.Audit, domain.ScopeOrganisationsWrite, func(ctx context.Context, caller domain.Principal) (domain.Organisation, event, error) {
		// An org_admin changes its own organisation, not the member trusts it can see.
		if !caller.AllOrganisations && caller.OrganisationID != id {
			if _, err := s.Organisations.Get(ctx, id); err != nil {
				return domain.Organisation{}, noEvent, err
			}
			return domain.Organisation{}, noEvent, domain.Errorf(domain.CodeForbidden, "only the national team or the organisation's own admins may change it")
		}
		o, err := s.Organisations.Update(ctx, id, ifVersion, func(o *domain.Organisation) error {
			change.Apply(o)
			return o.Validate()
		})
		if err != nil {
			return o, noEvent, asFieldConflict(err, "ods_code")
		}
		return o, event{"organisation.update", "organisation", id, &id, fields}, nil
	})
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
	_, err := transact(ctx, s.Tx, s.Audit, domain.ScopeOrganisationsAdmin, func(ctx context.Context, _ domain.Principal) (struct{}, event, error) {
		c, err := s.Organisations.Get(ctx, collaboration)
		if err != nil {
			return struct{}{}, noEvent, err
		}
		m, err := s.Organisations.Get(ctx, member)
		if err != nil {
			return struct{}{}, noEvent, err
		}
		action, changed := "organisation.member_remove", false
		if join {
			if err := c.CanJoin(&m); err != nil {
				return struct{}{}, noEvent, err
			}
			action = "organisation.member_add"
			changed, err = s.Organisations.AddMember(ctx, collaboration, member)
		} else {
			changed, err = s.Organisations.RemoveMember(ctx, collaboration, member)
		}
		if err != nil || !changed {
			return struct{}{}, noEvent, err // adding a member twice, or removing a non-member, is no write
		}
		return struct{}{}, event{action, "organisation", collaboration, &collaboration, []string{"member_ids"}}, nil
	})
	return err
}
