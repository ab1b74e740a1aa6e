package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/clerkkit/clerkkit/internal/strictjson"
)

// Session is a verified Clerk session: the claims of a session token, in one
// shape for both claim versions. A Session is immutable once returned; the
// same *Session may be handed to many requests (see the verified-token
// cache), so do not modify it.
type Session struct {
	// UserID is the sub claim (user_…).
	UserID string
	// SessionID is the sid claim (sess_…).
	SessionID string
	// Issuer is the iss claim (the Frontend API URL).
	Issuer string
	// AuthorizedParty is the azp claim (the origin that minted the token),
	// "" when absent.
	AuthorizedParty string
	// IssuedAt, NotBefore and ExpiresAt are the iat, nbf and exp claims.
	// IssuedAt and NotBefore are zero when absent.
	IssuedAt, NotBefore, ExpiresAt time.Time
	// Version is the claim version: 2 when the v claim is 2, else 1 (as
	// Clerk's parser reads an absent or unknown v).
	Version int
	// OrgID, OrgSlug and OrgRole describe the active organization; all are
	// "" without one. OrgRole always carries the "org:" prefix.
	OrgID, OrgSlug, OrgRole string
	// OrgPermissions lists the active organization permissions, as
	// "org:<feature>:<permission>".
	OrgPermissions []string
	// Features lists the fea claim entries, trimmed, scoped
	// ("o:dashboard", "u:export", "ou:…"). An empty entry is kept as "".
	Features []string
	// Plans lists the pla claim entries ("u:free", "o:pro").
	Plans []string
	// Actor is the impersonating actor (act claim), nil when absent.
	Actor *Actor
	// Status is the session status (sts claim): "active", "pending", or ""
	// when the token does not say.
	Status string
	// FactorVerificationAge holds the fva claim: minutes since the first
	// and second factor were last verified (-1 = not enrolled). Nil when
	// absent or not two such numbers.
	FactorVerificationAge *[2]int

	raw []byte
	// fracTimes: the iat or exp claim has a non-zero fraction, which the
	// times above drop (peekToken then reads the token itself).
	fracTimes bool
}

// Actor is the act claim of an impersonated session.
type Actor struct {
	Issuer    string `json:"iss,omitempty"`
	SessionID string `json:"sid,omitempty"`
	Subject   string `json:"sub"`
}

// Pending reports whether the session is pending (signed in, tasks left).
func (s *Session) Pending() bool { return s.Status == "pending" }

// Impersonated reports whether an actor is acting as the user.
func (s *Session) Impersonated() bool { return s.Actor != nil }

// RawClaims returns a copy of the token's claims, as signed.
func (s *Session) RawClaims() json.RawMessage {
	return append(json.RawMessage(nil), s.raw...)
}

// DecodeClaims decodes all the token's claims into v, e.g. a struct with
// the fields of a custom session-token template.
func (s *Session) DecodeClaims(v any) error {
	return json.Unmarshal(s.raw, v)
}

// ErrClaimNotFound is returned by Claim when the token has no such claim.
var ErrClaimNotFound = errors.New("clerkkit/auth: claim not found")

// Claim decodes the custom claim name (for example "metadata" from a
// session-token template) into a T. It returns an error wrapping
// ErrClaimNotFound when the claim is absent or null.
func Claim[T any](s *Session, name string) (T, error) {
	var out T
	var all map[string]json.RawMessage
	if err := json.Unmarshal(s.raw, &all); err != nil {
		return out, fmt.Errorf("clerkkit/auth: decode claims: %w", err)
	}
	v, ok := all[name]
	if !ok || string(v) == "null" {
		return out, fmt.Errorf("%w: %q", ErrClaimNotFound, name)
	}
	if err := json.Unmarshal(v, &out); err != nil {
		return out, fmt.Errorf("clerkkit/auth: decode claim %q: %w", name, err)
	}
	return out, nil
}

type sessionKey struct{}

// WithSession returns a copy of ctx carrying s.
func WithSession(ctx context.Context, s *Session) context.Context {
	return context.WithValue(ctx, sessionKey{}, s)
}

// FromContext returns the session stored by WithSession (as the middleware
// does), and whether there is one.
func FromContext(ctx context.Context) (*Session, bool) {
	s, ok := ctx.Value(sessionKey{}).(*Session)
	return s, ok && s != nil
}

// claims is the payload of a session token. It is decoded by name, exactly
// (see decode), never through encoding/json's case-insensitive matching.
type claims struct {
	Sub            *string
	Sid            string
	Iss            string
	Azp            string
	Exp            numericDate
	Nbf            numericDate
	Iat            numericDate
	V              int // 2 for v2 claims, else 1
	Act            *Actor
	Sts            string
	Fva            *[2]int // nil when absent or not Clerk's shape
	Fea            string
	Pla            string
	OrgID          string
	OrgSlug        string
	OrgRole        string
	OrgPermissions []string
	O              *orgClaimsV2
}

type orgClaimsV2 struct {
	ID, Slg, Rol, Per, Fpm string
}

// decode fills c from the JSON payload b. Member names are matched
// exactly: "ſub" or "SUB" is not sub (encoding/json would fold them), and
// no object may hold two names that fold together (strictjson.Check), so
// DecodeClaims and Claim cannot see another value than the one decoded
// here.
func (c *claims) decode(b []byte) error {
	return strictjson.Walk(b, maxJSONDepth, func(name, v []byte) error {
		var err error
		switch string(name) {
		case "sub":
			if !isNull(v) {
				var s string
				s, err = jsonString(v)
				c.Sub = &s
			}
		case "sid":
			c.Sid, err = jsonString(v)
		case "iss":
			c.Iss, err = jsonString(v)
		case "azp":
			c.Azp, err = jsonString(v)
		case "exp":
			err = c.Exp.UnmarshalJSON(v)
		case "nbf":
			err = c.Nbf.UnmarshalJSON(v)
		case "iat":
			err = c.Iat.UnmarshalJSON(v)
		case "v":
			c.V = claimsVersion(v)
		case "act":
			c.Act, err = decodeActor(v)
		case "sts":
			c.Sts, err = jsonString(v)
		case "fva":
			c.Fva = factorAges(v)
		case "fea":
			c.Fea, err = jsonString(v)
		case "pla":
			c.Pla, err = jsonString(v)
		case "org_id":
			c.OrgID, err = jsonString(v)
		case "org_slug":
			c.OrgSlug, err = jsonString(v)
		case "org_role":
			c.OrgRole, err = jsonString(v)
		case "org_permissions":
			err = json.Unmarshal(v, &c.OrgPermissions)
		case "o":
			c.O, err = decodeOrgV2(v)
		}
		if err != nil {
			return fmt.Errorf("claim %s: %w", name, err)
		}
		return nil
	})
}

var errNotString = errors.New("not a string")

func isNull(v []byte) bool { return string(v) == "null" }

// jsonString decodes a JSON string value (null gives ""), as encoding/json
// decodes into a string.
func jsonString(v []byte) (string, error) {
	if isNull(v) {
		return "", nil
	}
	if len(v) < 2 || v[0] != '"' {
		return "", errNotString
	}
	if inner := v[1 : len(v)-1]; bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return string(inner), nil
	}
	var s string
	err := json.Unmarshal(v, &s)
	return s, err
}

// claimsVersion reads v as Clerk's parser does: the number 2 selects the v2
// claims; anything else (absent, 1, an unknown number, a string) is v1.
func claimsVersion(v []byte) int {
	if len(v) > 0 && (v[0] == '-' || v[0] >= '0' && v[0] <= '9') {
		if f, err := strconv.ParseFloat(string(v), 64); err == nil && f == 2 {
			return 2
		}
	}
	return 1
}

// factorAges reads fva as Clerk's has() accepts it: an array of exactly two
// numbers, each -1 or at least 0. Anything else gives nil, which fails every
// reverification check (the token itself stays valid, as in Clerk). A
// fractional age is rounded down: for the whole-minute limits of
// Reverification, after > age and after > floor(age) always agree.
func factorAges(v []byte) *[2]int {
	var ages []float64
	if json.Unmarshal(v, &ages) != nil || len(ages) != 2 {
		return nil
	}
	var out [2]int
	for i, a := range ages {
		switch {
		case a == -1:
			out[i] = -1
		case a >= 0:
			out[i] = int(min(math.Floor(a), math.MaxInt32))
		default:
			return nil
		}
	}
	return &out
}

func decodeActor(v []byte) (*Actor, error) {
	if isNull(v) {
		return nil, nil
	}
	if !strictjson.Object(v) {
		return nil, errors.New("not an object")
	}
	a := new(Actor)
	return a, strictjson.Walk(v, maxJSONDepth, func(name, v []byte) error {
		var err error
		switch string(name) {
		case "iss":
			a.Issuer, err = jsonString(v)
		case "sid":
			a.SessionID, err = jsonString(v)
		case "sub":
			a.Subject, err = jsonString(v)
		}
		return err
	})
}

func decodeOrgV2(v []byte) (*orgClaimsV2, error) {
	if isNull(v) {
		return nil, nil
	}
	if !strictjson.Object(v) {
		return nil, errors.New("not an object")
	}
	o := new(orgClaimsV2)
	return o, strictjson.Walk(v, maxJSONDepth, func(name, v []byte) error {
		var err error
		switch string(name) {
		case "id":
			o.ID, err = jsonString(v)
		case "slg":
			o.Slg, err = jsonString(v)
		case "rol":
			o.Rol, err = jsonString(v)
		case "per":
			o.Per, err = jsonString(v)
		case "fpm":
			o.Fpm, err = jsonString(v)
		}
		return err
	})
}

// maxNumericDate is 9999-12-31T23:59:59Z: later dates are treated as
// malformed rather than risk overflow in time arithmetic.
const maxNumericDate = 253402300799

// numericDate is a JWT NumericDate: a JSON number of seconds. Strings,
// fractions beyond int64, negative and absurdly large values are rejected.
type numericDate struct {
	set  bool
	frac bool // a non-zero fraction was truncated
	sec  int64
}

func (n *numericDate) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return errors.New("null date")
	}
	if len(b) == 0 || (b[0] < '0' || b[0] > '9') {
		return errors.New("date is not a non-negative number")
	}
	var sec int64
	i := 0
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		sec = sec*10 + int64(b[i]-'0')
		if sec > maxNumericDate {
			return errors.New("date out of range")
		}
	}
	if i < len(b) {
		// A fraction is allowed by RFC 7519; it is truncated. Exponents
		// and anything else are not.
		if b[i] != '.' || i+1 == len(b) {
			return errors.New("date is not a plain number")
		}
		for _, c := range b[i+1:] {
			if c < '0' || c > '9' {
				return errors.New("date is not a plain number")
			}
			n.frac = n.frac || c != '0'
		}
	}
	n.set, n.sec = true, sec
	return nil
}

func (n numericDate) time() time.Time {
	if !n.set {
		return time.Time{}
	}
	return time.Unix(n.sec, 0)
}

// newSession builds a Session from decoded claims, reading them as Clerk's
// claim parser (@clerk/shared's JWT payload parser) does. raw is kept, not
// copied.
func newSession(c *claims, raw []byte) (*Session, error) {
	s := &Session{
		UserID:                *c.Sub,
		SessionID:             c.Sid,
		Issuer:                c.Iss,
		AuthorizedParty:       c.Azp,
		IssuedAt:              c.Iat.time(),
		NotBefore:             c.Nbf.time(),
		ExpiresAt:             c.Exp.time(),
		Version:               1,
		Actor:                 c.Act,
		Status:                c.Sts,
		FactorVerificationAge: c.Fva,
		Features:              splitList(c.Fea),
		Plans:                 splitList(c.Pla),
		raw:                   raw,
		fracTimes:             c.Iat.frac || c.Exp.frac,
	}
	if c.V != 2 {
		s.OrgID, s.OrgSlug, s.OrgPermissions = c.OrgID, c.OrgSlug, c.OrgPermissions
		if c.OrgRole != "" {
			s.OrgRole = OrgPrefixed(c.OrgRole)
		}
		return s, nil
	}
	s.Version = 2
	if c.O == nil {
		return s, nil
	}
	perms, err := orgPermissionsV2(c.Fea, c.O.Per, c.O.Fpm)
	if err != nil {
		return nil, err
	}
	if c.O.ID != "" {
		s.OrgID, s.OrgSlug, s.OrgPermissions = c.O.ID, c.O.Slg, perms
		if c.O.Rol != "" {
			s.OrgRole = OrgPrefixed(c.O.Rol)
		}
	}
	return s, nil
}

// splitList splits a comma-separated claim into trimmed entries. An empty
// entry ("a:b,,c:d") is kept as "", which, having no scope, makes every
// feature or plan check on the list fail, as in Clerk.
func splitList(s string) []string {
	if s == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	for i, p := range parts {
		parts[i] = strings.TrimSpace(p)
	}
	return parts
}

// OrgPrefixed returns s with exactly one leading "org:", the form in which
// Clerk's has() compares organization roles and permissions: "admin",
// "org:admin" and "org:org:admin" are the same role. It is the one place
// clerkkit normalises them (the memberships checks and the Backend API
// wrappers use it too).
func OrgPrefixed(s string) string {
	for strings.HasPrefix(s, "org:") {
		s = s[len("org:"):]
	}
	return "org:" + s
}

// orgPermissionsV2 rebuilds org:<feature>:<permission> from the v2 claims
// as Clerk's parser does: the i-th mask of fpm belongs to the i-th
// org-scoped entry of fea (scope o, ou or uo), and bit j of a mask (bit 0 =
// least significant) grants the j-th entry of per. Masks are
// arbitrary-precision decimals. What Clerk ignores is ignored: bits beyond
// per, masks beyond the org features, and a mask that is not a decimal
// (it grants nothing). A fea entry without a scope is an error, as it makes
// Clerk's parser throw.
func orgPermissionsV2(fea, per, fpm string) ([]string, error) {
	var orgFeatures []string
	for _, f := range splitList(fea) {
		scope, name, ok := strings.Cut(f, ":")
		if !ok {
			return nil, errors.New("fea entry without a scope")
		}
		if scope == "o" || scope == "ou" || scope == "uo" {
			orgFeatures = append(orgFeatures, name)
		}
	}
	if per == "" || fpm == "" {
		return nil, nil
	}
	perms := splitList(per)
	masks := strings.Split(fpm, ",")
	var out []string
	var m big.Int
	for i, name := range orgFeatures {
		if i >= len(masks) {
			break
		}
		mask := strings.TrimSpace(masks[i])
		if mask == "" || strings.TrimLeft(mask, "0123456789") != "" {
			continue
		}
		// Up to 64 bits take the fast path.
		small, err := strconv.ParseUint(mask, 10, 64)
		if err != nil {
			m.SetString(mask, 10)
		}
		for j, p := range perms {
			if err == nil && j < 64 && small&(1<<j) != 0 || err != nil && m.Bit(j) == 1 {
				out = append(out, "org:"+name+":"+p)
			}
		}
	}
	return out, nil
}
