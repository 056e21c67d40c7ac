// Package httpapi serves p4w's HTTP API: it implements the strict server generated from
// openapi.yaml, maps between the contract's types and the domain's, and owns the conventions
// every operation shares (errors, validation, idempotency, request ids, metrics).
package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/apidocs"
	"github.com/p4w-nhs/p4w/internal/service"
)

// Config holds the HTTP layer's settings.
type Config struct {
	CORSOrigins    []string      // origins allowed to call the API from a browser; none when empty
	BodyLimit      int64         // bytes; larger bodies answer 413
	IdempotencyTTL time.Duration // how long an Idempotency-Key is remembered
	// TokenRatePerMinute limits requests to the token endpoints per client address.
	TokenRatePerMinute int
	// PublicRatePerMinute limits requests to the public Open Referral endpoints per client address.
	PublicRatePerMinute int
	// TrustProxyHeaders takes the client address from X-Forwarded-For, for a server behind a
	// load balancer that sets it; otherwise the connection's address counts.
	TrustProxyHeaders bool
	// RequestTimeout bounds each request's work: past it the database calls are cancelled and
	// the request answers 503. Zero: no bound.
	RequestTimeout time.Duration
	// ImportMaxBytes limits the file of one import (POST /v1/imports), which BodyLimit and
	// RequestTimeout do not: a large file is streamed, and may take long to upload.
	ImportMaxBytes int64
}

// Deps are the services and stores the HTTP layer calls.
type Deps struct {
	Log           *slog.Logger
	DB            Database // readiness and pool metrics
	Tx            Transactor
	Snapshots     Snapshotter // the one read of each CSV export
	Idempotency   IdempotencyStore
	Organisations *service.Organisations
	Programmes    *service.Programmes
	Participants  *service.Participants
	Accounts      *service.Accounts
	Audit         *service.AuditTrail
	Changes       *service.Changes
	Cohorts       *service.Cohorts
	Enrolments    *service.Enrolments
	Placements    *service.Placements
	Outcomes      *service.Outcomes
	Mentors       *service.Mentors
	Matches       *service.Matches
	Vacancies     *service.Vacancies
	Interviews    *service.Interviews
	Timeline      *service.Timeline
	Imports       *service.Imports
	FundingAwards *service.FundingAwards
	Reports       *service.Reports
	CaseStudies   *service.CaseStudies
	Guidance      *service.Guidance
	Directory     *service.PublicDirectory // the public directories' reads, for anyone
	Opportunities *service.Opportunities   // the public Open Referral UK reading
	Webhooks      *service.Webhooks        // webhook subscriptions and their delivery log
	JWKS          []byte                   // the public keys, as GET /.well-known/jwks.json serves them
	Drain         *Drain                   // flipped on shutdown; nil: the server never drains
}

// Drain tells readiness that the server is shutting down: from Start on, /readyz answers 503
// so that a load balancer sends no new requests, while those already sent are still served.
type Drain struct{ draining atomic.Bool }

// Start begins draining.
func (d *Drain) Start() { d.draining.Store(true) }

// Draining reports whether Start was called.
func (d *Drain) Draining() bool { return d != nil && d.draining.Load() }

// Server implements api.StrictServerInterface.
type Server struct {
	Deps
}

var _ api.StrictServerInterface = (*Server)(nil)

// New builds the Echo instance that serves the whole API.
func New(cfg Config, deps Deps) (*echo.Echo, error) {
	spec, err := loadSpec()
	if err != nil {
		return nil, err
	}
	specYAML := api.Spec
	v, err := newValidator(spec)
	if err != nil {
		return nil, err
	}
	docs, err := apidocs.Handler()
	if err != nil {
		return nil, fmt.Errorf("API docs: %w", err)
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		newPoolCollector(deps.DB))
	m := newMetrics(reg)

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = errorHandler(deps.Log)
	e.IPExtractor = echo.ExtractIPDirect()
	if cfg.TrustProxyHeaders {
		e.IPExtractor = echo.ExtractIPFromXFFHeader()
	}
	e.Use(withRequestID, accessLog(deps.Log), m.middleware, recoverPanics(deps.Log), securityHeaders, deadline(cfg.RequestTimeout, func(c echo.Context) bool { return isImportUpload(c) || isExport(c) }),
		boundExports(cfg.RequestTimeout), limitHeaders)
	if len(cfg.CORSOrigins) > 0 {
		e.Use(middleware.CORSWithConfig(middleware.CORSConfig{
			Skipper:          isOpenReferral, // open to every origin (openreferral.go)
			AllowOrigins:     cfg.CORSOrigins,
			AllowMethods:     []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete},
			AllowHeaders:     []string{"Authorization", "Content-Type", "If-Match", "Idempotency-Key", headerRequestID},
			ExposeHeaders:    []string{"ETag", "Location", headerRequestID, "Idempotent-Replayed", "Retry-After"},
			AllowCredentials: false, // bearer tokens, never cookies
			MaxAge:           600,
		}))
	}
	// After CORS, so that the public directories answer every origin whatever CORSOrigins says.
	e.Use(publicAccess(cfg.PublicRatePerMinute, 20))
	e.Use(perAddress(cfg.TokenRatePerMinute, 10), middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{
		Limit: fmt.Sprintf("%dB", cfg.BodyLimit), Skipper: isImportUpload}), limitImport(cfg.ImportMaxBytes),
		authenticate(deps.Accounts), negotiate)

	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{})))
	e.GET("/openapi.yaml", func(c echo.Context) error { return c.Blob(http.StatusOK, "application/yaml", specYAML) })
	e.GET(apidocs.Path, echo.WrapHandler(docs))
	e.GET(apidocs.Path+"/assets/:name", echo.WrapHandler(docs))
	mountOpenReferral(e, deps.Opportunities, cfg.PublicRatePerMinute)
	api.RegisterHandlersWithOptions(e, api.NewStrictHandler(&Server{deps}, nil), api.RegisterHandlersOptions{
		OperationMiddlewares: v.operations(idempotency(deps.Tx, deps.Idempotency, cfg.IdempotencyTTL)),
	})
	return e, nil
}

// recoverPanics turns a panic into a logged 500, never a dropped connection.
func recoverPanics(log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) (err error) {
			defer func() {
				if r := recover(); r != nil {
					if r == http.ErrAbortHandler {
						panic(r)
					}
					err = fmt.Errorf("panic: %v", r)
				}
			}()
			return next(c)
		}
	}
}

// GetHealth answers while the process runs.
func (s *Server) GetHealth(context.Context, api.GetHealthRequestObject) (api.GetHealthResponseObject, error) {
	return api.GetHealth200JSONResponse{Status: api.Ok}, nil
}

// GetReadiness answers when the database does, and until the server starts draining. (The
// database pool logs an outage once; a probe every few seconds does not log it again.)
func (s *Server) GetReadiness(ctx context.Context, _ api.GetReadinessRequestObject) (api.GetReadinessResponseObject, error) {
	if s.Drain.Draining() {
		return nil, &requestError{status: http.StatusServiceUnavailable, detail: "the server is shutting down"}
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := s.DB.Ping(ctx); err != nil {
		return nil, &requestError{status: http.StatusServiceUnavailable, detail: "the database does not answer"}
	}
	return api.GetReadiness200JSONResponse{Status: api.Ok}, nil
}
