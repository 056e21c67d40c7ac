package domain

import (
	"slices"
	"testing"

	"github.com/google/uuid"
)

// mtMatch is an active match of participant from start to planned end.
func mtMatch(tb testing.TB, participant uuid.UUID, start, plannedEnd string) MentoringMatch {
	tb.Helper()
	return MentoringMatch{ID: uuid.New(), ParticipantID: participant, StartsOn: mtDate(tb, start),
		PlannedEndOn: mtDate(tb, plannedEnd), Status: "active"}
}

func TestMentoringMatchProfessionalLastsAtMostSixMonths(t *testing.T) {
	cases := []struct {
		start, end string
		ok         bool
	}{
		{"2027-01-15", "2027-07-15", true},  // exactly six months
		{"2027-01-15", "2027-07-16", false}, // six months and a day
		{"2027-01-15", "2027-01-15", true},  // a single day
		{"2027-01-15", "2027-04-30", true},
		{"2027-01-15", "2027-08-15", false}, // seven months
		{"2027-09-01", "2028-03-01", true},  // across a year end
		{"2027-09-01", "2028-03-02", false},
		{"2027-02-28", "2027-08-28", true}, // from the end of a short month
		{"2027-02-28", "2027-08-29", false},
		{"2027-01-15", "2028-01-15", false}, // a year
	}
	for _, tc := range cases {
		t.Run(tc.start+" to "+tc.end, func(t *testing.T) {
			err := mtMatch(t, uuid.New(), tc.start, tc.end).Validate(mtProfessional)
			if tc.ok {
				if err != nil {
					t.Fatalf("want accepted, got %v", err)
				}
				return
			}
			mtWantInvalid(t, err, "planned_end_on")
			if names := mtFieldNames(t, err); !slices.Equal(names, []string{"planned_end_on"}) {
				t.Errorf("error names %v, want only planned_end_on", names)
			}
		})
	}
}

// Six calendar months after the last day of a month is the last day of the sixth month
// (31 August to 29 February), as PostgreSQL's interval arithmetic and the usual reading of
// "six months" have it; Go's AddDate instead rolls 31 August + 6 months over to 2 March.
func TestMentoringMatchProfessionalSixMonthsFromTheEndOfAMonth(t *testing.T) {
	if err := mtMatch(t, uuid.New(), "2027-08-31", "2028-02-29").Validate(mtProfessional); err != nil {
		t.Fatalf("31 August to 29 February (six calendar months): %v", err)
	}
	for _, end := range []string{"2028-03-01", "2028-03-02"} {
		mtWantInvalid(t, mtMatch(t, uuid.New(), "2027-08-31", end).Validate(mtProfessional), "planned_end_on")
	}
}

func TestMentoringMatchPeerMentorHasNoLimit(t *testing.T) {
	for _, end := range []string{"2027-07-15", "2027-07-16", "2028-01-15", "2030-01-15"} {
		if err := mtMatch(t, uuid.New(), "2027-01-15", end).Validate(mtPeer); err != nil {
			t.Errorf("peer mentoring from 2027-01-15 to %s: %v", end, err)
		}
	}
}

func TestMentoringMatchPlannedEndNotBeforeStart(t *testing.T) {
	for name, mentor := range map[string]Mentor{"professional": mtProfessional, "peer": mtPeer} {
		t.Run(name, func(t *testing.T) {
			err := mtMatch(t, uuid.New(), "2027-01-15", "2027-01-14").Validate(mentor)
			mtWantInvalid(t, err, "planned_end_on")
			if err := mtMatch(t, uuid.New(), "2027-01-15", "2027-01-15").Validate(mentor); err != nil {
				t.Errorf("a match ending the day it starts: %v", err)
			}
		})
	}
}

func TestMentoringMatchPeerMentorNotTheirOwn(t *testing.T) {
	self := uuid.New()
	peer := mtPeer
	peer.ParticipantID = &self

	err := mtMatch(t, self, "2027-01-15", "2027-03-15").Validate(peer)
	mtWantInvalid(t, err, "participant_id")

	// The same peer mentor may mentor anyone else.
	if err := mtMatch(t, uuid.New(), "2027-01-15", "2027-03-15").Validate(peer); err != nil {
		t.Errorf("a former participant mentoring another participant: %v", err)
	}
	// A mentor who never was a participant matches anyone.
	if err := mtMatch(t, self, "2027-01-15", "2027-03-15").Validate(mtPeer); err != nil {
		t.Errorf("a peer mentor without a participant record: %v", err)
	}
}

func TestMentoringMatchEndedEarlyNeedsAReason(t *testing.T) {
	m := mtMatch(t, uuid.New(), "2027-01-15", "2027-05-15")
	m.Status, m.EndedOn = "ended_early", mtDatePtr(t, "2027-02-20")
	mtWantInvalid(t, m.Validate(mtProfessional), "end_reason")

	m.EndReason = mtStr("moved away")
	if err := m.Validate(mtProfessional); err != nil {
		t.Errorf("ended early with a reason: %v", err)
	}
	// Completing needs no reason.
	done := mtMatch(t, uuid.New(), "2027-01-15", "2027-05-15")
	done.Status, done.EndedOn = "completed", mtDatePtr(t, "2027-05-15")
	if err := done.Validate(mtProfessional); err != nil {
		t.Errorf("completed without a reason: %v", err)
	}
}

func TestMentoringMatchEndedOnNotBeforeStart(t *testing.T) {
	m := mtMatch(t, uuid.New(), "2027-01-15", "2027-05-15")
	m.Status, m.EndedOn, m.EndReason = "ended_early", mtDatePtr(t, "2027-01-14"), mtStr("never met")
	mtWantInvalid(t, m.Validate(mtProfessional), "ended_on")
}

func TestMentoringMatchReportsEveryBrokenRule(t *testing.T) {
	self := uuid.New()
	peer := mtPeer
	peer.ParticipantID = &self
	m := mtMatch(t, self, "2027-01-15", "2027-01-10")
	m.Status = "ended_early"
	names := mtFieldNames(t, m.Validate(peer))
	for _, want := range []string{"planned_end_on", "participant_id", "end_reason"} {
		if !slices.Contains(names, want) {
			t.Errorf("error names %v, want %s among them", names, want)
		}
	}
}

func TestCheckInValidateNotBeforeTheMatch(t *testing.T) {
	m := mtMatch(t, uuid.New(), "2027-01-15", "2027-05-15")
	mtWantInvalid(t, CheckIn{HeldOn: mtDate(t, "2027-01-14"), Minutes: 30, Mode: "video"}.Validate(m), "held_on")
	for _, day := range []string{"2027-01-15", "2027-02-01", "2027-05-15"} {
		if err := (CheckIn{HeldOn: mtDate(t, day), Minutes: 30, Mode: "video"}).Validate(m); err != nil {
			t.Errorf("a check-in on %s: %v", day, err)
		}
	}
}
