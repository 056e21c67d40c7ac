package httpapi

import (
	"context"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/domain"
)

func clientOut(c domain.APIClient) api.ApiClient {
	scopes := make([]api.ClientScope, len(c.Scopes))
	for i, s := range c.Scopes {
		scopes[i] = api.ClientScope(s)
	}
	return api.ApiClient{Id: c.ID, OrganisationId: c.OrganisationID, Name: c.Name, ClientId: c.ClientID, Scopes: scopes,
		Purpose: api.ClientPurpose(c.Purpose), RevokedAt: c.RevokedAt, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, Version: c.Version}
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
	c, err := s.Accounts.AddClient(ctx, domain.APIClient{Name: b.Name, OrganisationID: b.OrganisationId, Scopes: scopes,
		Purpose: domain.ConsentPurpose(ptrValue(b.Purpose))}) // absent: hr_sharing, the service's default
	if err != nil {
		return nil, err
	}
	loc := "/v1/api-clients/" + c.ID.String()
	out := clientOut(c.APIClient)
	return api.CreateApiClient201JSONResponse{
		Body: api.ApiClientWithSecret{Id: out.Id, OrganisationId: out.OrganisationId, Name: out.Name, ClientId: out.ClientId,
			Scopes: out.Scopes, Purpose: out.Purpose, RevokedAt: out.RevokedAt, CreatedAt: out.CreatedAt, UpdatedAt: out.UpdatedAt, Version: out.Version,
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
