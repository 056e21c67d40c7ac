package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/google/uuid"
	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/p4w-nhs/p4w/pkg/client"
)

// The examples run against a p4w that TestMain starts (main_test.go), reading where it is and
// how to sign in from the environment as a program would.

// An HR system lists the participants changed since its last sync, signed in as an API client
// (registered by the trust's org_admin with POST /v1/api-clients) and walking every page. A
// participant who has not agreed to sharing with HR comes withheld, every personal field null:
// the HR system deletes its copy.
func Example() {
	ctx := context.Background()
	tokens := &client.ClientCredentialsSource{
		Server:       os.Getenv("P4W_URL"),
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
	limit := 2
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
		if p.Withheld {
			fmt.Println("withheld: delete the HR system's copy") // of p.Id
			continue
		}
		// Upsert into the HR system by p.Id here.
		fmt.Println(p.ExternalRef.MustGet(), p.GivenName.MustGet(), p.FamilyName.MustGet())
	}
	// Output:
	// NTH-0001 Aisha Khan
	// NTH-0002 Ben Carter
	// withheld: delete the HR system's copy
}

// A front end that has signed a user in already holds an access token.
func ExampleStaticToken() {
	api, err := client.NewClientWithResponses(os.Getenv("P4W_URL"),
		client.WithTokenSource(client.StaticToken(os.Getenv("P4W_ACCESS_TOKEN"))))
	if err != nil {
		log.Fatal(err)
	}
	org, err := uuid.Parse(os.Getenv("P4W_ORGANISATION_ID"))
	if err != nil {
		log.Fatal(err)
	}
	res, err := api.GetOrganisationWithResponse(context.Background(), org)
	if err != nil {
		log.Fatal(err)
	}
	if res.JSON200 == nil {
		log.Fatalf("get organisation: %s: %s", res.Status(), res.Body)
	}
	fmt.Println(res.Status())
	fmt.Println(res.JSON200.Name)
	// Output:
	// 200 OK
	// Riverside Community Health NHS Trust
}

// An import script sends each row with an Idempotency-Key made of the file's name and the row's
// number, with retries: a row whose answer was lost to a 503 or a cut connection is sent again
// and recorded once, and running the script again records nothing new.
func ExampleWithRetries() {
	ctx := context.Background()
	api, err := client.NewClientWithResponses(os.Getenv("P4W_URL"),
		client.WithHTTPClient(&http.Client{Timeout: 30 * time.Second}), // each attempt's bound
		client.WithRetries(client.DefaultRetryPolicy),                  // after WithHTTPClient, which it wraps
		client.WithTokenSource(client.StaticToken(os.Getenv("P4W_ACCESS_TOKEN"))))
	if err != nil {
		log.Fatal(err)
	}
	org, err := uuid.Parse(os.Getenv("P4W_ORGANISATION_ID"))
	if err != nil {
		log.Fatal(err)
	}

	ref, key, consent := "RCH-2026-0001", "riverside-referrals-2026-03.csv:row-2", true
	row := client.ParticipantCreate{OrganisationId: org, ExternalRef: &ref, GivenName: "Dev", FamilyName: "Patel",
		DateOfBirth: openapi_types.Date{Time: time.Date(2004, 9, 21, 0, 0, 0, 0, time.UTC)},
		Consent:     &client.ConsentInput{Processing: &consent}}
	res, err := api.CreateParticipantWithResponse(ctx, &client.CreateParticipantParams{IdempotencyKey: &key}, row)
	if err != nil {
		log.Fatal(err) // no answer within the policy's attempts, or ctx ended
	}
	if res.JSON201 == nil {
		log.Fatalf("row 2: %s: %s", res.Status(), res.Body) // a refusal names the fields at fault
	}
	fmt.Println(res.Status(), res.JSON201.ExternalRef.MustGet())

	// The script runs again: the same key and row answer as the first time.
	again, err := api.CreateParticipantWithResponse(ctx, &client.CreateParticipantParams{IdempotencyKey: &key}, row)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(again.Status(), again.JSON201.ExternalRef.MustGet(), "replayed:", again.HTTPResponse.Header.Get("Idempotent-Replayed"))
	// Output:
	// 201 Created RCH-2026-0001
	// 201 Created RCH-2026-0001 replayed: true
}
