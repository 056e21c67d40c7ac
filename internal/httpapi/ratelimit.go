package httpapi

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/time/rate"
)

// throttled is the 429 answer with the Retry-After a client should honour.
func throttled(after time.Duration) error {
	return &retryAfterError{after: after}
}

type retryAfterError struct{ after time.Duration }

func (e *retryAfterError) Error() string { return "too many requests" }

func (e *retryAfterError) seconds() string {
	return strconv.Itoa(max(1, int(math.Ceil(e.after.Seconds()))))
}

// perAddress limits the token endpoints per client address. Each replica counts on its own:
// with N replicas an address gets up to N times the rate, which still stops a brute force,
// and per-account throttling in the database is shared by all of them.
func perAddress(perMinute int, burst int) echo.MiddlewareFunc {
	return limitPerAddress(perMinute, burst, func(c echo.Context) bool {
		p := c.Request().URL.Path
		return c.Request().Method != http.MethodPost || (p != "/v1/auth/token" && p != "/v1/auth/revoke")
	})
}

// limitPerAddress limits the requests skip lets through to perMinute per client address,
// after a burst; past it they answer 429 with Retry-After.
func limitPerAddress(perMinute int, burst int, skip middleware.Skipper) echo.MiddlewareFunc {
	store := middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
		Rate: rate.Limit(float64(perMinute) / 60), Burst: burst, ExpiresIn: 10 * time.Minute,
	})
	interval := time.Duration(float64(time.Minute) / float64(perMinute))
	return middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
		Skipper:             skip,
		Store:               store,
		IdentifierExtractor: func(c echo.Context) (string, error) { return c.RealIP(), nil },
		ErrorHandler:        func(c echo.Context, err error) error { return err },
		DenyHandler: func(c echo.Context, _ string, _ error) error {
			return throttled(interval)
		},
	})
}
