package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// CatchUp reads the changes feed (GET /v1/changes) from after (empty: the feed's beginning)
// until it has caught up, calling apply for each change in order, and returns the cursor to
// resume from next time, which is never empty. It stops at the first page that is not full,
// or at apply's first error, which it returns with the cursor after the last change applied,
// so that a mirror resumes exactly where it stopped. A mirroring system calls it in a loop,
// pausing between calls:
//
//	for cursor := saved; ; time.Sleep(5 * time.Second) {
//		cursor, err = client.CatchUp(ctx, api, cursor, apply)
//		// save cursor, log err
//	}
func CatchUp(ctx context.Context, api ClientInterface, after string, apply func(ChangeEvent) error) (string, error) {
	limit := Limit(500)
	for {
		params := &ListChangesParams{Limit: &limit}
		if after != "" {
			params.After = &after
		}
		res, err := api.ListChanges(ctx, params)
		if err != nil {
			return after, err
		}
		if res.StatusCode != http.StatusOK {
			return after, apiError("read the changes feed", res)
		}
		var page ChangeEventPage
		err = json.NewDecoder(res.Body).Decode(&page)
		res.Body.Close()
		if err != nil {
			return after, fmt.Errorf("read the changes feed: %w", err)
		}
		for _, c := range page.Data {
			if err := apply(c); err != nil {
				return after, err
			}
			after = c.Cursor
		}
		after = page.NextCursor
		if len(page.Data) < int(limit) {
			return after, nil
		}
	}
}
