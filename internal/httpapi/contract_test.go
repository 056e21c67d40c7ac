package httpapi_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/apitest"
)

// contract is openapi.yaml as written, for tests that enumerate its operations by operationId
// (api.GetSpec would capitalise them).
func contract(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(api.Spec)
	if err != nil {
		t.Fatalf("load openapi.yaml: %v", err)
	}
	return doc
}

// TestContractDeclaresTheHeadersSent: every answer a test receives is checked by apitest for
// the headers of apitest.DeclaredHeaders it carries and openapi.yaml does not declare on it
// (the operation's answer of that status, or its default). This checks the check: a replayed
// create declares the four it may carry, and a header an answer does not declare is caught.
func TestContractDeclaresTheHeadersSent(t *testing.T) {
	t.Parallel()
	doc := contract(t)
	op := func(path, method string) *openapi3.Operation {
		t.Helper()
		o := doc.Paths.Find(path).GetOperation(method)
		if o == nil {
			t.Fatalf("openapi.yaml has no %s %s", method, path)
		}
		return o
	}
	all := http.Header{}
	for _, name := range apitest.DeclaredHeaders {
		all.Set(name, "1")
	}
	create := op("/v1/participants", http.MethodPost)
	if got := apitest.UndeclaredHeaders(create, http.StatusCreated, all); !slices.Equal(got, []string{"Retry-After"}) {
		t.Errorf("createParticipant's 201: undeclared %v, want Retry-After alone", got)
	}
	if got := apitest.UndeclaredHeaders(create, http.StatusServiceUnavailable, all); !slices.Equal(got, []string{"ETag", "Location", "Idempotent-Replayed"}) {
		t.Errorf("createParticipant's 503: undeclared %v, want ETag, Location and Idempotent-Replayed", got)
	}
	if got := apitest.UndeclaredHeaders(op("/healthz", http.MethodGet), http.StatusOK, all); !slices.Equal(got, []string{"ETag", "Location", "Idempotent-Replayed", "Retry-After"}) {
		t.Errorf("getHealth's 200: undeclared %v, want all but X-Request-ID", got)
	}
}
