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

// of gathers the timeline in the caller's transaction, in a fixed number of queries however
// long the participant's history: the cohorts and vacancies it names are read in one list each.
func (s *Timeline) of(ctx context.Context, id uuid.UUID) ([]TimelineEvent, error) {
	if _, err := participantFor(ctx, s.Participants, id); err != nil {
		return nil, err
	}
	req := domain.PageRequest{Limit: timelineLimit}
	var out []TimelineEvent
	enrolments, err := s.Enrolments.List(ctx, domain.EnrolmentFilter{ParticipantID: &id}, req)
	if err != nil {
		return nil, err
	}
	cohorts, err := s.cohortsOf(ctx, enrolments.Items, req)
	if err != nil {
		return nil, err
	}
	for _, e := range enrolments.Items {
		c, ok := cohorts[e.CohortID]
		if !ok { // as a Get of the cohort would answer
			return nil, domain.NotFound("cohort")
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
	vacancies, err := s.vacanciesOf(ctx, interviews.Items, req)
	if err != nil {
		return nil, err
	}
	for _, i := range interviews.Items {
		summary := "interview, " + i.Result
		// The vacancy may be another organisation's (a collaboration's, say): then say less.
		if v, ok := vacancies[i.VacancyID]; ok {
			summary = "interview for " + v.Role + " at " + v.EmployerName + ", " + i.Result
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

// cohortsOf reads the cohorts of enrolments, within reach, in one query. req's limit is the
// enrolments', so it holds every cohort.
func (s *Timeline) cohortsOf(ctx context.Context, enrolments []domain.Enrolment, req domain.PageRequest) (map[uuid.UUID]domain.Cohort, error) {
	ids := distinct(enrolments, func(e domain.Enrolment) uuid.UUID { return e.CohortID })
	if len(ids) == 0 {
		return nil, nil
	}
	page, err := s.Cohorts.List(ctx, domain.CohortFilter{IDs: ids}, req)
	if err != nil {
		return nil, err
	}
	return byID(page.Items, func(c domain.Cohort) uuid.UUID { return c.ID }), nil
}

// vacanciesOf reads the vacancies of interviews in one query: those within reach, deleted
// or not, as a Get would; the others are missing from the answer. req's limit is the
// interviews', so it holds every vacancy.
func (s *Timeline) vacanciesOf(ctx context.Context, interviews []domain.Interview, req domain.PageRequest) (map[uuid.UUID]domain.Vacancy, error) {
	ids := distinct(interviews, func(i domain.Interview) uuid.UUID { return i.VacancyID })
	if len(ids) == 0 {
		return nil, nil
	}
	page, err := s.Vacancies.List(ctx, domain.VacancyFilter{IDs: ids, IncludeDeleted: true}, req)
	if err != nil {
		return nil, err
	}
	return byID(page.Items, func(v domain.Vacancy) uuid.UUID { return v.ID }), nil
}

// distinct returns the ids of items, each once, in the order first seen.
func distinct[T any](items []T, id func(T) uuid.UUID) []uuid.UUID {
	seen := make(map[uuid.UUID]bool, len(items))
	var out []uuid.UUID
	for _, v := range items {
		if k := id(v); !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// byID indexes items by their id.
func byID[T any](items []T, id func(T) uuid.UUID) map[uuid.UUID]T {
	out := make(map[uuid.UUID]T, len(items))
	for _, v := range items {
		out[id(v)] = v
	}
	return out
}
