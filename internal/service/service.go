// Package service holds p4w's use cases: it checks who may do what, runs each change in one
// transaction with its audit event, and leaves storage and HTTP to their own packages.
package service

import (
	"context"
	"time"

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

// System is the principal of p4w's own jobs (migrations' seed, the demo seed, bootstrap).
func System() domain.Principal {
	return domain.Principal{Subject: "system", Role: domain.RoleNationalAdmin, Scopes: domain.ScopesOf(domain.RoleNationalAdmin), AllOrganisations: true}
}
