package domain

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the clock-change case needs Europe/London wherever the tests run

	"github.com/google/uuid"
)

// ctDate parses a YYYY-MM-DD date as the API does: midnight UTC.
func ctDate(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func ctInt(n int) *int { return &n }

// The catalogue's programmes, with the bounds of migration 00002.
var (
	ctStepIntoWork = Programme{Name: "Step into Work", MinAge: 19, RequiresBenefit: true,
		MinDurationDays: ctInt(42), MaxDurationDays: ctInt(84)}
	ctGetInto = Programme{Name: "Get Into", MinAge: 16, MaxAge: ctInt(30),
		MinDurationDays: ctInt(28), MaxDurationDays: ctInt(42)}
	ctGetStarted = Programme{Name: "Get Started", MinAge: 16, MaxAge: ctInt(30),
		MinDurationDays: ctInt(2), MaxDurationDays: ctInt(3)}
	ctWorkExperience = Programme{Name: "Work experience", MinAge: 14}
)

// ctFields returns the code of err and the fields it names, failing when err is not an *Error.
func ctFields(t *testing.T, err error) (Code, []FieldError) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("want a *domain.Error, got %T %v", err, err)
	}
	return e.Code, e.Fields
}

// ctWantInvalid fails unless err is invalid and names field with a message containing every
// one of words; it returns that message.
func ctWantInvalid(t *testing.T, err error, field string, words ...string) string {
	t.Helper()
	if err == nil {
		t.Fatalf("want invalid %s, got nil", field)
	}
	code, fields := ctFields(t, err)
	if code != CodeInvalid {
		t.Fatalf("code %q, want invalid: %v", code, err)
	}
	for _, f := range fields {
		if f.Field != field {
			continue
		}
		for _, w := range words {
			if !strings.Contains(f.Message, w) {
				t.Errorf("message for %s is %q; want it to contain %q", field, f.Message, w)
			}
		}
		return f.Message
	}
	t.Fatalf("fields %v, want one named %q", fields, field)
	return ""
}

func TestDurationDays(t *testing.T) {
	cases := []struct {
		starts, ends string
		want         int
	}{
		{"2027-01-04", "2027-01-04", 1}, // Monday to Monday: one day
		{"2027-01-04", "2027-01-05", 2}, // Monday to Tuesday: both ends count
		{"2027-01-04", "2027-01-06", 3},
		{"2027-01-04", "2027-02-13", 41},
		{"2027-01-04", "2027-02-14", 42},
		{"2027-01-04", "2027-03-28", 84},
		{"2027-12-30", "2028-01-02", 4},   // across a new year
		{"2028-02-28", "2028-03-01", 3},   // across a leap day
		{"2027-03-27", "2027-03-29", 3},   // across the spring clock change (in UTC: no change)
		{"2027-10-30", "2027-11-01", 3},   // across the autumn clock change
		{"2027-01-01", "2027-12-31", 365}, // a whole year
	}
	for _, tc := range cases {
		c := Cohort{StartsOn: ctDate(t, tc.starts), EndsOn: ctDate(t, tc.ends)}
		if got := c.DurationDays(); got != tc.want {
			t.Errorf("%s..%s: %d days, want %d", tc.starts, tc.ends, got, tc.want)
		}
	}
}

// Dates that carry a zone with clock changes (a caller building them with time.Local in the
// UK) are still whole days: 27 March to 29 March 2027 is three days in London too.
func TestDurationDaysInAZoneWithClockChanges(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Skipf("no zone data: %v", err)
	}
	cases := []struct {
		starts, ends [3]int
		want         int
	}{
		{[3]int{2027, 3, 27}, [3]int{2027, 3, 29}, 3},  // clocks go forward on the 28th: a 23-hour day
		{[3]int{2027, 10, 30}, [3]int{2027, 11, 1}, 3}, // clocks go back on the 31st: a 25-hour day
	}
	for _, tc := range cases {
		c := Cohort{StartsOn: time.Date(tc.starts[0], time.Month(tc.starts[1]), tc.starts[2], 0, 0, 0, 0, london),
			EndsOn: time.Date(tc.ends[0], time.Month(tc.ends[1]), tc.ends[2], 0, 0, 0, 0, london)}
		if got := c.DurationDays(); got != tc.want {
			t.Fatalf("regression: Cohort.DurationDays (internal/domain/cohort.go) divides EndsOn.Sub(StartsOn) by 24 hours and truncates, "+
				"so dates in a zone with clock changes lose a day across the spring change: %v..%v gives %d, want %d "+
				"(latent: dates from the API and the database are UTC)", c.StartsOn, c.EndsOn, got, tc.want)
		}
	}
}

func TestCohortValidateDurationBounds(t *testing.T) {
	cases := []struct {
		name         string
		programme    Programme
		starts, ends string
		ok           bool
	}{
		{"Step into Work of 41 days", ctStepIntoWork, "2027-01-04", "2027-02-13", false},
		{"Step into Work of 42 days", ctStepIntoWork, "2027-01-04", "2027-02-14", true},
		{"Step into Work of 84 days", ctStepIntoWork, "2027-01-04", "2027-03-28", true},
		{"Step into Work of 85 days", ctStepIntoWork, "2027-01-04", "2027-03-29", false},
		{"Get Into of 27 days", ctGetInto, "2027-01-04", "2027-01-30", false},
		{"Get Into of 28 days", ctGetInto, "2027-01-04", "2027-01-31", true},
		{"Get Into of 42 days", ctGetInto, "2027-01-04", "2027-02-14", true},
		{"Get Into of 43 days", ctGetInto, "2027-01-04", "2027-02-15", false},
		{"Get Started of 1 day", ctGetStarted, "2027-01-04", "2027-01-04", false},
		{"Get Started Monday to Tuesday", ctGetStarted, "2027-01-04", "2027-01-05", true},
		{"Get Started of 3 days", ctGetStarted, "2027-01-04", "2027-01-06", true},
		{"Get Started of 4 days", ctGetStarted, "2027-01-04", "2027-01-07", false},
		{"Work experience of 1 day", ctWorkExperience, "2027-01-04", "2027-01-04", true},
		{"Work experience of a year", ctWorkExperience, "2027-01-04", "2028-01-03", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := Cohort{StartsOn: ctDate(t, tc.starts), EndsOn: ctDate(t, tc.ends), Capacity: 10}
			err := c.Validate(tc.programme)
			if tc.ok {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			msg := ctWantInvalid(t, err, "ends_on", fmt.Sprintf("%d days", c.DurationDays()), tc.programme.Name)
			t.Log(msg)
		})
	}
}

func TestCohortValidateMessageNamesTheBounds(t *testing.T) {
	c := Cohort{StartsOn: ctDate(t, "2027-01-04"), EndsOn: ctDate(t, "2027-02-13"), Capacity: 10}
	ctWantInvalid(t, c.Validate(ctStepIntoWork), "ends_on", "41 days", "42 to 84 days")
	minOnly := Programme{Name: "Long", MinDurationDays: ctInt(10)}
	ctWantInvalid(t, Cohort{StartsOn: c.StartsOn, EndsOn: c.StartsOn, Capacity: 1}.Validate(minOnly), "ends_on", "at least 10 days")
	maxOnly := Programme{Name: "Short", MaxDurationDays: ctInt(1)}
	ctWantInvalid(t, c.Validate(maxOnly), "ends_on", "at most 1 days")
}

func TestCohortValidateEndsBeforeStarts(t *testing.T) {
	c := Cohort{StartsOn: ctDate(t, "2027-01-05"), EndsOn: ctDate(t, "2027-01-04"), Capacity: 10}
	ctWantInvalid(t, c.Validate(ctWorkExperience), "ends_on", "before starts_on")
	// Even a programme whose bounds the negative duration might slip through.
	ctWantInvalid(t, c.Validate(Programme{Name: "Capped", MaxDurationDays: ctInt(5)}), "ends_on", "before starts_on")
	// The same day is fine.
	c.EndsOn = c.StartsOn
	if err := c.Validate(ctWorkExperience); err != nil {
		t.Errorf("a one-day cohort refused: %v", err)
	}
}

func TestCohortValidateCapacity(t *testing.T) {
	c := Cohort{StartsOn: ctDate(t, "2027-01-04"), EndsOn: ctDate(t, "2027-01-04"), Capacity: 2, PlacesTaken: 3}
	ctWantInvalid(t, c.Validate(ctWorkExperience), "capacity", "3 places")
	c.Capacity = 3
	if err := c.Validate(ctWorkExperience); err != nil {
		t.Errorf("capacity equal to the places taken refused: %v", err)
	}
	c.Capacity = 4
	if err := c.Validate(ctWorkExperience); err != nil {
		t.Errorf("capacity above the places taken refused: %v", err)
	}
}

func TestCohortValidateReportsEveryField(t *testing.T) {
	c := Cohort{StartsOn: ctDate(t, "2027-01-04"), EndsOn: ctDate(t, "2027-02-13"), Capacity: 1, PlacesTaken: 2}
	err := c.Validate(ctStepIntoWork)
	ctWantInvalid(t, err, "ends_on")
	ctWantInvalid(t, err, "capacity")
}

func TestCohortChangeApply(t *testing.T) {
	partner := uuid.New()
	ref := "HEE-2027-01"
	c := Cohort{Name: "Spring", Capacity: 10, Status: "planned", DeliveryPartnerID: &partner, FundingAwardRef: &ref}
	capacity, status := 12, "running"
	CohortChange{Capacity: &capacity, Status: &status, DeliveryPartnerID: Change[uuid.UUID]{Set: true}}.Apply(&c)
	if c.Capacity != 12 || c.Status != "running" || c.Name != "Spring" {
		t.Errorf("after the patch: %+v", c)
	}
	if c.DeliveryPartnerID != nil {
		t.Errorf("a null delivery_partner_id kept %v", c.DeliveryPartnerID)
	}
	if c.FundingAwardRef == nil || *c.FundingAwardRef != ref {
		t.Errorf("an absent funding_award_ref changed to %v", c.FundingAwardRef)
	}
}
