// Package deployments_test checks the files in deployments/ against the p4w they deploy: the
// compose stack is run as its containers would run, and every Kubernetes manifest is decoded into
// its API type, refusing fields the type does not have.
package deployments_test

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"sigs.k8s.io/yaml"
)

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decodeStrict decodes one YAML document into v through JSON, so that v's json tags apply, and
// fails on a field v does not have or a key given twice. prune, when not nil, may drop keys of the
// document's top level first.
func decodeStrict(t *testing.T, name string, doc []byte, v any, prune func(map[string]any)) {
	t.Helper()
	js, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if prune != nil {
		var top map[string]any
		if err := json.Unmarshal(js, &top); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		prune(top)
		if js, err = json.Marshal(top); err != nil {
			t.Fatal(err)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}
