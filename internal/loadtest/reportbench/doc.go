// Package reportbench holds the report benchmark of `make bench-reports`: a national data set
// generated with set-based SQL (200 trusts in the seven regions and two collaborations, four
// financial years of cohorts under funding awards, BENCHENROLMENTS enrolments with their
// participants, outcomes, placements, mentoring matches and check-ins), then every funder
// report asked of a p4w server running as a process of its own, N times each, beside a
// hand-written SQL query computing the same figures from the raw rows straight from PostgreSQL.
// The hand query is both the yardstick (p4w's median within 1.5 times its median) and an
// independent check of the figures: the benchmark fails when the two disagree.
package reportbench
