package importbench_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/pgtest"
	"github.com/p4w-nhs/p4w/pkg/client"
)

// The goals of issue 9: an import at half raw COPY's rows per second or better, and the
// server's resident memory under 200 MB throughout, whatever the file's size.
const (
	goalPercentOfCopy = 50
	goalPeakRSSMB     = 200
)

// BenchmarkImport imports a generated CSV of P4W_BENCH_ROWS participants (1,000,000 when unset)
// through the API of a p4w server running as a process of its own, then the same file again in
// upsert mode, then psql's \copy of the file into a bare table with the participants table's
// columns and indexes, and reports each one's rows per second and the server's peak resident
// memory. It is one run whatever b.N: run it with -benchtime 1x, as `make bench-import` does.
func BenchmarkImport(b *testing.B) {
	rows := benchRows(b)
	dir := b.TempDir()
	dbURL := pgtest.EmptyURL(b)
	srv := startServer(b, dir, dbURL)
	api, org := signIn(b, srv.url)

	file := filepath.Join(dir, "participants.csv")
	size, err := writeParticipants(file, org, rows)
	if err != nil {
		b.Fatal(err)
	}
	fmt.Printf("bench-import: %d participants, %.1f MB of CSV; server pid %d\n", rows, float64(size)/1e6, srv.cmd.Process.Pid)

	b.ResetTimer() // ns/op is the imports' and the \copy's time, not the build's and the file's
	mem := watchMemory(srv.cmd.Process.Pid)
	first := importFile(b, srv, dbURL, api, file, "import")
	if first.Created != int64(rows) || first.Failed != 0 {
		b.Fatalf("import: created %d, failed %d; want %d created, none failed", first.Created, first.Failed, rows)
	}
	again := importFile(b, srv, dbURL, api, file, "re-import")
	if again.Created != 0 || again.Updated != 0 || again.Unchanged != int64(rows) || again.Failed != 0 {
		b.Fatalf("re-import: created %d, updated %d, unchanged %d, failed %d; want %d unchanged and nothing else",
			again.Created, again.Updated, again.Unchanged, again.Failed, rows)
	}
	peakRSS := mem.stop()

	copied, copyCPU := copyFile(b, dbURL, file, rows)

	importRate := float64(rows) / first.took.Seconds()
	reimportRate := float64(rows) / again.took.Seconds()
	copyRate := float64(rows) / copied.Seconds()
	percent := 100 * importRate / copyRate
	peakMB := float64(peakRSS) / (1 << 20)
	b.ReportMetric(importRate, "import-rows/s")
	b.ReportMetric(reimportRate, "reimport-rows/s")
	b.ReportMetric(copyRate, "copy-rows/s")
	b.ReportMetric(percent, "import-%-of-copy")
	b.ReportMetric(peakMB, "peak-RSS-MB")
	b.ReportMetric(perRow(first.cpu.database, rows), "import-db-µs/row")
	b.ReportMetric(perRow(first.cpu.server, rows), "import-go-µs/row")
	b.ReportMetric(perRow(copyCPU, rows), "copy-db-µs/row")

	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "NOT met"
	}
	fmt.Printf(`bench-import: %d rows
  import     %8.0f rows/s  (%s: upload %s, then the job %s)
  re-import  %8.0f rows/s  (%s: upload %s, then the job %s; %d unchanged)
  psql \copy %8.0f rows/s  (%s)
  CPU per row: import %.1f µs in PostgreSQL + %.1f µs in p4w; re-import %.1f + %.1f µs; \copy %.1f µs in PostgreSQL
  import at %.0f%% of COPY (goal %d%%: %s); re-import %s the import (goal: at least as fast: %s)
  server peak RSS %.1f MB (goal under %d MB: %s; %d samples)
`,
		rows,
		importRate, first.took.Round(time.Millisecond), first.upload.Round(time.Millisecond), (first.took - first.upload).Round(time.Millisecond),
		reimportRate, again.took.Round(time.Millisecond), again.upload.Round(time.Millisecond), (again.took - again.upload).Round(time.Millisecond), again.Unchanged,
		copyRate, copied.Round(time.Millisecond),
		perRow(first.cpu.database, rows), perRow(first.cpu.server, rows), perRow(again.cpu.database, rows), perRow(again.cpu.server, rows), perRow(copyCPU, rows),
		percent, goalPercentOfCopy, verdict(percent >= goalPercentOfCopy), faster(reimportRate, importRate), verdict(reimportRate >= importRate),
		peakMB, goalPeakRSSMB, verdict(peakMB < goalPeakRSSMB), mem.samples)
}

func faster(a, b float64) string {
	return fmt.Sprintf("%.2fx", a/b)
}

// benchRows is P4W_BENCH_ROWS, or the issue's million.
func benchRows(b *testing.B) int {
	s := os.Getenv("P4W_BENCH_ROWS")
	if s == "" {
		return 1_000_000
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		b.Fatalf("P4W_BENCH_ROWS=%q: want a number of rows, 1 or more", s)
	}
	return n
}

// server is p4w serve, a process of its own.
type server struct {
	cmd *exec.Cmd
	url string
}

const (
	adminEmail    = "bench-admin@p4w.example"
	adminPassword = "correct horse battery staple bench"
)

// startServer builds ./cmd/p4w, migrates the empty database dbURL with it, creates the
// national admin and serves on a free port, stopped when b ends.
func startServer(b *testing.B, dir, dbURL string) server {
	b.Helper()
	bin := filepath.Join(dir, "p4w")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/p4w-nhs/p4w/cmd/p4w").CombinedOutput(); err != nil {
		b.Fatalf("build p4w: %v\n%s", err, out)
	}
	addr := freeAddr(b)
	env := append(os.Environ(), "DATABASE_URL="+dbURL, "P4W_DATA_DIR="+dir, "P4W_HTTP_ADDR="+addr,
		"P4W_LOG_LEVEL=warn", "P4W_MIGRATE_ON_START=false", "P4W_DRAIN_DELAY=0s", "P4W_ADMIN_PASSWORD="+adminPassword)
	for _, args := range [][]string{{"migrate", "up"}, {"admin", "bootstrap", "--email", adminEmail}} {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("p4w %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	cmd, url := apitest.ServeProcess(b, bin, env, dir)
	return server{cmd: cmd, url: url}
}

// freeAddr is a loopback address with a port nobody listens on now.
func freeAddr(b *testing.B) string {
	b.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// signIn does what a national admin does for a trust's import script: creates the trust and an
// API client of it with the scopes an import needs. It returns a client signed in as that API
// client, and the trust.
func signIn(b *testing.B, url string) (client.ClientInterface, uuid.UUID) {
	b.Helper()
	ctx := context.Background()
	anon, err := client.NewClientWithResponses(url)
	if err != nil {
		b.Fatal(err)
	}
	email, password := adminEmail, adminPassword
	tok, err := anon.IssueTokenWithFormdataBodyWithResponse(ctx, client.TokenRequest{GrantType: client.Password, Username: &email, Password: &password})
	if err != nil {
		b.Fatal(err)
	}
	if tok.JSON200 == nil {
		b.Fatalf("sign in as the national admin: %d %s", tok.StatusCode(), tok.Body)
	}
	admin, err := client.NewClientWithResponses(url, client.WithTokenSource(client.StaticToken(tok.JSON200.AccessToken)))
	if err != nil {
		b.Fatal(err)
	}
	region := client.NorthWest
	org, err := admin.CreateOrganisationWithResponse(ctx, &client.CreateOrganisationParams{},
		client.OrganisationCreate{Kind: client.Trust, Name: "Mersey Valley Teaching Hospitals NHS Foundation Trust", Region: &region})
	if err != nil {
		b.Fatal(err)
	}
	if org.JSON201 == nil {
		b.Fatalf("create the trust: %d %s", org.StatusCode(), org.Body)
	}
	purpose := client.Processing
	script, err := admin.CreateApiClientWithResponse(ctx, client.ApiClientCreate{Name: "nightly ESR import", OrganisationId: org.JSON201.Id,
		Purpose: &purpose, Scopes: []client.ClientScope{client.ParticipantsRead, client.ParticipantsWrite, client.ImportsWrite}})
	if err != nil {
		b.Fatal(err)
	}
	if script.JSON201 == nil {
		b.Fatalf("register the import script: %d %s", script.StatusCode(), script.Body)
	}
	api, err := client.NewClient(url, client.WithTokenSource(&client.ClientCredentialsSource{Server: url,
		ClientID: script.JSON201.ClientId, ClientSecret: script.JSON201.ClientSecret}))
	if err != nil {
		b.Fatal(err)
	}
	return api, org.JSON201.Id
}

// imported is an import's job as it ended, how long it took from the upload's first byte to
// the job seen ended, and how much of that the upload took; and the CPU time the server and
// its database sessions spent meanwhile.
type imported struct {
	client.ImportJob
	took, upload time.Duration
	cpu          cpuTimes
}

// cpuTimes is where an import's work went: the server process, and PostgreSQL's backends
// serving the benchmark's database. On a busy machine rows per second move with the load
// of others; CPU time per row much less, which makes it the better guide for a change.
type cpuTimes struct{ server, database time.Duration }

func (c cpuTimes) sub(d cpuTimes) cpuTimes {
	return cpuTimes{server: c.server - d.server, database: c.database - d.database}
}

// perRow is a duration per row in microseconds.
func perRow(d time.Duration, rows int) float64 { return float64(d.Microseconds()) / float64(rows) }

// measureCPU reads the CPU time the server and the backends of its database have used so far;
// a backend that has ended since is not counted, so the database's is a lower bound.
func measureCPU(b *testing.B, srv server, dbURL string) cpuTimes {
	b.Helper()
	c := cpuTimes{server: processCPU(srv.cmd.Process.Pid)}
	pids := psql(b, dbURL, `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`)
	for _, pid := range strings.Fields(pids) {
		n, _ := strconv.Atoi(pid)
		c.database += processCPU(n)
	}
	return c
}

// processCPU is the user and system time a process of this machine has used, or 0 when
// /proc does not show it (a PostgreSQL on another machine).
func processCPU(pid int) time.Duration {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// pid (comm) state ppid ...: utime and stime are fields 14 and 15, the 12th and 13th after the comm.
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	if len(fields) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / 100 // USER_HZ is 100 on Linux
}

// importFile uploads file in upsert mode (not atomic) and waits for its job to end, telling
// its progress on stderr every 10 s or so.
func importFile(b *testing.B, srv server, dbURL string, api client.ClientInterface, file, what string) imported {
	b.Helper()
	before := measureCPU(b, srv, dbURL)
	f, err := os.Open(file)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	start := time.Now()
	var uploaded time.Duration
	lastTold := start
	job, err := client.Import(context.Background(), api, f, client.ImportOptions{Kind: "participants", Mode: "upsert",
		PollInterval: 100 * time.Millisecond, MaxPollInterval: 250 * time.Millisecond,
		Progress: func(j client.ImportJob) {
			if uploaded == 0 {
				uploaded = time.Since(start)
			}
			if time.Since(lastTold) >= 10*time.Second {
				lastTold = time.Now()
				fmt.Fprintf(os.Stderr, "bench-import: %s %.0f%% (%d rows read) after %s\n", what, 100*j.Progress, j.RowsRead, time.Since(start).Round(time.Second))
			}
		}})
	took := time.Since(start)
	if err != nil {
		b.Fatalf("%s: %v", what, err)
	}
	if job.Status != client.ImportJobStatusSucceeded {
		failure, _ := job.Failure.Get()
		b.Fatalf("%s: job %s ended %s: %s", what, job.Id, job.Status, failure)
	}
	return imported{ImportJob: job, took: took, upload: uploaded, cpu: measureCPU(b, srv, dbURL).sub(before)}
}

// memoryWatch samples a process's resident memory (VmRSS) every 100 ms.
type memoryWatch struct {
	pid     int
	done    chan struct{}
	wg      sync.WaitGroup
	peak    int64 // bytes
	samples int
}

func watchMemory(pid int) *memoryWatch {
	m := &memoryWatch{pid: pid, done: make(chan struct{})}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			if rss, err := procStatus(pid, "VmRSS"); err == nil {
				m.peak, m.samples = max(m.peak, rss), m.samples+1
			}
			select {
			case <-m.done:
				return
			case <-tick.C:
			}
		}
	}()
	return m
}

// stop ends the sampling and returns the peak: the highest sample, or the kernel's own
// high-water mark (VmHWM, over the process's life) when that is higher, as it is when a peak
// fell between two samples.
func (m *memoryWatch) stop() int64 {
	close(m.done)
	m.wg.Wait()
	if hwm, err := procStatus(m.pid, "VmHWM"); err == nil {
		m.peak = max(m.peak, hwm)
	}
	return m.peak
}

// procStatus reads a field of /proc/<pid>/status given in kB, in bytes.
func procStatus(pid int, field string) (int64, error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		rest, ok := strings.CutPrefix(line, field+":")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
		return kb << 10, err
	}
	return 0, errors.New(field + " not in /proc/" + strconv.Itoa(pid) + "/status")
}

// copyFile loads file with psql's \copy into a bare table that has the participants table's
// columns, defaults, checks and indexes, and none of what p4w adds to a write (no row-level
// security, trigger, foreign key or audit). It returns how long the \copy took, and the CPU
// time of its backend.
func copyFile(b *testing.B, dbURL, file string, rows int) (time.Duration, time.Duration) {
	b.Helper()
	// p4w's ids are UUIDv7, time-ordered, so its primary key grows at one end: the bare table's
	// ids are ordered too, or random keys scattered over the index would slow COPY down.
	psql(b, dbURL, `CREATE SEQUENCE bench_copy_ids;
		CREATE TABLE bench_copy (LIKE participants INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES);
		ALTER TABLE bench_copy ALTER COLUMN id SET DEFAULT lpad(to_hex(nextval('bench_copy_ids')), 32, '0')::uuid;`)
	// One session: its backend's pid, then the \copy, timed in psql by the clock around it.
	cmd := exec.Command("psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", dbURL, "-f", "-")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	fmt.Fprintln(stdin, `SELECT pg_backend_pid();`)
	if !lines.Scan() {
		b.Fatalf("psql printed no backend pid: %v", lines.Err())
	}
	backend, _ := strconv.Atoi(strings.TrimSpace(lines.Text()))
	cpuBefore := processCPU(backend)
	start := time.Now()
	fmt.Fprintln(stdin, `\copy bench_copy (`+strings.Join(csvColumns, ", ")+`) FROM '`+file+`' WITH (FORMAT csv, HEADER true)`)
	fmt.Fprintln(stdin, `SELECT count(*) FROM bench_copy;`)
	if !lines.Scan() {
		b.Fatalf("psql: %v", lines.Err())
	}
	took := time.Since(start)
	cpu := processCPU(backend) - cpuBefore
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		b.Fatalf("psql: %v", err)
	}
	if got := strings.TrimSpace(lines.Text()); got != strconv.Itoa(rows) {
		b.Fatalf("\\copy loaded %s rows, want %d", got, rows)
	}
	return took, cpu
}

// psql runs commands with psql and returns what it printed, unaligned and trimmed.
func psql(b *testing.B, dbURL, commands string) string {
	b.Helper()
	out, err := exec.Command("psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", dbURL, "-c", commands).CombinedOutput()
	if err != nil {
		b.Fatalf("psql: %v\n%s", err, out)
	}
	return strings.TrimSpace(string(out))
}

// csvColumns are the generated file's columns: what an HR system's nightly export holds.
var csvColumns = []string{"organisation_id", "external_ref", "given_name", "family_name", "date_of_birth", "email", "phone",
	"postcode", "benefit_status", "referral_source", "consent_processing", "consent_hr_sharing", "consent_case_study"}

var (
	givenNames = []string{"Olivia", "Amelia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Freya", "Florence", "Grace", "Aisha", "Priya",
		"Zainab", "Chloe", "Niamh", "Siobhan", "Megan", "Ffion", "Noah", "Oliver", "George", "Arthur", "Muhammad", "Leo",
		"Harry", "Oscar", "Jack", "Charlie", "Jacob", "Kwame", "Tomasz", "Rhys", "Callum", "Declan", "Ravi", "Samuel", "Daniel", "Joseph"}
	familyNames = []string{"Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Robinson",
		"Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Khan", "Ahmed", "O'Brien", "Murphy",
		"Okafor", "Mensah", "Kowalski", "Nowak", "Hughes", "Edwards", "Lewis", "Clarke", "Begum", "Ali", "Singh", "Campbell",
		"Stewart", "Byrne", "Hill", "Moore", "Wood", "Harris", "Martin", "Jackson", "Clark", "Lee-Chapman", "Baker"}
	postcodes = []string{"L3 5TR", "L7 8XP", "M13 9WL", "M20 4BX", "LS1 3EX", "LS9 7TF", "S10 2JF", "NE1 4LP", "B15 2TH", "B9 5SS",
		"NG7 2UH", "LE1 5WW", "BS2 8HW", "CB2 0QQ", "OX3 9DU", "SW1A 2AA", "SE1 7EH", "E1 1BB", "N19 5NF", "EC1A 7BE",
		"PL6 8DH", "EX2 5DW", "CV2 2DX", "HU3 2JZ", "PR2 9HT"}
	benefitStatuses = []string{"universal_credit", "none", "jobseekers_allowance", "employment_and_support_allowance",
		"income_support", "other_working_age_benefit", "unknown"}
	referralSources = []string{"jobcentre_plus", "self_referral", "princes_trust", "street_doctors", "school_or_college",
		"local_authority", "voluntary_sector", "employer", "nhs_trust", "other"}
)

// writeParticipants writes a CSV of n participants of org to path, a row at a time, and
// returns its size. The same n and org give the same file: names, dates of birth (aged 18 to
// 60), emails, phone numbers of Ofcom's drama range, postcodes, benefits, referral sources and
// consents vary from row to row, and external_ref (the upsert's key) is unique.
func writeParticipants(path string, org uuid.UUID, n int) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString(strings.Join(csvColumns, ",") + "\n")
	born := time.Date(1966, 1, 1, 0, 0, 0, 0, time.UTC)
	var line []byte
	for i := range n {
		given, family := givenNames[i%len(givenNames)], familyNames[(i/len(givenNames)+3*i)%len(familyNames)]
		local := strings.ToLower(strings.NewReplacer("'", "", "-", "").Replace(given + "." + family))
		line = line[:0]
		line = append(line, org.String()...)
		line = fmt.Appendf(line, ",ESR-%08d,%s,%s,%s,%s.%d@example.org,", i+1, given, family,
			born.AddDate(0, 0, (i*7919)%15340).Format(time.DateOnly), local, i+1)
		if i%2 == 0 {
			line = fmt.Appendf(line, "07700 900%03d", i%1000)
		}
		line = fmt.Appendf(line, ",%s,%s,%s,true,%t,%t\n", postcodes[i%len(postcodes)], benefitStatuses[i%len(benefitStatuses)],
			referralSources[i%len(referralSources)], i%3 == 0, i%10 == 0)
		w.Write(line)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return 0, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return 0, err
	}
	return info.Size(), f.Close()
}
