// Package api holds the server interface and models generated from openapi.yaml, and the
// contract itself. Never edit api.gen.go or openapi.yaml here by hand: change the root
// openapi.yaml and run `make generate`.
package api

//go:generate go tool oapi-codegen -config server.cfg.yaml ../openapi.yaml
//go:generate cp ../openapi.yaml openapi.yaml
