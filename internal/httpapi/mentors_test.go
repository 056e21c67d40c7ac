package httpapi_test

import (
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
)

// mentorDoc is a mentor as the API sends it; a nil pointer is a JSON null.
type mentorDoc struct {
	ID             string    `json:"id"`
	OrganisationID string    `json:"organisation_id"`
	Kind           string    `json:"kind"`
	GivenName      *string   `json:"given_name"`
	FamilyName     *string   `json:"family_name"`
	Email          *string   `json:"email"`
	ParticipantID  *string   `json:"participant_id"`
	TrainedOn      *string   `json:"trained_on"`
	Active         bool      `json:"active"`
	Deleted        bool      `json:"deleted"`
	UpdatedAt      time.Time `json:"updated_at"`
	Version        int64     `json:"version"`
}

// listedRow is what every listed record of these collections has.
type listedRow struct {
	ID      string `json:"id"`
	Deleted bool   `json:"deleted"`
}

func rowIDs(rows []listedRow) []string {
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	return ids
}

// wantList checks that the collection at path with query lists exactly want, in any order.
func wantList(tb testing.TB, env *apitest.Env, path, token string, query url.Values, want ...string) {
	tb.Helper()
	if got := rowIDs(apitest.FirstPage[listedRow](tb, env, path, token, query)); !apitest.SameSet(got, want) {
		tb.Errorf("GET %s?%s = %v, want %v", path, query.Encode(), got, want)
	}
}

// wantTombstone checks that the collection at path with query lists id, marked deleted.
func wantTombstone(tb testing.TB, env *apitest.Env, path, token string, query url.Values, id string) {
	tb.Helper()
	rows := apitest.FirstPage[listedRow](tb, env, path, token, query)
	i := slices.IndexFunc(rows, func(r listedRow) bool { return r.ID == id })
	if i < 0 {
		tb.Errorf("GET %s?%s does not list the deleted %s: %v", path, query.Encode(), id, rowIDs(rows))
		return
	}
	if !rows[i].Deleted {
		tb.Errorf("GET %s?%s lists %s with deleted: false", path, query.Encode(), id)
	}
}

func updatedSince(ts time.Time) url.Values {
	return url.Values{"updated_since": {ts.UTC().Format(time.RFC3339Nano)}}
}

// mustParticipantNamed records a participant of org with the names and date of birth given (and the
// further key, value pairs in kv), returning its id.
func mustParticipantNamed(tb testing.TB, env *apitest.Env, token string, org uuid.UUID, given, family, born string, kv ...any) string {
	tb.Helper()
	kv = append([]any{"given_name", given, "family_name", family, "date_of_birth", born}, kv...)
	return mustCreateParticipant(tb, env, token, apitest.ParticipantBody(tb, org, kv...)).ID
}

// mustCohortID plans a cohort of programme at org, returning its id.
func mustCohortID(tb testing.TB, env *apitest.Env, token string, org uuid.UUID, programme, name, starts, ends string) string {
	tb.Helper()
	type cohort struct {
		ID string `json:"id"`
	}
	return apitest.MustPost[cohort](tb, env, "/v1/cohorts", token, apitest.JSON(tb, "programme_id", programme, "organisation_id", org.String(),
		"name", name, "starts_on", starts, "ends_on", ends, "capacity", 50)).ID
}

// mustEnrolThrough refers participant to cohort on referredOn, then makes each move of steps ({to, on}),
// returning the enrolment's id.
func mustEnrolThrough(tb testing.TB, env *apitest.Env, token, cohort, participant, referredOn string, steps ...[2]string) string {
	tb.Helper()
	type enrolment struct {
		ID string `json:"id"`
	}
	id := apitest.MustPost[enrolment](tb, env, "/v1/enrolments", token, apitest.JSON(tb, "cohort_id", cohort, "participant_id", participant,
		"on", referredOn)).ID
	for _, s := range steps {
		mustMoveEnrolment(tb, env, token, id, s[0], s[1])
	}
	return id
}

// mustMoveEnrolment moves an enrolment to status to on the day given.
func mustMoveEnrolment(tb testing.TB, env *apitest.Env, token, enrolment, to, on string, kv ...any) {
	tb.Helper()
	body := apitest.JSON(tb, append([]any{"to", to, "on", on}, kv...)...)
	res := env.Do(tb, http.MethodPost, "/v1/enrolments/"+enrolment+"/transitions", token, body)
	if res.Status != http.StatusOK {
		tb.Fatalf("move enrolment %s: %d %s", body, res.Status, res.Body)
	}
}

// mustCreateMentor records a mentor of org, returning it.
func mustCreateMentor(tb testing.TB, env *apitest.Env, token string, org uuid.UUID, kind, given, family string, kv ...any) mentorDoc {
	tb.Helper()
	kv = append([]any{"organisation_id", org.String(), "kind", kind, "given_name", given, "family_name", family}, kv...)
	return apitest.MustPost[mentorDoc](tb, env, "/v1/mentors", token, apitest.JSON(tb, kv...))
}

func orNull(s *string) string {
	if s == nil {
		return "<null>"
	}
	return *s
}

func TestMentorCRUD(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Oakhurst NHS Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	org := trust.ID.String()

	priya := mustCreateMentor(t, env, token, trust.ID, "professional", "Priya", "Shah", "email", "priya.shah@example.org", "trained_on", "2026-09-01")
	if priya.Kind != "professional" || !priya.Active || priya.Deleted || priya.OrganisationID != org || priya.ParticipantID != nil ||
		orNull(priya.GivenName) != "Priya" || orNull(priya.FamilyName) != "Shah" || orNull(priya.Email) != "priya.shah@example.org" ||
		orNull(priya.TrainedOn) != "2026-09-01" || priya.Version != 1 {
		t.Errorf("created: %+v", priya)
	}
	owen := mustCreateMentor(t, env, token, trust.ID, "professional", "Owen", "Price")
	sam := mustCreateMentor(t, env, token, trust.ID, "peer", "Sam", "Okoro")
	if sam.Kind != "peer" || sam.Email != nil || sam.TrainedOn != nil || sam.ParticipantID != nil || !sam.Active {
		t.Errorf("peer mentor keyed in: %+v", sam)
	}
	if got := apitest.MustGet[mentorDoc](t, env, "/v1/mentors/"+priya.ID, token); !reflect.DeepEqual(got, priya) {
		t.Errorf("GET = %+v, want %+v", got, priya)
	}

	// A mentor made from a participant comes from POST /v1/participants/{id}/peer-mentor,
	// which checks the training; the create body cannot claim a participant, nor be born inactive.
	for _, field := range []string{"participant_id", "active", "id", "deleted"} {
		value := any(uuid.NewString())
		if field == "active" || field == "deleted" {
			value = false
		}
		res := env.Do(t, http.MethodPost, "/v1/mentors", token, apitest.JSON(t, "organisation_id", org, "kind", "peer",
			"given_name", "Sneaky", "family_name", "Claim", field, value))
		apitest.WantProblem(t, res, http.StatusBadRequest, field)
	}
	res := env.Do(t, http.MethodPost, "/v1/mentors", token, apitest.JSON(t, "organisation_id", org, "kind", "coach", "given_name", "A", "family_name", "B"))
	apitest.WantProblem(t, res, http.StatusBadRequest, "kind")
	if n := env.MustQueryInt(t, `SELECT count(*) FROM mentors`); n != 3 {
		t.Errorf("%d mentors after refused creates, want 3", n)
	}

	const path = "/v1/mentors"
	wantList(t, env, path, token, nil, priya.ID, owen.ID, sam.ID)
	wantList(t, env, path, token, url.Values{"kind": {"professional"}}, priya.ID, owen.ID)
	wantList(t, env, path, token, url.Values{"kind": {"peer"}}, sam.ID)
	wantList(t, env, path, token, url.Values{"active": {"true"}}, priya.ID, owen.ID, sam.ID)
	wantList(t, env, path, token, url.Values{"active": {"false"}})
	wantList(t, env, path, token, url.Values{"organisation_id": {org}}, priya.ID, owen.ID, sam.ID)

	// Standing a mentor down, with If-Match.
	stood := apitest.MustPatch[mentorDoc](t, env, path+"/"+priya.ID, token, `{"active":false}`, "If-Match", `"1"`)
	if stood.Active || stood.Version != 2 || orNull(stood.GivenName) != "Priya" || orNull(stood.Email) != "priya.shah@example.org" {
		t.Errorf("stood down: %+v", stood)
	}
	res = env.Patch(t, path+"/"+priya.ID, token, `{"active":true,"given_name":"Stale"}`, "If-Match", `"1"`)
	apitest.WantProblem(t, res, http.StatusPreconditionFailed, "")
	if got := apitest.MustGet[mentorDoc](t, env, path+"/"+priya.ID, token); got.Active || got.Version != 2 || orNull(got.GivenName) != "Priya" {
		t.Errorf("a stale PATCH changed the mentor: %+v", got)
	}
	wantList(t, env, path, token, url.Values{"active": {"false"}}, priya.ID)
	wantList(t, env, path, token, url.Values{"active": {"true"}}, owen.ID, sam.ID)
	wantList(t, env, path, token, url.Values{"kind": {"professional"}, "active": {"true"}}, owen.ID)
	wantList(t, env, path, token, url.Values{"kind": {"peer"}, "active": {"false"}})

	// A merge patch: null clears, absent leaves.
	cleared := apitest.MustPatch[mentorDoc](t, env, path+"/"+priya.ID, token, `{"email":null}`)
	if cleared.Email != nil || orNull(cleared.TrainedOn) != "2026-09-01" || cleared.Active || cleared.Version != 3 {
		t.Errorf("after {\"email\":null}: %+v", cleared)
	}
	res = env.Patch(t, path+"/"+priya.ID, token, `{"kind":"peer"}`)
	apitest.WantProblem(t, res, http.StatusBadRequest, "kind")

	// Deleting leaves a tombstone that syncing clients see.
	apitest.WantProblem(t, env.Do(t, http.MethodDelete, path+"/"+owen.ID, token, "", "If-Match", `"7"`), http.StatusPreconditionFailed, "")
	wantList(t, env, path, token, nil, priya.ID, owen.ID, sam.ID)
	env.MustDelete(t, path+"/"+owen.ID, token, "If-Match", `"1"`)
	env.MustDelete(t, path+"/"+owen.ID, token) // deleting twice is harmless
	wantList(t, env, path, token, nil, priya.ID, sam.ID)
	wantList(t, env, path, token, url.Values{"kind": {"professional"}}, priya.ID)
	wantTombstone(t, env, path, token, url.Values{"include_deleted": {"true"}}, owen.ID)
	wantList(t, env, path, token, url.Values{"include_deleted": {"true"}}, priya.ID, owen.ID, sam.ID)
	wantTombstone(t, env, path, token, updatedSince(owen.UpdatedAt), owen.ID)
	for _, r := range apitest.FirstPage[listedRow](t, env, path, token, url.Values{"include_deleted": {"true"}}) {
		if r.Deleted != (r.ID == owen.ID) {
			t.Errorf("mentor %s listed with deleted: %v", r.ID, r.Deleted)
		}
	}

	// A deleted mentor cannot change.
	res = env.Patch(t, path+"/"+owen.ID, token, `{"given_name":"Revived"}`)
	apitest.WantProblem(t, res, http.StatusConflict, "")
	tomb := apitest.MustGet[mentorDoc](t, env, path+"/"+owen.ID, token)
	if !tomb.Deleted {
		t.Errorf("GET of a deleted mentor: %+v", tomb)
	}
	res = env.Patch(t, path+"/"+owen.ID, token, `{"active":true}`, "If-Match", apitest.ETag(tomb.Version))
	apitest.WantProblem(t, res, http.StatusConflict, "")
	if got := apitest.MustGet[mentorDoc](t, env, path+"/"+owen.ID, token); got.Version != tomb.Version || orNull(got.GivenName) != "Owen" || !got.Deleted {
		t.Errorf("a PATCH of a deleted mentor was written: %+v", got)
	}
}

func TestPeerMentorFromParticipant(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Thamesmead Community NHS Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)

	// Values that occur nowhere else, so that any copy of them is this person's data.
	const given, family, email = "Zephyrine", "Quarmby-Ashdown", "zeph.qa@example.org"
	who := mustParticipantNamed(t, env, token, trust.ID, given, family, "2009-01-10", "email", email, "external_ref", "SD-1")
	streetDoctors := mustCohortID(t, env, token, trust.ID, streetDoctorsProgramme, "Street Doctors spring 2026", "2026-03-02", "2026-05-29")
	enrolment := mustEnrolThrough(t, env, token, streetDoctors, who, "2026-02-16", [2]string{"enrolled", "2026-03-02"}, [2]string{"active", "2026-03-02"})
	peerMentor := "/v1/participants/" + who + "/peer-mentor"

	// Training under way is not training completed.
	apitest.WantProblem(t, env.Do(t, http.MethodPost, peerMentor, token, `{}`), http.StatusUnprocessableEntity, "participant_id")
	mustMoveEnrolment(t, env, token, enrolment, "completed", "2026-05-29")

	res := env.Do(t, http.MethodPost, peerMentor, token, `{}`)
	if res.Status != http.StatusCreated {
		t.Fatalf("make a peer mentor: %d %s", res.Status, res.Body)
	}
	var m mentorDoc
	res.Decode(t, &m)
	if loc := res.Header.Get("Location"); loc != "/v1/mentors/"+m.ID {
		t.Errorf("Location %q", loc)
	}
	if res.Header.Get("ETag") != `"1"` {
		t.Errorf("ETag %q", res.Header.Get("ETag"))
	}
	if m.Kind != "peer" || orNull(m.GivenName) != given || orNull(m.FamilyName) != family || orNull(m.Email) != email ||
		orNull(m.ParticipantID) != who || orNull(m.TrainedOn) != "2026-05-29" || !m.Active || m.Deleted ||
		m.OrganisationID != trust.ID.String() {
		t.Errorf("peer mentor = %+v, want the participant's names and email, participant_id %s, trained_on 2026-05-29", m, who)
	}
	if got := apitest.MustGet[mentorDoc](t, env, "/v1/mentors/"+m.ID, token); !reflect.DeepEqual(got, m) {
		t.Errorf("GET = %+v, want %+v", got, m)
	}
	wantList(t, env, "/v1/mentors", token, url.Values{"kind": {"peer"}}, m.ID)

	// Once only.
	apitest.WantProblem(t, env.Do(t, http.MethodPost, peerMentor, token, `{}`), http.StatusConflict, "")
	apitest.WantProblem(t, env.Do(t, http.MethodPost, peerMentor, token, `{"trained_on":"2026-06-01"}`), http.StatusConflict, "")
	if n := env.MustQueryInt(t, `SELECT count(*) FROM mentors WHERE participant_id = $1`, who); n != 1 {
		t.Errorf("%d mentors of the participant, want 1", n)
	}

	// A training date given wins over the completion date.
	ines := mustParticipantNamed(t, env, token, trust.ID, "Ines", "Carvalho", "2008-11-30")
	mustEnrolThrough(t, env, token, streetDoctors, ines, "2026-02-16", [2]string{"enrolled", "2026-03-02"}, [2]string{"active", "2026-03-02"},
		[2]string{"completed", "2026-05-29"})
	res = env.Do(t, http.MethodPost, "/v1/participants/"+ines+"/peer-mentor", token, `{"trained_on":"2026-06-12"}`)
	if res.Status != http.StatusCreated {
		t.Fatalf("make a peer mentor with trained_on: %d %s", res.Status, res.Body)
	}
	var inesMentor mentorDoc
	res.Decode(t, &inesMentor)
	if orNull(inesMentor.TrainedOn) != "2026-06-12" || orNull(inesMentor.ParticipantID) != ines {
		t.Errorf("peer mentor with trained_on: %+v", inesMentor)
	}

	// Completing Work experience is not peer-mentor training; nor is leaving the mentoring cohort.
	workExperience := mustCohortID(t, env, token, trust.ID, workExperienceProgramme, "Work experience summer 2026", "2026-07-06", "2026-07-17")
	placed := mustParticipantNamed(t, env, token, trust.ID, "Bartholomew", "Ng", "2008-05-05")
	mustEnrolThrough(t, env, token, workExperience, placed, "2026-06-22", [2]string{"enrolled", "2026-07-06"}, [2]string{"active", "2026-07-06"},
		[2]string{"completed", "2026-07-17"})
	left := mustParticipantNamed(t, env, token, trust.ID, "Rosalind", "Fenwick", "2010-02-02")
	leftEnrolment := mustEnrolThrough(t, env, token, streetDoctors, left, "2026-02-16", [2]string{"enrolled", "2026-03-02"})
	mustMoveEnrolment(t, env, token, leftEnrolment, "withdrawn", "2026-03-20", "reason", "moved away")
	never := mustParticipantNamed(t, env, token, trust.ID, "Cyril", "Ambrose", "2007-07-07")
	for name, id := range map[string]string{"completed Work experience": placed, "withdrawn from Street Doctors": left, "no enrolment": never} {
		res := env.Do(t, http.MethodPost, "/v1/participants/"+id+"/peer-mentor", token, `{}`)
		if res.Status != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d %s", name, res.Status, res.Body)
			continue
		}
		apitest.WantProblem(t, res, http.StatusUnprocessableEntity, "participant_id")
	}
	apitest.WantProblem(t, env.Do(t, http.MethodPost, "/v1/participants/"+uuid.NewString()+"/peer-mentor", token, `{}`), http.StatusNotFound, "")
	if n := env.MustQueryInt(t, `SELECT count(*) FROM mentors`); n != 2 {
		t.Errorf("%d mentors, want the 2 made", n)
	}

	// Erasing the participant wipes the mentor's copy too. The scan must see the data where it
	// is, or its silence afterwards proves nothing.
	needles := []string{given, family, email}
	found := personalDataIn(t, env, needles)
	for n, column := range map[string]string{given: "given_name", family: "family_name", email: "email"} {
		for _, table := range []string{"participants", "mentors"} {
			if !slices.Contains(found[n], table+"."+column) {
				t.Errorf("before erasure the scan does not find %q in %s.%s (found %v)", n, table, column, found[n])
			}
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	env.MustDelete(t, "/v1/participants/"+who, token)

	erased := apitest.MustGet[mentorDoc](t, env, "/v1/mentors/"+m.ID, token)
	if erased.GivenName != nil || erased.FamilyName != nil || erased.Email != nil || erased.Active {
		t.Errorf("the peer mentor after the participant's erasure: %+v", erased)
	}
	if erased.Version <= m.Version || !erased.UpdatedAt.After(m.UpdatedAt) {
		t.Errorf("the mentor's erasure is not a change a syncing client sees: version %d, updated_at %v", erased.Version, erased.UpdatedAt)
	}
	wantList(t, env, "/v1/mentors", token, updatedSince(inesMentor.UpdatedAt.Add(time.Microsecond)), m.ID)
	for n, places := range personalDataIn(t, env, needles) {
		t.Errorf("after erasure %q is still in %v", n, places)
	}
	// The other peer mentor is untouched.
	if got := apitest.MustGet[mentorDoc](t, env, "/v1/mentors/"+inesMentor.ID, token); orNull(got.GivenName) != "Ines" || !got.Active {
		t.Errorf("erasing one participant changed another's mentor record: %+v", got)
	}

	// An erased participant's mentor record mentors no one; an erased participant is no peer mentor.
	other := mustParticipantNamed(t, env, token, trust.ID, "Tobias", "Lindqvist", "2009-09-09")
	res = env.Do(t, http.MethodPost, "/v1/mentoring-matches", token, matchBody(t, m.ID, other, "", "2026-09-01", "2026-12-01"))
	apitest.WantProblem(t, res, http.StatusUnprocessableEntity, "mentor_id")
	res = env.Do(t, http.MethodPost, peerMentor, token, `{}`)
	if res.Status != http.StatusUnprocessableEntity && res.Status != http.StatusConflict {
		t.Errorf("peer mentor of an erased participant: %d %s", res.Status, res.Body)
	}
}

func TestMentoringTenancy(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trustA := env.Organisation(t, domain.KindTrust, "Ashdown NHS Foundation Trust")
	trustB := env.Organisation(t, domain.KindTrust, "Brookfield NHS Trust")
	tokenA := env.User(t, trustA.ID, domain.RoleCoordinator)
	tokenB := env.User(t, trustB.ID, domain.RoleCoordinator)

	pA := mustParticipantNamed(t, env, tokenA, trustA.ID, "Hidden", "Person", "2004-01-01")
	mentorA := mustCreateMentor(t, env, tokenA, trustA.ID, "professional", "Mentor", "OfA")
	matchA := apitest.MustPost[matchDoc](t, env, "/v1/mentoring-matches", tokenA, matchBody(t, mentorA.ID, pA, "", "2027-01-15", "2027-04-15"))
	res := env.Do(t, http.MethodPost, "/v1/mentoring-matches/"+matchA.ID+"/check-ins", tokenA, `{"held_on":"2027-01-20","minutes":30,"mode":"video"}`)
	if res.Status != http.StatusCreated {
		t.Fatalf("check-in: %d %s", res.Status, res.Body)
	}
	vacancyA := apitest.MustPost[vacancyDoc](t, env, "/v1/vacancies", tokenA, apitest.JSON(t, "organisation_id", trustA.ID.String(),
		"employer_name", "Ashdown Estates", "role", "Porter", "closing_on", "2027-02-01"))

	interviewA := apitest.MustPost[interviewDoc](t, env, "/v1/interviews", tokenA, apitest.JSON(t, "vacancy_id", vacancyA.ID, "participant_id", pA,
		"held_on", "2027-01-25"))

	pB := mustParticipantNamed(t, env, tokenB, trustB.ID, "Own", "Participant", "2004-02-02")
	mentorB := mustCreateMentor(t, env, tokenB, trustB.ID, "professional", "Mentor", "OfB")
	vacancyB := apitest.MustPost[vacancyDoc](t, env, "/v1/vacancies", tokenB, apitest.JSON(t, "organisation_id", trustB.ID.String(),
		"employer_name", "Brookfield Estates", "role", "Porter", "closing_on", "2027-02-01"))

	// Trust A's records and ids that do not exist look the same to trust B.
	for _, p := range []struct{ theirs, missing string }{
		{"/v1/mentors/" + mentorA.ID, "/v1/mentors/" + uuid.NewString()},
		{"/v1/mentoring-matches/" + matchA.ID, "/v1/mentoring-matches/" + uuid.NewString()},
		{"/v1/mentoring-matches/" + matchA.ID + "/check-ins", "/v1/mentoring-matches/" + uuid.NewString() + "/check-ins"},
		{"/v1/vacancies/" + vacancyA.ID, "/v1/vacancies/" + uuid.NewString()},
		{"/v1/interviews/" + interviewA.ID, "/v1/interviews/" + uuid.NewString()},
		{"/v1/participants/" + pA + "/timeline", "/v1/participants/" + uuid.NewString() + "/timeline"},
	} {
		got, want := env.Do(t, http.MethodGet, p.theirs, tokenB, ""), env.Do(t, http.MethodGet, p.missing, tokenB, "")
		if got.Status != http.StatusNotFound || want.Status != http.StatusNotFound {
			t.Errorf("GET %s as trust B: %d (a missing one: %d) %s", p.theirs, got.Status, want.Status, got.Body)
			continue
		}
		gp, wp := got.Problem(t), want.Problem(t)
		if gp.Type != wp.Type || gp.Title != wp.Title || gp.Detail != wp.Detail {
			t.Errorf("GET %s: trust A's record answers %s, a missing one %s", p.theirs, got.Body, want.Body)
		}
	}

	// Trust B matches neither trust A's mentor nor trust A's participant.
	post := func(path, body string) apitest.Response { return env.Do(t, http.MethodPost, path, tokenB, body) }
	apitest.WantProblem(t, post("/v1/mentoring-matches", matchBody(t, mentorA.ID, pB, "", "2027-02-01", "2027-03-01")), http.StatusUnprocessableEntity, "mentor_id")
	apitest.WantProblem(t, post("/v1/mentoring-matches", matchBody(t, mentorB.ID, pA, "", "2027-02-01", "2027-03-01")), http.StatusUnprocessableEntity, "participant_id")
	apitest.WantProblem(t, post("/v1/mentoring-matches", matchBody(t, mentorA.ID, pA, "", "2027-02-01", "2027-03-01")), http.StatusUnprocessableEntity, "")
	// Nor interviews trust A's participant, or for trust A's vacancy.
	apitest.WantProblem(t, post("/v1/interviews", apitest.JSON(t, "vacancy_id", vacancyA.ID, "participant_id", pB, "held_on", "2027-01-26")), http.StatusUnprocessableEntity, "vacancy_id")
	apitest.WantProblem(t, post("/v1/interviews", apitest.JSON(t, "vacancy_id", vacancyB.ID, "participant_id", pA, "held_on", "2027-01-26")), http.StatusUnprocessableEntity, "participant_id")
	// Nor records a check-in of trust A's match, nor makes a peer mentor of trust A's participant.
	apitest.WantProblem(t, post("/v1/mentoring-matches/"+matchA.ID+"/check-ins", `{"held_on":"2027-01-27","minutes":5,"mode":"phone"}`), http.StatusNotFound, "")
	apitest.WantProblem(t, post("/v1/participants/"+pA+"/peer-mentor", `{}`), http.StatusNotFound, "")
	// Nor records a mentor or a vacancy for trust A.
	apitest.WantProblem(t, post("/v1/mentors", apitest.JSON(t, "organisation_id", trustA.ID.String(), "kind", "peer", "given_name", "X", "family_name", "Y")),
		http.StatusUnprocessableEntity, "organisation_id")

	apitest.WantProblem(t, post("/v1/vacancies", apitest.JSON(t, "organisation_id", trustA.ID.String(), "employer_name", "X", "role", "Y", "closing_on", "2027-02-01")),
		http.StatusUnprocessableEntity, "organisation_id")

	for table, want := range map[string]int{"mentoring_matches": 1, "interviews": 1, "check_ins": 1, "mentors": 2, "vacancies": 2} {
		if n := env.MustQueryInt(t, `SELECT count(*) FROM `+table); n != want {
			t.Errorf("%s: %d rows, want %d", table, n, want)
		}
	}

	// Trust B's lists show none of trust A's records, whatever the filter asks for.
	for _, l := range []struct {
		path  string
		query url.Values
	}{
		{"/v1/mentors", url.Values{"include_deleted": {"true"}}},
		{"/v1/mentors", url.Values{"organisation_id": {trustA.ID.String()}}},
		{"/v1/mentoring-matches", url.Values{"participant_id": {pA}}},
		{"/v1/mentoring-matches", url.Values{"mentor_id": {mentorA.ID}}},
		{"/v1/vacancies", url.Values{"include_deleted": {"true"}}},
		{"/v1/interviews", url.Values{"vacancy_id": {vacancyA.ID}}},
		{"/v1/interviews", url.Values{"participant_id": {pA}}},
	} {
		for _, id := range rowIDs(apitest.FirstPage[listedRow](t, env, l.path, tokenB, l.query)) {
			if id == mentorA.ID || id == matchA.ID || id == vacancyA.ID || id == interviewA.ID {
				t.Errorf("trust B's GET %s?%s shows trust A's %s", l.path, l.query.Encode(), id)
			}
		}
	}
	if got := apitest.MustGet[mentorDoc](t, env, "/v1/mentors/"+mentorA.ID, tokenA); !reflect.DeepEqual(got, mentorA) {
		t.Errorf("trust A's mentor changed: %+v", got)
	}
}
