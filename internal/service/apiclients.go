package service

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/auth"
	"github.com/p4w-nhs/p4w/internal/domain"
)

// NewClient is a registered API client with its secret, shown this once.
type NewClient struct {
	domain.APIClient
	Secret string
}

// AddClient registers an API client of the caller's organisation (any, for the national team),
// with a fresh client_id and secret. Errors: forbidden, invalid.
func (s *Accounts) AddClient(ctx context.Context, c domain.APIClient) (NewClient, error) {
	return transact(ctx, s.Tx, s.Audit, domain.ScopePrincipalsAdmin, func(ctx context.Context, caller domain.Principal) (NewClient, event, error) {
		if err := mayManage(caller, c.OrganisationID); err != nil {
			return NewClient{}, noEvent, err
		}
		secret, err := auth.NewSecret()
		if err != nil {
			return NewClient{}, noEvent, err
		}
		id := make([]byte, 12)
		_, _ = rand.Read(id) // never fails
		c.ClientID = "p4w_" + hex.EncodeToString(id)
		return s.insertClient(ctx, c, secret)
	})
}

// CreateClient stores an API client with the given client_id and secret; AddClient and p4w's
// own jobs (the demo seed) use it. Errors: forbidden, invalid, conflict.
func (s *Accounts) CreateClient(ctx context.Context, c domain.APIClient, secret string) (NewClient, error) {
	return transact(ctx, s.Tx, s.Audit, domain.ScopePrincipalsAdmin, func(ctx context.Context, caller domain.Principal) (NewClient, event, error) {
		if err := mayManage(caller, c.OrganisationID); err != nil {
			return NewClient{}, noEvent, err
		}
		return s.insertClient(ctx, c, secret)
	})
}

// insertClient stores c with the hash of secret. Errors: invalid, conflict.
func (s *Accounts) insertClient(ctx context.Context, c domain.APIClient, secret string) (NewClient, event, error) {
	if c.Purpose == "" {
		c.Purpose = domain.ConsentHRSharing // a machine client is a trust HR system unless said otherwise
	}
	if !slices.Contains(domain.ClientPurposes, c.Purpose) {
		return NewClient{}, noEvent, domain.Invalid("purpose", "must be hr_sharing or processing")
	}
	c.SecretHash = auth.HashSecret(secret)
	out := NewClient{APIClient: c, Secret: secret}
	if _, err := s.Organisations.Get(ctx, c.OrganisationID); err != nil {
		return out, noEvent, inReach(err, "organisation_id", "is not an organisation within your reach")
	}
	if err := s.APIClients.Create(ctx, &out.APIClient); err != nil {
		return out, noEvent, err
	}
	return out, event{"api_client.create", "api_client", out.ID, &out.OrganisationID, []string{"name", "organisation_id", "scopes", "purpose"}}, nil
}

// GetClient returns an API client within reach. Errors: forbidden, not_found.
func (s *Accounts) GetClient(ctx context.Context, id uuid.UUID) (domain.APIClient, error) {
	return read(ctx, domain.ScopePrincipalsAdmin, func(ctx context.Context) (domain.APIClient, error) {
		return s.APIClients.Get(ctx, id)
	})
}

// ListClients returns a page of the API clients within reach. Errors: forbidden.
func (s *Accounts) ListClients(ctx context.Context, org *uuid.UUID, req domain.PageRequest) (domain.Page[domain.APIClient], error) {
	return read(ctx, domain.ScopePrincipalsAdmin, func(ctx context.Context) (domain.Page[domain.APIClient], error) {
		return s.APIClients.List(ctx, org, req)
	})
}

// RevokeClient stops an API client; its tokens stop working within seconds. Revoking twice is
// harmless. Errors: forbidden, not_found.
func (s *Accounts) RevokeClient(ctx context.Context, id uuid.UUID) error {
	_, err := transact(ctx, s.Tx, s.Audit, domain.ScopePrincipalsAdmin, func(ctx context.Context, caller domain.Principal) (struct{}, event, error) {
		c, err := s.APIClients.Get(ctx, id)
		if err != nil {
			return struct{}{}, noEvent, err
		}
		if !caller.AllOrganisations && c.OrganisationID != caller.OrganisationID {
			return struct{}{}, noEvent, domain.Errorf(domain.CodeForbidden, "you manage the API clients of your own organisation only")
		}
		if c.Revoked() {
			return struct{}{}, noEvent, nil
		}
		if _, err := s.APIClients.Revoke(ctx, id, time.Now()); err != nil {
			return struct{}{}, noEvent, err
		}
		return struct{}{}, event{"api_client.revoke", "api_client", id, &c.OrganisationID, []string{"revoked_at"}}, nil
	})
	if err == nil {
		s.forget(clientSubject(id))
	}
	return err
}
