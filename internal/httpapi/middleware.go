package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/p4w-nhs/p4w/internal/domain"
)

const headerRequestID = "X-Request-ID"

var safeRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

// withRequestID keeps a caller's well-formed X-Request-ID or makes one, and puts it on the
// response and in the context for logs and audit events.
func withRequestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Request().Header.Get(headerRequestID)
		if !safeRequestID.MatchString(id) {
			id = uuid.Must(uuid.NewV7()).String()
		}
		c.Response().Header().Set(headerRequestID, id)
		c.SetRequest(c.Request().WithContext(domain.WithRequestID(c.Request().Context(), id)))
		return next(c)
	}
}

// deadline bounds the work of each request: the database calls it makes are cancelled when
// it passes, and answer 503. Requests exempt (an import's upload, which streams a large file
// for as long as the client takes to send it) have no deadline.
func deadline(d time.Duration, exempt func(echo.Context) bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		if d <= 0 {
			return next
		}
		return func(c echo.Context) error {
			if exempt(c) {
				return next(c)
			}
			ctx, cancel := context.WithTimeout(c.Request().Context(), d)
			defer cancel()
			c.SetRequest(c.Request().WithContext(ctx))
			return next(c)
		}
	}
}

// MaxHeaderBytes is the most a request's header block (its request line and header fields)
// may hold. http.Server's own MaxHeaderBytes must be larger: Go answers a block over that
// limit itself, in plain text, before any handler runs; limitHeaders answers the rest.
const MaxHeaderBytes = 64 << 10

// limitHeaders refuses a header block over MaxHeaderBytes with 431, as problem+json.
func limitHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		// As sent: "METHOD URI PROTO\r\n", then "Name: value\r\n" for each field, Host among them.
		size := len(req.Method) + len(req.RequestURI) + len(req.Proto) + 4 + len("Host: \r\n") + len(req.Host)
		for name, values := range req.Header {
			for _, v := range values {
				size += len(name) + len(v) + 4
			}
		}
		if size > MaxHeaderBytes {
			return &requestError{status: http.StatusRequestHeaderFieldsTooLarge,
				detail: fmt.Sprintf("the request's header fields are larger than %d bytes", MaxHeaderBytes)}
		}
		return next(c)
	}
}

func requestID(c echo.Context) string {
	return domain.RequestIDFrom(c.Request().Context())
}

// securityHeaders: no MIME sniffing anywhere, and no caching of API answers, which may carry
// personal data.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Content-Type-Options", "nosniff")
		if strings.HasPrefix(c.Request().URL.Path, "/v1/") {
			h.Set("Cache-Control", "no-store")
		}
		return next(c)
	}
}

// routeOf is the route template of a request, never its URL, which may hold personal data
// (a name searched for) and would make metrics unbounded.
func routeOf(c echo.Context) string {
	if p := c.Path(); p != "" && c.Response().Status != http.StatusNotFound {
		return p
	}
	return "unmatched"
}

// accessLog writes one JSON line a request: no query string, no body, no personal data.
func accessLog(log *slog.Logger) echo.MiddlewareFunc {
	h := log.Handler()
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			if err != nil {
				c.Error(err)
			}
			ctx := c.Request().Context()
			if !h.Enabled(ctx, slog.LevelInfo) {
				return nil
			}
			// Straight to the handler: a Logger would also look up its caller, for a source
			// attribute this line never shows.
			r := slog.NewRecord(time.Now(), slog.LevelInfo, "request", 0)
			r.AddAttrs(
				slog.String("method", c.Request().Method),
				slog.String("route", routeOf(c)),
				slog.Int("status", c.Response().Status),
				slog.Int64("bytes", c.Response().Size),
				slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
				slog.String("request_id", requestID(c)),
			)
			_ = h.Handle(ctx, r)
			return nil
		}
	}
}

// metrics counts requests by route and status and times them.
type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "p4w_http_requests_total", Help: "HTTP requests by method, route and status.",
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "p4w_http_request_duration_seconds", Help: "HTTP request latency by method and route.",
			Buckets: []float64{.002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"method", "route"}),
	}
	reg.MustRegister(m.requests, m.latency)
	return m
}

func (m *metrics) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		route := routeOf(c)
		m.requests.WithLabelValues(c.Request().Method, route, strconv.Itoa(c.Response().Status)).Inc()
		m.latency.WithLabelValues(c.Request().Method, route).Observe(time.Since(start).Seconds())
		return nil
	}
}
