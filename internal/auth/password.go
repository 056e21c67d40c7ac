package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters for new hashes: the OWASP Password Storage Cheat Sheet
// minimum (19 MiB, 2 passes, 1 lane), which costs a few tens of
// milliseconds on a small 2-core host. Hashes record their own parameters,
// so these can be raised later without breaking stored hashes.
const (
	argonMemoryKiB = 19 * 1024
	argonTime      = 2
	argonThreads   = 1
	argonSaltLen   = 16
	argonKeyLen    = 32
)

// Bounds accepted when reading a stored hash, so that a corrupt or hostile
// encoding cannot make one verification take gigabytes or minutes.
const (
	maxArgonMemoryKiB = 256 * 1024
	maxArgonTime      = 16
	maxArgonThreads   = 16
	minArgonSaltLen   = 8
	maxArgonSaltLen   = 64
	minArgonKeyLen    = 16
	maxArgonKeyLen    = 64
)

// dummyHash is an argon2id hash, with the current parameters, of a random
// password nobody knows. EqualiseTiming verifies against it.
const dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$HcnIiDTrDvgbYkSMtpczdw$niVgornwadeM/cMGF/7rvf7WNXO0oqI5pWTNQ97TyrU"

// HashPassword returns an argon2id hash of password in PHC string format:
// $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>, with the salt
// and hash in unpadded standard base64.
func HashPassword(password string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("auth: generating salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemoryKiB, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, argonMemoryKiB, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt),
		base64.RawStdEncoding.EncodeToString(key)), nil
}

// VerifyPassword reports whether password matches the argon2id hash encoded.
// The comparison is constant-time; a malformed encoding (or one with
// parameters out of bounds) is false.
func VerifyPassword(encoded, password string) bool {
	p, ok := parseArgon2id(encoded)
	if !ok {
		return false
	}
	key := argon2.IDKey([]byte(password), p.salt, p.time, p.memory, p.threads, uint32(len(p.key)))
	return subtle.ConstantTimeCompare(key, p.key) == 1
}

// EqualiseTiming verifies password against a fixed dummy hash and discards
// the answer. Call it when a login names an unknown account, so that the
// answer takes as long as for a known account with a wrong password.
func EqualiseTiming(password string) {
	_ = VerifyPassword(dummyHash, password)
}

type argon2idParams struct {
	memory  uint32
	time    uint32
	threads uint8
	salt    []byte
	key     []byte
}

// parseArgon2id parses a PHC argon2id string strictly: version 19 and the
// parameters m, t, p in that order, each within bounds.
func parseArgon2id(encoded string) (argon2idParams, bool) {
	var p argon2idParams
	// base64 decoding skips CR and LF; refuse them (and any other control or
	// non-ASCII byte) up front so that one hash has one spelling.
	for i := 0; i < len(encoded); i++ {
		if encoded[i] <= ' ' || encoded[i] > '~' {
			return p, false
		}
	}
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, false
	}
	v, ok := strings.CutPrefix(parts[2], "v=")
	if !ok || v != strconv.Itoa(argon2.Version) {
		return p, false
	}
	params := strings.Split(parts[3], ",")
	if len(params) != 3 {
		return p, false
	}
	m, ok1 := parseParam(params[0], "m=", maxArgonMemoryKiB)
	t, ok2 := parseParam(params[1], "t=", maxArgonTime)
	l, ok3 := parseParam(params[2], "p=", maxArgonThreads)
	if !ok1 || !ok2 || !ok3 || m < 8*l { // argon2 needs at least 8 KiB per lane
		return p, false
	}
	salt, err := base64.RawStdEncoding.Strict().DecodeString(parts[4])
	if err != nil || len(salt) < minArgonSaltLen || len(salt) > maxArgonSaltLen {
		return p, false
	}
	key, err := base64.RawStdEncoding.Strict().DecodeString(parts[5])
	if err != nil || len(key) < minArgonKeyLen || len(key) > maxArgonKeyLen {
		return p, false
	}
	return argon2idParams{memory: m, time: t, threads: uint8(l), salt: salt, key: key}, true
}

// parseParam parses "<prefix><decimal>" with a value in [1, max].
func parseParam(s, prefix string, max uint32) (uint32, bool) {
	digits, ok := strings.CutPrefix(s, prefix)
	if !ok || digits == "" || digits[0] < '1' || digits[0] > '9' { // no sign, no leading zero
		return 0, false
	}
	n, err := strconv.ParseUint(digits, 10, 32)
	if err != nil || n < 1 || n > uint64(max) {
		return 0, false
	}
	return uint32(n), true
}

// Password length limits, in characters (Unicode code points). There are no
// composition rules (NIST SP 800-63B); the upper limit bounds hashing work.
const (
	MinPasswordLength = 12
	MaxPasswordLength = 128
)

// Errors returned by CheckPasswordPolicy.
var (
	ErrPasswordTooShort = fmt.Errorf("password must be at least %d characters", MinPasswordLength)
	ErrPasswordTooLong  = fmt.Errorf("password must be at most %d characters", MaxPasswordLength)
	ErrPasswordNotUTF8  = errors.New("password must be valid UTF-8 text")
)

// CheckPasswordPolicy reports whether password may be set as a new password:
// between MinPasswordLength and MaxPasswordLength characters, counted as
// runes.
func CheckPasswordPolicy(password string) error {
	if !utf8.ValidString(password) {
		return ErrPasswordNotUTF8
	}
	n := utf8.RuneCountInString(password)
	switch {
	case n < MinPasswordLength:
		return ErrPasswordTooShort
	case n > MaxPasswordLength:
		return ErrPasswordTooLong
	}
	return nil
}
