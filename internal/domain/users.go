package domain

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// User is a person who signs in and acts within one organisation with one role.
type User struct {
	ID             uuid.UUID
	OrganisationID uuid.UUID
	Email          string
	PasswordHash   string
	Role           Role
	Enabled        bool
	// FederatedIssuer and FederatedSubject link a user who signs in with its trust's identity
	// provider (OpenID Connect token exchange) to its identity there; empty for a user with a
	// password. Such a user has no password, and its organisation, role and email are the
	// provider's, applied again at each exchange.
	FederatedIssuer  string
	FederatedSubject string
	CreatedAt        time.Time
	UpdatedAt        time.Time
	Version          int64
}

// UserFilter narrows a list of users.
type UserFilter struct {
	OrganisationID *uuid.UUID
	Role           *Role
}

// UserChange is a merge patch of a user.
type UserChange struct {
	Role    *Role
	Enabled *bool
}

// RoleRank orders roles by power, for "no higher than your own".
var RoleRank = map[Role]int{RoleViewer: 1, RoleCoordinator: 2, RoleOrgAdmin: 3, RoleNationalAdmin: 4}

// UserRepository stores users. Users are not tenant-scoped by reach at this layer: sign-in
// must find a user before any principal exists.
type UserRepository interface {
	// Create inserts u. Errors: conflict (email taken).
	Create(ctx context.Context, u *User) error
	// ByEmail finds a user by email, in any case. Errors: not_found.
	ByEmail(ctx context.Context, email string) (User, error)
	// ByID finds a user. Errors: not_found.
	ByID(ctx context.Context, id uuid.UUID) (User, error)
}

// UserAdminRepository is what managing users needs beyond sign-in, within the caller's reach.
type UserAdminRepository interface {
	UserRepository
	List(ctx context.Context, f UserFilter, req PageRequest) (Page[User], error)
	// Update: as OrganisationRepository.Update.
	Update(ctx context.Context, id uuid.UUID, ifVersion *int64, change func(*User) error) (User, error)
	// ByFederatedSubject finds the user linked to subject of an external issuer. Errors: not_found.
	ByFederatedSubject(ctx context.Context, issuer, subject string) (User, error)
	// SyncFederated is Update for a federated user's sign-in: it writes the organisation, role
	// and email, which come from the identity provider. Errors: not_found, conflict (email taken).
	SyncFederated(ctx context.Context, id uuid.UUID, change func(*User) error) (User, error)
}
