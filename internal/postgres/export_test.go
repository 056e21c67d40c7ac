package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// ReadAlone runs query as find runs a read outside a transaction: pipelined with the scope
// row-level security reads, and nothing else. It returns the first column of every row.
func ReadAlone(ctx context.Context, db *DB, query string) ([]any, error) {
	var out []any
	err := db.pipelined(ctx, query, nil, func(rows pgx.Rows) error {
		for rows.Next() {
			values, err := rows.Values()
			if err != nil {
				return err
			}
			out = append(out, values[0])
		}
		return rows.Err()
	})
	return out, err
}

// ScanAlone runs query alone, as ReadAlone does, and scans its rows into M with scanAll,
// column i into the field at fields[i].
func ScanAlone[M any](ctx context.Context, db *DB, query string, fields [][]int) ([]M, error) {
	var out []M
	err := db.pipelined(ctx, query, nil, func(r pgx.Rows) (err error) {
		out, err = scanAll[M](&readPlan{fields: fields}, r, 0)
		return err
	})
	return out, err
}
