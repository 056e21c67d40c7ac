package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
)

type organisation struct {
	ID        uuid.UUID `gorm:"primaryKey"`
	Kind      string
	Name      string
	ODSCode   *string `gorm:"column:ods_code"`
	Region    *string
	CreatedAt time.Time `gorm:"<-:false"`
	UpdatedAt time.Time `gorm:"<-:false"`
	Version   int64     `gorm:"<-:false"`
}

func (organisation) TableName() string { return "organisations" }
func (m organisation) position() domain.Position {
	return domain.Position{UpdatedAt: m.UpdatedAt, ID: m.ID}
}
func (m organisation) rowVersion() int64 { return m.Version }

type organisationMember struct {
	CollaborationID uuid.UUID `gorm:"primaryKey"`
	MemberID        uuid.UUID `gorm:"primaryKey"`
}

func (organisationMember) TableName() string { return "organisation_members" }

func (m organisation) toDomain() domain.Organisation {
	return domain.Organisation{
		ID: m.ID, Kind: domain.OrganisationKind(m.Kind), Name: m.Name, ODSCode: m.ODSCode, Region: m.Region,
		MemberIDs: []uuid.UUID{}, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt, Version: m.Version,
	}
}

func organisationModel(o domain.Organisation) organisation {
	return organisation{ID: o.ID, Kind: string(o.Kind), Name: o.Name, ODSCode: o.ODSCode, Region: o.Region}
}

// organisationFilter is a list's filters, and for ListMembers the collaboration whose members
// to list.
type organisationFilter struct {
	domain.OrganisationFilter
	memberOf *uuid.UUID
}

// Organisations stores organisations and collaboration memberships. Its reads fill each
// collaboration's member ids.
type Organisations struct {
	store[organisation, domain.Organisation, organisationFilter]
}

// NewOrganisations returns the organisations repository.
func NewOrganisations(db *DB) *Organisations {
	return &Organisations{store[organisation, domain.Organisation, organisationFilter]{
		db: db, what: "organisation", duplicate: "an organisation with this ods_code",
		toDomain: organisation.toDomain,
		toModel:  organisationModel,
		newID:    func(m *organisation) { m.ID = NewID() },
		filter: func(s *statement, f organisationFilter) {
			eq(s, "kind", f.Kind)
			eq(s, "region", f.Region)
			eq(s, "ods_code", f.ODSCode)
			if f.Query != nil {
				s.and("name ILIKE ?", "%"+likePrefix(*f.Query))
			}
			if f.memberOf != nil {
				s.and("id IN (SELECT member_id FROM organisation_members WHERE collaboration_id = ?)", *f.memberOf)
			}
		},
		columns: []string{"name", "ods_code", "region"},
		scope:   orgReach,
	}}
}

// orgReach is the tenancy scope of organisations: those within the caller's reach, and the
// delivery partners, a shared directory every trust names on its cohorts.
func orgReach(ctx context.Context) condition {
	p, ok := domain.PrincipalFrom(ctx)
	switch {
	case !ok:
		return condition{sql: "false"}
	case p.AllOrganisations:
		return condition{}
	}
	return condition{sql: "(id = ANY(?) OR kind = ?)", args: []any{p.Reach, string(domain.KindPartner)}}
}

// Get returns an organisation within the caller's reach. Errors: not_found.
func (r *Organisations) Get(ctx context.Context, id uuid.UUID) (domain.Organisation, error) {
	o, err := r.store.Get(ctx, id)
	if err != nil {
		return o, err
	}
	return r.withMembers(ctx, o)
}

// List returns a page of organisations within the caller's reach.
func (r *Organisations) List(ctx context.Context, f domain.OrganisationFilter, req domain.PageRequest) (domain.Page[domain.Organisation], error) {
	return r.list(ctx, organisationFilter{OrganisationFilter: f}, req)
}

// ListMembers returns a page of the member trusts of collaboration id.
func (r *Organisations) ListMembers(ctx context.Context, id uuid.UUID, req domain.PageRequest) (domain.Page[domain.Organisation], error) {
	return r.list(ctx, organisationFilter{memberOf: &id}, req)
}

func (r *Organisations) list(ctx context.Context, f organisationFilter, req domain.PageRequest) (domain.Page[domain.Organisation], error) {
	out, err := r.store.List(ctx, f, req)
	if err != nil {
		return out, err
	}
	return out, r.loadMembers(ctx, out.Items)
}

// Update locks organisation id, checks its version when ifVersion is set, lets change edit it
// and writes it back. Errors: not_found, precondition_failed, conflict, and whatever change returns.
func (r *Organisations) Update(ctx context.Context, id uuid.UUID, ifVersion *int64, change func(*domain.Organisation) error) (domain.Organisation, error) {
	o, err := r.store.Update(ctx, id, ifVersion, change)
	if err != nil {
		return o, err
	}
	return r.withMembers(ctx, o)
}

// withMembers returns o with its member ids, if it is a collaboration.
func (r *Organisations) withMembers(ctx context.Context, o domain.Organisation) (domain.Organisation, error) {
	one := []domain.Organisation{o}
	err := r.loadMembers(ctx, one)
	return one[0], err
}

// loadMembers fills MemberIDs of the collaborations among orgs, in place, in one query.
func (r *Organisations) loadMembers(ctx context.Context, orgs []domain.Organisation) error {
	byID := map[uuid.UUID]*domain.Organisation{}
	var collaborations []uuid.UUID
	for i := range orgs {
		if orgs[i].Kind == domain.KindCollaboration {
			byID[orgs[i].ID] = &orgs[i]
			collaborations = append(collaborations, orgs[i].ID)
		}
	}
	if len(collaborations) == 0 {
		return nil
	}
	s := selectFrom[organisationMember]()
	anyOf(s, "collaboration_id", collaborations)
	links, err := rows[organisationMember](ctx, r.db, s.write(" ORDER BY member_id"))
	if err != nil {
		return translate(err, "list members")
	}
	for _, l := range links {
		o := byID[l.CollaborationID]
		o.MemberIDs = append(o.MemberIDs, l.MemberID)
	}
	return nil
}

// AddMember makes member part of collaboration; adding it twice is harmless.
func (r *Organisations) AddMember(ctx context.Context, collaboration, member uuid.UUID) (bool, error) {
	tag, err := r.db.Exec(ctx, `INSERT INTO organisation_members (collaboration_id, member_id) VALUES ($1, $2)
		ON CONFLICT DO NOTHING`, collaboration, member)
	if err != nil || tag.RowsAffected() == 0 {
		return false, translate(err, "membership")
	}
	return true, r.touch(ctx, collaboration)
}

// RemoveMember takes member out of collaboration; removing a non-member is harmless.
func (r *Organisations) RemoveMember(ctx context.Context, collaboration, member uuid.UUID) (bool, error) {
	tag, err := r.db.Exec(ctx, `DELETE FROM organisation_members WHERE collaboration_id = $1 AND member_id = $2`, collaboration, member)
	if err != nil || tag.RowsAffected() == 0 {
		return false, translate(err, "membership")
	}
	return true, r.touch(ctx, collaboration)
}

// touch bumps a collaboration's version so that syncing clients see its new member list.
func (r *Organisations) touch(ctx context.Context, id uuid.UUID) error {
	_, err := r.db.Exec(ctx, "UPDATE organisations SET updated_at = now() WHERE id = $1", id)
	return translate(err, "organisation")
}
