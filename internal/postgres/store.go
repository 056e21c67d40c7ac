package postgres

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"gorm.io/gorm/clause"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// row is a storage model of a store: it names its table, its position in (updated_at, id)
// order and its version.
type row interface {
	TableName() string
	position() domain.Position
	rowVersion() int64
}

// store is a domain.Store over one table whose records belong to an organisation: every query
// passes through reach, deleted records (deleted_at) are left out of lists unless asked for or
// syncing, and updates lock the row and check the version. Reads are SQL of ours through the
// seam; creates and updates are GORM's, in a transaction.
type store[M row, T any, F any] struct {
	db       *DB
	what     string                  // the record, in errors: "mentor"
	toDomain func(M) T               // storage to domain
	toModel  func(T) M               // domain to storage
	newID    func(*M)                // gives a new record its id
	filter   func(s *statement, f F) // the list's own filters, added in a fixed order
	deleted  func(F) bool            // whether the list includes tombstones; nil: the table keeps none
	columns  []string                // what an update writes
	// duplicate names what a unique key refused, in a conflict: "a user with this email"; what, if empty.
	duplicate string
	// scope is the tenancy condition of every query; nil: reach over organisation_id.
	scope func(ctx context.Context) condition
	// participant names the column of the participant a record is about, if any: a client
	// acting for HR reaches only the records of participants who agreed to sharing with HR.
	participant string
}

func (s store[M, T, F]) tenancy(ctx context.Context) condition {
	c := reach(ctx, "organisation_id")
	if s.scope != nil {
		c = s.scope(ctx)
	}
	if s.participant != "" {
		c = c.and(sharedWithHR(ctx, s.participant))
	}
	return c
}

// everyone is the scope of records every principal may read, such as the catalogue.
func everyone(context.Context) condition { return condition{} }

func (s store[M, T, F]) Create(ctx context.Context, v *T) error {
	m := s.toModel(*v)
	s.newID(&m)
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		return s.db.orm(ctx).Clauses(clause.Returning{}).Create(&m).Error
	})
	if err != nil {
		return s.refused(err)
	}
	*v = s.toDomain(m)
	return nil
}

// refused translates an error of a write, naming what a unique key refused.
func (s store[M, T, F]) refused(err error) error {
	if s.duplicate != "" {
		return translate(err, s.duplicate)
	}
	return translate(err, s.what)
}

func (s store[M, T, F]) Get(ctx context.Context, id uuid.UUID) (T, error) {
	tenancy := s.tenancy(ctx)
	m, err := first(query[M](ctx, s.db, 1, byID[M](tenancy), append([]any{id}, tenancy.args...)))
	return s.toDomain(m), translate(err, s.what)
}

func (s store[M, T, F]) List(ctx context.Context, f F, req domain.PageRequest) (domain.Page[T], error) {
	var zero M
	q := s.tenancy(ctx).to(selectFrom[M]())
	if s.deleted != nil {
		tombstones(q, s.deleted(f), req)
	}
	s.filter(q, f)
	found, err := rows[M](ctx, s.db, page(q, zero.TableName(), req))
	if err != nil {
		return domain.Page[T]{}, translate(err, "list "+s.what)
	}
	return cut(found, req.Limit, M.position, s.toDomain), nil
}

// tombstones leaves deleted records out of a list, unless asked for them or syncing.
func tombstones(s *statement, include bool, req domain.PageRequest) {
	s.when(!include && req.UpdatedSince == nil, "deleted_at IS NULL")
}

func (s store[M, T, F]) Update(ctx context.Context, id uuid.UUID, ifVersion *int64, change func(*T) error) (T, error) {
	var out T
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		m, err := one[M](ctx, s.db, s.tenancy(ctx).to(selectFrom[M]().and("id = ?", id)).write(" FOR UPDATE"))
		if err != nil {
			return translate(err, s.what)
		}
		current := s.toDomain(m)
		if ifVersion != nil && *ifVersion != m.rowVersion() {
			return domain.Errorf(domain.CodePreconditionFailed, "the %s has changed since version %d", s.what, *ifVersion)
		}
		if err := change(&current); errors.Is(err, domain.ErrNoChange) {
			out = current
			return nil
		} else if err != nil {
			return err
		}
		m = s.toModel(current)
		if err := s.db.orm(ctx).Model(&m).Clauses(clause.Returning{}).Select(s.columns).Updates(&m).Error; err != nil {
			return s.refused(err)
		}
		out = s.toDomain(m)
		return nil
	})
	return out, err
}
