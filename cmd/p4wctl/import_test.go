package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/p4w-nhs/p4w/internal/apitest"
)

const participantsHeader = "organisation_id,external_ref,given_name,family_name,date_of_birth,postcode,benefit_status,consent_processing\n"

// participantsFile writes a CSV file of n participants of org and returns its path.
func participantsFile(t *testing.T, org, prefix string, n int, extra ...string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(participantsHeader)
	for i := range n {
		fmt.Fprintf(&b, "%s,%s-%03d,Sam,Okafor,2001-04-05,l1 8jq,universal_credit,true\n", org, prefix, i)
	}
	for _, row := range extra {
		b.WriteString(row + "\n")
	}
	path := filepath.Join(t.TempDir(), prefix+".csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

var jobLine = regexp.MustCompile(`(?m)^import ([0-9a-f-]{36}) of participants from .*: (http://\S+/v1/imports/([0-9a-f-]{36}))$`)

// jobID is the id of the job an import printed.
func jobID(t *testing.T, r result) string {
	t.Helper()
	m := jobLine.FindStringSubmatch(r.stdout)
	if m == nil || m[1] != m[3] {
		t.Fatalf("no job id and URL printed:\n%s", r)
	}
	return m[1]
}

func TestImportCommand(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	env.StartJobs(t)
	tr := newTrust(t, env, "Northgate Teaching Hospitals", 0)
	org := tr.org.ID.String()
	c := newCLI(t, env)
	c.login(tr.email)
	stored := func() int {
		return env.MustQueryInt(t, `SELECT count(*) FROM participants WHERE organisation_id = $1`, tr.org.ID)
	}
	file := participantsFile(t, org, "GOOD", 24)

	// A dry run counts what would happen and writes nothing.
	r := c.want(exitOK, "", "import", "participants", file, "--dry-run", "--wait")
	if !strings.Contains(r.stdout, "succeeded: 24 rows read, 24 created, 0 updated, 0 unchanged, 0 failed (dry run") {
		t.Errorf("dry run: want its counts, marked a dry run:\n%s", r)
	}
	if n := stored(); n != 0 {
		t.Fatalf("a dry run stored %d participants", n)
	}

	// The file imports; stderr, not a terminal, has plain progress lines.
	r = c.want(exitOK, "", "import", "participants", file, "--wait")
	jobID(t, r)
	if !strings.Contains(r.stdout, "succeeded: 24 rows read, 24 created, 0 updated, 0 unchanged, 0 failed\n") {
		t.Errorf("import: want the summary's counts:\n%s", r)
	}
	if !strings.Contains(r.stderr, "succeeded: rows 24 created 24 updated 0 unchanged 0 failed 0\n") {
		t.Errorf("import: want plain progress lines on stderr, the last with the counts:\n%s", r.stderr)
	}
	if n := stored(); n != 24 {
		t.Fatalf("%d participants stored, want 24", n)
	}

	// Again in upsert mode, from standard input: nothing changes, and it says so.
	data, _ := os.ReadFile(file)
	r = c.want(exitOK, string(data), "import", "participants", "-", "--mode", "upsert", "--wait")
	if !strings.Contains(r.stdout, "succeeded: 24 rows read, 0 created, 0 updated, 24 unchanged, 0 failed") || !strings.Contains(r.stdout, "from standard input") {
		t.Errorf("re-import in upsert mode: want 24 unchanged:\n%s", r)
	}

	// Again in create mode: every row is refused, as its external_ref is taken.
	r = c.want(exitRefused, "", "import", "participants", file, "--wait")
	if !strings.Contains(r.stdout, "... and 4 more; p4wctl import errors ") || strings.Count(r.stdout, "\nrow ") != 20 ||
		!strings.Contains(r.stdout, "row 2, column external_ref: ") || !strings.Contains(r.stderr, "p4wctl: 24 rows refused\n") {
		t.Errorf("create of taken refs: want the first 20 errors, the rest counted, exit 1:\n%s", r)
	}

	// Without --wait: the job's id and URL, exit 0.
	r = c.want(exitOK, "", "import", "participants", participantsFile(t, org, "LATER", 1))
	if id := jobID(t, r); !strings.Contains(r.stderr, "p4wctl import errors "+id) {
		t.Errorf("import without --wait: %s", r)
	}
}

func TestImportCommandRowErrors(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	env.StartJobs(t)
	tr := newTrust(t, env, "Northgate Teaching Hospitals", 0)
	org := tr.org.ID.String()
	c := newCLI(t, env)
	c.login(tr.email)
	stored := func() int {
		return env.MustQueryInt(t, `SELECT count(*) FROM participants WHERE organisation_id = $1`, tr.org.ID)
	}
	file := participantsFile(t, org, "MIX", 3,
		org+",BAD-1,Sam,Okafor,05/04/2001,,universal_credit,true", // row 5
		org+",BAD-2,Sam,Okafor,2001-04-05,,wealthy,true")          // row 6

	// Atomic: the job fails, nothing is written.
	r := c.want(exitRefused, "", "import", "participants", file, "--atomic", "--wait")
	if !strings.Contains(r.stdout, "row 5, column date_of_birth: must be a date") || !strings.Contains(r.stderr, "wrote nothing") {
		t.Errorf("atomic with refused rows: %s", r)
	}
	if n := stored(); n != 0 {
		t.Fatalf("an atomic import with refused rows stored %d participants", n)
	}

	// Per row: the good rows land, the bad are named by row and column, exit 1.
	r = c.want(exitRefused, "", "import", "participants", file, "--wait")
	id := jobID(t, r)
	if !strings.Contains(r.stdout, "succeeded: 5 rows read, 3 created, 0 updated, 0 unchanged, 2 failed\n") ||
		!strings.Contains(r.stdout, "row 5, column date_of_birth: must be a date written YYYY-MM-DD") ||
		!strings.Contains(r.stdout, "row 6, column benefit_status: ") || strings.Contains(r.stdout, "more;") ||
		!strings.Contains(r.stderr, "p4wctl: 2 rows refused\n") {
		t.Errorf("per row with refused rows: %s", r)
	}
	if n := stored(); n != 3 {
		t.Errorf("%d participants stored, want the 3 good rows", n)
	}

	// import errors: every error, as JSON, CSV or a table.
	var list []struct {
		Row    int    `json:"row"`
		Column string `json:"column"`
	}
	out := c.want(exitOK, "", "import", "errors", id, "-o", "json").stdout
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 2 || list[0].Row != 5 || list[1].Column != "benefit_status" {
		t.Errorf("import errors -o json: %v\n%s", err, out)
	}
	csv := c.want(exitOK, "", "import", "errors", id, "-o", "csv").stdout
	if !strings.HasPrefix(csv, "row,column,message\n5,date_of_birth,") || strings.Count(csv, "\n") != 3 {
		t.Errorf("import errors -o csv:\n%s", csv)
	}
	table := c.want(exitOK, "", "import", "errors", id, "-o", "table").stdout
	if !strings.HasPrefix(table, "ROW") || !strings.Contains(table, "benefit_status") {
		t.Errorf("import errors -o table:\n%s", table)
	}
}

func TestImportCommandUsage(t *testing.T) {
	t.Parallel()
	c := newCLI(t, nil)
	c.vars["P4W_SERVER"], c.vars["P4W_TOKEN"] = "http://127.0.0.1:1", "a-token" // never reached
	file := participantsFile(t, "x", "U", 1)
	for _, args := range [][]string{
		{"import"},
		{"import", "participants"},
		{"import", "cohorts", file},
		{"import", "participants", file, "--mode", "replace"},
		{"import", "participants", filepath.Join(t.TempDir(), "missing.csv")},
		{"import", "errors"},
		{"import", "errors", "42"},
		{"import", "errors", "01900000-0000-7000-8000-000000000001", "-o", "yaml"},
	} {
		if r := c.run("", args...); r.code != exitUsage || r.stdout != "" {
			t.Errorf("p4wctl %s: want exit 2, got %s", strings.Join(args, " "), r)
		}
	}
	if r := newCLI(t, nil).want(exitAuth, "", "import", "participants", file); !strings.Contains(r.stderr, "p4wctl login") {
		t.Errorf("import, not signed in: %s", r)
	}
}
