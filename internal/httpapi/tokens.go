package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/internal/service"
)

// IssueToken is the OAuth 2 token endpoint. Every refusal is an *oauthFailure (or an error
// errorHandler turns into one), so that its answer has OAuth 2's shape whatever refused it.
func (s *Server) IssueToken(ctx context.Context, r api.IssueTokenRequestObject) (api.IssueTokenResponseObject, error) {
	var req api.TokenRequest
	switch {
	case r.JSONBody != nil:
		req = *r.JSONBody
	case r.FormdataBody != nil:
		req = *r.FormdataBody
	default: // a media type the contract accepts but the generated binding did not recognise
		return nil, invalidRequest("the Content-Type must be application/x-www-form-urlencoded (or application/json)")
	}
	basicID, basicSecret, usedBasic := basicAuth(ctx)
	var (
		out       service.SignedIn
		err       error
		exchanged bool
	)
	// An empty parameter is an omitted one (RFC 6749 §3.1), hence ptrValue(...) == "".
	switch req.GrantType {
	case api.Password:
		username, password := ptrValue(req.Username), ptrValue(req.Password)
		if f := requireParams("username", username, "password", password); f != nil {
			return nil, f
		}
		out, err = s.Accounts.SignIn(ctx, username, password)
	case api.RefreshToken:
		token := ptrValue(req.RefreshToken)
		if f := requireParams("refresh_token", token); f != nil {
			return nil, f
		}
		if looksLikeAccessToken(token) { // no lookup: it cannot be one of ours
			return nil, &oauthFailure{status: http.StatusBadRequest, code: api.InvalidGrant,
				desc: "refresh_token is an access token; give the refresh token of the sign-in"}
		}
		out, err = s.Accounts.Refresh(ctx, token)
		var oe *service.OAuthError
		if errors.As(err, &oe) && oe.Code == string(api.InvalidGrant) { // name the parameter, as every refusal does
			err = &service.OAuthError{Code: oe.Code, Description: "refresh_token is not valid: unknown, used, revoked or expired"}
		}
	case api.ClientCredentials:
		id, secret := ptrValue(req.ClientId), ptrValue(req.ClientSecret)
		if usedBasic {
			// One client authentication method per request (RFC 6749 §2.3): which would count?
			switch {
			case secret != "":
				return nil, invalidRequest("client_secret is in the body and the client authenticated with HTTP Basic too; use one method")
			case id != "" && id != basicID:
				return nil, invalidRequest("client_id in the body is not the client that authenticated with HTTP Basic")
			}
			id, secret = basicID, basicSecret
		}
		if id == "" || secret == "" {
			return nil, invalidClient("client_id and client_secret are required", usedBasic)
		}
		out, err = s.Accounts.ClientCredentials(ctx, id, secret, strings.Fields(ptrValue(req.Scope)))
	case api.TokenExchange:
		token := ptrValue(req.SubjectToken)
		if f := requireParams("subject_token", token, "subject_token_type", string(ptrValue(req.SubjectTokenType))); f != nil {
			return nil, f
		}
		out, err = s.Accounts.Exchange(ctx, token)
		var un *service.IssuerUnavailable
		if errors.As(err, &un) {
			// The provider's fault, not the caller's: logged for the operator (the issuer is
			// configuration, not personal data), answered as a retry.
			s.Log.WarnContext(ctx, "identity provider unavailable", "issuer", un.Issuer, "error", un.Err.Error(),
				"request_id", domain.RequestIDFrom(ctx))
			return nil, &oauthFailure{status: http.StatusServiceUnavailable, code: api.TemporarilyUnavailable,
				desc:       "the identity provider that issued subject_token cannot be reached to check it; retry after " + issuerRetryAfter + " seconds",
				retryAfter: issuerRetryAfter}
		}
		exchanged = true
	default: // the contract's enum refuses it first; this answer is the same
		return nil, unsupportedGrantType()
	}
	var oe *service.OAuthError
	var th *service.Throttled
	switch {
	case errors.As(err, &th):
		return nil, throttled(th.RetryAfter) // the same answer as the per-address limit
	case errors.As(err, &oe) && oe.Code == string(api.InvalidClient):
		return nil, invalidClient(oe.Description, usedBasic)
	case errors.As(err, &oe):
		return nil, &oauthFailure{status: http.StatusBadRequest, code: api.OAuthErrorError(oe.Code), desc: oe.Description}
	case err != nil:
		return nil, err
	}
	noStore := "no-store"
	body := api.TokenResponse{AccessToken: out.AccessToken, TokenType: api.Bearer, ExpiresIn: out.ExpiresIn, Scope: out.Scope}
	if out.RefreshToken != "" {
		body.RefreshToken = &out.RefreshToken
	}
	if exchanged { // RFC 8693 §2.2.1
		issued := api.IssuedAccessToken
		body.IssuedTokenType = &issued
	}
	return api.IssueToken200JSONResponse{Body: body, Headers: api.IssueToken200ResponseHeaders{CacheControl: &noStore}}, nil
}

// issuerRetryAfter is how long a client waits before trying again with a token whose identity
// provider could not be reached: longer than for the database, since a fetch takes up to 10 s.
const issuerRetryAfter = "30"

// RevokeToken revokes a refresh token and its family (RFC 7009: unknown tokens are no error).
func (s *Server) RevokeToken(ctx context.Context, r api.RevokeTokenRequestObject) (api.RevokeTokenResponseObject, error) {
	var req api.RevokeRequest
	switch {
	case r.JSONBody != nil:
		req = *r.JSONBody
	case r.FormdataBody != nil:
		req = *r.FormdataBody
	default:
		return nil, invalidRequest("the Content-Type must be application/x-www-form-urlencoded (or application/json)")
	}
	if f := requireParams("token", req.Token); f != nil {
		return nil, f
	}
	// Answering 200 would tell the client an access token was revoked when it was not.
	if looksLikeAccessToken(req.Token) {
		return nil, &oauthFailure{status: http.StatusBadRequest, code: api.UnsupportedTokenType,
			desc: "token is an access token, which cannot be revoked; it expires within minutes"}
	}
	if err := s.Accounts.RevokeRefresh(ctx, req.Token); err != nil {
		return nil, err
	}
	return api.RevokeToken200Response{}, nil
}

// looksLikeAccessToken tells a JWT (three dot-separated parts) from p4w's refresh tokens,
// which are base64url and hold no dot.
func looksLikeAccessToken(token string) bool { return strings.Count(token, ".") == 2 }

// oauthFailure is an error of an OAuth 2 endpoint, answered as RFC 6749 §5.2 says.
type oauthFailure struct {
	status     int
	code       api.OAuthErrorError
	desc       string
	basic      bool   // HTTP Basic client authentication failed: challenge it
	retryAfter string // seconds, with 429 and 503
}

func (e *oauthFailure) Error() string { return string(e.code) + ": " + e.desc }

func invalidRequest(desc string) *oauthFailure {
	return &oauthFailure{status: http.StatusBadRequest, code: api.InvalidRequest, desc: desc}
}

func unsupportedGrantType() *oauthFailure {
	return &oauthFailure{status: http.StatusBadRequest, code: api.UnsupportedGrantType,
		desc: "grant_type must be one of password, refresh_token, client_credentials, urn:ietf:params:oauth:grant-type:token-exchange"}
}

// invalidClient is the 401 of failed client authentication, with the Basic challenge that
// RFC 6749 §5.2 requires when the client used HTTP Basic.
func invalidClient(desc string, usedBasic bool) *oauthFailure {
	return &oauthFailure{status: http.StatusUnauthorized, code: api.InvalidClient, desc: desc, basic: usedBasic}
}

// requireParams refuses the first of its name, value pairs whose value is empty.
func requireParams(pairs ...string) *oauthFailure {
	var missing []string
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			missing = append(missing, pairs[i])
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if len(missing) == 1 {
		return invalidRequest(missing[0] + " is required")
	}
	return invalidRequest(strings.Join(missing, " and ") + " are required")
}

// isOAuthEndpoint reports whether r is for an endpoint whose errors are OAuth 2's.
func isOAuthEndpoint(r *http.Request) bool {
	return r.URL.Path == "/v1/auth/token" || r.URL.Path == "/v1/auth/revoke"
}

// oauthOf turns whatever refused a request to an OAuth 2 endpoint (the handler, the contract's
// validation, the body limit, the rate limit, the database) into an OAuth 2 error. p is the
// problem errorHandler would otherwise have sent.
func oauthOf(err error, p problem, path string) *oauthFailure {
	var (
		of *oauthFailure
		ra *retryAfterError
		re *requestError
	)
	switch {
	case errors.As(err, &of):
		return of
	case errors.As(err, &ra):
		return &oauthFailure{status: http.StatusTooManyRequests, code: api.SlowDown,
			desc: "too many attempts; retry after " + ra.seconds() + " seconds", retryAfter: ra.seconds()}
	case p.Status == http.StatusServiceUnavailable:
		return &oauthFailure{status: p.Status, code: api.TemporarilyUnavailable,
			desc:       "the service cannot answer now; nothing was changed; retry after " + unavailableRetryAfter + " seconds",
			retryAfter: unavailableRetryAfter}
	case p.Status == http.StatusMethodNotAllowed:
		return &oauthFailure{status: p.Status, code: api.InvalidRequest, desc: "this endpoint takes POST only"}
	case p.Status == http.StatusUnsupportedMediaType:
		return invalidRequest("the Content-Type must be application/x-www-form-urlencoded (or application/json)")
	case p.Status == http.StatusRequestEntityTooLarge:
		return invalidRequest("the request body is too large")
	case p.Status >= 500 || p.Status < 400:
		return &oauthFailure{status: http.StatusInternalServerError, code: api.ServerError,
			desc: "the server failed; the X-Request-ID header identifies the request"}
	case errors.As(err, &re) && len(re.fields) > 0:
		descs := make([]string, 0, len(re.fields))
		for _, f := range re.fields {
			if f.Field == "grant_type" && strings.HasPrefix(f.Message, enumMessage) {
				return unsupportedGrantType()
			}
			descs = append(descs, describeParam(path, f))
		}
		return invalidRequest(strings.Join(descs, "; "))
	}
	return invalidRequest(p.Detail) // every other 4xx: the request is at fault
}

// requiredParam is the parameter each OAuth 2 endpoint cannot do without, named when the
// request has none at all (an empty form counts: its empty parameters are omitted ones).
var requiredParam = map[string]string{"/v1/auth/token": "grant_type", "/v1/auth/revoke": "token"}

// describeParam says what is wrong with a parameter, naming it first.
func describeParam(path string, f fieldError) string {
	if f.Field == "body" && strings.HasSuffix(f.Message, "required but missing") {
		return "the request has no parameters; " + requiredParam[path] + " is required"
	}

	for _, verb := range []string{"is ", "must ", "has "} {
		if strings.HasPrefix(f.Message, verb) {
			return f.Field + " " + f.Message
		}
	}
	return f.Field + ": " + f.Message
}

// oauthText makes s fit error_description: printable ASCII without '"' or '\' (RFC 6749 §5.2).
func oauthText(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '"':
			return '\''
		case r == '\\':
			return '/'
		case r < 0x20 || r > 0x7e:
			return '?'
		}
		return r
	}, s)
}

// writeOAuth sends f as RFC 6749 §5.2 says: a JSON object, never cached.
func writeOAuth(c echo.Context, f *oauthFailure) {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	h.Set("Cache-Control", "no-store")
	h.Del("ETag")
	h.Del("Location")
	if f.basic {
		h.Set("WWW-Authenticate", `Basic realm="p4w", charset="UTF-8"`)
	}
	if f.retryAfter != "" {
		h.Set("Retry-After", f.retryAfter)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(f.status)
		return
	}
	desc := oauthText(f.desc)
	c.Response().WriteHeader(f.status)
	_ = json.NewEncoder(c.Response()).Encode(api.OAuthError{Error: f.code, ErrorDescription: &desc})
}

// GetJWKS publishes the public keys that verify access tokens.
func (s *Server) GetJWKS(context.Context, api.GetJWKSRequestObject) (api.GetJWKSResponseObject, error) {
	var out api.GetJWKS200JSONResponse
	if err := json.Unmarshal(s.JWKS, &out); err != nil {
		return nil, err
	}
	return out, nil
}
