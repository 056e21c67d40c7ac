package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/p4w-nhs/p4w/pkg/client"
)

func resourceNames(keep func(resource) bool) string {
	var names []string
	for _, r := range resources {
		if keep(r) {
			names = append(names, r.name)
		}
	}
	return strings.Join(names, ", ")
}

// parentCommand is list, get or export: it does nothing itself but name its resources, so
// that a missing or unknown one is a usage error (exit 2) rather than cobra's help (exit 0).
func parentCommand(use, short, long string, keep func(resource) bool) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Long:  long + "\n\nResources: " + resourceNames(keep) + ".",
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError("name the resource: %s", resourceNames(keep))
			}
			return usageError("unknown resource %q; one of %s", args[0], resourceNames(keep))
		},
	}
}

type listOptions struct {
	filters []string
	limit   int
	all     bool
	cursor  string
	output  string
}

func (a *App) listCommand() *cobra.Command {
	all := func(resource) bool { return true }
	cmd := parentCommand("list RESOURCE [--filter NAME=VALUE ...] [--limit N] [--all] [-o json|table]",
		"List the records of a resource", `List the records of a resource within your reach, one page (the server's page size, or
--limit) or, with --all, every page. JSON (an array of records) when standard output is not a
terminal, a table when it is; -o chooses. Filters are the list's query parameters in the
contract; each resource's help names them.`, all)
	for _, r := range resources {
		var o listOptions
		sub := &cobra.Command{
			Use:   r.name,
			Short: "List " + r.name,
			Long: fmt.Sprintf("List %s (GET /v1/%s).\n\nFilters: %s.\nTable columns: %s.",
				r.name, r.name, strings.Join(filterNames(r.filters), ", "), strings.Join(r.columns, ", ")),
			Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error { return a.list(cmd.Context(), r, o) },
		}
		f := sub.Flags()
		f.StringArrayVar(&o.filters, "filter", nil, "a query parameter of the list, NAME=VALUE; repeat for more")
		f.IntVar(&o.limit, "limit", 0, "records a page (default the server's)")
		f.BoolVar(&o.all, "all", false, "every page, following next_cursor")
		f.StringVar(&o.cursor, "cursor", "", "start at this next_cursor of an earlier page")
		f.StringVarP(&o.output, "output", "o", "", "json or table (default table on a terminal, json otherwise)")
		sub.MarkFlagsMutuallyExclusive("all", "cursor")
		cmd.AddCommand(sub)
	}
	return cmd
}

func (a *App) getCommand() *cobra.Command {
	readable := func(r resource) bool { return r.get != nil }
	cmd := parentCommand("get RESOURCE ID [-o json|table]", "Read one record", `Read one record by its id: JSON when standard output is not a terminal, a table of its
fields when it is; -o chooses. A record outside your reach is not found (exit 2), exactly as
one that does not exist.`, readable)
	for _, r := range resources {
		if r.get == nil {
			continue
		}
		var output string
		sub := &cobra.Command{
			Use:   r.name + " ID",
			Short: "Read one of " + r.name,
			Long:  fmt.Sprintf("Read one of %s (GET /v1/%s/{id}).", r.name, r.name),
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return a.get(cmd.Context(), r, args[0], output)
			},
		}
		sub.Flags().StringVarP(&output, "output", "o", "", "json or table (default table on a terminal, json otherwise)")
		cmd.AddCommand(sub)
	}
	return cmd
}

// filterValues reads --filter NAME=VALUE flags into query parameters. Paging has flags of its
// own where it applies (paged), and none in an export, which is never paged.
func filterValues(filters []string, paged bool) (url.Values, error) {
	q := url.Values{}
	for _, f := range filters {
		name, value, ok := strings.Cut(f, "=")
		if !ok || name == "" {
			return nil, usageError("--filter %q: write NAME=VALUE", f)
		}
		if name == "limit" || name == "cursor" {
			if paged {
				return nil, usageError("--filter %s: use --%s", name, name)
			}
			return nil, usageError("--filter %s: an export is never paged", name)
		}
		q.Add(name, value)
	}
	return q, nil
}

// format is the output format -o asks for, or the default for standard output.
func (a *App) format(output string) (string, error) {
	switch output {
	case "json", "table":
		return output, nil
	case "":
		if isTerminal(a.Stdout) {
			return "table", nil
		}
		return "json", nil
	}
	return "", usageError("-o %q: json or table", output)
}

func (a *App) list(ctx context.Context, r resource, o listOptions) error {
	q, err := filterValues(o.filters, true)
	if err != nil {
		return err
	}
	if o.limit < 0 {
		return usageError("--limit %d: give a positive number", o.limit)
	}
	if o.limit > 0 {
		q.Set("limit", strconv.Itoa(o.limit))
	}
	if err := r.check(q); err != nil {
		return err
	}
	format, err := a.format(o.output)
	if err != nil {
		return err
	}
	s, err := a.session()
	if err != nil {
		return err
	}
	page := func(ctx context.Context, cursor *string) ([]json.RawMessage, *string, error) {
		pq := url.Values{}
		for k, v := range q {
			pq[k] = v
		}
		if cursor != nil {
			pq.Set("cursor", *cursor)
		}
		res, err := s.do(ctx, func(ctx context.Context) (*http.Response, error) { return r.list(ctx, s.api, pq) })
		if err != nil {
			return nil, nil, err
		}
		return readPage(res)
	}
	out := newOutput(format, r.columns, a.Stdout)
	if o.all {
		for item, err := range client.All(ctx, page) {
			if err != nil {
				out.close()
				return err
			}
			if err := out.add(item); err != nil {
				return err
			}
		}
		return out.close()
	}
	var start *string
	if o.cursor != "" {
		start = &o.cursor
	}
	items, next, err := page(ctx, start)
	if err != nil {
		return err
	}
	for _, item := range items {
		if err := out.add(item); err != nil {
			return err
		}
	}
	if err := out.close(); err != nil {
		return err
	}
	if next != nil {
		fmt.Fprintf(a.Stderr, "More records: add --all, or --cursor %s for the next page.\n", *next)
	}
	return nil
}

// readPage reads a page of a list and closes its body.
func readPage(res *http.Response) ([]json.RawMessage, *string, error) {
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, nil, answerError(res)
	}
	if !isJSON(res.Header.Get("Content-Type")) {
		return nil, nil, serverError("the server answered %s, not JSON", res.Header.Get("Content-Type"))
	}
	var p struct {
		Data       []json.RawMessage `json:"data"`
		NextCursor *string           `json:"next_cursor"`
	}
	if err := json.NewDecoder(res.Body).Decode(&p); err != nil {
		return nil, nil, serverError("read the page: %v", err)
	}
	return p.Data, p.NextCursor, nil
}

func (a *App) get(ctx context.Context, r resource, arg, output string) error {
	id, err := uuid.Parse(arg)
	if err != nil {
		return usageError("%q is not an id: ids are UUIDs, such as 01900000-0000-7000-8000-000000000001", arg)
	}
	format, err := a.format(output)
	if err != nil {
		return err
	}
	s, err := a.session()
	if err != nil {
		return err
	}
	res, err := s.do(ctx, func(ctx context.Context) (*http.Response, error) { return r.get(ctx, s.api, id) })
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return answerError(res)
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, 16<<20))
	if err != nil {
		return serverError("read the answer: %v", err)
	}
	if format == "json" {
		var b bytes.Buffer
		if err := json.Indent(&b, body, "", "  "); err != nil {
			return serverError("the answer is not JSON: %v", err)
		}
		b.WriteByte('\n')
		_, err := b.WriteTo(a.Stdout)
		return err
	}
	fields, err := objectFields(body)
	if err != nil {
		return serverError("the answer is not a JSON object: %v", err)
	}
	tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
	for _, f := range fields {
		fmt.Fprintf(tw, "%s\t%s\n", f.name, cell(f.value))
	}
	return tw.Flush()
}

type field struct {
	name  string
	value json.RawMessage
}

// objectFields are the members of a JSON object in the server's order.
func objectFields(data []byte) ([]field, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("not an object")
	}
	var fields []field
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		fields = append(fields, field{name: t.(string), value: v})
	}
	return fields, nil
}

// output writes records as they come.
type output interface {
	add(item json.RawMessage) error
	close() error
}

func newOutput(format string, columns []string, w io.Writer) output {
	if format == "table" {
		t := &tableOutput{tw: tabwriter.NewWriter(w, 0, 4, 2, ' ', 0), columns: columns}
		fmt.Fprintln(t.tw, strings.ToUpper(strings.Join(columns, "\t")))
		return t
	}
	return &jsonOutput{w: w}
}

// jsonOutput writes a JSON array a record at a time, never holding the list.
type jsonOutput struct {
	w io.Writer
	n int
}

func (j *jsonOutput) add(item json.RawMessage) error {
	var b bytes.Buffer
	if j.n == 0 {
		b.WriteString("[\n  ")
	} else {
		b.WriteString(",\n  ")
	}
	if err := json.Indent(&b, item, "  ", "  "); err != nil {
		return serverError("a record is not JSON: %v", err)
	}
	j.n++
	_, err := b.WriteTo(j.w)
	return err
}

func (j *jsonOutput) close() error {
	end := "\n]\n"
	if j.n == 0 {
		end = "[]\n"
	}
	_, err := io.WriteString(j.w, end)
	return err
}

// tableOutput lines records up in columns, so it holds them until the end.
type tableOutput struct {
	tw      *tabwriter.Writer
	columns []string
}

func (t *tableOutput) add(item json.RawMessage) error {
	cells := make([]string, len(t.columns))
	for i, c := range t.columns {
		cells[i] = cell(lookup(item, c))
	}
	_, err := fmt.Fprintln(t.tw, strings.Join(cells, "\t"))
	return err
}

func (t *tableOutput) close() error { return t.tw.Flush() }

// lookup is the value at a dotted path of a record, or nil.
func lookup(item json.RawMessage, path string) json.RawMessage {
	for name := range strings.SplitSeq(path, ".") {
		var m map[string]json.RawMessage
		if json.Unmarshal(item, &m) != nil {
			return nil
		}
		item = m[name]
	}
	return item
}

// cell is a value as one table cell: strings bare, null empty, other values as compact
// JSON, never a control character (server text must not drive the terminal) and never
// longer than maxCell runes.
func cell(v json.RawMessage) string {
	const maxCell = 60
	var s string
	switch {
	case len(v) == 0 || string(v) == "null":
		return ""
	case v[0] == '"':
		if json.Unmarshal(v, &s) != nil {
			s = string(v)
		}
	default:
		var b bytes.Buffer
		if json.Compact(&b, v) != nil {
			b.Reset()
			b.Write(v)
		}
		s = b.String()
	}
	s = clean(s)
	if utf8.RuneCountInString(s) > maxCell {
		s = string([]rune(s)[:maxCell-1]) + "…"
	}
	return s
}
