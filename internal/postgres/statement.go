package postgres

import (
	"context"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"gorm.io/gorm/schema"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// statement is SQL and its arguments, written in the order the code calls its methods. Filters
// are added one after another in a fixed order, never by ranging over a map, so the same filters
// always make the same text and PostgreSQL reuses one prepared statement for them.
type statement struct {
	text  strings.Builder
	args  []any
	where bool // a WHERE has been written
	limit int  // the rows the statement returns at most, if known: room to make for them
}

// write appends sql, numbering its ? placeholders $n after the arguments already taken.
func (s *statement) write(sql string, args ...any) *statement {
	for {
		i := strings.IndexByte(sql, '?')
		if i < 0 {
			break
		}
		s.text.WriteString(sql[:i])
		s.text.WriteString("$" + strconv.Itoa(len(s.args)+1))
		s.args = append(s.args, args[0])
		sql, args = sql[i+1:], args[1:]
	}
	s.text.WriteString(sql)
	return s
}

// and adds a condition to the WHERE clause.
func (s *statement) and(cond string, args ...any) *statement {
	if s.where {
		s.text.WriteString(" AND ")
	} else {
		s.text.WriteString(" WHERE ")
		s.where = true
	}
	return s.write(cond, args...)
}

// when adds cond only if ok.
func (s *statement) when(ok bool, cond string, args ...any) *statement {
	if ok {
		s.and(cond, args...)
	}
	return s
}

// eq adds column = v when v is given.
func eq[V any](s *statement, column string, v *V) {
	if v != nil {
		s.and(column+" = ?", *v)
	}
}

// anyOf adds column = ANY(ids) when ids are given.
func anyOf(s *statement, column string, list []uuid.UUID) {
	if len(list) > 0 {
		s.and(column+" = ANY(?)", list)
	}
}

func (s *statement) sql() string { return s.text.String() }

// selectFrom starts a SELECT of every column of M, as GORM maps them.
func selectFrom[M any]() *statement {
	sql := modelOf[M]().selectSQL
	s := &statement{}
	s.text.Grow(len(sql) + 200) // room for the conditions, so the text is copied once
	s.text.WriteString(sql)
	return s
}

// rows runs s and returns its rows as M, each column in the field GORM maps it to.
func rows[M any](ctx context.Context, db *DB, s *statement) ([]M, error) {
	return query[M](ctx, db, s.limit, s.sql(), s.args)
}

// one runs s and returns its first row as M, or pgx.ErrNoRows.
func one[M any](ctx context.Context, db *DB, s *statement) (M, error) {
	return first(query[M](ctx, db, 1, s.sql(), s.args))
}

// query runs sql, a SELECT of M's columns (selectFrom), and returns its rows as M, with room
// for size rows at first.
func query[M any](ctx context.Context, db *DB, size int, sql string, args []any) ([]M, error) {
	var out []M
	err := db.Query(ctx, func(r pgx.Rows) (err error) {
		out, err = scan[M](r, size)
		return err
	}, sql, args...)
	return out, err
}

// first is the first of found, or pgx.ErrNoRows.
func first[M any](found []M, err error) (M, error) {
	var zero M
	switch {
	case err != nil:
		return zero, err
	case len(found) == 0:
		return zero, pgx.ErrNoRows
	}
	return found[0], nil
}

// byID is the SQL that reads the row of M with id $1 and tenancy, the most frequent read of
// all. It is written once per model and form of tenancy (everyone, no one, one organisation,
// several); tenancy's arguments follow the id.
func byID[M any](tenancy condition) string {
	m := modelOf[M]()
	if sql, ok := m.byID.Load(tenancy.sql); ok {
		return sql.(string)
	}
	sql := tenancy.to(selectFrom[M]().and("id = ?", uuid.Nil)).sql()
	m.byID.Store(tenancy.sql, sql)
	return sql
}

// scan reads rows of the columns selectFrom[M] selects, with room for size rows at first. It
// scans each row into one scratch value and copies it out: every pointer, slice and map pgx
// sets is new for each row, and the scratch value is cleared before the next, so nothing of
// one row stays in another.
func scan[M any](r pgx.Rows, size int) ([]M, error) {
	m := modelOf[M]()
	s, ok := m.scratch.Get().(*scratch[M])
	if !ok {
		s = newScratch[M](m)
	}
	var zero M
	defer func() {
		s.row = zero // a pooled scratch value keeps no personal data
		m.scratch.Put(s)
	}()
	out := make([]M, 0, size)
	for r.Next() {
		s.row = zero
		if err := r.Scan(s.targets...); err != nil {
			return nil, err
		}
		out = append(out, s.row)
	}
	return out, r.Err()
}

// scratch is a row to scan into and the pointers to its fields that pgx fills, in the order
// of the model's columns, made once and then pooled with the model.
type scratch[M any] struct {
	row     M
	targets []any
}

func newScratch[M any](m *model) *scratch[M] {
	s := &scratch[M]{targets: make([]any, len(m.fields))}
	v := reflect.ValueOf(&s.row).Elem()
	for i, at := range m.fields {
		target := v.FieldByIndex(at).Addr()
		if target.Type() == uuidPtr {
			// As *[16]byte pgx copies the id's bytes; as *uuid.UUID, an sql.Scanner, it
			// would format them as text for uuid.UUID.Scan to parse back.
			target = target.Convert(bytes16Ptr)
		}
		s.targets[i] = target.Interface()
	}
	return s
}

var (
	uuidPtr    = reflect.TypeFor[*uuid.UUID]()
	bytes16Ptr = reflect.TypeFor[*[16]byte]()
)

// model is the SELECT of a storage model's columns and the field of each column, as GORM
// maps them.
type model struct {
	selectSQL string    // "SELECT participants.id, participants.organisation_id, ... FROM participants"
	fields    [][]int   // the struct field of each column, as reflect's index path
	scratch   sync.Pool // *scratch[M] of the model's type M
	byID      sync.Map  // the SQL of tenancy: the SQL byID wrote for it
}

var models sync.Map // reflect.Type: *model

func modelOf[M any]() *model {
	t := reflect.TypeFor[M]()
	if m, ok := models.Load(t); ok {
		return m.(*model)
	}
	s, err := schema.Parse(new(M), &sync.Map{}, schema.NamingStrategy{})
	if err != nil {
		panic("postgres: storage model " + t.String() + ": " + err.Error()) // a programming error, found by any test
	}
	m := &model{}
	columns := make([]string, len(s.DBNames))
	for i, name := range s.DBNames {
		columns[i] = s.Table + "." + name
		m.fields = append(m.fields, s.FieldsByDBName[name].StructField.Index)
	}
	m.selectSQL = "SELECT " + strings.Join(columns, ", ") + " FROM " + s.Table
	actual, _ := models.LoadOrStore(t, m)
	return actual.(*model)
}

// reach is the one tenancy condition: every query of an organisation's records passes
// through it. column names the owning organisation. With no principal it matches nothing.
func reach(ctx context.Context, column string) condition {
	p, ok := domain.PrincipalFrom(ctx)
	switch {
	case !ok:
		return condition{sql: "false"}
	case p.AllOrganisations:
		return condition{}
	case len(p.Reach) == 1:
		// One organisation, as for most principals: "= ?", so that an index on (organisation_id,
		// updated_at, id) hands a page over in order. With "= ANY(?)" PostgreSQL reads all the
		// organisation's rows and sorts them.
		return condition{sql: column + " = ?", args: []any{p.Reach[0]}}
	default:
		return condition{sql: column + " = ANY(?)", args: []any{p.Reach}}
	}
}

// sharedWithHR is consent by purpose, the second condition of reach: for a client acting for a
// trust's HR system (domain.Principal.ActsForHR) it matches the records whose participant,
// named by column, agreed to sharing with HR; for anyone else, everything. The participants'
// own row-level security applies within the subquery.
func sharedWithHR(ctx context.Context, column string) condition {
	return forHR(ctx, column+" IN (SELECT participants.id FROM participants WHERE participants.consent_hr_sharing)")
}

// forHR is cond for a client acting for HR, and the condition that matches everything for
// anyone else.
func forHR(ctx context.Context, cond string) condition {
	if p, _ := domain.PrincipalFrom(ctx); !p.ActsForHR() {
		return condition{}
	}
	return condition{sql: cond}
}

// condition is a WHERE condition with ? placeholders; the zero condition matches everything.
type condition struct {
	sql  string
	args []any
}

// and is both c and d.
func (c condition) and(d condition) condition {
	switch {
	case d.sql == "":
		return c
	case c.sql == "":
		return d
	}
	return condition{sql: c.sql + " AND " + d.sql, args: append(append([]any(nil), c.args...), d.args...)}
}

// to adds the condition to s.
func (c condition) to(s *statement) *statement {
	return s.when(c.sql != "", c.sql, c.args...)
}

// page applies updated_since, the cursor and the limit, in (updated_at, id) order. It asks for
// one row more than the limit to learn whether another page follows. The limit is written as
// a number: given "LIMIT $n", PostgreSQL's generic plan must guess the row count and, finding
// it costlier than a plan for the actual limit, re-plans every execution.
func page(s *statement, table string, req domain.PageRequest) *statement {
	if req.UpdatedSince != nil {
		s.and(table+".updated_at >= ?", *req.UpdatedSince)
	}
	if req.After != nil {
		s.and("("+table+".updated_at, "+table+".id) > (?, ?)", req.After.UpdatedAt, req.After.ID)
	}
	s.limit = req.Limit + 1
	s.text.WriteString(" ORDER BY " + table + ".updated_at, " + table + ".id LIMIT " + strconv.Itoa(s.limit))
	return s
}

// cut trims the extra row that page asked for and returns the position to resume after.
func cut[M any, T any](rows []M, limit int, position func(M) domain.Position, toDomain func(M) T) domain.Page[T] {
	var out domain.Page[T]
	if len(rows) > limit {
		rows = rows[:limit]
		p := position(rows[limit-1])
		out.Next = &p
	}
	out.Items = make([]T, len(rows))
	for i, r := range rows {
		out.Items[i] = toDomain(r)
	}
	return out
}

// likePrefix escapes s for a LIKE prefix match.
func likePrefix(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.ToLower(s)) + "%"
}
