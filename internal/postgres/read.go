package postgres

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// scopeSQL sets what row-level security reads for the rest of the transaction it runs in.
const scopeSQL = `SELECT set_config('role', 'p4w_api', true), set_config('p4w.reach', $1, true)`

// find returns the rows of M that query selects. GORM builds the SQL; the query's scopes
// (reach above all) are the caller's to apply, as everywhere.
//
// Inside a transaction find runs there. Alone, a read needs no transaction of its own:
// the scope and the query travel to PostgreSQL together in one pipeline, which runs as one
// implicit transaction that ends at the pipeline's Sync, so the settings last exactly as
// long as the query, and the read costs one round trip instead of three (BEGIN with the
// scope, the query, COMMIT).
func find[M any](ctx context.Context, db *DB, query func(*gorm.DB) *gorm.DB) ([]M, error) {
	var rows []M
	if tx, ok := ctx.Value(txKey{}).(*gorm.DB); ok {
		err := query(tx.WithContext(ctx)).Find(&rows).Error
		return rows, err
	}
	plan, err := planOf[M](db)
	if err != nil {
		return nil, err
	}
	// A dry run builds the statement without running it.
	q := db.gorm.Session(&gorm.Session{DryRun: true, NewDB: true, Context: ctx})
	stmt := query(q).Clauses(clause.Select{Expression: clause.Expr{SQL: plan.columns}}).Find(&rows).Statement
	if stmt.Error != nil {
		return nil, stmt.Error
	}
	size := 0 // room for as many rows as the query's LIMIT allows
	if limit, ok := stmt.Clauses["LIMIT"].Expression.(clause.Limit); ok && limit.Limit != nil {
		size = *limit.Limit
	}
	err = db.pipelined(ctx, stmt.SQL.String(), stmt.Vars, func(r pgx.Rows) (err error) {
		rows, err = scanAll[M](plan, r, size)
		return err
	})
	return rows, err
}

// byID returns the row of M with id that tenancy lets the caller see, or
// gorm.ErrRecordNotFound. It is find for the most frequent read of all, a record by its
// primary key, with SQL simple enough to write here instead of having GORM build it.
func byID[M any](ctx context.Context, db *DB, id uuid.UUID, tenancy condition) (M, error) {
	var m M
	if tx, ok := ctx.Value(txKey{}).(*gorm.DB); ok {
		err := tenancy.scope(tx.WithContext(ctx)).Take(&m, "id = ?", id).Error
		return m, err
	}
	plan, err := planOf[M](db)
	if err != nil {
		return m, err
	}
	query, ok := plan.byID.Load(tenancy.sql)
	if !ok { // once per model and form of tenancy: none, nothing, one organisation, several
		q := "SELECT " + plan.columns + " FROM " + plan.table + " WHERE id = $1"
		if tenancy.sql != "" {
			q += " AND " + tenancy.numbered(2)
		}
		query, _ = plan.byID.LoadOrStore(tenancy.sql, q)
	}
	found := false
	err = db.pipelined(ctx, query.(string), append([]any{id}, tenancy.args...), func(r pgx.Rows) (err error) {
		m, found, err = scanOne[M](plan, r)
		return err
	})
	if err == nil && !found {
		err = gorm.ErrRecordNotFound
	}
	return m, err
}

// scanAll reads every row into a model, with room for size rows to begin with.
func scanAll[M any](plan *readPlan, r pgx.Rows, size int) ([]M, error) {
	s := takeScratch[M](plan)
	defer s.release(plan)
	out := make([]M, 0, size)
	for r.Next() {
		if err := s.scan(r); err != nil {
			return nil, err
		}
		out = append(out, s.row)
	}
	return out, r.Err()
}

// scanOne reads the first row, if there is one, into a model.
func scanOne[M any](plan *readPlan, r pgx.Rows) (m M, found bool, err error) {
	s := takeScratch[M](plan)
	defer s.release(plan)
	if r.Next() {
		if err := s.scan(r); err != nil {
			return m, false, err
		}
		m, found = s.row, true
	}
	return m, found, r.Err()
}

// scratch is a row to scan into and the pointers to its fields that rows.Scan fills, made
// once and then pooled with the model's plan.
type scratch[M any] struct {
	row     M
	targets []any
}

func takeScratch[M any](plan *readPlan) *scratch[M] {
	if s, ok := plan.scratch.Get().(*scratch[M]); ok {
		return s
	}
	s := &scratch[M]{targets: make([]any, len(plan.fields))}
	v := reflect.ValueOf(&s.row).Elem()
	for i, at := range plan.fields {
		target := v.FieldByIndex(at).Addr()
		if target.Type() == uuidPtr {
			// As *[16]byte pgx copies the id's bytes; as *uuid.UUID, an sql.Scanner, it would
			// format them as text for uuid.UUID.Scan to parse back.
			target = target.Convert(bytes16Ptr)
		}
		s.targets[i] = target.Interface()
	}
	return s
}

// scan reads the current row. Nothing of the last row stays: pointers, slices and maps are
// made anew.
func (s *scratch[M]) scan(r pgx.Rows) error {
	var zero M
	s.row = zero
	return r.Scan(s.targets...)
}

// release returns s to the pool, holding nothing of the rows it read (personal data).
func (s *scratch[M]) release(plan *readPlan) {
	var zero M
	s.row = zero
	plan.scratch.Put(s)
}

var (
	uuidPtr    = reflect.TypeFor[*uuid.UUID]()
	bytes16Ptr = reflect.TypeFor[*[16]byte]()
)

// readPlan is how find and byID read a storage model: its table, the columns they select,
// and the field each column lands in, as GORM maps them.
type readPlan struct {
	table   string
	columns string    // "participants.id, participants.organisation_id, ..."
	fields  [][]int   // the struct field of each column
	byID    sync.Map  // byID's query by the SQL of its tenancy condition
	scratch sync.Pool // *scratch[M]: rows to scan into
}

var readPlans sync.Map // reflect.Type of the model: *readPlan

func planOf[M any](db *DB) (*readPlan, error) {
	if p, ok := readPlans.Load(reflect.TypeFor[M]()); ok {
		return p.(*readPlan), nil
	}
	var zero M
	stmt := &gorm.Statement{DB: db.gorm}
	if err := stmt.Parse(&zero); err != nil {
		return nil, fmt.Errorf("read plan of %T: %w", zero, err)
	}
	plan := &readPlan{table: stmt.Schema.Table}
	columns := make([]string, 0, len(stmt.Schema.DBNames))
	for _, name := range stmt.Schema.DBNames {
		columns = append(columns, stmt.Schema.Table+"."+name)
		plan.fields = append(plan.fields, stmt.Schema.FieldsByDBName[name].StructField.Index)
	}
	plan.columns = strings.Join(columns, ", ")
	readPlans.Store(reflect.TypeFor[M](), plan)
	return plan, nil
}

// pipelined runs query on a pooled connection after scoping it as InTx does, both sent in
// one pipeline, and hands its rows to scan.
func (db *DB) pipelined(ctx context.Context, query string, args []any, scan func(pgx.Rows) error) error {
	conn, err := db.SQL().Conn(ctx)
	if err != nil {
		return fmt.Errorf("take a connection: %w", err)
	}
	defer conn.Close()
	var readErr error
	err = conn.Raw(func(driverConn any) error {
		pc := driverConn.(*stdlib.Conn).Conn()
		batch := &pgx.Batch{}
		batch.Queue(scopeSQL, reachSetting(ctx))
		batch.Queue(query, pgArgs(args)...)
		results := pc.SendBatch(ctx, batch)
		readErr = readBatch(results, scan)
		readErr = errors.Join(readErr, results.Close())
		// An error leaves the implicit transaction rolled back at the Sync and the session as
		// it was; a connection in any other state (cancelled mid-read, say) is not pooled again.
		if pc.IsClosed() || pc.PgConn().TxStatus() != 'I' {
			return driver.ErrBadConn
		}
		return nil
	})
	if readErr != nil {
		return readErr
	}
	return err
}

func readBatch(results pgx.BatchResults, scan func(pgx.Rows) error) error {
	if _, err := results.Exec(); err != nil {
		return fmt.Errorf("scope the read: %w", err)
	}
	rows, err := results.Query()
	if err != nil {
		return err
	}
	defer rows.Close()
	if err := scan(rows); err != nil {
		return err
	}
	rows.Close()
	return rows.Err()
}

// pgArgs passes ids to pgx as its own UUID types, which it encodes directly, instead of
// through driver.Valuer as strings that pgx would parse again. It converts args in place.
func pgArgs(args []any) []any {
	for i, a := range args {
		switch v := a.(type) {
		case uuid.UUID:
			args[i] = pgtype.UUID{Bytes: v, Valid: true}
		case ids:
			list := make([]pgtype.UUID, len(v))
			for j, id := range v {
				list[j] = pgtype.UUID{Bytes: id, Valid: true}
			}
			args[i] = list
		}
	}
	return args
}
