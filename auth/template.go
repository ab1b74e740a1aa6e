package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/clerkkit/clerkkit/clerkerr"
	"github.com/clerkkit/clerkkit/internal/strictjson"
)

// ErrTemplateMismatch: a JWT-template token verified but is not one of
// the template the TemplateVerifier expects: it lives longer than
// TemplateOptions.Lifetime, or lacks one of RequiredClaims. Its reason,
// "token-template-mismatch", is clerkkit's own.
var ErrTemplateMismatch = &Error{"token-template-mismatch", "token not from the expected JWT template"}

// TemplateOptions names what the tokens of one JWT template are: the
// template's audience, lifetime and claims, as configured in Clerk. A
// token carries no template name, so these expectations are what tells
// one template's tokens from another's.
type TemplateOptions struct {
	// Name is the template's name, as passed to getToken({ template })
	// or POST /v1/sessions/{id}/tokens/{template_name}. It is used in
	// error messages only.
	Name string
	// Audience lists the accepted aud values (the template's "aud"
	// claim, a string or an array): a token's aud must name one of them.
	// When empty, a token that carries an aud is refused: it is meant for
	// another service.
	Audience []string
	// Lifetime, when not zero, is the template's token lifetime: a token
	// whose exp is more than Lifetime after its iat (or that has no iat)
	// is refused. Tokens minted with a shorter expires_in_seconds pass.
	Lifetime time.Duration
	// RequiredClaims are claims that every token of the template carries
	// (not null), e.g. the custom claims the Go service reads.
	RequiredClaims []string
	// AuthorizedParties, when not empty, is the allowlist of azp origins;
	// a token without azp then fails. The Verifier's AuthorizedParties
	// apply to session tokens only.
	AuthorizedParties []string
}

// TemplateVerifier verifies tokens minted from one JWT template with the
// instance's signing keys (those of the Verifier it was made from), and
// only such tokens: the header must carry Clerk's JWT-template category
// (cat "cl_B7d4PD222AAA"), which Clerk stamps on every template token, so
// that a session token — no cat, or a session category — is refused
// (ErrTokenType), as Verifier.Verify refuses template tokens. Templates
// signed with a custom signing key are not supported: their tokens fail
// (ErrAlgorithm for HS256, ErrUnknownKey for another RSA key).
//
// A verified token is a *TemplateToken, never a *Session: the middleware
// puts it in the context with WithTemplateToken, where no session guard
// reads it. Tokens are not cached: each Verify checks the signature.
// It is safe for concurrent use.
type TemplateVerifier struct {
	v        *Verifier
	o        TemplateOptions
	parties  map[string]struct{}
	required []string
}

// NewTemplateVerifier returns a TemplateVerifier for o's template on v's
// instance. It fails with an error wrapping clerkerr.ErrInvalidConfig on a
// nil v, a negative Lifetime or an empty entry in a list.
func NewTemplateVerifier(v *Verifier, o TemplateOptions) (*TemplateVerifier, error) {
	if v == nil {
		return nil, fmt.Errorf("%w: NewTemplateVerifier with a nil Verifier", clerkerr.ErrInvalidConfig)
	}
	if o.Lifetime < 0 {
		return nil, fmt.Errorf("%w: TemplateOptions.Lifetime must not be negative", clerkerr.ErrInvalidConfig)
	}
	for _, list := range [][]string{o.Audience, o.RequiredClaims, o.AuthorizedParties} {
		if slices.Contains(list, "") {
			return nil, fmt.Errorf("%w: empty entry in TemplateOptions", clerkerr.ErrInvalidConfig)
		}
	}
	t := &TemplateVerifier{v: v, o: o, required: slices.Clone(o.RequiredClaims)}
	t.o.Audience = slices.Clone(o.Audience)
	if len(o.AuthorizedParties) > 0 {
		t.parties = make(map[string]struct{}, len(o.AuthorizedParties))
		for _, p := range o.AuthorizedParties {
			t.parties[p] = struct{}{}
		}
	}
	return t, nil
}

// TemplateToken is a verified JWT-template token. It is immutable once
// returned.
type TemplateToken struct {
	// Template is TemplateOptions.Name of the verifier that accepted it.
	Template string
	// UserID is the sub claim (user_…).
	UserID string
	// SessionID is the sid claim: the session the token was minted for.
	SessionID string
	// Issuer is the iss claim.
	Issuer string
	// AuthorizedParty is the azp claim, "" when absent.
	AuthorizedParty string
	// Audience is the aud claim, nil when absent.
	Audience []string
	// ID is the jti claim, "" when absent.
	ID string
	// IssuedAt, NotBefore and ExpiresAt are the iat, nbf and exp claims
	// (IssuedAt and NotBefore zero when absent).
	IssuedAt, NotBefore, ExpiresAt time.Time
	// Actor is the impersonating actor (act claim), nil when absent.
	Actor *Actor

	raw []byte
}

// RawClaims returns a copy of the token's claims, as signed.
func (t *TemplateToken) RawClaims() json.RawMessage {
	return append(json.RawMessage(nil), t.raw...)
}

// DecodeClaims decodes all the token's claims into v, e.g. a struct with
// the template's claims.
func (t *TemplateToken) DecodeClaims(v any) error {
	return json.Unmarshal(t.raw, v)
}

// TemplateClaim decodes the claim name of a template token into a T, as
// Claim does for a session; absent or null gives ErrClaimNotFound.
func TemplateClaim[T any](t *TemplateToken, name string) (T, error) {
	return Claim[T](&Session{raw: t.raw}, name)
}

type templateKey struct{}

// WithTemplateToken returns a copy of ctx carrying t. It is not a
// session: FromContext does not see it.
func WithTemplateToken(ctx context.Context, t *TemplateToken) context.Context {
	return context.WithValue(ctx, templateKey{}, t)
}

// TemplateTokenFromContext returns the token stored by WithTemplateToken
// (as the middleware's RequireTemplateToken does), and whether there is
// one.
func TemplateTokenFromContext(ctx context.Context) (*TemplateToken, bool) {
	t, ok := ctx.Value(templateKey{}).(*TemplateToken)
	return t, ok && t != nil
}

// Verify verifies a token of the template. The checks run in this order
// and fail closed: size cap; an opaque machine token's prefix; algorithm
// allowlist (RS256/384/512); typ JWT; cat the JWT-template category;
// signature with the instance's keys; sub (a user); exp (required), nbf,
// iat with the clock skew; exact iss; azp allowlist; aud; lifetime;
// required claims. Every error wraps one of the package's sentinel *Error
// values and never contains the token.
func (t *TemplateVerifier) Verify(ctx context.Context, token string) (*TemplateToken, error) {
	v := t.v
	if token == "" {
		return nil, ErrNoToken
	}
	if len(token) > v.cfg.MaxTokenSize {
		return nil, fail(ErrTokenTooLarge, fmt.Sprintf("%d bytes, limit %d", len(token), v.cfg.MaxTokenSize))
	}
	for _, p := range machinePrefixes {
		if strings.HasPrefix(token, p) {
			return nil, fail(ErrTokenType, "machine token, not a JWT-template token")
		}
	}
	p, err := parseJWS(token)
	if err != nil {
		return nil, err
	}
	if h := p.hdr; h.Typ != nil && !strings.EqualFold(*h.Typ, "JWT") {
		return nil, fail(ErrTokenType, "typ must be JWT")
	}
	switch {
	case p.hdr.Cat == nil, *p.hdr.Cat == catSession, *p.hdr.Cat == catSessionAlt:
		return nil, fail(ErrTokenType, "session token, not a JWT-template token")
	case *p.hdr.Cat == catMachine:
		return nil, fail(ErrTokenType, "machine token, not a JWT-template token")
	case *p.hdr.Cat != catTemplate:
		return nil, fail(ErrTokenType, "unknown token category")
	}
	key, ks, err := v.keys.get(ctx, p.hdr.Kid)
	if err != nil {
		return nil, err
	}
	if err := p.verifySignature(key); err != nil {
		return nil, err
	}
	var c claims
	if err := c.decode(p.payload); err != nil {
		return nil, failCause(ErrMalformed, "claims", err)
	}
	var aud []string
	var audSet bool
	var jti string
	present := make(map[string]bool, len(t.required))
	err = strictjson.Walk(p.payload, maxJSONDepth, func(name, val []byte) error {
		var err error
		switch string(name) {
		case "aud":
			aud, audSet, err = stringOrList(val)
		case "jti":
			jti, err = jsonString(val)
		}
		if err != nil {
			return fmt.Errorf("claim %s: %w", name, err)
		}
		if !isNull(val) && slices.Contains(t.required, string(name)) {
			present[string(name)] = true
		}
		return nil
	})
	if err != nil {
		return nil, failCause(ErrMalformed, "claims", err)
	}
	if c.Sub == nil || *c.Sub == "" {
		return nil, fail(ErrMalformed, "sub must be a non-empty string")
	}
	if strings.HasPrefix(*c.Sub, "mch_") {
		return nil, fail(ErrTokenType, "machine subject, not a user")
	}
	if !c.Exp.set {
		return nil, fail(ErrMalformed, "exp is required")
	}
	tt := &TemplateToken{
		Template: t.o.Name, UserID: *c.Sub, SessionID: c.Sid, Issuer: c.Iss, AuthorizedParty: c.Azp,
		Audience: aud, ID: jti, IssuedAt: c.Iat.time(), NotBefore: c.Nbf.time(), ExpiresAt: c.Exp.time(),
		Actor: c.Act, raw: p.payload,
	}
	if err := v.checkTimesAt(tt.ExpiresAt, tt.NotBefore, tt.IssuedAt, v.cfg.Now()); err != nil {
		return nil, err
	}
	if !v.issuerOK(tt.Issuer, ks) {
		return nil, fail(ErrInvalidIssuer, "iss is not the instance's issuer")
	}
	if t.parties != nil {
		if _, ok := t.parties[tt.AuthorizedParty]; !ok {
			if tt.AuthorizedParty == "" {
				return nil, fail(ErrUnauthorizedParty, "azp is required")
			}
			return nil, fail(ErrUnauthorizedParty, "azp is not an authorized party")
		}
	}
	if err := t.checkAudience(aud, audSet); err != nil {
		return nil, err
	}
	if t.o.Lifetime > 0 {
		if tt.IssuedAt.IsZero() {
			return nil, fail(ErrTemplateMismatch, "iat is required to check the template's lifetime")
		}
		if tt.ExpiresAt.Sub(tt.IssuedAt) > t.o.Lifetime {
			return nil, fail(ErrTemplateMismatch, fmt.Sprintf("lifetime exceeds template %q's %s", t.o.Name, t.o.Lifetime))
		}
	}
	for _, name := range t.required {
		if !present[name] {
			return nil, fail(ErrTemplateMismatch, fmt.Sprintf("claim %q of template %q is missing", name, t.o.Name))
		}
	}
	return tt, nil
}

func (t *TemplateVerifier) checkAudience(aud []string, set bool) error {
	if len(t.o.Audience) == 0 {
		if set {
			return fail(ErrInvalidAudience, "the token names an audience and none is expected")
		}
		return nil
	}
	if !set || len(aud) == 0 {
		return fail(ErrInvalidAudience, "aud is required")
	}
	for _, a := range aud {
		if slices.Contains(t.o.Audience, a) {
			return nil
		}
	}
	return fail(ErrInvalidAudience, "aud names none of the expected audiences")
}
