package api

import _ "embed"

// Spec is openapi.yaml as written, served at GET /openapi.yaml. `make generate` copies it here
// from the repository root (go:embed cannot reach a parent directory); `make check-generated`
// fails when the copy differs.
//
//go:embed openapi.yaml
var Spec []byte
