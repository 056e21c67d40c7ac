package postgres

import (
	"context"
	"fmt"
	"time"
)

// Housekeep deletes what has outlived its use: stored idempotent replies older than
// idempotencyTTL, refresh tokens a day past expiry, and sign-in failures a day old and no
// longer blocking. The housekeeping job of internal/jobs runs it once per period across the
// replicas (the deletes are idempotent all the same). ctx must carry a principal of every
// organisation (the system), so that row-level security shows it all.
func Housekeep(ctx context.Context, db *DB, idempotencyTTL time.Duration) (deleted int64, err error) {
	now := time.Now()
	dayAgo := now.Add(-24 * time.Hour)
	deletes := []struct {
		sql  string
		args []any
	}{
		{`DELETE FROM idempotency_keys WHERE created_at < $1`, []any{now.Add(-idempotencyTTL)}},
		{`DELETE FROM refresh_tokens WHERE expires_at < $1`, []any{dayAgo}},
		{`DELETE FROM sign_in_throttle WHERE updated_at < $1 AND (blocked_until IS NULL OR blocked_until < $2)`, []any{dayAgo, now}},
	}
	err = db.InTx(ctx, func(ctx context.Context) error {
		for _, d := range deletes {
			tag, err := db.Exec(ctx, d.sql, d.args...)
			if err != nil {
				return fmt.Errorf("housekeeping: %w", err)
			}
			deleted += tag.RowsAffected()
		}
		return nil
	})
	return deleted, err
}
