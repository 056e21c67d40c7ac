package domain

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
)

// mtDate parses a YYYY-MM-DD date as the API does: midnight UTC.
func mtDate(tb testing.TB, s string) time.Time {
	tb.Helper()
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

func mtDatePtr(tb testing.TB, s string) *time.Time {
	tb.Helper()
	d := mtDate(tb, s)
	return &d
}

func mtStr(s string) *string { return &s }

// mtFieldNames returns the fields an invalid error names, failing when err is not an invalid
// *Error.
func mtFieldNames(tb testing.TB, err error) []string {
	tb.Helper()
	var e *Error
	if !errors.As(err, &e) {
		tb.Fatalf("want a *domain.Error, got %T %v", err, err)
	}
	if e.Code != CodeInvalid {
		tb.Fatalf("code %q, want invalid: %v", e.Code, err)
	}
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Field)
	}
	return out
}

// mtWantInvalid fails unless err is invalid and names field.
func mtWantInvalid(tb testing.TB, err error, field string) {
	tb.Helper()
	if err == nil {
		tb.Fatalf("want invalid %s, got nil", field)
	}
	if names := mtFieldNames(tb, err); !slices.Contains(names, field) {
		tb.Errorf("error names %v, want %s: %v", names, field, err)
	}
}

var (
	mtProfessional = Mentor{ID: uuid.New(), Kind: "professional", Active: true}
	mtPeer         = Mentor{ID: uuid.New(), Kind: "peer", Active: true}
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

// mtParticipant is a participant with personal data, as a peer mentor would be made from.
func mtParticipant() Participant {
	return Participant{ID: uuid.New(), OrganisationID: uuid.New(), ExternalRef: mtStr("SD-17"),
		GivenName: mtStr("Ayomide"), FamilyName: mtStr("Okonkwo-Hale"), Email: mtStr("ayo@example.org"),
		Phone: mtStr("07700 900555"), Postcode: mtStr("E1 6AN"), BenefitStatus: "none"}
}

func TestPeerMentorFromCopiesTheParticipant(t *testing.T) {
	p := mtParticipant()
	done := &Enrolment{ID: uuid.New(), ParticipantID: p.ID, Status: Completed, CompletedOn: mtDatePtr(t, "2026-05-29")}

	m, err := PeerMentorFrom(p, done, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.Kind != "peer" || !m.Active || m.OrganisationID != p.OrganisationID {
		t.Errorf("kind %q, active %v, organisation %s (want peer, true, %s)", m.Kind, m.Active, m.OrganisationID, p.OrganisationID)
	}
	for field, got := range map[string][2]*string{"given_name": {m.GivenName, p.GivenName},
		"family_name": {m.FamilyName, p.FamilyName}, "email": {m.Email, p.Email}} {
		if got[0] == nil || *got[0] != *got[1] {
			t.Errorf("%s = %v, want %q", field, got[0], *got[1])
		}
	}
	if m.ParticipantID == nil || *m.ParticipantID != p.ID {
		t.Errorf("participant_id = %v, want %s", m.ParticipantID, p.ID)
	}
	if m.TrainedOn == nil || !m.TrainedOn.Equal(*done.CompletedOn) {
		t.Errorf("trained_on = %v, want the completion date %v", m.TrainedOn, *done.CompletedOn)
	}
	if m.ID != uuid.Nil || m.DeletedAt != nil {
		t.Errorf("a new mentor came with id %s, deleted_at %v", m.ID, m.DeletedAt)
	}

	// A training date given wins over the enrolment's.
	m, err = PeerMentorFrom(p, done, mtDatePtr(t, "2026-06-10"))
	if err != nil {
		t.Fatal(err)
	}
	if m.TrainedOn == nil || !m.TrainedOn.Equal(mtDate(t, "2026-06-10")) {
		t.Errorf("trained_on = %v, want 2026-06-10", m.TrainedOn)
	}
}

func TestPeerMentorFromRefusesAnErasedParticipant(t *testing.T) {
	done := &Enrolment{Status: Completed, CompletedOn: mtDatePtr(t, "2026-05-29")}

	erased := mtParticipant()
	erased.Erase(mtDate(t, "2026-06-01"))
	_, err := PeerMentorFrom(erased, done, nil)
	mtWantInvalid(t, err, "participant_id")

	// Erased is erased, whatever the record still holds.
	marked := mtParticipant()
	marked.ErasedAt = mtDatePtr(t, "2026-06-01")
	_, err = PeerMentorFrom(marked, done, nil)
	mtWantInvalid(t, err, "participant_id")
}

func TestPeerMentorFromRefusesWithoutCompletedMentoring(t *testing.T) {
	_, err := PeerMentorFrom(mtParticipant(), nil, nil)
	mtWantInvalid(t, err, "participant_id")
	// A training date does not stand in for the completed enrolment.
	_, err = PeerMentorFrom(mtParticipant(), nil, mtDatePtr(t, "2026-06-10"))
	mtWantInvalid(t, err, "participant_id")
}

func TestMentorEraseForWipesPersonalData(t *testing.T) {
	p := mtParticipant()
	m, err := PeerMentorFrom(p, &Enrolment{Status: Completed, CompletedOn: mtDatePtr(t, "2026-05-29")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	m.EraseFor()
	if m.GivenName != nil || m.FamilyName != nil || m.Email != nil || m.Active {
		t.Errorf("after erasure: given %v, family %v, email %v, active %v", m.GivenName, m.FamilyName, m.Email, m.Active)
	}
	// The participant's own record is not touched through the mentor.
	if p.GivenName == nil || *p.GivenName != "Ayomide" {
		t.Errorf("erasing the mentor changed the participant: %v", p.GivenName)
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
