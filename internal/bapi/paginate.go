package bapi

import (
	"context"
	"iter"

	"github.com/clerk/clerk-sdk-go/v2"
)

// PageFunc fetches one page at limit/offset and returns its items and,
// when the API reports it (total >= 0), the total count.
type PageFunc[T any] func(ctx context.Context, limit, offset int) (items []T, total int64, err error)

// All iterates over every item, page after page of pageSize starting at
// offset, until a short page, the reported total, an error (yielded once,
// then the iteration ends) or the caller's break.
func All[T any](ctx context.Context, pageSize, offset int, fetch PageFunc[T]) iter.Seq2[T, error] {
	if pageSize <= 0 {
		pageSize = MaxLimit
	}
	return func(yield func(T, error) bool) {
		off := offset
		for {
			if err := ctx.Err(); err != nil {
				var zero T
				yield(zero, err)
				return
			}
			items, total, err := fetch(ctx, pageSize, off)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			off += len(items)
			if len(items) < pageSize || (total >= 0 && int64(off) >= total) {
				return
			}
		}
	}
}

// SetPage sets the limit and offset of a list request; 0 leaves each
// unset (the API's default).
func SetPage(q *clerk.ListParams, limit, offset int) {
	if limit > 0 {
		q.Limit = clerk.Int64(int64(limit))
	}
	if offset > 0 {
		q.Offset = clerk.Int64(int64(offset))
	}
}

// Fail returns an iterator that yields err once.
func Fail[T any](err error) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		yield(zero, err)
	}
}
