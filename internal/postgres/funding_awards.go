package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
)

type fundingAward struct {
	ID                   uuid.UUID `gorm:"primaryKey"`
	OrganisationID       uuid.UUID
	ProgrammeID          uuid.UUID
	TenderRound          string
	Year1AmountPence     int64 `gorm:"column:year1_amount_pence"`
	Year1MinParticipants int   `gorm:"column:year1_min_participants"`
	Year2AmountPence     int64 `gorm:"column:year2_amount_pence"`
	Year2MinParticipants int   `gorm:"column:year2_min_participants"`
	Year3AmountPence     int64 `gorm:"column:year3_amount_pence"`
	Year3MinParticipants int   `gorm:"column:year3_min_participants"`
	DeletedAt            *time.Time
	CreatedAt            time.Time `gorm:"<-:false"`
	UpdatedAt            time.Time `gorm:"<-:false"`
	Version              int64     `gorm:"<-:false"`
}

func (fundingAward) TableName() string { return "funding_awards" }
func (m fundingAward) position() domain.Position {
	return domain.Position{UpdatedAt: m.UpdatedAt, ID: m.ID}
}
func (m fundingAward) rowVersion() int64 { return m.Version }

func (m fundingAward) toDomain() domain.FundingAward {
	return domain.FundingAward{ID: m.ID, OrganisationID: m.OrganisationID, ProgrammeID: m.ProgrammeID, TenderRound: m.TenderRound,
		Years: [domain.FundedYears]domain.FundedYear{
			{AmountPence: m.Year1AmountPence, MinParticipants: m.Year1MinParticipants},
			{AmountPence: m.Year2AmountPence, MinParticipants: m.Year2MinParticipants},
			{AmountPence: m.Year3AmountPence, MinParticipants: m.Year3MinParticipants},
		},
		DeletedAt: m.DeletedAt, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt, Version: m.Version}
}

func fundingAwardModel(a domain.FundingAward) fundingAward {
	return fundingAward{ID: a.ID, OrganisationID: a.OrganisationID, ProgrammeID: a.ProgrammeID, TenderRound: a.TenderRound,
		Year1AmountPence: a.Years[0].AmountPence, Year1MinParticipants: a.Years[0].MinParticipants,
		Year2AmountPence: a.Years[1].AmountPence, Year2MinParticipants: a.Years[1].MinParticipants,
		Year3AmountPence: a.Years[2].AmountPence, Year3MinParticipants: a.Years[2].MinParticipants,
		DeletedAt: a.DeletedAt}
}

// servedBy matches the awards a cohort of organisation may be delivered under: those it
// receives and those of the collaborations it belongs to.
const servedBy = "(organisation_id = ? OR organisation_id IN (SELECT collaboration_id FROM organisation_members WHERE member_id = ?))"

// fundingAwardReach is the tenancy scope of funding awards: the awards of the caller's reach,
// and those of the collaborations the caller's own organisation belongs to, whose cohorts it
// delivers. (Not those of its members' other collaborations: a collaboration's user sees its
// members' records, not their other funders' awards.)
func fundingAwardReach(ctx context.Context) condition {
	p, ok := domain.PrincipalFrom(ctx)
	switch {
	case !ok:
		return condition{sql: "false"}
	case p.AllOrganisations:
		return condition{}
	}
	return condition{sql: "(organisation_id = ANY(?) OR organisation_id IN (SELECT collaboration_id FROM organisation_members WHERE member_id = ?))",
		args: []any{p.Reach, p.OrganisationID}}
}

// NewFundingAwards returns the funding awards repository.
func NewFundingAwards(db *DB) domain.FundingAwardRepository {
	return store[fundingAward, domain.FundingAward, domain.FundingAwardFilter]{
		db: db, what: "funding award", duplicate: "a live award of this organisation for this programme and tender round",
		toDomain: fundingAward.toDomain,
		toModel:  fundingAwardModel,
		newID:    func(m *fundingAward) { m.ID = NewID() },
		filter: func(s *statement, f domain.FundingAwardFilter) {
			anyOf(s, "id", f.IDs)
			eq(s, "organisation_id", f.OrganisationID)
			if f.ServingOrganisationID != nil {
				s.and(servedBy, *f.ServingOrganisationID, *f.ServingOrganisationID)
			}
			eq(s, "programme_id", f.ProgrammeID)
			eq(s, "tender_round", f.TenderRound)
		},
		deleted: func(f domain.FundingAwardFilter) bool { return f.IncludeDeleted },
		columns: []string{"tender_round", "year1_amount_pence", "year1_min_participants", "year2_amount_pence",
			"year2_min_participants", "year3_amount_pence", "year3_min_participants", "deleted_at"},
		scope: fundingAwardReach,
	}
}
