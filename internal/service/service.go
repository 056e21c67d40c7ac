// Package service holds p4w's use cases: it checks who may do what, runs each change in one
// transaction with its audit event, and leaves storage and HTTP to their own packages.
package service

import (
	"context"
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

// authorize returns the principal of ctx when it holds scope, and an error otherwise. The
// contract declares the same scope on each operation; this keeps the rule where the use case is.
// Errors: unauthenticated, forbidden.
func authorize(ctx context.Context, scope string) (domain.Principal, error) {
	p, ok := domain.PrincipalFrom(ctx)
	if !ok {
		return p, domain.Errorf(domain.CodeUnauthenticated, "authentication is required")
	}
	if !p.HasScope(scope) {
		return p, domain.Errorf(domain.CodeForbidden, "this operation needs the %s scope", scope)
	}
	return p, nil
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
	return domain.Principal{Subject: "system", Role: domain.RoleNationalAdmin, Scopes: domain.ScopesOf(domain.RoleNationalAdmin), AllOrganisations: true}
}
