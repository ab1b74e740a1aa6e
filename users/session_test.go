package users_test

import (
	"context"
	"testing"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
)

// sessionContext returns a context carrying the verified session of a
// token the emulator minted for userID.
func sessionContext(t *testing.T, srv *emulator.Server, userID string) context.Context {
	t.Helper()
	tok, err := srv.SessionToken(userID, "")
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(srv.AuthConfig())
	if err != nil {
		t.Fatal(err)
	}
	s, err := v.Verify(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	return auth.WithSession(context.Background(), s)
}
