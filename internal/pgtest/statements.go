package pgtest

import (
	"context"
	"sync"

	"github.com/jackc/pgx/v5"
)

// Statements records the SQL of every statement sent with a context from Record, GORM's and
// pipelined ones included: tests count queries and compare statement texts with it.
type Statements struct {
	mu  sync.Mutex
	sql []string
}

type recordKey struct{}

// Record returns a context whose statements s records, when the database was opened with
// Tracer (NewDB does so).
func Record(ctx context.Context) (context.Context, *Statements) {
	s := &Statements{}
	return context.WithValue(ctx, recordKey{}, s), s
}

// SQL returns the statements recorded so far, in the order they were sent.
func (s *Statements) SQL() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.sql...)
}

// Reset forgets what was recorded.
func (s *Statements) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sql = nil
}

func record(ctx context.Context, sql string) {
	if s, ok := ctx.Value(recordKey{}).(*Statements); ok {
		s.mu.Lock()
		s.sql = append(s.sql, sql)
		s.mu.Unlock()
	}
}

// Tracer is a pgx tracer that hands each statement to the Statements of its context.
type Tracer struct{}

var (
	_ pgx.QueryTracer = Tracer{}
	_ pgx.BatchTracer = Tracer{}
)

func (Tracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	record(ctx, d.SQL)
	return ctx
}

func (Tracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (Tracer) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}

func (Tracer) TraceBatchQuery(ctx context.Context, _ *pgx.Conn, d pgx.TraceBatchQueryData) {
	record(ctx, d.SQL)
}

func (Tracer) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}
