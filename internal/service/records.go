package service

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// within runs fn in one transaction for a caller holding scope. Errors: unauthenticated,
// forbidden, and fn's own.
func within[T any](ctx context.Context, tx Transactor, scope string, fn func(ctx context.Context) (T, error)) (T, error) {
	var out T
	if _, err := authorize(ctx, scope); err != nil {
		return out, err
	}
	err := tx.InTx(ctx, func(ctx context.Context) (err error) {
		out, err = fn(ctx)
		return err
	})
	return out, err
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
	_, err := within(ctx, tx, domain.ScopeParticipantsWrite, func(ctx context.Context) (struct{}, error) {
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
			return struct{}{}, err
		}
		org := t.org(v)
		return struct{}{}, audit(ctx, a, t.what+".delete", t.what, id, &org, []string{"deleted"})
	})
	return err
}

// mustBeLive refuses a change to a deleted record.
func mustBeLive(deletedAt *time.Time, what string) error {
	if deletedAt != nil {
		return domain.Errorf(domain.CodeConflict, "the %s was deleted", what)
	}
	return nil
}

// inReach turns a not_found of a referenced record into an invalid field.
func inReach(err error, field, what string) error {
	if domain.ErrorCode(err) == domain.CodeNotFound {
		return domain.Invalid(field, "is not a "+what+" within your reach")
	}
	return err
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
