package auth

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/clerkkit/clerkkit/internal/strictjson"
)

// Clerk's token categories (the cat header).
const (
	catSession = "cl_B7d4PD111AAA"
	// catSessionAlt is stamped on every token by some instances; Clerk's
	// SDKs treat it as a session token.
	catSessionAlt = "cl_I7d4PD111III"
	catTemplate   = "cl_B7d4PD222AAA"
	catMachine    = "cl_B7d4PD333AAA"
)

// header is the protected header of a session token.
type header struct {
	Alg  string
	Kid  string
	Typ  *string
	Cat  *string
	Crit []byte // present (even null) means a critical extension
	B64  []byte
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

// parseCompact parses a session token: parseJWS, then the session
// header checks (typ, cat).
func parseCompact(token string) (*parsed, error) {
	p, err := parseJWS(token)
	if err != nil {
		return nil, err
	}
	if err := p.hdr.sessionChecks(); err != nil {
		return nil, err
	}
	return p, nil
}

// sessionChecks rejects a header that is not a session token's: typ other
// than JWT, or a category other than the session ones.
func (h *header) sessionChecks() error {
	if h.Typ != nil && !strings.EqualFold(*h.Typ, "JWT") {
		return fail(ErrTokenType, "typ must be JWT")
	}
	if h.Cat != nil && *h.Cat != catSession && *h.Cat != catSessionAlt {
		switch *h.Cat {
		case catTemplate:
			return fail(ErrTokenType, "JWT-template token, not a session token")
		case catMachine:
			return fail(ErrTokenType, "machine token, not a session token")
		}
		return fail(ErrTokenType, "unknown token category")
	}
	return nil
}

// parseJWS splits a compact JWS and checks everything that can be checked
// before the signature whatever the token's kind: the character set, the
// three segments, strict unpadded base64url, a duplicate-free JSON header,
// the algorithm allowlist and crit. The size cap is applied by the caller,
// and typ and cat by the caller that knows the kind it expects.
func parseJWS(token string) (*parsed, error) {
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
	if err := p.hdr.decode(hb); err != nil {
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
	if p.hdr.Crit != nil || p.hdr.B64 != nil {
		return nil, fail(ErrMalformed, "critical header extensions are not supported")
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

// maxJSONDepth bounds nesting in token JSON.
const maxJSONDepth = 32

// decode fills h from the JSON header b, matching member names exactly
// (see claims.decode).
func (h *header) decode(b []byte) error {
	return strictjson.Walk(b, maxJSONDepth, func(name, v []byte) error {
		var err error
		switch string(name) {
		case "alg":
			h.Alg, err = jsonString(v)
		case "kid":
			h.Kid, err = jsonString(v)
		case "typ":
			h.Typ, err = optString(v)
		case "cat":
			h.Cat, err = optString(v)
		case "crit":
			h.Crit = v
		case "b64":
			h.B64 = v
		}
		if err != nil {
			return fmt.Errorf("header %s: %w", name, err)
		}
		return nil
	})
}

// optString decodes a JSON string that may be null (nil) or absent.
func optString(v []byte) (*string, error) {
	if isNull(v) {
		return nil, nil
	}
	s, err := jsonString(v)
	return &s, err
}
