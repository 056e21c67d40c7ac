package domain

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// outcomeDate parses a YYYY-MM-DD date for the outcome tests.
func outcomeDate(tb testing.TB, s string) time.Time {
	tb.Helper()
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

func outcomeDatePtr(tb testing.TB, s string) *time.Time {
	tb.Helper()
	d := outcomeDate(tb, s)
	return &d
}

// outcomeFieldErrors returns the field errors of err, failing unless it is an invalid *Error.
func outcomeFieldErrors(tb testing.TB, err error) []FieldError {
	tb.Helper()
	var e *Error
	if !errors.As(err, &e) {
		tb.Fatalf("error %v (%T), want a *domain.Error", err, err)
	}
	if e.Code != CodeInvalid {
		tb.Fatalf("code %q, want %q: %v", e.Code, CodeInvalid, err)
	}
	if len(e.Fields) == 0 {
		tb.Fatalf("an invalid error that names no field: %v", err)
	}
	return e.Fields
}

func outcomeFieldNames(fields []FieldError) []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = f.Field
	}
	return out
}

func TestPositiveDestinations(t *testing.T) {
	cases := []struct {
		destination string
		positive    bool
	}{
		{DestEmployment, true},
		{DestApprenticeship, true},
		{DestVolunteering, true},
		{DestFurtherEducation, true},
		{DestTraining, true},
		{DestNone, false},
		{DestUnknown, false},
	}
	for _, tc := range cases {
		t.Run(tc.destination, func(t *testing.T) {
			if got := Positive(tc.destination); got != tc.positive {
				t.Errorf("Positive(%q) = %v, want %v", tc.destination, got, tc.positive)
			}
			if got := (Outcome{Destination: tc.destination}).Positive(); got != tc.positive {
				t.Errorf("Outcome{Destination: %q}.Positive() = %v, want %v", tc.destination, got, tc.positive)
			}
		})
	}
}

// outcomeILRCodes is the mapping of DESIGN.md and openapi.yaml, written out independently of
// the production table so that a change to either shows here.
var outcomeILRCodes = map[string][]string{
	DestEmployment:       {"EMP1", "EMP2", "EMP4", "EMP5"},
	DestApprenticeship:   {"EDU2"},
	DestFurtherEducation: {"EDU1", "EDU3", "EDU4", "EDU5", "EDU6"},
	DestTraining:         {"EDU1", "EDU3", "EDU4", "EDU5", "EDU6"},
	DestVolunteering:     {"VOL1"},
	DestNone:             {"NPE1", "NPE2", "NPE3", "GAP1", "OTH1", "OTH2", "OTH3", "SDE1"},
	DestUnknown:          {"NTK1"},
}

func TestOutcomeValidateAcceptsEachILRCodeOfItsDestination(t *testing.T) {
	for dest, codes := range outcomeILRCodes {
		for _, code := range codes {
			if err := (Outcome{Destination: dest, ILRCode: code}).Validate(); err != nil {
				t.Errorf("%s with %s: %v", dest, code, err)
			}
		}
	}
}

func TestOutcomeValidateRefusesAnotherDestinationsILRCode(t *testing.T) {
	every := map[string]bool{}
	for _, codes := range outcomeILRCodes {
		for _, c := range codes {
			every[c] = true
		}
	}
	for dest, allowed := range outcomeILRCodes {
		for code := range every {
			if slices.Contains(allowed, code) {
				continue
			}
			err := (Outcome{Destination: dest, ILRCode: code}).Validate()
			if err == nil {
				t.Errorf("%s with %s was accepted", dest, code)
				continue
			}
			fields := outcomeFieldErrors(t, err)
			if !slices.Equal(outcomeFieldNames(fields), []string{"ilr_code"}) {
				t.Errorf("%s with %s names %v, want only ilr_code", dest, code, outcomeFieldNames(fields))
			}
		}
	}
}

func TestOutcomeValidateILRCodeExamples(t *testing.T) {
	cases := []struct {
		destination, code string
		ok                bool
	}{
		{DestEmployment, "EMP1", true},
		{DestEmployment, "EMP5", true},
		{DestEmployment, "EMP3", false}, // not in the design's list for employment
		{DestEmployment, "EDU2", false},
		{DestApprenticeship, "EDU2", true},
		{DestApprenticeship, "EMP1", false},
		{DestApprenticeship, "EDU1", false},
		{DestVolunteering, "VOL1", true},
		{DestVolunteering, "EMP1", false},
		{DestFurtherEducation, "EDU2", false},
		{DestTraining, "EDU3", true},
		{DestNone, "NPE1", true},
		{DestNone, "NTK1", false},
		{DestUnknown, "NTK1", true},
		{DestUnknown, "NPE1", false},
		{DestEmployment, "", false},
		{DestEmployment, "emp1", false}, // codes are upper case
		{"astronaut", "EMP1", false},    // not a destination at all
	}
	for _, tc := range cases {
		err := (Outcome{Destination: tc.destination, ILRCode: tc.code}).Validate()
		if tc.ok {
			if err != nil {
				t.Errorf("%s with %q refused: %v", tc.destination, tc.code, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s with %q accepted", tc.destination, tc.code)
			continue
		}
		if names := outcomeFieldNames(outcomeFieldErrors(t, err)); !slices.Contains(names, "ilr_code") {
			t.Errorf("%s with %q names %v, want ilr_code", tc.destination, tc.code, names)
		}
	}
}

func TestOutcomeValidateMessageListsTheAllowedCodes(t *testing.T) {
	for dest, allowed := range outcomeILRCodes {
		wrong := "EDU2"
		if dest == DestApprenticeship {
			wrong = "EMP1"
		}
		err := (Outcome{Destination: dest, ILRCode: wrong}).Validate()
		if err == nil {
			t.Fatalf("%s with %s accepted", dest, wrong)
		}
		msg := outcomeFieldErrors(t, err)[0].Message
		for _, code := range allowed {
			if !strings.Contains(msg, code) {
				t.Errorf("%s: message %q does not list %s", dest, msg, code)
			}
		}
		if !strings.Contains(msg, wrong) {
			t.Errorf("%s: message %q does not name the code given, %s", dest, msg, wrong)
		}
	}
}

func TestOutcomeValidateSustainmentChecks(t *testing.T) {
	starts := outcomeDatePtr(t, "2026-01-10")
	check := func(on string) *SustainmentCheck {
		return &SustainmentCheck{Result: "yes", CheckedOn: outcomeDate(t, on)}
	}
	base := func() Outcome {
		return Outcome{Destination: DestEmployment, ILRCode: "EMP1", StartsOn: starts}
	}
	cases := []struct {
		name   string
		edit   func(o *Outcome)
		fields []string // nil: valid
	}{
		{"no checks", func(*Outcome) {}, nil},
		{"3 months checked on time", func(o *Outcome) { o.Sustained3m = check("2026-04-10") }, nil},
		{"6 months checked on time", func(o *Outcome) { o.Sustained6m = check("2026-07-10") }, nil},
		{"checked on the start day", func(o *Outcome) { o.Sustained3m = check("2026-01-10") }, nil},
		{"both checked", func(o *Outcome) { o.Sustained3m, o.Sustained6m = check("2026-04-12"), check("2026-07-12") }, nil},
		{"3 months without starts_on", func(o *Outcome) { o.StartsOn, o.Sustained3m = nil, check("2026-04-10") }, []string{"sustained_3_months"}},
		{"6 months without starts_on", func(o *Outcome) { o.StartsOn, o.Sustained6m = nil, check("2026-07-10") }, []string{"sustained_6_months"}},
		{"3 months checked before the start", func(o *Outcome) { o.Sustained3m = check("2026-01-09") }, []string{"sustained_3_months.checked_on"}},
		{"6 months checked before the start", func(o *Outcome) { o.Sustained6m = check("2025-12-31") }, []string{"sustained_6_months.checked_on"}},
		{"both checked before the start", func(o *Outcome) { o.Sustained3m, o.Sustained6m = check("2026-01-01"), check("2026-01-02") },
			[]string{"sustained_3_months.checked_on", "sustained_6_months.checked_on"}},
		{"a wrong code and a bad check together", func(o *Outcome) { o.ILRCode, o.Sustained3m = "VOL1", check("2026-01-01") },
			[]string{"ilr_code", "sustained_3_months.checked_on"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := base()
			tc.edit(&o)
			err := o.Validate()
			if tc.fields == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted, want errors on %v", tc.fields)
			}
			// In a fixed order, so that a client sees the same answer to the same request.
			if got := outcomeFieldNames(outcomeFieldErrors(t, err)); !slices.Equal(got, tc.fields) {
				t.Errorf("names %v, want %v", got, tc.fields)
			}
		})
	}
}

func TestSustainmentDue(t *testing.T) {
	starts := outcomeDatePtr(t, "2026-01-10")
	check := func(on string) *SustainmentCheck {
		return &SustainmentCheck{Result: "yes", CheckedOn: outcomeDate(t, on)}
	}
	employment := Outcome{Destination: DestEmployment, ILRCode: "EMP1", StartsOn: starts}
	after3m := employment
	after3m.Sustained3m = check("2026-04-14")
	both := after3m
	both.Sustained6m = check("2026-07-14")
	only6m := employment // recorded out of order: the 3-month check is still due
	only6m.Sustained6m = check("2026-07-14")
	apprenticeship := Outcome{Destination: DestApprenticeship, ILRCode: "EDU2", StartsOn: starts}
	noStart := Outcome{Destination: DestEmployment, ILRCode: "EMP1"}

	cases := []struct {
		name string
		o    Outcome
		day  string
		due  bool
	}{
		{"employment, before the 3-month mark", employment, "2026-03-01", false},
		{"employment, on the 3-month mark", employment, "2026-04-10", false},
		{"employment, the day after the 3-month mark", employment, "2026-04-11", true},
		{"employment, long after", employment, "2027-01-01", true},
		{"apprenticeship, on the 3-month mark", apprenticeship, "2026-04-10", false},
		{"apprenticeship, after the 3-month mark", apprenticeship, "2026-04-11", true},
		{"3 months recorded, before the 6-month mark", after3m, "2026-05-01", false},
		{"3 months recorded, on the 6-month mark", after3m, "2026-07-10", false},
		{"3 months recorded, after the 6-month mark", after3m, "2026-07-11", true},
		{"only 6 months recorded", only6m, "2026-04-11", true},
		{"both recorded", both, "2026-07-11", false},
		{"both recorded, years later", both, "2030-01-01", false},
		{"employment without starts_on", noStart, "2030-01-01", false},
	}
	for _, dest := range []string{DestVolunteering, DestFurtherEducation, DestTraining, DestNone, DestUnknown} {
		cases = append(cases, struct {
			name string
			o    Outcome
			day  string
			due  bool
		}{dest + " is never checked", Outcome{Destination: dest, ILRCode: outcomeILRCodes[dest][0], StartsOn: starts}, "2030-01-01", false})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.o.SustainmentDue(outcomeDate(t, tc.day)); got != tc.due {
				t.Errorf("SustainmentDue(%s) = %v, want %v", tc.day, got, tc.due)
			}
		})
	}
}

// The 3-month mark of a start at a month's end: PostgreSQL's `date + interval '3 months'`,
// which the sustainment_due_before list uses, clamps 30 November to 28 February; the domain
// rule claims to be the same rule, so it must agree.
func TestSustainmentDueAtMonthEndAgreesWithTheList(t *testing.T) {
	cases := []struct {
		starts string
		months int
		day    string
		due    bool
	}{
		{"2025-11-30", 3, "2026-02-28", false}, // the mark is 28 February
		{"2025-11-30", 3, "2026-03-01", true},
		{"2025-11-30", 3, "2026-03-02", true},
		{"2025-08-31", 6, "2026-02-28", false}, // 6 months: 28 February too
		{"2025-08-31", 6, "2026-03-01", true},
		{"2023-11-30", 3, "2024-02-29", false}, // a leap year: 29 February
		{"2023-11-30", 3, "2024-03-01", true},
	}
	for _, tc := range cases {
		o := Outcome{Destination: DestEmployment, ILRCode: "EMP1", StartsOn: outcomeDatePtr(t, tc.starts)}
		if tc.months == 6 {
			o.Sustained3m = &SustainmentCheck{Result: "yes", CheckedOn: outcomeDate(t, tc.starts)}
		}
		if got := o.SustainmentDue(outcomeDate(t, tc.day)); got != tc.due {
			t.Errorf("start %s, %d-month check: SustainmentDue(%s) = %v, want %v (as the list in PostgreSQL)", tc.starts, tc.months, tc.day, got, tc.due)
		}
	}
}
