package httpapi

import (
	"regexp"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"
)

func TestValidUUIDAgreesWithTheRFC9562Pattern(t *testing.T) {
	re := regexp.MustCompile(openapi3.FormatOfStringForUUIDOfRFC9562)
	cases := []string{"", "x", "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff",
		"FFFFFFFF-ffff-FFFF-ffff-FFFFFFFFFFFF", "0000000-00000-0000-0000-000000000000", "01234567-89ab-7def-8123-456789abcdef",
		"01234567-89ab-0def-8123-456789abcdef", "01234567-89ab-9def-8123-456789abcdef", "01234567-89ab-7def-c123-456789abcdef",
		"01234567-89ab-7def-B123-456789abcdef", "01234567-89ab-7def-8123-456789abcdeg", "01234567-89ab-7def-8123-456789abcdef0",
		"01234567_89ab-7def-8123-456789abcdef", "{01234567-89ab-7def-8123-456789abcdef}", "0123456789ab7def8123456789abcdef",
		"01234567-89AB-4DEF-A123-456789ABCDEF", "00000000-0000-0000-0000-00000000000f"}
	for range 2000 {
		cases = append(cases, uuid.NewString(), uuid.Must(uuid.NewV7()).String())
	}
	for i := 0; i < 2000; i++ { // random mutations of one valid id
		b := []byte(uuid.NewString())
		b[i%36] = "0123456789abcdefABCDEF-g_ "[i%26]
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		if got, want := validUUID(s) == nil, re.MatchString(s); got != want {
			t.Errorf("validUUID(%q) accepts: %v, the pattern: %v", s, got, want)
		}
	}
}
