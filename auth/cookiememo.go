package auth

import (
	"net/http"
	"strings"
)

// The signed-in cookie memo: AuthenticateRequest remembers, for the
// Cookie header of a request it decided signed in, the session it found,
// so that the next request with the same Cookie header (a browser sends
// the same one until the session token is refreshed, about every 50 s)
// costs one map lookup, as a token in the Authorization header does.
//
// A remembered decision is reused only where it cannot differ from what
// AuthenticateRequest would decide again:
//
//   - Only requests whose other inputs cannot change a signed-in decision
//     are eligible (cookieMemoKey): not a satellite, session tokens
//     accepted, no token in the Authorization header, one Cookie line
//     of at most maxMemoCookieHeader bytes, no __clerk parameter in the
//     query (nor a percent escape that could spell one), and not a
//     document GET with a Referer on another origin (the primary
//     domain's cross-origin sync check reads it).
//   - The Cookie header's own contribution is a pure function of its text,
//     except where Clerk's suffixed-cookie rule compares a token's exp
//     with the clock on development instances, or a handshake is being
//     resolved: those decisions are not remembered (reqCtx.unmemoable).
//   - The token's times are checked again on every reuse, with the clock
//     skew, exactly as a token cache hit in Verify checks them; an entry
//     is valid only for the key-set generation that verified the token
//     (the token cache's entry for it), so a key rotation forgets every
//     entry.
//   - Nothing else is remembered: the session revocation check of
//     middleware.WithSessionCheck runs after AuthenticateRequest either
//     way.
//
// The memo is per Verifier, off when the token cache is disabled, and
// bounded like it (a quarter of TokenCacheSize entries, whose keys are
// Cookie headers of at most maxMemoCookieHeader bytes): a flood of
// distinct Cookie headers only evicts entries, whose requests are then
// decided in full again.

// maxMemoCookieHeader bounds the Cookie headers the memo remembers. The
// client writes them: without a bound, one signed-in user padding a valid
// session cookie with ever new junk up to the 64 KB the cookie flow
// parses would pin 64 KB per entry. A browser's Cookie header with
// Clerk's cookies (each at most 4 KB) is usually well under it; a longer
// one is decided in full every time.
const maxMemoCookieHeader = 8 << 10

// cookieMemoKey returns the Cookie header under which the decision of r
// may be remembered and reused, or "" when r is not eligible (see above).
func cookieMemoKey(r *http.Request, o *RequestOptions, mode acceptMode, tokenInHeader string) string {
	if o.IsSatellite || tokenInHeader != "" || !mode.accepts(SessionToken) || mode.machineSingle() {
		return ""
	}
	lines := r.Header["Cookie"]
	if len(lines) != 1 || len(lines[0]) > maxMemoCookieHeader {
		return ""
	}
	if q := r.URL.RawQuery; q != "" && (strings.Contains(q, "__clerk") || strings.IndexByte(q, '%') >= 0) {
		return ""
	}
	if r.Method == http.MethodGet && headerValue(r, "Sec-Fetch-Dest") == "document" {
		// A page navigation, from a link when it has a Referer: eligible
		// when the Referer is on the request's own origin, where the
		// cross-origin sync check (the only reader of the Referer before
		// signing in) cannot fire.
		if ref := headerValue(r, "Referer"); ref != "" && !refererSameOrigin(r, o, ref) {
			if rc := (reqCtx{r: r, o: *o}); rc.crossOriginReferrer() {
				return ""
			}
		}
	}
	return lines[0]
}

// memoHit returns the signed-in state remembered for key, when its
// session's times are still valid for the current key set; nil
// otherwise (an entry whose token has expired is dropped). The state is
// the entry's own, shared by every request the entry decides, as a token
// cache hit shares its *Session: it carries no Headers and no room for a
// context (WithRequestState allocates one).
func (v *Verifier) memoHit(key string) *RequestState {
	if v.cookieMemo == nil || key == "" {
		return nil
	}
	ks := v.keys.snap.Load()
	if ks == nil {
		return nil
	}
	e, ok := v.cookieMemo.get(key, ks.gen)
	if !ok || e.st == nil {
		return nil
	}
	if _, err := v.acceptFrom(v.cookieMemo, key, e.s, v.cfg.Now()); err != nil {
		return nil
	}
	return e.st
}

// memoPut remembers st, the decision of a request eligible under key,
// when it is a plain signed-in session whose cookies' reading does not
// depend on the clock. The entry is valid for the key-set generation the
// token cache holds the session under (the key set that verified it), as
// the token cache's own entry is.
func (v *Verifier) memoPut(key string, st *RequestState, rc *reqCtx) {
	if v.cookieMemo == nil || v.tokens == nil || key == "" || rc.unmemoable || rc.handshakeToken != "" || rc.handshakeNonce != "" {
		return
	}
	if st.Status != SignedIn || st.Principal == nil || st.Principal.Session == nil || len(st.Headers) != 0 {
		return
	}
	if e, ok := v.tokens.entry(rc.sessionCookie); ok && e.s == st.Principal.Session {
		shared := &struct {
			st RequestState
			p  Principal
		}{p: Principal{Kind: SessionToken, Session: e.s}}
		shared.st = RequestState{Status: SignedIn, Principal: &shared.p}
		v.cookieMemo.store(key, cachedToken{s: e.s, st: &shared.st, gen: e.gen, exp: e.s.ExpiresAt}, v.cfg.Now())
	}
}

// sessionState is the state of a request signed in with session s, with
// headers h: the state, its principal and the context WithRequestState
// first makes for it in one allocation.
func sessionState(s *Session, h http.Header) *RequestState {
	b := &struct {
		st RequestState
		p  Principal
		c  stateContext
	}{p: Principal{Kind: SessionToken, Session: s}}
	b.st = RequestState{Status: SignedIn, Principal: &b.p, Headers: h, ctx: &b.c}
	return &b.st
}

// refererSameOrigin reports, without parsing URLs, that r's Referer ref
// is not cross-origin for crossOriginReferrer: ref is the public scheme
// (http or https), "://" and host, byte for byte, followed by nothing or
// by a path, query or fragment. Then url.Parse reads the same scheme and
// authority from ref as from scheme://host, which publicURL parses, so the
// two origins are equal; and a failure to parse scheme://host lies in
// bytes that ref shares (a delimiter cannot complete a percent escape), so
// ref fails to parse too and crossOriginReferrer is false. False means
// "not known": ask crossOriginReferrer.
func refererSameOrigin(r *http.Request, o *RequestOptions, ref string) bool {
	scheme, host, _, _ := publicSchemeHost(r, o)
	var rest string
	switch {
	case scheme == "https" && strings.HasPrefix(ref, "https://"):
		rest = ref[len("https://"):]
	case scheme == "http" && strings.HasPrefix(ref, "http://"):
		rest = ref[len("http://"):]
	default:
		return false
	}
	if !strings.HasPrefix(rest, host) {
		return false
	}
	rest = rest[len(host):]
	return rest == "" || rest[0] == '/' || rest[0] == '?' || rest[0] == '#'
}
