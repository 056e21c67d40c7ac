package domain

import (
	"errors"
	"fmt"
	"slices"
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

// ctPerson is a participant born on dob with benefit status benefit.
func ctPerson(t *testing.T, dob, benefit string) Participant {
	t.Helper()
	d := ctDate(t, dob)
	return Participant{DateOfBirth: &d, BenefitStatus: benefit}
}

func TestEligibilityStepIntoWork(t *testing.T) {
	c := Cohort{StartsOn: ctDate(t, "2027-01-04"), EndsOn: ctDate(t, "2027-02-14")}
	cases := []struct {
		name    string
		who     Participant
		ok      bool
		mention []string
	}{
		{"19 on the day of the start", ctPerson(t, "2008-01-04", "universal_credit"), true, nil},
		{"19 the day after the start", ctPerson(t, "2008-01-05", "universal_credit"), false, []string{"eligibility", "19 or over", "18"}},
		{"18 at the start", ctPerson(t, "2008-06-01", "universal_credit"), false, []string{"eligibility", "19 or over"}},
		{"17 at the start", ctPerson(t, "2009-06-01", "universal_credit"), false, []string{"19 or over", "17"}},
		{"well over 19", ctPerson(t, "1980-03-15", "universal_credit"), true, nil},
		{"no benefit", ctPerson(t, "1990-01-01", "none"), false, []string{"eligibility", "benefit", "none"}},
		{"benefit unknown", ctPerson(t, "1990-01-01", "unknown"), false, []string{"eligibility", "benefit", "unknown"}},
		{"benefit status empty", ctPerson(t, "1990-01-01", ""), false, []string{"benefit"}},
		{"jobseekers_allowance", ctPerson(t, "1990-01-01", "jobseekers_allowance"), true, nil},
		{"employment_and_support_allowance", ctPerson(t, "1990-01-01", "employment_and_support_allowance"), true, nil},
		{"income_support", ctPerson(t, "1990-01-01", "income_support"), true, nil},
		{"other_working_age_benefit", ctPerson(t, "1990-01-01", "other_working_age_benefit"), true, nil},
		// Born on 29 February: 19 on 1 March in a year without one, as in UK law.
		{"leap-day birthday not yet reached", ctPerson(t, "2008-02-29", "universal_credit"), false, []string{"19 or over"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cohort := c
			if strings.HasPrefix(tc.name, "leap-day") {
				cohort.StartsOn = ctDate(t, "2027-02-28")
			}
			err := CheckEligibility(ctStepIntoWork, cohort, tc.who)
			if tc.ok {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			t.Log(ctWantInvalid(t, err, "participant_id", tc.mention...))
		})
	}
	// The age that counts is the age at the cohort's start, not today's: someone who is 18
	// today is eligible for a cohort starting after their 19th birthday, and the reverse.
	late := Cohort{StartsOn: ctDate(t, "2027-03-01"), EndsOn: ctDate(t, "2027-04-30")}
	if err := CheckEligibility(ctStepIntoWork, late, ctPerson(t, "2008-02-29", "universal_credit")); err != nil {
		t.Errorf("19 on 1 March 2027 (born 29 February 2008) refused for a cohort starting that day: %v", err)
	}
	if err := CheckEligibility(ctStepIntoWork, late, ctPerson(t, "2008-03-02", "universal_credit")); err == nil {
		t.Errorf("19 on 2 March 2027 accepted for a cohort starting on 1 March")
	}
}

func TestEligibilityAgeCheckedBeforeBenefit(t *testing.T) {
	// Both rules broken: the refusal still names a rule and the participant, whichever comes first.
	c := Cohort{StartsOn: ctDate(t, "2027-01-04")}
	err := CheckEligibility(ctStepIntoWork, c, ctPerson(t, "2010-01-01", "none"))
	ctWantInvalid(t, err, "participant_id", "eligibility")
}

func TestEligibilityGetInto(t *testing.T) {
	c := Cohort{StartsOn: ctDate(t, "2027-01-04"), EndsOn: ctDate(t, "2027-02-07")}
	cases := []struct {
		name string
		dob  string
		ok   bool
	}{
		{"15 (16 the day after the start)", "2011-01-05", false},
		{"16 on the day of the start", "2011-01-04", true},
		{"30 (31 the day after the start)", "1996-01-05", true},
		{"31 on the day of the start", "1996-01-04", false},
		{"23", "2003-07-01", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// No benefit needed for a Prince's Trust programme.
			err := CheckEligibility(ctGetInto, c, ctPerson(t, tc.dob, "none"))
			if tc.ok {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			t.Log(ctWantInvalid(t, err, "participant_id", "eligibility", "16 to 30", "Get Into"))
		})
	}
}

func TestEligibilityOtherProgrammesUseTheirOwnFields(t *testing.T) {
	c := Cohort{StartsOn: ctDate(t, "2027-01-04")}
	if err := CheckEligibility(ctWorkExperience, c, ctPerson(t, "2012-06-01", "unknown")); err != nil {
		t.Errorf("a 14-year-old refused for work experience: %v", err)
	}
	ctWantInvalid(t, CheckEligibility(ctWorkExperience, c, ctPerson(t, "2013-06-01", "unknown")), "participant_id", "14 or over")
	benefit := Programme{Name: "Benefit only", RequiresBenefit: true}
	ctWantInvalid(t, CheckEligibility(benefit, c, ctPerson(t, "2000-01-01", "none")), "participant_id", "benefit")
}

func TestEligibilityUnknownDateOfBirth(t *testing.T) {
	c := Cohort{StartsOn: ctDate(t, "2027-01-04")}
	for _, p := range []Programme{ctStepIntoWork, ctGetInto, ctWorkExperience} {
		err := CheckEligibility(p, c, Participant{BenefitStatus: "universal_credit"})
		ctWantInvalid(t, err, "participant_id", "date of birth")
	}
}

func TestEligibilityErasedParticipant(t *testing.T) {
	c := Cohort{StartsOn: ctDate(t, "2027-01-04")}
	erased := ctPerson(t, "1990-01-01", "universal_credit") // eligible in every other way
	at := ctDate(t, "2026-12-01")
	erased.ErasedAt = &at
	for _, p := range []Programme{ctStepIntoWork, ctWorkExperience} {
		ctWantInvalid(t, CheckEligibility(p, c, erased), "participant_id", "erased")
	}
	// As erasure leaves it: no date of birth either. Still refused as erased.
	erased.DateOfBirth = nil
	ctWantInvalid(t, CheckEligibility(ctWorkExperience, c, erased), "participant_id", "erased")
}

var ctAllStatuses = []string{Referred, Enrolled, Active, Completed, Withdrawn}

// ctAllowed is the lifecycle as the issue states it, written out independently of the code.
var ctAllowed = map[string][]string{
	Referred: {Enrolled, Withdrawn},
	Enrolled: {Active, Withdrawn},
	Active:   {Completed, Withdrawn},
}

func TestMoveEveryAllowedMove(t *testing.T) {
	reason := "found a job elsewhere"
	cases := []struct {
		from, to string
		places   int
		stamped  func(e Enrolment) *time.Time
	}{
		{Referred, Enrolled, +1, func(e Enrolment) *time.Time { return e.EnrolledOn }},
		{Referred, Withdrawn, 0, func(e Enrolment) *time.Time { return e.WithdrawnOn }},
		{Enrolled, Active, 0, func(e Enrolment) *time.Time { return e.StartedOn }},
		{Enrolled, Withdrawn, -1, func(e Enrolment) *time.Time { return e.WithdrawnOn }},
		{Active, Completed, 0, func(e Enrolment) *time.Time { return e.CompletedOn }},
		{Active, Withdrawn, -1, func(e Enrolment) *time.Time { return e.WithdrawnOn }},
	}
	covered := 0
	for _, tc := range cases {
		t.Run(tc.from+" to "+tc.to, func(t *testing.T) {
			earlier := EnrolmentEvent{Status: tc.from, On: ctDate(t, "2027-01-01"), Actor: "user:earlier"}
			e := Enrolment{Status: tc.from, History: []EnrolmentEvent{earlier}}
			day := ctDate(t, "2027-01-11")
			now := time.Date(2027, 1, 12, 9, 30, 0, 0, time.UTC)
			var why *string
			if tc.to == Withdrawn {
				why = &reason
			}
			places, err := e.Move(tc.to, day, "user:0190a4b2-0000-7000-8000-000000000001", why, now)
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if places != tc.places {
				t.Errorf("places delta %d, want %d", places, tc.places)
			}
			if e.Status != tc.to {
				t.Errorf("status %q, want %q", e.Status, tc.to)
			}
			if got := tc.stamped(e); got == nil || !got.Equal(day) {
				t.Errorf("date field %v, want %v", got, day)
			}
			if tc.to == Withdrawn && (e.WithdrawalReason == nil || *e.WithdrawalReason != reason) {
				t.Errorf("withdrawal reason %v", e.WithdrawalReason)
			}
			if tc.to != Withdrawn && (e.WithdrawnOn != nil || e.WithdrawalReason != nil) {
				t.Errorf("a %s move stamped a withdrawal", tc.to)
			}
			want := []EnrolmentEvent{earlier, {Status: tc.to, On: day, Actor: "user:0190a4b2-0000-7000-8000-000000000001", At: now}}
			if !slices.Equal(e.History, want) {
				t.Errorf("history %+v, want %+v", e.History, want)
			}
		})
		covered++
	}
	n := 0
	for _, to := range ctAllowed {
		n += len(to)
	}
	if covered != n {
		t.Errorf("%d allowed moves tested, the lifecycle has %d", covered, n)
	}
}

// A whole life, each step's delta summing to the places the enrolment holds at the end.
func TestMoveWholeLifecycle(t *testing.T) {
	e := Enrolment{Status: Referred}
	held := 0
	for i, to := range []string{Enrolled, Active, Completed} {
		day := ctDate(t, "2027-01-04").AddDate(0, 0, 7*i)
		places, err := e.Move(to, day, "user:x", nil, day)
		if err != nil {
			t.Fatalf("%s: %v", to, err)
		}
		held += places
	}
	if held != 1 {
		t.Errorf("a completed enrolment holds %d places, want 1 (it keeps its place)", held)
	}
	if e.EnrolledOn == nil || e.StartedOn == nil || e.CompletedOn == nil || len(e.History) != 3 {
		t.Errorf("dates or history missing: %+v", e)
	}
	if !e.StartedOn.After(*e.EnrolledOn) || !e.CompletedOn.After(*e.StartedOn) {
		t.Errorf("dates out of order: %+v", e)
	}
}

func TestMoveEveryIllegalMoveIsAConflict(t *testing.T) {
	reason := "moved away"
	for _, from := range ctAllStatuses {
		for _, to := range ctAllStatuses {
			if slices.Contains(ctAllowed[from], to) {
				continue
			}
			t.Run(from+" to "+to, func(t *testing.T) {
				e := Enrolment{Status: from, History: []EnrolmentEvent{{Status: from}}}
				before := fmt.Sprintf("%+v", e)
				places, err := e.Move(to, ctDate(t, "2027-01-11"), "user:x", &reason, time.Now())
				if err == nil {
					t.Fatalf("allowed")
				}
				code, _ := ctFields(t, err)
				if code != CodeConflict {
					t.Fatalf("code %q, want conflict: %v", code, err)
				}
				msg := err.Error()
				if len(ctAllowed[from]) == 0 {
					if !strings.Contains(msg, from) || !strings.Contains(msg, "cannot move") {
						t.Errorf("message %q does not say that a %s enrolment cannot move", msg, from)
					}
				}
				for _, ok := range ctAllowed[from] {
					if !strings.Contains(msg, ok) {
						t.Errorf("message %q does not list the allowed move to %s", msg, ok)
					}
				}
				if places != 0 {
					t.Errorf("places delta %d on a refused move", places)
				}
				if after := fmt.Sprintf("%+v", e); after != before {
					t.Errorf("a refused move changed the enrolment:\n%s\n%s", before, after)
				}
			})
		}
	}
}

func TestMoveWithdrawNeedsAReason(t *testing.T) {
	empty := ""
	for _, from := range []string{Referred, Enrolled, Active} {
		for _, reason := range []*string{nil, &empty} {
			e := Enrolment{Status: from}
			places, err := e.Move(Withdrawn, ctDate(t, "2027-01-11"), "user:x", reason, time.Now())
			ctWantInvalid(t, err, "reason", "required")
			if e.Status != from || e.WithdrawnOn != nil || len(e.History) != 0 || places != 0 {
				t.Errorf("from %s: a refused withdrawal changed the enrolment: %+v (places %d)", from, e, places)
			}
		}
	}
}

// A reason of blanks is no reason: the withdrawal report would show nothing.
func TestMoveWithdrawBlankReason(t *testing.T) {
	blank := "   "
	e := Enrolment{Status: Enrolled}
	_, err := e.Move(Withdrawn, ctDate(t, "2027-01-11"), "user:x", &blank, time.Now())
	if err == nil {
		t.Fatal("regression: Enrolment.Move (internal/domain/cohort.go) accepts a withdrawal reason of only spaces: it tests *reason == \"\", " +
			"not strings.TrimSpace(*reason) == \"\" (the contract's minLength 1 lets \"   \" through); POST .../transitions " +
			"{\"to\":\"withdrawn\",\"reason\":\"   \"} answers 200")
	}
	ctWantInvalid(t, err, "reason")
}

func TestMoveToAnUnknownStatus(t *testing.T) {
	e := Enrolment{Status: Referred}
	_, err := e.Move("graduated", ctDate(t, "2027-01-11"), "user:x", nil, time.Now())
	if code, _ := ctFields(t, err); code != CodeConflict {
		t.Errorf("code %q for an unknown status", code)
	}
	if e.Status != Referred {
		t.Errorf("status changed to %q", e.Status)
	}
}
