package postgres

import (
	"context"
	"database/sql"
	"time"

	"github.com/google/uuid"
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

// APIClients stores API clients.
type APIClients struct{ db *DB }

// NewAPIClients returns the API clients repository.
func NewAPIClients(db *DB) *APIClients { return &APIClients{db} }

// Create inserts c, giving it an id. Errors: conflict.
func (r *APIClients) Create(ctx context.Context, c *domain.APIClient) error {
	m := apiClient{ID: NewID(), OrganisationID: c.OrganisationID, Name: c.Name, ClientID: c.ClientID, SecretHash: c.SecretHash, Scopes: c.Scopes}
	if err := r.db.conn(ctx).Clauses(clause.Returning{}).Create(&m).Error; err != nil {
		return translate(err, "api client")
	}
	*c = m.toDomain()
	return nil
}

// Get returns a client within reach. Errors: not_found.
func (r *APIClients) Get(ctx context.Context, id uuid.UUID) (domain.APIClient, error) {
	var m apiClient
	err := r.db.conn(ctx).Scopes(reach(ctx, "organisation_id")).Take(&m, "id = ?", id).Error
	return m.toDomain(), translate(err, "api client")
}

// ByClientID finds a client by client_id. Errors: not_found.
func (r *APIClients) ByClientID(ctx context.Context, clientID string) (domain.APIClient, error) {
	var m apiClient
	err := r.db.conn(ctx).Scopes(reach(ctx, "organisation_id")).Take(&m, "client_id = ?", clientID).Error
	return m.toDomain(), translate(err, "api client")
}

// List returns a page of clients within reach.
func (r *APIClients) List(ctx context.Context, org *uuid.UUID, req domain.PageRequest) (domain.Page[domain.APIClient], error) {
	q := r.db.conn(ctx).Scopes(reach(ctx, "organisation_id"), page("api_clients", req))
	if org != nil {
		q = q.Where("organisation_id = ?", *org)
	}
	var rows []apiClient
	if err := q.Find(&rows).Error; err != nil {
		return domain.Page[domain.APIClient]{}, translate(err, "list api clients")
	}
	return cut(rows, req.Limit, func(m apiClient) domain.Position { return domain.Position{UpdatedAt: m.UpdatedAt, ID: m.ID} }, apiClient.toDomain), nil
}

// Revoke stamps the client revoked unless it already is. Errors: not_found.
func (r *APIClients) Revoke(ctx context.Context, id uuid.UUID, at time.Time) (domain.APIClient, error) {
	var m apiClient
	err := r.db.conn(ctx).Model(&m).Clauses(clause.Returning{}).Scopes(reach(ctx, "organisation_id")).
		Where("id = ? AND revoked_at IS NULL", id).Update("revoked_at", at).Error
	if err != nil {
		return domain.APIClient{}, translate(err, "api client")
	}
	if m.ID == uuid.Nil {
		return r.Get(ctx, id) // already revoked, or not within reach
	}
	return m.toDomain(), nil
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
