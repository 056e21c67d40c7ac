package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
)

func (a *App) exportCommand() *cobra.Command {
	exportable := func(r resource) bool { return r.csv }
	cmd := parentCommand("export KIND [--filter NAME=VALUE ...] [-f FILE]", "Export records as CSV",
		`Export every record of a kind that the filters select, as the CSV file an import of that
kind takes: the server streams it (GET /v1/KIND with Accept: text/csv) and p4wctl passes it
on as it comes, to standard output or to -f FILE, never holding it whole. A file given with -f
is readable by you only (it holds personal data) and appears only once the export is whole.
An export the server breaks off is an error (exit 4), never a short file passed as complete.`, exportable)
	for _, r := range resources {
		if !r.csv {
			continue
		}
		var filters []string
		var file string
		sub := &cobra.Command{
			Use:     r.name + " [--filter NAME=VALUE ...] [-f FILE]",
			Short:   "Export " + r.name + " as CSV",
			Example: fmt.Sprintf("  p4wctl export %s > %s.csv\n  p4wctl export %s --filter updated_since=2026-01-01T00:00:00Z -f %s.csv", r.name, r.name, r.name, r.name),
			Args:    cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return a.export(cmd.Context(), r, filters, file)
			},
		}
		sub.Long = fmt.Sprintf("Export %s as CSV (GET /v1/%s, Accept: text/csv).\n\nFilters: %s.",
			r.name, r.name, strings.Join(filterNames(r.filters), ", "))
		sub.Flags().StringArrayVar(&filters, "filter", nil, "a query parameter of the list, NAME=VALUE; repeat for more")
		sub.Flags().StringVarP(&file, "file", "f", "", "write to FILE instead of standard output")
		cmd.AddCommand(sub)
	}
	return cmd
}

func (a *App) export(ctx context.Context, r resource, filters []string, file string) error {
	q, err := filterValues(filters, false)
	if err != nil {
		return err
	}
	if err := r.check(q); err != nil {
		return err
	}
	s, err := a.session()
	if err != nil {
		return err
	}
	acceptCSV := func(_ context.Context, req *http.Request) error {
		req.Header.Set("Accept", "text/csv")
		return nil
	}
	res, err := s.do(ctx, func(ctx context.Context) (*http.Response, error) { return r.list(ctx, s.api, q, acceptCSV) })
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return answerError(res)
	}
	if mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type")); mt != "text/csv" {
		return serverError("the server at %s answered %s, not CSV: it does not export %s", s.server, res.Header.Get("Content-Type"), r.name)
	}

	var w io.Writer = a.Stdout
	var tmp *os.File
	if file != "" {
		// A new file renamed into place when whole, so that an export broken off never
		// leaves a short file under the name asked for.
		tmp, err = os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+"-*.partial") // created 0600
		if err != nil {
			return usageError("-f %s: %v", file, err)
		}
		defer os.Remove(tmp.Name()) // nothing left to remove once renamed
		defer tmp.Close()
		w = tmp
	}
	tail := &tailWriter{w: w}
	var dst io.Writer = tail
	if isTerminal(a.Stderr) && (file != "" || !isTerminal(a.Stdout)) {
		bar := progressbar.NewOptions64(-1, progressbar.OptionSetWriter(a.Stderr), progressbar.OptionShowBytes(true),
			progressbar.OptionSetDescription("exporting "+r.name), progressbar.OptionClearOnFinish(),
			progressbar.OptionSpinnerType(14), progressbar.OptionThrottle(100_000_000))
		defer bar.Finish()
		dst = io.MultiWriter(tail, bar)
	}
	src := &readErrors{r: res.Body}
	n, err := io.Copy(dst, src)
	switch {
	case src.err != nil:
		return serverError("the export of %s broke off after %d bytes (%v): the output is incomplete", r.name, n, src.err)
	case err != nil:
		return serverError("write the export: %v", err)
	case n == 0 || tail.last != '\n':
		// The server ends a file it cannot finish without a final line end.
		return serverError("the export of %s ended early, after %d bytes (the server failed part-way): the output is incomplete", r.name, n)
	}
	if tmp != nil {
		if err := tmp.Close(); err != nil {
			return serverError("write %s: %v", file, err)
		}
		if err := os.Rename(tmp.Name(), file); err != nil {
			return serverError("write %s: %v", file, err)
		}
	}
	return nil
}

// tailWriter remembers the last byte written through it.
type tailWriter struct {
	w    io.Writer
	last byte
}

func (t *tailWriter) Write(p []byte) (int, error) {
	n, err := t.w.Write(p)
	if n > 0 {
		t.last = p[n-1]
	}
	return n, err
}

// readErrors keeps the error of reading the answer, to tell it from an error of writing.
type readErrors struct {
	r   io.Reader
	err error
}

func (r *readErrors) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		r.err = err
	}
	return n, err
}
