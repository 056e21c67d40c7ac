package postgres

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// row is a storage model of a store: it names its table, its position in (updated_at, id)
// order, and takes a fresh id.
type row interface {
	TableName() string
	position() domain.Position
	rowVersion() int64
}

// store is a domain.Store over one table whose records belong to an organisation: every query
// passes through reach, deleted records (deleted_at) are left out of lists unless asked for or
// syncing, and updates lock the row and check the version.
type store[M row, T any, F any] struct {
	db       *DB
	what     string                     // the record, in errors: "mentor"
	toDomain func(M) T                  // storage to domain
	toModel  func(T) M                  // domain to storage
	newID    func(*M)                   // gives a new record its id
	filter   func(*gorm.DB, F) *gorm.DB // the list's own filters
	deleted  func(F) bool               // whether the list includes tombstones; nil: the table keeps none
	columns  []string                   // what an update writes
}

func (s store[M, T, F]) Create(ctx context.Context, v *T) error {
	m := s.toModel(*v)
	s.newID(&m)
	if err := s.db.conn(ctx).Clauses(clause.Returning{}).Create(&m).Error; err != nil {
		return translate(err, s.what)
	}
	*v = s.toDomain(m)
	return nil
}

func (s store[M, T, F]) Get(ctx context.Context, id uuid.UUID) (T, error) {
	var m M
	err := s.db.conn(ctx).Scopes(reach(ctx, "organisation_id")).Take(&m, "id = ?", id).Error
	return s.toDomain(m), translate(err, s.what)
}

func (s store[M, T, F]) List(ctx context.Context, f F, req domain.PageRequest) (domain.Page[T], error) {
	var zero M
	q := s.db.conn(ctx).Model(&zero).Scopes(reach(ctx, "organisation_id"), page(zero.TableName(), req))
	if s.deleted != nil {
		q = q.Scopes(tombstones(s.deleted(f), req))
	}
	var rows []M
	if err := s.filter(q, f).Find(&rows).Error; err != nil {
		return domain.Page[T]{}, translate(err, "list "+s.what)
	}
	return cut(rows, req.Limit, M.position, s.toDomain), nil
}

func (s store[M, T, F]) Update(ctx context.Context, id uuid.UUID, ifVersion *int64, change func(*T) error) (T, error) {
	var out T
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var m M
		err := s.db.conn(ctx).Scopes(reach(ctx, "organisation_id")).Clauses(clause.Locking{Strength: "UPDATE"}).Take(&m, "id = ?", id).Error
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
		if err := s.db.conn(ctx).Model(&m).Clauses(clause.Returning{}).Select(s.columns).Updates(&m).Error; err != nil {
			return translate(err, s.what)
		}
		out = s.toDomain(m)
		return nil
	})
	return out, err
}
