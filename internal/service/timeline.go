package service

import (
	"context"
	"sort"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// TimelineEvent is one dated thing that happened to a participant.
type TimelineEvent struct {
	On           time.Time
	Kind         string
	ResourceType string
	ResourceID   uuid.UUID
	Summary      string
}

// Timeline gathers a participant's enrolments, placements, matches, interviews and outcomes.
type Timeline struct {
	TimelineDeps
}

// TimelineDeps are what Timeline is built on. It only reads, so it audits nothing.
type TimelineDeps struct {
	Tx           Transactor
	Participants domain.ParticipantRepository
	Enrolments   domain.EnrolmentRepository
	Cohorts      domain.CohortRepository
	Placements   domain.PlacementRepository
	Matches      domain.MatchRepository
	Interviews   domain.InterviewRepository
	Vacancies    domain.VacancyRepository
	Outcomes     domain.OutcomeRepository
}

// NewTimeline wires the participant timeline.
func NewTimeline(d TimelineDeps) *Timeline {
	return &Timeline{d}
}

// timelineLimit bounds each kind of record on one timeline; a participant has a handful.
const timelineLimit = 500

// Of returns a participant's timeline in date order (ties in the order things are recorded).
// Errors: forbidden, not_found.
func (s *Timeline) Of(ctx context.Context, id uuid.UUID) ([]TimelineEvent, error) {
	// A read writes nothing, so it needs no auditor.
	return transact(ctx, s.Tx, nil, domain.ScopeParticipantsRead, func(ctx context.Context, _ domain.Principal) ([]TimelineEvent, event, error) {
		events, err := s.of(ctx, id)
		return events, noEvent, err
	})
}

// of gathers the timeline in the caller's transaction.
func (s *Timeline) of(ctx context.Context, id uuid.UUID) ([]TimelineEvent, error) {
	if _, err := s.Participants.Get(ctx, id); err != nil {
		return nil, err
	}
	req := domain.PageRequest{Limit: timelineLimit}
	var out []TimelineEvent
	enrolments, err := s.Enrolments.List(ctx, domain.EnrolmentFilter{ParticipantID: &id}, req)
	if err != nil {
		return nil, err
	}
	for _, e := range enrolments.Items {
		c, err := s.Cohorts.Get(ctx, e.CohortID)
		if err != nil {
			return nil, err
		}
		for _, h := range e.History {
			out = append(out, TimelineEvent{On: h.On, Kind: "enrolment." + h.Status, ResourceType: "enrolment", ResourceID: e.ID,
				Summary: h.Status + ": " + c.Name})
		}
	}
	placements, err := s.Placements.List(ctx, domain.PlacementFilter{ParticipantID: &id}, req)
	if err != nil {
		return nil, err
	}
	for _, p := range placements.Items {
		out = append(out, TimelineEvent{On: p.StartsOn, Kind: "placement", ResourceType: "placement", ResourceID: p.ID,
			Summary: p.Kind + " in " + p.HostDepartment + " (" + p.RoleArea + "), " + p.Status})
	}
	matches, err := s.Matches.List(ctx, domain.MatchFilter{ParticipantID: &id}, req)
	if err != nil {
		return nil, err
	}
	for _, m := range matches.Items {
		out = append(out, TimelineEvent{On: m.StartsOn, Kind: "mentoring_match", ResourceType: "mentoring_match", ResourceID: m.ID,
			Summary: "mentoring until " + m.PlannedEndOn.Format(time.DateOnly) + ", " + m.Status})
	}
	interviews, err := s.Interviews.List(ctx, domain.InterviewFilter{ParticipantID: &id}, req)
	if err != nil {
		return nil, err
	}
	for _, i := range interviews.Items {
		summary := "interview, " + i.Result
		// The vacancy may be another organisation's (a collaboration's, say): then say less.
		v, err := s.Vacancies.Get(ctx, i.VacancyID)
		switch {
		case err == nil:
			summary = "interview for " + v.Role + " at " + v.EmployerName + ", " + i.Result
		case domain.ErrorCode(err) != domain.CodeNotFound:
			return nil, err
		}
		out = append(out, TimelineEvent{On: i.HeldOn, Kind: "interview", ResourceType: "interview", ResourceID: i.ID, Summary: summary})
	}
	outcomes, err := s.Outcomes.List(ctx, domain.OutcomeFilter{ParticipantID: &id}, req)
	if err != nil {
		return nil, err
	}
	for _, o := range outcomes.Items {
		on := o.CreatedAt
		if o.StartsOn != nil {
			on = *o.StartsOn
		}
		out = append(out, TimelineEvent{On: on, Kind: "outcome", ResourceType: "outcome", ResourceID: o.ID,
			Summary: o.Destination + " (" + o.ILRCode + ")"})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].On.Before(out[j].On) })
	return out, nil
}
