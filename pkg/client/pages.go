package client

import (
	"context"
	"errors"
	"iter"

	"github.com/oapi-codegen/nullable"
)

// All walks a paginated list: it calls page with a nil cursor, then with each page's
// next_cursor until that is null, and yields every item in order. page fetches one page,
// typically by calling a List operation with the cursor and returning its data and
// NextCursor(next_cursor).
//
// The iteration stops without fetching further pages when the loop body breaks. When page
// fails, the error is yielded once, with the zero T, and the iteration ends.
func All[T any](ctx context.Context, page func(ctx context.Context, cursor *string) (items []T, next *string, err error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var cursor *string
		for {
			items, next, err := page(ctx, cursor)
			if err == nil && next != nil && cursor != nil && *next == *cursor {
				err = errors.New("p4w: the next page's cursor is the current one; the list would never end")
			}
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, item := range items {
				if !yield(item, nil) {
					return
				}
			}
			if next == nil {
				return
			}
			cursor = next
		}
	}
}

// NextCursor turns a page's next_cursor into the cursor of the next page, nil after the last.
func NextCursor(next nullable.Nullable[string]) *string {
	cursor, err := next.Get()
	if err != nil { // null or absent: this was the last page
		return nil
	}
	return &cursor
}
