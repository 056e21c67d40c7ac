package domain

import (
	"strings"
	"time"

	"github.com/google/uuid"
)

// ConsentPurpose is one thing a participant may agree to.
type ConsentPurpose string

const (
	ConsentProcessing ConsentPurpose = "processing" // running the programme
	ConsentHRSharing  ConsentPurpose = "hr_sharing" // sharing with the trust's HR systems
	ConsentCaseStudy  ConsentPurpose = "case_study" // publishing a case study
)

// Consent is one purpose's state and when it last changed.
type Consent struct {
	Granted   bool
	ChangedAt *time.Time
}

// Consents holds a participant's consent by purpose.
type Consents struct {
	Processing Consent
	HRSharing  Consent
	CaseStudy  Consent
}

// ConsentChange sets some purposes and leaves the others.
type ConsentChange struct {
	Processing, HRSharing, CaseStudy *bool
}

// Apply records the purposes that change, stamping each with now.
func (c ConsentChange) Apply(to *Consents, now time.Time) {
	set := func(dst *Consent, v *bool) {
		if v != nil && (*v != dst.Granted || dst.ChangedAt == nil) {
			dst.Granted, dst.ChangedAt = *v, &now
		}
	}
	set(&to.Processing, c.Processing)
	set(&to.HRSharing, c.HRSharing)
	set(&to.CaseStudy, c.CaseStudy)
}

// Participant is a person taking part in programmes. Everything but the ids, the benefit and
// referral categories and the timestamps is personal data, wiped by Erase.
type Participant struct {
	ID             uuid.UUID
	OrganisationID uuid.UUID
	ExternalRef    *string
	GivenName      *string
	FamilyName     *string
	DateOfBirth    *time.Time
	Email          *string
	Phone          *string
	Postcode       *string
	BenefitStatus  string
	ReferralSource *string
	Consent        Consents
	ErasedAt       *time.Time
	// Withheld is true when the participant is shown to a caller without their consent to see
	// it: every personal field is wiped as by Erase (see Withhold). Never stored.
	Withheld  bool
	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int64
}

// ParticipantFilter narrows a list of participants.
type ParticipantFilter struct {
	Query          *string // words, each matching the start of a given or family name
	ExternalRef    *string
	OrganisationID *uuid.UUID
	BenefitStatus  *string
	ReferralSource *string
	Erased         *bool
	// ForHR lets Query and ExternalRef, which match personal data, match only participants who
	// agreed to sharing with HR: set for a caller acting for HR, so that a search by name never
	// tells it who has not.
	ForHR bool
}

// ParticipantChange is a merge patch of a participant.
type ParticipantChange struct {
	ExternalRef    Change[string]
	GivenName      *string
	FamilyName     *string
	DateOfBirth    *time.Time
	Email          Change[string]
	Phone          Change[string]
	Postcode       Change[string]
	BenefitStatus  *string
	ReferralSource Change[string]
	Consent        ConsentChange
}

// Apply changes p in place; now stamps consent changes.
func (c ParticipantChange) Apply(p *Participant, now time.Time) {
	c.ExternalRef.Apply(&p.ExternalRef)
	c.Email.Apply(&p.Email)
	c.Phone.Apply(&p.Phone)
	c.Postcode.Apply(&p.Postcode)
	c.ReferralSource.Apply(&p.ReferralSource)
	for dst, v := range map[**string]*string{&p.GivenName: c.GivenName, &p.FamilyName: c.FamilyName} {
		if v != nil {
			*dst = v
		}
	}
	if c.DateOfBirth != nil {
		p.DateOfBirth = c.DateOfBirth
	}
	if c.BenefitStatus != nil {
		p.BenefitStatus = *c.BenefitStatus
	}
	c.Consent.Apply(&p.Consent, now)
}

// Erased reports whether the participant's personal data has been wiped.
func (p *Participant) Erased() bool { return p.ErasedAt != nil }

// Normalise puts free-text fields in their stored form.
func (p *Participant) Normalise() {
	trim := func(s *string) *string {
		if s == nil {
			return nil
		}
		t := strings.TrimSpace(*s)
		return &t
	}
	p.GivenName, p.FamilyName, p.Email = trim(p.GivenName), trim(p.FamilyName), trim(p.Email)
	if p.Postcode != nil {
		pc := strings.ToUpper(strings.ReplaceAll(*p.Postcode, " ", ""))
		pc = pc[:len(pc)-3] + " " + pc[len(pc)-3:] // the inward code is always the last three
		p.Postcode = &pc
	}
}

// Validate checks the rules the contract cannot express. today is the caller's date.
func (p *Participant) Validate(today time.Time) error {
	var v Validator
	if p.DateOfBirth != nil {
		v.Check(!p.DateOfBirth.After(today), "date_of_birth", "must not be in the future")
		v.Check(AgeOn(*p.DateOfBirth, today) >= 14, "date_of_birth", "gives an age under 14; programmes start at 14")
		v.Check(AgeOn(*p.DateOfBirth, today) <= 100, "date_of_birth", "gives an age over 100")
	}
	v.Check(p.GivenName == nil || *p.GivenName != "", "given_name", "must not be blank")
	v.Check(p.FamilyName == nil || *p.FamilyName != "", "family_name", "must not be blank")
	return v.Err()
}

// ErasedFields names, as the API does, what Erase writes: the audit event of an erasure.
var ErasedFields = []string{"external_ref", "given_name", "family_name", "date_of_birth", "email", "phone", "postcode", "consent", "erased"}

// Erase wipes every personal field; what remains still counts in reports.
func (p *Participant) Erase(now time.Time) {
	p.ExternalRef, p.GivenName, p.FamilyName, p.DateOfBirth = nil, nil, nil, nil
	p.Email, p.Phone, p.Postcode = nil, nil, nil
	p.Consent = Consents{}
	p.ErasedAt = &now
}

// Withhold wipes what Erase wipes, for one answer to a caller who may not see it: the record
// looks erased, but keeps its consent (which says why) and is not marked erased.
func (p *Participant) Withhold() {
	consent, erasedAt := p.Consent, p.ErasedAt
	p.Erase(time.Time{})
	p.Consent, p.ErasedAt = consent, erasedAt
	p.Withheld = true
}

// AgeOn returns the age in whole years of someone born on dob, on day.
func AgeOn(dob, day time.Time) int {
	age := day.Year() - dob.Year()
	if day.Month() < dob.Month() || (day.Month() == dob.Month() && day.Day() < dob.Day()) {
		age--
	}
	return age
}

// ParticipantRepository stores participants within the caller's reach.
type ParticipantRepository = Store[Participant, ParticipantFilter]
