package service

import (
	"context"
	"strings"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/auth"
	"github.com/p4w-nhs/p4w/internal/domain"
)

// mayManage checks that caller may manage the principals of org: the national team any
// organisation's, an org_admin its own organisation's only. Errors: invalid.
func mayManage(caller domain.Principal, org uuid.UUID) error {
	if !caller.AllOrganisations && org != caller.OrganisationID {
		return domain.Invalid("organisation_id", "must be your own organisation")
	}
	return nil
}

// organisationExists refuses an organisation_id that names no organisation, as invalid rather
// than as the conflict its foreign key would raise: only the national team, who may name any
// organisation, gets past mayManage with one. Errors: invalid.
func (s *Accounts) organisationExists(ctx context.Context, org uuid.UUID) error {
	_, err := s.Organisations.Get(ctx, org)
	return inReach(err, "organisation_id", "is not an organisation within your reach")
}

// ListUsers returns a page of the users within reach. Errors: forbidden.
func (s *Accounts) ListUsers(ctx context.Context, f domain.UserFilter, req domain.PageRequest) (domain.Page[domain.User], error) {
	return read(ctx, domain.ScopePrincipalsAdmin, func(ctx context.Context) (domain.Page[domain.User], error) {
		return s.Users.List(ctx, f, req)
	})
}

// GetUser returns a user within reach. Errors: forbidden, not_found.
func (s *Accounts) GetUser(ctx context.Context, id uuid.UUID) (domain.User, error) {
	return read(ctx, domain.ScopePrincipalsAdmin, func(ctx context.Context) (domain.User, error) {
		return s.Users.ByID(ctx, id)
	})
}

// AddUser creates a user of the caller's organisation (any, for the national team) with a role
// no higher than the caller's. Errors: forbidden, invalid, conflict.
func (s *Accounts) AddUser(ctx context.Context, u domain.User, password string) (domain.User, error) {
	return transact(ctx, s.Tx, s.Audit, domain.ScopePrincipalsAdmin, func(ctx context.Context, caller domain.Principal) (domain.User, event, error) {
		if err := mayManage(caller, u.OrganisationID); err != nil {
			return u, noEvent, err
		}
		if err := s.organisationExists(ctx, u.OrganisationID); err != nil {
			return u, noEvent, err
		}
		if domain.RoleRank[u.Role] > domain.RoleRank[caller.Role] && !caller.AllOrganisations {
			return u, noEvent, domain.Errorf(domain.CodeForbidden, "you cannot give a role higher than your own")
		}
		if u.Role == domain.RoleNationalAdmin {
			if err := s.requireNational(ctx, u.OrganisationID); err != nil {
				return u, noEvent, err
			}
		}
		return s.insertUser(ctx, u, password)
	})
}

// CreateUser stores a user of an organisation the caller manages, whatever its role; p4w's
// own jobs and tests use it. Errors: forbidden, invalid, conflict.
func (s *Accounts) CreateUser(ctx context.Context, u domain.User, password string) (domain.User, error) {
	return transact(ctx, s.Tx, s.Audit, domain.ScopePrincipalsAdmin, func(ctx context.Context, caller domain.Principal) (domain.User, event, error) {
		if err := mayManage(caller, u.OrganisationID); err != nil {
			return u, noEvent, err
		}
		if err := s.organisationExists(ctx, u.OrganisationID); err != nil {
			return u, noEvent, err
		}
		return s.insertUser(ctx, u, password)
	})
}

// insertUser checks the password against the policy and stores u, enabled, with its hash.
// Errors: invalid, conflict.
func (s *Accounts) insertUser(ctx context.Context, u domain.User, password string) (domain.User, event, error) {
	if err := auth.CheckPasswordPolicy(password); err != nil {
		return u, noEvent, domain.Invalid("password", err.Error())
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return u, noEvent, err
	}
	u.PasswordHash, u.Enabled = hash, true
	if err := s.Users.Create(ctx, &u); err != nil {
		return u, noEvent, err
	}
	return u, event{"user.create", "user", u.ID, &u.OrganisationID, []string{"email", "role", "organisation_id"}}, nil
}

// requireNational checks that org is the national organisation, the only home of a
// national_admin. Errors: invalid, not_found.
func (s *Accounts) requireNational(ctx context.Context, org uuid.UUID) error {
	o, err := s.Organisations.Get(ctx, org)
	if err == nil && o.Kind != domain.KindNational {
		return domain.Invalid("role", "national_admin belongs to the national organisation only")
	}
	return err
}

// UpdateUser changes a user's role or enabled flag. Nobody changes their own role, and nobody
// gives a role higher than their own. Errors: forbidden, not_found, precondition_failed, invalid.
func (s *Accounts) UpdateUser(ctx context.Context, id uuid.UUID, ifVersion *int64, c domain.UserChange, fields []string) (domain.User, error) {
	out, err := transact(ctx, s.Tx, s.Audit, domain.ScopePrincipalsAdmin, func(ctx context.Context, caller domain.Principal) (domain.User, event, error) {
		if caller.Subject == userSubject(id) && c.Role != nil {
			return domain.User{}, noEvent, domain.Errorf(domain.CodeForbidden, "nobody can change their own role")
		}
		u, err := s.Users.Update(ctx, id, ifVersion, func(u *domain.User) error {
			if !caller.AllOrganisations && u.OrganisationID != caller.OrganisationID {
				return domain.Errorf(domain.CodeForbidden, "you manage the users of your own organisation only")
			}
			if !caller.AllOrganisations && (domain.RoleRank[u.Role] > domain.RoleRank[caller.Role] ||
				(c.Role != nil && domain.RoleRank[*c.Role] > domain.RoleRank[caller.Role])) {
				return domain.Errorf(domain.CodeForbidden, "you cannot give a role higher than your own")
			}
			if c.Role != nil {
				u.Role = *c.Role
			}
			if c.Enabled != nil {
				u.Enabled = *c.Enabled
			}
			return nil
		})
		if err != nil {
			return u, noEvent, err
		}
		if c.Role != nil && *c.Role == domain.RoleNationalAdmin {
			if err := s.requireNational(ctx, u.OrganisationID); err != nil {
				return u, noEvent, err
			}
		}
		return u, event{"user.update", "user", id, &u.OrganisationID, fields}, nil
	})
	if err == nil {
		s.forget(userSubject(id)) // this replica stops honouring the old state at once
	}
	return out, err
}

// Bootstrap creates the national organisation, if there is none, and its first national_admin.
// Running it again with the same email changes nothing. Errors: invalid (password policy).
func (s *Accounts) Bootstrap(ctx context.Context, email, password string) (created bool, err error) {
	if err := auth.CheckPasswordPolicy(password); err != nil {
		return false, domain.Invalid("password", err.Error())
	}
	email = strings.ToLower(strings.TrimSpace(email))
	if !strings.Contains(email, "@") {
		return false, domain.Invalid("email", "is not an email address")
	}
	ctx = domain.WithPrincipal(ctx, System())
	return transact(ctx, s.Tx, s.Audit, domain.ScopePrincipalsAdmin, func(ctx context.Context, _ domain.Principal) (bool, event, error) {
		if _, err := s.Users.ByEmail(ctx, email); err == nil {
			return false, noEvent, nil
		}
		national, err := s.nationalOrganisation(ctx)
		if err != nil {
			return false, noEvent, err
		}
		_, e, err := s.insertUser(ctx, domain.User{OrganisationID: national.ID, Email: email, Role: domain.RoleNationalAdmin}, password)
		return err == nil, e, err
	})
}

// nationalOrganisation returns the national organisation, creating it when there is none.
func (s *Accounts) nationalOrganisation(ctx context.Context) (domain.Organisation, error) {
	kind := domain.KindNational
	page, err := s.Organisations.List(ctx, domain.OrganisationFilter{Kind: &kind}, domain.PageRequest{Limit: 1})
	if err != nil || len(page.Items) > 0 {
		return firstOr(page.Items), err
	}
	o := domain.Organisation{Kind: domain.KindNational, Name: "Health Education England — National Widening Participation Team"}
	if err := s.Organisations.Create(ctx, &o); err != nil {
		return o, err
	}
	return o, audit(ctx, s.Audit, "organisation.create", "organisation", o.ID, &o.ID, []string{"kind", "name"})
}
