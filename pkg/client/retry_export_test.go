package client

import (
	"context"
	"time"
)

// FakeWaits makes p call sleep instead of waiting, and read Retry-After dates against now, so
// that tests of long waits are quick and exact.
func FakeWaits(p RetryPolicy, sleep func(ctx context.Context, d time.Duration) error, now func() time.Time) RetryPolicy {
	p.sleep, p.now = sleep, now
	return p
}
