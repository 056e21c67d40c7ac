package httpapi

import (
	"context"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/domain"
)

func userOut(u domain.User) api.User {
	return api.User{Id: u.ID, OrganisationId: u.OrganisationID, Email: u.Email, Role: api.Role(u.Role), Enabled: u.Enabled,
		CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt, Version: u.Version}
}

func clientOut(c domain.APIClient) api.ApiClient {
	scopes := make([]api.ClientScope, len(c.Scopes))
	for i, s := range c.Scopes {
		scopes[i] = api.ClientScope(s)
	}
	return api.ApiClient{Id: c.ID, OrganisationId: c.OrganisationID, Name: c.Name, ClientId: c.ClientID, Scopes: scopes,
		RevokedAt: c.RevokedAt, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, Version: c.Version}
}

// ListUsers lists the users within reach.
func (s *Server) ListUsers(ctx context.Context, r api.ListUsersRequestObject) (api.ListUsersResponseObject, error) {
	req, err := pageRequest(r.Params.Limit, r.Params.Cursor, r.Params.UpdatedSince)
	if err != nil {
		return nil, err
	}
	f := domain.UserFilter{OrganisationID: r.Params.OrganisationId, Role: ptrOf(r.Params.Role, func(r api.Role) domain.Role { return domain.Role(r) })}
	page, err := s.Accounts.ListUsers(ctx, f, req)
	if err != nil {
		return nil, err
	}
	out := api.ListUsers200JSONResponse{Data: make([]api.User, len(page.Items)), NextCursor: encodeCursor(page.Next)}
	for i, u := range page.Items {
		out.Data[i] = userOut(u)
	}
	return out, nil
}

// CreateUser adds a user.
func (s *Server) CreateUser(ctx context.Context, r api.CreateUserRequestObject) (api.CreateUserResponseObject, error) {
	b := r.Body
	u, err := s.Accounts.AddUser(ctx, domain.User{Email: string(b.Email), OrganisationID: b.OrganisationId, Role: domain.Role(b.Role)}, ptrValue(b.Password))
	if err != nil {
		return nil, err
	}
	loc := "/v1/users/" + u.ID.String()
	return api.CreateUser201JSONResponse{Body: userOut(u), Headers: api.CreateUser201ResponseHeaders{ETag: etag(u.Version), Location: &loc}}, nil
}

// GetUser returns a user.
func (s *Server) GetUser(ctx context.Context, r api.GetUserRequestObject) (api.GetUserResponseObject, error) {
	u, err := s.Accounts.GetUser(ctx, r.UserId)
	if err != nil {
		return nil, err
	}
	return api.GetUser200JSONResponse{Body: userOut(u), Headers: api.GetUser200ResponseHeaders{ETag: etag(u.Version)}}, nil
}

// UpdateUser changes a user's role or enabled flag.
func (s *Server) UpdateUser(ctx context.Context, r api.UpdateUserRequestObject) (api.UpdateUserResponseObject, error) {
	c := domain.UserChange{Role: ptrOf(r.Body.Role, func(r api.Role) domain.Role { return domain.Role(r) }), Enabled: r.Body.Enabled}
	u, err := s.Accounts.UpdateUser(ctx, r.UserId, ifMatch(r.Params.IfMatch), c, bodyFields(ctx))
	if err != nil {
		return nil, err
	}
	return api.UpdateUser200JSONResponse{Body: userOut(u), Headers: api.UpdateUser200ResponseHeaders{ETag: etag(u.Version)}}, nil
}

// ListApiClients lists the API clients within reach.
func (s *Server) ListApiClients(ctx context.Context, r api.ListApiClientsRequestObject) (api.ListApiClientsResponseObject, error) {
	req, err := pageRequest(r.Params.Limit, r.Params.Cursor, r.Params.UpdatedSince)
	if err != nil {
		return nil, err
	}
	page, err := s.Accounts.ListClients(ctx, r.Params.OrganisationId, req)
	if err != nil {
		return nil, err
	}
	out := api.ListApiClients200JSONResponse{Data: make([]api.ApiClient, len(page.Items)), NextCursor: encodeCursor(page.Next)}
	for i, c := range page.Items {
		out.Data[i] = clientOut(c)
	}
	return out, nil
}

// CreateApiClient registers an API client; the answer holds its secret, once.
func (s *Server) CreateApiClient(ctx context.Context, r api.CreateApiClientRequestObject) (api.CreateApiClientResponseObject, error) {
	b := r.Body
	scopes := make([]string, len(b.Scopes))
	for i, sc := range b.Scopes {
		scopes[i] = string(sc)
	}
	c, err := s.Accounts.AddClient(ctx, domain.APIClient{Name: b.Name, OrganisationID: b.OrganisationId, Scopes: scopes})
	if err != nil {
		return nil, err
	}
	loc := "/v1/api-clients/" + c.ID.String()
	out := clientOut(c.APIClient)
	return api.CreateApiClient201JSONResponse{
		Body: api.ApiClientWithSecret{Id: out.Id, OrganisationId: out.OrganisationId, Name: out.Name, ClientId: out.ClientId,
			Scopes: out.Scopes, RevokedAt: out.RevokedAt, CreatedAt: out.CreatedAt, UpdatedAt: out.UpdatedAt, Version: out.Version,
			ClientSecret: c.Secret},
		Headers: api.CreateApiClient201ResponseHeaders{ETag: etag(c.Version), Location: &loc},
	}, nil
}

// GetApiClient returns an API client.
func (s *Server) GetApiClient(ctx context.Context, r api.GetApiClientRequestObject) (api.GetApiClientResponseObject, error) {
	c, err := s.Accounts.GetClient(ctx, r.ApiClientId)
	if err != nil {
		return nil, err
	}
	return api.GetApiClient200JSONResponse{Body: clientOut(c), Headers: api.GetApiClient200ResponseHeaders{ETag: etag(c.Version)}}, nil
}

// RevokeApiClient revokes an API client.
func (s *Server) RevokeApiClient(ctx context.Context, r api.RevokeApiClientRequestObject) (api.RevokeApiClientResponseObject, error) {
	if err := s.Accounts.RevokeClient(ctx, r.ApiClientId); err != nil {
		return nil, err
	}
	return api.RevokeApiClient204Response{}, nil
}

// ListAuditEvents lists the audit trail within reach.
func (s *Server) ListAuditEvents(ctx context.Context, r api.ListAuditEventsRequestObject) (api.ListAuditEventsResponseObject, error) {
	q := r.Params
	req, err := pageRequest(q.Limit, q.Cursor, q.UpdatedSince)
	if err != nil {
		return nil, err
	}
	f := domain.AuditFilter{OrganisationID: q.OrganisationId, Actor: q.Actor, Action: q.Action, ResourceType: q.ResourceType,
		ResourceID: q.ResourceId, From: q.From, To: q.To}
	page, err := s.Audit.List(ctx, f, req)
	if err != nil {
		return nil, err
	}
	out := api.ListAuditEvents200JSONResponse{Data: make([]api.AuditEvent, len(page.Items)), NextCursor: encodeCursor(page.Next)}
	for i, e := range page.Items {
		out.Data[i] = api.AuditEvent{Id: e.ID, Actor: e.Actor, OrganisationId: e.OrganisationID, Action: e.Action,
			ResourceType: e.ResourceType, ResourceId: e.ResourceID, Fields: e.Fields, RequestId: e.RequestID, At: e.At}
	}
	return out, nil
}
