package clerktest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"
)

// Clerk's token categories, the values of the cat header. Tokens are
// minted with CategorySession; put another in Claims.Header to forge a
// token that a session verifier must refuse.
const (
	CategorySession  = "cl_B7d4PD111AAA"
	CategoryTemplate = "cl_B7d4PD222AAA"
	CategoryMachine  = "cl_B7d4PD333AAA"
)

// Default token timing, relative to the issue time.
const (
	// TokenLifetime is exp - iat, Clerk's session token lifetime.
	TokenLifetime = 60 * time.Second
	// NotBeforeLeeway is iat - nbf: Clerk back-dates nbf by its allowed
	// clock skew.
	NotBeforeLeeway = 10 * time.Second
)

// omitted is the type of Omit.
type omitted int

// Omit, as a value in Claims.Extra or Claims.Header, removes that member
// from the token, e.g. Extra: map[string]any{"exp": clerktest.Omit}.
const Omit omitted = 0

// Claims describes a session token for Issuer.Token. The zero value of
// each field gives a sensible claim or none, except UserID: an empty
// UserID leaves sub out, which makes the token invalid.
type Claims struct {
	// UserID is the sub claim (user_…). Empty: no sub claim.
	UserID string
	// SessionID is the sid claim. Default: a random sess_… id.
	SessionID string
	// Version selects the claim layout: 1 is version 1 (no v claim, org in
	// org_id, org_slug, org_role and org_permissions); 0 and 2 are version
	// 2 (v: 2, org in o, permissions as per/fea/fpm); any other value is
	// written as the v claim with the version 2 layout.
	Version int
	// Org is the active organization, nil for none.
	Org *Org
	// Features are fea entries beyond those that Org.Permissions imply,
	// written as given ("u:export", "o:sso", "ou:x"); duplicates are
	// dropped. In version 2 they follow the features of the org's
	// permissions, and each carries the mask 0 in o.fpm, so that fpm holds
	// one mask per fea entry (CLERK-FACTS) and Clerk's own decoder, which
	// counts only org-scoped entries, reads the same permissions.
	Features []string
	// Plans are the pla entries ("u:free", "o:pro").
	Plans []string
	// Actor is the act claim of an impersonated session, nil for none.
	Actor *Actor
	// FVA is the fva claim: minutes since the first and second factor
	// were verified, -1 for never. Nil: no fva claim.
	FVA *[2]int
	// Status is the sts claim ("active", "pending"). Empty: no sts claim.
	Status string
	// AZP is the azp claim (the origin that minted the token). Empty: no
	// azp claim.
	AZP string
	// Issuer replaces the iss claim. Default: Issuer.IssuerURL().
	Issuer string
	// IssuedAt is the iat claim. Default: the Issuer's Clock.Now().
	IssuedAt time.Time
	// NotBefore is the nbf claim. Default: IssuedAt - NotBeforeLeeway.
	NotBefore time.Time
	// ExpiresAt is the exp claim. Default: IssuedAt + TokenLifetime.
	ExpiresAt time.Time
	// Extra claims are written last, over the standard ones: a custom
	// claim such as "metadata", a replaced standard claim, or Omit to
	// remove one. Values are encoded with encoding/json.
	Extra map[string]any
	// Header members are written over the default header
	// {"alg":"RS256","kid":<KeyID>,"typ":"JWT","cat":CategorySession},
	// with the same Omit rule. The signature uses RS384 or RS512 when alg
	// says so, and RS256 otherwise (whatever alg claims).
	Header map[string]any
}

// Org is the active organization of a session. Empty ID, Slug and Role
// are left out of the token.
type Org struct {
	// ID is the organization id (org_…).
	ID string
	// Slug is the organization slug.
	Slug string
	// Role is the member's role, with or without the "org:" prefix; it is
	// written as each claim version wants it.
	Role string
	// Permissions are the member's permissions, "org:<feature>:<perm>". In
	// version 2 they must have that form, and are written as o.per, fea
	// and o.fpm; in version 1 they are written as given.
	Permissions []string
}

// Actor is the act claim of an impersonated session.
type Actor struct {
	// Subject is the impersonator's id (sub).
	Subject string
	// SessionID is the impersonator's session id (sid), "" for none.
	SessionID string
	// Issuer is where the actor token came from (iss), "" for none.
	Issuer string
}

// Token returns a session token for c, signed with the current key. It
// panics if c cannot be encoded: a version 2 permission not of the form
// "org:<feature>:<perm>", or an Extra or Header value that encoding/json
// rejects.
func (iss *Issuer) Token(c Claims) string {
	k := iss.current()
	header, payload := iss.encode(c, k.kid)
	return SignWith(k.key, headerAlg(header), header, payload)
}

// Encode returns the JSON header and payload that Token would sign for c,
// for tests that alter them and sign with SignRaw, SignWith, Unsigned or
// SignHS256. It panics like Token.
func (iss *Issuer) Encode(c Claims) (header, payload []byte) {
	return iss.encode(c, iss.KeyID())
}

func (iss *Issuer) encode(c Claims, kid string) (header, payload []byte) {
	h := map[string]any{"alg": "RS256", "kid": kid, "typ": "JWT", "cat": CategorySession}
	overlay(h, c.Header)
	p := iss.claimsMap(c)
	overlay(p, c.Extra)
	return mustJSON(h), mustJSON(p)
}

func overlay(dst, src map[string]any) {
	for k, v := range src {
		if _, ok := v.(omitted); ok {
			delete(dst, k)
		} else {
			dst[k] = v
		}
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("clerktest: encode token: " + err.Error())
	}
	return b
}

func (iss *Issuer) claimsMap(c Claims) map[string]any {
	iat := c.IssuedAt
	if iat.IsZero() {
		iat = iss.clock.Now()
	}
	nbf, exp := c.NotBefore, c.ExpiresAt
	if nbf.IsZero() {
		nbf = iat.Add(-NotBeforeLeeway)
	}
	if exp.IsZero() {
		exp = iat.Add(TokenLifetime)
	}
	m := map[string]any{
		"iss": cmp.Or(c.Issuer, iss.IssuerURL()),
		"sid": cmp.Or(c.SessionID, randomID("sess_")),
		"iat": iat.Unix(),
		"nbf": nbf.Unix(),
		"exp": exp.Unix(),
	}
	setNonEmpty(m, "sub", c.UserID)
	setNonEmpty(m, "azp", c.AZP)
	setNonEmpty(m, "sts", c.Status)
	if c.FVA != nil {
		m["fva"] = *c.FVA
	}
	if a := c.Actor; a != nil {
		act := map[string]any{"sub": a.Subject}
		setNonEmpty(act, "sid", a.SessionID)
		setNonEmpty(act, "iss", a.Issuer)
		m["act"] = act
	}
	setNonEmpty(m, "pla", strings.Join(c.Plans, ","))
	if c.Version == 1 {
		setNonEmpty(m, "fea", strings.Join(appendNew(nil, c.Features...), ","))
		if o := c.Org; o != nil {
			setNonEmpty(m, "org_id", o.ID)
			setNonEmpty(m, "org_slug", o.Slug)
			if o.Role != "" {
				m["org_role"] = "org:" + strings.TrimPrefix(o.Role, "org:")
			}
			perms := o.Permissions
			if perms == nil {
				perms = []string{}
			}
			m["org_permissions"] = perms
		}
		return m
	}
	m["v"] = cmp.Or(c.Version, 2)
	var fea []string
	if o := c.Org; o != nil {
		obj := map[string]any{}
		setNonEmpty(obj, "id", o.ID)
		setNonEmpty(obj, "slg", o.Slug)
		setNonEmpty(obj, "rol", strings.TrimPrefix(o.Role, "org:"))
		per, orgFea, masks := encodePermissions(o.Permissions)
		fea = appendNew(orgFea, c.Features...)
		if len(per) > 0 {
			for len(masks) < len(fea) {
				masks = append(masks, "0")
			}
			obj["per"] = strings.Join(per, ",")
			obj["fpm"] = strings.Join(masks, ",")
		}
		m["o"] = obj
	} else {
		fea = appendNew(nil, c.Features...)
	}
	setNonEmpty(m, "fea", strings.Join(fea, ","))
	return m
}

// encodePermissions encodes organization permissions
// ("org:<feature>:<perm>") the way version 2 session tokens carry them: per
// lists the distinct permission names in first-seen order (o.per); fea
// lists "o:<feature>" for the distinct features in first-seen order; fpm
// holds one decimal mask per entry of fea, whose bit j is set when the
// feature has per[j] (bit 0 is the least significant). Masks are
// arbitrary-precision, so more than 64 permission names fit. For example
// [org:dashboard:manage org:dashboard:read org:teams:read] gives per
// [manage read], fea [o:dashboard o:teams], fpm [3 2]. It panics on a
// permission of another form.
func encodePermissions(perms []string) (per, fea, fpm []string) {
	var features []string
	var masks []*big.Int
	for _, p := range perms {
		rest, ok := strings.CutPrefix(p, "org:")
		feature, name, ok2 := strings.Cut(rest, ":")
		if !ok || !ok2 || feature == "" || name == "" || strings.ContainsAny(rest, ", ") || strings.Contains(name, ":") {
			panic(fmt.Sprintf("clerktest: permission %q is not of the form org:<feature>:<perm>", p))
		}
		j := slices.Index(per, name)
		if j < 0 {
			j = len(per)
			per = append(per, name)
		}
		i := slices.Index(features, feature)
		if i < 0 {
			i = len(features)
			features = append(features, feature)
			masks = append(masks, new(big.Int))
		}
		masks[i].SetBit(masks[i], j, 1)
	}
	for i, f := range features {
		fea = append(fea, "o:"+f)
		fpm = append(fpm, masks[i].String())
	}
	return per, fea, fpm
}

// appendNew appends to list the entries of add it does not hold yet.
func appendNew(list []string, add ...string) []string {
	for _, a := range add {
		if !slices.Contains(list, a) {
			list = append(list, a)
		}
	}
	return list
}

func setNonEmpty(m map[string]any, k, v string) {
	if v != "" {
		m[k] = v
	}
}
