package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"

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

func (m participant) position() domain.Position {
	return domain.Position{UpdatedAt: m.UpdatedAt, ID: m.ID}
}
func (m participant) rowVersion() int64 { return m.Version }

// participants is the participants repository. A client acting for HR reads every participant
// within reach (the services withhold those without its consent, and its sync must learn of
// them), but reaches for writes only those who agreed to sharing with HR: to it, the others
// are not there to change or erase.
type participants struct {
	store[participant, domain.Participant, domain.ParticipantFilter]
	writes store[participant, domain.Participant, domain.ParticipantFilter]
}

// NewParticipants returns the participants repository.
func NewParticipants(db *DB) domain.ParticipantRepository {
	reads := store[participant, domain.Participant, domain.ParticipantFilter]{
		db: db, what: "participant",
		toDomain: participant.toDomain,
		toModel:  participantModel,
		newID:    func(m *participant) { m.ID = NewID() },
		filter:   filterParticipants,
		columns:  participantColumns,
	}
	writes := reads
	writes.scope = func(ctx context.Context) condition {
		return reach(ctx, "organisation_id").and(forHR(ctx, "consent_hr_sharing"))
	}
	return participants{reads, writes}
}

func (s participants) Update(ctx context.Context, id uuid.UUID, ifVersion *int64, change func(*domain.Participant) error) (domain.Participant, error) {
	return s.writes.Update(ctx, id, ifVersion, change)
}

func filterParticipants(s *statement, f domain.ParticipantFilter) {
	if f.Query != nil {
		// Every word must start the given or the family name: "jo smi" finds Joanne Smith.
		for _, word := range strings.Fields(*f.Query) {
			w := likePrefix(word)
			s.and("(lower(given_name) LIKE ? OR lower(family_name) LIKE ?)", w, w)
		}
	}
	eq(s, "external_ref", f.ExternalRef)
	// A search by personal data never finds whom a client acting for HR may not see.
	s.when(f.ForHR && (f.Query != nil || f.ExternalRef != nil), "consent_hr_sharing")
	eq(s, "organisation_id", f.OrganisationID)
	eq(s, "benefit_status", f.BenefitStatus)
	eq(s, "referral_source", f.ReferralSource)
	if f.Erased != nil {
		s.when(*f.Erased, "erased_at IS NOT NULL")
		s.when(!*f.Erased, "erased_at IS NULL")
	}
}
