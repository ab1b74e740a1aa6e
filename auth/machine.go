package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/clerkkit/clerkkit/internal/strictjson"
)

// TokenKind is a kind of Clerk token, named as Clerk's SDKs name them in
// their acceptsToken option.
type TokenKind string

// Token kinds.
const (
	// SessionToken is a session token (a JWT minted by Clerk's browser
	// SDK for a signed-in user).
	SessionToken TokenKind = "session_token"
	// APIKey is an API key (ak_…), verified through the Backend API.
	APIKey TokenKind = "api_key"
	// M2MToken is a machine-to-machine token: opaque (mt_…, verified
	// through the Backend API) or a JWT whose sub is a machine (mch_…,
	// verified networkless).
	M2MToken TokenKind = "m2m_token"
	// OAuthToken is an OAuth access token issued by Clerk as an identity
	// provider: opaque (oat_…, through the Backend API) or a JWT with typ
	// at+jwt (networkless).
	OAuthToken TokenKind = "oauth_token"
	// AnyToken, passed to VerifyToken, accepts every kind above. It must
	// be asked for explicitly: the default is SessionToken only, because
	// accepting opaque machine tokens lets anyone make the Verifier call
	// the Backend API.
	AnyToken TokenKind = "any"
)

// machineKinds are the kinds of machine tokens, in Clerk's order.
var machineKinds = [...]TokenKind{APIKey, M2MToken, OAuthToken}

// MachineKinds returns the machine token kinds: APIKey, M2MToken and
// OAuthToken.
func MachineKinds() []TokenKind { return machineKinds[:] }

// Machine is a verified machine token: an API key, an M2M token or an
// OAuth access token. Like Session it is immutable once returned and may be
// shared between requests; do not modify it.
type Machine struct {
	// Kind is APIKey, M2MToken or OAuthToken.
	Kind TokenKind
	// ID is the token's id: the Backend API's id for an opaque token
	// (ak_…, mt_…, oat_…; never the secret itself), the jti claim for a
	// JWT ("" when absent).
	ID string
	// Subject is who the token acts for: a user (user_…), an organization
	// (org_…, API keys only) or a machine (mch_…).
	Subject string
	// Scopes are the token's scopes. For M2M tokens they are the ids of
	// the machines the token may call; for OAuth tokens the granted OAuth
	// scopes; for API keys the scopes given at creation.
	Scopes []string
	// Claims are the token's custom claims: the claims object of an
	// opaque token, or a JWT's claims other than iss, sub, exp, nbf, iat
	// and jti. Nil when there are none.
	Claims map[string]any
	// Name is an API key's name, "" for other kinds.
	Name string
	// ClientID is an OAuth token's OAuth application client id.
	ClientID string
	// Audience is an OAuth token's aud, nil when absent.
	Audience []string
	// ExpiresAt is when the token expires; zero when it does not.
	ExpiresAt time.Time
	// IssuedAt is a JWT's iat (zero when absent or opaque).
	IssuedAt time.Time
	// JWT reports whether the token was a JWT, verified networkless.
	JWT bool
}

// HasScope reports whether the token carries scope, compared exactly.
func (m *Machine) HasScope(scope string) bool {
	return m != nil && scope != "" && slices.Contains(m.Scopes, scope)
}

// UserID returns the subject when it is a user (user_…), else "".
func (m *Machine) UserID() string { return m.subject("user_") }

// OrgID returns the subject when it is an organization (org_…), else "".
// An API key owned by an organization authenticates as it.
func (m *Machine) OrgID() string { return m.subject("org_") }

// MachineID returns the subject when it is a machine (mch_…), else "".
func (m *Machine) MachineID() string { return m.subject("mch_") }

func (m *Machine) subject(prefix string) string {
	if m != nil && strings.HasPrefix(m.Subject, prefix) {
		return m.Subject
	}
	return ""
}

// Principal is whoever a verified token authenticates: a user's session
// (Kind SessionToken, Session set) or a machine token (Machine set).
// Exactly one of Session and Machine is non-nil.
type Principal struct {
	// Kind is the token's kind; never AnyToken.
	Kind TokenKind
	// Session is set when Kind is SessionToken.
	Session *Session
	// Machine is set for APIKey, M2MToken and OAuthToken.
	Machine *Machine
}

type principalKey struct{}

// WithPrincipal returns a copy of ctx carrying p; when p is a session, the
// session is stored too, so that FromContext finds it.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	if p != nil && p.Session != nil {
		ctx = WithSession(ctx, p.Session)
	}
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFromContext returns the principal stored by WithPrincipal (as
// the middleware's RequireToken does), and whether there is one.
func PrincipalFromContext(ctx context.Context) (*Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(*Principal)
	return p, ok && p != nil
}

// MachineFromContext returns the machine token of the principal in ctx,
// and whether there is one.
func MachineFromContext(ctx context.Context) (*Machine, bool) {
	p, ok := PrincipalFromContext(ctx)
	if !ok || p.Machine == nil {
		return nil, false
	}
	return p.Machine, true
}

// kindSet is a set of accepted kinds.
type kindSet uint8

const (
	acceptSession kindSet = 1 << iota
	acceptAPIKey
	acceptM2M
	acceptOAuth
	acceptAll = acceptSession | acceptAPIKey | acceptM2M | acceptOAuth
)

func kindBit(k TokenKind) kindSet {
	switch k {
	case SessionToken:
		return acceptSession
	case APIKey:
		return acceptAPIKey
	case M2MToken:
		return acceptM2M
	case OAuthToken:
		return acceptOAuth
	case AnyToken:
		return acceptAll
	}
	return 0
}

// errUnknownKind is returned (wrapped) for a kind VerifyToken does not know.
var errUnknownKind = errors.New("unknown token kind")

// acceptSet builds the set of accepted kinds; none means SessionToken.
func acceptSet(accept []TokenKind) (kindSet, error) {
	if len(accept) == 0 {
		return acceptSession, nil
	}
	var s kindSet
	for _, k := range accept {
		b := kindBit(k)
		if b == 0 {
			return 0, fmt.Errorf("%w %q", errUnknownKind, string(k))
		}
		s |= b
	}
	return s, nil
}

func (s kindSet) has(k TokenKind) bool { return s&kindBit(k) != 0 && k != AnyToken }

// mismatch is the error for a token of a kind that is not accepted.
func mismatch(k TokenKind) error {
	return fail(ErrTokenType, string(k)+" is not an accepted token kind")
}

// opaqueKind returns the kind of an opaque machine token by its prefix.
func opaqueKind(token string) (TokenKind, bool) {
	switch {
	case strings.HasPrefix(token, "ak_"):
		return APIKey, true
	case strings.HasPrefix(token, "mt_"):
		return M2MToken, true
	case strings.HasPrefix(token, "oat_"):
		return OAuthToken, true
	}
	return "", false
}

// isOAuthTyp reports whether typ marks an OAuth access JWT (RFC 9068).
func isOAuthTyp(typ *string) bool {
	return typ != nil && (strings.EqualFold(*typ, "at+jwt") || strings.EqualFold(*typ, "application/at+jwt"))
}

// classifyJWT decides the kind of a parsed JWT as Clerk's SDKs do, from
// its header and its (not yet verified) sub: typ at+jwt is an OAuth token;
// a machine category or a sub starting mch_ is an M2M token; anything else
// is a session token as far as the kind goes (a template token or an
// unknown category then fails the session checks). Only the kind is
// decided here; every claim is checked after the signature.
//
// The claims are decoded here, once, as a machine token's (c): they are
// only read for the kind until the signature is verified.
func classifyJWT(p *parsed, c *machineClaims) (TokenKind, error) {
	if isOAuthTyp(p.hdr.Typ) {
		return OAuthToken, c.decodeOrFail(p.payload)
	}
	if p.hdr.Cat != nil && *p.hdr.Cat == catMachine {
		return M2MToken, c.decodeOrFail(p.payload)
	}
	if err := c.decodeOrFail(p.payload); err != nil {
		// Not a machine token's claims; the session checks decide.
		return SessionToken, nil
	}
	if strings.HasPrefix(c.Sub, "mch_") {
		return M2MToken, nil
	}
	return SessionToken, nil
}

// VerifyToken verifies token as one of the accepted kinds and returns who
// it authenticates. With no kinds it accepts SessionToken only (as Verify);
// AnyToken accepts every kind. A token of a kind that is not accepted is
// rejected with ErrTokenType (reason "token-type-mismatch") before any
// network call: the kind is read from the token's prefix (ak_, mt_, oat_)
// or, for a JWT, from its header (typ at+jwt: OAuth; cat machine: M2M) and
// unverified sub (mch_…: M2M).
//
// Session tokens are verified exactly as Verify does. M2M and OAuth JWTs
// are verified networkless against the instance's keys, with the same
// parsing, key cache and verified-token cache: RS256/384/512, typ JWT (M2M)
// or at+jwt (OAuth), cat absent or machine (M2M) or absent (OAuth),
// signature, sub (mch_… for M2M; a non-machine subject for OAuth), exp
// (required), nbf and iat with the clock skew, iss exactly the instance's
// issuer, and, for OAuth, aud against Config.OAuthAudience when set.
// AuthorizedParties applies to session tokens only.
//
// Opaque tokens (ak_, mt_, oat_) are verified through the Backend API with
// the secret key, behind the verification cache (see Config.MachineCache):
// a valid token is verified once per Config.MachineCacheTTL (default 10s,
// never beyond its expiry) — which is how long a revoked token may still be
// accepted —, concurrent misses make one call, invalid tokens are
// remembered for Config.MachineNegativeTTL (default 5s), and calls are
// bounded in number in flight and per second: beyond that VerifyToken
// fails at once with ErrVerificationBusy. A Backend API failure gives
// ErrVerificationUnavailable, never a signed-in principal; Unavailable
// reports both.
//
// Every error wraps one of the package's sentinels and never contains the
// token.
func (v *Verifier) VerifyToken(ctx context.Context, token string, accept ...TokenKind) (*Principal, error) {
	set, err := acceptSet(accept)
	if err != nil {
		return nil, failCause(ErrTokenType, "accepted kinds", err)
	}
	if token == "" {
		return nil, ErrNoToken
	}
	if len(token) > v.cfg.MaxTokenSize {
		return nil, fail(ErrTokenTooLarge, fmt.Sprintf("%d bytes, limit %d", len(token), v.cfg.MaxTokenSize))
	}
	// Tokens already verified: their kind is known.
	now := v.cfg.Now()
	if v.tokens != nil {
		if ks := v.keys.snap.Load(); ks != nil {
			if e, ok := v.tokens.get(token, ks.gen); ok {
				if e.m != nil {
					if !set.has(e.m.Machine.Kind) {
						return nil, mismatch(e.m.Machine.Kind)
					}
					v.keys.maybeRefresh(now)
					if err := v.checkMachineTimes(e.m.Machine, now); err != nil {
						v.tokens.delete(token)
						return nil, err
					}
					return e.m, nil
				}
				if !set.has(SessionToken) {
					return nil, mismatch(SessionToken)
				}
				s, err := v.Verify(ctx, token)
				if err != nil {
					return nil, err
				}
				return &Principal{Kind: SessionToken, Session: s}, nil
			}
		}
	}
	if k, ok := opaqueKind(token); ok {
		if !set.has(k) {
			return nil, mismatch(k)
		}
		m, err := v.verifyOpaque(ctx, k, token)
		if err != nil {
			return nil, err
		}
		return &Principal{Kind: k, Machine: m}, nil
	}
	p, err := parseJWS(token)
	if err != nil {
		return nil, err
	}
	var c machineClaims
	kind, err := classifyJWT(p, &c)
	if !set.has(kind) {
		return nil, mismatch(kind)
	}
	if err != nil {
		return nil, err
	}
	if kind == SessionToken {
		s, err := v.Verify(ctx, token)
		if err != nil {
			return nil, err
		}
		return &Principal{Kind: SessionToken, Session: s}, nil
	}
	return v.verifyMachineJWT(ctx, token, kind, p, &c, now)
}

// verifyMachineJWT verifies an M2M or OAuth access JWT whose kind has
// been decided (and accepted).
// c holds the claims, decoded (not trusted) before the signature.
func (v *Verifier) verifyMachineJWT(ctx context.Context, token string, kind TokenKind, p *parsed, c *machineClaims, now time.Time) (*Principal, error) {
	typ, cat := p.hdr.Typ, p.hdr.Cat
	switch kind {
	case M2MToken:
		if typ != nil && !strings.EqualFold(*typ, "JWT") {
			return nil, fail(ErrTokenType, "M2M JWT typ must be JWT")
		}
		if cat != nil && *cat != catMachine {
			return nil, fail(ErrTokenType, "M2M JWT category is not the machine category")
		}
	case OAuthToken:
		if cat != nil {
			return nil, fail(ErrTokenType, "OAuth access JWT must not carry a token category")
		}
	}
	key, ks, err := v.keys.get(ctx, p.hdr.Kid)
	if err != nil {
		return nil, err
	}
	if err := p.verifySignature(key); err != nil {
		return nil, err
	}
	if c.Sub == "" {
		return nil, fail(ErrMalformed, "sub must be a non-empty string")
	}
	isMachine := strings.HasPrefix(c.Sub, "mch_")
	if kind == M2MToken && !isMachine {
		return nil, fail(ErrTokenType, "M2M JWT subject is not a machine")
	}
	if kind == OAuthToken && isMachine {
		return nil, fail(ErrTokenType, "OAuth access JWT subject is a machine")
	}
	if !c.Exp.set {
		return nil, fail(ErrMalformed, "exp is required")
	}
	m := &Machine{
		Kind:      kind,
		ID:        c.Jti,
		Subject:   c.Sub,
		ExpiresAt: c.Exp.time(),
		IssuedAt:  c.Iat.time(),
		JWT:       true,
	}
	if err := v.checkTimesAt(m.ExpiresAt, c.Nbf.time(), m.IssuedAt, now); err != nil {
		return nil, err
	}
	if !v.issuerOK(c.Iss, ks) {
		return nil, fail(ErrInvalidIssuer, "iss is not the instance's issuer")
	}
	switch kind {
	case M2MToken:
		switch {
		case c.scopesSet:
			m.Scopes = strings.Fields(c.Scopes)
		default:
			m.Scopes = c.Aud
		}
	case OAuthToken:
		m.ClientID, m.Audience = c.ClientID, c.Aud
		switch {
		case c.scpSet:
			m.Scopes = c.Scp
		default:
			m.Scopes = strings.Fields(c.Scope)
		}
		if err := v.checkAudience(m.Audience, c.audSet); err != nil {
			return nil, err
		}
	}
	if len(c.custom) > 0 {
		m.Claims = c.custom
	}
	pr := &Principal{Kind: kind, Machine: m}
	if v.tokens != nil {
		v.tokens.putMachine(token, pr, ks.gen, now)
	}
	return pr, nil
}

// checkAudience applies Config.OAuthAudience to an OAuth token's aud, as
// Clerk does: with an audience configured, aud must be a non-empty string
// or a non-empty array of non-empty strings, and one of them configured.
func (v *Verifier) checkAudience(aud []string, set bool) error {
	if len(v.cfg.OAuthAudience) == 0 {
		return nil
	}
	if !set || len(aud) == 0 {
		return fail(ErrInvalidAudience, "aud is required")
	}
	for _, a := range aud {
		if a == "" {
			return fail(ErrInvalidAudience, "aud has an empty entry")
		}
	}
	for _, a := range aud {
		if slices.Contains(v.cfg.OAuthAudience, a) {
			return nil
		}
	}
	return fail(ErrInvalidAudience, "aud is not an accepted audience")
}

// checkMachineTimes re-applies expiry to a cached machine token.
func (v *Verifier) checkMachineTimes(m *Machine, now time.Time) error {
	if !m.ExpiresAt.IsZero() && !now.Before(m.ExpiresAt.Add(v.cfg.ClockSkew)) {
		return fail(ErrExpired, "exp is in the past")
	}
	return nil
}

// checkTimesAt applies exp, nbf and iat with the clock skew; nbf and iat
// are skipped when zero.
func (v *Verifier) checkTimesAt(exp, nbf, iat, now time.Time) error {
	skew := v.cfg.ClockSkew
	if !now.Before(exp.Add(skew)) {
		return fail(ErrExpired, "exp is in the past")
	}
	if !nbf.IsZero() && now.Add(skew).Before(nbf) {
		return fail(ErrNotYetValid, "nbf is in the future")
	}
	if !iat.IsZero() && now.Add(skew).Before(iat) {
		return fail(ErrIssuedInFuture, "iat is in the future")
	}
	return nil
}

// machineClaims are the claims of an M2M or OAuth access JWT, decoded by
// exact name like the session claims.
type machineClaims struct {
	Sub, Iss, Jti, ClientID, Scopes, Scope string
	Exp, Nbf, Iat                          numericDate
	Aud, Scp                               []string
	audSet, scopesSet, scpSet              bool
	custom                                 map[string]any // the claims but iss, sub, exp, nbf, iat, jti
}

func (c *machineClaims) decodeOrFail(b []byte) error {
	if err := c.decode(b); err != nil {
		return failCause(ErrMalformed, "claims", err)
	}
	return nil
}

// decode fills c from the payload b, by exact member names; the custom
// claims are decoded in the same walk.
func (c *machineClaims) decode(b []byte) error {
	return strictjson.Walk(b, maxJSONDepth, func(name, v []byte) error {
		var err error
		switch string(name) {
		case "sub":
			c.Sub, err = jsonString(v)
		case "iss":
			c.Iss, err = jsonString(v)
		case "jti":
			c.Jti, err = jsonString(v)
		case "client_id":
			c.ClientID, err = jsonString(v)
		case "exp":
			err = c.Exp.UnmarshalJSON(v)
		case "nbf":
			err = c.Nbf.UnmarshalJSON(v)
		case "iat":
			err = c.Iat.UnmarshalJSON(v)
		case "aud":
			c.Aud, c.audSet, err = stringOrList(v)
		case "scopes":
			c.scopesSet = !isNull(v)
			c.Scopes, err = jsonString(v)
		case "scope":
			c.Scope, err = jsonString(v)
		case "scp":
			c.Scp, c.scpSet, err = stringOrList(v)
		}
		if err != nil {
			return fmt.Errorf("claim %s: %w", name, err)
		}
		switch string(name) {
		case "iss", "sub", "exp", "nbf", "iat", "jti":
			return nil
		}
		val, err := jsonValue(v)
		if err != nil {
			return fmt.Errorf("claim %s: %w", name, err)
		}
		if c.custom == nil {
			c.custom = make(map[string]any, 4)
		}
		c.custom[string(name)] = val
		return nil
	})
}

// jsonValue decodes a JSON value as encoding/json decodes into an any,
// strings without escapes without its machinery.
func jsonValue(v []byte) (any, error) {
	switch {
	case len(v) > 0 && v[0] == '"':
		return jsonString(v)
	case string(v) == "true":
		return true, nil
	case string(v) == "false":
		return false, nil
	case string(v) == "null":
		return nil, nil
	}
	var out any
	err := json.Unmarshal(v, &out)
	return out, err
}

// stringOrList decodes a claim that is a string or an array of strings
// (aud, scp); null counts as absent.
func stringOrList(v []byte) ([]string, bool, error) {
	if isNull(v) {
		return nil, false, nil
	}
	if len(v) > 0 && v[0] == '"' {
		s, err := jsonString(v)
		return []string{s}, true, err
	}
	var list []string
	if err := json.Unmarshal(v, &list); err != nil {
		return nil, false, errors.New("not a string or an array of strings")
	}
	return list, true, nil
}
