package service

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// Markdown renders what people write for the public directories as HTML safe to show anyone.
type Markdown interface {
	HTML(src string) string
}

// CaseStudies manages the Widening Participation Directory's case studies: a trust writes its
// own (a collaboration's user those of the collaboration and its members), draft until
// published, and a case study names a participant only with their consent to it. Withdrawing
// that consent, or erasing the participant, unpublishes every case study naming them: the
// database does that in the participant's own transaction (migration 00018), whatever path
// changed the consent.
type CaseStudies struct {
	CaseStudiesDeps
}

// CaseStudiesDeps are what CaseStudies is built on.
type CaseStudiesDeps struct {
	Tx            Transactor
	CaseStudies   domain.CaseStudyRepository
	Participants  domain.ParticipantRepository
	Programmes    domain.ProgrammeRepository
	Organisations domain.OrganisationRepository
	Markdown      Markdown
	Audit         Auditor
	Now           Clock
}

// NewCaseStudies wires the case study use cases.
func NewCaseStudies(d CaseStudiesDeps) *CaseStudies {
	return &CaseStudies{d}
}

// Create records a case study, published at once when c.Status says so.
// Errors: forbidden, invalid (an organisation out of reach or a partner, an unknown programme,
// a participant out of reach or without consent to a case study, an image not at https).
func (s *CaseStudies) Create(ctx context.Context, c domain.CaseStudy, fields []string) (domain.CaseStudy, error) {
	return transact(ctx, s.Tx, s.Audit, domain.ScopeParticipantsWrite, func(ctx context.Context, caller domain.Principal) (domain.CaseStudy, event, error) {
		const notYours = "is not a trust or collaboration you may write case studies for"
		if !caller.CanSee(c.OrganisationID) {
			return c, noEvent, domain.Invalid("organisation_id", notYours)
		}
		org, err := s.Organisations.Get(ctx, c.OrganisationID)
		if err != nil {
			return c, noEvent, inReach(err, "organisation_id", notYours)
		}
		if org.Kind != domain.KindTrust && org.Kind != domain.KindCollaboration {
			return c, noEvent, domain.Invalid("organisation_id", "must be a trust or a collaboration")
		}
		if _, err := s.Programmes.Get(ctx, c.ProgrammeID); err != nil {
			return c, noEvent, inReach(err, "programme_id", "is not a programme of the catalogue")
		}
		status := c.Status
		c.Status, c.PublishedOn = domain.CaseStudyDraft, nil
		if status == domain.CaseStudyPublished {
			c.Publish(today(s.Now()))
		}
		if err := s.check(ctx, &c, c.ParticipantID != nil); err != nil {
			return c, noEvent, err
		}
		if err := s.CaseStudies.Create(ctx, &c); err != nil {
			return c, noEvent, err
		}
		return c, event{"case_study.create", "case_study", c.ID, &c.OrganisationID, fields}, nil
	})
}

// check validates c, renders its body, and checks the participant it names: within reach and
// consenting to a case study. The consent is checked when the participant is named anew
// (naming) and whenever the case study is published. Errors: invalid.
func (s *CaseStudies) check(ctx context.Context, c *domain.CaseStudy, naming bool) error {
	if err := c.Validate(); err != nil {
		return err
	}
	c.BodyHTML = s.Markdown.HTML(c.BodyMarkdown)
	if c.ParticipantID == nil || (!naming && c.Status != domain.CaseStudyPublished) {
		return nil
	}
	p, err := participantFor(ctx, s.Participants, *c.ParticipantID)
	if err != nil {
		return inReach(err, "participant_id", "is not a participant you may see")
	}
	if p.Erased() || !p.Consent.CaseStudy.Granted {
		return domain.Invalid("participant_id", "has not consented to a case study about them: record their case_study consent first, or name no participant")
	}
	return nil
}

// Get returns a case study within reach. Errors: not_found.
func (s *CaseStudies) Get(ctx context.Context, id uuid.UUID) (domain.CaseStudy, error) {
	return read(ctx, domain.ScopeParticipantsRead, func(ctx context.Context) (domain.CaseStudy, error) {
		return s.CaseStudies.Get(ctx, id)
	})
}

// List returns a page of the case studies within reach.
func (s *CaseStudies) List(ctx context.Context, f domain.CaseStudyFilter, req domain.PageRequest) (domain.Page[domain.CaseStudy], error) {
	return read(ctx, domain.ScopeParticipantsRead, func(ctx context.Context) (domain.Page[domain.CaseStudy], error) {
		return s.CaseStudies.List(ctx, f, req)
	})
}

// Update applies a merge patch; a status of published publishes it (stamping published_on),
// draft unpublishes it. Errors: forbidden, not_found, precondition_failed, invalid, conflict
// (a deleted case study).
func (s *CaseStudies) Update(ctx context.Context, id uuid.UUID, ifVersion *int64, ch domain.CaseStudyChange, fields []string) (domain.CaseStudy, error) {
	return transact(ctx, s.Tx, s.Audit, domain.ScopeParticipantsWrite, func(ctx context.Context, _ domain.Principal) (domain.CaseStudy, event, error) {
		c, err := s.CaseStudies.Update(ctx, id, ifVersion, func(c *domain.CaseStudy) error {
			if err := mustBeLive(c.DeletedAt, "case study"); err != nil {
				return err
			}
			if ch.ProgrammeID != nil && *ch.ProgrammeID != c.ProgrammeID {
				if _, err := s.Programmes.Get(ctx, *ch.ProgrammeID); err != nil {
					return inReach(err, "programme_id", "is not a programme of the catalogue")
				}
			}
			before := c.ParticipantID
			ch.Apply(c)
			switch {
			case ch.Status == nil:
			case *ch.Status == domain.CaseStudyPublished:
				c.Publish(today(s.Now()))
			default:
				c.Unpublish()
			}
			naming := c.ParticipantID != nil && (before == nil || *before != *c.ParticipantID)
			return s.check(ctx, c, naming)
		})
		if err != nil {
			return c, noEvent, err
		}
		return c, event{"case_study.update", "case_study", id, &c.OrganisationID, fields}, nil
	})
}

// Publish puts a case study in the public directory; publishing it again changes nothing.
// Errors: forbidden, not_found, precondition_failed, invalid (its participant's consent),
// conflict (a deleted case study).
func (s *CaseStudies) Publish(ctx context.Context, id uuid.UUID, ifVersion *int64) (domain.CaseStudy, error) {
	published := domain.CaseStudyPublished
	return s.Update(ctx, id, ifVersion, domain.CaseStudyChange{Status: &published}, []string{"status", "published_on"})
}

// Delete leaves a tombstone, which the public directory never shows; deleting twice is
// harmless. Errors: forbidden, not_found, precondition_failed.
func (s *CaseStudies) Delete(ctx context.Context, id uuid.UUID, ifVersion *int64) error {
	return remove(ctx, s.Tx, s.CaseStudies, s.Audit, s.Now, caseStudyRecord, id, ifVersion)
}

var caseStudyRecord = tombstoned[domain.CaseStudy]{
	what:      "case_study",
	deletedAt: func(c *domain.CaseStudy) **time.Time { return &c.DeletedAt },
	org:       func(c domain.CaseStudy) uuid.UUID { return c.OrganisationID },
}

// today is the UTC date of now.
func today(now time.Time) time.Time {
	y, m, d := now.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
