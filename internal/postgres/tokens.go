package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/p4w-nhs/p4w/internal/domain"
)

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
	return translate(r.db.InTx(ctx, func(ctx context.Context) error { return r.db.orm(ctx).Create(&m).Error }), "refresh token")
}

// ByHashForUpdate finds and locks a token. Errors: not_found.
func (r *RefreshTokens) ByHashForUpdate(ctx context.Context, hash []byte) (domain.RefreshToken, error) {
	m, err := one[refreshToken](ctx, r.db, selectFrom[refreshToken]().and("token_hash = ?", hash).write(" FOR UPDATE"))
	return domain.RefreshToken(m), translate(err, "refresh token")
}

// MarkUsed stamps a token used.
func (r *RefreshTokens) MarkUsed(ctx context.Context, id uuid.UUID, at time.Time) error {
	_, err := r.db.Exec(ctx, "UPDATE refresh_tokens SET used_at = $1 WHERE id = $2", at, id)
	return translate(err, "refresh token")
}

// RevokeFamily revokes every live token of a family.
func (r *RefreshTokens) RevokeFamily(ctx context.Context, family uuid.UUID, at time.Time) error {
	_, err := r.db.Exec(ctx, "UPDATE refresh_tokens SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL", at, family)
	return translate(err, "refresh tokens")
}

// Throttle counts failed sign-ins.
type Throttle struct{ db *DB }

// NewThrottle returns the sign-in throttle.
func NewThrottle(db *DB) *Throttle { return &Throttle{db} }

// BlockedUntil takes key's lock for the rest of the transaction, so that concurrent attempts on
// one account are counted one after another, and returns when key may try again, or the zero time.
func (r *Throttle) BlockedUntil(ctx context.Context, key string) (time.Time, error) {
	var until *time.Time
	b := &pgx.Batch{}
	b.Queue("SELECT pg_advisory_xact_lock(hashtext($1))", key)
	b.Queue("SELECT blocked_until FROM sign_in_throttle WHERE key = $1", key).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			if err := rows.Scan(&until); err != nil {
				return err
			}
		}
		return rows.Err()
	})
	if err := r.db.SendBatch(ctx, b); err != nil || until == nil {
		return time.Time{}, translate(err, "sign-in throttle")
	}
	return *until, nil
}

// Fail counts a failure; block says how long the given number of failures blocks for.
func (r *Throttle) Fail(ctx context.Context, key string, block func(failures int) time.Duration) error {
	var failures int
	err := r.db.Query(ctx, func(rows pgx.Rows) error {
		var err error
		failures, err = pgx.CollectExactlyOneRow(rows, pgx.RowTo[int])
		return err
	}, `INSERT INTO sign_in_throttle (key, failures) VALUES ($1, 1)
		ON CONFLICT (key) DO UPDATE SET failures = sign_in_throttle.failures + 1 RETURNING failures`, key)
	if err != nil {
		return translate(err, "sign-in throttle")
	}
	if d := block(failures); d > 0 {
		_, err = r.db.Exec(ctx, "UPDATE sign_in_throttle SET blocked_until = $1 WHERE key = $2", time.Now().Add(d), key)
	}
	return translate(err, "sign-in throttle")
}

// Clear forgets key's failures.
func (r *Throttle) Clear(ctx context.Context, key string) error {
	_, err := r.db.Exec(ctx, "DELETE FROM sign_in_throttle WHERE key = $1", key)
	return translate(err, "sign-in throttle")
}
