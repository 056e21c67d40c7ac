package client_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/pkg/client"
)

// TestCatchUp mirrors a trust through the changes feed as an HR system would: each call
// applies what changed since the cursor it was given, once; a failing apply stops there, and
// the next call resumes with the change that failed.
func TestCatchUp(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Catchup NHS Trust")
	coordinator := env.User(t, trust.ID, domain.RoleCoordinator)
	api := newAPI(t, env, env.HTTP, client.StaticToken(coordinator))
	ctx := context.Background()
	var seen []string
	apply := func(c client.ChangeEvent) error {
		seen = append(seen, c.EventType+" "+c.ResourceId)
		return nil
	}

	cursor, err := client.CatchUp(ctx, api, "", apply)
	if err != nil || cursor == "" || !slices.Equal(seen, []string{"organisation.created " + trust.ID.String()}) {
		t.Fatalf("first catch-up: %v, cursor %q, err %v", seen, cursor, err)
	}
	seen = nil
	if cursor, err = client.CatchUp(ctx, api, cursor, apply); err != nil || cursor == "" || len(seen) != 0 {
		t.Fatalf("nothing new: %v, cursor %q, err %v", seen, cursor, err)
	}

	id := env.MustCreate(t, "/v1/participants", coordinator, apitest.ParticipantBody(t, trust.ID))
	apitest.WantStatus(t, env.Patch(t, "/v1/participants/"+id, coordinator, `{"postcode": "LS1 4AP"}`), http.StatusOK)
	refused := errors.New("the HR system is down")
	failing := func(c client.ChangeEvent) error {
		if c.EventType == "participant.updated" {
			return refused
		}
		return apply(c)
	}
	if cursor, err = client.CatchUp(ctx, api, cursor, failing); !errors.Is(err, refused) || !slices.Equal(seen, []string{"participant.created " + id}) {
		t.Fatalf("a failing apply: %v, err %v", seen, err)
	}
	if _, err = client.CatchUp(ctx, api, cursor, apply); err != nil ||
		!slices.Equal(seen, []string{"participant.created " + id, "participant.updated " + id}) {
		t.Fatalf("resumed: %v, err %v", seen, err)
	}

	if _, err := client.CatchUp(ctx, api, "not-a-cursor", apply); err == nil {
		t.Error("a bad cursor caught up")
	} else if e := (*client.APIError)(nil); !errors.As(err, &e) || e.StatusCode != http.StatusBadRequest {
		t.Errorf("a bad cursor: %v", err)
	}
}
