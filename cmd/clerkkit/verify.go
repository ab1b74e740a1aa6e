package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/clerkkit/clerkkit/auth"
)

const verifyAbout = `Verifies TOKEN as a service configured with auth.ConfigFromEnv would, and
prints who it authenticates as JSON (a session, or an API key, M2M token or
OAuth access token with its subject and scopes); otherwise the reason it is
refused. Every kind is accepted unless --accept narrows them, as a service
would (opaque machine tokens are checked through the Backend API with
CLERK_SECRET_KEY; machine JWTs networkless).

Reads (at least one way to obtain keys, and one to know the issuer):
  CLERK_SECRET_KEY          keys from the Backend API's /v1/jwks; the issuer from /v1/domains
  CLERK_PUBLISHABLE_KEY     the issuer, and keys from its Frontend API (or NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY)
  CLERK_JWT_KEY             a PEM public key: no network at all
  CLERK_JWKS_URL            keys from this URL instead
  CLERK_API_URL             the Backend API (default https://api.clerk.com)
  CLERK_API_VERSION         the Backend API version
  CLERK_ISSUER              the issuer, exactly
  CLERK_PROXY_URL           the issuer when the Frontend API is behind a proxy
  CLERK_AUTHORIZED_PARTIES  comma-separated origins the azp claim must be one of`

func runVerify(ctx context.Context, args []string, e env) error {
	fs := newFlags("verify", "[--accept KINDS] TOKEN", verifyAbout, e)
	accept := fs.String("accept", string(auth.AnyToken), "comma-separated token kinds to accept: any, or "+kindList())
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("expected exactly one TOKEN argument, got %d", fs.NArg())
	}
	kinds, err := parseKinds(*accept)
	if err != nil {
		return err
	}
	cfg := auth.ConfigFromEnv()
	cfg.Logger = nil
	v, err := auth.NewVerifier(cfg)
	if err != nil {
		return configError(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	p, err := v.VerifyToken(ctx, strings.TrimSpace(fs.Arg(0)), kinds...)
	if err != nil {
		return fmt.Errorf("%s: %s", auth.Reason(err), clean(err))
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	if m := p.Machine; m != nil {
		out := map[string]any{
			"kind": m.Kind, "id": m.ID, "subject": m.Subject, "scopes": m.Scopes, "claims": m.Claims,
			"name": m.Name, "client_id": m.ClientID, "audience": m.Audience, "jwt": m.JWT,
		}
		if !m.ExpiresAt.IsZero() {
			out["expires_at"] = m.ExpiresAt.UTC()
		}
		return enc.Encode(out)
	}
	s := p.Session
	out := map[string]any{
		"kind": p.Kind, "user_id": s.UserID, "session_id": s.SessionID, "issuer": s.Issuer,
		"authorized_party": s.AuthorizedParty, "version": s.Version, "status": s.Status,
		"issued_at": s.IssuedAt.UTC(), "expires_at": s.ExpiresAt.UTC(),
		"org_id": s.OrgID, "org_slug": s.OrgSlug, "org_role": s.OrgRole, "org_permissions": s.OrgPermissions,
		"features": s.Features, "plans": s.Plans, "actor": s.Actor,
		"factor_verification_age": s.FactorVerificationAge, "claims": s.RawClaims(),
	}
	return enc.Encode(out)
}

// parseKinds reads --accept.
func parseKinds(list string) ([]auth.TokenKind, error) {
	var kinds []auth.TokenKind
	for k := range strings.SplitSeq(list, ",") {
		k = strings.TrimSpace(k)
		switch kind := auth.TokenKind(k); {
		case kind == auth.AnyToken || kind == auth.SessionToken || slices.Contains(auth.MachineKinds(), kind):
			kinds = append(kinds, kind)
		case k == "":
		default:
			return nil, usagef("--accept: unknown token kind %q (any, %s)", k, kindList())
		}
	}
	if len(kinds) == 0 {
		return nil, usagef("--accept: give at least one token kind")
	}
	return kinds, nil
}

func kindList() string {
	names := []string{string(auth.SessionToken)}
	for _, k := range auth.MachineKinds() {
		names = append(names, string(k))
	}
	return strings.Join(names, ", ")
}
