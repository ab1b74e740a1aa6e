package auth_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerkerr"
	"github.com/clerkkit/clerkkit/clerktest"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
)

const routeGetSession = "GET /v1/sessions/{session_id}"

// checkFixture is a SessionChecker on the emulator, and a signed-in
// session's token.
type checkFixture struct {
	srv   *emulator.Server
	v     *auth.Verifier
	c     *auth.SessionChecker
	token string
	sid   string
}

func newCheckFixture(t *testing.T, o auth.SessionCheckOptions) checkFixture {
	t.Helper()
	srv := newEmulator(t)
	v, err := auth.NewVerifier(srv.AuthConfig())
	require.NoError(t, err)
	c, err := auth.NewSessionChecker(v, o)
	require.NoError(t, err)
	f := checkFixture{srv: srv, v: v, c: c}
	f.token, f.sid = f.signIn(t)
	return f
}

// signIn starts a session for the seeded user and returns a token of it
// and its id.
func (f checkFixture) signIn(t *testing.T) (string, string) {
	t.Helper()
	tok, err := f.srv.SessionToken(emuUser, "")
	require.NoError(t, err)
	s, err := f.v.Verify(context.Background(), tok)
	require.NoError(t, err)
	return tok, s.SessionID
}

func (f checkFixture) revoke(t *testing.T, sid string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.srv.URL()+"/v1/sessions/"+sid+"/revoke", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+f.srv.SecretKey())
	resp, err := f.srv.HTTPClient().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

// expect runs Verify and checks its error and whether it made a lookup.
func (f checkFixture) expect(t *testing.T, what string, want error, lookup bool) {
	t.Helper()
	n := f.srv.Calls(routeGetSession)
	s, err := f.c.Verify(context.Background(), f.token)
	if want == nil {
		require.NoError(t, err, what)
		assert.Equal(t, f.sid, s.SessionID, what)
	} else {
		require.ErrorIs(t, err, want, what)
		assert.Nil(t, s, what)
	}
	assert.Equal(t, lookup, f.srv.Calls(routeGetSession) != n, "%s: lookup made", what)
}

// A revoked (Backend API) or ended (signed out in the frontend) session is
// refused within TTL of the change, although its token still verifies;
// the refusal is then cached for NegativeTTL.
func TestSessionCheckRefusesWithinTTL(t *testing.T) {
	for name, end := range map[string]func(f checkFixture, t *testing.T){
		"revoked": func(f checkFixture, t *testing.T) { f.revoke(t, f.sid) },
		"ended":   func(f checkFixture, t *testing.T) { require.NoError(t, f.srv.EndSession(f.sid)) },
		"removed": func(f checkFixture, t *testing.T) { require.NoError(t, f.srv.RemoveSession(f.sid)) },
	} {
		t.Run(name, func(t *testing.T) {
			f := newCheckFixture(t, auth.SessionCheckOptions{})
			clock := f.srv.Clock()
			assert.Equal(t, auth.DefaultSessionCheckTTL, f.c.TTL())
			f.expect(t, "cold", nil, true)
			clock.Advance(5 * time.Second)
			f.expect(t, "cached", nil, false)
			end(f, t)
			f.expect(t, "ended within the TTL: still trusted (the documented window)", nil, false)
			clock.Advance(5 * time.Second) // 10 s since the lookup
			_, err := f.v.Verify(context.Background(), f.token)
			require.NoError(t, err, "the token itself is still valid")
			f.expect(t, "TTL over", auth.ErrSessionRevoked, true)
			f.expect(t, "refusal cached", auth.ErrSessionRevoked, false)
			clock.Advance(auth.DefaultSessionCheckNegativeTTL - time.Second)
			err = f.c.Check(context.Background(), f.sid)
			require.ErrorIs(t, err, auth.ErrSessionRevoked)
			assert.Equal(t, "session-revoked", auth.Reason(err))
			assert.False(t, auth.Unavailable(err))
			assert.Contains(t, err.Error(), "session is "+name)
			assert.EqualValues(t, 2, f.c.Lookups())
		})
	}
}

// 1 000 concurrent cold checks of one session make one Backend API call.
func TestSessionCheckDeduplicates(t *testing.T) {
	f := newCheckFixture(t, auth.SessionCheckOptions{})
	f.srv.InjectFault(clerktest.Fault{Route: routeGetSession, Latency: 200 * time.Millisecond, Times: 1})
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for range 1000 {
		wg.Go(func() {
			if _, err := f.c.Verify(context.Background(), f.token); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	assert.EqualValues(t, 1, f.srv.Calls(routeGetSession))
	assert.EqualValues(t, 1, f.c.Lookups())
}

// Distinct sessions cost one call each per TTL, however often they are
// checked.
func TestSessionCheckOneCallPerSessionPerTTL(t *testing.T) {
	f := newCheckFixture(t, auth.SessionCheckOptions{TTL: 30 * time.Second})
	var sids []string
	for range 50 {
		_, sid := f.signIn(t)
		sids = append(sids, sid)
	}
	ctx := context.Background()
	for range 3 {
		for _, sid := range sids {
			require.NoError(t, f.c.Check(ctx, sid))
		}
		f.srv.Clock().Advance(9 * time.Second)
	}
	assert.EqualValues(t, 50, f.srv.Calls(routeGetSession))
	f.srv.Clock().Advance(3 * time.Second) // 30 s since the lookups
	for _, sid := range sids {
		require.NoError(t, f.c.Check(ctx, sid))
	}
	assert.EqualValues(t, 100, f.srv.Calls(routeGetSession))
}

// A session the Backend API does not know is refused, and so cached.
func TestSessionCheckUnknownSession(t *testing.T) {
	f := newCheckFixture(t, auth.SessionCheckOptions{})
	ctx := context.Background()
	for range 2 {
		err := f.c.Check(ctx, "sess_2xhFjEI5X2qWRvtV13BzSjNOPE")
		require.ErrorIs(t, err, auth.ErrSessionRevoked)
		assert.Contains(t, err.Error(), "not found")
	}
	assert.EqualValues(t, 1, f.srv.Calls(routeGetSession))
}

// A failed lookup refuses the session with an error that is not
// ErrSessionRevoked (the middleware answers 503), and is not cached.
func TestSessionCheckFailsClosed(t *testing.T) {
	for name, tc := range map[string]struct {
		fault clerktest.Fault
		want  error
	}{
		"down": {clerktest.Fault{Kind: clerktest.FaultDown}, auth.ErrSessionCheckUnavailable},
		"500":  {clerktest.Fault{Status: 500}, auth.ErrSessionCheckUnavailable},
		"503":  {clerktest.Fault{Status: 503}, auth.ErrSessionCheckUnavailable},
		"429":  {clerktest.Fault{Status: 429, RetryAfter: time.Second}, auth.ErrSessionCheckUnavailable},
		"401":  {clerktest.Fault{Status: 401}, auth.ErrSecretKeyInvalid},
		"403":  {clerktest.Fault{Status: 403}, auth.ErrSecretKeyInvalid},
	} {
		t.Run(name, func(t *testing.T) {
			f := newCheckFixture(t, auth.SessionCheckOptions{})
			tc.fault.Route = routeGetSession
			f.srv.InjectFault(tc.fault)
			for range 2 {
				_, err := f.c.Verify(context.Background(), f.token)
				require.ErrorIs(t, err, tc.want)
				assert.NotErrorIs(t, err, auth.ErrSessionRevoked)
				assert.True(t, auth.Unavailable(err))
				assert.NotContains(t, err.Error(), f.srv.SecretKey())
			}
			// (Calls may count more: net/http retries a GET on a
			// connection closed without an answer.)
			assert.EqualValues(t, 2, f.c.Lookups(), "failures are not cached")
			f.srv.ClearFaults()
			f.expect(t, "API back", nil, true)
		})
	}
}

// A caller whose context ends stops waiting; the lookup goes on for the
// others and is cached.
func TestSessionCheckCallerCancelled(t *testing.T) {
	f := newCheckFixture(t, auth.SessionCheckOptions{})
	f.srv.InjectFault(clerktest.Fault{Route: routeGetSession, Latency: 100 * time.Millisecond, Times: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	err := f.c.Check(ctx, f.sid)
	require.ErrorIs(t, err, auth.ErrSessionCheckUnavailable)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Eventually(t, func() bool { return f.c.Check(context.Background(), f.sid) == nil }, 2*time.Second, 10*time.Millisecond)
	assert.EqualValues(t, 1, f.srv.Calls(routeGetSession))
}

// Forget (from a session.revoked or session.ended webhook handler) makes
// the next check ask at once.
func TestSessionCheckForget(t *testing.T) {
	f := newCheckFixture(t, auth.SessionCheckOptions{})
	f.expect(t, "cold", nil, true)
	f.revoke(t, f.sid)
	f.expect(t, "cached", nil, false)
	f.c.Forget(f.sid)
	f.expect(t, "after Forget", auth.ErrSessionRevoked, true)
	f.c.Forget(f.sid)
	f.expect(t, "after Forget of a refusal: asked again", auth.ErrSessionRevoked, true)
}

// An expired session token fails before any lookup; so does a machine
// token offered to Verify.
func TestSessionCheckVerifiesFirst(t *testing.T) {
	f := newCheckFixture(t, auth.SessionCheckOptions{})
	f.srv.Clock().Advance(time.Hour)
	_, err := f.c.Verify(context.Background(), f.token)
	require.ErrorIs(t, err, auth.ErrExpired)
	_, err = f.c.Verify(context.Background(), "ak_caller_machine_secret_0123456789abcdef")
	require.ErrorIs(t, err, auth.ErrTokenType)
	_, err = f.c.Verify(context.Background(), "")
	require.ErrorIs(t, err, auth.ErrNoToken)
	assert.EqualValues(t, 0, f.srv.Calls(routeGetSession))
}

func TestSessionCheckRefusesBadSessionIDs(t *testing.T) {
	f := newCheckFixture(t, auth.SessionCheckOptions{})
	for _, sid := range []string{"", "sess_../../users", "sess_a/b", "sess_a?x=1", "sess_%2F", string(make([]byte, 200))} {
		err := f.c.Check(context.Background(), sid)
		require.ErrorIs(t, err, auth.ErrMalformed, "%q", sid)
	}
	assert.EqualValues(t, 0, f.srv.Calls(routeGetSession))
}

func TestNewSessionCheckerValidates(t *testing.T) {
	srv := newEmulator(t)
	cfg := srv.AuthConfig()
	cfg.SecretKey = ""
	cfg.JWKSURL = srv.URL() + "/v1/jwks"
	v, err := auth.NewVerifier(cfg)
	require.NoError(t, err)
	_, err = auth.NewSessionChecker(v, auth.SessionCheckOptions{})
	require.ErrorIs(t, err, clerkerr.ErrInvalidConfig)
	_, err = auth.NewSessionChecker(nil, auth.SessionCheckOptions{})
	require.ErrorIs(t, err, clerkerr.ErrInvalidConfig)
	v, err = auth.NewVerifier(srv.AuthConfig())
	require.NoError(t, err)
	for _, o := range []auth.SessionCheckOptions{{TTL: -1}, {NegativeTTL: -1}, {CacheSize: -1}, {MaxLookups: -1}} {
		_, err = auth.NewSessionChecker(v, o)
		require.ErrorIs(t, err, clerkerr.ErrInvalidConfig, "%+v", o)
	}
	var e *auth.Error
	require.True(t, errors.As(auth.ErrSessionCheckUnavailable, &e))
	assert.Equal(t, "clerk-api-unavailable", e.Reason())
}
