// Package service holds p4w's use cases: it checks who may do what, runs each change in one
// transaction with its audit event, and leaves storage and HTTP to their own packages.
package service

import (
	"context"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// Transactor runs fn in one transaction that every repository call made with its context joins.
type Transactor interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// Auditor appends audit events in the caller's transaction.
type Auditor interface {
	Record(ctx context.Context, e domain.AuditEvent) error
}

// Clock says what time it is; tests may stop it.
type Clock func() time.Time

// Permission is something a principal may be allowed to do.
type Permission string

const (
	ReadParticipants   Permission = "participants:read"
	WriteParticipants  Permission = "participants:write"
	ReadOrganisations  Permission = "organisations:read"
	ManageOrganisation Permission = "organisations:write" // change an organisation within reach
	ManageCatalogue    Permission = "catalogue:write"     // national only
	CreateOrganisation Permission = "organisations:create"
	ReadAudit          Permission = "audit:read"
	ManagePrincipals   Permission = "principals:write"
)

// rolePermissions says what each role of user may do within its reach.
var rolePermissions = map[domain.Role][]Permission{
	domain.RoleNationalAdmin: {ReadParticipants, WriteParticipants, ReadOrganisations, ManageOrganisation,
		ManageCatalogue, CreateOrganisation, ReadAudit, ManagePrincipals},
	domain.RoleOrgAdmin:    {ReadParticipants, WriteParticipants, ReadOrganisations, ManageOrganisation, ReadAudit, ManagePrincipals},
	domain.RoleCoordinator: {ReadParticipants, WriteParticipants, ReadOrganisations},
	domain.RoleViewer:      {ReadParticipants, ReadOrganisations},
}

// clientPermissions says which permissions an API client's scope grants.
var clientPermissions = map[string][]Permission{
	"participants:read":  {ReadParticipants, ReadOrganisations},
	"participants:write": {ReadParticipants, WriteParticipants, ReadOrganisations},
	"imports:write":      {ReadParticipants, WriteParticipants, ReadOrganisations},
	"reports:read":       {ReadOrganisations},
}

// authorize returns the principal of ctx when it holds perm, and an error otherwise.
// Errors: unauthenticated, forbidden.
func authorize(ctx context.Context, perm Permission) (domain.Principal, error) {
	p, ok := domain.PrincipalFrom(ctx)
	if !ok {
		return p, domain.Errorf(domain.CodeUnauthenticated, "authentication is required")
	}
	if slices.Contains(rolePermissions[p.Role], perm) {
		return p, nil
	}
	for _, s := range p.Scopes {
		if slices.Contains(clientPermissions[s], perm) {
			return p, nil
		}
	}
	return p, domain.Errorf(domain.CodeForbidden, "this operation needs the %s permission", perm)
}

// audit builds and records the event of one write.
func audit(ctx context.Context, a Auditor, action, resourceType string, id uuid.UUID, org *uuid.UUID, fields []string) error {
	actor := "system"
	if p, ok := domain.PrincipalFrom(ctx); ok {
		actor = p.Subject
	}
	return a.Record(ctx, domain.AuditEvent{Actor: actor, OrganisationID: org, Action: action, ResourceType: resourceType,
		ResourceID: id.String(), Fields: fields, RequestID: domain.RequestIDFrom(ctx)})
}

// System is the principal of p4w's own jobs (migrations' seed, the demo seed, bootstrap).
func System() domain.Principal {
	return domain.Principal{Subject: "system", Role: domain.RoleNationalAdmin, AllOrganisations: true}
}
