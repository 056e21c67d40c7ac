package postgres

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/p4w-nhs/p4w/internal/domain"
)

type participant struct {
	ID                  uuid.UUID `gorm:"primaryKey"`
	OrganisationID      uuid.UUID
	ExternalRef         *string
	GivenName           *string
	FamilyName          *string
	DateOfBirth         *time.Time `gorm:"type:date"`
	Email               *string
	Phone               *string
	Postcode            *string
	BenefitStatus       string
	ReferralSource      *string
	ConsentProcessing   bool
	ConsentProcessingAt *time.Time
	ConsentHRSharing    bool       `gorm:"column:consent_hr_sharing"`
	ConsentHRSharingAt  *time.Time `gorm:"column:consent_hr_sharing_at"`
	ConsentCaseStudy    bool
	ConsentCaseStudyAt  *time.Time
	ErasedAt            *time.Time
	CreatedAt           time.Time `gorm:"<-:false"`
	UpdatedAt           time.Time `gorm:"<-:false"`
	Version             int64     `gorm:"<-:false"`
}

func (participant) TableName() string { return "participants" }

// participantColumns are the columns an update writes: everything but the keys and stamps.
var participantColumns = []string{"external_ref", "given_name", "family_name", "date_of_birth", "email", "phone",
	"postcode", "benefit_status", "referral_source", "consent_processing", "consent_processing_at",
	"consent_hr_sharing", "consent_hr_sharing_at", "consent_case_study", "consent_case_study_at", "erased_at"}

func (m participant) toDomain() domain.Participant {
	return domain.Participant{
		ID: m.ID, OrganisationID: m.OrganisationID, ExternalRef: m.ExternalRef, GivenName: m.GivenName,
		FamilyName: m.FamilyName, DateOfBirth: m.DateOfBirth, Email: m.Email, Phone: m.Phone, Postcode: m.Postcode,
		BenefitStatus: m.BenefitStatus, ReferralSource: m.ReferralSource,
		Consent: domain.Consents{
			Processing: domain.Consent{Granted: m.ConsentProcessing, ChangedAt: m.ConsentProcessingAt},
			HRSharing:  domain.Consent{Granted: m.ConsentHRSharing, ChangedAt: m.ConsentHRSharingAt},
			CaseStudy:  domain.Consent{Granted: m.ConsentCaseStudy, ChangedAt: m.ConsentCaseStudyAt},
		},
		ErasedAt: m.ErasedAt, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt, Version: m.Version,
	}
}

func participantModel(p domain.Participant) participant {
	return participant{
		ID: p.ID, OrganisationID: p.OrganisationID, ExternalRef: p.ExternalRef, GivenName: p.GivenName,
		FamilyName: p.FamilyName, DateOfBirth: p.DateOfBirth, Email: p.Email, Phone: p.Phone, Postcode: p.Postcode,
		BenefitStatus: p.BenefitStatus, ReferralSource: p.ReferralSource,
		ConsentProcessing: p.Consent.Processing.Granted, ConsentProcessingAt: p.Consent.Processing.ChangedAt,
		ConsentHRSharing: p.Consent.HRSharing.Granted, ConsentHRSharingAt: p.Consent.HRSharing.ChangedAt,
		ConsentCaseStudy: p.Consent.CaseStudy.Granted, ConsentCaseStudyAt: p.Consent.CaseStudy.ChangedAt,
		ErasedAt: p.ErasedAt,
	}
}

// Participants stores participants, scoped to the caller's reach.
type Participants struct{ db *DB }

// NewParticipants returns the participants repository.
func NewParticipants(db *DB) *Participants { return &Participants{db} }

const externalRefTaken = "a participant with this external_ref in the organisation"

// Create inserts p, giving it an id. Errors: conflict (external_ref taken in the organisation).
func (r *Participants) Create(ctx context.Context, p *domain.Participant) error {
	m := participantModel(*p)
	m.ID = NewID()
	if err := r.db.conn(ctx).Clauses(clause.Returning{}).Create(&m).Error; err != nil {
		return translate(err, externalRefTaken)
	}
	*p = m.toDomain()
	return nil
}

// Get returns a participant within the caller's reach. Errors: not_found.
func (r *Participants) Get(ctx context.Context, id uuid.UUID) (domain.Participant, error) {
	var m participant
	if err := r.db.conn(ctx).Scopes(reach(ctx, "organisation_id")).Take(&m, "id = ?", id).Error; err != nil {
		return domain.Participant{}, translate(err, "participant")
	}
	return m.toDomain(), nil
}

// List returns a page of the participants within the caller's reach.
func (r *Participants) List(ctx context.Context, f domain.ParticipantFilter, req domain.PageRequest) (domain.Page[domain.Participant], error) {
	q := r.db.conn(ctx).Scopes(reach(ctx, "organisation_id"), page("participants", req))
	q = filterParticipants(q, f)
	var rows []participant
	if err := q.Find(&rows).Error; err != nil {
		return domain.Page[domain.Participant]{}, translate(err, "list participants")
	}
	return cut(rows, req.Limit, func(m participant) domain.Position { return domain.Position{UpdatedAt: m.UpdatedAt, ID: m.ID} }, participant.toDomain), nil
}

func filterParticipants(q *gorm.DB, f domain.ParticipantFilter) *gorm.DB {
	if f.Query != nil {
		// Every word must start the given or the family name: "jo smi" finds Joanne Smith.
		for _, word := range strings.Fields(*f.Query) {
			w := likePrefix(word)
			q = q.Where("(lower(given_name) LIKE ? OR lower(family_name) LIKE ?)", w, w)
		}
	}
	if f.ExternalRef != nil {
		q = q.Where("external_ref = ?", *f.ExternalRef)
	}
	if f.OrganisationID != nil {
		q = q.Where("organisation_id = ?", *f.OrganisationID)
	}
	if f.BenefitStatus != nil {
		q = q.Where("benefit_status = ?", *f.BenefitStatus)
	}
	if f.ReferralSource != nil {
		q = q.Where("referral_source = ?", *f.ReferralSource)
	}
	if f.Erased != nil {
		if *f.Erased {
			q = q.Where("erased_at IS NOT NULL")
		} else {
			q = q.Where("erased_at IS NULL")
		}
	}
	return q
}

// Update locks participant id, checks its version when ifVersion is set, lets change edit it
// and writes it back. Errors: not_found, precondition_failed, conflict, and whatever change returns.
func (r *Participants) Update(ctx context.Context, id uuid.UUID, ifVersion *int64, change func(*domain.Participant) error) (domain.Participant, error) {
	var out domain.Participant
	err := r.db.InTx(ctx, func(ctx context.Context) error {
		var m participant
		err := r.db.conn(ctx).Scopes(reach(ctx, "organisation_id")).Clauses(clause.Locking{Strength: "UPDATE"}).Take(&m, "id = ?", id).Error
		if err != nil {
			return translate(err, "participant")
		}
		if ifVersion != nil && *ifVersion != m.Version {
			return domain.Errorf(domain.CodePreconditionFailed, "the participant has changed since version %d", *ifVersion)
		}
		p := m.toDomain()
		if err := change(&p); errors.Is(err, domain.ErrNoChange) {
			out = p
			return nil
		} else if err != nil {
			return err
		}
		m = participantModel(p)
		if err := r.db.conn(ctx).Model(&m).Clauses(clause.Returning{}).Select(participantColumns).Updates(&m).Error; err != nil {
			return translate(err, externalRefTaken)
		}
		out = m.toDomain()
		return nil
	})
	return out, err
}
