package metadata

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// ErrNotFound is wrapped by the error Get returns when the key is absent
// or null. Test for it with errors.Is.
var ErrNotFound = errors.New("metadata: key not found")

// maxDepth bounds the nesting of the JSON values this package parses, so
// that hostile input cannot exhaust the stack.
const maxDepth = 1000

// Get decodes the value of the top-level key of the metadata object raw
// into a T. It fails with an error wrapping ErrNotFound when raw is empty,
// null or {} without key, or when the key's value is null; and with a
// descriptive error when raw is not a JSON object (invalid JSON and
// duplicate keys included) or the value does not decode into a T.
func Get[T any](raw json.RawMessage, key string) (T, error) {
	var zero T
	obj, err := parseObject(raw, "metadata")
	if err != nil {
		return zero, err
	}
	v, ok := obj[key]
	if !ok || v == nil {
		return zero, fmt.Errorf("metadata: key %q: %w", key, ErrNotFound)
	}
	b, err := encode(v)
	if err != nil {
		return zero, err
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		return zero, fmt.Errorf("metadata: key %q: %w", key, err)
	}
	return out, nil
}

// Decode decodes the whole metadata object raw into a T (typically a
// struct with json tags, or a map). Empty and null raw give the zero T
// and no error, since Clerk reports absent metadata both ways.
func Decode[T any](raw json.RawMessage) (T, error) {
	var out T
	if isEmpty(raw) {
		return out, nil
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return out, fmt.Errorf("metadata: decode: %w", err)
	}
	return out, nil
}

// Merge returns current with patch merged into it the way Clerk's
// PATCH /v1/users/{id}/metadata (and the organization and membership
// equivalents) do:
//
//   - objects merge recursively, key by key, at any depth;
//   - a key whose patch value is null is removed (absent keys stay absent);
//   - any other value (string, number, boolean, array) replaces the current
//     one, and so does an object replacing a non-object; arrays are never
//     merged element by element;
//   - an object the patch introduces loses its null members, so the result
//     holds no null that the patch brought in (nulls already in current, and
//     nulls inside arrays, are kept).
//
// This is JSON Merge Patch (RFC 7386) applied to objects. Empty or null
// current counts as {}. patch must be a JSON object. Both
// must be valid UTF-8 JSON without duplicate object keys. Numbers keep
// their exact text; object keys come out sorted. Merging the same patch a
// second time changes nothing.
func Merge(current, patch json.RawMessage) (json.RawMessage, error) {
	cur, err := parseObject(current, "current metadata")
	if err != nil {
		return nil, err
	}
	if isEmpty(patch) {
		return nil, errors.New("metadata: patch must be a JSON object, got " + describe(patch))
	}
	p, err := parseObject(patch, "patch")
	if err != nil {
		return nil, err
	}
	return encode(mergeObjects(cur, p))
}

// Normalize returns the metadata object raw in canonical form: compact,
// keys sorted, numbers as written, no HTML escaping; empty or null raw
// gives {}. Nulls are kept. It fails, like Merge, when raw is not a JSON
// object, is invalid JSON or has duplicate keys. Two metadata values are
// the same object exactly when their normalized forms are equal.
func Normalize(raw json.RawMessage) (json.RawMessage, error) {
	obj, err := parseObject(raw, "metadata")
	if err != nil {
		return nil, err
	}
	return encode(obj)
}

// mergeObjects merges patch into cur (which it modifies) and returns cur.
func mergeObjects(cur, patch map[string]any) map[string]any {
	for k, pv := range patch {
		switch pv := pv.(type) {
		case nil:
			delete(cur, k)
		case map[string]any:
			if cv, ok := cur[k].(map[string]any); ok {
				cur[k] = mergeObjects(cv, pv)
			} else {
				cur[k] = mergeObjects(map[string]any{}, pv)
			}
		default:
			cur[k] = pv
		}
	}
	return cur
}

func isEmpty(raw []byte) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || string(t) == "null"
}

// describe names the kind of JSON value raw holds, for error messages.
func describe(raw []byte) string {
	t := bytes.TrimSpace(raw)
	switch {
	case len(t) == 0:
		return "nothing"
	case t[0] == '{':
		return "an object"
	case t[0] == '[':
		return "an array"
	case t[0] == '"':
		return "a string"
	case string(t) == "null":
		return "null"
	case string(t) == "true" || string(t) == "false":
		return "a boolean"
	}
	return "a number"
}

// parseObject parses raw, which must be empty, null or a JSON object, into
// a map whose values are nil, bool, json.Number, string, []any and
// map[string]any. what names raw in errors.
func parseObject(raw []byte, what string) (map[string]any, error) {
	if isEmpty(raw) {
		return map[string]any{}, nil
	}
	v, err := parse(raw)
	if err != nil {
		return nil, fmt.Errorf("metadata: %s: %w", what, err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("metadata: %s must be a JSON object, got %s", what, describe(raw))
	}
	return m, nil
}

// parse parses one JSON value, rejecting invalid UTF-8, duplicate object
// keys, nesting deeper than maxDepth and trailing data.
func parse(raw []byte) (any, error) {
	if !utf8.Valid(raw) {
		return nil, errors.New("invalid UTF-8")
	}
	if !json.Valid(raw) {
		// json.Valid gives no detail; Unmarshal gives the position.
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, fmt.Errorf("invalid JSON: %w", err)
		}
		return nil, errors.New("invalid JSON")
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	v, err := parseValue(d, 0)
	if err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, errors.New("invalid JSON: data after the value")
	}
	return v, nil
}

func parseValue(d *json.Decoder, depth int) (any, error) {
	tok, err := d.Token()
	if err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return tok, nil // nil, bool, json.Number or string
	}
	if depth >= maxDepth {
		return nil, fmt.Errorf("nesting deeper than %d levels", maxDepth)
	}
	switch delim {
	case '{':
		m := map[string]any{}
		for d.More() {
			kt, err := d.Token()
			if err != nil {
				return nil, fmt.Errorf("invalid JSON: %w", err)
			}
			k := kt.(string) // the decoder only yields string keys here
			if _, dup := m[k]; dup {
				return nil, fmt.Errorf("duplicate key %q", k)
			}
			v, err := parseValue(d, depth+1)
			if err != nil {
				return nil, err
			}
			m[k] = v
		}
		_, err = d.Token() // '}'
		return m, err
	case '[':
		a := []any{}
		for d.More() {
			v, err := parseValue(d, depth+1)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		_, err = d.Token() // ']'
		return a, err
	}
	return nil, fmt.Errorf("invalid JSON: unexpected %v", delim)
}

// encode writes v as compact JSON without HTML escaping.
func encode(v any) (json.RawMessage, error) {
	var buf bytes.Buffer
	e := json.NewEncoder(&buf)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		return nil, fmt.Errorf("metadata: encode: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
