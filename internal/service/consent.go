package service

import (
	"context"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// Consent by purpose: a client acting for a trust's HR system sees a participant who has not
// agreed to sharing with HR only as withheld, and nothing that names them. The storage seam
// leaves the records about such a participant, and writes to it, out of the client's reach;
// these helpers apply the rule to the participant records the services read.

// shown is p as the caller may see it: withheld from a client acting for HR without the
// participant's hr_sharing consent.
func shown(ctx context.Context, p domain.Participant) domain.Participant {
	if caller, _ := domain.PrincipalFrom(ctx); caller.Withholds(p) {
		p.Withhold()
	}
	return p
}

// participantFor reads the participant a record names, for a use case that builds on it (a
// timeline, an enrolment, a peer mentor made from it): a participant withheld from the caller
// is not found, as one out of reach. Errors: not_found.
func participantFor(ctx context.Context, repo domain.ParticipantRepository, id uuid.UUID) (domain.Participant, error) {
	p, err := repo.Get(ctx, id)
	if caller, _ := domain.PrincipalFrom(ctx); err == nil && caller.Withholds(p) {
		return domain.Participant{}, domain.NotFound("participant")
	}
	return p, err
}
