package httpapi

import (
	"fmt"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/p4w-nhs/p4w/api"
)

// loadSpec parses the contract, for request validation and the rendered reference.
func loadSpec() (*openapi3.T, error) {
	doc, err := openapi3.NewLoader().LoadFromData(api.Spec)
	if err != nil {
		return nil, fmt.Errorf("load openapi.yaml: %w", err)
	}
	return doc, nil
}
