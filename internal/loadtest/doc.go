// Package loadtest holds the load benchmarks of `make bench`: p4w's authenticated participant
// reads against a database of 100,000 participants, side by side with a minimal net/http + pgx
// handler serving the same queries, the baseline p4w is measured against.
package loadtest
