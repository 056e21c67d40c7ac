package domain

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// OrganisationKind says what an organisation is.
type OrganisationKind string

const (
	KindNational      OrganisationKind = "national"      // HEE's national team
	KindTrust         OrganisationKind = "trust"         // an NHS trust
	KindCollaboration OrganisationKind = "collaboration" // trusts bidding and delivering together
	KindPartner       OrganisationKind = "partner"       // a delivery partner such as the Prince's Trust
)

// Organisation runs, funds or delivers programmes and owns participants' records.
type Organisation struct {
	ID        uuid.UUID
	Kind      OrganisationKind
	Name      string
	ODSCode   *string
	Region    *string
	MemberIDs []uuid.UUID // a collaboration's member trusts
	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int64
}

// OrganisationFilter narrows a list of organisations.
type OrganisationFilter struct {
	Kind    *OrganisationKind
	Region  *string
	ODSCode *string
	Query   *string
}

// OrganisationChange is a merge patch of an organisation.
type OrganisationChange struct {
	Name    *string
	ODSCode Change[string]
	Region  Change[string]
}

// Apply changes o in place.
func (c OrganisationChange) Apply(o *Organisation) {
	if c.Name != nil {
		o.Name = *c.Name
	}
	c.ODSCode.Apply(&o.ODSCode)
	c.Region.Apply(&o.Region)
}

// Validate checks the rules the contract cannot express.
func (o *Organisation) Validate() error {
	var v Validator
	v.Check(o.Kind == KindNational || o.Region != nil, "region", "is required for every organisation but the national team")
	v.Check(o.Kind != KindNational || o.ODSCode == nil || *o.ODSCode != "", "ods_code", "must not be empty")
	return v.Err()
}

// CanJoin checks that member may join collaboration c.
func (c *Organisation) CanJoin(member *Organisation) error {
	if c.Kind != KindCollaboration {
		return Errorf(CodeConflict, "only a collaboration has members; this organisation is a %s", c.Kind)
	}
	if member.Kind != KindTrust {
		return Errorf(CodeConflict, "only a trust can join a collaboration; the member is a %s", member.Kind)
	}
	return nil
}

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
