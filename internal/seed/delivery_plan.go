package seed

import (
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// The demo delivery data set, as of ReferenceDate (1 September 2026): which cohorts run where,
// what became of each place in them, the placements, mentors, vacancies and destinations. It is
// data only; delivery.go writes it through the services. Every employer, college, mentor and
// supervisor named here is invented.

// The programmes of the catalogue and the second partner, as migration 00002 seeds them with
// fixed ids.
var (
	stepIntoWork          = uuid.MustParse("01900000-0000-7000-8000-000000000101")
	getInto               = uuid.MustParse("01900000-0000-7000-8000-000000000102")
	getStarted            = uuid.MustParse("01900000-0000-7000-8000-000000000103")
	professionalMentoring = uuid.MustParse("01900000-0000-7000-8000-000000000104")
	streetDoctors         = uuid.MustParse("01900000-0000-7000-8000-000000000105")
	workExperience        = uuid.MustParse("01900000-0000-7000-8000-000000000106")
	workRelatedLearning   = uuid.MustParse("01900000-0000-7000-8000-000000000107")

	catalogue = []uuid.UUID{stepIntoWork, getInto, getStarted, professionalMentoring, streetDoctors, workExperience, workRelatedLearning}
)

// The fixed seed of the PCG source that picks who takes which place.
const (
	deliverySeed1, deliverySeed2 = 0x5034_5744_454c_4956, 0x2026_0901_0000_0013
)

// orgRef names one of the demo organisations that runs cohorts.
type orgRef int

const (
	northgate orgRef = iota
	riverside
	collaboration
)

// trustsOf are the trusts (indexes into trusts) whose participants an organisation's cohorts take.
func (o orgRef) trustsOf() []int {
	switch o {
	case northgate:
		return []int{0}
	case riverside:
		return []int{1}
	}
	return []int{0, 1}
}

// sites are the trusts' main sites, where their participants are placed.
var sites = []string{"Northgate General Hospital", "Riverside Community Hospital"}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// need says whom a place is for, beyond the default of someone eligible for the programme.
type need int

const (
	needEligible    need = iota
	needNotClaiming      // eligible but for the working-age benefit: an override, or a referral that fails
	needOverAge          // over the programme's upper age limit by up to five years: an override
	needSchoolAge        // eligible and 19 or under: work experience
)

// fate is what became of one place in a cohort by the reference date.
type fate struct {
	final    string // the enrolment's status on the reference date
	from     string // withdrawn: the status it was withdrawn from
	day      int    // withdrawn, or completed early: days after the cohort's start
	reason   string // withdrawal reason
	need     need
	override string // eligibility override reason: the place goes to someone not eligible
	outcome  *outcomePlan
}

func completes(o *outcomePlan) fate { return fate{final: domain.Completed, outcome: o} }

func stays(status string) fate { return fate{final: status} }

func withdraws(from string, day int, reason string, o *outcomePlan) fate {
	return fate{final: domain.Withdrawn, from: from, day: day, reason: reason, outcome: o}
}

// on makes a completion fall day days after the cohort's start rather than on its last day.
func (f fate) on(day int) fate { f.day = day; return f }

func (f fate) needs(n need) fate { f.need = n; return f }

func (f fate) overridden(n need, reason string) fate { f.need, f.override = n, reason; return f }

func repeat(n int, f fate) []fate {
	out := make([]fate, n)
	for i := range out {
		out[i] = f
	}
	return out
}

func fates(groups ...[]fate) []fate {
	var out []fate
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

func one(f fate) []fate { return []fate{f} }

// outcomePlan is a destination recorded after an enrolment ended.
type outcomePlan struct {
	destination, ilr string
	sector           string // "" for none
	employer, role   string // employer or provider, and role or course; "" for none
	after            int    // starts this many days after the enrolment ended; none/unknown have no start
	check3m          string // the 3-month sustainment check's result, "" when not recorded (due)
}

func job(employer, role, sector, ilr string, after int, check3m string) *outcomePlan {
	return &outcomePlan{destination: domain.DestEmployment, ilr: ilr, sector: sector, employer: employer, role: role, after: after, check3m: check3m}
}

func apprenticeship(employer, role, sector string, after int, check3m string) *outcomePlan {
	return &outcomePlan{destination: domain.DestApprenticeship, ilr: "EDU2", sector: sector, employer: employer, role: role, after: after, check3m: check3m}
}

func volunteering(organisation, role, sector string, after int) *outcomePlan {
	return &outcomePlan{destination: domain.DestVolunteering, ilr: "VOL1", sector: sector, employer: organisation, role: role, after: after}
}

// college is further education: EDU4 full time, EDU5 part time.
func college(provider, course, ilr string, after int) *outcomePlan {
	return &outcomePlan{destination: domain.DestFurtherEducation, ilr: ilr, sector: "other", employer: provider, role: course, after: after}
}

// training: EDU1 a traineeship, EDU5 a part-time course.
func training(provider, course, sector, ilr string, after int) *outcomePlan {
	return &outcomePlan{destination: domain.DestTraining, ilr: ilr, sector: sector, employer: provider, role: course, after: after}
}

var (
	lookingForWork = &outcomePlan{destination: domain.DestNone, ilr: "NPE1"} // not in paid work, looking and available
	notLooking     = &outcomePlan{destination: domain.DestNone, ilr: "NPE2"} // not in paid work, not looking or not available
	notKnown       = &outcomePlan{destination: domain.DestUnknown, ilr: "NTK1"}
)

// Employers, providers and volunteering organisations of the destinations; the trusts are the demo ones.
const (
	northgateTrust  = "Northgate Teaching Hospitals NHS Foundation Trust"
	riversideTrust  = "Riverside Community Health NHS Trust"
	careHome        = "Larkfield House Care Home"
	homeCare        = "Brookvale Home Care"
	contractor      = "Kestrel Facilities Services Ltd"
	depot           = "Northwest Parcel Hub Ltd"
	fe              = "Mersey Valley College"
	sixthForm       = "Riverside Sixth Form College"
	adultLearning   = "Northgate Adult Learning Service"
	northgateVols   = "Northgate Teaching Hospitals Volunteer Service"
	riversideVols   = "Riverside Community Health Volunteer Service"
	foodbank        = "Valley Community Foodbank"
	traineeship     = "Traineeship in health and social care"
	notClaimingNote = "Not eligible: not in receipt of a working-age benefit"
)

// area is where a placement is: its role area and host department.
type area struct{ roleArea, host string }

var (
	domestic     = area{"facilities", "Domestic services"}
	catering     = area{"facilities", "Catering"}
	portering    = area{"facilities", "Portering"}
	linen        = area{"facilities", "Linen and laundry"}
	maintenance  = area{"estates", "Estates maintenance"}
	grounds      = area{"estates", "Grounds and gardens"}
	elderlyWard  = area{"healthcare_support", "Ward 7 (care of older people)"}
	surgicalWard = area{"healthcare_support", "Ward 12 (general surgery)"}
	community    = area{"healthcare_support", "Community nursing team"}
	therapies    = area{"healthcare_support", "Therapies"}
	outpatients  = area{"administration", "Outpatients reception"}
	records      = area{"administration", "Health records"}
	secretaries  = area{"administration", "Medical secretaries"}
	pathology    = area{"clinical_support", "Pathology specimen reception"}
	sterile      = area{"clinical_support", "Sterile services"}
	pharmacy     = area{"clinical_support", "Pharmacy stores"}
	theatres     = area{"clinical_support", "Theatres"}
	radiology    = area{"clinical_support", "Radiology"}
	library      = area{"other", "Library and knowledge services"}
	comms        = area{"other", "Communications"}
	learning     = area{"other", "Learning and development"}
)

// supervisors of placements, in turn.
var supervisors = []string{"Karen Whitfield", "Dev Mistry", "Siân Roberts", "Paul Hennessy", "Joanne Leigh", "Amir Hussain", "Claire Doyle"}

// placementStyle is how a cohort's participants are placed: participant i gets areas[i%len]
// from offset days after the start, for days days (0: to the cohort's end), each next one stagger
// days later, wrapping round within the cohort.
type placementStyle struct {
	kind           string
	offset, days   int
	stagger        int
	hours          []float64
	areas          []area
	endEarlyReason string // the reason a placement ends early when its participant withdraws
}

// cohortPlan is one run of a programme and what became of its places.
type cohortPlan struct {
	key       string // stable key of the plan, for the other plans to name it
	programme uuid.UUID
	org       orgRef
	name      string
	starts    time.Time
	ends      time.Time
	capacity  int
	status    string // on the reference date: planned, running or finished
	lead      int    // referrals come in this many days before the start (default 28)
	placement *placementStyle
	fates     []fate
}

func (p cohortPlan) roleAreas() []string {
	var out []string
	if p.placement == nil {
		return []string{}
	}
	for _, a := range p.placement.areas {
		if !slices.Contains(out, a.roleArea) {
			out = append(out, a.roleArea)
		}
	}
	return out
}

var stepIntoWorkPlacements = &placementStyle{kind: "placement", offset: 14, hours: []float64{16, 22.5, 30},
	areas:          []area{domestic, maintenance, elderlyWard, outpatients, sterile, catering, surgicalWard, records, grounds, pharmacy, portering},
	endEarlyReason: "The participant withdrew from Step into Work on health grounds"}

var getIntoPlacements = &placementStyle{kind: "placement", offset: 14, hours: []float64{22.5, 30},
	areas: []area{elderlyWard, domestic, community, catering, therapies}}

// cohortPlans, in the order places are given out: the programmes for young people first, as
// they draw on the smaller group.
var cohortPlans = []cohortPlan{
	{
		key: "sd-ng-spring", programme: streetDoctors, org: northgate, name: "Street Doctors — spring 2026",
		starts: day(2026, 3, 7), ends: day(2026, 5, 16), capacity: 20, status: "finished",
		fates: fates(
			repeat(10, completes(nil)),
			one(withdraws(domain.Active, 21, "Stopped attending the sessions", nil)),
			one(withdraws(domain.Active, 35, "Moved to a school outside the area", nil)),
		),
	},
	{
		key: "we-rs-summer", programme: workExperience, org: riverside, name: "Work experience — summer 2026",
		starts: day(2026, 7, 6), ends: day(2026, 8, 14), capacity: 10, status: "finished",
		placement: &placementStyle{kind: "work_experience", days: 5, stagger: 7, hours: []float64{30},
			areas: []area{surgicalWard, secretaries, pathology, library, linen, comms}},
		fates: fates(
			one(completes(college(fe, "T Level in Health", "EDU4", 24)).needs(needSchoolAge)),
			one(completes(college(sixthForm, "A levels in biology, chemistry and psychology", "EDU4", 24)).needs(needSchoolAge)),
			repeat(5, completes(nil).needs(needSchoolAge)),
			one(withdraws(domain.Enrolled, -2, "Took a summer job instead", nil).needs(needSchoolAge)),
		),
	},
	{
		key: "gi-rs-feb", programme: getInto, org: riverside, name: "Get Into Healthcare — February 2026",
		starts: day(2026, 2, 2), ends: day(2026, 3, 13), capacity: 12, status: "finished", placement: getIntoPlacements,
		fates: fates(
			one(completes(apprenticeship(riversideTrust, "Healthcare support worker apprentice", "nhs", 31, "yes"))),
			one(completes(apprenticeship(careHome, "Adult care worker apprentice", "social_care", 38, ""))),
			one(completes(job(riversideTrust, "Housekeeper", "nhs", "EMP1", 24, "yes"))),
			one(completes(college(fe, "T Level in Health", "EDU4", 178))),
			one(completes(training(fe, traineeship, "nhs", "EDU1", 21))),
			one(completes(volunteering(foodbank, "Warehouse volunteer", "other", 7))),
			one(completes(lookingForWork)),
			one(completes(notKnown)),
			one(completes(nil).overridden(needOverAge, "Care leaver: the Prince's Trust agreed a place above the upper age limit")),
			one(withdraws(domain.Active, 8, "Did not return after the first week and could not be contacted", nil)),
		),
	},
	{
		key: "gi-ng-aug", programme: getInto, org: northgate, name: "Get Into Healthcare — August 2026",
		starts: day(2026, 8, 10), ends: day(2026, 9, 18), capacity: 12, status: "running", placement: getIntoPlacements,
		fates: fates(
			repeat(9, stays(domain.Active)),
			one(withdraws(domain.Enrolled, -3, "Chose a college course starting in September", college(fe, "Level 2 Diploma in Care", "EDU4", 31))),
		),
	},
	{
		key: "gs-ng-jun", programme: getStarted, org: northgate, name: "Get Started with the NHS — June 2026",
		starts: day(2026, 6, 16), ends: day(2026, 6, 18), capacity: 12, status: "finished",
		fates: fates(
			one(completes(job(northgateTrust, "Domestic assistant", "nhs", "EMP1", 25, ""))),
			one(completes(job(northgateTrust, "Domestic assistant", "nhs", "EMP1", 25, ""))),
			repeat(3, completes(nil)),
			one(completes(job(northgateTrust, "Health records clerk", "nhs", "EMP2", 32, ""))),
			repeat(4, completes(nil)),
			one(withdraws(domain.Enrolled, -1, "Did not attend", nil)),
		),
	},
	{
		key: "gs-rs-sep", programme: getStarted, org: riverside, name: "Get Started with the NHS — September 2026",
		starts: day(2026, 8, 31), ends: day(2026, 9, 2), capacity: 12, status: "running",
		fates: repeat(8, stays(domain.Active)),
	},
	{
		key: "pm-mv-2026", programme: professionalMentoring, org: collaboration, name: "Professional online mentoring — 2026",
		starts: day(2026, 4, 6), ends: day(2026, 9, 30), capacity: 10, status: "running",
		fates: fates(
			repeat(3, stays(domain.Active)),
			one(withdraws(domain.Active, 70, "Stopped engaging with their mentor", nil)),
			one(stays(domain.Active)),
			one(completes(job(riversideTrust, "Ward clerk", "nhs", "EMP1", 4, "")).on(144)),
		),
	},
	{
		key: "wrl-ng-insight", programme: workRelatedLearning, org: northgate, name: "Careers in health insight days — summer 2026",
		starts: day(2026, 5, 11), ends: day(2026, 7, 17), capacity: 30, status: "finished",
		placement: &placementStyle{kind: "work_related_learning", days: 1, stagger: 7, hours: []float64{7.5},
			areas: []area{theatres, radiology, maintenance, therapies, learning}},
		fates: repeat(12, completes(nil)),
	},
	{
		key: "siw-ng-jan", programme: stepIntoWork, org: northgate, name: "Step into Work — January 2026",
		starts: day(2026, 1, 12), ends: day(2026, 3, 20), capacity: 15, status: "finished", placement: stepIntoWorkPlacements,
		fates: fates(
			one(completes(job(northgateTrust, "Domestic assistant", "nhs", "EMP1", 17, "yes"))),
			one(completes(apprenticeship(northgateTrust, "Healthcare support worker apprentice", "nhs", 24, "yes"))),
			one(completes(job(careHome, "Care assistant", "social_care", "EMP1", 31, "no"))),
			one(completes(volunteering(northgateVols, "Ward volunteer", "nhs", 10))),
			one(completes(training(adultLearning, "Care Certificate (part time)", "social_care", "EDU5", 14))),
			repeat(2, completes(lookingForWork)),
			one(completes(notKnown)),
			one(completes(nil)),
			one(withdraws(domain.Active, 9, "Caring responsibilities: could no longer attend", notLooking)),
			one(withdraws(domain.Active, 30, "Health: advised by their GP to stop", notLooking)),
			one(withdraws(domain.Referred, -14, notClaimingNote, nil).needs(needNotClaiming)),
		),
	},
	{
		key: "siw-rs-mar", programme: stepIntoWork, org: riverside, name: "Step into Work — March 2026",
		starts: day(2026, 3, 2), ends: day(2026, 4, 24), capacity: 15, status: "finished", placement: stepIntoWorkPlacements,
		fates: fates(
			one(completes(job(riversideTrust, "Catering assistant", "nhs", "EMP1", 17, "yes"))),
			one(completes(job(homeCare, "Home care worker", "social_care", "EMP1", 24, ""))),
			one(completes(apprenticeship(riversideTrust, "Business administration apprentice", "nhs", 38, ""))),
			one(completes(college(fe, "Access to Higher Education Diploma (Health Professions)", "EDU4", 136))),
			one(completes(lookingForWork).overridden(needNotClaiming,
				"Benefit status not recorded here; the Jobcentre Plus referral confirms a Universal Credit claim")),
			one(completes(lookingForWork)),
			one(completes(notKnown)),
			one(completes(nil)),
			one(completes(lookingForWork)),
			one(withdraws(domain.Active, 10, "Found temporary work elsewhere", job(depot, "Warehouse operative", "other", "EMP1", 3, ""))),
		),
	},
	{
		key: "siw-mv-apr", programme: stepIntoWork, org: collaboration, name: "Step into Work — April 2026 (Mersey Valley)",
		starts: day(2026, 4, 13), ends: day(2026, 6, 19), capacity: 15, status: "finished", placement: stepIntoWorkPlacements,
		fates: fates(
			one(completes(job(northgateTrust, "Porter", "nhs", "EMP1", 17, ""))),
			one(completes(job(riversideTrust, "Receptionist", "nhs", "EMP2", 24, ""))),
			one(completes(apprenticeship(northgateTrust, "Estates maintenance apprentice", "nhs", 73, ""))),
			one(completes(training(fe, traineeship, "nhs", "EDU1", 80))),
			one(completes(volunteering(riversideVols, "Community volunteer driver", "nhs", 14))),
			repeat(3, completes(lookingForWork)),
			one(completes(notLooking)),
			repeat(2, completes(lookingForWork)),
			repeat(2, completes(notKnown)),
			one(completes(nil)),
			one(withdraws(domain.Active, 12, "Moved out of the area", notKnown)),
		),
	},
	{
		key: "siw-ng-aug", programme: stepIntoWork, org: northgate, name: "Step into Work — August 2026",
		starts: day(2026, 8, 3), ends: day(2026, 10, 9), capacity: 15, status: "running", placement: stepIntoWorkPlacements,
		fates: fates(
			repeat(9, stays(domain.Active)),
			one(withdraws(domain.Active, 10, "Started full-time work", job(contractor, "Cleaning operative", "other", "EMP1", 4, ""))),
		),
	},
	{
		key: "siw-mv-jan27", programme: stepIntoWork, org: collaboration, name: "Step into Work — January 2027 (Mersey Valley)",
		starts: day(2027, 1, 11), ends: day(2027, 3, 19), capacity: 15, status: "planned", lead: 147, placement: stepIntoWorkPlacements,
		fates: fates(
			repeat(4, stays(domain.Referred)),
			one(stays(domain.Enrolled)),
			one(stays(domain.Enrolled).overridden(needNotClaiming,
				"Universal Credit stopped during a temporary contract that ends before the cohort starts; the work coach supports the referral")),
			one(withdraws(domain.Referred, -140, notClaimingNote, nil).needs(needNotClaiming)),
		),
	},
}

// mentorPlan is a professional online mentor at the collaboration.
type mentorPlan struct {
	given, family, email string
	trained              time.Time
}

var professionalMentors = []mentorPlan{
	{"Helen", "Marsden", "helen.marsden@example.org", day(2026, 2, 20)},
	{"Tunde", "Adeyemi", "tunde.adeyemi@example.org", day(2026, 2, 20)},
	{"Fiona", "Gallagher", "fiona.gallagher@example.com", day(2026, 3, 13)},
}

// peerMentor is the Street Doctors participant who trains as a peer mentor.
var peerMentor = struct {
	cohort  string
	fate    int
	trained time.Time
}{"sd-ng-spring", 0, day(2026, 6, 27)}

// matchPlan is a mentor matched to the participant of a cohort's place.
type matchPlan struct {
	mentor     int // index into professionalMentors; -1 for the peer mentor
	cohort     string
	fate       int
	starts     time.Time
	plannedEnd time.Time
	status     string // on the reference date: active, completed, ended_early
	ended      time.Time
	reason     string
	every      int // days between check-ins, from the first on the start day
	mode       string
	minutes    int
}

var matchPlans = []matchPlan{
	{mentor: 0, cohort: "pm-mv-2026", fate: 0, starts: day(2026, 4, 13), plannedEnd: day(2026, 9, 30), status: "active", every: 28, mode: "video", minutes: 45},
	{mentor: 0, cohort: "pm-mv-2026", fate: 1, starts: day(2026, 4, 15), plannedEnd: day(2026, 9, 30), status: "active", every: 28, mode: "phone", minutes: 30},
	{mentor: 1, cohort: "pm-mv-2026", fate: 2, starts: day(2026, 4, 14), plannedEnd: day(2026, 9, 30), status: "active", every: 21, mode: "online", minutes: 40},
	{mentor: 1, cohort: "pm-mv-2026", fate: 3, starts: day(2026, 4, 14), plannedEnd: day(2026, 9, 30), status: "ended_early",
		ended: day(2026, 6, 15), reason: "Stopped replying to messages; the coordinator closed the match", every: 21, mode: "online", minutes: 40},
	{mentor: 2, cohort: "pm-mv-2026", fate: 4, starts: day(2026, 4, 20), plannedEnd: day(2026, 9, 30), status: "active", every: 28, mode: "video", minutes: 60},
	{mentor: 2, cohort: "pm-mv-2026", fate: 5, starts: day(2026, 4, 20), plannedEnd: day(2026, 9, 30), status: "completed",
		ended: day(2026, 8, 28), every: 28, mode: "video", minutes: 60},
	{mentor: -1, cohort: "gi-ng-aug", fate: 0, starts: day(2026, 8, 13), plannedEnd: day(2026, 12, 18), status: "active", every: 7, mode: "in_person", minutes: 45},
}

// vacancyPlan is a live job a Get Started cohort's participants interview for.
type vacancyPlan struct {
	org        orgRef
	employer   string
	ownTrust   bool // the employer is the organisation itself
	role, band string
	closing    time.Time
	status     string // on the reference date: open, closed, filled
	interviews []interviewPlan
}

type interviewPlan struct {
	cohort string
	fate   int
	held   time.Time
	result string
}

func interviews(cohort string, held time.Time, results map[int]string) []interviewPlan {
	var out []interviewPlan
	for f := range 20 {
		if r, ok := results[f]; ok {
			out = append(out, interviewPlan{cohort, f, held, r})
		}
	}
	return out
}

var vacancyPlans = []vacancyPlan{
	{org: northgate, employer: "Northgate Teaching Hospitals — Estates and Facilities", ownTrust: true, role: "Domestic assistant",
		band: "Band 2", closing: day(2026, 6, 26), status: "filled",
		interviews: interviews("gs-ng-jun", day(2026, 6, 18), map[int]string{0: "offered", 1: "offered", 2: "not_offered", 3: "not_offered", 4: "not_offered"})},
	{org: northgate, employer: "Northgate Teaching Hospitals — Health Records", ownTrust: true, role: "Health records clerk",
		band: "Band 2", closing: day(2026, 6, 26), status: "filled",
		interviews: interviews("gs-ng-jun", day(2026, 6, 18), map[int]string{5: "offered", 6: "not_offered", 7: "not_offered"})},
	{org: riverside, employer: "Riverside Community Health — Facilities (Catering)", ownTrust: true, role: "Catering assistant",
		band: "Band 2", closing: day(2026, 9, 11), status: "open",
		interviews: interviews("gs-rs-sep", day(2026, 9, 2), map[int]string{0: "pending", 1: "pending", 2: "pending", 3: "pending"})},
	{org: riverside, employer: careHome, role: "Care assistant", closing: day(2026, 9, 18), status: "open",
		interviews: interviews("gs-rs-sep", day(2026, 9, 2), map[int]string{4: "pending", 5: "pending", 6: "pending"})},
}
