package client

import "time"

// SetClock makes s read the time from now instead of time.Now, for tests of expiry.
func SetClock(s *ClientCredentialsSource, now func() time.Time) { s.now = now }
