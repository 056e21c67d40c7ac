package reportbench_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/pgtest"
)

// The goals of issue 10: every report's median under 200 ms, and within 1.5 times the median of
// a hand-written SQL query computing the same figures straight from PostgreSQL.
const (
	goalMedian = 200 * time.Millisecond
	goalRatio  = 1.5
)

// BenchmarkReports generates a national data set of P4W_BENCH_ENROLMENTS enrolments (1,000,000
// when unset), then asks a p4w server, a process of its own, for each funder report
// P4W_BENCH_RUNS times (10 when unset) as the national admin (and one as a trust), the first
// three followed by the hand-written query of the same figures; it prints each report's median
// and p95 beside the hand query's median, and fails when a report's figures differ from the
// hand query's. It is one run whatever b.N: run it with -benchtime 1x, as `make bench-reports` does.
func BenchmarkReports(b *testing.B) {
	n := envInt(b, "P4W_BENCH_ENROLMENTS", 1_000_000)
	runs := envInt(b, "P4W_BENCH_RUNS", 10)
	ctx := context.Background()
	dir := b.TempDir()
	// P4W_BENCH_DATABASE_URL names an empty database to fill and keep, for looking into a plan
	// with EXPLAIN afterwards; otherwise a new one, dropped at the end.
	dbURL := os.Getenv("P4W_BENCH_DATABASE_URL")
	if dbURL == "" {
		dbURL = pgtest.EmptyURL(b)
	}
	bin := buildServer(b, dir)
	env := serverEnv(dir, dbURL)
	for _, args := range [][]string{{"migrate", "up"}, {"admin", "bootstrap", "--email", adminEmail}} {
		run(b, bin, env, args...)
	}

	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	start := time.Now()
	if err := generate(ctx, conn, n); err != nil {
		b.Fatal(err)
	}
	generated := time.Since(start)
	fmt.Fprintf(os.Stderr, "bench-reports: %s in %s\n", describe(ctx, b, conn), generated.Round(time.Second))

	_, srv := apitest.ServeProcess(b, bin, env, dir)
	admin := signIn(b, srv, adminEmail, adminPassword)
	award := biggestAward(ctx, b, conn)
	trust := trustUser(ctx, b, srv, admin, award.trust)

	cases := reportCases(award, trust)
	b.ResetTimer()
	var results []result
	for _, c := range cases {
		token := admin
		if c.asTrust {
			token = trust.token
		}
		results = append(results, measure(ctx, b, srv, conn, token, c, runs))
	}
	b.StopTimer()
	printResults(n, runs, generated, results)
	for _, r := range results {
		name := strings.NewReplacer(" ", "-", ",", "+", "(", "", ")", "").Replace(r.name)
		b.ReportMetric(float64(r.median.Microseconds())/1000, name+"-ms")
		b.ReportMetric(r.ratio(), name+"-x-hand")
	}
}

// reportCase is one report asked of p4w, and its hand-written query.
type reportCase struct {
	name    string
	asTrust bool
	path    string
	hand    func(ctx context.Context, conn *pgx.Conn) (figures, error)
	figures func(body []byte) (figures, error)
}

// figures are a report's numbers by name, the form both sides are compared in.
type figures map[string]int64

// result is one report's timings over the runs.
type result struct {
	name                  string
	median, p95, handTime time.Duration
	bytes                 int
	figures               int
}

func (r result) ratio() float64 { return float64(r.median) / float64(r.handTime) }

// handRuns is how many times each hand query is timed (at most the report's runs).
const handRuns = 3

// measure asks for c's report runs times, after two requests to warm up, the first handRuns
// followed by its hand query; it fails b when the answer's figures are not the hand query's
// (nothing writes meanwhile).
func measure(ctx context.Context, b *testing.B, srv string, conn *pgx.Conn, token string, c reportCase, runs int) result {
	b.Helper()
	var got, want figures
	var httpTimes, handTimes []time.Duration
	var size int
	for i := range runs + 2 {
		start := time.Now()
		body := get(b, srv+c.path, token)
		took := time.Since(start)
		if i >= 2 {
			httpTimes = append(httpTimes, took)
		}
		var err error
		if got, err = c.figures(body); err != nil {
			b.Fatalf("%s: read the answer: %v\n%s", c.name, err, body)
		}
		size = len(body)
		// The hand query reads every raw row, seconds at a million enrolments: it runs once to
		// warm up and then handRuns times, its median the yardstick.
		if i == 0 || (i >= 2 && i < 2+handRuns) {
			start = time.Now()
			if want, err = c.hand(ctx, conn); err != nil {
				b.Fatalf("%s: hand query: %v", c.name, err)
			}
			if i >= 2 {
				handTimes = append(handTimes, time.Since(start))
			}
		}
	}
	if diff := compare(got, want); diff != "" {
		b.Fatalf("%s: p4w's figures differ from the hand query's:\n%s", c.name, diff)
	}
	return result{name: c.name, median: quantile(httpTimes, 0.5), p95: quantile(httpTimes, 0.95),
		handTime: quantile(handTimes, 0.5), bytes: size, figures: len(want)}
}

// compare lists the figures that differ, at most 20.
func compare(got, want figures) string {
	var diff []string
	all := maps.Clone(want)
	maps.Copy(all, got)
	keys := slices.Sorted(maps.Keys(all))
	for _, k := range keys {
		if got[k] != want[k] {
			diff = append(diff, fmt.Sprintf("  %s: p4w %d, hand %d", k, got[k], want[k]))
		}
	}
	if len(diff) > 20 {
		diff = append(diff[:20], fmt.Sprintf("  ... and %d more", len(diff)-20))
	}
	return strings.Join(diff, "\n")
}

// quantile is the q-quantile of ds (nearest rank).
func quantile(ds []time.Duration, q float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.999999) - 1
	return s[max(0, min(i, len(s)-1))]
}

func printResults(n, runs int, generated time.Duration, results []result) {
	fmt.Printf("bench-reports: %d enrolments (generated in %s); %d requests a report after 2 to warm up; hand = the median of %d runs of the hand-written SQL over the raw rows\n",
		n, generated.Round(time.Second), runs, min(runs, handRuns))
	fmt.Printf("  %-44s %9s %9s %9s %7s %8s  %s\n", "report", "median", "p95", "hand", "ratio", "figures", "verdict")
	for _, r := range results {
		verdict := "met"
		if r.median >= goalMedian || r.ratio() > goalRatio {
			verdict = "NOT met"
		}
		fmt.Printf("  %-44s %9s %9s %9s %6.2fx %8d  %s\n", r.name, ms(r.median), ms(r.p95), ms(r.handTime), r.ratio(), r.figures, verdict)
	}
	fmt.Printf("  goals: median under %s and at most %.1fx the hand query's; every figure equal to the hand query's (checked)\n", goalMedian, goalRatio)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// describe counts the generated rows.
func describe(ctx context.Context, b *testing.B, conn *pgx.Conn) string {
	b.Helper()
	var out []string
	for _, t := range []string{"organisations", "funding_awards", "cohorts", "participants", "enrolments", "outcomes", "placements",
		"mentoring_matches", "check_ins"} {
		var n int64
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+t).Scan(&n); err != nil {
			b.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%d %s", n, t))
	}
	var size string
	if err := conn.QueryRow(ctx, "SELECT pg_size_pretty(pg_database_size(current_database()))").Scan(&size); err != nil {
		b.Fatal(err)
	}
	return "generated " + strings.Join(out, ", ") + "; " + size
}

// award is the funding award whose highlight report is asked: the one with most enrolments.
type award struct {
	id, recipient, trust uuid.UUID
	round                string
}

func biggestAward(ctx context.Context, b *testing.B, conn *pgx.Conn) award {
	b.Helper()
	var a award
	err := conn.QueryRow(ctx, `SELECT a.id, a.organisation_id, a.tender_round,
			coalesce((SELECT member_id FROM organisation_members WHERE collaboration_id = a.organisation_id ORDER BY member_id LIMIT 1), a.organisation_id)
		FROM funding_awards a JOIN cohorts c ON c.funding_award_id = a.id JOIN enrolments e ON e.cohort_id = c.id
		GROUP BY a.id ORDER BY count(*) DESC, a.id LIMIT 1`).Scan(&a.id, &a.recipient, &a.round, &a.trust)
	if err != nil {
		b.Fatal(err)
	}
	return a
}

// reportCases are the reports the benchmark asks for: the highlight report of award for its
// second funded year and for a quarter of it, outcome analytics nationally in total and in
// several groupings, the return on investment and a year's activity; and the recipient's own
// outcome analytics by quarter, asked as a user of it.
func reportCases(a award, trust trustLogin) []reportCase {
	first, _ := strconv.Atoi(a.round[:4])
	year2 := time.Date(first+1, time.April, 1, 0, 0, 0, 0, time.UTC)
	quarter := fmt.Sprintf("%d-Q4", first+1) // October to December of the second funded year
	qFrom := time.Date(first+1, time.October, 1, 0, 0, 0, 0, time.UTC)
	highlight := func(period string, from, to time.Time) reportCase {
		return reportCase{
			name: "highlight " + period,
			path: "/v1/funding-awards/" + a.id.String() + "/highlight-reports/" + period,
			hand: func(ctx context.Context, conn *pgx.Conn) (figures, error) {
				return handHighlight(ctx, conn, a.id, from, to)
			},
			figures: highlightFigures,
		}
	}
	outcomes := func(name string, asTrust bool, groupBy []string, q url.Values, reach *uuid.UUID, from, to *time.Time) reportCase {
		q.Set("group_by", strings.Join(groupBy, ","))
		if len(groupBy) == 0 {
			q.Del("group_by")
		}
		path := "/v1/reports/outcomes"
		if len(q) > 0 {
			path += "?" + q.Encode()
		}
		return reportCase{name: name, asTrust: asTrust, path: path,
			hand: func(ctx context.Context, conn *pgx.Conn) (figures, error) {
				return handOutcomes(ctx, conn, groupBy, reach, from, to)
			},
			figures: func(body []byte) (figures, error) { return outcomeFigures(body, groupBy) },
		}
	}
	yearFrom, yearTo := time.Date(2024, time.April, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, time.March, 31, 0, 0, 0, 0, time.UTC)
	activityYear := 2024
	return []reportCase{
		highlight("year-2", year2, year2.AddDate(1, 0, -1)),
		highlight(quarter, qFrom, qFrom.AddDate(0, 3, -1)),
		outcomes("outcomes national", false, nil, url.Values{}, nil, nil, nil),
		outcomes("outcomes by region", false, []string{"region"}, url.Values{}, nil, nil, nil),
		outcomes("outcomes by region, quarter", false, []string{"region", "quarter"}, url.Values{}, nil, nil, nil),
		outcomes("outcomes by programme, organisation", false, []string{"programme", "organisation"}, url.Values{}, nil, nil, nil),
		outcomes("outcomes by award, 2024/25", false, []string{"award"},
			url.Values{"from": {yearFrom.Format(time.DateOnly)}, "to": {yearTo.Format(time.DateOnly)}}, nil, &yearFrom, &yearTo),
		outcomes("outcomes by quarter (as a trust)", true, []string{"quarter"}, url.Values{}, &trust.org, nil, nil),
		{name: "roi (every funded year)", path: "/v1/reports/roi",
			hand: func(ctx context.Context, conn *pgx.Conn) (figures, error) { return handROI(ctx, conn) }, figures: roiFigures},
		{name: fmt.Sprintf("activity %d/%02d", activityYear, (activityYear+1)%100),
			path: fmt.Sprintf("/v1/reports/activity?year=%d/%02d", activityYear, (activityYear+1)%100),
			hand: func(ctx context.Context, conn *pgx.Conn) (figures, error) {
				return handActivity(ctx, conn, time.Date(activityYear, time.April, 1, 0, 0, 0, 0, time.UTC))
			}, figures: activityFigures},
	}
}

// The figures of each answer, read from its JSON.

func highlightFigures(body []byte) (figures, error) {
	var r struct {
		Cohorts      int `json:"cohorts"`
		Participants struct {
			Engaged int `json:"engaged"`
		} `json:"participants"`
		Conversion rate `json:"conversion"`
		Enrolments struct {
			Starts, Completions, Withdrawals int
		} `json:"enrolments"`
		Mentoring struct {
			Matches  int `json:"matches"`
			CheckIns int `json:"check_ins"`
		} `json:"mentoring"`
		WithdrawalsByReason []struct {
			Reason string `json:"reason"`
			Count  int    `json:"count"`
		} `json:"withdrawals_by_reason"`
		OutcomesByDestination []struct {
			Destination string `json:"destination"`
			Count       int    `json:"count"`
		} `json:"outcomes_by_destination"`
		OutcomesByILRCode []struct {
			ILRCode string `json:"ilr_code"`
			Count   int    `json:"count"`
		} `json:"outcomes_by_ilr_code"`
		Sustained3 rate `json:"sustained_3_months"`
		Sustained6 rate `json:"sustained_6_months"`
		Placements []struct {
			RoleArea string `json:"role_area"`
			Count    int    `json:"count"`
		} `json:"placements_by_role_area"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, err
	}
	f := figures{"cohorts": int64(r.Cohorts), "engaged": int64(r.Participants.Engaged), "conversion/numerator": int64(r.Conversion.Numerator),
		"conversion/denominator": int64(r.Conversion.Denominator), "starts": int64(r.Enrolments.Starts),
		"completions": int64(r.Enrolments.Completions), "withdrawals": int64(r.Enrolments.Withdrawals),
		"matches": int64(r.Mentoring.Matches), "check_ins": int64(r.Mentoring.CheckIns)}
	r.Sustained3.add(f, "sustained_3m")
	r.Sustained6.add(f, "sustained_6m")
	for _, w := range r.WithdrawalsByReason {
		f.add("withdrawn/"+w.Reason, w.Count)
	}
	for _, d := range r.OutcomesByDestination {
		f.add("destination/"+d.Destination, d.Count)
	}
	for _, c := range r.OutcomesByILRCode {
		f.add("ilr/"+c.ILRCode, c.Count)
	}
	for _, p := range r.Placements {
		f.add("placements/"+p.RoleArea, p.Count)
	}
	return f, nil
}

// rate is a rate as the API answers it.
type rate struct {
	Numerator   int `json:"numerator"`
	Denominator int `json:"denominator"`
}

func (r rate) add(f figures, name string) {
	f[name+"/numerator"], f[name+"/denominator"] = int64(r.Numerator), int64(r.Denominator)
}

// add records a count, leaving out zeros: a breakdown lists every key, the hand query only
// those it found.
func (f figures) add(name string, n int) {
	if n != 0 {
		f[name] += int64(n)
	}
}

func outcomeFigures(body []byte, groupBy []string) (figures, error) {
	var r struct {
		Rows []map[string]json.RawMessage `json:"rows"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, err
	}
	f := figures{}
	for _, row := range r.Rows {
		var keys []string
		for _, g := range groupBy {
			field := map[string]string{"programme": "programme_id", "organisation": "organisation_id", "cohort": "cohort_id",
				"award": "funding_award_id", "region": "region", "quarter": "quarter"}[g]
			var v *string
			if raw, ok := row[field]; ok {
				if err := json.Unmarshal(raw, &v); err != nil {
					return nil, err
				}
			}
			keys = append(keys, deref(v))
		}
		key := "row[" + strings.Join(keys, ",") + "]/"
		var counts struct {
			Started, Completed, Withdrawn int
			Conversion                    rate
			Sustained3                    rate `json:"sustained_3_months"`
			Sustained6                    rate `json:"sustained_6_months"`
			Positive                      []struct {
				Destination string `json:"destination"`
				Count       int    `json:"count"`
			} `json:"positive_destinations"`
		}
		raw, _ := json.Marshal(row)
		if err := json.Unmarshal(raw, &counts); err != nil {
			return nil, err
		}
		f.add(key+"started", counts.Started)
		f.add(key+"completed", counts.Completed)
		f.add(key+"withdrawn", counts.Withdrawn)
		f.add(key+"converted", counts.Conversion.Numerator)
		f.add(key+"sustained_3m/checked", counts.Sustained3.Denominator)
		f.add(key+"sustained_3m/held", counts.Sustained3.Numerator)
		f.add(key+"sustained_6m/checked", counts.Sustained6.Denominator)
		f.add(key+"sustained_6m/held", counts.Sustained6.Numerator)
		for _, p := range counts.Positive {
			f.add(key+"destination/"+p.Destination, p.Count)
		}
		if counts.Conversion.Denominator != counts.Started {
			return nil, fmt.Errorf("row %s: conversion's denominator %d is not started %d", key, counts.Conversion.Denominator, counts.Started)
		}
	}
	return f, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func roiFigures(body []byte) (figures, error) {
	var r struct {
		FundedYears      int   `json:"funded_years"`
		SpendPence       int64 `json:"spend_pence"`
		PositiveOutcomes int   `json:"positive_outcomes"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, err
	}
	return figures{"funded_years": int64(r.FundedYears), "spend_pence": r.SpendPence, "positive_outcomes": int64(r.PositiveOutcomes)}, nil
}

func activityFigures(body []byte) (figures, error) {
	type counts struct {
		Region string `json:"region"`
		WE     int    `json:"work_experience_opportunities"`
		WRL    int    `json:"work_related_learning_opportunities"`
		Emp    int    `json:"employability_programme_participants"`
	}
	var r struct {
		Total   counts   `json:"total"`
		Regions []counts `json:"regions"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, err
	}
	f := figures{}
	r.Total.Region = "all"
	for _, c := range append(r.Regions, r.Total) {
		f.add(c.Region+"/work_experience", c.WE)
		f.add(c.Region+"/work_related_learning", c.WRL)
		f.add(c.Region+"/employability_participants", c.Emp)
	}
	return f, nil
}

// The server, a process of its own, and its users.

const (
	adminEmail    = "bench-admin@p4w.example"
	adminPassword = "correct horse battery staple bench"
	trustPassword = "correct horse battery staple trust"
)

func envInt(b *testing.B, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q: want a number, 1 or more", name, s)
	}
	return n
}

func buildServer(b *testing.B, dir string) string {
	b.Helper()
	bin := filepath.Join(dir, "p4w")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/p4w-nhs/p4w/cmd/p4w").CombinedOutput(); err != nil {
		b.Fatalf("build p4w: %v\n%s", err, out)
	}
	return bin
}

func serverEnv(dir, dbURL string) []string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	addr := l.Addr().String()
	l.Close()
	return append(os.Environ(), "DATABASE_URL="+dbURL, "P4W_DATA_DIR="+dir, "P4W_HTTP_ADDR="+addr,
		"P4W_LOG_LEVEL=warn", "P4W_MIGRATE_ON_START=false", "P4W_DRAIN_DELAY=0s", "P4W_ADMIN_PASSWORD="+adminPassword)
}

func run(b *testing.B, bin string, env []string, args ...string) {
	b.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("p4w %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// signIn returns an access token of the user email.
func signIn(b *testing.B, srv, email, password string) string {
	b.Helper()
	res, err := http.PostForm(srv+"/v1/auth/token", url.Values{"grant_type": {"password"}, "username": {email}, "password": {password}})
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	body, _ := io.ReadAll(res.Body)
	if err := json.Unmarshal(body, &tok); err != nil || tok.AccessToken == "" {
		b.Fatalf("sign in as %s: %d %s", email, res.StatusCode, body)
	}
	return tok.AccessToken
}

// trustLogin is a user of a trust, and its token.
type trustLogin struct {
	org   uuid.UUID
	token string
}

// trustUser has the national admin create a viewer of the award's recipient (of its first member
// trust when a collaboration receives it) through the API, and signs in as it.
func trustUser(ctx context.Context, b *testing.B, srv, admin string, org uuid.UUID) trustLogin {
	b.Helper()
	body, _ := json.Marshal(map[string]any{"email": "bench-viewer@p4w.example", "organisation_id": org, "role": "viewer", "password": trustPassword})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv+"/v1/users", strings.NewReader(string(body)))
	req.Header.Set("Authorization", "Bearer "+admin)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	answer, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		b.Fatalf("create a viewer of %s: %d %s", org, res.StatusCode, answer)
	}
	return trustLogin{org: org, token: signIn(b, srv, "bench-viewer@p4w.example", trustPassword)}
}

// get answers the body of a GET of u, failing b on anything but 200.
func get(b *testing.B, u, token string) []byte {
	b.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		b.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		b.Fatalf("GET %s: %d %s", u, res.StatusCode, body)
	}
	return body
}
