package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
)

// Placements, outcomes and mentoring matches are imported a row at a time through the
// single-record API's use cases. These tests import each kind by natural keys, import the
// same file again (nothing changes), change rows (only those change), export and import the
// export (nothing changes), and refuse rows naming another trust's records as missing ones.

// submitKind posts a file of kind and waits for its job to end.
func submitKind(t *testing.T, env *apitest.Env, token, kind, query, file string) api.ImportJob {
	t.Helper()
	res := env.Do(t, http.MethodPost, "/v1/imports?kind="+kind+"&"+query, token, file, "Content-Type", "text/csv")
	apitest.WantStatus(t, res, http.StatusAccepted)
	var job api.ImportJob
	res.Decode(t, &job)
	if string(job.Kind) != kind {
		t.Errorf("the job's kind is %q, want %s", job.Kind, kind)
	}
	return waitImport(t, env, token, job.Id.String())
}

// recordsWorld is a trust with n participants (external_ref REC-0...) enrolled in a cohort,
// a professional mentor, and a second trust with a cohort and participant of its own.
type recordsWorld struct {
	env                     *apitest.Env
	token, otherToken       string
	trust, other            uuid.UUID
	cohort, mentor          string
	otherCohort, otherEnrol string
	otherParticipant        string
}

const recordsN = 6

func newRecordsWorld(t *testing.T) recordsWorld {
	t.Helper()
	env := apitest.New(t)
	env.StartJobs(t)
	w := recordsWorld{env: env}
	w.trust = env.Organisation(t, domain.KindTrust, "Northgate").ID
	w.other = env.Organisation(t, domain.KindTrust, "Southmoor").ID
	w.token = env.User(t, w.trust, domain.RoleCoordinator)
	w.otherToken = env.User(t, w.other, domain.RoleCoordinator)
	wantCounts(t, "the participants", submitImport(t, env, w.token, "mode=create", participantsCSV(w.trust.String(), recordsN, "REC")), recordsN, 0, 0, 0)
	w.cohort = mustCreateCohort(t, env, w.token, w.trust, stepIntoWorkProgramme, cohortStarts, cohortEnds, 50).ID
	var b strings.Builder
	b.WriteString(enrolmentsHeader)
	for i := range recordsN {
		fmt.Fprintf(&b, "%s,,REC-%d,enrolled,\r\n", w.cohort, i)
	}
	wantCounts(t, "the enrolments", submitEnrolments(t, env, w.token, "mode=create", b.String()), recordsN, 0, 0, 0)
	w.mentor = mustCreateMentor(t, env, w.token, w.trust, "professional", "Ade", "Mensah").ID

	w.otherCohort = mustCreateCohort(t, env, w.otherToken, w.other, stepIntoWorkProgramme, cohortStarts, cohortEnds, 5).ID
	w.otherParticipant = participantWithRef(t, env, w.otherToken, w.other, "REC-0", "2001-04-05", "universal_credit")
	w.otherEnrol = mustEnrol(t, env, w.otherToken, w.otherCohort, w.otherParticipant, "status", "enrolled").ID
	return w
}

// sumVersions is the sum of the versions of table's rows of the trust, and their count.
func (w recordsWorld) sumVersions(t *testing.T, table string) (int, int) {
	t.Helper()
	q := `SELECT coalesce(sum(version), 0) FROM ` + table + ` WHERE organisation_id = $1`
	return w.env.MustQueryInt(t, q, w.trust), w.env.MustQueryInt(t, `SELECT count(*) FROM `+table+` WHERE organisation_id = $1`, w.trust)
}

// roundTrip imports the same file again, then the list's export, in upsert mode: every row
// unchanged, no version moved, no audit event of the kind written.
func (w recordsWorld) roundTrip(t *testing.T, kind, table, action, file, list string) {
	t.Helper()
	versions, n := w.sumVersions(t, table)
	events := w.env.MustQueryInt(t, `SELECT count(*) FROM audit_events WHERE action LIKE $1`, action+".%")
	wantCounts(t, "the same file again", submitKind(t, w.env, w.token, kind, "mode=upsert", file), 0, 0, int64(strings.Count(file, "\n")-1), 0)
	res := w.env.Do(t, http.MethodGet, list, w.token, "", "Accept", "text/csv")
	apitest.WantStatus(t, res, http.StatusOK)
	if rows := strings.Count(string(res.Body), "\n") - 1; rows != n {
		t.Fatalf("the export holds %d rows, want the %d recorded", rows, n)
	}
	job := submitKind(t, w.env, w.token, kind, "mode=upsert", string(res.Body))
	if job.Failed != 0 {
		t.Errorf("the export imported again: %v", importErrors(t, w.env, w.token, job))
	}
	wantCounts(t, "the export imported again", job, 0, 0, int64(n), 0)
	if got, _ := w.sumVersions(t, table); got != versions {
		t.Errorf("re-importing moved versions: %d, was %d", got, versions)
	}
	if got := w.env.MustQueryInt(t, `SELECT count(*) FROM audit_events WHERE action LIKE $1`, action+".%"); got != events {
		t.Errorf("%d %s audit events after re-importing, was %d", got, action, events)
	}
}

func TestImportPlacements(t *testing.T) {
	t.Parallel()
	w := newRecordsWorld(t)
	const header = "cohort_id,participant_external_ref,kind,host_department,site,role_area,starts_on,ends_on,hours_per_week,status\r\n"
	var b strings.Builder
	b.WriteString(header)
	for i := range recordsN {
		fmt.Fprintf(&b, "%s,REC-%d,placement,Pharmacy,St Mary's,clinical_support,2027-01-11,2027-01-29,22.5,planned\r\n", w.cohort, i)
	}
	file := b.String()
	job := submitKind(t, w.env, w.token, "placements", "mode=create", file)
	if job.Failed > 0 {
		t.Errorf("refused: %v", importErrors(t, w.env, w.token, job))
	}
	wantCounts(t, "the placements", job, recordsN, 0, 0, 0)
	if got := w.env.MustQueryInt(t, `SELECT count(*) FROM placements WHERE cohort_id = $1 AND host_department = 'Pharmacy' AND hours_per_week = 22.5`, w.cohort); got != recordsN {
		t.Errorf("%d placements as the file has them, want %d", got, recordsN)
	}
	if got := w.env.MustQueryInt(t, `SELECT count(*) FROM audit_events WHERE action = 'placement.create' AND organisation_id = $1`, w.trust); got != recordsN {
		t.Errorf("%d placement.create audit events, want one a row", got)
	}
	w.roundTrip(t, "placements", "placements", "placement", file, "/v1/placements?cohort_id="+w.cohort)

	// A changed row changes its placement, found by (enrolment, kind, starts_on); in create
	// mode the same row is refused as already recorded.
	changed := header + fmt.Sprintf("%s,REC-1,placement,Pharmacy,St Mary's,clinical_support,2027-01-11,2027-02-05,30,in_progress\r\n", w.cohort)
	wantCounts(t, "a changed row in create mode", submitKind(t, w.env, w.token, "placements", "mode=create", changed), 0, 0, 0, 1)
	wantCounts(t, "a changed row", submitKind(t, w.env, w.token, "placements", "mode=upsert", changed), 0, 1, 0, 0)
	if got := w.env.MustQueryInt(t, `SELECT count(*) FROM placements p JOIN participants x ON x.id = p.participant_id
		WHERE x.external_ref = 'REC-1' AND p.ends_on = '2027-02-05' AND p.hours_per_week = 30 AND p.status = 'in_progress' AND p.version = 2`); got != 1 {
		t.Errorf("the changed row's placement was not changed as the row says")
	}

	// Another trust's cohort, enrolment or placement is refused as a missing one; in update
	// mode a row naming no placement is refused.
	bad := header +
		fmt.Sprintf("%s,REC-0,placement,Pharmacy,,clinical_support,2027-01-11,2027-01-29,,\r\n", w.otherCohort) +
		fmt.Sprintf("%s,REC-0,placement,Pharmacy,,clinical_support,2027-01-11,2027-01-29,,\r\n", uuid.NewString()) +
		fmt.Sprintf("%s,REC-2,work_experience,Estates,,estates,2027-01-12,2027-01-13,,\r\n", w.cohort)
	job = submitKind(t, w.env, w.token, "placements", "mode=update", bad)
	wantCounts(t, "rows naming another trust's cohort, a missing one, and no placement", job, 0, 0, 0, 3)
	errs := importErrors(t, w.env, w.token, job)
	if errs[2].Column != "cohort_id" || errs[2].Message != errs[3].Message || errs[3].Column != "cohort_id" {
		t.Errorf("another trust's cohort is told apart from a missing one: %+v and %+v", errs[2], errs[3])
	}
	if errs[4].Column != "starts_on" || !strings.Contains(errs[4].Message, "names no placement") {
		t.Errorf("a row naming no placement in update mode: %+v", errs[4])
	}
	byID := "enrolment_id,kind,host_department,role_area,starts_on,ends_on\r\n" +
		fmt.Sprintf("%s,placement,Pharmacy,clinical_support,2027-01-11,2027-01-29\r\n", w.otherEnrol)
	job = submitKind(t, w.env, w.token, "placements", "mode=upsert", byID)
	if e := importErrors(t, w.env, w.token, job)[2]; e.Column != "enrolment_id" || !strings.Contains(e.Message, "not an enrolment within your reach") {
		t.Errorf("another trust's enrolment: %+v", e)
	}
	if got := w.env.MustQueryInt(t, `SELECT count(*) FROM placements WHERE organisation_id = $1`, w.other); got != 0 {
		t.Errorf("%d placements written for the other trust", got)
	}
}

func TestImportOutcomes(t *testing.T) {
	t.Parallel()
	w := newRecordsWorld(t)
	const header = "participant_external_ref,destination,sector,employer,role,starts_on,ilr_code,sustained_3_months_result,sustained_3_months_checked_on\r\n"
	var b strings.Builder
	b.WriteString(header)
	for i := range recordsN {
		fmt.Fprintf(&b, "REC-%d,employment,nhs,Northgate NHS Trust,Healthcare assistant,2027-03-01,EMP1,,\r\n", i)
	}
	b.WriteString("REC-0,volunteering,,,,2027-03-02,VOL1,,\r\n") // a second outcome of one participant
	file := b.String()
	wantCounts(t, "the outcomes", submitKind(t, w.env, w.token, "outcomes", "mode=create", file), recordsN+1, 0, 0, 0)
	w.roundTrip(t, "outcomes", "outcomes", "outcome", file, "/v1/outcomes")

	// A sustainment check recorded by file: the row finds its outcome by (participant,
	// destination, starts_on) and only the check changes.
	check := header + "REC-3,employment,nhs,Northgate NHS Trust,Healthcare assistant,2027-03-01,EMP1,yes,2027-06-02\r\n"
	wantCounts(t, "a sustainment check", submitKind(t, w.env, w.token, "outcomes", "mode=update", check), 0, 1, 0, 0)
	if got := w.env.MustQueryInt(t, `SELECT count(*) FROM outcomes o JOIN participants p ON p.id = o.participant_id
		WHERE p.external_ref = 'REC-3' AND o.sustained_3m = 'yes' AND o.version = 2`); got != 1 {
		t.Errorf("the sustainment check was not recorded on REC-3's outcome")
	}
	if got := w.env.MustQueryInt(t, `SELECT count(*) FROM audit_events WHERE action = 'outcome.update' AND organisation_id = $1
		AND fields = '["sustained_3_months"]'::jsonb`, w.trust); got != 1 {
		t.Errorf("the update's audit event does not name the check alone")
	}

	// A wrong ILR code is refused by the domain's rule, naming the column; another trust's
	// participant, by id, is refused as a missing one.
	bad := header + "REC-4,employment,,,,2027-04-01,VOL1,,\r\n"
	job := submitKind(t, w.env, w.token, "outcomes", "mode=upsert", bad)
	if e := importErrors(t, w.env, w.token, job)[2]; e.Column != "ilr_code" {
		t.Errorf("a wrong ILR code: %+v", e)
	}
	other := "participant_id,destination,ilr_code\r\n" + w.otherParticipant + ",employment,EMP1\r\n" + uuid.NewString() + ",employment,EMP1\r\n"
	job = submitKind(t, w.env, w.token, "outcomes", "mode=upsert", other)
	errs := importErrors(t, w.env, w.token, job)
	if errs[2].Column != "participant_id" || errs[2].Message != errs[3].Message {
		t.Errorf("another trust's participant is told apart from a missing one: %+v and %+v", errs[2], errs[3])
	}
	if got := w.env.MustQueryInt(t, `SELECT count(*) FROM outcomes WHERE organisation_id = $1`, w.other); got != 0 {
		t.Errorf("%d outcomes written for the other trust", got)
	}
}

func TestImportMentoringMatches(t *testing.T) {
	t.Parallel()
	w := newRecordsWorld(t)
	const header = "mentor_id,participant_external_ref,cohort_id,starts_on,planned_end_on,status,ended_on,end_reason\r\n"
	var b strings.Builder
	b.WriteString(header)
	for i := range recordsN - 1 {
		fmt.Fprintf(&b, "%s,REC-%d,%s,2027-01-11,2027-06-30,,,\r\n", w.mentor, i, w.cohort)
	}
	// A match that has already ended: created active, as POST does, then ended.
	fmt.Fprintf(&b, "%s,REC-%d,,2027-01-11,2027-06-30,ended_early,2027-02-01,Moved away\r\n", w.mentor, recordsN-1)
	file := b.String()
	wantCounts(t, "the matches", submitKind(t, w.env, w.token, "mentoring-matches", "mode=create", file), recordsN, 0, 0, 0)
	if got := w.env.MustQueryInt(t, `SELECT count(*) FROM mentoring_matches WHERE status = 'ended_early' AND end_reason = 'Moved away' AND ended_on = '2027-02-01'`); got != 1 {
		t.Errorf("the ended match was not recorded as ended")
	}
	if got := w.env.MustQueryInt(t, `SELECT count(*) FROM mentoring_matches WHERE enrolment_id IS NOT NULL AND organisation_id = $1`, w.trust); got != recordsN-1 {
		t.Errorf("%d matches follow an enrolment, want the %d rows naming a cohort", got, recordsN-1)
	}
	w.roundTrip(t, "mentoring-matches", "mentoring_matches", "mentoring_match", file, "/v1/mentoring-matches")

	// Two rows naming one match are refused from the second; a professional mentor's match
	// planned over six months is refused by the domain's rule; an out-of-reach mentor as a
	// missing one.
	dup := header +
		fmt.Sprintf("%s,REC-0,,2027-03-01,2027-05-01,,,\r\n", w.mentor) +
		fmt.Sprintf("%s,REC-0,,2027-03-01,2027-05-02,,,\r\n", w.mentor) +
		fmt.Sprintf("%s,REC-1,,2027-03-01,2027-12-01,,,\r\n", w.mentor) +
		fmt.Sprintf("%s,REC-1,,2027-03-01,2027-05-01,,,\r\n", mustCreateMentor(t, w.env, w.otherToken, w.other, "professional", "Jo", "Bell").ID)
	job := submitKind(t, w.env, w.token, "mentoring-matches", "mode=create", dup)
	wantCounts(t, "a duplicate, a long plan and another trust's mentor", job, 1, 0, 0, 3)
	errs := importErrors(t, w.env, w.token, job)
	if !strings.Contains(errs[3].Message, "row 2") || errs[4].Column != "planned_end_on" || errs[5].Column != "mentor_id" {
		t.Errorf("refusals: %+v", errs)
	}
}
