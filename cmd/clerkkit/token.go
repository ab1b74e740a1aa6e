package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/session"
)

// createSessionParams is POST /v1/sessions with the active organization,
// which clerk-sdk-go v2.4.2's session.CreateParams does not carry.
type createSessionParams struct {
	clerk.APIParams
	UserID               string `json:"user_id"`
	ActiveOrganizationID string `json:"active_organization_id,omitempty"`
}

func runToken(ctx context.Context, args []string, e env) error {
	fs := newFlags("token", "--user ID [--org ID] [--ttl D]", e)
	user := fs.String("user", "", "user ID (user_…), required")
	org := fs.String("org", "", "organization ID (org_…) to make active in the session")
	ttl := fs.Duration("ttl", 0, "token lifetime (default: the instance's, 60s); at least 30s")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *user == "" {
		return errors.New("--user is required")
	}
	if *ttl != 0 && *ttl < 30*time.Second {
		return errors.New("--ttl must be at least 30s")
	}
	secret := strings.TrimSpace(e.getenv("CLERK_SECRET_KEY"))
	if secret == "" {
		return errors.New("CLERK_SECRET_KEY is not set (run 'clerkkit dev' and export the lines it prints, or use your instance's key)")
	}
	apiURL := strings.TrimRight(strings.TrimSpace(e.getenv("CLERK_API_URL")), "/")
	if apiURL == "" {
		apiURL = "https://api.clerk.com"
	}
	backend := clerk.NewBackend(&clerk.BackendConfig{
		URL: clerk.String(apiURL + "/v1"), Key: clerk.String(secret),
		HTTPClient: &http.Client{Timeout: 15 * time.Second},
	})

	req := clerk.NewAPIRequest(http.MethodPost, "/sessions")
	req.SetParams(&createSessionParams{UserID: *user, ActiveOrganizationID: *org})
	sess := &clerk.Session{}
	if err := backend.Call(ctx, req, sess); err != nil {
		return fmt.Errorf("creating a session: %w", err)
	}
	params := &session.CreateTokenParams{ID: sess.ID}
	if *ttl != 0 {
		params.ExpiresInSeconds = clerk.Int64(int64(ttl.Seconds()))
	}
	tok, err := (&session.Client{Backend: backend}).CreateToken(ctx, params)
	if err != nil {
		return fmt.Errorf("creating the session token: %w", err)
	}
	fmt.Fprintln(e.stdout, tok.JWT)
	return nil
}
