package auth

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestHashVerifyPassword(t *testing.T) {
	const pw = "correct horse battery staple"
	h1, err := HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	wantPrefix := fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$", argonMemoryKiB, argonTime, argonThreads)
	if !strings.HasPrefix(h1, wantPrefix) {
		t.Errorf("hash %q does not start %q", h1, wantPrefix)
	}
	p, ok := parseArgon2id(h1)
	if !ok || len(p.salt) != argonSaltLen || len(p.key) != argonKeyLen {
		t.Errorf("hash %q does not parse to a %d-byte salt and %d-byte key", h1, argonSaltLen, argonKeyLen)
	}
	if !VerifyPassword(h1, pw) {
		t.Error("right password rejected")
	}
	for _, wrong := range []string{"", "correct horse battery stapl", "Correct horse battery staple", pw + " "} {
		if VerifyPassword(h1, wrong) {
			t.Errorf("wrong password %q accepted", wrong)
		}
	}

	h2, err := HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	if h1 == h2 {
		t.Error("two hashes of one password are equal: no salt?")
	}
	if !VerifyPassword(h2, pw) {
		t.Error("second hash rejects the password")
	}

	// Unicode passwords are hashed byte for byte.
	h3, err := HashPassword("pässwörd-ünïcödé")
	if err != nil {
		t.Fatal(err)
	}
	if !VerifyPassword(h3, "pässwörd-ünïcödé") || VerifyPassword(h3, "passwörd-ünïcödé") {
		t.Error("unicode password mishandled")
	}
}

func TestVerifyPasswordMalformed(t *testing.T) {
	const pw = "correct horse battery staple"
	good, err := HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, "$") // "", argon2id, v=19, m=..,t=..,p=.., salt, hash
	salt, key := parts[4], parts[5]
	join := func(p ...string) string { return strings.Join(p, "$") }

	for name, enc := range map[string]string{
		"empty":                 "",
		"plain text":            pw,
		"bcrypt":                "$2a$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
		"argon2i":               join("", "argon2i", parts[2], parts[3], salt, key),
		"version 16":            join("", "argon2id", "v=16", parts[3], salt, key),
		"no version":            join("", "argon2id", parts[3], salt, key),
		"extra segment":         good + "$x",
		"no leading dollar":     strings.TrimPrefix(good, "$"),
		"params out of order":   join("", "argon2id", "v=19", "t=2,m=19456,p=1", salt, key),
		"missing param":         join("", "argon2id", "v=19", "m=19456,t=2", salt, key),
		"t=0":                   join("", "argon2id", "v=19", "m=19456,t=0,p=1", salt, key),
		"p=0":                   join("", "argon2id", "v=19", "m=19456,t=2,p=0", salt, key),
		"leading zero":          join("", "argon2id", "v=19", "m=019456,t=2,p=1", salt, key),
		"signed":                join("", "argon2id", "v=19", "m=+19456,t=2,p=1", salt, key),
		"memory too large":      join("", "argon2id", "v=19", "m=4194304,t=2,p=1", salt, key),
		"memory below 8*p":      join("", "argon2id", "v=19", "m=15,t=2,p=2", salt, key),
		"too many passes":       join("", "argon2id", "v=19", "m=19456,t=1000,p=1", salt, key),
		"uint32 overflow":       join("", "argon2id", "v=19", "m=4294967297,t=2,p=1", salt, key),
		"salt not base64":       join("", "argon2id", parts[2], parts[3], "!!!!", key),
		"salt padded":           join("", "argon2id", parts[2], parts[3], salt+"==", key),
		"salt too short":        join("", "argon2id", parts[2], parts[3], "AAAA", key),
		"empty salt":            join("", "argon2id", parts[2], parts[3], "", key),
		"hash not base64":       join("", "argon2id", parts[2], parts[3], salt, "!!!!"),
		"hash too short":        join("", "argon2id", parts[2], parts[3], salt, "AAAA"),
		"empty hash":            join("", "argon2id", parts[2], parts[3], salt, ""),
		"hash in url alphabet":  join("", "argon2id", parts[2], parts[3], salt, strings.NewReplacer("+", "-", "/", "_").Replace(key)+"-_"),
		"non-canonical base64":  join("", "argon2id", parts[2], parts[3], salt[:len(salt)-1]+"B", key),
		"whitespace in params":  join("", "argon2id", "v=19", "m=19456, t=2,p=1", salt, key),
		"uppercase algorithm":   join("", "ARGON2ID", parts[2], parts[3], salt, key),
		"trailing newline":      good + "\n",
		"truncated":             good[:len(good)-10],
		"different parameters ": join("", "argon2id", "v=19", "m=19456,t=3,p=1", salt, key), // well formed, wrong key
	} {
		if VerifyPassword(enc, pw) {
			t.Errorf("%s: VerifyPassword(%q) = true", name, enc)
		}
	}
}

func TestDummyHashIsLikeARealOne(t *testing.T) {
	// EqualiseTiming only equalises if the dummy hash parses and costs what a
	// real verification costs: same parameters, same sizes.
	p, ok := parseArgon2id(dummyHash)
	if !ok {
		t.Fatal("dummyHash does not parse: EqualiseTiming would return at once")
	}
	if p.memory != argonMemoryKiB || p.time != argonTime || p.threads != argonThreads ||
		len(p.salt) != argonSaltLen || len(p.key) != argonKeyLen {
		t.Errorf("dummyHash parameters %+v differ from the current ones; regenerate it", p)
	}
	for _, pw := range []string{"", "password", "correct horse battery staple"} {
		if VerifyPassword(dummyHash, pw) {
			t.Errorf("dummyHash matches %q", pw)
		}
		EqualiseTiming(pw)
	}
}

func TestCheckPasswordPolicy(t *testing.T) {
	for _, c := range []struct {
		pw   string
		want error
	}{
		{"", ErrPasswordTooShort},
		{strings.Repeat("a", 11), ErrPasswordTooShort},
		{strings.Repeat("a", 12), nil},
		{strings.Repeat("é", 11), ErrPasswordTooShort}, // 22 bytes, 11 characters
		{strings.Repeat("é", 12), nil},
		{strings.Repeat("🔑", 12), nil},
		{strings.Repeat("a", 128), nil},
		{strings.Repeat("a", 129), ErrPasswordTooLong},
		{strings.Repeat("é", 128), nil}, // 256 bytes, 128 characters
		{strings.Repeat("a", 11) + "\xff", ErrPasswordNotUTF8},
	} {
		if err := CheckPasswordPolicy(c.pw); !errors.Is(err, c.want) {
			t.Errorf("CheckPasswordPolicy(%d bytes, %d runes) = %v, want %v", len(c.pw), len([]rune(c.pw)), err, c.want)
		}
	}
	if err := CheckPasswordPolicy("short"); err == nil || !strings.Contains(err.Error(), "at least 12") {
		t.Errorf("too-short message = %v", err)
	}
	if err := CheckPasswordPolicy(strings.Repeat("a", 200)); err == nil || !strings.Contains(err.Error(), "at most 128") {
		t.Errorf("too-long message = %v", err)
	}
}

func BenchmarkHashPassword(b *testing.B) {
	for b.Loop() {
		if _, err := HashPassword("correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyPassword(b *testing.B) {
	h, err := HashPassword("correct horse battery staple")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if !VerifyPassword(h, "correct horse battery staple") {
			b.Fatal("mismatch")
		}
	}
}
