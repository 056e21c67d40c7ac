// Package auth holds p4w's credential primitives: Ed25519 signing keys that
// rotate, RFC 9068 JWT access tokens, argon2id password hashes and opaque
// secrets (client secrets, refresh tokens).
//
// It knows nothing of HTTP or storage: callers pass bytes and strings in and
// get bytes, strings and errors back. Everything here is safe for concurrent
// use once constructed.
package auth

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// maxKeyIDLength bounds a key id; ids travel in every token header.
const maxKeyIDLength = 128

// Key is one Ed25519 key pair. Private is nil for a verify-only key.
type Key struct {
	ID      string
	Private ed25519.PrivateKey // nil for verify-only keys
	Public  ed25519.PublicKey
}

// KeyID derives a key id from a public key: the first 16 bytes of the
// SHA-256 of the raw 32-byte key, base64url without padding (22 characters).
// It is stable, so a key keeps its id across restarts and hosts.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// validate checks the sizes of the key material and, when there is a private
// key, that it belongs to the public key.
func (k Key) validate(needPrivate bool) error {
	if k.ID == "" {
		return errors.New("key id is empty")
	}
	if len(k.ID) > maxKeyIDLength {
		return fmt.Errorf("key id is longer than %d bytes", maxKeyIDLength)
	}
	if len(k.Public) != ed25519.PublicKeySize {
		return fmt.Errorf("key %q: public key is %d bytes, want %d", k.ID, len(k.Public), ed25519.PublicKeySize)
	}
	if k.Private == nil {
		if needPrivate {
			return fmt.Errorf("key %q: the signing key has no private key", k.ID)
		}
		return nil
	}
	if len(k.Private) != ed25519.PrivateKeySize {
		return fmt.Errorf("key %q: private key is %d bytes, want %d", k.ID, len(k.Private), ed25519.PrivateKeySize)
	}
	pub, ok := k.Private.Public().(ed25519.PublicKey)
	if !ok || !pub.Equal(k.Public) {
		return fmt.Errorf("key %q: private key does not match public key", k.ID)
	}
	return nil
}

// KeySet is one signing key plus any number of verify-only public keys (keys
// retired from signing whose tokens may still be live). Keys are found by kid
// in an in-memory map only. A KeySet is immutable: rotate by building a new
// one.
type KeySet struct {
	signing Key
	byID    map[string]ed25519.PublicKey
	jwks    []byte
}

// NewKeySet returns a set that signs with signing and verifies tokens from
// signing and every verifyOnly key. Key ids must be unique. The private half
// of a verify-only key, if given, is dropped.
func NewKeySet(signing Key, verifyOnly ...Key) (*KeySet, error) {
	if err := signing.validate(true); err != nil {
		return nil, fmt.Errorf("auth: signing key: %w", err)
	}
	ks := &KeySet{
		signing: Key{
			ID:      signing.ID,
			Private: bytes.Clone(signing.Private),
			Public:  bytes.Clone(signing.Public),
		},
		byID: make(map[string]ed25519.PublicKey, 1+len(verifyOnly)),
	}
	ks.byID[signing.ID] = ks.signing.Public
	order := []string{signing.ID}
	for i, k := range verifyOnly {
		if err := k.validate(false); err != nil {
			return nil, fmt.Errorf("auth: verify-only key %d: %w", i, err)
		}
		if _, dup := ks.byID[k.ID]; dup {
			return nil, fmt.Errorf("auth: verify-only key %d: duplicate key id %q", i, k.ID)
		}
		ks.byID[k.ID] = bytes.Clone(k.Public)
		order = append(order, k.ID)
	}
	jwks, err := marshalJWKS(order, ks.byID)
	if err != nil {
		return nil, fmt.Errorf("auth: encoding JWKS: %w", err)
	}
	ks.jwks = jwks
	return ks, nil
}

// Signing returns (a copy of) the key new tokens are signed with.
func (ks *KeySet) Signing() Key {
	return Key{
		ID:      ks.signing.ID,
		Private: bytes.Clone(ks.signing.Private),
		Public:  bytes.Clone(ks.signing.Public),
	}
}

// Lookup returns (a copy of) the public key with id kid. It is a map lookup
// only: kid is never used as a path, URL or anything else.
func (ks *KeySet) Lookup(kid string) (ed25519.PublicKey, bool) {
	pub, ok := ks.byID[kid]
	if !ok {
		return nil, false
	}
	return bytes.Clone(pub), true
}

// lookup is Lookup without the copy, for the verification hot path; the
// caller must not modify the result.
func (ks *KeySet) lookup(kid string) (ed25519.PublicKey, bool) {
	pub, ok := ks.byID[kid]
	return pub, ok
}

// JWKS returns the RFC 7517 JSON Web Key Set of every public key in the set
// (RFC 8037 OKP keys), signing key first, for GET /.well-known/jwks.json.
// It never contains private key material.
func (ks *KeySet) JWKS() []byte {
	return bytes.Clone(ks.jwks)
}

type jwk struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
}

func marshalJWKS(order []string, byID map[string]ed25519.PublicKey) ([]byte, error) {
	set := struct {
		Keys []jwk `json:"keys"`
	}{Keys: make([]jwk, 0, len(order))}
	for _, kid := range order {
		set.Keys = append(set.Keys, jwk{
			Kty: "OKP",
			Crv: "Ed25519",
			X:   base64.RawURLEncoding.EncodeToString(byID[kid]),
			Kid: kid,
			Alg: "EdDSA",
			Use: "sig",
		})
	}
	return json.Marshal(set)
}

// ParsePrivateKeyPEM parses one PKCS#8 "PRIVATE KEY" PEM block holding an
// Ed25519 key. The kid is derived from the public key (see KeyID).
func ParsePrivateKeyPEM(pemBytes []byte) (Key, error) {
	k, err := parsePrivateKeyPEM(pemBytes)
	if err != nil {
		return Key{}, fmt.Errorf("auth: %w", err)
	}
	return k, nil
}

func parsePrivateKeyPEM(pemBytes []byte) (Key, error) {
	der, err := decodeOnePEM(pemBytes, "PRIVATE KEY")
	if err != nil {
		return Key{}, err
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return Key{}, fmt.Errorf("parsing PKCS#8 private key: %w", err)
	}
	priv, ok := parsed.(ed25519.PrivateKey)
	if !ok {
		return Key{}, fmt.Errorf("private key is %T, want Ed25519", parsed)
	}
	pub := priv.Public().(ed25519.PublicKey)
	return Key{ID: KeyID(pub), Private: priv, Public: pub}, nil
}

// ParsePublicKeyPEM parses one PKIX "PUBLIC KEY" PEM block holding an Ed25519
// key, giving a verify-only Key. The kid is derived as by ParsePrivateKeyPEM,
// so a key pair's halves share an id.
func ParsePublicKeyPEM(pemBytes []byte) (Key, error) {
	k, err := parsePublicKeyPEM(pemBytes)
	if err != nil {
		return Key{}, fmt.Errorf("auth: %w", err)
	}
	return k, nil
}

func parsePublicKeyPEM(pemBytes []byte) (Key, error) {
	der, err := decodeOnePEM(pemBytes, "PUBLIC KEY")
	if err != nil {
		return Key{}, err
	}
	parsed, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return Key{}, fmt.Errorf("parsing PKIX public key: %w", err)
	}
	pub, ok := parsed.(ed25519.PublicKey)
	if !ok {
		return Key{}, fmt.Errorf("public key is %T, want Ed25519", parsed)
	}
	return Key{ID: KeyID(pub), Public: pub}, nil
}

// decodeOnePEM returns the bytes of the single PEM block of type typ in data.
// Encrypted (legacy header) blocks and trailing data are refused.
func decodeOnePEM(data []byte, typ string) ([]byte, error) {
	block, rest := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("no PEM block found, want %q", typ)
	}
	if block.Type != typ {
		return nil, fmt.Errorf("PEM block is %q, want %q", block.Type, typ)
	}
	if len(block.Headers) != 0 {
		return nil, errors.New("PEM block has headers (encrypted keys are not supported)")
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, errors.New("unexpected data after the PEM block")
	}
	return block.Bytes, nil
}

// marshalPrivateKeyPEM encodes priv as a PKCS#8 "PRIVATE KEY" PEM block.
func marshalPrivateKeyPEM(priv ed25519.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// LoadOrCreateDevKey reads the PKCS#8 PEM private key at path or, if there is
// no file there, generates a key and writes it with mode 0600, creating
// missing parent directories with mode 0700. The file appears atomically, and
// when two processes race to create it both end up with the same key.
//
// It is for development only: production keys come from configuration
// (LoadKeySet) and are never generated by the service.
func LoadOrCreateDevKey(path string) (Key, error) {
	if path == "" {
		return Key{}, errors.New("auth: dev key path is empty")
	}
	k, err := readPrivateKeyFile(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return k, err
	}

	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return Key{}, fmt.Errorf("auth: generating dev key: %w", err)
	}
	pemBytes, err := marshalPrivateKeyPEM(priv)
	if err != nil {
		return Key{}, fmt.Errorf("auth: encoding dev key: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Key{}, fmt.Errorf("auth: creating dev key directory: %w", err)
	}
	// Write a temporary file (CreateTemp uses mode 0600) and hard-link it into
	// place: the key file is never seen half written, and an existing file is
	// never replaced.
	tmp, err := os.CreateTemp(dir, ".devkey-*.tmp")
	if err != nil {
		return Key{}, fmt.Errorf("auth: creating dev key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return Key{}, fmt.Errorf("auth: writing dev key file: %w", err)
	}
	if _, err := tmp.Write(pemBytes); err != nil {
		tmp.Close()
		return Key{}, fmt.Errorf("auth: writing dev key file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return Key{}, fmt.Errorf("auth: writing dev key file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return Key{}, fmt.Errorf("auth: writing dev key file: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) { // another process won the race: use its key
			return readPrivateKeyFile(path)
		}
		return Key{}, fmt.Errorf("auth: installing dev key file: %w", err)
	}
	return ParsePrivateKeyPEM(pemBytes)
}

func readPrivateKeyFile(path string) (Key, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Key{}, fmt.Errorf("auth: reading key file: %w", err)
	}
	k, err := parsePrivateKeyPEM(data)
	if err != nil {
		return Key{}, fmt.Errorf("auth: key file %s: %w", path, err)
	}
	return k, nil
}

// LoadKeySet builds a KeySet from configuration: signingPEM is the PKCS#8
// private key new tokens are signed with, and each of verifyPEMs is the PKIX
// public key of a retired key whose tokens must still verify.
func LoadKeySet(signingPEM []byte, verifyPEMs [][]byte) (*KeySet, error) {
	signing, err := parsePrivateKeyPEM(signingPEM)
	if err != nil {
		return nil, fmt.Errorf("auth: signing key: %w", err)
	}
	verify := make([]Key, 0, len(verifyPEMs))
	for i, p := range verifyPEMs {
		k, err := parsePublicKeyPEM(p)
		if err != nil {
			return nil, fmt.Errorf("auth: verify-only key %d: %w", i, err)
		}
		verify = append(verify, k)
	}
	return NewKeySet(signing, verify...)
}
