package service

import (
	"context"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// Delivery manages cohorts and enrolments: who joined which run of which programme.
type Delivery struct {
	tx           Transactor
	cohorts      domain.CohortRepository
	enrolments   domain.EnrolmentRepository
	programmes   domain.ProgrammeRepository
	participants domain.ParticipantRepository
	orgs         domain.OrganisationRepository
	audit        Auditor
	now          Clock
}

// NewDelivery wires the cohort and enrolment use cases.
func NewDelivery(tx Transactor, cohorts domain.CohortRepository, enrolments domain.EnrolmentRepository, programmes domain.ProgrammeRepository,
	participants domain.ParticipantRepository, orgs domain.OrganisationRepository, audit Auditor, now Clock) *Delivery {
	return &Delivery{tx: tx, cohorts: cohorts, enrolments: enrolments, programmes: programmes, participants: participants,
		orgs: orgs, audit: audit, now: now}
}

// CreateCohort plans a cohort of an organisation within reach.
// Errors: forbidden, invalid (dates outside the programme's bounds, an unknown programme).
func (s *Delivery) CreateCohort(ctx context.Context, c domain.Cohort, fields []string) (domain.Cohort, error) {
	p, err := authorize(ctx, domain.ScopeParticipantsWrite)
	if err != nil {
		return c, err
	}
	if !p.CanSee(c.OrganisationID) {
		return c, domain.Invalid("organisation_id", "is not an organisation you may run cohorts for")
	}
	if c.Status == "" {
		c.Status = "planned"
	}
	err = s.tx.InTx(ctx, func(ctx context.Context) error {
		prog, err := s.programmes.Get(ctx, c.ProgrammeID)
		if domain.ErrorCode(err) == domain.CodeNotFound {
			return domain.Invalid("programme_id", "is not a programme of the catalogue")
		}
		if err != nil {
			return err
		}
		if err := s.checkOrganisations(ctx, c); err != nil {
			return err
		}
		if err := c.Validate(prog); err != nil {
			return err
		}
		if err := s.cohorts.Create(ctx, &c); err != nil {
			return err
		}
		return audit(ctx, s.audit, "cohort.create", "cohort", c.ID, &c.OrganisationID, fields)
	})
	return c, err
}

func (s *Delivery) checkOrganisations(ctx context.Context, c domain.Cohort) error {
	org, err := s.orgs.Get(ctx, c.OrganisationID)
	if domain.ErrorCode(err) == domain.CodeNotFound || err == nil && (org.Kind == domain.KindPartner) {
		return domain.Invalid("organisation_id", "must be a trust, a collaboration or the national team within your reach")
	}
	if err != nil {
		return err
	}
	if c.DeliveryPartnerID != nil {
		partner, err := s.orgs.Get(ctx, *c.DeliveryPartnerID)
		if domain.ErrorCode(err) == domain.CodeNotFound || err == nil && partner.Kind != domain.KindPartner {
			return domain.Invalid("delivery_partner_id", "must be the id of a partner organisation")
		}
		return err
	}
	return nil
}

// GetCohort returns a cohort within reach. Errors: not_found.
func (s *Delivery) GetCohort(ctx context.Context, id uuid.UUID) (domain.Cohort, error) {
	return read(ctx, domain.ScopeParticipantsRead, func(ctx context.Context) (domain.Cohort, error) {
		return s.cohorts.Get(ctx, id)
	})
}

// ListCohorts returns a page of cohorts within reach.
func (s *Delivery) ListCohorts(ctx context.Context, f domain.CohortFilter, req domain.PageRequest) (domain.Page[domain.Cohort], error) {
	return read(ctx, domain.ScopeParticipantsRead, func(ctx context.Context) (domain.Page[domain.Cohort], error) {
		return s.cohorts.List(ctx, f, req)
	})
}

// UpdateCohort applies a merge patch. Errors: forbidden, not_found, precondition_failed, invalid.
func (s *Delivery) UpdateCohort(ctx context.Context, id uuid.UUID, ifVersion *int64, ch domain.CohortChange, fields []string) (domain.Cohort, error) {
	if _, err := authorize(ctx, domain.ScopeParticipantsWrite); err != nil {
		return domain.Cohort{}, err
	}
	var out domain.Cohort
	err := s.tx.InTx(ctx, func(ctx context.Context) (err error) {
		out, err = s.cohorts.Update(ctx, id, ifVersion, func(c *domain.Cohort) error {
			ch.Apply(c)
			prog, err := s.programmes.Get(ctx, c.ProgrammeID)
			if err != nil {
				return err
			}
			if err := s.checkOrganisations(ctx, *c); err != nil {
				return err
			}
			return c.Validate(prog)
		})
		if err != nil {
			return err
		}
		return audit(ctx, s.audit, "cohort.update", "cohort", id, &out.OrganisationID, fields)
	})
	return out, err
}

// Enrol refers or enrols a participant in a cohort. Enrolling checks eligibility, which an
// override reason may overrule, and takes a place. Errors: forbidden, invalid (eligibility,
// records out of reach), conflict (already in the cohort, the cohort is full).
func (s *Delivery) Enrol(ctx context.Context, cohortID, participantID uuid.UUID, status string, on *time.Time, override *string) (domain.Enrolment, error) {
	p, err := authorize(ctx, domain.ScopeParticipantsWrite)
	if err != nil {
		return domain.Enrolment{}, err
	}
	now := s.now()
	day := dayOf(on, now)
	var e domain.Enrolment
	err = s.tx.InTx(ctx, func(ctx context.Context) error {
		c, err := s.cohorts.Get(ctx, cohortID)
		if domain.ErrorCode(err) == domain.CodeNotFound {
			return domain.Invalid("cohort_id", "is not a cohort within your reach")
		}
		if err != nil {
			return err
		}
		who, err := s.participants.Get(ctx, participantID)
		if domain.ErrorCode(err) == domain.CodeNotFound {
			return domain.Invalid("participant_id", "is not a participant within your reach")
		}
		if err != nil {
			return err
		}
		if err := s.belongsToCohort(ctx, who, c); err != nil {
			return err
		}
		e = domain.Enrolment{CohortID: c.ID, ParticipantID: who.ID, OrganisationID: c.OrganisationID, Status: domain.Referred,
			ReferredOn: &day, History: []domain.EnrolmentEvent{{Status: domain.Referred, On: day, Actor: p.Subject, At: now}}}
		if status == domain.Enrolled {
			if err := s.enrol(ctx, &e, c, who, day, p.Subject, override, now); err != nil {
				return err
			}
		}
		if err := s.enrolments.Create(ctx, &e); err != nil {
			return asFieldConflict(err, "participant_id")
		}
		return audit(ctx, s.audit, "enrolment.create", "enrolment", e.ID, &e.OrganisationID, []string{"status"})
	})
	return e, err
}

// belongsToCohort checks that the participant is the cohort organisation's, or, for a
// collaboration's cohort, one of its member trusts': an enrolment is kept by the cohort's
// organisation, which must be able to see the participant it names. Errors: invalid.
func (s *Delivery) belongsToCohort(ctx context.Context, who domain.Participant, c domain.Cohort) error {
	if who.OrganisationID == c.OrganisationID {
		return nil
	}
	org, err := s.orgs.Get(ctx, c.OrganisationID)
	if err != nil {
		return err
	}
	if org.Kind == domain.KindCollaboration && slices.Contains(org.MemberIDs, who.OrganisationID) {
		return nil
	}
	return domain.Invalid("participant_id", "belongs to another organisation than the cohort's (or one of its member trusts)")
}

// enrol moves e to enrolled: eligibility (or a recorded override), then a place.
func (s *Delivery) enrol(ctx context.Context, e *domain.Enrolment, c domain.Cohort, who domain.Participant, day time.Time, actor string, override *string, now time.Time) error {
	if err := e.CanMove(domain.Enrolled); err != nil {
		return err // the lifecycle first: eligibility is no answer to an illegal move
	}
	prog, err := s.programmes.Get(ctx, c.ProgrammeID)
	if err != nil {
		return err
	}
	if err := domain.CheckEligibility(prog, c, who); err != nil {
		if override == nil || who.Erased() {
			return err
		}
		e.EligibilityOverrideReason = override
	}
	places, err := e.Move(domain.Enrolled, day, actor, nil, now)
	if err != nil {
		return err
	}
	return s.cohorts.TakePlaces(ctx, c.ID, places)
}

// Transition moves an enrolment along its lifecycle. Errors: forbidden, not_found,
// precondition_failed, conflict (an illegal move, naming the allowed ones; a full cohort), invalid.
func (s *Delivery) Transition(ctx context.Context, id uuid.UUID, ifVersion *int64, to string, on *time.Time, reason, override *string) (domain.Enrolment, error) {
	p, err := authorize(ctx, domain.ScopeParticipantsWrite)
	if err != nil {
		return domain.Enrolment{}, err
	}
	now := s.now()
	day := dayOf(on, now)
	var out domain.Enrolment
	err = s.tx.InTx(ctx, func(ctx context.Context) (err error) {
		out, err = s.enrolments.Update(ctx, id, ifVersion, func(e *domain.Enrolment) error {
			if to == domain.Enrolled {
				c, err := s.cohorts.Get(ctx, e.CohortID)
				if err != nil {
					return err
				}
				who, err := s.participants.Get(ctx, e.ParticipantID)
				if err != nil {
					return err
				}
				return s.enrol(ctx, e, c, who, day, p.Subject, override, now)
			}
			places, err := e.Move(to, day, p.Subject, reason, now)
			if err != nil || places == 0 {
				return err
			}
			return s.cohorts.TakePlaces(ctx, e.CohortID, places)
		})
		if err != nil {
			return err
		}
		return audit(ctx, s.audit, "enrolment."+to, "enrolment", id, &out.OrganisationID, []string{"status"})
	})
	return out, err
}

// GetEnrolment returns an enrolment within reach. Errors: not_found.
func (s *Delivery) GetEnrolment(ctx context.Context, id uuid.UUID) (domain.Enrolment, error) {
	return read(ctx, domain.ScopeParticipantsRead, func(ctx context.Context) (domain.Enrolment, error) {
		return s.enrolments.Get(ctx, id)
	})
}

// ListEnrolments returns a page of enrolments within reach.
func (s *Delivery) ListEnrolments(ctx context.Context, f domain.EnrolmentFilter, req domain.PageRequest) (domain.Page[domain.Enrolment], error) {
	return read(ctx, domain.ScopeParticipantsRead, func(ctx context.Context) (domain.Page[domain.Enrolment], error) {
		return s.enrolments.List(ctx, f, req)
	})
}

// dayOf is the date given, or today.
func dayOf(on *time.Time, now time.Time) time.Time {
	if on != nil {
		return *on
	}
	return time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
}
