// Package client is the Go client of the p4w API, generated from openapi.yaml.
// Never edit client.gen.go by hand: change openapi.yaml and run `make generate`.
package client

//go:generate go tool oapi-codegen -config client.cfg.yaml ../../openapi.yaml
