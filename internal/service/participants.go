package service

import (
	"context"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// ReplyForgetter discards stored idempotent replies that carried a record.
type ReplyForgetter interface {
	// ForgetRecord forgets every stored reply that carried the record with id.
	ForgetRecord(ctx context.Context, id uuid.UUID) error
}

// Participants manages participants' records within the caller's reach.
type Participants struct {
	ParticipantsDeps
}

// ParticipantsDeps are what Participants is built on.
type ParticipantsDeps struct {
	Tx            Transactor
	Participants  domain.ParticipantRepository
	Organisations domain.OrganisationRepository
	Mentors       domain.MentorRepository // a participant's peer mentor record is erased with it
	Records       domain.RecordsEraser    // so is the free text of their other records
	Replies       ReplyForgetter
	Audit         Auditor
	Now           Clock
}

// NewParticipants wires the participant use cases.
func NewParticipants(d ParticipantsDeps) *Participants {
	return &Participants{d}
}

// Create records a participant for an organisation within reach.
// Errors: forbidden, invalid (including an organisation out of reach), conflict (external_ref taken).
func (s *Participants) Create(ctx context.Context, p domain.Participant, consent domain.ConsentChange, fields []string) (domain.Participant, error) {
	return transact(ctx, s.Tx, s.Audit, domain.ScopeParticipantsWrite, func(ctx context.Context, caller domain.Principal) (domain.Participant, event, error) {
		const notYours = "is not an organisation you may record participants for"
		if !caller.CanSee(p.OrganisationID) {
			return p, noEvent, domain.Invalid("organisation_id", notYours)
		}
		now := s.Now()
		p.Normalise()
		consent.Apply(&p.Consent, now)
		if p.BenefitStatus == "" {
			p.BenefitStatus = "unknown"
		}
		if err := p.Validate(now); err != nil {
			return p, noEvent, err
		}
		org, err := s.Organisations.Get(ctx, p.OrganisationID)
		if err != nil {
			return p, noEvent, inReach(err, "organisation_id", notYours)
		}
		if org.Kind == domain.KindPartner {
			return p, noEvent, domain.Invalid("organisation_id", "must be a trust, a collaboration or the national team, not a partner")
		}
		if err := s.Participants.Create(ctx, &p); err != nil {
			return p, noEvent, asFieldConflict(err, "external_ref")
		}
		return shown(ctx, p), event{"participant.create", "participant", p.ID, &p.OrganisationID, fields}, nil
	})
}

// Get returns a participant within reach, withheld from a client acting for HR without the
// participant's consent. Errors: not_found.
func (s *Participants) Get(ctx context.Context, id uuid.UUID) (domain.Participant, error) {
	return read(ctx, domain.ScopeParticipantsRead, func(ctx context.Context) (domain.Participant, error) {
		p, err := s.Participants.Get(ctx, id)
		return shown(ctx, p), err
	})
}

// List returns a page of the participants within reach. A client acting for HR gets those
// without its consent too, withheld, so that its sync learns to delete them; its searches by
// personal data never match them.
func (s *Participants) List(ctx context.Context, f domain.ParticipantFilter, req domain.PageRequest) (domain.Page[domain.Participant], error) {
	return read(ctx, domain.ScopeParticipantsRead, func(ctx context.Context) (domain.Page[domain.Participant], error) {
		caller, _ := domain.PrincipalFrom(ctx)
		f.ForHR = caller.ActsForHR()
		page, err := s.Participants.List(ctx, f, req)
		for i := range page.Items {
			page.Items[i] = shown(ctx, page.Items[i])
		}
		return page, err
	})
}

// Update applies a merge patch. An erased record cannot be changed; one withheld from a client
// acting for HR is out of its reach (the storage seam's rule).
// Errors: forbidden, not_found, precondition_failed, invalid, conflict.
func (s *Participants) Update(ctx context.Context, id uuid.UUID, ifVersion *int64, change domain.ParticipantChange, fields []string) (domain.Participant, error) {
	return transact(ctx, s.Tx, s.Audit, domain.ScopeParticipantsWrite, func(ctx context.Context, _ domain.Principal) (domain.Participant, event, error) {
		now := s.Now()
		p, err := s.Participants.Update(ctx, id, ifVersion, func(p *domain.Participant) error {
			if p.Erased() {
				return domain.Errorf(domain.CodeConflict, "the participant was erased and cannot be changed")
			}
			change.Apply(p, now)
			p.Normalise()
			return p.Validate(now)
		})
		if err != nil {
			return p, noEvent, asFieldConflict(err, "external_ref")
		}
		return shown(ctx, p), event{"participant.update", "participant", id, &p.OrganisationID, fields}, nil
	})
}

// Erase wipes a participant's personal data, the free text their other records hold about
// them (keeping the coded facts reports count), and every stored reply that carried either.
// Erasing twice is harmless; erasing again clears text written into their records since.
// Errors: forbidden, not_found, precondition_failed.
func (s *Participants) Erase(ctx context.Context, id uuid.UUID, ifVersion *int64) error {
	_, err := transact(ctx, s.Tx, s.Audit, domain.ScopeParticipantsWrite, func(ctx context.Context, caller domain.Principal) (struct{}, event, error) {
		already := false
		p, err := s.Participants.Update(ctx, id, ifVersion, func(p *domain.Participant) error {
			if already = p.Erased(); already {
				return domain.ErrNoChange
			}
			p.Erase(s.Now())
			return nil
		})
		if err != nil {
			return struct{}{}, noEvent, err
		}
		// Every time, not only the first: a record written after the erasure, or before records
		// were erased with the person, is cleared now. It audits each record it changes.
		if _, err := s.Records.EraseRecordsOf(ctx, id, caller.Subject, domain.RequestIDFrom(ctx)); err != nil {
			return struct{}{}, noEvent, err
		}
		if already {
			return struct{}{}, noEvent, nil
		}
		if err := s.Replies.ForgetRecord(ctx, id); err != nil {
			return struct{}{}, noEvent, err
		}
		if err := s.eraseMentor(ctx, id); err != nil {
			return struct{}{}, noEvent, err
		}
		return struct{}{}, event{"participant.erase", "participant", id, &p.OrganisationID, domain.ErasedFields}, nil
	})
	return err
}

// eraseMentor wipes the peer mentor record made from the participant, if there is one, with
// the stored replies that carried it.
func (s *Participants) eraseMentor(ctx context.Context, participantID uuid.UUID) error {
	page, err := s.Mentors.List(ctx, domain.MentorFilter{ParticipantID: &participantID, IncludeDeleted: true}, domain.PageRequest{Limit: 10})
	if err != nil {
		return err
	}
	for _, m := range page.Items {
		if _, err := s.Mentors.Update(ctx, m.ID, nil, func(m *domain.Mentor) error { m.EraseFor(); return nil }); err != nil {
			return err
		}
		if err := s.Replies.ForgetRecord(ctx, m.ID); err != nil {
			return err
		}
		if err := audit(ctx, s.Audit, "mentor.erase", "mentor", m.ID, &m.OrganisationID, []string{"given_name", "family_name", "email", "active"}); err != nil {
			return err
		}
	}
	return nil
}
