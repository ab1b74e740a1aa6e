package clerkkit

import (
	"context"
	"net/http"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/session"

	"github.com/clerkkit/clerkkit/internal/bapi"
)

// createSessionParams is POST /v1/sessions with the active organization,
// which clerk-sdk-go v2.4.2's session.CreateParams does not carry.
type createSessionParams struct {
	clerk.APIParams
	UserID               string `json:"user_id"`
	ActiveOrganizationID string `json:"active_organization_id,omitempty"`
}

// SessionToken creates a session for userID, with orgID as its active
// organization, and returns a session token for it that lives ttl (0: the
// instance's default, 60 s; otherwise at least 30 s). An orgID of "" means
// no active organization: the token has no org claims, whatever
// organizations the user belongs to or was last active in.
//
// Errors name the failed call, e.g. "clerkkit: POST /sessions: 404 Not
// Found: resource_not_found: …" (errors.Is with clerkerr.ErrNotFound), or are
// clerkerr.ErrInvalidInput for arguments rejected before any request.
//
// Clerk offers this (POST /v1/sessions) on development and test instances
// only: it is for tests, demos and local tools (clerkkit token, the
// examples' local sign-in), never for signing users in in production.
func (c *Client) SessionToken(ctx context.Context, userID, orgID string, ttl time.Duration) (string, error) {
	const op = "clerkkit.SessionToken"
	if err := bapi.ID(op, "userID", userID); err != nil {
		return "", err
	}
	if orgID != "" {
		if err := bapi.ID(op, "orgID", orgID); err != nil {
			return "", err
		}
	}
	if ttl != 0 && ttl < 30*time.Second {
		return "", bapi.InputError(op, "ttl", "must be 0 or at least 30s")
	}
	req := clerk.NewAPIRequest(http.MethodPost, "/sessions")
	req.SetParams(&createSessionParams{UserID: userID, ActiveOrganizationID: orgID})
	sess := &clerk.Session{}
	if err := c.backend.Call(ctx, req, sess); err != nil {
		return "", err // names the call: "clerkkit: POST /sessions: …"
	}
	params := &session.CreateTokenParams{ID: sess.ID}
	if ttl != 0 {
		params.ExpiresInSeconds = clerk.Int64(int64(ttl / time.Second))
	}
	tok, err := (&session.Client{Backend: c.backend}).CreateToken(ctx, params)
	if err != nil {
		return "", err // "clerkkit: POST /sessions/sess_…/tokens: …"
	}
	return tok.JWT, nil
}
