package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"time"

	"gorm.io/gorm"

	"github.com/p4w-nhs/p4w/internal/domain"
)

type idempotencyKey struct {
	Scope          string `gorm:"primaryKey"`
	Key            string `gorm:"primaryKey"`
	RequestHash    []byte
	Status         int
	ResponseHeader map[string][]string `gorm:"serializer:json"`
	ResponseBody   []byte
	ResourcePath   *string
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
	err := r.db.conn(ctx).Raw("SELECT pg_try_advisory_xact_lock(?)", int64(binary.BigEndian.Uint64(sum[:8]))).Scan(&locked).Error
	return locked, translate(err, "idempotency lock")
}

// Find returns the stored reply for the key, or nil when there is none younger than maxAge.
func (r *Idempotency) Find(ctx context.Context, scope, key string, maxAge time.Duration) (*domain.IdempotentReply, error) {
	var m idempotencyKey
	err := r.db.conn(ctx).Take(&m, "scope = ? AND key = ? AND created_at > ?", scope, key, time.Now().Add(-maxAge)).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, translate(err, "idempotency key")
	}
	out := &domain.IdempotentReply{Scope: m.Scope, Key: m.Key, RequestHash: m.RequestHash, Status: m.Status,
		Header: m.ResponseHeader, Body: m.ResponseBody}
	if m.ResourcePath != nil {
		out.ResourcePath = *m.ResourcePath
	}
	return out, nil
}

// Save stores reply in the context's transaction, replacing an expired one.
func (r *Idempotency) Save(ctx context.Context, reply domain.IdempotentReply) error {
	m := idempotencyKey{Scope: reply.Scope, Key: reply.Key, RequestHash: reply.RequestHash, Status: reply.Status,
		ResponseHeader: reply.Header, ResponseBody: reply.Body}
	if reply.ResourcePath != "" {
		m.ResourcePath = &reply.ResourcePath
	}
	err := r.db.conn(ctx).Exec(`DELETE FROM idempotency_keys WHERE scope = ? AND key = ?`, m.Scope, m.Key).Error
	if err == nil {
		err = r.db.conn(ctx).Create(&m).Error
	}
	return translate(err, "idempotency key")
}

// ForgetResource discards stored replies that carried the record at path, so that erasing a
// participant leaves no copy of their data behind.
func (r *Idempotency) ForgetResource(ctx context.Context, path string) error {
	return translate(r.db.conn(ctx).Exec(`DELETE FROM idempotency_keys WHERE resource_path = ?`, path).Error, "idempotency keys")
}
