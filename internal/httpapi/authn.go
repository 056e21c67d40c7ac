package httpapi

import (
	"context"
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
			case len(h) > maxAuthorizationHeader || !strings.EqualFold(scheme, "Bearer") || token == "":
				err = domain.Errorf(domain.CodeUnauthenticated, "the Authorization header must be a bearer access token")
			default:
				var p domain.Principal
				p, err = accounts.Authenticate(ctx, token)
				if err == nil {
					ctx = domain.WithPrincipal(ctx, p)
				} else if domain.ErrorCode(err) != domain.CodeUnauthenticated {
					return err // the database is down: a 500, not the caller's fault
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
		return domain.Errorf(domain.CodeUnauthenticated, "this operation needs a bearer access token")
	}
	var missing []string
	for _, req := range reqs { // alternatives: one satisfied requirement is enough
		missing = missing[:0]
		for _, scopes := range req {
			for _, s := range scopes {
				if !p.HasScope(s) {
					missing = append(missing, s)
				}
			}
		}
		if len(missing) == 0 {
			return nil
		}
	}
	return domain.Errorf(domain.CodeForbidden, "this operation needs the %s scope", strings.Join(missing, " "))
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
