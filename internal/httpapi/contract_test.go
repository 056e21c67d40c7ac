package httpapi_test

import (
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/p4w-nhs/p4w/api"
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
