package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/p4w-nhs/p4w/pkg/client"
)

// An HR system lists the participants changed since its last sync, signed in as an API client
// (registered by the trust's org_admin with POST /v1/api-clients) and walking every page.
func Example() {
	ctx := context.Background()
	tokens := &client.ClientCredentialsSource{
		Server:       "https://p4w.example.nhs.uk",
		ClientID:     os.Getenv("P4W_CLIENT_ID"),
		ClientSecret: os.Getenv("P4W_CLIENT_SECRET"),
		Scopes:       []string{"participants:read"},
		HTTPClient:   &http.Client{Timeout: 30 * time.Second},
	}
	api, err := client.NewClientWithResponses(tokens.Server, client.WithTokenSource(tokens))
	if err != nil {
		log.Fatal(err)
	}

	// Start a minute before the greatest updated_at of the last sync, and upsert by id.
	since := time.Date(2025, 3, 1, 8, 59, 0, 0, time.UTC)
	limit := 200
	changed := client.All(ctx, func(ctx context.Context, cursor *string) ([]client.Participant, *string, error) {
		params := &client.ListParticipantsParams{UpdatedSince: &since, Limit: &limit, Cursor: cursor}
		res, err := api.ListParticipantsWithResponse(ctx, params)
		if err == nil && res.StatusCode() == http.StatusUnauthorized {
			tokens.Invalidate() // the cached token was refused (revoked client, rotated key): retry once
			res, err = api.ListParticipantsWithResponse(ctx, params)
		}
		if err != nil {
			return nil, nil, err
		}
		if res.JSON200 == nil {
			return nil, nil, fmt.Errorf("list participants: %s: %s", res.Status(), res.Body)
		}
		return res.JSON200.Data, client.NextCursor(res.JSON200.NextCursor), nil
	})
	for p, err := range changed {
		var refused *client.TokenError
		switch {
		case errors.As(err, &refused) && refused.RetryAfter > 0:
			log.Fatalf("throttled; try again in %s", refused.RetryAfter)
		case err != nil:
			log.Fatal(err)
		}
		fmt.Println(p.Id, p.UpdatedAt) // upsert into the HR system here
	}
}

// A front end that has signed a user in already holds an access token.
func ExampleStaticToken() {
	api, err := client.NewClientWithResponses("https://p4w.example.nhs.uk",
		client.WithTokenSource(client.StaticToken(os.Getenv("P4W_ACCESS_TOKEN"))))
	if err != nil {
		log.Fatal(err)
	}
	res, err := api.ListParticipantsWithResponse(context.Background(), &client.ListParticipantsParams{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Status())
}
