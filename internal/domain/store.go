package domain

import (
	"context"

	"github.com/google/uuid"
)

// The interfaces storage satisfies. Every method that reads or changes an organisation's
// records sees only those within the reach of the context's principal, and answers not_found
// for the rest exactly as for a missing id.

// Store is the shape of the repositories of delivery records: within the caller's reach,
// Get answers not_found for records out of reach, Update locks, checks ifVersion and saves.
type Store[T any, F any] interface {
	Create(ctx context.Context, v *T) error
	Get(ctx context.Context, id uuid.UUID) (T, error)
	List(ctx context.Context, f F, req PageRequest) (Page[T], error)
	Update(ctx context.Context, id uuid.UUID, ifVersion *int64, change func(*T) error) (T, error)
}
