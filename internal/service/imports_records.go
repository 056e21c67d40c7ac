package service

import (
	"context"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/internal/tabular"
)

// How a row of placements, outcomes or mentoring matches finds the record it names: by id
// when it has one; otherwise by its natural key among the records of the same enrolment or
// participant. A new record is created as POST would; a stored one is changed as PATCH would,
// with the columns that differ, or left unchanged (no version bumped) when none does.

// keyLimit bounds the records read to find one by its natural key: those of one enrolment or
// participant, which are few.
const keyLimit = 200

// importRow is the mode's decision for a row: create a record it names none of, change one
// it names, or refuse.
func importRow[T any](mode, column, what string, stored *T, create func() error, update func(stored T) (rowResult, error)) (rowResult, error) {
	if stored == nil {
		if mode == domain.ImportUpdate {
			return 0, domain.Invalid(column, "names no "+what+" recorded; import in create or upsert mode to record it")
		}
		return rowCreated, create()
	}
	if mode == domain.ImportCreate {
		return 0, domain.Invalid(column, "names a "+what+" already recorded; import in upsert or update mode to change it")
	}
	return update(*stored)
}

// byKey is the one record of items that matches, nil for none. Two are refused, naming column.
func byKey[T any](items []T, match func(T) bool, column, what string) (*T, error) {
	var found *T
	for i := range items {
		if !match(items[i]) {
			continue
		}
		if found != nil {
			return nil, domain.Invalid(column, "names two "+what+"s recorded with the same key; name the one meant by id")
		}
		found = &items[i]
	}
	return found, nil
}

// importPlacement writes a row of placements. Its enrolment is named by enrolment_id, or by
// cohort_id and the participant.
func (s *Imports) importPlacement(ctx context.Context, mode string, rec tabular.PlacementRecord, present map[string]bool) (rowResult, error) {
	e, err := s.Enrolments.importEnrolmentRef(ctx, rec.Enrolment, rec.Participant)
	if err != nil {
		return 0, onColumn(err, "enrolment_id", participantColumn(rec.Participant))
	}
	p := rec.Placement
	var stored *domain.Placement
	if p.ID != uuid.Nil {
		got, err := s.Placements.Get(ctx, p.ID)
		if err != nil {
			return 0, inReach(err, "id", "is not a placement within your reach")
		}
		if got.EnrolmentID != e.ID {
			return 0, domain.Invalid("id", "names the placement of another enrolment than the row's")
		}
		stored = &got
	} else {
		page, err := s.Placements.List(ctx, domain.PlacementFilter{EnrolmentID: &e.ID, Kind: &p.Kind}, domain.PageRequest{Limit: keyLimit})
		if err != nil {
			return 0, err
		}
		stored, err = byKey(page.Items, func(q domain.Placement) bool { return q.StartsOn.Equal(p.StartsOn) }, "starts_on", "placement")
		if err != nil {
			return 0, err
		}
	}
	return importRow(mode, idOr(p.ID, "starts_on"), "placement", stored,
		func() error {
			p.EnrolmentID = e.ID
			_, err := s.Placements.Create(ctx, p, createdFields(present, "enrolment_id", "cohort_id", "participant_id", "participant_external_ref"))
			return onColumn(err, "enrolment_id", participantColumn(rec.Participant))
		},
		func(old domain.Placement) (rowResult, error) {
			c := &rowChange{present: present}
			if kind := replaced(c, "kind", old.Kind, p.Kind, same); kind != nil {
				return 0, domain.Invalid("kind", "cannot change: record the placement of another kind as a new one")
			}
			change := domain.PlacementChange{
				HostDepartment: replaced(c, "host_department", old.HostDepartment, p.HostDepartment, same),
				Site:           changed(c, "site", "site", old.Site, p.Site, same),
				RoleArea:       replaced(c, "role_area", old.RoleArea, p.RoleArea, same),
				SupervisorName: changed(c, "supervisor_name", "supervisor_name", old.SupervisorName, p.SupervisorName, same),
				StartsOn:       replaced(c, "starts_on", old.StartsOn, p.StartsOn, sameDay),
				EndsOn:         replaced(c, "ends_on", old.EndsOn, p.EndsOn, sameDay),
				HoursPerWeek:   changed(c, "hours_per_week", "hours_per_week", old.HoursPerWeek, p.HoursPerWeek, same),
				EndReason:      changed(c, "end_reason", "end_reason", old.EndReason, p.EndReason, same),
			}
			if p.Status != "" {
				change.Status = replaced(c, "status", old.Status, p.Status, same)
			}
			if len(c.fields) == 0 {
				return rowUnchanged, nil
			}
			_, err := s.Placements.Update(ctx, old.ID, nil, change, c.fields)
			return rowUpdated, onColumn(err, "status", participantColumn(rec.Participant))
		})
}

// importOutcome writes a row of outcomes. Its participant is named by participant_id, or by
// participant_external_ref among the participants of the enrolment's organisation when the
// row names an enrolment, and otherwise of the importer's own organisation (and, for a
// collaboration, its members').
func (s *Imports) importOutcome(ctx context.Context, mode string, rec tabular.OutcomeRecord, present map[string]bool) (rowResult, error) {
	o := rec.Outcome
	pcol := participantColumn(rec.Participant)
	if rec.Enrolment != (tabular.EnrolmentRef{}) {
		e, err := s.Enrolments.importEnrolmentRef(ctx, rec.Enrolment, rec.Participant)
		if err != nil {
			return 0, onColumn(err, "enrolment_id", pcol)
		}
		o.EnrolmentID, o.ParticipantID = &e.ID, e.ParticipantID
	} else {
		caller, _ := domain.PrincipalFrom(ctx)
		who, err := s.Enrolments.importParticipant(ctx, rec.Participant, caller.OrganisationID)
		if err != nil {
			return 0, err
		}
		o.ParticipantID = who.ID
	}
	var stored *domain.Outcome
	if o.ID != uuid.Nil {
		got, err := s.Outcomes.Get(ctx, o.ID)
		if err != nil {
			return 0, inReach(err, "id", "is not an outcome within your reach")
		}
		if got.ParticipantID != o.ParticipantID {
			return 0, domain.Invalid("id", "names the outcome of another participant than the row's")
		}
		stored = &got
	} else {
		page, err := s.Outcomes.List(ctx, domain.OutcomeFilter{ParticipantID: &o.ParticipantID, Destination: &o.Destination}, domain.PageRequest{Limit: keyLimit})
		if err != nil {
			return 0, err
		}
		stored, err = byKey(page.Items, func(q domain.Outcome) bool { return dayPtr(q.StartsOn) == dayPtr(o.StartsOn) }, "starts_on", "outcome")
		if err != nil {
			return 0, err
		}
	}
	return importRow(mode, idOr(o.ID, "starts_on"), "outcome", stored,
		func() error {
			_, err := s.Outcomes.Create(ctx, o, createdFields(present, "participant_id", "participant_external_ref", "cohort_id"))
			return onColumn(err, "destination", pcol)
		},
		func(old domain.Outcome) (rowResult, error) {
			if (present["enrolment_id"] || present["cohort_id"]) && !sameID(old.EnrolmentID, o.EnrolmentID) {
				return 0, domain.Invalid("enrolment_id", "cannot change: an outcome follows the enrolment it was recorded with")
			}
			c := &rowChange{present: present}
			change := domain.OutcomeChange{
				Destination: replaced(c, "destination", old.Destination, o.Destination, same),
				Sector:      changed(c, "sector", "sector", old.Sector, o.Sector, same),
				Employer:    changed(c, "employer", "employer", old.Employer, o.Employer, same),
				Role:        changed(c, "role", "role", old.Role, o.Role, same),
				StartsOn:    changed(c, "starts_on", "starts_on", old.StartsOn, o.StartsOn, sameDay),
				ILRCode:     replaced(c, "ilr_code", old.ILRCode, o.ILRCode, same),
				Sustained3m: changed(c, "sustained_3_months_result", "sustained_3_months", old.Sustained3m, o.Sustained3m, sameCheck),
				Sustained6m: changed(c, "sustained_6_months_result", "sustained_6_months", old.Sustained6m, o.Sustained6m, sameCheck),
			}
			if len(c.fields) == 0 {
				return rowUnchanged, nil
			}
			_, err := s.Outcomes.Update(ctx, old.ID, nil, change, c.fields)
			return rowUpdated, onColumn(err, "destination", pcol)
		})
}

func sameID(a, b *uuid.UUID) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }

// importMatch writes a row of mentoring matches. Its participant is named by participant_id,
// or by participant_external_ref among the participants of the enrolment's organisation when
// the row names an enrolment, and otherwise of the mentor's. A new match is created active,
// as POST creates it, then changed to the row's status and end when they differ.
func (s *Imports) importMatch(ctx context.Context, mode string, rec tabular.MatchRecord, present map[string]bool) (rowResult, error) {
	m := rec.Match
	pcol := participantColumn(rec.Participant)
	if rec.Enrolment != (tabular.EnrolmentRef{}) {
		e, err := s.Enrolments.importEnrolmentRef(ctx, rec.Enrolment, rec.Participant)
		if err != nil {
			return 0, onColumn(err, "enrolment_id", pcol)
		}
		m.EnrolmentID, m.ParticipantID = &e.ID, e.ParticipantID
	} else {
		mentor, err := s.Mentors.Get(ctx, m.MentorID)
		if err != nil {
			return 0, inReach(err, "mentor_id", "is not a mentor within your reach")
		}
		who, err := s.Enrolments.importParticipant(ctx, rec.Participant, mentor.OrganisationID)
		if err != nil {
			return 0, err
		}
		m.ParticipantID = who.ID
	}
	var stored *domain.MentoringMatch
	if m.ID != uuid.Nil {
		got, err := s.Matches.Get(ctx, m.ID)
		if err != nil {
			return 0, inReach(err, "id", "is not a mentoring match within your reach")
		}
		if got.ParticipantID != m.ParticipantID || got.MentorID != m.MentorID {
			return 0, domain.Invalid("id", "names the match of another mentor or participant than the row's")
		}
		stored = &got
	} else {
		page, err := s.Matches.List(ctx, domain.MatchFilter{MentorID: &m.MentorID, ParticipantID: &m.ParticipantID}, domain.PageRequest{Limit: keyLimit})
		if err != nil {
			return 0, err
		}
		stored, err = byKey(page.Items, func(q domain.MentoringMatch) bool { return q.StartsOn.Equal(m.StartsOn) }, "starts_on", "mentoring match")
		if err != nil {
			return 0, err
		}
	}
	// change takes a stored match to the row's plan, status and end.
	change := func(old domain.MentoringMatch) (domain.MatchChange, []string, error) {
		if present["starts_on"] && !old.StartsOn.Equal(m.StartsOn) {
			return domain.MatchChange{}, nil, domain.Invalid("starts_on", "cannot change: record a match that starts on another day as a new one")
		}
		c := &rowChange{present: present}
		ch := domain.MatchChange{
			PlannedEndOn: replaced(c, "planned_end_on", old.PlannedEndOn, m.PlannedEndOn, sameDay),
			EndedOn:      changed(c, "ended_on", "ended_on", old.EndedOn, m.EndedOn, sameDay),
			EndReason:    changed(c, "end_reason", "end_reason", old.EndReason, m.EndReason, same),
		}
		if m.Status != "" {
			ch.Status = replaced(c, "status", old.Status, m.Status, same)
		}
		return ch, c.fields, nil
	}
	return importRow(mode, idOr(m.ID, "starts_on"), "mentoring match", stored,
		func() error {
			created, err := s.Matches.Create(ctx, m, createdFields(present, "participant_id", "participant_external_ref", "cohort_id",
				"status", "ended_on", "end_reason"))
			if err != nil {
				return onColumn(err, "mentor_id", pcol)
			}
			ch, fields, err := change(created)
			if err == nil && len(fields) > 0 {
				_, err = s.Matches.Update(ctx, created.ID, nil, ch, fields)
			}
			return onColumn(err, "status", pcol)
		},
		func(old domain.MentoringMatch) (rowResult, error) {
			ch, fields, err := change(old)
			if err != nil || len(fields) == 0 {
				return rowUnchanged, err
			}
			_, err = s.Matches.Update(ctx, old.ID, nil, ch, fields)
			return rowUpdated, onColumn(err, "status", pcol)
		})
}
