// Package api holds the server interface and models generated from openapi.yaml.
// Never edit api.gen.go by hand: change openapi.yaml and run `make generate`.
package api

//go:generate go tool oapi-codegen -config server.cfg.yaml ../openapi.yaml
