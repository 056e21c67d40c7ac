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
