// OAuth access tokens that the instance, as an OAuth provider, issued to
// OAuth applications for its users. The Backend API has no endpoint to
// create them (users get them through the OAuth flow), so tests create
// them with Server.CreateOAuthAccessToken; services verify them with POST
// /oauth_applications/access_tokens/verify, or networkless as JWTs.

package emulator

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// oauthRec is an OAuth access token.
type oauthRec struct {
	seq       int64
	id        string // oat_ and 32 hex digits; a JWT's jti
	clientID  string
	subject   string
	scopes    []string
	audience  []string
	token     string
	jwt       bool
	revoked   bool
	reason    *string
	expiresAt time.Time
	createdAt time.Time
	updatedAt time.Time
}

type oauthJSON struct {
	Object           string   `json:"object"`
	ID               string   `json:"id"`
	ClientID         string   `json:"client_id"`
	Subject          string   `json:"subject"`
	Scopes           []string `json:"scopes"`
	Revoked          bool     `json:"revoked"`
	RevocationReason *string  `json:"revocation_reason"`
	Expired          bool     `json:"expired"`
	Expiration       *int64   `json:"expiration"`
	CreatedAt        int64    `json:"created_at"`
	UpdatedAt        int64    `json:"updated_at"`
}

// DefaultOAuthAccessTokenTTL is the lifetime of the OAuth access tokens
// CreateOAuthAccessToken makes when OAuthAccessTokenOptions.TTL is zero.
const DefaultOAuthAccessTokenTTL = time.Hour

// OAuthAccessTokenOptions describes an OAuth access token for
// CreateOAuthAccessToken.
type OAuthAccessTokenOptions struct {
	// UserID is the user the token was issued for (its subject); required,
	// an existing user.
	UserID string
	// ClientID is the OAuth application's client id. Default: a random
	// "client_…".
	ClientID string
	// Scopes are the scopes granted, e.g. "profile", "email".
	Scopes []string
	// TTL is the token's lifetime on the Server's clock. Default:
	// DefaultOAuthAccessTokenTTL.
	TTL time.Duration
	// JWT makes a JWT access token (header typ at+jwt, signed with the
	// Issuer's current key) instead of an opaque oat_… one.
	JWT bool
	// Audience is the JWT's aud claim, as an OAuth application's settings
	// give it; absent when empty. Only for JWT tokens.
	Audience []string
}

// OAuthAccessToken is a token CreateOAuthAccessToken made.
type OAuthAccessToken struct {
	// ID is the token's id, "oat_…" (a JWT's jti).
	ID string
	// Token is what a client sends as "Authorization: Bearer <Token>".
	Token string
	// ExpiresAt is when the token expires.
	ExpiresAt time.Time
}

// ErrOAuthAccessToken is the sentinel of the errors of
// CreateOAuthAccessToken and RevokeOAuthAccessToken.
var ErrOAuthAccessToken = errors.New("emulator: OAuth access token")

// CreateOAuthAccessToken issues an OAuth access token for a user, as the
// OAuth flow of an instance acting as an OAuth provider does (the Backend
// API has no endpoint for it). POST /oauth_applications/access_tokens/verify
// verifies it until it expires or RevokeOAuthAccessToken revokes it. A JWT
// token carries iss (the Issuer's URL), sub, client_id, scope (the scopes,
// space-separated), jti, iat, nbf, exp and aud when Audience is given.
func (s *Server) CreateOAuthAccessToken(o OAuthAccessTokenOptions) (OAuthAccessToken, error) {
	if o.TTL < 0 {
		return OAuthAccessToken{}, fmt.Errorf("%w: negative TTL", ErrOAuthAccessToken)
	}
	if len(o.Audience) > 0 && !o.JWT {
		return OAuthAccessToken{}, fmt.Errorf("%w: an Audience needs a JWT token", ErrOAuthAccessToken)
	}
	ttl := o.TTL
	if ttl == 0 {
		ttl = DefaultOAuthAccessTokenTTL
	}
	s.mu.Lock()
	defer s.unlock(nil)
	if _, e := s.st.user(o.UserID); e != nil {
		return OAuthAccessToken{}, fmt.Errorf("%w: %w", ErrOAuthAccessToken, e.err())
	}
	now := s.clock.Now()
	t := &oauthRec{seq: s.st.next(), id: hexID("oat_"), clientID: o.ClientID, subject: o.UserID,
		scopes: slices.Clone(o.Scopes), audience: slices.Clone(o.Audience), jwt: o.JWT,
		expiresAt: now.Add(ttl), createdAt: now, updatedAt: now}
	if t.scopes == nil {
		t.scopes = []string{}
	}
	if t.clientID == "" {
		t.clientID = randomID("client_")
	}
	if t.jwt {
		t.token = s.signOAuth(t)
	} else {
		t.token = newSecret("oat_")
	}
	s.st.mach.oauth[t.id] = t
	return OAuthAccessToken{ID: t.id, Token: t.token, ExpiresAt: t.expiresAt}, nil
}

// RevokeOAuthAccessToken revokes the opaque OAuth access token id, with an
// optional reason: verifying it answers 404 from then on. A JWT token
// cannot be revoked (it verifies networkless); neither can an unknown id.
func (s *Server) RevokeOAuthAccessToken(id, reason string) error {
	s.mu.Lock()
	defer s.unlock(nil)
	t := s.st.mach.oauth[id]
	switch {
	case t == nil:
		return fmt.Errorf("%w: no token %s", ErrOAuthAccessToken, id)
	case t.jwt:
		return fmt.Errorf("%w: %s is a JWT, which cannot be revoked", ErrOAuthAccessToken, id)
	}
	t.revoked, t.updatedAt = true, s.clock.Now()
	if reason != "" {
		t.reason = &reason
	}
	return nil
}

// signOAuth returns t as a JWT access token (RFC 9068: typ at+jwt).
func (s *Server) signOAuth(t *oauthRec) string {
	header := map[string]any{"alg": "RS256", "kid": s.iss.KeyID(), "typ": "at+jwt"}
	payload := map[string]any{
		"iss": s.iss.IssuerURL(), "sub": t.subject, "client_id": t.clientID, "scope": strings.Join(t.scopes, " "),
		"jti": t.id, "iat": t.createdAt.Unix(), "nbf": t.createdAt.Unix(), "exp": t.expiresAt.Unix(),
	}
	if len(t.audience) > 0 {
		payload["aud"] = t.audience
	}
	return s.iss.SignRaw(mustMarshal(header), mustMarshal(payload))
}

type verifyOAuthBody struct {
	AccessToken *string `json:"access_token"`
	Secret      *string `json:"secret"` // deprecated name of access_token
}

// inactiveJSON is the spec's answer for an expired JWT access token.
type inactiveJSON struct {
	Active bool `json:"active"`
}

// verifyOAuthToken answers the access token given. An unknown or revoked
// token and an expired opaque one are a 404 (the JS SDK reads it as
// "token invalid"); an expired JWT is {"active": false}, as the spec
// describes.
func (s *Server) verifyOAuthToken(c *call, _ *caller, b *verifyOAuthBody) (any, int, *apiError) {
	tok := b.AccessToken
	if tok == nil {
		tok = b.Secret
	}
	if tok == nil || *tok == "" {
		return nil, 0, errBadRequest("access_token", "Invalid 'access_token': required.")
	}
	var found *oauthRec
	for _, t := range c.st.mach.oauth {
		if equalSecret(*tok, t.token) {
			found = t
		}
	}
	expired := found != nil && !c.now.Before(found.expiresAt)
	switch {
	case found == nil || found.revoked || (expired && !found.jwt):
		return nil, 0, errTokenNotFound("OAuth access token")
	case expired:
		return inactiveJSON{Active: false}, http.StatusOK, nil
	}
	return oauthJSON{
		Object: "clerk_idp_oauth_access_token", ID: found.id, ClientID: found.clientID, Subject: found.subject,
		Scopes: slices.Clone(found.scopes), Revoked: false, RevocationReason: nil, Expired: false,
		Expiration: msPtr(found.expiresAt), CreatedAt: ms(found.createdAt), UpdatedAt: ms(found.updatedAt),
	}, 0, nil
}
