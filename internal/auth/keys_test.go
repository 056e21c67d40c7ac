package auth

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
)

func privatePEM(t *testing.T, priv any) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

func publicPEM(t *testing.T, pub any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func TestKeyID(t *testing.T) {
	a, b := newTestKey(t), newTestKey(t)
	if KeyID(a.Public) != KeyID(slices.Clone(a.Public)) { // the same key in another slice
		t.Error("KeyID is not deterministic")
	}
	if KeyID(a.Public) == KeyID(b.Public) {
		t.Error("two keys share an id")
	}
	raw, err := base64.RawURLEncoding.DecodeString(KeyID(a.Public))
	if err != nil || len(raw) != 16 {
		t.Errorf("KeyID %q is not 16 bytes of base64url: %v", KeyID(a.Public), err)
	}
}

func TestNewKeySetValidates(t *testing.T) {
	a, b := newTestKey(t), newTestKey(t)
	mismatched := Key{ID: a.ID, Private: a.Private, Public: b.Public}
	cases := []struct {
		name    string
		signing Key
		verify  []Key
	}{
		{"signing key without private half", Key{ID: a.ID, Public: a.Public}, nil},
		{"private key not matching public key", mismatched, nil},
		{"empty id", Key{Private: a.Private, Public: a.Public}, nil},
		{"short public key", Key{ID: "k", Private: a.Private, Public: a.Public[:31]}, nil},
		{"short private key", Key{ID: "k", Private: a.Private[:63], Public: a.Public}, nil},
		{"verify-only key with the signing key's id", a, []Key{{ID: a.ID, Public: b.Public}}},
		{"duplicate verify-only ids", a, []Key{{ID: "old", Public: b.Public}, {ID: "old", Public: b.Public}}},
		{"verify-only key without public key", a, []Key{{ID: "old"}}},
		{"verify-only key with a mismatched private key", a, []Key{{ID: "old", Private: a.Private, Public: b.Public}}},
	}
	for _, c := range cases {
		if ks, err := NewKeySet(c.signing, c.verify...); err == nil || ks != nil {
			t.Errorf("%s: NewKeySet = %v, %v; want an error", c.name, ks, err)
		}
	}
}

func TestKeySetLookupAndCopies(t *testing.T) {
	signing, old := newTestKey(t), newTestKey(t)
	ks := newTestKeySet(t, signing, Key{ID: old.ID, Public: old.Public})

	for _, k := range []Key{signing, old} {
		pub, ok := ks.Lookup(k.ID)
		if !ok || !pub.Equal(k.Public) {
			t.Errorf("Lookup(%s) = %x, %v", k.ID, pub, ok)
		}
	}
	if _, ok := ks.Lookup("nope"); ok {
		t.Error("Lookup found an unknown kid")
	}
	if _, ok := ks.Lookup(""); ok {
		t.Error("Lookup found the empty kid")
	}

	// Neither the caller's slices nor the returned ones alias the set.
	pub, _ := ks.Lookup(signing.ID)
	pub[0] ^= 0xff
	if again, _ := ks.Lookup(signing.ID); !again.Equal(signing.Public) {
		t.Error("modifying Lookup's result changed the set")
	}
	got := ks.Signing()
	got.Private[0] ^= 0xff
	if !ks.Signing().Private.Equal(signing.Private) || ks.Signing().ID != signing.ID {
		t.Error("modifying Signing's result changed the set")
	}
	signing.Public[0] ^= 0xff
	if again, _ := ks.Lookup(signing.ID); again.Equal(signing.Public) {
		t.Error("the set aliases the caller's key")
	}
}

func TestJWKS(t *testing.T) {
	signing, old1, old2 := newTestKey(t), newTestKey(t), newTestKey(t)
	ks := newTestKeySet(t, signing, old1, Key{ID: "legacy", Public: old2.Public})

	raw := ks.JWKS()
	var doc struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("JWKS is not JSON: %v\n%s", err, raw)
	}
	want := []Key{signing, old1, {ID: "legacy", Public: old2.Public}}
	if len(doc.Keys) != len(want) {
		t.Fatalf("JWKS has %d keys, want %d", len(doc.Keys), len(want))
	}
	for i, jwk := range doc.Keys {
		fields := make([]string, 0, len(jwk))
		for f := range jwk {
			fields = append(fields, f)
		}
		slices.Sort(fields)
		// Exactly these: in particular no "d", the private key.
		if !slices.Equal(fields, []string{"alg", "crv", "kid", "kty", "use", "x"}) {
			t.Errorf("key %d has fields %v", i, fields)
		}
		if jwk["kty"] != "OKP" || jwk["crv"] != "Ed25519" || jwk["alg"] != "EdDSA" || jwk["use"] != "sig" {
			t.Errorf("key %d = %v", i, jwk)
		}
		if jwk["kid"] != want[i].ID {
			t.Errorf("key %d kid = %q, want %q", i, jwk["kid"], want[i].ID)
		}
		x, err := base64.RawURLEncoding.DecodeString(jwk["x"])
		if err != nil || !ed25519.PublicKey(x).Equal(want[i].Public) {
			t.Errorf("key %d x does not decode to its public key (%v)", i, err)
		}
	}
	if bytes.Contains(raw, []byte(base64.RawURLEncoding.EncodeToString(old1.Private.Seed()))) {
		t.Error("JWKS contains a private seed")
	}

	raw[0] = 'X'
	if ks.JWKS()[0] != '{' {
		t.Error("modifying JWKS's result changed the set")
	}
}

func TestPEMRoundTrip(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ParsePrivateKeyPEM(privatePEM(t, priv))
	if err != nil {
		t.Fatal(err)
	}
	if !k.Private.Equal(priv) || !k.Public.Equal(pub) || k.ID != KeyID(pub) {
		t.Errorf("ParsePrivateKeyPEM = %+v", k)
	}
	p, err := ParsePublicKeyPEM(publicPEM(t, pub))
	if err != nil {
		t.Fatal(err)
	}
	if p.Private != nil || !p.Public.Equal(pub) || p.ID != k.ID {
		t.Errorf("ParsePublicKeyPEM = %+v, want id %s", p, k.ID)
	}
	// The package's own encoder round-trips too.
	enc, err := marshalPrivateKeyPEM(priv)
	if err != nil {
		t.Fatal(err)
	}
	if k2, err := ParsePrivateKeyPEM(enc); err != nil || k2.ID != k.ID {
		t.Errorf("marshal/parse: %+v, %v", k2, err)
	}
}

func TestParsePEMRejects(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	good := privatePEM(t, priv)
	block, _ := pem.Decode(good)
	encrypted := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED"}, Bytes: block.Bytes})

	for name, in := range map[string][]byte{
		"empty":              nil,
		"not PEM":            []byte("hello"),
		"public key":         publicPEM(t, pub),
		"ECDSA key":          privatePEM(t, ec),
		"wrong block type":   pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: block.Bytes}),
		"corrupt DER":        pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: block.Bytes[:10]}),
		"trailing block":     append(slices.Clone(good), good...),
		"headers":            encrypted,
		"trailing junk text": append(slices.Clone(good), "junk"...),
	} {
		if k, err := ParsePrivateKeyPEM(in); err == nil {
			t.Errorf("ParsePrivateKeyPEM(%s) = %+v, want an error", name, k)
		}
	}
	for name, in := range map[string][]byte{
		"empty":       nil,
		"private key": good,
		"ECDSA key":   publicPEM(t, &ec.PublicKey),
	} {
		if k, err := ParsePublicKeyPEM(in); err == nil {
			t.Errorf("ParsePublicKeyPEM(%s) = %+v, want an error", name, k)
		}
	}
	// Trailing whitespace is fine.
	if _, err := ParsePrivateKeyPEM(append(slices.Clone(good), "\n\n"...)); err != nil {
		t.Errorf("trailing newlines: %v", err)
	}
}

func TestLoadKeySet(t *testing.T) {
	_, signing, _ := ed25519.GenerateKey(rand.Reader)
	oldPub, _, _ := ed25519.GenerateKey(rand.Reader)
	ks, err := LoadKeySet(privatePEM(t, signing), [][]byte{publicPEM(t, oldPub)})
	if err != nil {
		t.Fatal(err)
	}
	if !ks.Signing().Private.Equal(signing) {
		t.Error("wrong signing key")
	}
	if got, ok := ks.Lookup(KeyID(oldPub)); !ok || !got.Equal(oldPub) {
		t.Error("verify-only key missing")
	}
	if _, err := LoadKeySet(publicPEM(t, oldPub), nil); err == nil {
		t.Error("a public key was accepted as the signing key")
	}
	if _, err := LoadKeySet(privatePEM(t, signing), [][]byte{[]byte("junk")}); err == nil {
		t.Error("a bad verify-only key was accepted")
	}
	if _, err := LoadKeySet(privatePEM(t, signing), [][]byte{publicPEM(t, signing.Public())}); err == nil {
		t.Error("the signing key twice was accepted")
	}
}

func TestLoadOrCreateDevKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p4w", "keys")
	path := filepath.Join(dir, "dev.pem")

	k1, err := LoadOrCreateDevKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := k1.validate(true); err != nil || k1.ID != KeyID(k1.Public) {
		t.Fatalf("created key is unusable: %+v, %v", k1, err)
	}
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Errorf("key file mode = %o, want 600", perm)
		}
		di, err := os.Stat(dir)
		if err != nil {
			t.Fatal(err)
		}
		if perm := di.Mode().Perm(); perm != 0o700 {
			t.Errorf("key directory mode = %o, want 700", perm)
		}
	}
	onDisk, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if k, err := ParsePrivateKeyPEM(onDisk); err != nil || k.ID != k1.ID {
		t.Errorf("file holds %+v, %v", k, err)
	}

	k2, err := LoadOrCreateDevKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if k2.ID != k1.ID || !k2.Private.Equal(k1.Private) {
		t.Error("second call returned a different key")
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, onDisk) {
		t.Error("second call rewrote the file")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want just the key", len(entries))
	}
}

func TestLoadOrCreateDevKeyKeepsABadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dev.pem")
	if err := os.WriteFile(path, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateDevKey(path); err == nil {
		t.Error("a corrupt key file was accepted")
	}
	if got, _ := os.ReadFile(path); string(got) != "not a key" {
		t.Error("a corrupt key file was overwritten")
	}
	if _, err := LoadOrCreateDevKey(""); err == nil {
		t.Error("an empty path was accepted")
	}
}

func TestLoadOrCreateDevKeyRace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dev.pem")
	ids := make([]string, 8)
	errs := make([]error, 8)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			k, err := LoadOrCreateDevKey(path)
			ids[i], errs[i] = k.ID, err
		})
	}
	wg.Wait()
	for i := range ids {
		if errs[i] != nil {
			t.Fatalf("goroutine %d: %v", i, errs[i])
		}
		if ids[i] != ids[0] {
			t.Fatalf("racing callers got different keys: %v", ids)
		}
	}
}
