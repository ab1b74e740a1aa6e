// Package strictjson validates untrusted JSON objects more strictly than
// encoding/json and walks their members by exact name.
//
// encoding/json accepts duplicate member names (the last one wins) and
// matches member names to struct fields case-insensitively, folding even
// non-ASCII letters ("ſub" fills a field tagged "sub"). For signed tokens and
// webhooks that is a way to make two parsers disagree about one document.
// Check rejects both ambiguities: a document passes only if no object in it
// has two members whose names are equal under encoding/json's own folding
// (bytes.EqualFold). Walk additionally hands the top-level members to a
// callback by their exact names, so that a caller decodes exactly the names
// it knows and nothing that merely folds to them.
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"unicode"
	"unicode/utf8"
)

// Errors returned by Check and Walk. Each wraps nothing else and never
// contains the input.
var (
	// ErrNotObject: the document is not exactly one JSON object.
	ErrNotObject = errors.New("strictjson: not a single JSON object")
	// ErrSyntax: the document is not valid JSON.
	ErrSyntax = errors.New("strictjson: invalid JSON")
	// ErrDuplicateName: an object has two members with the same name, or
	// with names that differ only in case (as encoding/json folds them).
	ErrDuplicateName = errors.New("strictjson: duplicate or case-folded duplicate member name")
	// ErrTooDeep: objects and arrays nest deeper than the limit.
	ErrTooDeep = errors.New("strictjson: JSON nested too deeply")
	// ErrBadName: a member name is not valid UTF-8.
	ErrBadName = errors.New("strictjson: member name is not valid UTF-8")
)

// Check reports whether b is one valid JSON object, nested at most maxDepth
// levels, in which no object has two members whose names are equal or equal
// ignoring case.
func Check(b []byte, maxDepth int) error {
	return Walk(b, maxDepth, nil)
}

// Walk checks b as Check does and calls member, when not nil, for each
// member of the top-level object in document order, with the member's
// name (escapes resolved) and its raw value. The whole document is checked
// before the first call, so member never sees a part of an invalid
// document. An error from member stops the walk and is returned as is.
// The slices passed to member alias b or a scratch buffer; member must not
// keep them.
func Walk(b []byte, maxDepth int, member func(name, value []byte) error) error {
	s := scanner{b: b, maxDepth: maxDepth}
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '{' {
		return ErrNotObject
	}
	if err := s.value(0); err != nil {
		return err
	}
	s.ws()
	if s.i != len(s.b) {
		return ErrNotObject
	}
	if member == nil {
		return nil
	}
	// Second, cheap pass over the top level only: the document is known
	// to be valid, so values are skipped by bracket matching.
	s.i = 0
	s.ws()
	s.i++ // '{'
	for {
		s.ws()
		if s.b[s.i] == '}' {
			return nil
		}
		name, _ := s.str()
		s.ws()
		s.i++ // ':'
		s.ws()
		start := s.i
		s.skip()
		if err := member(name, s.b[start:s.i]); err != nil {
			return err
		}
		s.ws()
		if s.b[s.i] == ',' {
			s.i++
		}
	}
}

// Object returns whether raw (a value passed to a Walk callback) is a JSON
// object, so that a caller can Walk it in turn.
func Object(raw []byte) bool { return len(raw) > 0 && raw[0] == '{' }

type scanner struct {
	b        []byte
	i        int
	maxDepth int
	wide     []*wide // by depth, for objects with many names
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) value(depth int) error {
	if depth > s.maxDepth {
		return ErrTooDeep
	}
	s.ws()
	if s.i >= len(s.b) {
		return ErrSyntax
	}
	switch c := s.b[s.i]; {
	case c == '{':
		return s.object(depth)
	case c == '[':
		return s.array(depth)
	case c == '"':
		_, err := s.str()
		return err
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		return s.number()
	}
	return ErrSyntax
}

func (s *scanner) literal(lit string) error {
	if !bytes.HasPrefix(s.b[s.i:], []byte(lit)) {
		return ErrSyntax
	}
	s.i += len(lit)
	return nil
}

// number scans -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?.
func (s *scanner) number() error {
	if s.b[s.i] == '-' {
		s.i++
	}
	switch {
	case s.i < len(s.b) && s.b[s.i] == '0':
		s.i++
	case s.i < len(s.b) && s.b[s.i] >= '1' && s.b[s.i] <= '9':
		s.digits()
	default:
		return ErrSyntax
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if s.digits() == 0 {
			return ErrSyntax
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if s.digits() == 0 {
			return ErrSyntax
		}
	}
	return nil
}

func (s *scanner) digits() int {
	start := s.i
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
	}
	return s.i - start
}

func (s *scanner) array(depth int) error {
	s.i++ // '['
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		return nil
	}
	for {
		if err := s.value(depth + 1); err != nil {
			return err
		}
		if end, err := s.next(']'); end || err != nil {
			return err
		}
	}
}

// smallObject is how many names an object may have before they are
// compared through a hash of their folded form instead of pairwise.
const smallObject = 16

// wide is the bookkeeping of an object with more than smallObject names:
// the names so far and, by the hash of each folded name, its index. It is
// kept per depth and reused, so that wide objects cost no allocation per
// name.
type wide struct {
	names  [][]byte
	byHash map[uint64]int
}

func (s *scanner) object(depth int) error {
	s.i++ // '{'
	var small [smallObject][]byte
	names := small[:0]
	var w *wide
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return nil
	}
	for {
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != '"' {
			return ErrSyntax
		}
		name, err := s.str()
		if err != nil {
			return err
		}
		if !utf8.Valid(name) {
			return ErrBadName
		}
		if w != nil {
			if w.has(name) {
				return ErrDuplicateName
			}
		} else {
			for _, x := range names {
				if bytes.EqualFold(x, name) {
					return ErrDuplicateName
				}
			}
			names = append(names, name)
			if len(names) == len(small) {
				w = s.wideAt(depth)
				for _, x := range names {
					w.has(x)
				}
			}
		}
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return ErrSyntax
		}
		s.i++
		if err := s.value(depth + 1); err != nil {
			return err
		}
		if end, err := s.next('}'); end || err != nil {
			return err
		}
	}
}

// wideAt returns the emptied wide bookkeeping for an object at depth.
func (s *scanner) wideAt(depth int) *wide {
	for len(s.wide) <= depth {
		s.wide = append(s.wide, nil)
	}
	w := s.wide[depth]
	if w == nil {
		w = &wide{byHash: make(map[uint64]int)}
		s.wide[depth] = w
	}
	w.names = w.names[:0]
	clear(w.byHash)
	return w
}

// has reports whether name folds to a name already seen, and records it.
// Names whose folded forms collide in the hash are compared exactly.
func (w *wide) has(name []byte) bool {
	h := foldHash(name)
	if i, ok := w.byHash[h]; ok {
		if bytes.EqualFold(w.names[i], name) {
			return true
		}
		for _, x := range w.names { // a hash collision: be exact
			if bytes.EqualFold(x, name) {
				return true
			}
		}
	} else {
		w.byHash[h] = len(w.names)
	}
	w.names = append(w.names, name)
	return false
}

// next consumes what follows a member or element: a ',' (end is false) or
// the container's closing byte (end is true).
func (s *scanner) next(closing byte) (end bool, err error) {
	s.ws()
	if s.i >= len(s.b) {
		return false, ErrSyntax
	}
	c := s.b[s.i]
	s.i++
	switch c {
	case closing:
		return true, nil
	case ',':
		return false, nil
	}
	return false, ErrSyntax
}

// str scans the JSON string at s.i and returns its value with escapes
// resolved as encoding/json resolves them (so "a" and "\u0061" are the
// same name). Without escapes the value is a slice of the input. Control
// characters and malformed escapes are syntax errors.
func (s *scanner) str() ([]byte, error) {
	start := s.i
	s.i++
	escaped := false
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			raw := s.b[start:s.i]
			if !escaped {
				return raw[1 : len(raw)-1], nil
			}
			var v string
			if err := json.Unmarshal(raw, &v); err != nil {
				return nil, ErrSyntax
			}
			return []byte(v), nil
		case c == '\\':
			escaped = true
			if s.i+1 >= len(s.b) {
				return nil, ErrSyntax
			}
			switch s.b[s.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i += 2
			case 'u':
				if s.i+6 > len(s.b) || !isHex4(s.b[s.i+2:s.i+6]) {
					return nil, ErrSyntax
				}
				s.i += 6
			default:
				return nil, ErrSyntax
			}
		case c < 0x20:
			return nil, ErrSyntax
		default:
			s.i++
		}
	}
	return nil, ErrSyntax
}

func isHex4(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// skip moves past the value at s.i, which is known to be valid.
func (s *scanner) skip() {
	switch s.b[s.i] {
	case '"':
		_, _ = s.str()
	case '{', '[':
		depth := 0
		for ; s.i < len(s.b); s.i++ {
			switch s.b[s.i] {
			case '"':
				_, _ = s.str()
				s.i-- // the loop's increment moves past the closing quote
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					s.i++
					return
				}
			}
		}
	default:
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return
			}
			s.i++
		}
	}
}

// foldHash is the 64-bit FNV-1a hash of name folded so that two names
// have the same fold exactly when bytes.EqualFold says they are equal: each
// rune becomes the smallest rune of its simple case-folding orbit, as
// encoding/json folds field names.
func foldHash(name []byte) uint64 {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	for i := 0; i < len(name); {
		r, n := rune(name[i]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeRune(name[i:])
			r = foldRune(r)
		} else if 'a' <= r && r <= 'z' {
			r -= 'a' - 'A'
		}
		i += n
		for v := uint32(r); ; v >>= 8 {
			h = (h ^ uint64(v&0xff)) * prime
			if v < 0x100 {
				break
			}
		}
	}
	return h
}

func foldRune(r rune) rune {
	for {
		r2 := unicode.SimpleFold(r)
		if r2 <= r {
			return r2
		}
		r = r2
	}
}
