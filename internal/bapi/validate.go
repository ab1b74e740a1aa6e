package bapi

import (
	"bytes"
	"encoding/json"
	"github.com/clerkkit/clerkkit/auth"
	"strconv"
	"strings"
	"unicode"
)

// MaxLimit is the largest page the Backend API serves.
const MaxLimit = 500

// maxIDLen bounds identifiers; Clerk's are about 32 bytes.
const maxIDLen = 256

// ID checks a value that goes into a URL path segment (an id or a slug):
// not empty, at most 256 bytes of letters, digits, '_', '-', '.' and '~',
// not starting with '-' or '+' (list filters read those as operators),
// not "." and without "..". So it cannot add, remove or replace segments,
// nor add a query or a fragment, nor be escaped into one.
func ID(op, field, v string) error {
	if v == "" {
		return InputError(op, field, "must not be empty")
	}
	if len(v) > maxIDLen {
		return InputError(op, field, "is too long")
	}
	if v[0] == '-' {
		return InputError(op, field, `must not start with "-"`)
	}
	if strings.Contains(v, "..") {
		return InputError(op, field, `must not contain ".."`)
	}
	if v == "." {
		return InputError(op, field, `must not be "."`)
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '-', c == '.', c == '~':
		case c == '/', c == '?', c == '#', c == '%', c == '\\', c == '+', c == '&', c == '=', c == ';':
			return InputError(op, field, "must not contain "+strconv.QuoteRune(rune(c)))
		case c <= ' ' || c == 0x7f:
			return InputError(op, field, "must not contain spaces or control characters")
		default:
			return InputError(op, field, "must contain only letters, digits, '_', '-', '.' and '~'")
		}
	}
	return nil
}

// IDs checks a list filter of ids: at most max entries, each a valid ID.
func IDs(op, field string, vs []string, max int) error {
	if len(vs) > max {
		return InputError(op, field, "accepts at most "+strconv.Itoa(max)+" values")
	}
	for _, v := range vs {
		if err := ID(op, field, v); err != nil {
			return err
		}
	}
	return nil
}

// Text checks a free-text parameter: no control characters, at most n
// bytes (0 = no bound). Empty is allowed unless required.
func Text(op, field, v string, required bool, n int) error {
	if v == "" {
		if required {
			return InputError(op, field, "must not be empty")
		}
		return nil
	}
	if required && strings.TrimSpace(v) == "" {
		return InputError(op, field, "must not be blank")
	}
	if n > 0 && len(v) > n {
		return InputError(op, field, "is too long")
	}
	if strings.ContainsFunc(v, unicode.IsControl) {
		return InputError(op, field, "must not contain control characters")
	}
	return nil
}

// Texts checks each entry of a list filter with Text (required) and the
// list's length.
func Texts(op, field string, vs []string, max int) error {
	if len(vs) > max {
		return InputError(op, field, "accepts at most "+strconv.Itoa(max)+" values")
	}
	for _, v := range vs {
		if err := Text(op, field, v, true, 1024); err != nil {
			return err
		}
	}
	return nil
}

// Email checks an email address: one '@' with text on both sides, no
// spaces or control characters.
func Email(op, field, v string) error {
	if v == "" {
		return InputError(op, field, "must not be empty")
	}
	if len(v) > 320 {
		return InputError(op, field, "is too long")
	}
	if strings.ContainsFunc(v, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return InputError(op, field, "must not contain spaces or control characters")
	}
	local, domain, ok := strings.Cut(v, "@")
	if !ok || local == "" || domain == "" || strings.Contains(domain, "@") {
		return InputError(op, field, "is not an email address")
	}
	return nil
}

// Role checks an organization role key and returns it in the form Clerk
// expects, auth.OrgPrefixed ("admin" becomes "org:admin").
func Role(op, field, v string) (string, error) {
	if v == "" {
		return "", InputError(op, field, "must not be empty")
	}
	role := auth.OrgPrefixed(v)
	key := role[len("org:"):]
	if key == "" {
		return "", InputError(op, field, "must name a role after \"org:\"")
	}
	if err := keyChars(op, field, key); err != nil {
		return "", err
	}
	if len(key) > 128 {
		return "", InputError(op, field, "is too long")
	}
	return role, nil
}

// Permission checks an organization permission, "org:<feature>:<perm>"
// (the prefix may be left out), and returns it auth.OrgPrefixed.
func Permission(op, field, v string) (string, error) {
	perm := auth.OrgPrefixed(v)
	feature, action, ok := strings.Cut(perm[len("org:"):], ":")
	if !ok || feature == "" || action == "" || strings.Contains(action, ":") {
		return "", InputError(op, field, `must look like "org:<feature>:<permission>"`)
	}
	if err := keyChars(op, field, perm[len("org:"):]); err != nil {
		return "", err
	}
	return perm, nil
}

// keyChars checks that a role or permission key has only the characters
// Clerk allows in keys.
func keyChars(op, field, key string) error {
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == ':') {
			return InputError(op, field, "must contain only letters, digits, '_', '-' and ':'")
		}
	}
	return nil
}

// Prefixed checks an id as ID and that it starts with one of prefixes
// ("mch_", "ak_", …) followed by at least one character, so an id of the
// wrong kind (a user id where a machine id belongs) fails before any
// request.
func Prefixed(op, field, v string, prefixes ...string) error {
	if err := ID(op, field, v); err != nil {
		return err
	}
	for _, p := range prefixes {
		if len(v) > len(p) && strings.HasPrefix(v, p) {
			return nil
		}
	}
	return InputError(op, field, "must start with "+strings.Join(prefixes, " or "))
}

// HexID checks an id that is one of prefixes followed by exactly 32 hex
// digits, as the ids of API keys (ak_…) and M2M tokens (mt_…) are. Their
// secrets share the prefixes but not the form, so a secret passed where
// the id belongs fails here instead of landing in a URL path (and in
// access logs).
func HexID(op, field, v string, prefixes ...string) error {
	if err := Prefixed(op, field, v, prefixes...); err != nil {
		return err
	}
	for _, p := range prefixes {
		if rest, ok := strings.CutPrefix(v, p); ok && len(rest) == 32 && strings.Trim(rest, "0123456789abcdefABCDEF") == "" {
			return nil
		}
	}
	return InputError(op, field, "must be an id ("+strings.Join(prefixes, " or ")+" and 32 hex digits), not a secret or token")
}

// PageMax is Page for endpoints serving at most max items per page (the
// API key and M2M token lists serve 100).
func PageMax(op string, limit, offset, max int) error {
	if limit < 0 || limit > max {
		return InputError(op, "Limit", "must be between 1 and "+strconv.Itoa(max)+" (0 for the default)")
	}
	if offset < 0 {
		return InputError(op, "Offset", "must not be negative")
	}
	return nil
}

// Page checks limit and offset. limit 0 means "not set"; otherwise it must
// be within 1..500: the API would silently serve its default instead.
func Page(op string, limit, offset int) error {
	if limit < 0 || limit > MaxLimit {
		return InputError(op, "Limit", "must be between 1 and 500 (0 for the default)")
	}
	if offset < 0 {
		return InputError(op, "Offset", "must not be negative")
	}
	return nil
}

// Object marshals v, which must encode as a JSON object, for a metadata
// field. nil (or anything encoding as null) gives nil: the field is not
// sent.
func Object(op, field string, v any) (*json.RawMessage, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, InputError(op, field, "cannot be encoded as JSON: "+err.Error())
	}
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		return nil, nil
	}
	if len(b) == 0 || b[0] != '{' {
		return nil, InputError(op, field, "must be a JSON object")
	}
	raw := json.RawMessage(b)
	return &raw, nil
}
