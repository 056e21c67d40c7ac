package postgres

import (
	"context"
	"database/sql"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/p4w-nhs/p4w/internal/domain"
)

type apiClient struct {
	ID             uuid.UUID `gorm:"primaryKey"`
	OrganisationID uuid.UUID
	Name           string
	ClientID       string
	SecretHash     []byte
	Scopes         []string `gorm:"serializer:json"`
	RevokedAt      *time.Time
	CreatedAt      time.Time `gorm:"<-:false"`
	UpdatedAt      time.Time `gorm:"<-:false"`
	Version        int64     `gorm:"<-:false"`
}

func (apiClient) TableName() string { return "api_clients" }

func (m apiClient) toDomain() domain.APIClient {
	return domain.APIClient{ID: m.ID, OrganisationID: m.OrganisationID, Name: m.Name, ClientID: m.ClientID,
		SecretHash: m.SecretHash, Scopes: m.Scopes, RevokedAt: m.RevokedAt, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt, Version: m.Version}
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
				Scopes: c.Scopes, RevokedAt: c.RevokedAt}
		},
		newID:   func(m *apiClient) { m.ID = NewID() },
		filter:  func(q *gorm.DB, org *uuid.UUID) *gorm.DB { return where(q, map[string]any{"organisation_id": org}) },
		columns: []string{"revoked_at"},
	}}
}

// ByClientID finds a client by client_id. Errors: not_found.
func (r *APIClients) ByClientID(ctx context.Context, clientID string) (domain.APIClient, error) {
	var m apiClient
	err := r.db.conn(ctx).Scopes(r.tenancy(ctx)).Take(&m, "client_id = ?", clientID).Error
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

type refreshToken struct {
	ID             uuid.UUID `gorm:"primaryKey"`
	FamilyID       uuid.UUID
	UserID         uuid.UUID
	OrganisationID uuid.UUID
	TokenHash      []byte
	ExpiresAt      time.Time
	UsedAt         *time.Time
	RevokedAt      *time.Time
}

func (refreshToken) TableName() string { return "refresh_tokens" }

// RefreshTokens stores refresh tokens.
type RefreshTokens struct{ db *DB }

// NewRefreshTokens returns the refresh tokens repository.
func NewRefreshTokens(db *DB) *RefreshTokens { return &RefreshTokens{db} }

// Create inserts t, giving it an id.
func (r *RefreshTokens) Create(ctx context.Context, t *domain.RefreshToken) error {
	t.ID = NewID()
	m := refreshToken(*t)
	return translate(r.db.conn(ctx).Create(&m).Error, "refresh token")
}

// ByHashForUpdate finds and locks a token. Errors: not_found.
func (r *RefreshTokens) ByHashForUpdate(ctx context.Context, hash []byte) (domain.RefreshToken, error) {
	var m refreshToken
	err := r.db.conn(ctx).Clauses(clause.Locking{Strength: "UPDATE"}).Take(&m, "token_hash = ?", hash).Error
	return domain.RefreshToken(m), translate(err, "refresh token")
}

// MarkUsed stamps a token used.
func (r *RefreshTokens) MarkUsed(ctx context.Context, id uuid.UUID, at time.Time) error {
	return translate(r.db.conn(ctx).Model(&refreshToken{}).Where("id = ?", id).Update("used_at", at).Error, "refresh token")
}

// RevokeFamily revokes every live token of a family.
func (r *RefreshTokens) RevokeFamily(ctx context.Context, family uuid.UUID, at time.Time) error {
	return translate(r.db.conn(ctx).Model(&refreshToken{}).Where("family_id = ? AND revoked_at IS NULL", family).
		Update("revoked_at", at).Error, "refresh tokens")
}

// Throttle counts failed sign-ins.
type Throttle struct{ db *DB }

// NewThrottle returns the sign-in throttle.
func NewThrottle(db *DB) *Throttle { return &Throttle{db} }

// BlockedUntil takes key's lock for the rest of the transaction, so that concurrent attempts on
// one account are counted one after another, and returns when key may try again, or the zero time.
func (r *Throttle) BlockedUntil(ctx context.Context, key string) (time.Time, error) {
	if err := r.db.conn(ctx).Exec("SELECT pg_advisory_xact_lock(hashtext(?))", key).Error; err != nil {
		return time.Time{}, translate(err, "sign-in throttle")
	}
	var until []sql.NullTime
	err := r.db.conn(ctx).Raw("SELECT blocked_until FROM sign_in_throttle WHERE key = ?", key).Scan(&until).Error
	if err != nil || len(until) == 0 || !until[0].Valid {
		return time.Time{}, translate(err, "sign-in throttle")
	}
	return until[0].Time, nil
}

// Fail counts a failure; block says how long the given number of failures blocks for.
func (r *Throttle) Fail(ctx context.Context, key string, block func(failures int) time.Duration) error {
	var failures int
	err := r.db.conn(ctx).Raw(`INSERT INTO sign_in_throttle (key, failures) VALUES (?, 1)
		ON CONFLICT (key) DO UPDATE SET failures = sign_in_throttle.failures + 1 RETURNING failures`, key).Scan(&failures).Error
	if err != nil {
		return translate(err, "sign-in throttle")
	}
	if d := block(failures); d > 0 {
		err = r.db.conn(ctx).Exec("UPDATE sign_in_throttle SET blocked_until = ? WHERE key = ?", time.Now().Add(d), key).Error
	}
	return translate(err, "sign-in throttle")
}

// Clear forgets key's failures.
func (r *Throttle) Clear(ctx context.Context, key string) error {
	return translate(r.db.conn(ctx).Exec("DELETE FROM sign_in_throttle WHERE key = ?", key).Error, "sign-in throttle")
}
