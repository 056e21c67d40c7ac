package domain

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// RefreshToken is one link of a rotating chain descended from one sign-in.
type RefreshToken struct {
	ID             uuid.UUID
	FamilyID       uuid.UUID
	UserID         uuid.UUID
	OrganisationID uuid.UUID
	TokenHash      []byte
	ExpiresAt      time.Time
	UsedAt         *time.Time
	RevokedAt      *time.Time
}

// RefreshTokenRepository stores refresh tokens.
type RefreshTokenRepository interface {
	Create(ctx context.Context, t *RefreshToken) error
	// ByHashForUpdate finds and locks a token by its hash. Errors: not_found.
	ByHashForUpdate(ctx context.Context, hash []byte) (RefreshToken, error)
	MarkUsed(ctx context.Context, id uuid.UUID, at time.Time) error
	// RevokeFamily revokes every token of a family.
	RevokeFamily(ctx context.Context, family uuid.UUID, at time.Time) error
}

// SignInThrottle counts failed sign-ins by key.
type SignInThrottle interface {
	// BlockedUntil returns when key may try again, or the zero time.
	BlockedUntil(ctx context.Context, key string) (time.Time, error)
	// Fail counts a failure and returns the number of consecutive failures.
	Fail(ctx context.Context, key string, block func(failures int) time.Duration) error
	// Clear forgets key's failures after a success.
	Clear(ctx context.Context, key string) error
}
