package httpapi

import (
	"bytes"
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/p4w-nhs/p4w/api"
)

// specBytes returns openapi.yaml as embedded in the generated code (which stores it as JSON),
// written back as YAML with its order kept, for GET /openapi.yaml.
func specBytes() ([]byte, error) {
	raw, err := api.PathToRawSpec("openapi.yaml")["openapi.yaml"]()
	if err != nil {
		return nil, fmt.Errorf("read embedded openapi.yaml: %w", err)
	}
	var node yaml.Node // a node, not a map, so that keys keep their order
	if err := yaml.Unmarshal(raw, &node); err != nil {
		return nil, fmt.Errorf("parse embedded openapi.yaml: %w", err)
	}
	clearStyle(&node)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&node); err != nil {
		return nil, fmt.Errorf("write openapi.yaml: %w", err)
	}
	return buf.Bytes(), nil
}

// clearStyle drops the JSON flow style so that the output reads as block YAML.
func clearStyle(n *yaml.Node) {
	n.Style &^= yaml.FlowStyle | yaml.DoubleQuotedStyle
	for _, c := range n.Content {
		clearStyle(c)
	}
}
