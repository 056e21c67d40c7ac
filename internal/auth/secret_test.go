package auth

import (
	"bytes"
	"encoding/base64"
	"testing"
)

func TestNewSecret(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		s, err := NewSecret()
		if err != nil {
			t.Fatal(err)
		}
		raw, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil || len(raw) != 32 {
			t.Fatalf("secret %q is not 32 bytes of unpadded base64url (%v)", s, err)
		}
		if seen[s] {
			t.Fatalf("secret %q repeated", s)
		}
		seen[s] = true
	}
}

func TestSecretMatches(t *testing.T) {
	s, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	other, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	h := HashSecret(s)
	if len(h) != 32 {
		t.Fatalf("hash is %d bytes, want 32", len(h))
	}
	if !bytes.Equal(h, HashSecret(s)) {
		t.Error("HashSecret is not deterministic")
	}
	if bytes.Equal(h, HashSecret(other)) {
		t.Error("two secrets hash alike")
	}
	if !SecretMatches(s, h) {
		t.Error("secret does not match its hash")
	}
	for name, c := range map[string]struct {
		secret string
		hash   []byte
	}{
		"other secret":     {other, h},
		"empty secret":     {"", h},
		"secret truncated": {s[:len(s)-1], h},
		"nil hash":         {s, nil},
		"short hash":       {s, h[:16]},
		"the secret bytes": {s, []byte(s)},
	} {
		if SecretMatches(c.secret, c.hash) {
			t.Errorf("%s: SecretMatches = true", name)
		}
	}
}
