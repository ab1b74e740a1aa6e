package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/clerkkit/clerkkit/auth"
)

func runVerify(ctx context.Context, args []string, e env) error {
	fs := newFlags("verify", "TOKEN", e)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("expected exactly one TOKEN argument")
	}
	cfg := auth.ConfigFromEnv()
	cfg.Logger = nil
	v, err := auth.NewVerifier(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	s, err := v.Verify(ctx, strings.TrimSpace(fs.Arg(0)))
	if err != nil {
		return fmt.Errorf("%s: %w", auth.Reason(err), err)
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
