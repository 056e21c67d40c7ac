package domain

import (
	"context"
	"slices"

	"github.com/google/uuid"
)

// Role is what a user may do within its reach.
type Role string

const (
	RoleNationalAdmin Role = "national_admin" // every organisation
	RoleOrgAdmin      Role = "org_admin"      // its organisation: users, API clients, all records
	RoleCoordinator   Role = "coordinator"    // its organisation's records
	RoleViewer        Role = "viewer"         // read only
)

// Principal is the authenticated caller of a request: a user or an API client.
type Principal struct {
	// Subject identifies the caller in audit events and idempotency scopes: "user:<id>" or "client:<id>".
	Subject        string
	OrganisationID uuid.UUID
	Role           Role     // users only
	Scopes         []string // API clients only
	// Purpose is what an API client acts for (ClientPurposes); empty for users. A client acting
	// for HR sharing is withheld the participants who have not agreed to it (Withholds).
	Purpose ConsentPurpose
	// AllOrganisations is true for the national team: its reach is every organisation.
	AllOrganisations bool
	// Reach lists the organisations the caller may see when AllOrganisations is false:
	// its own and, for a collaboration, its member trusts.
	Reach []uuid.UUID
}

// CanSee reports whether the principal may see records owned by org.
func (p Principal) CanSee(org uuid.UUID) bool {
	return p.AllOrganisations || slices.Contains(p.Reach, org)
}

// ActsForHR reports whether the principal is a trust HR system's client, which may see a
// participant's personal data, and the records about them, only with their hr_sharing consent.
func (p Principal) ActsForHR() bool { return p.Purpose == ConsentHRSharing }

// Withholds reports whether the participant's personal data must be kept from the principal:
// a client acting for HR, and a participant who has not agreed to sharing with HR (or whose
// consent was erased).
func (p Principal) Withholds(who Participant) bool {
	return p.ActsForHR() && !who.Consent.HRSharing.Granted
}

type principalKey struct{}

// WithPrincipal returns a context carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal of the request, if one was authenticated.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
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
	ScopeImportsWrite       = "imports:write" // bulk imports, and reading their jobs
	ScopeReportsRead        = "reports:read"  // funders' reports: counts only, within reach
)

// roleScopes says what each role may do within its reach.
var roleScopes = map[Role][]string{
	RoleViewer:      {ScopeOrganisationsRead, ScopeParticipantsRead, ScopeReportsRead},
	RoleCoordinator: {ScopeOrganisationsRead, ScopeParticipantsRead, ScopeParticipantsWrite, ScopeImportsWrite, ScopeReportsRead},
	RoleOrgAdmin: {ScopeOrganisationsRead, ScopeOrganisationsWrite, ScopeParticipantsRead, ScopeParticipantsWrite,
		ScopePrincipalsAdmin, ScopeAuditRead, ScopeImportsWrite, ScopeReportsRead},
	RoleNationalAdmin: {ScopeOrganisationsRead, ScopeOrganisationsWrite, ScopeOrganisationsAdmin, ScopeCatalogueWrite,
		ScopeParticipantsRead, ScopeParticipantsWrite, ScopePrincipalsAdmin, ScopeAuditRead, ScopeImportsWrite, ScopeReportsRead},
}

// ScopesOf returns the scopes of role, or none for an unknown role.
func ScopesOf(role Role) []string { return slices.Clone(roleScopes[role]) }

// HasScope reports whether the principal holds scope.
func (p Principal) HasScope(scope string) bool { return slices.Contains(p.Scopes, scope) }
