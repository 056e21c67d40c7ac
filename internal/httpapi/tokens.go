package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/service"
)

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

// GetJWKS publishes the public keys that verify access tokens.
func (s *Server) GetJWKS(context.Context, api.GetJWKSRequestObject) (api.GetJWKSResponseObject, error) {
	var out api.GetJWKS200JSONResponse
	if err := json.Unmarshal(s.JWKS, &out); err != nil {
		return nil, err
	}
	return out, nil
}
