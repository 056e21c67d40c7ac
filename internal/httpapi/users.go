package httpapi

import (
	"context"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/domain"
)

func userOut(u domain.User) api.User {
	out := api.User{Id: u.ID, OrganisationId: u.OrganisationID, Email: u.Email, Role: api.Role(u.Role), Enabled: u.Enabled,
		CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt, Version: u.Version}
	if u.FederatedIssuer != "" {
		out.IdentityProvider = &u.FederatedIssuer
	}
	return out
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
