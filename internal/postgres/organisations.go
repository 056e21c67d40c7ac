package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

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

// Organisations stores organisations and collaboration memberships.
type Organisations struct{ db *DB }

// NewOrganisations returns the organisations repository.
func NewOrganisations(db *DB) *Organisations { return &Organisations{db} }

// Create inserts o, giving it an id. Errors: conflict (ods_code taken).
func (r *Organisations) Create(ctx context.Context, o *domain.Organisation) error {
	m := organisation{ID: NewID(), Kind: string(o.Kind), Name: o.Name, ODSCode: o.ODSCode, Region: o.Region}
	if err := r.db.conn(ctx).Clauses(clause.Returning{}).Create(&m).Error; err != nil {
		return translate(err, "an organisation with this ods_code")
	}
	*o = m.toDomain()
	return nil
}

// Get returns an organisation within the caller's reach. Errors: not_found.
func (r *Organisations) Get(ctx context.Context, id uuid.UUID) (domain.Organisation, error) {
	var m organisation
	if err := r.db.conn(ctx).Scopes(orgReach(ctx)).Take(&m, "id = ?", id).Error; err != nil {
		return domain.Organisation{}, translate(err, "organisation")
	}
	out := []domain.Organisation{m.toDomain()}
	if err := r.loadMembers(ctx, out); err != nil {
		return domain.Organisation{}, err
	}
	return out[0], nil
}

// List returns a page of organisations within the caller's reach.
func (r *Organisations) List(ctx context.Context, f domain.OrganisationFilter, req domain.PageRequest) (domain.Page[domain.Organisation], error) {
	q := r.db.conn(ctx).Model(&organisation{}).Scopes(orgReach(ctx), page("organisations", req))
	if f.Kind != nil {
		q = q.Where("kind = ?", *f.Kind)
	}
	if f.Region != nil {
		q = q.Where("region = ?", *f.Region)
	}
	if f.ODSCode != nil {
		q = q.Where("ods_code = ?", *f.ODSCode)
	}
	if f.Query != nil {
		q = q.Where("name ILIKE ?", "%"+likePrefix(*f.Query))
	}
	return r.page(ctx, q, req.Limit)
}

// ListMembers returns a page of the member trusts of collaboration id.
func (r *Organisations) ListMembers(ctx context.Context, id uuid.UUID, req domain.PageRequest) (domain.Page[domain.Organisation], error) {
	q := r.db.conn(ctx).Model(&organisation{}).Scopes(orgReach(ctx), page("organisations", req)).
		Where("id IN (SELECT member_id FROM organisation_members WHERE collaboration_id = ?)", id)
	return r.page(ctx, q, req.Limit)
}

func (r *Organisations) page(ctx context.Context, q *gorm.DB, limit int) (domain.Page[domain.Organisation], error) {
	var rows []organisation
	if err := q.Find(&rows).Error; err != nil {
		return domain.Page[domain.Organisation]{}, translate(err, "list organisations")
	}
	out := cut(rows, limit, func(m organisation) domain.Position { return domain.Position{UpdatedAt: m.UpdatedAt, ID: m.ID} }, organisation.toDomain)
	return out, r.loadMembers(ctx, out.Items)
}

// loadMembers fills MemberIDs of the collaborations among orgs in one query.
func (r *Organisations) loadMembers(ctx context.Context, orgs []domain.Organisation) error {
	byID := map[uuid.UUID]*domain.Organisation{}
	var ids []uuid.UUID
	for i := range orgs {
		if orgs[i].Kind == domain.KindCollaboration {
			byID[orgs[i].ID] = &orgs[i]
			ids = append(ids, orgs[i].ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var links []organisationMember
	err := r.db.conn(ctx).Where("collaboration_id IN ?", ids).Order("member_id").Find(&links).Error
	if err != nil {
		return translate(err, "list members")
	}
	for _, l := range links {
		o := byID[l.CollaborationID]
		o.MemberIDs = append(o.MemberIDs, l.MemberID)
	}
	return nil
}

// Update locks organisation id, checks its version when ifVersion is set, lets change edit it
// and writes it back. Errors: not_found, precondition_failed, and whatever change returns.
func (r *Organisations) Update(ctx context.Context, id uuid.UUID, ifVersion *int64, change func(*domain.Organisation) error) (domain.Organisation, error) {
	var out domain.Organisation
	err := r.db.InTx(ctx, func(ctx context.Context) error {
		var m organisation
		err := r.db.conn(ctx).Scopes(orgReach(ctx)).Clauses(clause.Locking{Strength: "UPDATE"}).Take(&m, "id = ?", id).Error
		if err != nil {
			return translate(err, "organisation")
		}
		if ifVersion != nil && *ifVersion != m.Version {
			return domain.Errorf(domain.CodePreconditionFailed, "the organisation has changed since version %d", *ifVersion)
		}
		o := m.toDomain()
		if err := change(&o); err != nil {
			return err
		}
		m.Name, m.ODSCode, m.Region = o.Name, o.ODSCode, o.Region
		err = r.db.conn(ctx).Model(&m).Clauses(clause.Returning{}).
			Select("name", "ods_code", "region").Updates(&m).Error
		if err != nil {
			return translate(err, "an organisation with this ods_code")
		}
		out = m.toDomain()
		return r.loadMembers(ctx, []domain.Organisation{out})
	})
	return out, err
}

// AddMember makes member part of collaboration; adding it twice is harmless.
func (r *Organisations) AddMember(ctx context.Context, collaboration, member uuid.UUID) (bool, error) {
	res := r.db.conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).
		Create(&organisationMember{CollaborationID: collaboration, MemberID: member})
	if res.Error != nil || res.RowsAffected == 0 {
		return false, translate(res.Error, "membership")
	}
	return true, r.touch(ctx, collaboration)
}

// RemoveMember takes member out of collaboration; removing a non-member is harmless.
func (r *Organisations) RemoveMember(ctx context.Context, collaboration, member uuid.UUID) (bool, error) {
	res := r.db.conn(ctx).Delete(&organisationMember{}, "collaboration_id = ? AND member_id = ?", collaboration, member)
	if res.Error != nil || res.RowsAffected == 0 {
		return false, translate(res.Error, "membership")
	}
	return true, r.touch(ctx, collaboration)
}

// touch bumps a collaboration's version so that syncing clients see its new member list.
func (r *Organisations) touch(ctx context.Context, id uuid.UUID) error {
	return translate(r.db.conn(ctx).Exec("UPDATE organisations SET updated_at = now() WHERE id = ?", id).Error, "organisation")
}

// orgReach is the tenancy scope of organisations: those within the caller's reach, and the
// delivery partners, a shared directory every trust names on its cohorts.
func orgReach(ctx context.Context) func(*gorm.DB) *gorm.DB {
	return func(q *gorm.DB) *gorm.DB {
		p, ok := domain.PrincipalFrom(ctx)
		switch {
		case !ok:
			return q.Where("false")
		case p.AllOrganisations:
			return q
		}
		return q.Where("(id IN ? OR kind = ?)", p.Reach, domain.KindPartner)
	}
}
