package domain

import (
	"context"
	"slices"
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
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Version        int64
}

// Scopes are the permissions an access token may carry. A user's token carries those of its
// role; an API client's, those it was granted.
const (
	ScopeOrganisationsRead  = "organisations:read"
	ScopeOrganisationsWrite = "organisations:write"
	ScopeOrganisationsAdmin = "organisations:admin"
	ScopeCatalogueWrite     = "catalogue:write"
	ScopeParticipantsRead   = "participants:read"
	ScopeParticipantsWrite  = "participants:write"
	ScopePrincipalsAdmin    = "principals:admin"
	ScopeAuditRead          = "audit:read"
)

// roleScopes says what each role may do within its reach.
var roleScopes = map[Role][]string{
	RoleViewer:      {ScopeOrganisationsRead, ScopeParticipantsRead},
	RoleCoordinator: {ScopeOrganisationsRead, ScopeParticipantsRead, ScopeParticipantsWrite},
	RoleOrgAdmin: {ScopeOrganisationsRead, ScopeOrganisationsWrite, ScopeParticipantsRead, ScopeParticipantsWrite,
		ScopePrincipalsAdmin, ScopeAuditRead},
	RoleNationalAdmin: {ScopeOrganisationsRead, ScopeOrganisationsWrite, ScopeOrganisationsAdmin, ScopeCatalogueWrite,
		ScopeParticipantsRead, ScopeParticipantsWrite, ScopePrincipalsAdmin, ScopeAuditRead},
}

// ScopesOf returns the scopes of role, or none for an unknown role.
func ScopesOf(role Role) []string { return slices.Clone(roleScopes[role]) }

// HasScope reports whether the principal holds scope.
func (p Principal) HasScope(scope string) bool { return slices.Contains(p.Scopes, scope) }

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
}
