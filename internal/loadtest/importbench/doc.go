// Package importbench holds the import benchmark of `make bench-import`: a generated CSV of
// participants imported through the API by the real server binary, running as a process of its
// own so that its resident memory can be watched, then imported again in upsert mode, beside
// psql's \copy of the same file into a bare table with the participants table's columns and
// indexes: the limit an import is measured against.
package importbench
