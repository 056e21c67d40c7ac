// The client is generated from openapi.yaml into client.gen.go. Never edit that file by hand:
// change openapi.yaml and run `make generate`.

package client

//go:generate go tool oapi-codegen -config client.cfg.yaml ../../openapi.yaml
