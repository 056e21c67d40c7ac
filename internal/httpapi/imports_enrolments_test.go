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

const enrolmentsHeader = "cohort_id,participant_id,participant_external_ref,status,eligibility_override_reason\r\n"

// submitEnrolments posts a file of enrolments and waits for its job to end.
func submitEnrolments(t *testing.T, env *apitest.Env, token, query, file string) api.ImportJob {
	t.Helper()
	return submitKind(t, env, token, "enrolments", query, file)
}

// importErrors returns a job's refusals as "row column: message".
func importErrors(t *testing.T, env *apitest.Env, token string, job api.ImportJob) map[int]api.ImportError {
	t.Helper()
	out := map[int]api.ImportError{}
	for _, e := range getJSON[api.ImportErrorPage](t, env, "/v1/imports/"+job.Id.String()+"/errors?limit=100", token).Data {
		out[e.Row] = e
	}
	return out
}

// participantWithRef creates a participant of org with an external_ref, born on dob.
func participantWithRef(t *testing.T, env *apitest.Env, token string, org uuid.UUID, ref, dob, benefit string) string {
	t.Helper()
	return mustCreateParticipant(t, env, token, apitest.ParticipantBody(t, org, "external_ref", ref, "date_of_birth", dob, "benefit_status", benefit)).ID
}

// A coordinator imports a file of enrolments naming participants by their external_ref (half
// enrolled, half referred), then the same file again in upsert mode: nothing changes.
func TestImportEnrolmentsByExternalRefThenUpsertIsUnchanged(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	env.StartJobs(t)
	trust := env.Organisation(t, domain.KindTrust, "Northgate")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	const n = 20
	wantCounts(t, "the participants", submitImport(t, env, token, "mode=create", participantsCSV(trust.ID.String(), n, "ENR")), n, 0, 0, 0)
	cohort := mustCreateCohort(t, env, token, trust.ID, stepIntoWorkProgramme, cohortStarts, cohortEnds, 50)

	var b strings.Builder
	b.WriteString(enrolmentsHeader)
	for i := range n {
		status := ""
		if i%2 == 0 {
			status = "enrolled"
		}
		fmt.Fprintf(&b, "%s,,ENR-%d,%s,\r\n", cohort.ID, i, status)
	}
	file := b.String()

	job := submitEnrolments(t, env, token, "mode=create", file)
	if job.Status != api.ImportJobStatusSucceeded {
		t.Fatalf("the import: %+v, errors %v", job, importErrors(t, env, token, job))
	}
	wantCounts(t, "the enrolments", job, n, 0, 0, 0)
	for what, c := range map[string]struct {
		q    string
		want int
	}{
		"enrolled":          {`SELECT count(*) FROM enrolments WHERE cohort_id = $1 AND status = 'enrolled'`, n / 2},
		"referred":          {`SELECT count(*) FROM enrolments WHERE cohort_id = $1 AND status = 'referred'`, n / 2},
		"places taken":      {`SELECT places_taken FROM cohorts WHERE id = $1`, n / 2},
		"enrolment.create":  {`SELECT count(*) FROM audit_events WHERE action = 'enrolment.create' AND organisation_id = (SELECT organisation_id FROM cohorts WHERE id = $1)`, n},
		"ENR-3 is referred": {`SELECT count(*) FROM enrolments e JOIN participants p ON p.id = e.participant_id WHERE e.cohort_id = $1 AND p.external_ref = 'ENR-3' AND e.status = 'referred'`, 1},
	} {
		if got := env.MustQueryInt(t, c.q, cohort.ID); got != c.want {
			t.Errorf("%s: %d, want %d", what, got, c.want)
		}
	}
	versions := env.MustQueryInt(t, `SELECT sum(version) FROM enrolments WHERE cohort_id = $1`, cohort.ID)

	job = submitEnrolments(t, env, token, "mode=upsert", file)
	wantCounts(t, "the same file again", job, 0, 0, n, 0)
	if got := env.MustQueryInt(t, `SELECT sum(version) FROM enrolments WHERE cohort_id = $1`, cohort.ID); got != versions {
		t.Errorf("re-importing the same file moved versions: %d, was %d", got, versions)
	}
	if got := placesTaken(t, env, cohort.ID); got != n/2 {
		t.Errorf("re-importing the same file moved places taken to %d", got)
	}
	if got := env.MustQueryInt(t, `SELECT count(*) FROM audit_events WHERE action LIKE 'enrolment.%'`); got != n {
		t.Errorf("%d enrolment audit events after the re-import, want the %d of the first", got, n)
	}

	// The export, in the import's columns, imported again: nothing changes either.
	res := env.Do(t, http.MethodGet, "/v1/enrolments?cohort_id="+cohort.ID, token, "", "Accept", "text/csv")
	apitest.WantStatus(t, res, http.StatusOK)
	job = submitEnrolments(t, env, token, "mode=upsert", string(res.Body))
	wantCounts(t, "the export imported again", job, 0, 0, n, 0)
	if got := env.MustQueryInt(t, `SELECT sum(version) FROM enrolments WHERE cohort_id = $1`, cohort.ID); got != versions {
		t.Errorf("re-importing the export moved versions: %d, was %d", got, versions)
	}
}

// A row naming another trust's participant (by id or external_ref) or cohort is refused
// exactly as one naming a record that does not exist, naming the column; nothing of the
// other trust's is written.
func TestImportEnrolmentsRefusesAnotherTrustsRecordsAsMissing(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	env.StartJobs(t)
	trust := env.Organisation(t, domain.KindTrust, "Northgate")
	other := env.Organisation(t, domain.KindTrust, "Southgate")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	theirs := env.User(t, other.ID, domain.RoleCoordinator)
	mine := mustCreateCohort(t, env, token, trust.ID, stepIntoWorkProgramme, cohortStarts, cohortEnds, 10)
	their := mustCreateCohort(t, env, theirs, other.ID, stepIntoWorkProgramme, cohortStarts, cohortEnds, 10)
	participantWithRef(t, env, token, trust.ID, "MINE-1", "2001-04-05", "universal_credit")
	theirParticipant := participantWithRef(t, env, theirs, other.ID, "THEIRS-1", "2001-04-05", "universal_credit")
	random := uuid.Must(uuid.NewV7()).String()

	file := enrolmentsHeader +
		mine.ID + "," + theirParticipant + ",,,\r\n" + // row 2: their participant by id
		mine.ID + "," + random + ",,,\r\n" + // row 3: no such participant
		mine.ID + ",,THEIRS-1,,\r\n" + // row 4: their participant by external_ref
		mine.ID + ",,NOBODY-1,,\r\n" + // row 5: no such external_ref
		their.ID + ",,MINE-1,,\r\n" + // row 6: their cohort
		random + ",,MINE-1,,\r\n" + // row 7: no such cohort
		mine.ID + ",,MINE-1,,\r\n" // row 8: good
	job := submitEnrolments(t, env, token, "mode=create", file)
	wantCounts(t, "the file", job, 1, 0, 0, 6)
	errs := importErrors(t, env, token, job)
	for _, pair := range []struct {
		theirs, missing int
		column          string
	}{{2, 3, "participant_id"}, {4, 5, "participant_external_ref"}, {6, 7, "cohort_id"}} {
		a, b := errs[pair.theirs], errs[pair.missing]
		if a.Column != pair.column || b.Column != pair.column || a.Message != b.Message || a.Message == "" {
			t.Errorf("rows %d and %d: %+v and %+v; want the same refusal of column %s", pair.theirs, pair.missing, a, b, pair.column)
		}
	}
	if got := env.MustQueryInt(t, `SELECT count(*) FROM enrolments WHERE cohort_id = $1 OR participant_id = $2`, their.ID, theirParticipant); got != 0 {
		t.Errorf("%d enrolments of the other trust's records written", got)
	}
}

// The single-record API's rules hold row by row: an ineligible participant is refused with
// the rule's words unless the row gives an override reason; a full cohort refuses the rows
// beyond its capacity; an atomic import with a refused row writes nothing at all.
func TestImportEnrolmentsEligibilityCapacityAndAtomic(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	env.StartJobs(t)
	trust := env.Organisation(t, domain.KindTrust, "Northgate")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	participantWithRef(t, env, token, trust.ID, "YOUNG", "2009-06-01", "universal_credit") // 17 at the start
	participantWithRef(t, env, token, trust.ID, "YOUNG-2", "2009-06-01", "universal_credit")
	for i := range 3 {
		participantWithRef(t, env, token, trust.ID, fmt.Sprintf("OK-%d", i), "2001-04-05", "universal_credit")
	}
	small := mustCreateCohort(t, env, token, trust.ID, stepIntoWorkProgramme, cohortStarts, cohortEnds, 2)
	roomy := mustCreateCohort(t, env, token, trust.ID, stepIntoWorkProgramme, cohortStarts, cohortEnds, 10)

	const reason = "assessed by the coordinator"
	file := enrolmentsHeader +
		roomy.ID + ",,YOUNG,enrolled,\r\n" + // row 2: ineligible
		roomy.ID + ",,YOUNG-2,enrolled," + reason + "\r\n" + // row 3: overridden
		small.ID + ",,OK-0,enrolled,\r\n" + // rows 4 and 5 take the two places
		small.ID + ",,OK-1,enrolled,\r\n" +
		small.ID + ",,OK-2,enrolled,\r\n" // row 6: the cohort is full
	job := submitEnrolments(t, env, token, "mode=create", file)
	wantCounts(t, "the file", job, 3, 0, 0, 2)
	errs := importErrors(t, env, token, job)
	if e := errs[2]; e.Column != "participant_external_ref" || !strings.Contains(e.Message, "eligibility") || !strings.Contains(e.Message, "aged 19 or over") {
		t.Errorf("the ineligible row: %+v, want the eligibility rule on participant_external_ref", e)
	}
	if e := errs[6]; e.Column != "cohort_id" || !strings.Contains(e.Message, "full") {
		t.Errorf("the row beyond capacity: %+v, want cohort_id full", e)
	}
	if got := env.MustQueryInt(t, `SELECT count(*) FROM enrolments WHERE cohort_id = $1 AND eligibility_override_reason = $2 AND status = 'enrolled'`, roomy.ID, reason); got != 1 {
		t.Errorf("%d overridden enrolments stored with the reason, want 1", got)
	}
	if got := env.MustQueryInt(t, `SELECT count(*) FROM enrolments WHERE cohort_id = $1`, roomy.ID); got != 1 {
		t.Errorf("%d enrolments in the roomy cohort, want only the overridden one", got)
	}
	if got := placesTaken(t, env, small.ID); got != 2 {
		t.Errorf("the small cohort has %d places taken, want 2", got)
	}
	if got := placesTaken(t, env, roomy.ID); got != 1 {
		t.Errorf("the roomy cohort has %d places taken, want 1", got)
	}

	// Atomic: one row beyond the capacity of a cohort of one, and nothing is written.
	one := mustCreateCohort(t, env, token, trust.ID, stepIntoWorkProgramme, cohortStarts, cohortEnds, 1)
	events := env.MustQueryInt(t, `SELECT count(*) FROM audit_events WHERE action LIKE 'enrolment.%'`)
	atomic := enrolmentsHeader + one.ID + ",,OK-0,enrolled,\r\n" + one.ID + ",,OK-1,,\r\n" + one.ID + ",,OK-2,enrolled,\r\n"
	job = submitEnrolments(t, env, token, "mode=create&atomic=true", atomic)
	if job.Status != api.ImportJobStatusFailed {
		t.Errorf("the atomic import ended %s, want failed", job.Status)
	}
	wantCounts(t, "the atomic import", job, 0, 0, 0, 1)
	if e := importErrors(t, env, token, job)[4]; e.Column != "cohort_id" || !strings.Contains(e.Message, "full") {
		t.Errorf("the atomic import's refusal: %+v, want row 4 cohort_id full", e)
	}
	if got := env.MustQueryInt(t, `SELECT count(*) FROM enrolments WHERE cohort_id = $1`, one.ID); got != 0 {
		t.Errorf("the refused atomic import wrote %d enrolments", got)
	}
	if got := placesTaken(t, env, one.ID); got != 0 {
		t.Errorf("the refused atomic import took %d places", got)
	}
	if got := env.MustQueryInt(t, `SELECT count(*) FROM audit_events WHERE action LIKE 'enrolment.%'`); got != events {
		t.Errorf("the refused atomic import wrote %d audit events", got-events)
	}
}

// A dry run counts a cohort's capacity over the rows of the file, as the import would, though
// they are more than the import writes in one transaction.
func TestImportEnrolmentsDryRunCountsCapacityAcrossBatches(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	env.StartJobs(t)
	trust := env.Organisation(t, domain.KindTrust, "Northgate")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	const n = 120 // more than service.ImportRowBatch
	submitImport(t, env, token, "mode=create", participantsCSV(trust.ID.String(), n, "DRY"))
	cohort := mustCreateCohort(t, env, token, trust.ID, stepIntoWorkProgramme, cohortStarts, cohortEnds, n-5)
	var b strings.Builder
	b.WriteString(enrolmentsHeader)
	for i := range n {
		fmt.Fprintf(&b, "%s,,DRY-%d,enrolled,\r\n", cohort.ID, i)
	}
	dry := submitEnrolments(t, env, token, "mode=create&dry_run=true", b.String())
	wantCounts(t, "the dry run", dry, n-5, 0, 0, 5)
	if got := env.MustQueryInt(t, `SELECT count(*) FROM enrolments`) + placesTaken(t, env, cohort.ID); got != 0 {
		t.Errorf("the dry run wrote enrolments or took places (%d)", got)
	}
	job := submitEnrolments(t, env, token, "mode=create", b.String())
	wantCounts(t, "the import", job, n-5, 0, 0, 5)
	if got := placesTaken(t, env, cohort.ID); got != n-5 {
		t.Errorf("%d places taken, want %d", got, n-5)
	}
}
