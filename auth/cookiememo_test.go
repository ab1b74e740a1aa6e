package auth_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerktest"
)

// The signed-in cookie memo changes no decision: every request shape of
// the differential test, decided twice by Verifiers that remember
// signed-in Cookie headers (the second pass reusing what the first
// remembered), gets exactly the answer of Verifiers that cache nothing.
// No node needed: the reference is clerkkit's own full decision, which
// TestDifferentialAuthenticateRequest compares with Clerk's.
func TestCookieMemoChangesNoDecision(t *testing.T) {
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	elsewhere := clerktest.NewIssuer(t)
	instances := map[bool]*reqInstance{
		false: newReqInstance(t, false, elsewhere, otherKey),
		true:  newReqInstance(t, true, elsewhere, otherKey),
	}
	newNonceAPI(t, instances)
	shapes := reqShapes(520)
	cases := make([]reqCase, len(shapes))
	for i, s := range shapes {
		cases[i] = s.build(instances[s.Live], strconv.Itoa(i))
	}
	verifiers := newCaseVerifiers(t, instances)
	want := make([]reqAnswer, len(cases))
	for i, s := range shapes {
		want[i] = clerkkitDecide(verifiers.get(s, cases[i], false), cases[i])
	}
	hits, signedIn := 0, 0
	for pass := range 2 {
		for i, s := range shapes {
			v := verifiers.get(s, cases[i], true)
			if pass == 1 {
				if st := auth.CookieMemoHit(v, caseRequest(cases[i]), caseOptions(cases[i])); st != nil {
					hits++
					require.Equal(t, want[i].SessionID, st.Principal.Session.SessionID, "case %d %s", i, s)
				}
			}
			got := clerkkitDecide(v, cases[i])
			require.Equal(t, want[i], got, "pass %d, case %d %s", pass, i, s)
			if pass == 0 && got.Status == string(auth.SignedIn) {
				signedIn++
			}
		}
	}
	remembered := 0
	for k, v := range verifiers.made {
		if !k.cache {
			assert.Zero(t, auth.CookieMemoLen(v), "a Verifier without a token cache remembers nothing")
		}
		remembered += auth.CookieMemoLen(v)
	}
	t.Logf("%d cases, %d signed in, %d Cookie headers remembered, %d decisions reused on the second pass", len(cases), signedIn, remembered, hits)
	require.Positive(t, remembered)
	// Many signed-in shapes carry the token in the Authorization header or
	// are document GETs with a Referer: not eligible.
	require.GreaterOrEqual(t, hits, 20, "the memo serves the common signed-in cookie shapes")
	require.LessOrEqual(t, hits, signedIn, "only signed-in decisions are reused")
}

// caseRequest and caseOptions are the request and options clerkkit
// decides c with.
func caseRequest(c reqCase) *http.Request {
	r := httptest.NewRequest(c.Method, c.URL, nil)
	for k, val := range c.Headers {
		if k != "Host" { // r.Host already is the URL's host
			r.Header.Set(k, val)
		}
	}
	return r
}

func caseOptions(c reqCase) auth.RequestOptions {
	o := auth.RequestOptions{
		SignInURL:         c.Options.SignInURL,
		TrustedProxy:      func(*http.Request) bool { return c.TrustProxy },
		IsSatellite:       c.Options.IsSatellite,
		Domain:            c.Options.Domain,
		SatelliteAutoSync: c.Options.SatelliteAutoSync,
	}
	for _, k := range c.Accepts {
		o.AcceptsToken = append(o.AcceptsToken, auth.TokenKind(k))
	}
	return o
}

// memoEnv is a development instance on a controllable clock, a Verifier
// with the memo and one without any cache, deciding the same requests.
type memoEnv struct {
	*rsEnv
	plain *auth.Verifier
}

func newMemoEnv(t *testing.T, live bool, edit ...func(*auth.Config)) *memoEnv {
	e := &memoEnv{rsEnv: newRSEnv(t, live, edit...)}
	cfg := e.iss.AuthConfig()
	cfg.DisableTokenCache = true
	for _, f := range edit {
		f(&cfg)
	}
	e.plain = newVerifier(t, cfg)
	return e
}

// decide decides q with the memo and without, requires the same answer,
// and returns it with whether the memo answered.
func (e *memoEnv) decide(t *testing.T, q rq, o auth.RequestOptions) (*auth.RequestState, bool) {
	t.Helper()
	hit := auth.CookieMemoHit(e.v, q.build(), o) != nil
	st, err := e.v.AuthenticateRequest(context.Background(), q.build(), o)
	require.NoError(t, err)
	ref, err := e.plain.AuthenticateRequest(context.Background(), q.build(), o)
	require.NoError(t, err)
	require.Equal(t, ref.Status, st.Status)
	require.Equal(t, ref.Reason, st.Reason)
	require.Equal(t, ref.Headers.Get("Location") != "", st.Headers.Get("Location") != "")
	return st, hit
}

func (e *memoEnv) cookies(tok string) string {
	return fmt.Sprintf("__clerk_db_jwt=dvb_1; __client_uat=%d; __session=%s", t0.Add(-time.Minute).Unix(), tok)
}

// A remembered Cookie header stops being signed in when its token
// expires (with the clock skew, as Verify), and the expired entry goes.
func TestCookieMemoExpiry(t *testing.T) {
	e := newMemoEnv(t, false)
	tok := e.token(func(c *clerktest.Claims) { c.ExpiresAt = t0.Add(time.Minute) })
	q := rq{cookies: e.cookies(tok), headers: api}
	st, hit := e.decide(t, q, auth.RequestOptions{})
	require.Equal(t, auth.SignedIn, st.Status)
	require.False(t, hit)
	require.Nil(t, st.Headers, "nothing to send")
	st2, hit := e.decide(t, q, auth.RequestOptions{})
	require.True(t, hit, "the same Cookie header again")
	require.Equal(t, auth.SignedIn, st2.Status)
	require.NotSame(t, st, st2, "every request gets its own state")
	require.Same(t, st.Principal.Session, st2.Principal.Session)
	require.Equal(t, 1, auth.CookieMemoLen(e.v))

	e.iss.Clock().Advance(time.Minute + 4*time.Second) // within the 5 s skew
	_, hit = e.decide(t, q, auth.RequestOptions{})
	require.True(t, hit)
	e.iss.Clock().Advance(2 * time.Second)
	st, hit = e.decide(t, q, auth.RequestOptions{})
	require.False(t, hit)
	require.Equal(t, auth.SignedOut, st.Status)
	require.Contains(t, st.Reason, auth.ReasonSessionTokenExpired)
	require.Zero(t, auth.CookieMemoLen(e.v), "the expired entry is dropped")
	_, hit = e.decide(t, rq{cookies: q.cookies, headers: doc}, auth.RequestOptions{})
	require.False(t, hit)
}

// A key rotation that drops the token's key forgets what was remembered
// under the old key set.
func TestCookieMemoKeyRotation(t *testing.T) {
	e := newMemoEnv(t, false)
	oldKid := e.iss.KeyID()
	tok := e.token(func(c *clerktest.Claims) { c.ExpiresAt = t0.Add(time.Hour) })
	q := rq{cookies: e.cookies(tok), headers: api}
	e.decide(t, q, auth.RequestOptions{})
	_, hit := e.decide(t, q, auth.RequestOptions{})
	require.True(t, hit)

	e.iss.Rotate()
	require.True(t, e.iss.DropKey(oldKid))
	e.iss.Clock().Advance(auth.DefaultKeysTTL)
	_, _ = e.v.AuthenticateRequest(context.Background(), q.build(), auth.RequestOptions{}) // starts the refresh
	require.Eventually(t, func() bool { return auth.CookieMemoHit(e.v, q.build(), auth.RequestOptions{}) == nil },
		2*time.Second, 5*time.Millisecond, "a new key set invalidates the entry")
	require.Eventually(t, func() bool {
		st, err := e.v.AuthenticateRequest(context.Background(), q.build(), auth.RequestOptions{})
		return err == nil && st.Status == auth.SignedOut
	}, 2*time.Second, 5*time.Millisecond, "the removed key is no longer trusted")
}

// Requests whose other parts can change a signed-in decision are never
// answered from the memo, even when their Cookie header is remembered.
func TestCookieMemoIneligible(t *testing.T) {
	e := newMemoEnv(t, false)
	tok := e.token(func(c *clerktest.Claims) { c.ExpiresAt = t0.Add(time.Hour) })
	ck := e.cookies(tok)
	e.decide(t, rq{cookies: ck, headers: api}, auth.RequestOptions{})
	_, hit := e.decide(t, rq{cookies: ck, headers: api}, auth.RequestOptions{})
	require.True(t, hit)

	other := e.token(func(c *clerktest.Claims) { c.UserID = "user_2"; c.ExpiresAt = t0.Add(time.Hour) })
	for name, c := range map[string]struct {
		q rq
		o auth.RequestOptions
	}{
		"cross-origin document GET": {rq{cookies: ck, headers: merge(doc, map[string]string{"Referer": "https://satellite.example.net/"})}, auth.RequestOptions{}},
		"untrusted forwarded host":  {rq{url: "http://10.0.0.7:8080/dashboard", cookies: ck, headers: merge(doc, map[string]string{"Referer": "https://app.example.com/", "X-Forwarded-Host": "app.example.com", "X-Forwarded-Proto": "https"})}, auth.RequestOptions{}},
		"dev browser in the query":  {rq{url: "https://app.example.com/?__clerk_db_jwt=dvb_2", cookies: ck, headers: doc}, auth.RequestOptions{}},
		"escaped query":             {rq{url: "https://app.example.com/?%5F%5Fclerk_db_jwt=dvb_2", cookies: ck, headers: doc}, auth.RequestOptions{}},
		"synced":                    {rq{url: "https://app.example.com/?__clerk_synced=true", cookies: ck, headers: doc}, auth.RequestOptions{}},
		"handshake token":           {rq{url: "https://app.example.com/?__clerk_handshake=" + e.handshakeToken("__session="+other+"; Path=/"), cookies: ck, headers: doc}, auth.RequestOptions{}},
		"Authorization":             {rq{cookies: ck, headers: merge(api, map[string]string{"Authorization": "Bearer " + other})}, auth.RequestOptions{}},
		"satellite":                 {rq{cookies: ck, headers: api}, auth.RequestOptions{IsSatellite: true, Domain: "satellite.example.net", SignInURL: "https://app.example.com/sign-in"}},
		"API keys only":             {rq{cookies: ck, headers: api}, auth.RequestOptions{AcceptsToken: []auth.TokenKind{auth.APIKey}}},
		"API keys and M2M only":     {rq{cookies: ck, headers: api}, auth.RequestOptions{AcceptsToken: []auth.TokenKind{auth.APIKey, auth.M2MToken}}},
	} {
		t.Run(name, func(t *testing.T) {
			hit := auth.CookieMemoHit(e.v, c.q.build(), c.o)
			require.Nil(t, hit)
			_, err := e.v.AuthenticateRequest(context.Background(), c.q.build(), c.o)
			ref, refErr := e.plain.AuthenticateRequest(context.Background(), c.q.build(), c.o)
			require.Equal(t, refErr == nil, err == nil)
			if err == nil {
				st, _ := e.v.AuthenticateRequest(context.Background(), c.q.build(), c.o)
				require.Equal(t, ref.Status, st.Status)
				require.Equal(t, ref.Reason, st.Reason)
				if ref.Principal != nil && ref.Principal.Session != nil {
					require.Equal(t, ref.Principal.Session.UserID, st.Principal.Session.UserID)
				}
			}
		})
	}
	// A page navigation from a link on the app's own origin is served by
	// the memo (directly, or through a trusted proxy).
	for name, c := range map[string]struct {
		q rq
		o auth.RequestOptions
	}{
		"same-origin document GET": {rq{cookies: ck, headers: merge(doc, html, map[string]string{"Referer": "https://app.example.com/projects?x=1"})}, auth.RequestOptions{}},
		"trusted forwarded host": {rq{url: "http://10.0.0.7:8080/dashboard", cookies: ck, headers: merge(doc, map[string]string{"Referer": "https://app.example.com/", "X-Forwarded-Host": "app.example.com", "X-Forwarded-Proto": "https"})},
			auth.RequestOptions{TrustedProxy: func(*http.Request) bool { return true }}},
	} {
		t.Run(name, func(t *testing.T) {
			st, hit := e.decide(t, c.q, c.o)
			require.True(t, hit)
			require.Equal(t, auth.SignedIn, st.Status)
		})
	}

	// Two Cookie lines are read as one header by the full decision.
	r := rq{headers: api}.build()
	r.Header.Add("Cookie", "__clerk_db_jwt=dvb_1")
	r.Header.Add("Cookie", "__client_uat=1; __session="+tok)
	require.Nil(t, auth.CookieMemoHit(e.v, r, auth.RequestOptions{}))
	require.Equal(t, 1, auth.CookieMemoLen(e.v), "none of them was remembered")

	// The cross-origin sync still hands shake on the remembered cookies.
	st, _ := e.decide(t, rq{cookies: ck, headers: merge(doc, map[string]string{"Referer": "https://satellite.example.net/"})}, auth.RequestOptions{})
	require.Equal(t, auth.Handshake, st.Status)
	require.Equal(t, auth.ReasonPrimaryDomainCrossOriginSync, st.Reason)
}

// Where Clerk's suffixed-cookie rule reads the clock (a development
// instance, __client_uat=0 beside a suffixed __client_uat and a suffixed
// token with exp), the decision is not remembered.
func TestCookieMemoSkipsClockDependentCookies(t *testing.T) {
	e := newMemoEnv(t, false)
	plain := e.token(func(c *clerktest.Claims) { c.ExpiresAt = t0.Add(time.Hour) })
	sfx := e.token(func(c *clerktest.Claims) { c.ExpiresAt = t0.Add(time.Minute) })
	uat := strconv.FormatInt(t0.Add(-time.Minute).Unix(), 10)
	q := rq{cookies: "__clerk_db_jwt=dvb_1; __clerk_db_jwt_" + e.sfx + "=dvb_1; __client_uat=0; __client_uat_" + e.sfx + "=" + uat +
		"; __session=" + plain + "; __session_" + e.sfx + "=" + sfx, headers: api}
	for range 3 {
		st, hit := e.decide(t, q, auth.RequestOptions{})
		require.False(t, hit)
		require.Equal(t, auth.SignedIn, st.Status)
	}
	require.Zero(t, auth.CookieMemoLen(e.v))
	e.iss.Clock().Advance(2 * time.Minute) // the suffixed token expires: Clerk reads the plain cookies
	st, _ := e.decide(t, q, auth.RequestOptions{})
	t.Logf("after the suffixed token's expiry: %s %s", st.Status, st.Reason)
}

// A flood of distinct Cookie headers (one valid token with ever new noise
// cookies) keeps the memo within its bound; requests are still decided.
func TestCookieMemoBounded(t *testing.T) {
	e := newMemoEnv(t, false, func(c *auth.Config) { c.TokenCacheSize = 400 })
	tok := e.token(func(c *clerktest.Claims) { c.ExpiresAt = t0.Add(time.Hour) })
	for i := range 5000 {
		q := rq{cookies: e.cookies(tok) + "; n=" + strconv.Itoa(i), headers: api}
		st, err := e.v.AuthenticateRequest(context.Background(), q.build(), auth.RequestOptions{})
		require.NoError(t, err)
		require.Equal(t, auth.SignedIn, st.Status)
		require.LessOrEqual(t, auth.CookieMemoLen(e.v), 100, "a quarter of TokenCacheSize")
	}
	q := rq{cookies: e.cookies(tok) + "; n=again", headers: api}
	e.decide(t, q, auth.RequestOptions{})
	_, hit := e.decide(t, q, auth.RequestOptions{})
	require.True(t, hit, "the memo keeps working after the flood")
}

// Without a token cache nothing is remembered.
func TestCookieMemoOffWithoutTokenCache(t *testing.T) {
	e := newMemoEnv(t, false, func(c *auth.Config) { c.DisableTokenCache = true })
	tok := e.token(func(c *clerktest.Claims) { c.ExpiresAt = t0.Add(time.Hour) })
	q := rq{cookies: e.cookies(tok), headers: api}
	for range 3 {
		st, hit := e.decide(t, q, auth.RequestOptions{})
		require.False(t, hit)
		require.Equal(t, auth.SignedIn, st.Status)
	}
	require.Zero(t, auth.CookieMemoLen(e.v))
}

// The context room allocated with a signed-in state serves one
// WithRequestState; more, also concurrent, get contexts of their own, each
// with its parent and the state.
func TestWithRequestStateSharedRoom(t *testing.T) {
	e := newMemoEnv(t, false)
	tok := e.token(func(c *clerktest.Claims) { c.ExpiresAt = t0.Add(time.Hour) })
	q := rq{cookies: e.cookies(tok), headers: api}
	e.decide(t, q, auth.RequestOptions{})
	st, hit := e.decide(t, q, auth.RequestOptions{})
	require.True(t, hit)
	again, hit := e.decide(t, q, auth.RequestOptions{})
	require.True(t, hit)
	require.Same(t, st, again, "a memo entry hands out its one shared state")
	type key struct{}
	const n = 32
	ctxs := make([]context.Context, n)
	done := make(chan int)
	for i := range n {
		go func() {
			ctxs[i] = auth.WithRequestState(context.WithValue(context.Background(), key{}, i), st)
			done <- i
		}()
	}
	for range n {
		<-done
	}
	seen := map[context.Context]bool{}
	for i, ctx := range ctxs {
		require.False(t, seen[ctx], "context %d shared", i)
		seen[ctx] = true
		require.Equal(t, i, ctx.Value(key{}))
		got, ok := auth.RequestStateFromContext(ctx)
		require.True(t, ok)
		require.Same(t, st, got)
		s, ok := auth.FromContext(ctx)
		require.True(t, ok)
		require.Same(t, st.Principal.Session, s)
	}
}

// A session token's iat may carry a fraction (RFC 7519 allows it; Clerk's
// decodeJwt reads the JSON number as is). Clerk's suffixed-cookie rule
// compares the iats of __session and __session_<suffix>: with iats 0.7
// and 0.2 past the same second, the plain cookie is the newer and is
// read. The decision (and so what the memo remembers) must not depend on
// whether the token cache holds one of the tokens: a cached token's peek
// used to give its iat truncated to the second, which turned the
// comparison around and signed the request in as the suffixed cookie's
// user, and the memo then kept answering that user after the token cache
// forgot the plain token.
func TestCookieMemoFractionalIATNotCacheDependent(t *testing.T) {
	e := newMemoEnv(t, true, func(c *auth.Config) { c.TokenCacheSize = 40 })
	sec := t0.Add(-30 * time.Second).Unix()
	plain := e.token(func(c *clerktest.Claims) {
		c.UserID = "user_plain"
		c.ExpiresAt = t0.Add(time.Hour)
		c.Extra = map[string]any{"iat": float64(sec) + 0.7}
	})
	sfx := e.token(func(c *clerktest.Claims) {
		c.UserID = "user_sfx"
		c.ExpiresAt = t0.Add(time.Hour)
		c.Extra = map[string]any{"iat": float64(sec) + 0.2}
	})
	uat := strconv.FormatInt(sec-60, 10)
	q := rq{cookies: "__client_uat=" + uat + "; __client_uat_" + e.sfx + "=" + uat + "; __session=" + plain + "; __session_" + e.sfx + "=" + sfx, headers: api}

	ref, err := e.plain.AuthenticateRequest(context.Background(), q.build(), auth.RequestOptions{})
	require.NoError(t, err)
	require.Equal(t, auth.SignedIn, ref.Status)
	require.Equal(t, "user_plain", ref.Principal.Session.UserID, "Clerk reads the plain cookie, whose iat is the later")

	// The plain token was verified before (say, sent in an Authorization
	// header once): it is in the token cache.
	_, err = e.v.Verify(context.Background(), plain)
	require.NoError(t, err)
	st, hit := e.decide(t, q, auth.RequestOptions{})
	require.False(t, hit)
	require.Equal(t, "user_plain", st.Principal.Session.UserID, "the token cache changes no decision")
	st, hit = e.decide(t, q, auth.RequestOptions{})
	require.True(t, hit)
	require.Equal(t, "user_plain", st.Principal.Session.UserID)

	// The token cache forgets the plain token (other tokens fill it); the
	// memo must still answer what a full decision answers.
	for i := range 60 {
		_, err := e.v.Verify(context.Background(), e.token(func(c *clerktest.Claims) { c.UserID = "user_fill" + strconv.Itoa(i) }))
		require.NoError(t, err)
	}
	st, _ = e.decide(t, q, auth.RequestOptions{})
	require.Equal(t, "user_plain", st.Principal.Session.UserID)
}

// The memo's keys are whole Cookie headers, which the client writes: one
// valid session token beside ever new padding up to the 64 KB the cookie
// flow parses would make each entry hold 64 KB, and a quarter of the
// default TokenCacheSize such entries 160 MB (more with a larger
// TokenCacheSize), all from one signed-in user. A Cookie header longer
// than a browser usually sends is decided in full and not remembered; a
// usual one still is.
func TestCookieMemoRefusesHugeCookieHeaders(t *testing.T) {
	e := newMemoEnv(t, false, func(c *auth.Config) { c.TokenCacheSize = 400 })
	tok := e.token(func(c *clerktest.Claims) { c.ExpiresAt = t0.Add(time.Hour) })
	pad := strings.Repeat("x", 32<<10)
	for i := range 20 {
		q := rq{cookies: e.cookies(tok) + "; pad=" + pad + strconv.Itoa(i), headers: api}
		st, hit := e.decide(t, q, auth.RequestOptions{})
		require.False(t, hit)
		require.Equal(t, auth.SignedIn, st.Status)
	}
	require.Zero(t, auth.CookieMemoLen(e.v), "no 32 KB Cookie header is remembered")
	q := rq{cookies: e.cookies(tok) + "; _ga=GA1.1.123456789.1700000000; theme=dark", headers: api}
	e.decide(t, q, auth.RequestOptions{})
	_, hit := e.decide(t, q, auth.RequestOptions{})
	require.True(t, hit, "a usual Cookie header is")
}
