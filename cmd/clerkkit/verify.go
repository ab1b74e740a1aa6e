package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/clerkkit/clerkkit/auth"
)

const verifyAbout = `Verifies TOKEN as a service configured with auth.ConfigFromEnv would, and
prints the session as JSON; otherwise the reason it is refused.

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
	fs := newFlags("verify", "TOKEN", verifyAbout, e)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("expected exactly one TOKEN argument, got %d", fs.NArg())
	}
	cfg := auth.ConfigFromEnv()
	cfg.Logger = nil
	v, err := auth.NewVerifier(cfg)
	if err != nil {
		return configError(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	s, err := v.Verify(ctx, strings.TrimSpace(fs.Arg(0)))
	if err != nil {
		return fmt.Errorf("%s: %s", auth.Reason(err), clean(err))
	}
	out := map[string]any{
		"user_id": s.UserID, "session_id": s.SessionID, "issuer": s.Issuer,
		"authorized_party": s.AuthorizedParty, "version": s.Version, "status": s.Status,
		"issued_at": s.IssuedAt.UTC(), "expires_at": s.ExpiresAt.UTC(),
		"org_id": s.OrgID, "org_slug": s.OrgSlug, "org_role": s.OrgRole, "org_permissions": s.OrgPermissions,
		"features": s.Features, "plans": s.Plans, "actor": s.Actor,
		"factor_verification_age": s.FactorVerificationAge, "claims": s.RawClaims(),
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
