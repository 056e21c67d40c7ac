package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/p4w-nhs/p4w/internal/domain"
)

type idempotencyKey struct {
	Scope          string `gorm:"primaryKey"`
	Key            string `gorm:"primaryKey"`
	RequestHash    []byte
	Status         int
	ResponseHeader map[string][]string `gorm:"serializer:json"`
	ResponseBody   []byte
	ResourceID     *uuid.UUID
	CreatedAt      time.Time `gorm:"<-:false"`
}

func (idempotencyKey) TableName() string { return "idempotency_keys" }

// Idempotency stores the first answers to POSTs made with an Idempotency-Key.
type Idempotency struct{ db *DB }

// NewIdempotency returns the idempotency repository.
func NewIdempotency(db *DB) *Idempotency { return &Idempotency{db} }

// Lock takes the key for the rest of the context's transaction. It reports false, at once,
// when another transaction holds it: a first request with that key is still running.
func (r *Idempotency) Lock(ctx context.Context, scope, key string) (bool, error) {
	sum := sha256.Sum256([]byte(scope + "\x00" + key))
	var locked bool
	err := r.db.Query(ctx, func(rows pgx.Rows) (err error) {
		locked, err = pgx.CollectExactlyOneRow(rows, pgx.RowTo[bool])
		return err
	}, "SELECT pg_try_advisory_xact_lock($1)", int64(binary.BigEndian.Uint64(sum[:8])))
	return locked, translate(err, "idempotency lock")
}

// Find returns the stored reply for the key, or nil when there is none younger than maxAge.
func (r *Idempotency) Find(ctx context.Context, scope, key string, maxAge time.Duration) (*domain.IdempotentReply, error) {
	m, err := one[idempotencyKey](ctx, r.db, selectFrom[idempotencyKey]().
		and("scope = ? AND key = ? AND created_at > ?", scope, key, time.Now().Add(-maxAge)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, translate(err, "idempotency key")
	}
	out := &domain.IdempotentReply{Scope: m.Scope, Key: m.Key, RequestHash: m.RequestHash, Status: m.Status,
		Header: m.ResponseHeader, Body: m.ResponseBody}
	if m.ResourceID != nil {
		out.ResourceID = *m.ResourceID
	}
	return out, nil
}

// Save stores reply in the context's transaction, replacing an expired one.
func (r *Idempotency) Save(ctx context.Context, reply domain.IdempotentReply) error {
	m := idempotencyKey{Scope: reply.Scope, Key: reply.Key, RequestHash: reply.RequestHash, Status: reply.Status,
		ResponseHeader: reply.Header, ResponseBody: reply.Body}
	if reply.ResourceID != uuid.Nil {
		m.ResourceID = &reply.ResourceID
	}
	err := r.db.InTx(ctx, func(ctx context.Context) error {
		if _, err := r.db.Exec(ctx, `DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2`, m.Scope, m.Key); err != nil {
			return err
		}
		return r.db.orm(ctx).Create(&m).Error
	})
	return translate(err, "idempotency key")
}

// ForgetRecord discards stored replies that carried the record id, so that erasing a
// participant leaves no copy of their data behind.
func (r *Idempotency) ForgetRecord(ctx context.Context, id uuid.UUID) error {
	_, err := r.db.Exec(ctx, `DELETE FROM idempotency_keys WHERE resource_id = $1`, id)
	return translate(err, "idempotency keys")
}
