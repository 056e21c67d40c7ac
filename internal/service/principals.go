package service

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/auth"
	"github.com/p4w-nhs/p4w/internal/domain"
)

// manages checks that the caller may manage the principals of org: the national team any
// organisation's, an org_admin its own organisation's only. Errors: forbidden, invalid.
func manages(ctx context.Context, org uuid.UUID) (domain.Principal, error) {
	p, err := authorize(ctx, domain.ScopePrincipalsAdmin)
	if err != nil {
		return p, err
	}
	if !p.AllOrganisations && org != p.OrganisationID {
		return p, domain.Invalid("organisation_id", "must be your own organisation")
	}
	return p, nil
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
	p, err := manages(ctx, u.OrganisationID)
	if err != nil {
		return u, err
	}
	if domain.RoleRank[u.Role] > domain.RoleRank[p.Role] && !p.AllOrganisations {
		return u, domain.Errorf(domain.CodeForbidden, "you cannot give a role higher than your own")
	}
	if u.Role == domain.RoleNationalAdmin {
		if err := s.requireNational(ctx, u.OrganisationID); err != nil {
			return u, err
		}
	}
	return s.CreateUser(ctx, u, password)
}

func (s *Accounts) requireNational(ctx context.Context, org uuid.UUID) error {
	return s.Tx.InTx(ctx, func(ctx context.Context) error {
		o, err := s.Orgs.Get(ctx, org)
		if err == nil && o.Kind != domain.KindNational {
			return domain.Invalid("role", "national_admin belongs to the national organisation only")
		}
		return err
	})
}

// UpdateUser changes a user's role or enabled flag. Nobody changes their own role, and nobody
// gives a role higher than their own. Errors: forbidden, not_found, precondition_failed, invalid.
func (s *Accounts) UpdateUser(ctx context.Context, id uuid.UUID, ifVersion *int64, c domain.UserChange, fields []string) (domain.User, error) {
	p, err := authorize(ctx, domain.ScopePrincipalsAdmin)
	if err != nil {
		return domain.User{}, err
	}
	if p.Subject == userSubject(id) && c.Role != nil {
		return domain.User{}, domain.Errorf(domain.CodeForbidden, "nobody can change their own role")
	}
	var out domain.User
	err = s.Tx.InTx(ctx, func(ctx context.Context) (err error) {
		out, err = s.Users.Update(ctx, id, ifVersion, func(u *domain.User) error {
			if !p.AllOrganisations && u.OrganisationID != p.OrganisationID {
				return domain.Errorf(domain.CodeForbidden, "you manage the users of your own organisation only")
			}
			if !p.AllOrganisations && (domain.RoleRank[u.Role] > domain.RoleRank[p.Role] ||
				(c.Role != nil && domain.RoleRank[*c.Role] > domain.RoleRank[p.Role])) {
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
			return err
		}
		if c.Role != nil && *c.Role == domain.RoleNationalAdmin {
			if err := s.requireNational(ctx, out.OrganisationID); err != nil {
				return err
			}
		}
		return audit(ctx, s.Audit, "user.update", "user", id, &out.OrganisationID, fields)
	})
	if err == nil {
		s.forget(userSubject(id)) // this replica stops honouring the old state at once
	}
	return out, err
}

// NewClient is a registered API client with its secret, shown this once.
type NewClient struct {
	domain.APIClient
	Secret string
}

// AddClient registers an API client of the caller's organisation (any, for the national team),
// with a fresh client_id and secret. Errors: forbidden, invalid.
func (s *Accounts) AddClient(ctx context.Context, c domain.APIClient) (NewClient, error) {
	if _, err := manages(ctx, c.OrganisationID); err != nil {
		return NewClient{}, err
	}
	secret, err := auth.NewSecret()
	if err != nil {
		return NewClient{}, err
	}
	id := make([]byte, 12)
	_, _ = rand.Read(id) // never fails
	c.ClientID = "p4w_" + hex.EncodeToString(id)
	return s.CreateClient(ctx, c, secret)
}

// CreateClient stores an API client with the given client_id and secret; AddClient and p4w's
// own jobs (the demo seed) use it. Errors: invalid, conflict.
func (s *Accounts) CreateClient(ctx context.Context, c domain.APIClient, secret string) (NewClient, error) {
	if _, err := manages(ctx, c.OrganisationID); err != nil {
		return NewClient{}, err
	}
	c.SecretHash = auth.HashSecret(secret)
	err := s.Tx.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.Orgs.Get(ctx, c.OrganisationID); err != nil {
			return domain.Invalid("organisation_id", "is not an organisation within your reach")
		}
		if err := s.Clients.Create(ctx, &c); err != nil {
			return err
		}
		return audit(ctx, s.Audit, "api_client.create", "api_client", c.ID, &c.OrganisationID, []string{"name", "organisation_id", "scopes"})
	})
	return NewClient{APIClient: c, Secret: secret}, err
}

// GetClient returns an API client within reach. Errors: forbidden, not_found.
func (s *Accounts) GetClient(ctx context.Context, id uuid.UUID) (domain.APIClient, error) {
	return read(ctx, domain.ScopePrincipalsAdmin, func(ctx context.Context) (domain.APIClient, error) {
		return s.Clients.Get(ctx, id)
	})
}

// ListClients returns a page of the API clients within reach. Errors: forbidden.
func (s *Accounts) ListClients(ctx context.Context, org *uuid.UUID, req domain.PageRequest) (domain.Page[domain.APIClient], error) {
	return read(ctx, domain.ScopePrincipalsAdmin, func(ctx context.Context) (domain.Page[domain.APIClient], error) {
		return s.Clients.List(ctx, org, req)
	})
}

// RevokeClient stops an API client; its tokens stop working within seconds. Revoking twice is
// harmless. Errors: forbidden, not_found.
func (s *Accounts) RevokeClient(ctx context.Context, id uuid.UUID) error {
	p, err := authorize(ctx, domain.ScopePrincipalsAdmin)
	if err != nil {
		return err
	}
	err = s.Tx.InTx(ctx, func(ctx context.Context) error {
		c, err := s.Clients.Get(ctx, id)
		if err != nil {
			return err
		}
		if !p.AllOrganisations && c.OrganisationID != p.OrganisationID {
			return domain.Errorf(domain.CodeForbidden, "you manage the API clients of your own organisation only")
		}
		if c.Revoked() {
			return nil
		}
		if _, err := s.Clients.Revoke(ctx, id, time.Now()); err != nil {
			return err
		}
		return audit(ctx, s.Audit, "api_client.revoke", "api_client", id, &c.OrganisationID, []string{"revoked_at"})
	})
	if err == nil {
		s.forget(clientSubject(id))
	}
	return err
}

// forget drops the cached principals of subject's tokens.
func (s *Accounts) forget(subject string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, c := range s.cache {
		if c.subject == subject {
			delete(s.cache, k)
		}
	}
}
