package httpapi_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/pgtest"
	"github.com/p4w-nhs/p4w/internal/tabular"
)

// exportRows asks path for CSV, checks the answer's headers and header row, and reads the
// rows back through the import's reader.
func exportRows(t *testing.T, env *apitest.Env, path, token string, kind *tabular.Kind) []tabular.Row {
	t.Helper()
	res := env.Do(t, http.MethodGet, path, token, "", "Accept", "text/csv")
	apitest.WantStatus(t, res, http.StatusOK)
	if ct := res.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("GET %s: Content-Type %q", path, ct)
	}
	if cd, want := res.Header.Get("Content-Disposition"), `attachment; filename="`+kind.Name+`.csv"`; cd != want {
		t.Errorf("GET %s: Content-Disposition %q, want %q", path, cd, want)
	}
	if first, _, _ := bytes.Cut(res.Body, []byte("\r\n")); string(first) != strings.Join(kind.Header(), ",") {
		t.Errorf("GET %s: header row %q, want the import's columns %q", path, first, kind.Header())
	}
	r, err := tabular.NewReader(bytes.NewReader(res.Body), tabular.CSV, kind)
	if err != nil {
		t.Fatalf("GET %s: the import's reader refuses the export: %v", path, err)
	}
	var rows []tabular.Row
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			return rows
		}
		if err != nil {
			t.Fatalf("GET %s: the import's reader refuses a row: %v", path, err)
		}
		rows = append(rows, row)
	}
}

func cellsOf(kind *tabular.Kind, rows []tabular.Row, column string) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.Get(kind, column)
	}
	return out
}

type idDoc struct {
	ID string `json:"id"`
}

func (d idDoc) docID() string { return d.ID }

// wantSameRecords checks that the CSV of path lists exactly the records its JSON list does,
// in the same order.
func wantSameRecords(t *testing.T, env *apitest.Env, path, token string, kind *tabular.Kind) []tabular.Row {
	t.Helper()
	rows := exportRows(t, env, path, token, kind)
	want := docIDs(apitest.AllPages[idDoc](t, env, path, token, 50))
	if got := cellsOf(kind, rows, "id"); !slices.Equal(got, want) {
		t.Errorf("GET %s as CSV: ids %v, want the JSON list's %v", path, got, want)
	}
	return rows
}

func TestExportsAnswerCSVOnlyWhenAsked(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	w := newTrustWorld(t, env, "Fellside NHS Trust")
	w.participant(t)
	for accept, csv := range map[string]bool{"": false, "application/json": false, "*/*": false, "text/csv": true,
		"application/json;q=0.5, text/csv": true, "text/csv;q=0.5, application/json": false, "text/csv, */*;q=0.1": true} {
		res := env.Do(t, http.MethodGet, "/v1/participants", w.token, "", "Accept", accept)
		apitest.WantStatus(t, res, http.StatusOK)
		if got := strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv"); got != csv {
			t.Errorf("Accept %q: Content-Type %q", accept, res.Header.Get("Content-Type"))
		}
	}
	// An error before the first row is problem+json, as for JSON: a bad filter, say.
	res := env.Do(t, http.MethodGet, "/v1/participants?cursor=nope", w.token, "", "Accept", "text/csv")
	apitest.WantProblem(t, res, http.StatusBadRequest, "cursor")
}

func TestExportParticipantsNeutralisesFormulasAndHonoursFiltersAndTenancy(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	w := newTrustWorld(t, env, "Northgate NHS Trust")
	other := newTrustWorld(t, env, "Southgate NHS Trust")
	names := []string{`=HYPERLINK("x")`, "@SUM(1)", "-1+2", "+44", "'=already quoted", "O'Neil, \"Jo\"\nline two"}
	ids := map[string]string{}
	for i, name := range names {
		ids[name] = w.mustID(t, "/v1/participants", apitest.ParticipantBody(t, w.trust.ID, "external_ref", "NTH-"+string(rune('A'+i)),
			"given_name", name, "family_name", "-Rowe", "consent", map[string]any{"processing": true}))
	}
	erased := w.participant(t)
	env.MustDelete(t, "/v1/participants/"+erased, w.token)
	foreign := other.participant(t)

	res := env.Do(t, http.MethodGet, "/v1/participants", w.token, "", "Accept", "text/csv")
	for _, line := range strings.Split(string(res.Body), "\r\n") {
		for _, cell := range strings.Split(line, ",") {
			if cell != "" && strings.ContainsAny(cell[:1], "=+-@\t") {
				t.Errorf("a cell begins with a formula character: %q", cell)
			}
		}
	}
	p := tabular.Participants
	rows := wantSameRecords(t, env, "/v1/participants", w.token, p)
	byID := map[string]tabular.Row{}
	for _, r := range rows {
		byID[r.Get(p, "id")] = r
	}
	for _, name := range names {
		r, ok := byID[ids[name]]
		if !ok {
			t.Fatalf("%q is not exported", name)
		}
		if got := r.Get(p, "given_name"); got != name {
			t.Errorf("given_name %q reads back as %q", name, got)
		}
		if r.Get(p, "family_name") != "-Rowe" || r.Get(p, "organisation_id") != w.trust.ID.String() ||
			r.Get(p, "consent_processing") != "true" || r.Get(p, "erased") != "false" {
			t.Errorf("row of %q: %q", name, r.Cells)
		}
	}
	gone := byID[erased]
	for _, c := range []string{"external_ref", "given_name", "family_name", "date_of_birth", "email", "phone", "postcode"} {
		if gone.Get(p, c) != "" {
			t.Errorf("an erased participant exports %s %q", c, gone.Get(p, c))
		}
	}
	if gone.Get(p, "erased") != "true" {
		t.Errorf("the erased participant's row says erased %q", gone.Get(p, "erased"))
	}
	if _, ok := byID[foreign]; ok {
		t.Errorf("another trust's participant is exported")
	}
	// Filters as the JSON list has them; and the other trust exports only its own.
	wantSameRecords(t, env, "/v1/participants?external_ref=NTH-B", w.token, p)
	wantSameRecords(t, env, "/v1/participants?erased=true", w.token, p)
	if got := cellsOf(p, exportRows(t, env, "/v1/participants?external_ref=NTH-B", w.token, p), "given_name"); !slices.Equal(got, []string{"@SUM(1)"}) {
		t.Errorf("external_ref=NTH-B exports %q", got)
	}
	if got := cellsOf(p, exportRows(t, env, "/v1/participants", other.token, p), "id"); !slices.Equal(got, []string{foreign}) {
		t.Errorf("the other trust exports %v, want only its own participant", got)
	}
}

func TestExportEveryKindAsItsListWithinReach(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	w := newTrustWorld(t, env, "Harbourside NHS Trust")
	other := newTrustWorld(t, env, "Hillside NHS Trust")
	var foreign []string
	for i, world := range []trustWorld{w, other} {
		participant, _, enrolment := world.enrolled(t)
		second, cohort, _ := world.enrolled(t)
		world.mustPlacement(t, placementBody(t, enrolment, "supervisor_name", "=cmd|' /C calc'!A0", "hours_per_week", 22.5))
		world.mustOutcome(t, outcomeBody(t, participant, "enrolment_id", enrolment, "employer", "@Employer", "starts_on", "2027-03-01"))
		world.mustOutcome(t, outcomeBody(t, second, "destination", "none", "ilr_code", "NPE1"))
		mentor := world.mustID(t, "/v1/mentors", apitest.JSON(t, "organisation_id", world.trust.ID.String(), "kind", "professional",
			"given_name", "Grace", "family_name", "Achebe"))
		world.mustID(t, "/v1/mentoring-matches", matchBody(t, mentor, participant, enrolment, "2027-01-15", "2027-04-15"))
		if i == 1 {
			foreign = append(foreign, participant, second, cohort)
		}
	}
	for _, k := range []struct {
		path, filter string
		kind         *tabular.Kind
	}{
		{"/v1/enrolments", "status=enrolled", tabular.Enrolments},
		{"/v1/placements", "kind=placement", tabular.Placements},
		{"/v1/outcomes", "positive=true", tabular.Outcomes},
		{"/v1/mentoring-matches", "status=active", tabular.MentoringMatches},
	} {
		all := wantSameRecords(t, env, k.path, w.token, k.kind)
		filtered := wantSameRecords(t, env, k.path+"?"+k.filter, w.token, k.kind)
		if len(all) == 0 || len(filtered) == 0 {
			t.Errorf("%s: %d rows, %d filtered by %s", k.path, len(all), len(filtered), k.filter)
		}
		for _, r := range all {
			for _, c := range []string{"participant_id", "cohort_id"} {
				if k.kind.Column(c) >= 0 && slices.Contains(foreign, r.Get(k.kind, c)) {
					t.Errorf("%s exports another trust's record: %q", k.path, r.Cells)
				}
			}
		}
	}
	outcomes := exportRows(t, env, "/v1/outcomes?positive=true", w.token, tabular.Outcomes)
	if got := outcomes[0].Get(tabular.Outcomes, "employer"); got != "@Employer" {
		t.Errorf("employer reads back as %q", got)
	}
	placements := exportRows(t, env, "/v1/placements", w.token, tabular.Placements)
	if got := placements[0].Get(tabular.Placements, "supervisor_name"); got != "=cmd|' /C calc'!A0" {
		t.Errorf("supervisor_name reads back as %q", got)
	}
	if got := placements[0].Get(tabular.Placements, "hours_per_week"); got != "22.5" {
		t.Errorf("hours_per_week %q", got)
	}
}

func TestExportStreamsPastOnePage(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	w := newTrustWorld(t, env, "Riverside NHS Trust")
	const n = 1100 // more than two of the export's pages of 500
	if _, err := env.DB.SQL().Exec(`
		INSERT INTO participants (id, organisation_id, external_ref, given_name, family_name, date_of_birth, benefit_status)
		SELECT gen_random_uuid(), $1, 'RIV-' || i, 'Given' || i, 'Family', date '1990-01-01', 'unknown'
		FROM generate_series(1, $2) AS i`, w.trust.ID, n); err != nil {
		t.Fatal(err)
	}
	p := tabular.Participants
	rows := wantSameRecords(t, env, "/v1/participants", w.token, p) // the JSON list's order: (updated_at, id)
	if len(rows) != n {
		t.Fatalf("%d rows, want %d", len(rows), n)
	}
	seen := map[string]bool{}
	for _, r := range rows {
		if seen[r.Get(p, "id")] {
			t.Fatalf("%s exported twice", r.Get(p, "id"))
		}
		seen[r.Get(p, "id")] = true
	}
}

func TestExportColumnsAreInTheContract(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	_, admin := env.NationalAdmin(t)
	spec := string(env.Do(t, http.MethodGet, "/openapi.yaml", admin, "").Body)
	for _, name := range tabular.KindNames() {
		if cols := "in this order: `" + strings.Join(tabular.Kinds[name].Header(), ", ") + "`"; !strings.Contains(spec, cols) {
			t.Errorf("openapi.yaml does not list the columns of %s: %s", name, cols)
		}
	}
}

// An export takes as long as its file is large and its client slow: it is bounded page by
// page, not by the request deadline. Here a client reading slowly keeps a 30,000-row export
// going for well over the request timeout (300 ms), and still gets every row.
func TestExportOutlastsTheRequestTimeout(t *testing.T) {
	t.Parallel()
	// The trust and its coordinator's token come from a p4w with the usual bounds: a sign-in
	// hashes a password (Argon2id), which a loaded machine cannot always do in 300 ms. The
	// export is asked of a second p4w on the same database and signing key, with 300 ms.
	usual := apitest.Config(t, pgtest.NewURL(t))
	w := newTrustWorld(t, apitest.NewOn(t, usual, io.Discard), "Riverside NHS Trust")
	cfg := usual
	cfg.RequestTimeout = 300 * time.Millisecond
	env := apitest.NewOn(t, cfg, io.Discard)
	const n = 30_000
	if _, err := env.DB.SQL().Exec(`
		INSERT INTO participants (id, organisation_id, external_ref, given_name, family_name, date_of_birth, benefit_status)
		SELECT gen_random_uuid(), $1, 'SLOW-' || i, 'Given' || i, 'Family', date '1990-01-01', 'unknown'
		FROM generate_series(1, $2) AS i`, w.trust.ID, n); err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodGet, env.URL+"/v1/participants", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+w.token)
	req.Header.Set("Accept", "text/csv")
	start := time.Now()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	var body bytes.Buffer
	chunk := make([]byte, 64<<10)
	for {
		k, err := res.Body.Read(chunk)
		body.Write(chunk[:k])
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the export broke off after %d bytes and %s: %v", body.Len(), time.Since(start), err)
		}
		time.Sleep(10 * time.Millisecond) // a slow client
	}
	if took := time.Since(start); took < 3*cfg.RequestTimeout {
		t.Fatalf("the export took %s, not long enough past the request timeout to show anything", took)
	}
	if rows := strings.Count(body.String(), "\n") - 1; rows != n {
		t.Errorf("%d rows exported, want %d", rows, n)
	}
}
