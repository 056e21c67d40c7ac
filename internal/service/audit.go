package service

import (
	"context"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// AuditLister reads the audit trail within the caller's reach.
type AuditLister interface {
	List(ctx context.Context, f domain.AuditFilter, req domain.PageRequest) (domain.Page[domain.AuditEvent], error)
}

// Reader runs long reads: reads that may take a while and that no client expects to see its
// own latest writes in. postgres.DB's Read is one: it sends them to the read replica when one
// is configured (P4W_READ_DATABASE_URL), falling back to the primary, and row-level security
// holds there as on the primary. The audit trail reads through it, and funder reports are to
// read through it too, with longRead. CSV exports read through its Snapshot, all their pages
// in one transaction (internal/httpapi/exports.go).
//
// A replica is a moment behind the primary, so what a client expects its own writes in never
// goes through a Reader: a record read back by id after writing it, the lists a front end
// refreshes after a change, and every read a use case makes before writing. Those use read or
// transact, on the primary.
type Reader interface {
	Read(ctx context.Context, fn func(ctx context.Context) error) error
}

// longRead is read for a long read: authorise, then run fn through r, on the read replica when
// there is one. fn may run twice (on the primary after the replica failed): it must only read.
// With no Reader, fn runs as read runs it. Errors: unauthenticated, forbidden, and fn's own.
func longRead[T any](ctx context.Context, r Reader, scope string, fn func(ctx context.Context) (T, error)) (T, error) {
	if r == nil {
		return read(ctx, scope, fn)
	}
	return read(ctx, scope, func(ctx context.Context) (out T, err error) {
		err = r.Read(ctx, func(ctx context.Context) (err error) {
			out, err = fn(ctx)
			return err
		})
		return out, err
	})
}

// AuditTrail lets org_admins and the national team read the audit trail.
type AuditTrail struct {
	AuditTrailDeps
}

// AuditTrailDeps are what AuditTrail is built on.
type AuditTrailDeps struct {
	Events AuditLister
	// Reads runs the trail's listing, a long read (on the replica when there is one); nil: the
	// primary. An audit event shows there a moment after its write commits.
	Reads Reader
}

// NewAuditTrail wires the audit trail.
func NewAuditTrail(d AuditTrailDeps) *AuditTrail {
	return &AuditTrail{d}
}

// List returns a page of audit events within reach. Errors: forbidden, unavailable.
func (s *AuditTrail) List(ctx context.Context, f domain.AuditFilter, req domain.PageRequest) (domain.Page[domain.AuditEvent], error) {
	return longRead(ctx, s.Reads, domain.ScopeAuditRead, func(ctx context.Context) (domain.Page[domain.AuditEvent], error) {
		return s.Events.List(ctx, f, req)
	})
}
