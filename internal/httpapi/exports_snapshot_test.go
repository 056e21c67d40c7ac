package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/app"
	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/internal/pgtest"
	"github.com/p4w-nhs/p4w/internal/tabular"
)

// seedParticipants inserts n participants of org, external_ref prefix-1 to prefix-n, with
// updated_at one second apart so that they list in that order. The 2nd to the padded-th are
// each 20 kB in CSV (five cells of 4,000 characters, the most the import's reader takes), so
// that the first page is large (see openExport). It returns their ids, first first.
func seedParticipants(t *testing.T, env *apitest.Env, org, prefix string, n, padded int) []string {
	t.Helper()
	rows, err := env.DB.SQL().Query(`
		INSERT INTO participants (id, organisation_id, external_ref, given_name, family_name, date_of_birth,
			email, phone, postcode, updated_at)
		SELECT gen_random_uuid(), $1, $2 || '-' || i, 'Given' || i || pad, 'Family' || pad, date '1990-01-01',
			NULLIF(pad, ''), NULLIF(pad, ''), NULLIF(pad, ''), timestamptz '2026-01-01' + i * interval '1 second'
		FROM generate_series(1, $3) AS i,
			LATERAL (SELECT CASE WHEN i BETWEEN 2 AND $4 THEN repeat('x', 4000) ELSE '' END AS pad) AS p
		RETURNING id`, org, prefix, n, padded)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return ids
}

// openExport starts downloading path as CSV and reads only its header row and first record,
// leaving the server stuck writing the first page: the first page (500 records, most of 20 kB:
// 10 MB) is larger than everything between the handler and this reader can hold (the server's
// socket buffer, at most tcp_wmem's 4 MB by default on Linux, and this client's, made small),
// so the server cannot have read the second page yet. What the test changes now is changed between the
// export's first page and the rest, whatever the timing. The caller reads the rest.
func openExport(t *testing.T, env *apitest.Env, path, token string) (*http.Response, *bufio.Reader, []byte) {
	t.Helper()
	if b, err := os.ReadFile("/proc/sys/net/ipv4/tcp_wmem"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 3 {
			if most, _ := strconv.Atoi(f[2]); most > 8<<20 {
				t.Skipf("a socket may buffer %d bytes here (tcp_wmem): the whole first page, so the server could read on", most)
			}
		}
	}
	dialer := &net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var err error
		if cerr := c.Control(func(fd uintptr) {
			err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 16<<10)
		}); cerr != nil {
			return cerr
		}
		return err
	}}
	transport := &http.Transport{DialContext: dialer.DialContext, DisableCompression: true, ReadBufferSize: 4 << 10}
	t.Cleanup(transport.CloseIdleConnections)
	client := &http.Client{Transport: transport, Timeout: 60 * time.Second}
	res, err := client.Do(apitest.NewRequest(t, http.MethodGet, env.URL+path, token, "", "Accept", "text/csv"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s as CSV: %d", path, res.StatusCode)
	}
	body := bufio.NewReaderSize(res.Body, 64<<10)
	var start []byte
	for range 2 { // the header row, then the first record
		line, err := body.ReadBytes('\n')
		if err != nil {
			t.Fatalf("GET %s as CSV: %v after %q", path, err, start)
		}
		start = append(start, line...)
	}
	return res, body, start
}

// readExport reads the rest of an export opened with openExport, and returns its records by
// id, failing the test when a record is written twice.
func readExport(t *testing.T, body *bufio.Reader, start []byte, kind *tabular.Kind) (map[string]tabular.Row, []string) {
	t.Helper()
	rest, err := io.ReadAll(body)
	if err != nil {
		t.Fatalf("the export broke off: %v", err)
	}
	r, err := tabular.NewReader(bytes.NewReader(append(start, rest...)), tabular.CSV, kind)
	if err != nil {
		t.Fatal(err)
	}
	byID, order := map[string]tabular.Row{}, []string(nil)
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			return byID, order
		}
		if err != nil {
			t.Fatal(err)
		}
		id := row.Get(kind, "id")
		if _, twice := byID[id]; twice {
			t.Errorf("record %s is exported twice: first %q, then %q", id, byID[id].Cells, row.Cells)
		}
		byID[id] = row
		order = append(order, id)
	}
}

// An export is the selection as it stood when it began, however its records change while it
// streams: here a record already written on the first page is changed (which moves it to the
// end of the list, by its updated_at), one further on is erased (which moves it too, and
// empties it), and one is created, all through the API between the export's first page and
// its second. Read page by page in separate transactions, the export wrote the first twice,
// the second erased, and the new one; in one snapshot, it writes each as it was, once, and
// not the new one. The writes do not wait for the export: it holds no lock they need.
func TestExportIsOneSnapshotWhileRecordsChange(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	w := newTrustWorld(t, env, "Eastfield NHS Trust")
	const n = 1200 // three pages of the export's 500
	ids := seedParticipants(t, env, w.trust.ID.String(), "EAST", n, 500)
	changed, erased := ids[0], ids[999]
	p := tabular.Participants

	_, body, start := openExport(t, env, "/v1/participants", w.token)
	apitest.WantStatus(t, env.Patch(t, "/v1/participants/"+changed, w.token, apitest.JSON(t, "given_name", "Changed")), http.StatusOK)
	env.MustDelete(t, "/v1/participants/"+erased, w.token)
	created := w.participant(t)
	rows, order := readExport(t, body, start, p)

	if len(order) != n {
		t.Errorf("%d records exported, want the %d there were when the export began", len(order), n)
	}
	for i, id := range order {
		if i < len(ids) && id != ids[i] {
			t.Errorf("record %d of the export is %s, want %s: not the order the export began in", i+1, id, ids[i])
			break
		}
	}
	if got := rows[changed].Get(p, "given_name"); got != "Given1" {
		t.Errorf("the record changed after its page was written exports given_name %q, want the first page's %q", got, "Given1")
	}
	if got := rows[erased]; got.Get(p, "erased") != "false" || got.Get(p, "given_name") != "Given1000" {
		t.Errorf("the record erased before its page was read exports %q, want it as it was when the export began", got.Cells)
	}
	if _, ok := rows[created]; ok {
		t.Error("a record created after the export began is exported")
	}
	// The changes themselves were made: a new export has them.
	after := exportRows(t, env, "/v1/participants", w.token, p)
	if len(after) != n+1 {
		t.Errorf("a second export has %d records, want %d", len(after), n+1)
	}
}

// With a read replica, an export reads every page from it, in one snapshot there too; with the
// replica down it reads them from the primary. Replay is paused after the first 600 records
// are replayed: a record of the second page then changed on the primary, and one created, show
// which database each page came from.
func TestExportReadsFromTheReadReplica(t *testing.T) {
	t.Parallel()
	primary, standby := pgtest.NewPrimaryAndStandby(t)
	cfg := apitest.Config(t, primary.URL())
	cfg.ReadDatabaseURL = standby.URL()
	cfg.DBConnectTimeout, cfg.DBAcquireTimeout = time.Second, time.Second
	env := apitest.NewOn(t, cfg, io.Discard)
	replica, err := app.OpenReadDB(context.Background(), cfg, env.DB, app.PoolOptions(cfg, nil))
	if err != nil || replica == nil {
		t.Fatalf("open the read replica: %v, %v", replica, err)
	}
	t.Cleanup(func() { replica.Close() })
	w := newTrustWorld(t, env, "Westfield NHS Trust")
	other := newTrustWorld(t, env, "Northfield NHS Trust")
	const n = 600
	ids := seedParticipants(t, env, w.trust.ID.String(), "WEST", n, 0)
	foreign := other.participant(t)
	standby.WaitReplayed(primary)
	standby.PauseReplay()

	onPage2 := ids[550]
	if _, err := env.DB.SQL().Exec(`UPDATE participants SET given_name = 'Primary' WHERE id = $1`, onPage2); err != nil {
		t.Fatal(err)
	}
	created := w.participant(t)
	p := tabular.Participants
	rows := exportRows(t, env, "/v1/participants", w.token, p)
	byID := map[string]tabular.Row{}
	for _, r := range rows {
		byID[r.Get(p, "id")] = r
	}
	if len(rows) != n {
		t.Errorf("%d records exported, want the %d the paused replica has", len(rows), n)
	}
	if got := byID[onPage2].Get(p, "given_name"); got != "Given551" {
		t.Errorf("a record of the second page exports given_name %q, want the replica's %q: that page came from the primary", got, "Given551")
	}
	if _, ok := byID[created]; ok {
		t.Error("a record created after replay paused is exported: the export read the primary")
	}
	if _, ok := byID[foreign]; ok {
		t.Error("another trust's participant is exported from the replica")
	}

	standby.Stop()
	rows = exportRows(t, env, "/v1/participants", w.token, p)
	byID = map[string]tabular.Row{}
	for _, r := range rows {
		byID[r.Get(p, "id")] = r
	}
	if _, ok := byID[created]; len(rows) != n+1 || !ok || byID[onPage2].Get(p, "given_name") != "Primary" {
		t.Errorf("with the replica stopped, the export has %d records (want %d, from the primary)", len(rows), n+1)
	}
}

// Read in its snapshot, an export still answers as its caller may see: an HR system's client
// gets nothing personal of a participant who has not agreed to sharing with HR, and a client
// without participants:read is refused with problem+json before any file begins.
func TestExportInItsSnapshotKeepsConsentAndScopes(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Ashby NHS Trust")
	admin := env.User(t, trust.ID, domain.RoleOrgAdmin)
	agreed, refused := newPerson("Ada", "Okafor", "LS1 1AA", "1990-02-03"), newPerson("Ben", "Price", "LS2 2BB", "1991-03-04")
	agreedID, refusedID := agreed.mustRecord(t, env, admin, trust.ID, true), refused.mustRecord(t, env, admin, trust.ID, false)

	_, hr := clientFor(t, env, admin, trust.ID, "", domain.ScopeParticipantsRead)
	res := env.Do(t, http.MethodGet, "/v1/participants", hr, "", "Accept", "text/csv")
	apitest.WantStatus(t, res, http.StatusOK)
	for _, v := range refused.values() {
		if strings.Contains(string(res.Body), v) {
			t.Errorf("the HR client's export shows %q of a participant who did not agree to sharing with HR", v)
		}
	}
	p := tabular.Participants
	byID := map[string]tabular.Row{}
	for _, r := range exportRows(t, env, "/v1/participants", hr, p) {
		byID[r.Get(p, "id")] = r
	}
	if r := byID[agreedID]; r.Get(p, "given_name") != agreed.given || r.Get(p, "postcode") != agreed.postcode {
		t.Errorf("the HR client's export of a participant who agreed: %q", r.Cells)
	}
	if r, ok := byID[refusedID]; !ok || r.Get(p, "given_name") != "" || r.Get(p, "consent_hr_sharing") != "false" {
		t.Errorf("the HR client's export of a participant who did not agree: %q (listed: %v), want the row without personal data", r.Cells, ok)
	}

	_, catalogue := clientFor(t, env, admin, trust.ID, "", domain.ScopeOrganisationsRead)
	res = env.Do(t, http.MethodGet, "/v1/participants", catalogue, "", "Accept", "text/csv")
	apitest.WantProblem(t, res, http.StatusForbidden, "")
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Errorf("a refused export answers Content-Type %q", ct)
	}
}

// BenchmarkExportParticipants exports 10,000 participants (20 pages) as CSV through the HTTP
// API, all pages in one snapshot, and reports records a second.
func BenchmarkExportParticipants(b *testing.B) {
	env := apitest.New(b)
	trust := env.Organisation(b, domain.KindTrust, "Benchfield NHS Trust")
	token := env.User(b, trust.ID, domain.RoleCoordinator)
	const n = 10_000
	if _, err := env.DB.SQL().Exec(`
		INSERT INTO participants (id, organisation_id, external_ref, given_name, family_name, date_of_birth, email, postcode)
		SELECT gen_random_uuid(), $1, 'BEN-' || i, 'Given' || i, 'Family', date '1990-01-01', 'p' || i || '@example.org', 'LS1 1AA'
		FROM generate_series(1, $2) AS i`, trust.ID, n); err != nil {
		b.Fatal(err)
	}
	client := &http.Client{Timeout: time.Minute}
	b.ResetTimer()
	for b.Loop() {
		res, err := client.Do(apitest.NewRequest(b, http.MethodGet, env.URL+"/v1/participants", token, "", "Accept", "text/csv"))
		if err != nil {
			b.Fatal(err)
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil || res.StatusCode != http.StatusOK || bytes.Count(body, []byte("\n")) != n+1 {
			b.Fatalf("export: %d, %d lines, %v", res.StatusCode, bytes.Count(body, []byte("\n")), err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
}
