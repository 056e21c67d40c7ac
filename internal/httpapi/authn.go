package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
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

// IssueToken is the OAuth 2 token endpoint.
func (s *Server) IssueToken(ctx context.Context, r api.IssueTokenRequestObject) (api.IssueTokenResponseObject, error) {
	var req api.TokenRequest
	switch {
	case r.JSONBody != nil:
		req = *r.JSONBody
	case r.FormdataBody != nil:
		req = *r.FormdataBody
	}
	var (
		out       service.SignedIn
		err       error
		usedBasic bool // the client authenticated with HTTP Basic, and a refusal must say so
	)
	switch req.GrantType {
	case api.Password:
		if req.Username == nil || req.Password == nil {
			return oauthError(api.InvalidRequest, "username and password are required"), nil
		}
		out, err = s.Accounts.SignIn(ctx, *req.Username, *req.Password)
	case api.RefreshToken:
		if req.RefreshToken == nil {
			return oauthError(api.InvalidRequest, "refresh_token is required"), nil
		}
		out, err = s.Accounts.Refresh(ctx, *req.RefreshToken)
	case api.ClientCredentials:
		id, secret := ptrValue(req.ClientId), ptrValue(req.ClientSecret)
		var basicID, basicSecret string
		if basicID, basicSecret, usedBasic = basicAuth(ctx); usedBasic {
			id, secret = basicID, basicSecret
		}
		if id == "" || secret == "" {
			return invalidClient("client_id and client_secret are required", usedBasic), nil
		}
		out, err = s.Accounts.ClientCredentials(ctx, id, secret, strings.Fields(ptrValue(req.Scope)))
	}
	var oe *service.OAuthError
	var th *service.Throttled
	switch {
	case errors.As(err, &th):
		return nil, throttled(th.RetryAfter)
	case errors.As(err, &oe) && oe.Code == string(api.InvalidClient):
		return invalidClient(oe.Description, usedBasic), nil
	case errors.As(err, &oe):
		return oauthError(api.OAuthErrorError(oe.Code), oe.Description), nil
	case err != nil:
		return nil, err
	}
	noStore := "no-store"
	body := api.TokenResponse{AccessToken: out.AccessToken, TokenType: api.Bearer, ExpiresIn: out.ExpiresIn, Scope: out.Scope}
	if out.RefreshToken != "" {
		body.RefreshToken = &out.RefreshToken
	}
	return api.IssueToken200JSONResponse{Body: body, Headers: api.IssueToken200ResponseHeaders{CacheControl: &noStore}}, nil
}

// RevokeToken revokes a refresh token and its family (RFC 7009: unknown tokens are no error).
func (s *Server) RevokeToken(ctx context.Context, r api.RevokeTokenRequestObject) (api.RevokeTokenResponseObject, error) {
	var req api.RevokeRequest
	switch {
	case r.JSONBody != nil:
		req = *r.JSONBody
	case r.FormdataBody != nil:
		req = *r.FormdataBody
	}
	if err := s.Accounts.RevokeRefresh(ctx, req.Token); err != nil {
		return nil, err
	}
	return api.RevokeToken200Response{}, nil
}

// invalidClient is the 401 of failed client authentication, with the Basic challenge that
// RFC 6749 section 5.2 requires when the client used HTTP Basic.
func invalidClient(desc string, usedBasic bool) api.IssueTokenResponseObject {
	out := api.IssueToken401JSONResponse{Body: api.OAuthError{Error: api.InvalidClient, ErrorDescription: &desc}}
	if usedBasic {
		out.Headers.WWWAuthenticate = ptr(`Basic realm="p4w", charset="UTF-8"`)
	}
	return out
}

func oauthError(code api.OAuthErrorError, desc string) api.IssueTokenResponseObject {
	return api.IssueToken400JSONResponse{Error: code, ErrorDescription: &desc}
}

func ptr[T any](v T) *T { return &v }

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

// GetJWKS publishes the public keys that verify access tokens.
func (s *Server) GetJWKS(context.Context, api.GetJWKSRequestObject) (api.GetJWKSResponseObject, error) {
	var out api.GetJWKS200JSONResponse
	if err := json.Unmarshal(s.JWKS, &out); err != nil {
		return nil, err
	}
	return out, nil
}
