package auth_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/clerkkit/clerkkit/auth"
)

// A signed-in state's context carries its session, as WithSession would;
// other states leave the session an outer context carries, and a later
// WithSession still shadows it.
func TestRequestStateContextSession(t *testing.T) {
	type otherKey struct{}
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), otherKey{}, "v"))
	s := &auth.Session{UserID: "user_1", SessionID: "sess_1"}
	st := &auth.RequestState{Status: auth.SignedIn, Principal: &auth.Principal{Kind: auth.SessionToken, Session: s}, Headers: http.Header{}}
	ctx := auth.WithRequestState(parent, st)
	got, ok := auth.FromContext(ctx)
	assert.True(t, ok)
	assert.Same(t, s, got)
	gotSt, ok := auth.RequestStateFromContext(ctx)
	assert.True(t, ok)
	assert.Same(t, st, gotSt)
	assert.Equal(t, "v", ctx.Value(otherKey{}), "other values come from the parent")
	assert.Contains(t, ctx.(interface{ String() string }).String(), "WithRequestState")

	// Cancellation still flows from the parent.
	child, stop := context.WithTimeout(ctx, time.Hour)
	defer stop()
	cancel()
	<-child.Done()
	assert.ErrorIs(t, ctx.Err(), context.Canceled)

	_, ok = auth.FromContext(auth.WithSession(ctx, nil))
	assert.False(t, ok, "a later WithSession(nil) shadows the state's session")

	for _, st := range []*auth.RequestState{
		{Status: auth.SignedOut, Reason: auth.ReasonSessionTokenMissing, Headers: http.Header{}},
		{Status: auth.Handshake, Reason: auth.ReasonDevBrowserMissing, Headers: http.Header{}},
		{Status: auth.SignedIn, Principal: &auth.Principal{Kind: auth.APIKey, Machine: &auth.Machine{}}, Headers: http.Header{}},
		nil,
	} {
		_, ok := auth.FromContext(auth.WithRequestState(context.Background(), st))
		assert.False(t, ok, "%+v carries no session", st)
		outer := &auth.Session{UserID: "user_outer"}
		got, ok := auth.FromContext(auth.WithRequestState(auth.WithSession(context.Background(), outer), st))
		assert.True(t, ok)
		assert.Same(t, outer, got, "%+v leaves the outer session", st)
	}
}
