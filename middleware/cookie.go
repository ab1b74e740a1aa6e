package middleware

import (
	"errors"
	"net/http"
	"net/netip"
	"strings"

	"github.com/clerkkit/clerkkit/auth"
)

// WithRequestOptions sets the options of the cookie flow (see
// auth.Verifier.AuthenticateRequest): sign-in and sign-up URLs, satellite
// settings and which requests' X-Forwarded-* headers to trust. Without
// TrustedProxy, the peers given to WithTrustedProxies are trusted.
func WithRequestOptions(o auth.RequestOptions) Option {
	return func(m *Middleware) { m.reqOpts = o }
}

// WithoutCookieFlow turns the cookie flow off: cookie tokens are verified
// like header tokens, with no __client_uat rules and no handshake, as
// before the flow existed.
func WithoutCookieFlow() Option {
	return func(m *Middleware) { m.noCookieFlow = true }
}

// useCookieFlow reports whether r is decided by AuthenticateRequest: the
// flow is on, the token is read the default way, and r carries cookies (or
// a handshake coming back) but no Authorization token. Header requests
// keep the header path.
func (m *Middleware) useCookieFlow(r *http.Request) bool {
	if m.noCookieFlow || m.customExtract {
		return false
	}
	if auth.BearerToken(r) != "" {
		return false
	}
	if len(r.Header["Cookie"]) > 0 {
		return true
	}
	q := r.URL.RawQuery
	return q != "" && strings.Contains(q, "__clerk_")
}

// errCookieFallback means the Verifier cannot run the cookie flow (no
// publishable key): the cookie is verified as a plain token.
var errCookieFallback = errors.New("cookie flow unavailable")

// signedOutError is the error of a request the cookie flow signed out.
type signedOutError struct{ st *auth.RequestState }

func (e *signedOutError) Error() string {
	return "clerkkit/middleware: signed out: " + e.st.Reason
}

// Is makes the states with no token at all match auth.ErrNoToken, so that
// WriteFailure's WWW-Authenticate says no token was presented.
func (e *signedOutError) Is(target error) bool {
	if target != auth.ErrNoToken {
		return false
	}
	switch e.st.Reason {
	case auth.ReasonSessionTokenAndUATMissing, auth.ReasonSessionTokenMissing, auth.ReasonDevBrowserMissing:
		return true
	}
	return false
}

// initCookieFlow completes the cookie flow's options once New has applied
// every option: without a TrustedProxy, the peers of WithTrustedProxies
// are trusted.
func (m *Middleware) initCookieFlow() {
	if m.reqOpts.TrustedProxy == nil && len(m.proxies) > 0 {
		m.reqOpts.TrustedProxy = m.peerTrusted
	}
}

// cookieAuthenticate runs the cookie flow. done is true when a response
// (a handshake, or the redirect of a resolved one) has been written.
func (m *Middleware) cookieAuthenticate(w http.ResponseWriter, r *http.Request) (*auth.Session, *http.Request, error, bool) {
	st, err := m.v.AuthenticateRequest(r.Context(), r, m.reqOpts)
	if err != nil {
		if errors.Is(err, auth.ErrNoPublishableKey) {
			return nil, r, errCookieFallback, false
		}
		return nil, r, err, false
	}
	// A signed-in state's context also carries its session (auth.FromContext).
	r = r.WithContext(auth.WithRequestState(r.Context(), st))
	signedIn := st.Status == auth.SignedIn && st.Principal != nil && st.Principal.Session != nil
	if len(st.Headers) == 0 {
		if signedIn {
			return st.Principal.Session, r, nil, false
		}
		return nil, r, &signedOutError{st}, false
	}
	h := w.Header()
	for k, vs := range st.Headers {
		if k == "Location" {
			continue
		}
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	if st.Redirect() {
		h.Set("Location", st.Headers.Get("Location"))
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusTemporaryRedirect)
		return nil, r, nil, true
	}
	if signedIn {
		return st.Principal.Session, r, nil, false
	}
	return nil, r, &signedOutError{st}, false
}

// peerTrusted reports whether r's peer is one of WithTrustedProxies'.
func (m *Middleware) peerTrusted(r *http.Request) bool {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	addr := ap.Addr().Unmap()
	for _, p := range m.proxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// failureReason is the Failure.Reason of err.
func failureReason(err error) string {
	var so *signedOutError
	if errors.As(err, &so) {
		return so.st.Reason
	}
	if errors.Is(err, auth.ErrHandshakeUnavailable) {
		return ReasonHandshakeUnavailable
	}
	return auth.Reason(err)
}

// ReasonHandshakeUnavailable is the 503 reason when a handshake could not
// be resolved (auth.ErrHandshakeUnavailable).
const ReasonHandshakeUnavailable = "handshake-unavailable"
