package main

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/internal/seed"
)

// exampleFile is a demo file of examples/ with Northgate's organisation id filled in, as the
// README's tour does with sed: the demo seed gives organisations new ids in each database.
func exampleFile(t *testing.T, name, org string) string {
	t.Helper()
	data, err := os.ReadFile("examples/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "NORTHGATE_ORG_ID") {
		t.Fatalf("examples/%s names no NORTHGATE_ORG_ID for the tour to fill in", name)
	}
	return strings.ReplaceAll(string(data), "NORTHGATE_ORG_ID", org)
}

// The README's tour imports the demo files into a freshly seeded demo database; this is that
// tour, with the outcome the README shows.
func TestExampleFilesOnTheDemoData(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	env.StartJobs(t)
	s := env.Services
	demo, err := seed.Demo(context.Background(), seed.Services{Organisations: s.Organisations, Participants: s.Participants})
	if err != nil {
		t.Fatal(err)
	}
	_, email := env.MustCreateUser(t, demo.TrustIDs[0], domain.RoleCoordinator) // coordinator@northgate.example.org in make run
	c := newCLI(t, env)
	c.login(email)

	// ORG=$(bin/p4wctl list organisations --filter ods_code=RZ1 | jq -r '.[0].id')
	orgs := ids(t, c.want(exitOK, "", "list", "organisations", "--filter", "ods_code=RZ1").stdout)
	if len(orgs) != 1 || orgs[0] != demo.TrustIDs[0].String() {
		t.Fatalf("organisations of ods_code RZ1: %v, want Northgate's %s", orgs, demo.TrustIDs[0])
	}
	org := orgs[0]
	before := env.MustQueryInt(t, `SELECT count(*) FROM participants WHERE organisation_id = $1`, org)

	good := exampleFile(t, "participants.csv", org)
	r := c.want(exitOK, good, "import", "participants", "-", "--wait")
	t.Logf("participants.csv:\n%s", r)
	if !strings.Contains(r.stdout, "succeeded: 12 rows read, 12 created, 0 updated, 0 unchanged, 0 failed\n") {
		t.Errorf("examples/participants.csv on the demo data:\n%s", r)
	}
	r = c.want(exitOK, good, "import", "participants", "-", "--mode", "upsert", "--wait")
	t.Logf("participants.csv again, upsert:\n%s", r)
	if !strings.Contains(r.stdout, "succeeded: 12 rows read, 0 created, 0 updated, 12 unchanged, 0 failed\n") {
		t.Errorf("examples/participants.csv again in upsert mode:\n%s", r)
	}

	bad := exampleFile(t, "participants-with-errors.csv", org)
	r = c.want(exitRefused, bad, "import", "participants", "-", "--dry-run", "--wait")
	t.Logf("participants-with-errors.csv, dry run:\n%s", r)
	r = c.want(exitRefused, bad, "import", "participants", "-", "--wait")
	t.Logf("participants-with-errors.csv:\n%s", r)
	for _, want := range []string{
		"succeeded: 6 rows read, 3 created, 0 updated, 0 unchanged, 3 failed\n",
		"row 3, column date_of_birth: must be a date written YYYY-MM-DD",
		"row 4, column benefit_status: must be one of",
		"row 6, column external_ref: ",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("examples/participants-with-errors.csv: no %q in\n%s", want, r)
		}
	}
	if !strings.Contains(r.stderr, "p4wctl: 3 rows refused\n") {
		t.Errorf("examples/participants-with-errors.csv: %s", r)
	}
	if after := env.MustQueryInt(t, `SELECT count(*) FROM participants WHERE organisation_id = $1`, org); after-before != 15 {
		t.Errorf("%d participants added, want 12 and the 3 good rows of the file with errors", after-before)
	}
}
