package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/p4w-nhs/p4w/pkg/client"
)

// changesPage is the page size changes asks for: the contract's largest, so that a mirror
// catching up makes as few requests as it can.
const changesPage = 500

type changesOptions struct {
	after      string
	cursorFile string
	types      []string
	follow     bool
	every      time.Duration
}

func (a *App) changesCommand() *cobra.Command {
	var o changesOptions
	cmd := &cobra.Command{
		Use:   "changes [--cursor-file FILE | --after CURSOR] [--types T,...] [--follow [--every D]]",
		Short: "Read the changes feed, as a system mirroring p4w does",
		Long: `Read every change within your reach from the changes feed (GET /v1/changes), in commit
order, and print each as one line of JSON: its cursor, event type, resource type and id,
organisation, the names of the fields written and when.

Without --follow, changes reads until the feed has no more and stops. With --follow it then
waits --every and reads again, until interrupted.

--cursor-file FILE keeps the place: changes starts after the cursor the file holds (from the
beginning when there is no file) and writes the next cursor there after printing each page,
so a mirror run from cron, or restarted, carries on where the last run stopped and misses
nothing. Without it the last cursor is said on standard error, for --after.`,
		Example: `  p4wctl changes --cursor-file hr-mirror.cursor
  p4wctl changes --cursor-file hr-mirror.cursor --types participant.erased,outcome.created --follow`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.changes(cmd.Context(), o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.after, "after", "", "start after this cursor (a change's cursor, or a page's next_cursor)")
	f.StringVar(&o.cursorFile, "cursor-file", "", "read the starting cursor from FILE and keep the next one there")
	f.StringSliceVar(&o.types, "types", nil, "only these event types, comma-separated")
	f.BoolVar(&o.follow, "follow", false, "keep reading new changes until interrupted")
	f.DurationVar(&o.every, "every", 5*time.Second, "with --follow, how long to wait when the feed has no more")
	cmd.MarkFlagsMutuallyExclusive("after", "cursor-file")
	return cmd
}

func (a *App) changes(ctx context.Context, o changesOptions) error {
	if o.every <= 0 {
		return usageError("--every %s: give a positive duration", o.every)
	}
	cursor := o.after
	if o.cursorFile != "" {
		b, err := os.ReadFile(o.cursorFile)
		switch {
		case errors.Is(err, fs.ErrNotExist): // a first run: from the beginning
		case err != nil:
			return usageError("read --cursor-file: %v", err)
		default:
			cursor = strings.TrimSpace(string(b))
		}
	}
	s, err := a.session()
	if err != nil {
		return err
	}
	limit := client.Limit(changesPage)
	for {
		params := &client.ListChangesParams{Limit: &limit}
		if cursor != "" {
			params.After = &cursor
		}
		if len(o.types) > 0 {
			params.Types = &o.types
		}
		res, err := s.do(ctx, func(ctx context.Context) (*http.Response, error) { return s.api.ListChanges(ctx, params) })
		if err != nil {
			return err
		}
		items, next, err := readPage(res)
		if err != nil {
			return err
		}
		for _, item := range items {
			var line bytes.Buffer
			if err := json.Compact(&line, item); err != nil {
				return serverError("a change is not JSON: %v", err)
			}
			line.WriteByte('\n')
			if _, err := line.WriteTo(a.Stdout); err != nil {
				return err
			}
		}
		if next == nil || *next == "" {
			return serverError("the changes feed answered without a next_cursor")
		}
		cursor = *next
		if o.cursorFile != "" {
			if err := keepCursor(o.cursorFile, cursor); err != nil {
				return err
			}
		}
		if len(items) == changesPage {
			continue // more are waiting
		}
		if !o.follow {
			break
		}
		select {
		case <-ctx.Done():
			return nil // interrupted: the cursor kept is the last page's
		case <-time.After(o.every):
		}
	}
	if o.cursorFile == "" {
		fmt.Fprintf(a.Stderr, "Up to date. Carry on later with --after %s\n", cursor)
	}
	return nil
}

// keepCursor replaces file's content with cursor, whole or not at all: a run killed midway
// leaves the previous cursor, and the next run reads that page again rather than skipping it.
func keepCursor(file, cursor string) error {
	tmp, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+"-*") // created 0600
	if err != nil {
		return usageError("keep the cursor: %v", err)
	}
	defer os.Remove(tmp.Name()) // gone once renamed
	if _, err := tmp.WriteString(cursor + "\n"); err != nil {
		tmp.Close()
		return usageError("keep the cursor: %v", err)
	}
	if err := tmp.Close(); err != nil {
		return usageError("keep the cursor: %v", err)
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return usageError("keep the cursor: %v", err)
	}
	return nil
}
