package service

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// Every use case is written one of two ways. A change, or a read of several queries, is
// transact: authorise, run in one transaction, record the audit event the use case reports.
// A read of one query is read: authorise, run the query alone. The token endpoints (tokens.go)
// are the exception: they run before there is a caller to authorise, and a refused sign-in
// must still commit its throttle count and its audit event.

// event is the audit event of one write: what was done (e.g. "cohort.create") to which record.
// The zero event records nothing: the use case wrote nothing (a read, or a delete of a record
// already deleted).
type event struct {
	action       string
	resourceType string
	id           uuid.UUID
	org          *uuid.UUID // the organisation whose record it is
	fields       []string   // the fields written, never their values
}

// noEvent is what a use case that wrote nothing reports.
var noEvent event

// transact runs fn in one transaction for a caller holding scope, and records the event fn
// reports in the same transaction. fn receives the caller. Errors: unauthenticated,
// forbidden, and fn's own.
func transact[T any](ctx context.Context, tx Transactor, a Auditor, scope string,
	fn func(ctx context.Context, caller domain.Principal) (T, event, error)) (T, error) {
	var out T
	caller, err := authorize(ctx, scope)
	if err != nil {
		return out, err
	}
	err = tx.InTx(ctx, func(ctx context.Context) error {
		var e event
		var err error
		if out, e, err = fn(ctx, caller); err != nil || e.action == "" {
			return err
		}
		return audit(ctx, a, e.action, e.resourceType, e.id, e.org, e.fields)
	})
	return out, err
}

// read runs fn, one call of a store's Get or List, for a caller holding scope. It opens no
// transaction: such a call scopes itself for row-level security and runs alone, in one
// round trip to the database. Errors: unauthenticated, forbidden, and fn's own.
func read[T any](ctx context.Context, scope string, fn func(ctx context.Context) (T, error)) (T, error) {
	if _, err := authorize(ctx, scope); err != nil {
		var zero T
		return zero, err
	}
	return fn(ctx)
}

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

// audit builds and records the event of one write. transact records a use case's own event;
// a use case calls audit itself only for a further record it changes (a peer mentor erased
// with its participant, say).
func audit(ctx context.Context, a Auditor, action, resourceType string, id uuid.UUID, org *uuid.UUID, fields []string) error {
	actor := "system"
	if p, ok := domain.PrincipalFrom(ctx); ok {
		actor = p.Subject
	}
	return a.Record(ctx, domain.AuditEvent{Actor: actor, OrganisationID: org, Action: action, ResourceType: resourceType,
		ResourceID: id.String(), Fields: fields, RequestID: domain.RequestIDFrom(ctx)})
}

// inReach turns a not_found of a record the request refers to into an invalid field with
// message: the caller named a record it cannot see, which is a fault of the request, not a
// missing resource. Other errors pass through.
func inReach(err error, field, message string) error {
	if domain.ErrorCode(err) == domain.CodeNotFound {
		return domain.Invalid(field, message)
	}
	return err
}

// mustBeLive refuses a change to a deleted record.
func mustBeLive(deletedAt *time.Time, what string) error {
	if deletedAt != nil {
		return domain.Errorf(domain.CodeConflict, "the %s was deleted", what)
	}
	return nil
}

// asFieldConflict names field in a conflict error, so the caller knows what clashed.
func asFieldConflict(err error, field string) error {
	if e, ok := err.(*domain.Error); ok && e.Code == domain.CodeConflict && len(e.Fields) == 0 {
		return &domain.Error{Code: e.Code, Message: e.Message, Fields: []domain.FieldError{{Field: field, Message: "is already taken"}}}
	}
	return err
}

// tombstoned is what deleting a record of a store needs to know of it.
type tombstoned[T any] struct {
	what      string               // e.g. "mentor", for the audit action and errors
	deletedAt func(*T) **time.Time // the record's deleted_at
	org       func(T) uuid.UUID    // the owning organisation, for the audit event
}

// remove leaves a tombstone of record id; deleting twice is harmless.
// Errors: forbidden, not_found, precondition_failed.
func remove[T any, F any](ctx context.Context, tx Transactor, store domain.Store[T, F], a Auditor, now Clock, t tombstoned[T], id uuid.UUID, ifVersion *int64) error {
	_, err := transact(ctx, tx, a, domain.ScopeParticipantsWrite, func(ctx context.Context, _ domain.Principal) (struct{}, event, error) {
		already := false
		v, err := store.Update(ctx, id, ifVersion, func(v *T) error {
			at := t.deletedAt(v)
			if already = *at != nil; already {
				return domain.ErrNoChange
			}
			n := now()
			*at = &n
			return nil
		})
		if err != nil || already {
			return struct{}{}, noEvent, err
		}
		org := t.org(v)
		return struct{}{}, event{t.what + ".delete", t.what, id, &org, []string{"deleted"}}, nil
	})
	return err
}
