package httpapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// problem is an RFC 9457 problem details document, the one shape of every error p4w sends.
type problem struct {
	Type      string       `json:"type"`
	Title     string       `json:"title"`
	Status    int          `json:"status"`
	Detail    string       `json:"detail,omitempty"`
	RequestID string       `json:"request_id,omitempty"`
	Errors    []fieldError `json:"errors,omitempty"`
}

type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// statusOf is the one table from domain error codes to HTTP statuses.
var statusOf = map[domain.Code]int{
	domain.CodeInvalid:            http.StatusUnprocessableEntity,
	domain.CodeNotFound:           http.StatusNotFound,
	domain.CodeConflict:           http.StatusConflict,
	domain.CodePreconditionFailed: http.StatusPreconditionFailed,
	domain.CodeUnauthenticated:    http.StatusUnauthorized,
	domain.CodeForbidden:          http.StatusForbidden,
	domain.CodeRateLimited:        http.StatusTooManyRequests,
	domain.CodeUnavailable:        http.StatusServiceUnavailable,
}

// requestError is input that breaks the contract (openapi.yaml) before any handler runs.
type requestError struct {
	status int
	detail string
	fields []fieldError
}

func (e *requestError) Error() string { return e.detail }

// errorHandler turns every error (domain, contract, Echo's own, or a bug) into problem+json.
// Internal errors are logged with the request id and never shown.
func errorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		p := toProblem(err)
		if p.Status == http.StatusInternalServerError {
			log.ErrorContext(c.Request().Context(), "internal error", "error", err.Error(),
				"request_id", requestID(c), "route", c.Path())
		}
		if isOAuthEndpoint(c.Request()) { // OAuth 2 clients read OAuth 2 errors only
			writeOAuth(c, oauthOf(err, p, c.Request().URL.Path))
			return
		}
		p.RequestID = requestID(c)
		var ra *retryAfterError
		switch {
		case errors.As(err, &ra):
			c.Response().Header().Set("Retry-After", ra.seconds())
		case p.Status == http.StatusServiceUnavailable:
			// The database is down, saturated or slow; the pool reconnects on its own. Each
			// refusal is counted in metrics and an outage logged once, not per request.
			c.Response().Header().Set("Retry-After", unavailableRetryAfter)
		}
		var bc *bearerChallenge
		switch {
		case errors.As(err, &bc):
			c.Response().Header().Set("WWW-Authenticate", bc.header())
		case p.Status == http.StatusUnauthorized: // no token was checked: no error code
			c.Response().Header().Set("WWW-Authenticate", (&bearerChallenge{}).header())
		}
		writeProblem(c, p)
	}
}

// unavailableRetryAfter is how many seconds a client should wait before retrying a request
// that answered 503: long enough for a restarted PostgreSQL or a freed pool, short enough
// that a person retrying does not notice.
const unavailableRetryAfter = "5"

func toProblem(err error) problem {
	var (
		de *domain.Error
		re *requestError
		he *echo.HTTPError
		mb *http.MaxBytesError
		ra *retryAfterError
	)
	switch {
	case errors.As(err, &ra):
		return newProblem(http.StatusTooManyRequests, "", "too many attempts; retry after "+ra.seconds()+" seconds")
	case errors.As(err, &de):
		status, ok := statusOf[de.Code]
		if !ok {
			status = http.StatusInternalServerError
		}
		p := newProblem(status, string(de.Code), de.Message)
		for _, f := range de.Fields {
			p.Errors = append(p.Errors, fieldError(f))
		}
		return p
	case errors.As(err, &re):
		p := newProblem(re.status, "", re.detail)
		p.Errors = re.fields
		return p
	case errors.As(err, &mb):
		return newProblem(http.StatusRequestEntityTooLarge, "", "the request body is too large")
	case errors.As(err, &he):
		if he.Code == http.StatusRequestEntityTooLarge {
			return newProblem(he.Code, "", "the request body is too large")
		}
		if he.Code >= 500 {
			return newProblem(http.StatusInternalServerError, "", "")
		}
		detail, _ := he.Message.(string)
		return newProblem(he.Code, "", detail)
	}
	return newProblem(http.StatusInternalServerError, "", "")
}

func newProblem(status int, code, detail string) problem {
	if code == "" {
		code = problemCodes[status]
	}
	if code == "" {
		code = fallbackProblemCode
	}
	return problem{Type: "/problems/" + code, Title: http.StatusText(status), Status: status, Detail: detail}
}

// problemCodes names problems that have no domain code.
var problemCodes = map[int]string{
	http.StatusBadRequest:                  "bad_request",
	http.StatusUnauthorized:                "unauthenticated",
	http.StatusForbidden:                   "forbidden",
	http.StatusNotFound:                    "not_found",
	http.StatusMethodNotAllowed:            "method_not_allowed",
	http.StatusConflict:                    "conflict",
	http.StatusRequestEntityTooLarge:       "too_large",
	http.StatusUnsupportedMediaType:        "unsupported_media_type",
	http.StatusUnprocessableEntity:         "invalid",
	http.StatusTooManyRequests:             "rate_limited",
	http.StatusRequestHeaderFieldsTooLarge: "headers_too_large",
	http.StatusInternalServerError:         "internal",
	http.StatusServiceUnavailable:          "unavailable",
}

// fallbackProblemCode is the type of an error whose status has no code of its own.
const fallbackProblemCode = "error"

// ProblemTypes is every problem type the server can send: those of the domain's codes, those of
// statuses without one, and the fallback. The contract lists and explains each (Problem.type).
func ProblemTypes() []string {
	types := map[string]bool{"/problems/" + fallbackProblemCode: true}
	for code := range statusOf {
		types["/problems/"+string(code)] = true
	}
	for _, code := range problemCodes {
		types["/problems/"+code] = true
	}
	return slices.Sorted(maps.Keys(types))
}

func writeProblem(c echo.Context, p problem) {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "application/problem+json")
	h.Del("ETag")
	h.Del("Location")
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(p.Status)
		return
	}
	c.Response().WriteHeader(p.Status)
	_ = json.NewEncoder(c.Response()).Encode(p)
}
