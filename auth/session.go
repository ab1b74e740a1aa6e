package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"math/bits"
	"strconv"
	"strings"
	"time"
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
	// Version is the claim version: 1 (no v claim) or 2.
	Version int
	// OrgID, OrgSlug and OrgRole describe the active organization; all are
	// "" without one. OrgRole always carries the "org:" prefix.
	OrgID, OrgSlug, OrgRole string
	// OrgPermissions lists the active organization permissions, as
	// "org:<feature>:<permission>".
	OrgPermissions []string
	// Features lists the fea claim entries as they appear, scoped
	// ("o:dashboard", "u:export", "ou:…").
	Features []string
	// Plans lists the pla claim entries ("u:free", "o:pro").
	Plans []string
	// Actor is the impersonating actor (act claim), nil when absent.
	Actor *Actor
	// Status is the session status (sts claim): "active", "pending", or ""
	// when the token does not say.
	Status string
	// FactorVerificationAge holds the fva claim: minutes since the first
	// and second factor were last verified (-1 = never). Nil when absent.
	FactorVerificationAge *[2]int

	raw []byte
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

// claims is the JSON shape of a session token's payload.
type claims struct {
	Sub            *string      `json:"sub"`
	Sid            string       `json:"sid"`
	Iss            string       `json:"iss"`
	Azp            string       `json:"azp"`
	Exp            numericDate  `json:"exp"`
	Nbf            numericDate  `json:"nbf"`
	Iat            numericDate  `json:"iat"`
	V              int          `json:"v"`
	Act            *Actor       `json:"act"`
	Sts            string       `json:"sts"`
	Fva            *[2]int      `json:"fva"`
	Fea            string       `json:"fea"`
	Pla            string       `json:"pla"`
	OrgID          string       `json:"org_id"`
	OrgSlug        string       `json:"org_slug"`
	OrgRole        string       `json:"org_role"`
	OrgPermissions []string     `json:"org_permissions"`
	O              *orgClaimsV2 `json:"o"`
}

type orgClaimsV2 struct {
	ID  string `json:"id"`
	Slg string `json:"slg"`
	Rol string `json:"rol"`
	Per string `json:"per"`
	Fpm string `json:"fpm"`
}

// maxNumericDate is 9999-12-31T23:59:59Z: later dates are treated as
// malformed rather than risk overflow in time arithmetic.
const maxNumericDate = 253402300799

// numericDate is a JWT NumericDate: a JSON number of seconds. Strings,
// fractions beyond int64, negative and absurdly large values are rejected.
type numericDate struct {
	set bool
	sec int64
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

// newSession builds a Session from decoded claims. raw is kept, not copied.
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
	}
	switch c.V {
	case 0, 1:
		s.OrgID, s.OrgSlug, s.OrgPermissions = c.OrgID, c.OrgSlug, c.OrgPermissions
		if c.OrgRole != "" {
			s.OrgRole = prefixOrg(c.OrgRole)
		}
	case 2:
		s.Version = 2
		if c.O != nil && c.O.ID != "" {
			perms, err := orgPermissionsV2(c.Fea, c.O.Per, c.O.Fpm)
			if err != nil {
				return nil, err
			}
			s.OrgID, s.OrgSlug, s.OrgPermissions = c.O.ID, c.O.Slg, perms
			if c.O.Rol != "" {
				s.OrgRole = prefixOrg(c.O.Rol)
			}
		}
	default:
		return nil, fmt.Errorf("unsupported claims version %d", c.V)
	}
	return s, nil
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// prefixOrg returns role with exactly one leading "org:".
func prefixOrg(role string) string {
	for strings.HasPrefix(role, "org:") {
		role = role[len("org:"):]
	}
	return "org:" + role
}

// orgPermissionsV2 rebuilds org:<feature>:<permission> from the v2 claims,
// as Clerk's own decoder (@clerk/shared's JWT payload parser) does: the
// i-th mask of fpm belongs to the i-th org-scoped entry of fea (scope o,
// ou or uo), and bit j of a mask (bit 0 = least significant) grants per[j].
// A token that carries one mask per entry of fea, org-scoped or not, is
// read positionally instead; the two readings agree whenever fea is all
// org-scoped. The masks are arbitrary-precision decimals. Any other count
// of masks, a mask that is not a decimal, or one that names a permission
// beyond per makes the token malformed.
func orgPermissionsV2(fea, per, fpm string) ([]string, error) {
	if fpm == "" {
		return nil, nil
	}
	var features, orgFeatures []string
	for _, f := range strings.Split(fea, ",") {
		scope, name, ok := strings.Cut(strings.TrimSpace(f), ":")
		if !ok || name == "" {
			return nil, errors.New("malformed fea entry")
		}
		if scope == "o" || scope == "ou" || scope == "uo" {
			orgFeatures = append(orgFeatures, name)
		} else {
			name = "" // not org-scoped: its mask, if any, is skipped
		}
		features = append(features, name)
	}
	masks := strings.Split(fpm, ",")
	switch len(masks) {
	case len(orgFeatures):
		features = orgFeatures
	case len(features):
	default:
		return nil, errors.New("o.fpm does not match the org features of fea")
	}
	var perms []string
	if per != "" {
		perms = strings.Split(per, ",")
	}
	var out []string
	var m big.Int
	for i, name := range features {
		mask := strings.TrimSpace(masks[i])
		if mask == "" || strings.TrimLeft(mask, "0123456789") != "" {
			return nil, errors.New("malformed o.fpm entry")
		}
		// Masks are arbitrary-precision: up to 64 bits take the fast path.
		small, err := strconv.ParseUint(mask, 10, 64)
		width := bits.Len64(small)
		if err != nil {
			if _, ok := m.SetString(mask, 10); !ok {
				return nil, errors.New("malformed o.fpm entry")
			}
			width = m.BitLen()
		}
		if width > len(perms) {
			return nil, errors.New("o.fpm names a permission beyond o.per")
		}
		if name == "" {
			continue
		}
		for j := range width {
			if err == nil && small&(1<<j) != 0 || err != nil && m.Bit(j) == 1 {
				out = append(out, "org:"+name+":"+perms[j])
			}
		}
	}
	return out, nil
}
