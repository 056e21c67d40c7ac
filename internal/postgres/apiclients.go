package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
)

type apiClient struct {
	ID             uuid.UUID `gorm:"primaryKey"`
	OrganisationID uuid.UUID
	Name           string
	ClientID       string
	SecretHash     []byte
	Scopes         []string `gorm:"serializer:json"`
	Purpose        string
	RevokedAt      *time.Time
	CreatedAt      time.Time `gorm:"<-:false"`
	UpdatedAt      time.Time `gorm:"<-:false"`
	Version        int64     `gorm:"<-:false"`
}

func (apiClient) TableName() string { return "api_clients" }

func (m apiClient) toDomain() domain.APIClient {
	return domain.APIClient{ID: m.ID, OrganisationID: m.OrganisationID, Name: m.Name, ClientID: m.ClientID,
		SecretHash: m.SecretHash, Scopes: m.Scopes, Purpose: domain.ConsentPurpose(m.Purpose), RevokedAt: m.RevokedAt, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt, Version: m.Version}
}

func (m apiClient) position() domain.Position {
	return domain.Position{UpdatedAt: m.UpdatedAt, ID: m.ID}
}
func (m apiClient) rowVersion() int64 { return m.Version }

// APIClients stores API clients.
type APIClients struct {
	store[apiClient, domain.APIClient, *uuid.UUID]
}

// NewAPIClients returns the API clients repository; its lists filter by organisation.
func NewAPIClients(db *DB) *APIClients {
	return &APIClients{store[apiClient, domain.APIClient, *uuid.UUID]{
		db: db, what: "api client",
		toDomain: apiClient.toDomain,
		toModel: func(c domain.APIClient) apiClient {
			return apiClient{ID: c.ID, OrganisationID: c.OrganisationID, Name: c.Name, ClientID: c.ClientID, SecretHash: c.SecretHash,
				Scopes: c.Scopes, Purpose: string(c.Purpose), RevokedAt: c.RevokedAt}
		},
		newID:   func(m *apiClient) { m.ID = NewID() },
		filter:  func(s *statement, org *uuid.UUID) { eq(s, "organisation_id", org) },
		columns: []string{"revoked_at"},
	}}
}

// ByClientID finds a client by client_id. Errors: not_found.
func (r *APIClients) ByClientID(ctx context.Context, clientID string) (domain.APIClient, error) {
	m, err := one[apiClient](ctx, r.db, r.tenancy(ctx).to(selectFrom[apiClient]().and("client_id = ?", clientID)))
	return m.toDomain(), translate(err, "api client")
}

// Revoke stamps the client revoked, once. Errors: not_found.
func (r *APIClients) Revoke(ctx context.Context, id uuid.UUID, at time.Time) (domain.APIClient, error) {
	return r.Update(ctx, id, nil, func(c *domain.APIClient) error {
		if c.Revoked() {
			return domain.ErrNoChange
		}
		c.RevokedAt = &at
		return nil
	})
}
