package domain

import (
	"context"

	"github.com/google/uuid"
)

// The interfaces storage satisfies. Every method that reads or changes an organisation's
// records sees only those within the reach of the context's principal, and answers not_found
// for the rest exactly as for a missing id.

// OrganisationRepository stores organisations.
type OrganisationRepository interface {
	// Create inserts o and fills its id and stamps. Errors: conflict.
	Create(ctx context.Context, o *Organisation) error
	// Get returns one organisation. Errors: not_found.
	Get(ctx context.Context, id uuid.UUID) (Organisation, error)
	List(ctx context.Context, f OrganisationFilter, req PageRequest) (Page[Organisation], error)
	ListMembers(ctx context.Context, id uuid.UUID, req PageRequest) (Page[Organisation], error)
	// Update locks the record, checks ifVersion, applies change and saves.
	// Errors: not_found, precondition_failed, conflict, or change's own.
	Update(ctx context.Context, id uuid.UUID, ifVersion *int64, change func(*Organisation) error) (Organisation, error)
	// AddMember and RemoveMember report whether the membership changed.
	AddMember(ctx context.Context, collaboration, member uuid.UUID) (bool, error)
	RemoveMember(ctx context.Context, collaboration, member uuid.UUID) (bool, error)
}

// ProgrammeRepository stores the catalogue.
type ProgrammeRepository interface {
	// Create inserts p and fills its id and stamps. Errors: conflict.
	Create(ctx context.Context, p *Programme) error
	// Get returns one programme. Errors: not_found.
	Get(ctx context.Context, id uuid.UUID) (Programme, error)
	List(ctx context.Context, f ProgrammeFilter, req PageRequest) (Page[Programme], error)
	// Update: as OrganisationRepository.Update.
	Update(ctx context.Context, id uuid.UUID, ifVersion *int64, change func(*Programme) error) (Programme, error)
}

// ParticipantRepository stores participants.
type ParticipantRepository = Store[Participant, ParticipantFilter]
