// Package webhookbench holds the webhook benchmark of `make bench-webhooks`: what one
// subscription to every event costs the write path (against the same writes with the
// subscription paused, and with the outbox's trigger disabled), and how fast deliveries reach
// a local receiver (messages a second, and the lag from commit to arrival at the median and
// 99th percentile), on p4w and its job runner in the benchmark's own process.
package webhookbench
