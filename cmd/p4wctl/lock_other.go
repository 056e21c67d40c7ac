//go:build !unix

package main

// lockConfig does not lock where flock is missing: p4wctl processes refreshing at the same
// moment may then spend one refresh token twice, and the second must sign in again.
func lockConfig(string) (func(), error) { return func() {}, nil }
