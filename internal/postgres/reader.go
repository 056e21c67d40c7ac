package postgres

import (
	"context"
	"fmt"
	"time"
)

// Long reads and the read replica.
//
// A long read is a read that may take a while and that no client expects to see its own
// latest writes in: the audit trail, CSV exports (in one transaction: Snapshot), and funder
// reports next. Each runs through DB.Read, which sends it to the streaming replica attached with ReadFrom
// (P4W_READ_DATABASE_URL), so that it does not take the primary's connections and CPU from the
// writes. A replica replays the primary's changes a moment late, so a read there may miss a
// write just made. That is why the reads a client expects its own writes in stay on the
// primary and never go through Read: a record fetched by id after writing it, the lists a
// front end refreshes after a change, everything a use case reads before it writes.
//
// Inside Read every statement of the seam (Query, Exec, SendBatch, InTx, and so every store's
// Get and List, whichever DB the store was built on) runs on the replica, read-only, as
// p4w_api with the caller's reach set by set_config for its transaction: row-level security
// holds there exactly as on the primary, and a hot standby allows both settings in its
// read-only transactions. Without a replica, Read runs on the primary, read-only too, so that
// a long read that writes fails in development as it would against a replica. A transaction
// opened inside Read (InTx) is REPEATABLE READ: a report of several queries adds up, seeing
// one snapshot.
//
// When the replica cannot serve a read (down, refusing, past a bound: what unavailable
// classifies), Read runs it again on the primary, once, and counts it (ReplicaFallbacks),
// rather than answering 503. While the replica stays down, one long read every replicaRetry
// tries it again and the others go straight to the primary (counted too). Readiness pings the
// primary only: a replica down costs the primary some load, not the service.

// readKey marks a context whose statements are a long read's; its value is the DB they run on.
type readKey struct{}

// ReadFrom sends db's long reads (Read) to replica, a pool opened with OpenReplica, or back to
// db itself when replica is nil. It may be called while db serves.
func (db *DB) ReadFrom(replica *DB) { db.replica.Store(replica) }

// Read runs fn as a long read: its statements go to the read replica when one is attached,
// read-only, and to the primary when there is none or when the replica turns out unavailable
// (fn then runs a second time). Within a transaction already, fn runs in it; within a long
// read already, on the same database.
func (db *DB) Read(ctx context.Context, fn func(ctx context.Context) error) error {
	if _, ok := txFrom(ctx); ok {
		return fn(ctx)
	}
	if _, ok := ctx.Value(readKey{}).(*DB); ok {
		return fn(ctx)
	}
	replica := db.replica.Load()
	if replica == nil {
		return fn(context.WithValue(ctx, readKey{}, db))
	}
	if replica.health.down.Load() && !db.probe() {
		db.fallbacks.Add(1)
		return fn(context.WithValue(ctx, readKey{}, db))
	}
	err := fn(context.WithValue(ctx, readKey{}, replica))
	if err == nil || !unavailable(err) || ctx.Err() != nil {
		return err // a refusal of the read itself, or the request's time is up: the primary would not do better
	}
	db.fallbacks.Add(1)
	return fn(context.WithValue(ctx, readKey{}, db))
}

// Snapshot runs fn as a long read (Read) in one transaction (InTx): every statement fn makes
// with its context, however many and however far apart, sees the database as it was at one
// instant, on the replica when there is one. The transaction is REPEATABLE READ and READ ONLY,
// as p4w_api with the caller's reach, as every transaction of the seam is. It is for a read of
// many pages that must add up, a CSV export say, and should read nothing a client waits on.
//
// What a long snapshot costs, as long as fn runs (an export's: as long as its client takes to
// download the file). It writes nothing, so it takes no row locks and blocks no write; it holds
// ACCESS SHARE locks on the tables it has read, which conflict only with ACCESS EXCLUSIVE ones
// (ALTER TABLE, DROP, TRUNCATE, VACUUM FULL): a migration waits for it. On the primary it holds
// back VACUUM's horizon, so the rows changed meanwhile stay until it ends. On a hot standby,
// replaying a change that removes rows it may still see cancels it after
// max_standby_streaming_delay, unless hot_standby_feedback is on (which moves the first cost to
// the primary). The connection is the pool's for as long: size P4W_DB_MAX_CONNS for it.
//
// As with Read, fn runs a second time on the primary when the replica could not serve it: fn
// must have sent nothing anywhere when it returns an error. Within a transaction already, fn
// runs in it.
func (db *DB) Snapshot(ctx context.Context, fn func(ctx context.Context) error) error {
	return db.Read(ctx, func(ctx context.Context) error { return db.InTx(ctx, fn) })
}

// replicaRetry is how often a long read tries a replica that was down: the others go straight
// to the primary meanwhile, rather than each waiting first for a connection that will not open
// (up to the connect timeout when the replica's host does not answer).
const replicaRetry = 2 * time.Second

// probe tells whether this long read is the one to try the replica that was down.
func (db *DB) probe() bool {
	now, last := time.Now().UnixNano(), db.probed.Load()
	return now-last >= int64(replicaRetry) && db.probed.CompareAndSwap(last, now)
}

// ReplicaFallbacks counts the long reads the replica could not serve, which the primary
// answered instead, since db opened.
func (db *DB) ReplicaFallbacks() int64 { return db.fallbacks.Load() }

// routed is the database a statement of ctx runs on, and whether it is a long read's: the one
// Read chose, or db.
func (db *DB) routed(ctx context.Context) (*DB, bool) {
	if r, ok := ctx.Value(readKey{}).(*DB); ok {
		return r, true
	}
	return db, false
}

// OpenReplica opens a pool on a read replica, with the primary's options, for ReadFrom. It is
// never migrated: a standby replays the primary's schema. Unlike Open it does not fail when
// the replica does not answer (it notes an outage): the long reads go to the primary until it
// does, and a replica down must not keep the API from starting. Errors: a malformed URL.
func OpenReplica(ctx context.Context, url string, opts PoolOptions) (*DB, error) {
	db, err := open(ctx, url, opts)
	if err != nil {
		return nil, fmt.Errorf("open read replica: %w", err)
	}
	_ = db.Ping(ctx) // logs the outage now, rather than at the first long read
	return db, nil
}
