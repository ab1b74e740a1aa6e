package auth

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
)

// Clerk's token categories (the cat header).
const (
	catSession  = "cl_B7d4PD111AAA"
	catTemplate = "cl_B7d4PD222AAA"
	catMachine  = "cl_B7d4PD333AAA"
)

// header is the protected header of a session token.
type header struct {
	Alg  string          `json:"alg"`
	Kid  string          `json:"kid"`
	Typ  *string         `json:"typ"`
	Cat  *string         `json:"cat"`
	Crit json.RawMessage `json:"crit"`
	B64  json.RawMessage `json:"b64"`
}

// parsed is a compact JWS split and checked up to (not including) the
// signature.
type parsed struct {
	hdr          header
	hash         crypto.Hash
	signingInput string
	payload      []byte
	sig          []byte
}

// parseCompact splits a compact JWS and checks everything that can be
// checked before the signature: the character set, the three segments,
// strict unpadded base64url, a duplicate-free JSON header, the algorithm
// allowlist, typ, crit and cat. The size cap is applied by the caller.
func parseCompact(token string) (*parsed, error) {
	// The strict decoder below rejects every character outside base64url
	// except CR and LF, which encoding/base64 skips: reject those here.
	if strings.ContainsAny(token, "\r\n") {
		return nil, fail(ErrMalformed, "token has characters outside base64url")
	}
	h, rest, ok := strings.Cut(token, ".")
	pl, sg, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 || strings.Contains(sg, ".") {
		return nil, fail(ErrMalformed, "token must have three segments")
	}
	if h == "" || pl == "" || sg == "" {
		return nil, fail(ErrMalformed, "token has an empty segment")
	}
	// One buffer for the three decoded segments.
	enc := base64.RawURLEncoding.Strict()
	buf := make([]byte, enc.DecodedLen(len(h))+enc.DecodedLen(len(pl))+enc.DecodedLen(len(sg)))
	hb, err := decodeInto(buf, h)
	if err != nil {
		return nil, fail(ErrMalformed, "header is not base64url")
	}
	buf = buf[len(hb):]
	p := &parsed{signingInput: token[:len(h)+1+len(pl)]}
	if err := decodeStrictJSON(hb, &p.hdr); err != nil {
		return nil, failCause(ErrMalformed, "header", err)
	}
	switch p.hdr.Alg {
	case "RS256":
		p.hash = crypto.SHA256
	case "RS384":
		p.hash = crypto.SHA384
	case "RS512":
		p.hash = crypto.SHA512
	default:
		return nil, fail(ErrAlgorithm, "alg must be RS256, RS384 or RS512")
	}
	if p.hdr.Typ != nil && !strings.EqualFold(*p.hdr.Typ, "JWT") {
		return nil, fail(ErrTokenType, "typ must be JWT")
	}
	if p.hdr.Crit != nil || p.hdr.B64 != nil {
		return nil, fail(ErrMalformed, "critical header extensions are not supported")
	}
	if p.hdr.Cat != nil && *p.hdr.Cat != catSession {
		switch *p.hdr.Cat {
		case catTemplate:
			return nil, fail(ErrTokenType, "JWT-template token, not a session token")
		case catMachine:
			return nil, fail(ErrTokenType, "machine token, not a session token")
		}
		return nil, fail(ErrTokenType, "unknown token category")
	}
	if p.payload, err = decodeInto(buf, pl); err != nil {
		return nil, fail(ErrMalformed, "payload is not base64url")
	}
	buf = buf[len(p.payload):]
	if p.sig, err = decodeInto(buf, sg); err != nil {
		return nil, fail(ErrMalformed, "signature is not base64url")
	}
	return p, nil
}

// decodeInto decodes unpadded base64url strictly (no padding, no
// non-zero trailing bits) into the front of buf, which must be large
// enough, and returns the decoded bytes with their capacity capped.
func decodeInto(buf []byte, s string) ([]byte, error) {
	n, err := base64.RawURLEncoding.Strict().Decode(buf, []byte(s))
	if err != nil {
		return nil, err
	}
	return buf[:n:n], nil
}

// verifySignature checks the RSASSA-PKCS1-v1_5 signature of p with k.
func (p *parsed) verifySignature(k *publicKey) error {
	if k.alg != "" && k.alg != p.hdr.Alg {
		return fail(ErrSignature, "key is not for this algorithm")
	}
	var digest []byte
	switch p.hash {
	case crypto.SHA256:
		d := sha256.Sum256([]byte(p.signingInput))
		digest = d[:]
	case crypto.SHA384:
		d := sha512.Sum384([]byte(p.signingInput))
		digest = d[:]
	default:
		d := sha512.Sum512([]byte(p.signingInput))
		digest = d[:]
	}
	if err := rsa.VerifyPKCS1v15(k.key, p.hash, digest, p.sig); err != nil {
		return fail(ErrSignature, "signature does not verify")
	}
	return nil
}

// decodeStrictJSON unmarshals a JSON object into v after checking that it
// is one object with no duplicate member names at any depth.
func decodeStrictJSON(b []byte, v any) error {
	if err := checkNoDuplicates(b); err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// maxJSONDepth bounds nesting in token JSON.
const maxJSONDepth = 32

var errDuplicateKey = errors.New("duplicate JSON member name")

// checkNoDuplicates walks a JSON document and fails on a duplicate member
// name in any object, on nesting deeper than maxJSONDepth, and when the
// top-level value is not an object. It only checks structure; full syntax
// is left to encoding/json.
func checkNoDuplicates(b []byte) error {
	d := dupScanner{b: b}
	d.ws()
	if d.i >= len(d.b) || d.b[d.i] != '{' {
		return errors.New("not a JSON object")
	}
	if err := d.value(0); err != nil {
		return err
	}
	d.ws()
	if d.i != len(d.b) {
		return errors.New("trailing data after JSON object")
	}
	return nil
}

type dupScanner struct {
	b []byte
	i int
}

var errSyntax = errors.New("invalid JSON")

func (d *dupScanner) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *dupScanner) value(depth int) error {
	if depth > maxJSONDepth {
		return errors.New("JSON nested too deeply")
	}
	d.ws()
	if d.i >= len(d.b) {
		return errSyntax
	}
	switch d.b[d.i] {
	case '{':
		return d.object(depth)
	case '[':
		d.i++
		d.ws()
		if d.i < len(d.b) && d.b[d.i] == ']' {
			d.i++
			return nil
		}
		for {
			if err := d.value(depth + 1); err != nil {
				return err
			}
			if end, err := d.next(']'); end || err != nil {
				return err
			}
		}
	case '"':
		_, err := d.str()
		return err
	default:
		// number, true, false, null: skip to the next delimiter.
		start := d.i
		for d.i < len(d.b) && !strings.ContainsRune(",]} \t\r\n", rune(d.b[d.i])) {
			d.i++
		}
		if d.i == start {
			return errSyntax
		}
		return nil
	}
}

func (d *dupScanner) object(depth int) error {
	d.i++ // '{'
	var small [16][]byte
	keys := small[:0]
	var many map[string]struct{}
	d.ws()
	if d.i < len(d.b) && d.b[d.i] == '}' {
		d.i++
		return nil
	}
	for {
		d.ws()
		if d.i >= len(d.b) || d.b[d.i] != '"' {
			return errSyntax
		}
		k, err := d.str()
		if err != nil {
			return err
		}
		if many != nil {
			if _, dup := many[string(k)]; dup {
				return errDuplicateKey
			}
			many[string(k)] = struct{}{}
		} else {
			for _, x := range keys {
				if bytes.Equal(x, k) {
					return errDuplicateKey
				}
			}
			keys = append(keys, k)
			if len(keys) == len(small) {
				many = make(map[string]struct{}, 2*len(keys))
				for _, x := range keys {
					many[string(x)] = struct{}{}
				}
			}
		}
		d.ws()
		if d.i >= len(d.b) || d.b[d.i] != ':' {
			return errSyntax
		}
		d.i++
		if err := d.value(depth + 1); err != nil {
			return err
		}
		if end, err := d.next('}'); end || err != nil {
			return err
		}
	}
}

// next consumes what follows a member or element: a ',' (end is false) or
// the container's closing byte (end is true).
func (d *dupScanner) next(closing byte) (end bool, err error) {
	d.ws()
	if d.i >= len(d.b) {
		return false, errSyntax
	}
	c := d.b[d.i]
	d.i++
	switch c {
	case closing:
		return true, nil
	case ',':
		return false, nil
	}
	return false, errSyntax
}

// str scans a JSON string starting at '"' and returns its decoded value
// (escapes resolved, so "a" and "\u0061" compare equal). Without escapes
// the value is a slice of the input.
func (d *dupScanner) str() ([]byte, error) {
	start := d.i
	d.i++
	escaped := false
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case '\\':
			escaped = true
			d.i += 2
			continue
		case '"':
			d.i++
			raw := d.b[start:d.i]
			if !escaped {
				return raw[1 : len(raw)-1], nil
			}
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return nil, errSyntax
			}
			return []byte(s), nil
		}
		d.i++
	}
	return nil, errSyntax
}
