package httpapi

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"

	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/internal/service"
)

// maxAuthorizationHeader refuses oversized credentials before any parsing.
const maxAuthorizationHeader = 8 << 10

type authFailureKey struct{}

// authenticate attaches the principal of a valid bearer token to the request. A missing or bad
// token is not refused here: the operation's security requirement, read from openapi.yaml,
// decides whether it needed one.
func authenticate(accounts *service.Accounts) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h := c.Request().Header.Get(echo.HeaderAuthorization)
			scheme, token, _ := strings.Cut(h, " ")
			if h == "" || strings.EqualFold(scheme, "Basic") && c.Request().URL.Path == "/v1/auth/token" {
				c.SetRequest(c.Request().WithContext(context.WithValue(c.Request().Context(), basicAuthKey{}, c.Request())))
				return next(c)
			}
			ctx := c.Request().Context()
			var err error
			switch {
			case len(h) > maxAuthorizationHeader || strings.EqualFold(scheme, "Bearer") && token == "":
				err = &bearerChallenge{err: domain.Errorf(domain.CodeUnauthenticated, "the Authorization header must be a bearer access token"),
					code: "invalid_token"}
			case !strings.EqualFold(scheme, "Bearer"):
				// Another scheme is no bearer token at all: RFC 6750 §3.1 gives it no error code.
				err = &bearerChallenge{err: domain.Errorf(domain.CodeUnauthenticated, "the Authorization header must be a bearer access token")}
			default:
				var p domain.Principal
				p, err = accounts.Authenticate(ctx, token)
				if err == nil {
					ctx = domain.WithPrincipal(ctx, p)
				} else if domain.ErrorCode(err) != domain.CodeUnauthenticated {
					return err // the database is down: a 500, not the caller's fault
				} else {
					err = &bearerChallenge{err: err, code: "invalid_token"}
				}
			}
			if err != nil {
				ctx = context.WithValue(ctx, authFailureKey{}, err)
			}
			c.SetRequest(c.Request().WithContext(ctx))
			return next(c)
		}
	}
}

// checkSecurity enforces an operation's security requirements as openapi.yaml declares them:
// a principal, and the scopes listed for the operation.
func checkSecurity(ctx context.Context, doc *openapi3.T, op *openapi3.Operation) error {
	reqs := doc.Security
	if op.Security != nil {
		reqs = *op.Security
	}
	if len(reqs) == 0 {
		return nil // public
	}
	p, ok := domain.PrincipalFrom(ctx)
	if !ok {
		if err, failed := ctx.Value(authFailureKey{}).(error); failed {
			return err
		}
		return &bearerChallenge{err: domain.Errorf(domain.CodeUnauthenticated, "this operation needs a bearer access token")}
	}
	var missing, needed []string
	for _, req := range reqs { // alternatives: one satisfied requirement is enough
		missing, needed = missing[:0], needed[:0]
		for _, scopes := range req {
			for _, s := range scopes {
				needed = append(needed, s)
				if !p.HasScope(s) {
					missing = append(missing, s)
				}
			}
		}
		if len(missing) == 0 {
			return nil
		}
	}
	return &bearerChallenge{err: domain.Errorf(domain.CodeForbidden, "this operation needs the %s scope", strings.Join(missing, " ")),
		code: "insufficient_scope", scope: strings.Join(needed, " ")}
}

// bearerChallenge is the refusal of a protected operation, with the WWW-Authenticate
// challenge RFC 6750 §3 defines; it unwraps to the domain error the problem is made of.
type bearerChallenge struct {
	err   error
	code  string // "" when no token was presented; invalid_token or insufficient_scope
	scope string // with insufficient_scope: the scopes the operation needs
}

func (e *bearerChallenge) Error() string { return e.err.Error() }
func (e *bearerChallenge) Unwrap() error { return e.err }

// header is the WWW-Authenticate value. Its quoted values come from the server, never the
// request, and hold no '"' or ”, as RFC 6750 §3 requires.
func (e *bearerChallenge) header() string {
	h := `Bearer realm="p4w"`
	switch e.code {
	case "invalid_token":
		desc := "the access token is not valid"
		var de *domain.Error
		if errors.As(e.err, &de) {
			desc = de.Message
		}
		h += `, error="invalid_token", error_description="` + oauthText(desc) + `"`
	case "insufficient_scope":
		h += `, error="insufficient_scope", scope="` + oauthText(e.scope) + `"`
	}
	return h
}

type basicAuthKey struct{}

// basicAuth returns HTTP Basic client credentials, which OAuth 2 clients may send instead of
// form fields.
func basicAuth(ctx context.Context) (id, secret string, ok bool) {
	r, _ := ctx.Value(basicAuthKey{}).(*http.Request)
	if r == nil {
		return "", "", false
	}
	id, secret, ok = r.BasicAuth()
	if ok {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	}
	return id, secret, ok
}
