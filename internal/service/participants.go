package service

import (
	"context"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// ReplyForgetter discards stored idempotent replies that carried a record.
type ReplyForgetter interface {
	ForgetResource(ctx context.Context, path string) error
}

// Participants manages participants' records within the caller's reach.
type Participants struct {
	tx      Transactor
	repo    domain.ParticipantRepository
	orgs    domain.OrganisationRepository
	audit   Auditor
	replies ReplyForgetter
	mentors domain.MentorRepository
	now     Clock
}

// NewParticipants wires the participant use cases.
func NewParticipants(tx Transactor, repo domain.ParticipantRepository, orgs domain.OrganisationRepository, audit Auditor,
	replies ReplyForgetter, mentors domain.MentorRepository, now Clock) *Participants {
	return &Participants{tx: tx, repo: repo, orgs: orgs, audit: audit, replies: replies, mentors: mentors, now: now}
}

// Create records a participant for an organisation within reach.
// Errors: forbidden, invalid (including an organisation out of reach), conflict (external_ref taken).
func (s *Participants) Create(ctx context.Context, p domain.Participant, consent domain.ConsentChange, fields []string) (domain.Participant, error) {
	principal, err := authorize(ctx, domain.ScopeParticipantsWrite)
	if err != nil {
		return p, err
	}
	if !principal.CanSee(p.OrganisationID) {
		return p, domain.Invalid("organisation_id", "is not an organisation you may record participants for")
	}
	now := s.now()
	p.Normalise()
	consent.Apply(&p.Consent, now)
	if p.BenefitStatus == "" {
		p.BenefitStatus = "unknown"
	}
	if err := p.Validate(now); err != nil {
		return p, err
	}
	err = s.tx.InTx(ctx, func(ctx context.Context) error {
		org, err := s.orgs.Get(ctx, p.OrganisationID)
		if domain.ErrorCode(err) == domain.CodeNotFound {
			return domain.Invalid("organisation_id", "is not an organisation you may record participants for")
		}
		if err != nil {
			return err
		}
		if org.Kind == domain.KindPartner {
			return domain.Invalid("organisation_id", "must be a trust, a collaboration or the national team, not a partner")
		}
		if err := s.repo.Create(ctx, &p); err != nil {
			return asFieldConflict(err, "external_ref")
		}
		return audit(ctx, s.audit, "participant.create", "participant", p.ID, &p.OrganisationID, fields)
	})
	return p, err
}

// Get returns a participant within reach. Errors: not_found.
func (s *Participants) Get(ctx context.Context, id uuid.UUID) (domain.Participant, error) {
	return read(ctx, domain.ScopeParticipantsRead, func(ctx context.Context) (domain.Participant, error) {
		return s.repo.Get(ctx, id)
	})
}

// List returns a page of the participants within reach.
func (s *Participants) List(ctx context.Context, f domain.ParticipantFilter, req domain.PageRequest) (domain.Page[domain.Participant], error) {
	return read(ctx, domain.ScopeParticipantsRead, func(ctx context.Context) (domain.Page[domain.Participant], error) {
		return s.repo.List(ctx, f, req)
	})
}

// Update applies a merge patch. An erased record cannot be changed.
// Errors: forbidden, not_found, precondition_failed, invalid, conflict.
func (s *Participants) Update(ctx context.Context, id uuid.UUID, ifVersion *int64, change domain.ParticipantChange, fields []string) (domain.Participant, error) {
	if _, err := authorize(ctx, domain.ScopeParticipantsWrite); err != nil {
		return domain.Participant{}, err
	}
	var out domain.Participant
	err := s.tx.InTx(ctx, func(ctx context.Context) (err error) {
		now := s.now()
		out, err = s.repo.Update(ctx, id, ifVersion, func(p *domain.Participant) error {
			if p.Erased() {
				return domain.Errorf(domain.CodeConflict, "the participant was erased and cannot be changed")
			}
			change.Apply(p, now)
			p.Normalise()
			return p.Validate(now)
		})
		if err != nil {
			return asFieldConflict(err, "external_ref")
		}
		return audit(ctx, s.audit, "participant.update", "participant", id, &out.OrganisationID, fields)
	})
	return out, err
}

// Erase wipes a participant's personal data, and every stored reply that carried it.
// Erasing twice is harmless. Errors: forbidden, not_found, precondition_failed.
func (s *Participants) Erase(ctx context.Context, id uuid.UUID, ifVersion *int64) error {
	if _, err := authorize(ctx, domain.ScopeParticipantsWrite); err != nil {
		return err
	}
	return s.tx.InTx(ctx, func(ctx context.Context) error {
		already := false
		p, err := s.repo.Update(ctx, id, ifVersion, func(p *domain.Participant) error {
			if already = p.Erased(); already {
				return domain.ErrNoChange
			}
			p.Erase(s.now())
			return nil
		})
		if err != nil || already {
			return err
		}
		if err := s.replies.ForgetResource(ctx, "/v1/participants/"+id.String()); err != nil {
			return err
		}
		if err := s.eraseMentor(ctx, id); err != nil {
			return err
		}
		return audit(ctx, s.audit, "participant.erase", "participant", id, &p.OrganisationID, domain.ErasedFields)
	})
}

// asFieldConflict names field in a conflict error, so the caller knows what clashed.
func asFieldConflict(err error, field string) error {
	if e, ok := err.(*domain.Error); ok && e.Code == domain.CodeConflict && len(e.Fields) == 0 {
		return &domain.Error{Code: e.Code, Message: e.Message, Fields: []domain.FieldError{{Field: field, Message: "is already taken"}}}
	}
	return err
}

// eraseMentor wipes the peer mentor record made from the participant, if there is one, with
// the stored replies that carried it.
func (s *Participants) eraseMentor(ctx context.Context, participantID uuid.UUID) error {
	page, err := s.mentors.List(ctx, domain.MentorFilter{ParticipantID: &participantID, IncludeDeleted: true}, domain.PageRequest{Limit: 10})
	if err != nil {
		return err
	}
	for _, m := range page.Items {
		if _, err := s.mentors.Update(ctx, m.ID, nil, func(m *domain.Mentor) error { m.EraseFor(); return nil }); err != nil {
			return err
		}
		if err := s.replies.ForgetResource(ctx, "/v1/mentors/"+m.ID.String()); err != nil {
			return err
		}
		if err := audit(ctx, s.audit, "mentor.erase", "mentor", m.ID, &m.OrganisationID, []string{"given_name", "family_name", "email", "active"}); err != nil {
			return err
		}
	}
	return nil
}
