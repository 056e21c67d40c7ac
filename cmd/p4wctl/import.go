package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"strings"

	"github.com/google/uuid"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/p4w-nhs/p4w/pkg/client"
)

// shownErrors is how many row errors an import prints before pointing at import errors.
const shownErrors = 20

type importOptions struct {
	mode   string
	dryRun bool
	atomic bool
	wait   bool
	key    string
}

func importKinds() []string {
	return []string{string(client.CreateImportParamsKindParticipants), string(client.CreateImportParamsKindEnrolments),
		string(client.CreateImportParamsKindPlacements), string(client.CreateImportParamsKindOutcomes),
		string(client.CreateImportParamsKindMentoringMatches)}
}

func (a *App) importCommand() *cobra.Command {
	var o importOptions
	cmd := &cobra.Command{
		Use:   "import KIND FILE [--mode create|upsert|update] [--dry-run] [--atomic] [--wait]",
		Short: "Import a CSV file of records",
		Long: `Upload a CSV file of records of one kind (POST /v1/imports) and print the import job it
starts. FILE - reads standard input. The file is streamed as it is read, never held whole.
Its columns are those of the kind's export (p4wctl export KIND), which you may edit and import
again.

--mode create (the default) adds records, refusing one already recorded; upsert adds or
updates, keyed by id or else by the kind's natural key (a participant's external_ref within
the organisation; an enrolment's cohort and participant; a placement's enrolment, kind and
start; an outcome's participant, destination and start; a match's mentor, participant and
start); update changes existing records only. A row the same as the stored record is counted unchanged.
--atomic refuses the whole file, writing nothing, when any row is refused; otherwise the good
rows land and the refused ones are reported. --dry-run checks every row and counts what would
change, writing nothing.

--wait waits for the job to end: a progress bar on a terminal, a line of counts now and then
otherwise; then a summary, and the first ` + fmt.Sprint(shownErrors) + ` row errors as
  row 12, column date_of_birth: must be a date written YYYY-MM-DD
(p4wctl import errors JOB-ID lists them all). It exits 1 when any row was refused or the job
failed, 0 when every row was taken.

Kinds: ` + strings.Join(importKinds(), ", ") + `.`,
		Example: `  p4wctl import participants participants.csv --mode upsert --wait
  p4wctl import participants participants.csv --dry-run --wait
  sed "s/ORG/$ORG/" participants.csv | p4wctl import participants - --wait
  p4wctl import errors 01900000-0000-7000-8000-000000000001 -o csv > errors.csv`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.importFile(cmd.Context(), args[0], args[1], o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.mode, "mode", "create", "create, upsert or update")
	f.BoolVar(&o.dryRun, "dry-run", false, "check every row and count what would change; write nothing")
	f.BoolVar(&o.atomic, "atomic", false, "all rows or none: any refused row fails the import")
	f.BoolVar(&o.wait, "wait", false, "wait for the import to end, showing progress, then report")
	f.StringVar(&o.key, "idempotency-key", "", "a key for this file: an upload with a key already used returns that upload's job instead of importing again")
	cmd.AddCommand(a.importErrorsCommand())
	return cmd
}

func (a *App) importErrorsCommand() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "errors JOB-ID [-o csv|json|table]",
		Short: "List every row error of an import",
		Long: `List every error of the rows an import refused (GET /v1/imports/{id}/errors), in row order:
the row's number as a spreadsheet shows it (the header is row 1), the column (empty for the
row as a whole) and what is wrong. A table on a terminal and JSON otherwise; -o csv writes the
server's CSV file of them (columns row, column, message).`,
		Example: `  p4wctl import errors 01900000-0000-7000-8000-000000000001
  p4wctl import errors 01900000-0000-7000-8000-000000000001 -o csv > errors.csv`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.importErrors(cmd.Context(), args[0], output)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "csv, json or table (default table on a terminal, json otherwise)")
	return cmd
}

func (a *App) importFile(ctx context.Context, kind, file string, o importOptions) error {
	if !client.CreateImportParamsKind(kind).Valid() {
		return usageError("unknown kind %q; one of %s", kind, strings.Join(importKinds(), ", "))
	}
	if !client.CreateImportParamsMode(o.mode).Valid() {
		return usageError("--mode %q: create, upsert or update", o.mode)
	}
	var in io.Reader = a.Stdin
	name := "standard input"
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return usageError("%v", err)
		}
		defer f.Close()
		if info, err := f.Stat(); err == nil && info.IsDir() {
			return usageError("%s is a directory", file)
		}
		in, name = f, file
	}
	s, err := a.session()
	if err != nil {
		return err
	}
	opts := client.ImportOptions{Kind: kind, Mode: o.mode, DryRun: o.dryRun, Atomic: o.atomic, IdempotencyKey: o.key}
	job, err := client.StartImport(ctx, s.api, in, opts)
	if err != nil {
		return a.clientError(s, err)
	}
	url := s.server + "/v1/imports/" + job.Id.String()
	fmt.Fprintf(a.Stdout, "import %s of %s from %s: %s\n", job.Id, kind, name, url)
	if !o.wait {
		fmt.Fprintf(a.Stderr, "The import runs in the background; see its errors with p4wctl import errors %s.\n", job.Id)
		return nil
	}

	report, done := a.progress(kind)
	opts.Progress = report
	job, err = client.WaitImport(ctx, s.api, job, opts)
	done()
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return serverError("interrupted; the import goes on in the server (%s)", url)
		}
		return a.clientError(s, err)
	}
	return a.summarise(ctx, s, job)
}

// progress is what --wait shows while the job runs: a bar on a terminal, and a line of
// counts whenever they change otherwise (for a log, or a CI job's output).
func (a *App) progress(kind string) (report func(client.ImportJob), done func()) {
	if isTerminal(a.Stderr) {
		bar := progressbar.NewOptions(1000, progressbar.OptionSetWriter(a.Stderr),
			progressbar.OptionSetDescription("importing "+kind), progressbar.OptionClearOnFinish(),
			progressbar.OptionShowDescriptionAtLineEnd(), progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100_000_000))
		return func(j client.ImportJob) {
				bar.Describe(fmt.Sprintf("%s: %s", j.Status, counts(j)))
				_ = bar.Set(int(j.Progress * 1000))
			}, func() {
				_ = bar.Finish()
			}
	}
	var last string
	return func(j client.ImportJob) {
		line := fmt.Sprintf("%s: %s", j.Status, counts(j))
		if line != last {
			fmt.Fprintln(a.Stderr, line)
			last = line
		}
	}, func() {}
}

func counts(j client.ImportJob) string {
	return fmt.Sprintf("rows %d created %d updated %d unchanged %d failed %d", j.RowsRead, j.Created, j.Updated, j.Unchanged, j.Failed)
}

// summarise reports an ended job: its counts, why it failed, the first row errors; and ends
// with exit 1 when any row was refused or the job failed.
func (a *App) summarise(ctx context.Context, s *session, job client.ImportJob) error {
	would := ""
	if job.DryRun {
		would = " (dry run: nothing written; the counts are what would be)"
	}
	fmt.Fprintf(a.Stdout, "%s: %d rows read, %d created, %d updated, %d unchanged, %d failed%s\n",
		job.Status, job.RowsRead, job.Created, job.Updated, job.Unchanged, job.Failed, would)
	failure, _ := job.Failure.Get()
	if failure != "" {
		fmt.Fprintf(a.Stdout, "failure: %s\n", clean(failure))
	}
	if job.Failed == 0 && job.Status == client.ImportJobStatusSucceeded {
		return nil
	}
	shown, more := 0, 0
	for e, err := range client.ImportErrors(ctx, s.api, job.Id) {
		if err != nil {
			return a.clientError(s, err)
		}
		if shown == shownErrors {
			more++
			continue
		}
		fmt.Fprintln(a.Stdout, rowError(e))
		shown++
	}
	if more > 0 {
		fmt.Fprintf(a.Stdout, "... and %d more; p4wctl import errors %s for all\n", more, job.Id)
	}
	switch {
	case job.Status == client.ImportJobStatusFailed && job.Atomic && !job.DryRun:
		return &exitError{code: exitRefused, msg: "the import failed, and being atomic it wrote nothing", answer: true}
	case job.Status == client.ImportJobStatusFailed:
		return &exitError{code: exitRefused, msg: "the import failed", answer: true}
	case job.Failed == 1:
		return &exitError{code: exitRefused, msg: "1 row refused", answer: true}
	}
	return &exitError{code: exitRefused, msg: fmt.Sprintf("%d rows refused", job.Failed), answer: true}
}

// rowError is one row error as a line: row 12, column date_of_birth: must be a date ...
func rowError(e client.ImportError) string {
	if e.Column == "" {
		return fmt.Sprintf("row %d: %s", e.Row, clean(e.Message))
	}
	return fmt.Sprintf("row %d, column %s: %s", e.Row, clean(e.Column), clean(e.Message))
}

func (a *App) importErrors(ctx context.Context, arg, output string) error {
	id, err := uuid.Parse(arg)
	if err != nil {
		return usageError("%q is not an import job's id", arg)
	}
	format := output
	if format != "csv" {
		if format, err = a.format(output); err != nil {
			return usageError("-o %q: csv, json or table", output)
		}
	}
	s, err := a.session()
	if err != nil {
		return err
	}
	if format == "csv" {
		acceptCSV := func(_ context.Context, req *http.Request) error {
			req.Header.Set("Accept", "text/csv")
			return nil
		}
		res, err := s.do(ctx, func(ctx context.Context) (*http.Response, error) {
			return s.api.ListImportErrors(ctx, id, &client.ListImportErrorsParams{}, acceptCSV)
		})
		if err != nil {
			return err
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return answerError(res)
		}
		if mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type")); mt != "text/csv" {
			return serverError("the server at %s answered %s, not CSV", s.server, res.Header.Get("Content-Type"))
		}
		if _, err := io.Copy(a.Stdout, res.Body); err != nil {
			return serverError("the errors broke off: %v", err)
		}
		return nil
	}
	out := newOutput(format, []string{"row", "column", "message"}, a.Stdout)
	for e, err := range client.ImportErrors(ctx, s.api, id) {
		if err != nil {
			out.close()
			return a.clientError(s, err)
		}
		item, _ := json.Marshal(e)
		if err := out.add(item); err != nil {
			return err
		}
	}
	return out.close()
}

// clientError turns an error of pkg/client's import helpers into p4wctl's exit codes, as
// answerError and requestFailed do for the requests p4wctl sends itself.
func (a *App) clientError(s *session, err error) error {
	var refused *client.APIError
	if !errors.As(err, &refused) {
		return requestFailed(s.server, err)
	}
	msg := clean(refused.Error())
	code := statusCode(refused.StatusCode)
	if refused.RetryAfter != "" && code == exitServer {
		msg += "; retry after " + clean(refused.RetryAfter) + " s"
	}
	if refused.StatusCode == http.StatusUnauthorized {
		msg += "; sign in again with p4wctl login"
	}
	return &exitError{code: code, msg: msg, answer: true}
}
