// Query handling of list endpoints: filters, ordering and pagination.

package emulator

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// page is the limit and offset of a list request.
type page struct{ limit, offset int }

// pageParams reads limit and offset. Like Clerk, a limit outside 1..500
// is ignored (the default, 10, applies); a limit or offset that is not an
// integer, or a negative offset, is a 422.
func pageParams(q url.Values) (page, *apiError) {
	p := page{limit: 10}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return p, errFormat("limit", "limit must be an integer.")
		}
		if n >= 1 && n <= 500 {
			p.limit = n
		}
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return p, errFormat("offset", "offset must be an integer.")
		}
		if n < 0 {
			return p, errValue("offset", "offset must be greater than or equal to 0.")
		}
		p.offset = n
	}
	return p, nil
}

func paginate[T any](items []T, p page) []T {
	if p.offset >= len(items) {
		return []T{}
	}
	items = items[p.offset:]
	if len(items) > p.limit {
		items = items[:p.limit]
	}
	return items
}

// listPage answers page p of items in the listResponse shape, each item
// turned into JSON by toJSON.
func listPage[T, J any](items []T, p page, toJSON func(T) J) listResponse[J] {
	out := listResponse[J]{Data: []J{}, TotalCount: len(items)}
	for _, it := range paginate(items, p) {
		out.Data = append(out.Data, toJSON(it))
	}
	return out
}

// orderBy parses an order_by value such as "-created_at" or "name" ("+"
// implied) against the allowed fields.
func orderBy(q url.Values, def string, allowed ...string) (field string, desc bool, e *apiError) {
	v := q.Get("order_by")
	if v == "" {
		v = def
	}
	switch v[0] {
	case '-':
		desc, v = true, v[1:]
	case '+':
		v = v[1:]
	}
	if !slices.Contains(allowed, v) {
		return "", false, errValue("order_by", "order_by must be one of "+strings.Join(allowed, ", ")+", optionally prefixed with + or -.")
	}
	return v, desc, nil
}

// idFilter is a repeatable id parameter whose values may be prefixed with
// + (include, the default) or - (exclude).
type idFilter struct{ include, exclude []string }

func parseIDFilter(values []string) idFilter {
	var f idFilter
	for _, v := range values {
		switch {
		case strings.HasPrefix(v, "-"):
			f.exclude = append(f.exclude, v[1:])
		case strings.HasPrefix(v, "+"):
			f.include = append(f.include, v[1:])
		case v != "":
			f.include = append(f.include, v)
		}
	}
	return f
}

func (f idFilter) empty() bool { return len(f.include) == 0 && len(f.exclude) == 0 }

// match reports whether a thing related to ids passes the filter: it must
// relate to one of the included ids, if any, and to none of the excluded.
func (f idFilter) match(ids ...string) bool {
	if len(f.include) > 0 && !slices.ContainsFunc(ids, func(id string) bool { return slices.Contains(f.include, id) }) {
		return false
	}
	return !slices.ContainsFunc(ids, func(id string) bool { return slices.Contains(f.exclude, id) })
}

// sortKey is one value to order by; a null sorts as larger than any
// value, as in PostgreSQL (last ascending, first descending).
type sortKey struct {
	null bool
	s    string
	n    int64
}

func strKey(p *string) sortKey {
	if p == nil {
		return sortKey{null: true}
	}
	return sortKey{s: strings.ToLower(*p)}
}

func timeKey(t time.Time) sortKey {
	if t.IsZero() {
		return sortKey{null: true}
	}
	return sortKey{n: t.UnixMilli()}
}

func (a sortKey) cmp(b sortKey) int {
	switch {
	case a.null && b.null:
		return 0
	case a.null:
		return 1
	case b.null:
		return -1
	case a.s != b.s:
		return strings.Compare(a.s, b.s)
	}
	switch {
	case a.n < b.n:
		return -1
	case a.n > b.n:
		return 1
	}
	return 0
}

// sortBy sorts items by key, then by creation order (seq), both in the
// direction desc says.
func sortBy[T any](items []T, desc bool, key func(T) sortKey, seq func(T) int64) {
	slices.SortStableFunc(items, func(a, b T) int {
		c := key(a).cmp(key(b))
		if c == 0 {
			c = int(seq(a) - seq(b))
		}
		if desc {
			return -c
		}
		return c
	})
}

func parseBool(q url.Values, name string) (bool, *apiError) {
	v := q.Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, errFormat(name, name+" must be true or false.")
	}
	return b, nil
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

func parseInt64(v string) (int64, error) { return strconv.ParseInt(v, 10, 64) }
