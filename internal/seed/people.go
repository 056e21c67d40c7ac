package seed

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// ReferenceDate is the day the demo participants' ages are reckoned on: a participant made
// "16" is 16 on this day, whenever the seed runs.
var ReferenceDate = time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)

// The fixed seed of the PCG source: the same people come out of every run and every install.
const (
	seed1, seed2 = 0x5034_5750_4e48_5331, 0x2026_0901_0000_0200
)

// trust is one demo trust and how its participants are made.
type trust struct {
	Name     string
	ODSCode  string   // ODS-shaped, invented
	RefStem  string   // the prefix of its participants' external_ref
	Count    int      // how many participants it has
	Outwards []string // plausible outward postcodes of its catchment
	Landline string   // an Ofcom drama-range landline prefix; four digits follow
}

// trusts are invented; their codes follow the ODS shape and belong to no real organisation.
var trusts = []trust{
	{
		Name: "Northgate Teaching Hospitals NHS Foundation Trust", ODSCode: "RZ1", RefStem: "NTH", Count: 110,
		Outwards: []string{"L1", "L4", "L5", "L6", "L7", "L8", "L11", "L13", "L20", "L36", "CH41", "CH44", "CH62"},
		Landline: "0151 496 0",
	},
	{
		Name: "Riverside Community Health NHS Trust", ODSCode: "RZ2", RefStem: "RSD", Count: 90,
		Outwards: []string{"WA1", "WA2", "WA4", "WA5", "WA8", "WA9", "WA10", "WA11", "WN4", "WN5"},
		Landline: "01632 960",
	},
}

// ageBands shapes the ages: a cluster of 16-24 year olds (the Prince's Trust's range), then a
// spread of working-age adults up to 60. Ages are spread evenly within each band, so every age
// from 16 to 60 occurs.
var ageBands = []struct{ lo, hi, count int }{
	{16, 18, 28},
	{19, 24, 56},
	{25, 30, 30},
	{31, 40, 38},
	{41, 50, 28},
	{51, 60, 20},
}

var givenNames = []string{
	"Olivia", "Amelia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Sophie", "Grace", "Freya",
	"Chloe", "Jessica", "Emily", "Sarah", "Laura", "Rebecca", "Aisha", "Zainab", "Niamh", "Megan",
	"Oliver", "Noah", "George", "Harry", "Jack", "Leo", "Oscar", "Charlie", "James", "Thomas",
	"Daniel", "Liam", "Ryan", "Connor", "Mohammed", "Adam", "Callum", "Kieran", "Aaron", "Jordan",
}

var familyNames = []string{
	"Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas", "Johnson",
	"Roberts", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards", "Hughes", "Green", "Hall",
	"Lewis", "Harris", "Clarke", "Patel", "Jackson", "Wood", "Turner", "Cooper", "Hill", "Ward",
	"Morris", "Moore", "Khan", "Ali", "Murphy", "Kelly", "O'Brien", "Begum", "Okafor", "Nowak",
}

// workingAgeBenefits are the benefit_status values that count as a working-age benefit.
var workingAgeBenefits = []string{"universal_credit", "jobseekers_allowance", "employment_and_support_allowance",
	"income_support", "other_working_age_benefit"}

type weighted[T any] struct {
	value  T
	weight int
}

// pick draws one value with probability proportional to its weight.
func pick[T any](r *rand.Rand, choices []weighted[T]) T {
	total := 0
	for _, c := range choices {
		total += c.weight
	}
	n := r.IntN(total)
	for _, c := range choices {
		if n < c.weight {
			return c.value
		}
		n -= c.weight
	}
	panic("unreachable")
}

var (
	// Under 19: most have no benefit of their own; a few 16-18s receive Universal Credit.
	youngBenefits = []weighted[string]{{"none", 55}, {"unknown", 25}, {"universal_credit", 20}}
	// 19 and over: most of the people trusts' employability programmes reach are on a benefit.
	adultBenefits = []weighted[string]{
		{"universal_credit", 45}, {"jobseekers_allowance", 8}, {"employment_and_support_allowance", 10},
		{"income_support", 4}, {"other_working_age_benefit", 5}, {"none", 18}, {"unknown", 10},
	}
	// On a working-age benefit: the Jobcentre Plus work coach refers most.
	claimantReferrals = []weighted[string]{
		{"jobcentre_plus", 62}, {"self_referral", 10}, {"local_authority", 8}, {"voluntary_sector", 8},
		{"nhs_trust", 4}, {"other", 4},
	}
	// Young people not on a benefit come through the Prince's Trust, schools and colleges.
	youngReferrals = []weighted[string]{
		{"princes_trust", 30}, {"school_or_college", 25}, {"self_referral", 20}, {"street_doctors", 10},
		{"jobcentre_plus", 10}, {"other", 5},
	}
	otherReferrals = []weighted[string]{
		{"self_referral", 35}, {"jobcentre_plus", 20}, {"employer", 15}, {"voluntary_sector", 15},
		{"nhs_trust", 10}, {"other", 5},
	}
	emailDomains = []string{"example.org", "example.com"}
)

// inwardLetters are the letters a postcode's inward code may end with.
const inwardLetters = "ABDEFGHJLNPQRSTUWXYZ"

// person is one demo participant, as generated.
type person struct {
	trust       int // index into trusts
	ExternalRef string
	GivenName   string
	FamilyName  string
	DateOfBirth time.Time
	Email       *string
	Phone       *string
	Postcode    *string
	Benefit     string
	Referral    string
	HRSharing   bool
	CaseStudy   bool
}

// people generates the demo participants. It depends on nothing but the fixed seed, so every
// call returns the same people in the same order.
func people() []person {
	r := rand.New(rand.NewPCG(seed1, seed2))

	var ages []int
	for _, b := range ageBands {
		for j := range b.count {
			ages = append(ages, b.lo+j%(b.hi-b.lo+1))
		}
	}
	r.Shuffle(len(ages), func(i, j int) { ages[i], ages[j] = ages[j], ages[i] })

	out := make([]person, 0, len(ages))
	taken := map[string]bool{} // email addresses
	next := 0
	for ti, t := range trusts {
		for n := range t.Count {
			age := ages[next]
			next++
			// Born age years before the reference date, less up to 364 days: still age on it.
			dob := ReferenceDate.AddDate(-age, 0, -r.IntN(365))
			p := person{
				trust:       ti,
				ExternalRef: fmt.Sprintf("%s-%06d", t.RefStem, 101+n*3+r.IntN(3)),
				GivenName:   givenNames[r.IntN(len(givenNames))],
				FamilyName:  familyNames[r.IntN(len(familyNames))],
				DateOfBirth: dob,
			}
			if age < 19 {
				p.Benefit = pick(r, youngBenefits)
			} else {
				p.Benefit = pick(r, adultBenefits)
			}
			switch {
			case age >= 19 && slices.Contains(workingAgeBenefits, p.Benefit):
				p.Referral = pick(r, claimantReferrals)
			case age <= 24:
				p.Referral = pick(r, youngReferrals)
			default:
				p.Referral = pick(r, otherReferrals)
			}
			if r.IntN(100) < 88 {
				e := email(r, p.GivenName, p.FamilyName)
				for taken[e] { // two people with one name: the second address gets another digit
					local, at, _ := strings.Cut(e, "@")
					e = fmt.Sprintf("%s%d@%s", local, r.IntN(10), at)
				}
				taken[e] = true
				p.Email = &e
			}
			if r.IntN(100) < 92 {
				if r.IntN(100) < 80 {
					p.Phone = ptr(fmt.Sprintf("07700 900%03d", r.IntN(1000)))
				} else {
					p.Phone = ptr(fmt.Sprintf("%s%03d", t.Landline, r.IntN(1000)))
				}
			}
			if r.IntN(100) < 95 {
				p.Postcode = ptr(fmt.Sprintf("%s %d%c%c", t.Outwards[r.IntN(len(t.Outwards))], r.IntN(10),
					inwardLetters[r.IntN(len(inwardLetters))], inwardLetters[r.IntN(len(inwardLetters))]))
			}
			p.HRSharing = r.IntN(100) < 85
			p.CaseStudy = r.IntN(100) < 6
			out = append(out, p)
		}
	}
	return out
}

// email makes an address at an RFC 2606 domain from a name, in one of a few usual shapes.
func email(r *rand.Rand, given, family string) string {
	g := strings.ToLower(given)
	f := strings.ToLower(strings.NewReplacer("'", "", " ", "").Replace(family))
	at := emailDomains[r.IntN(len(emailDomains))]
	switch r.IntN(3) {
	case 0:
		return fmt.Sprintf("%s.%s%d@%s", g, f, r.IntN(100), at)
	case 1:
		return fmt.Sprintf("%s%s%d@%s", g[:1], f, r.IntN(1000), at)
	default:
		return fmt.Sprintf("%s_%s@%s", g, f, at)
	}
}

// participantFields are the fields the seed sets, named as the API names them, for the audit trail.
var participantFields = []string{"benefit_status", "consent", "date_of_birth", "email", "external_ref",
	"family_name", "given_name", "organisation_id", "phone", "postcode", "referral_source"}

// participant returns what the service's Create takes for p at organisation org.
func (p person) participant(org uuid.UUID) (domain.Participant, domain.ConsentChange, []string) {
	dob := p.DateOfBirth
	out := domain.Participant{
		OrganisationID: org, ExternalRef: ptr(p.ExternalRef), GivenName: ptr(p.GivenName),
		FamilyName: ptr(p.FamilyName), DateOfBirth: &dob, Email: p.Email, Phone: p.Phone, Postcode: p.Postcode,
		BenefitStatus: p.Benefit, ReferralSource: ptr(p.Referral),
	}
	consent := domain.ConsentChange{Processing: ptr(true), HRSharing: ptr(p.HRSharing), CaseStudy: ptr(p.CaseStudy)}
	var fields []string
	for _, f := range participantFields {
		if (f == "email" && p.Email == nil) || (f == "phone" && p.Phone == nil) || (f == "postcode" && p.Postcode == nil) {
			continue
		}
		fields = append(fields, f)
	}
	return out, consent, fields
}

func ptr[T any](v T) *T { return &v }
