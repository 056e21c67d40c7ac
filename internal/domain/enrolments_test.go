package domain

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

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
