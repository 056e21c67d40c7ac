package domain

import (
	"context"
	"slices"
	"time"

	"github.com/google/uuid"
)

// ClientScopes are the scopes an API client may be granted.
var ClientScopes = []string{ScopeOrganisationsRead, ScopeParticipantsRead, ScopeParticipantsWrite, ScopeImportsWrite, ScopeReportsRead}

// ClientPurposes are the purposes an API client may act for, named after the consent purposes:
// a trust's HR system (the default) sees only participants who agreed to sharing with HR; the
// programme's own systems (an import script, a reporting tool) act for running the programme.
var ClientPurposes = []ConsentPurpose{ConsentHRSharing, ConsentProcessing}

// APIClient is a machine caller such as a trust's HR system.
type APIClient struct {
	ID             uuid.UUID
	OrganisationID uuid.UUID
	Name           string
	ClientID       string
	Purpose        ConsentPurpose // one of ClientPurposes; fixed when the client is registered
	SecretHash     []byte
	Scopes         []string
	RevokedAt      *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Version        int64
}

// Revoked reports whether the client may no longer sign in.
func (c APIClient) Revoked() bool { return c.RevokedAt != nil }

// GrantedScopes narrows the client's scopes to those requested; all of them when none are.
// Errors: invalid (a requested scope the client was not granted).
func (c APIClient) GrantedScopes(requested []string) ([]string, error) {
	if len(requested) == 0 {
		return slices.Clone(c.Scopes), nil
	}
	for _, s := range requested {
		if !slices.Contains(c.Scopes, s) {
			return nil, Invalid("scope", "asks for "+s+", which this client was not granted")
		}
	}
	return requested, nil
}

// APIClientRepository stores API clients within the caller's reach.
type APIClientRepository interface {
	// Create inserts c. Errors: conflict.
	Create(ctx context.Context, c *APIClient) error
	// Get returns one client within reach. Errors: not_found.
	Get(ctx context.Context, id uuid.UUID) (APIClient, error)
	// ByClientID finds a client by its public client_id. Errors: not_found.
	ByClientID(ctx context.Context, clientID string) (APIClient, error)
	List(ctx context.Context, org *uuid.UUID, req PageRequest) (Page[APIClient], error)
	// Revoke stamps the client revoked, once. Errors: not_found.
	Revoke(ctx context.Context, id uuid.UUID, at time.Time) (APIClient, error)
}
