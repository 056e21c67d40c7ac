package postgres

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// errUnavailable is what every caller hears when PostgreSQL is down, refuses connections, is
// saturated, or does not answer within a bound: the request may succeed if tried again later.
var errUnavailable = domain.Errorf(domain.CodeUnavailable, "the database is not answering; try again shortly")

// unavailable tells whether err means PostgreSQL could not serve the statement, as opposed to
// refusing it (a constraint, a bad statement): the errors to retry later.
func unavailable(err error) bool {
	if errors.Is(err, errUnavailable) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	if code := sqlState(err); code != "" {
		switch code {
		case "57014", // query_canceled: statement_timeout
			"55P03",                   // lock_not_available: lock_timeout
			"53000", "53100", "53200", // insufficient resources, disk full, out of memory
			"53300",                   // too_many_connections
			"57P01", "57P02", "57P03": // admin or crash shutdown, cannot connect now
			return true
		}
		return strings.HasPrefix(code, "08") // connection exception
	}
	var connect *pgconn.ConnectError
	var network net.Error
	return errors.As(err, &connect) || errors.As(err, &network) || pgconn.Timeout(err) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, driver.ErrBadConn) // a pooled connection PostgreSQL cut while it was idle
}

// health follows whether PostgreSQL answers, from the statements' own outcomes. It logs
// once when an outage starts and once when it ends, not once per refused request, and counts
// both for metrics.
type health struct {
	log      *slog.Logger
	down     atomic.Bool // read on every statement; downAt is written under mu
	mu       sync.Mutex
	downAt   time.Time
	refusals atomic.Int64
	outages  atomic.Int64
}

// check notes the outcome of a statement, and returns err, as errUnavailable when it means
// PostgreSQL could not serve it.
func (h *health) check(err error) error {
	switch {
	case err == nil:
		h.up()
		return nil
	case !unavailable(err):
		h.up() // PostgreSQL answered, with a refusal of its own
		return err
	}
	h.refusals.Add(1)
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.down.Load() {
		h.down.Store(true)
		h.downAt = time.Now()
		h.outages.Add(1)
		cause := err.Error()
		if errors.Is(err, errUnavailable) {
			cause = "a statement failed as unavailable"
		}
		h.log.Warn("PostgreSQL is not answering: requests that need it answer 503 until it does", "error", cause)
	}
	return errUnavailable
}

func (h *health) up() {
	if !h.down.Load() {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.down.Load() {
		h.down.Store(false)
		h.log.Info("PostgreSQL answers again", "outage", time.Since(h.downAt).Round(time.Millisecond).String())
	}
}

// Unavailable reports how many statements failed because PostgreSQL could not serve them,
// and how many outages there were, since the pool opened.
func (db *DB) Unavailable() (refusals, outages int64) {
	return db.health.refusals.Load(), db.health.outages.Load()
}
