package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
)

// secretBytes is the entropy of an opaque secret: 256 bits.
const secretBytes = 32

// NewSecret returns a new opaque secret (a client secret or refresh token):
// 32 random bytes, base64url without padding (43 characters). Show it to its
// owner once and store only HashSecret of it.
func NewSecret() (string, error) {
	var b [secretBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("auth: generating secret: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// HashSecret returns the SHA-256 of secret, the form to store and to look
// secrets up by.
//
// A fast, unsalted hash is right here, unlike for passwords: these secrets
// are 256 random bits, so there is no dictionary to try and brute force is
// hopeless however fast the hash. A slow hash would only slow down every
// refresh and client login.
func HashSecret(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}

// SecretMatches reports, in constant time, whether secret hashes to hash.
func SecretMatches(secret string, hash []byte) bool {
	return subtle.ConstantTimeCompare(HashSecret(secret), hash) == 1
}
