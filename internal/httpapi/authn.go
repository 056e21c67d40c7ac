package httpapi

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"

	"github.com/p4w-nhs/p4w/api"
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
			if h == "" {
				return next(c)
			}
			ctx := c.Request().Context()
			token, ok := strings.CutPrefix(h, "Bearer ")
			var err error
			switch {
			case len(h) > maxAuthorizationHeader || !ok || token == "":
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

// IssueToken is the OAuth 2 token endpoint.
func (s *Server) IssueToken(ctx context.Context, r api.IssueTokenRequestObject) (api.IssueTokenResponseObject, error) {
	var req api.TokenRequest
	switch {
	case r.JSONBody != nil:
		req = *r.JSONBody
	case r.FormdataBody != nil:
		req = *r.FormdataBody
	}
	oauthErr := func(code api.OAuthErrorError, desc string) api.IssueTokenResponseObject {
		return api.IssueToken400JSONResponse{Error: code, ErrorDescription: &desc}
	}
	switch req.GrantType {
	case api.Password:
		if req.Username == nil || req.Password == nil {
			return oauthErr(api.InvalidRequest, "username and password are required"), nil
		}
		out, err := s.Accounts.SignIn(ctx, *req.Username, *req.Password)
		if domain.ErrorCode(err) == domain.CodeUnauthenticated {
			return oauthErr(api.InvalidGrant, "the email or password is wrong"), nil
		}
		if err != nil {
			return nil, err
		}
		noStore := "no-store"
		return api.IssueToken200JSONResponse{
			Body:    api.TokenResponse{AccessToken: out.AccessToken, TokenType: api.Bearer, ExpiresIn: out.ExpiresIn, Scope: out.Scope},
			Headers: api.IssueToken200ResponseHeaders{CacheControl: &noStore},
		}, nil
	default:
		return oauthErr(api.UnsupportedGrantType, "this server does not support the "+string(req.GrantType)+" grant yet"), nil
	}
}

// GetJWKS publishes the public keys that verify access tokens.
func (s *Server) GetJWKS(context.Context, api.GetJWKSRequestObject) (api.GetJWKSResponseObject, error) {
	var out api.GetJWKS200JSONResponse
	if err := json.Unmarshal(s.JWKS, &out); err != nil {
		return nil, err
	}
	return out, nil
}
