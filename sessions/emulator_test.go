package sessions_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/session"

	"github.com/clerkkit/clerkkit"
	"github.com/clerkkit/clerkkit/clerkerr"
	"github.com/clerkkit/clerkkit/clerktest"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
	"github.com/clerkkit/clerkkit/sessions"
)

const (
	seedUser  = "user_2xhFjEI5X2qWRvtV13BzSj8H6Dk"
	otherUser = "user_2yOtherOtherOtherOther000000"
)

// emulated returns a Client on a fresh emulator with two users and a JWT
// template "hasura", whose retries do not sleep.
func emulated(t *testing.T) (*emulator.Server, *sessions.Client) {
	t.Helper()
	srv := emulator.NewServer(t)
	if err := srv.Seed(emulator.SeedData{
		Users:        []emulator.SeedUser{{ID: seedUser}, {ID: otherUser}},
		JWTTemplates: []emulator.SeedJWTTemplate{{Name: "hasura", Claims: json.RawMessage(`{"role":"user","uid":"{{user.id}}"}`), Lifetime: 120}},
	}); err != nil {
		t.Fatal(err)
	}
	cfg := srv.ClientConfig()
	cfg.Retry.BaseDelay, cfg.Retry.MaxDelay = time.Millisecond, time.Millisecond
	b, err := clerkkit.NewBackend(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv.ResetCalls()
	return srv, sessions.New(b, sessions.Options{})
}

// create starts a session for user through POST /v1/sessions.
func create(t *testing.T, c *sessions.Client, user string) *clerk.Session {
	t.Helper()
	s, err := c.SDK().Create(context.Background(), &session.CreateParams{UserID: user})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// claims decodes a JWT's payload (the emulator signed it; package auth
// verifies such tokens, not these tests).
func claims(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %d parts", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestEmulatorLifecycle(t *testing.T) {
	_, c := emulated(t)
	ctx := context.Background()
	var ids []string
	for range 5 {
		ids = append(ids, create(t, c, seedUser).ID)
	}
	other := create(t, c, otherUser)

	s, err := c.Get(ctx, ids[0])
	if err != nil || s.ID != ids[0] || s.UserID != seedUser || s.Status != sessions.StatusActive {
		t.Fatalf("get: %v %+v", err, s)
	}

	page, err := c.List(ctx, sessions.ListParams{UserID: seedUser, Limit: 2})
	if err != nil || page.TotalCount != 5 || len(page.Sessions) != 2 || page.Sessions[0].ID != ids[4] {
		t.Fatalf("list: %v %+v", err, page)
	}
	// All, in pages of 2, newest first, only the user's.
	var got []string
	for s, err := range c.All(ctx, sessions.ListParams{UserID: seedUser, Limit: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, s.ID)
	}
	if len(got) != 5 || got[0] != ids[4] || got[4] != ids[0] {
		t.Fatalf("all: %v, created %v", got, ids)
	}
	// By client.
	byClient, err := c.List(ctx, sessions.ListParams{ClientID: other.ClientID})
	if err != nil || byClient.TotalCount != 1 || byClient.Sessions[0].ID != other.ID {
		t.Fatalf("by client: %v %+v", err, byClient)
	}

	tok, err := c.Token(ctx, ids[0], 0)
	if err != nil {
		t.Fatal(err)
	}
	if cl := claims(t, tok); cl["sid"] != ids[0] || cl["sub"] != seedUser {
		t.Fatalf("token claims %v", cl)
	}
	tok, err = c.Token(ctx, ids[0], 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if cl := claims(t, tok); cl["exp"].(float64)-cl["iat"].(float64) != 300 {
		t.Fatalf("token lifetime: %v", cl)
	}
	tok, err = c.TemplateToken(ctx, ids[0], "hasura", 0)
	if err != nil {
		t.Fatal(err)
	}
	if cl := claims(t, tok); cl["uid"] != seedUser || cl["role"] != "user" || cl["sid"] != ids[0] || cl["exp"].(float64)-cl["iat"].(float64) != 120 {
		t.Fatalf("template token claims %v", cl)
	}
	tok, err = c.TemplateToken(ctx, ids[0], "hasura", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if cl := claims(t, tok); cl["exp"].(float64)-cl["iat"].(float64) != 3600 {
		t.Fatalf("template token lifetime %v", cl)
	}
	_, err = c.TemplateToken(ctx, ids[0], "missing", 0)
	if !errors.Is(err, clerkerr.ErrNotFound) {
		t.Fatalf("unknown template: %v", err)
	}

	r, err := c.Revoke(ctx, ids[0])
	if err != nil || r.Status != sessions.StatusRevoked {
		t.Fatalf("revoke: %v %+v", err, r)
	}
	revoked, err := c.List(ctx, sessions.ListParams{UserID: seedUser, Status: sessions.StatusRevoked})
	if err != nil || revoked.TotalCount != 1 || revoked.Sessions[0].ID != ids[0] {
		t.Fatalf("revoked: %v %+v", err, revoked)
	}
	active, err := c.List(ctx, sessions.ListParams{UserID: seedUser, Status: sessions.StatusActive})
	if err != nil || active.TotalCount != 4 {
		t.Fatalf("active: %v %+v", err, active)
	}
	// A revoked session has no tokens.
	if _, err := c.Token(ctx, ids[0], 0); !errors.Is(err, clerkerr.ErrNotFound) {
		t.Fatalf("token of a revoked session: %v", err)
	}
	if _, err := c.TemplateToken(ctx, ids[0], "hasura", 0); !errors.Is(err, clerkerr.ErrNotFound) {
		t.Fatalf("template token of a revoked session: %v", err)
	}
}

func TestEmulatorNotFound(t *testing.T) {
	_, c := emulated(t)
	ctx := context.Background()
	const missing = "sess_00000000000000000000000000"
	check := func(name string, err error) {
		t.Helper()
		var apiErr *clerkerr.APIError
		if !errors.Is(err, clerkerr.ErrNotFound) || !errors.As(err, &apiErr) || apiErr.Status != 404 {
			t.Errorf("%s: %v, want a 404 *clerkerr.APIError", name, err)
		}
	}
	_, err := c.Get(ctx, missing)
	check("Get", err)
	_, err = c.Revoke(ctx, missing)
	check("Revoke", err)
	_, err = c.Token(ctx, missing, 0)
	check("Token", err)
	_, err = c.TemplateToken(ctx, missing, "hasura", 0)
	check("TemplateToken", err)
	// An unknown user has no sessions.
	if page, err := c.List(ctx, sessions.ListParams{UserID: "user_nobody"}); err != nil || page.TotalCount != 0 || len(page.Sessions) != 0 {
		t.Fatalf("list: %v %+v", err, page)
	}
}

func TestEmulatorRetries(t *testing.T) {
	srv, c := emulated(t)
	ctx := context.Background()
	s := create(t, c, seedUser)
	// A GET is retried after a 503; a revoke (POST) is not.
	srv.InjectFault(clerktest.Fault{Route: "GET /v1/sessions/{session_id}", Status: 503, Times: 2})
	if got, err := c.Get(ctx, s.ID); err != nil || got.ID != s.ID || srv.Calls("GET /v1/sessions/{session_id}") != 3 {
		t.Fatalf("get after 503s: %v, %d calls", err, srv.Calls("GET /v1/sessions/{session_id}"))
	}
	srv.InjectFault(clerktest.Fault{Route: "POST /v1/sessions/{session_id}/revoke", Status: 503, Times: 1})
	_, err := c.Revoke(ctx, s.ID)
	var apiErr *clerkerr.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 503 || srv.Calls("POST /v1/sessions/{session_id}/revoke") != 1 {
		t.Fatalf("revoke: %v, %d calls", err, srv.Calls("POST /v1/sessions/{session_id}/revoke"))
	}
	if got, err := c.Get(ctx, s.ID); err != nil || got.Status != sessions.StatusActive {
		t.Fatalf("still active: %v %+v", err, got)
	}
	// A 429 on the list is retried, and All carries on.
	srv.InjectFault(clerktest.Fault{Route: "GET /v1/sessions", Status: 429, Times: 1})
	n := 0
	for _, err := range c.All(ctx, sessions.ListParams{UserID: seedUser}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 1 || srv.Calls("GET /v1/sessions") != 2 {
		t.Fatalf("%d sessions, %d calls", n, srv.Calls("GET /v1/sessions"))
	}
}
