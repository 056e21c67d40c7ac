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
	m := modelOf[M]()
	s := &statement{}
	s.text.WriteString("SELECT " + m.columns + " FROM " + m.table)
	return s
}

// rows runs s and returns its rows as M, each column in the field GORM maps it to.
func rows[M any](ctx context.Context, db *DB, s *statement) ([]M, error) {
	var out []M
	err := db.Query(ctx, func(r pgx.Rows) (err error) {
		out, err = scan[M](r, s.limit)
		return err
	}, s.sql(), s.args...)
	return out, err
}

// one runs s and returns its first row as M, or pgx.ErrNoRows.
func one[M any](ctx context.Context, db *DB, s *statement) (M, error) {
	var zero M
	found, err := rows[M](ctx, db, s)
	switch {
	case err != nil:
		return zero, err
	case len(found) == 0:
		return zero, pgx.ErrNoRows
	}
	return found[0], nil
}

// scan reads rows of the columns selectFrom[M] selects, with room for size rows at first. It
// scans each row into one value whose field pointers are taken once, then copies it out:
// every pointer, slice and map pgx sets is new for each row, and the value is cleared
// before the next, so nothing of one row stays in another.
func scan[M any](r pgx.Rows, size int) ([]M, error) {
	m := modelOf[M]()
	var row, zero M
	v := reflect.ValueOf(&row).Elem()
	targets := make([]any, len(m.fields))
	for i, at := range m.fields {
		target := v.FieldByIndex(at).Addr()
		if target.Type() == uuidPtr {
			// As *[16]byte pgx copies the id's bytes; as *uuid.UUID, an sql.Scanner, it
			// would format them as text for uuid.UUID.Scan to parse back.
			target = target.Convert(bytes16Ptr)
		}
		targets[i] = target.Interface()
	}
	out := make([]M, 0, size)
	for r.Next() {
		row = zero
		if err := r.Scan(targets...); err != nil {
			return nil, err
		}
		out = append(out, row)
	}
	return out, r.Err()
}

var (
	uuidPtr    = reflect.TypeFor[*uuid.UUID]()
	bytes16Ptr = reflect.TypeFor[*[16]byte]()
)

// model is a storage model's table and columns, and the field of each column, as GORM maps
// them.
type model struct {
	table   string
	columns string  // "participants.id, participants.organisation_id, ..."
	fields  [][]int // the struct field of each column, as reflect's index path
}

var models sync.Map // reflect.Type: model

func modelOf[M any]() model {
	t := reflect.TypeFor[M]()
	if m, ok := models.Load(t); ok {
		return m.(model)
	}
	s, err := schema.Parse(new(M), &sync.Map{}, schema.NamingStrategy{})
	if err != nil {
		panic("postgres: storage model " + t.String() + ": " + err.Error()) // a programming error, found by any test
	}
	m := model{table: s.Table}
	columns := make([]string, len(s.DBNames))
	for i, name := range s.DBNames {
		columns[i] = s.Table + "." + name
		m.fields = append(m.fields, s.FieldsByDBName[name].StructField.Index)
	}
	m.columns = strings.Join(columns, ", ")
	models.Store(t, m)
	return m
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

// condition is a WHERE condition with ? placeholders; the zero condition matches everything.
type condition struct {
	sql  string
	args []any
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
