package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// ScanAll runs query through the seam and scans its rows with scan, column i into the i-th
// column field of M as GORM maps it.
func ScanAll[M any](ctx context.Context, db *DB, query string) ([]M, error) {
	var out []M
	err := db.Query(ctx, func(r pgx.Rows) (err error) {
		out, err = scan[M](r, 0)
		return err
	}, query)
	return out, err
}
