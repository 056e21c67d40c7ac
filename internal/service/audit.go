package service

import (
	"context"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// AuditLister reads the audit trail within the caller's reach.
type AuditLister interface {
	List(ctx context.Context, f domain.AuditFilter, req domain.PageRequest) (domain.Page[domain.AuditEvent], error)
}

// AuditTrail lets org_admins and the national team read the audit trail.
type AuditTrail struct {
	AuditTrailDeps
}

// AuditTrailDeps are what AuditTrail is built on.
type AuditTrailDeps struct {
	Events AuditLister
}

// NewAuditTrail wires the audit trail.
func NewAuditTrail(d AuditTrailDeps) *AuditTrail {
	return &AuditTrail{d}
}

// List returns a page of audit events within reach. Errors: forbidden.
func (s *AuditTrail) List(ctx context.Context, f domain.AuditFilter, req domain.PageRequest) (domain.Page[domain.AuditEvent], error) {
	return read(ctx, domain.ScopeAuditRead, func(ctx context.Context) (domain.Page[domain.AuditEvent], error) {
		return s.Events.List(ctx, f, req)
	})
}
