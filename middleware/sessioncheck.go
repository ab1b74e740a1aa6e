package middleware

import (
	"net/http"

	"github.com/clerkkit/clerkkit/auth"
)

// WithSessionCheck makes every route of the Middleware (WithAuth,
// RequireAuth and every Require… guard) confirm, after the token
// verified, that its session is still active, through c (see
// auth.SessionChecker): a session revoked or ended is refused at most
// c.TTL() after it happened, with 401 and reason "session-revoked"
// (WithAuth lets the request through signed out). When the session's
// status cannot be obtained the request gets 503 with reason
// "clerk-api-unavailable" (fail closed, and not a sign-out). For some
// routes only, use RequireActiveSession instead.
func WithSessionCheck(c *auth.SessionChecker) Option {
	return func(m *Middleware) {
		if c == nil {
			panic("clerkkit/middleware: WithSessionCheck with a nil SessionChecker")
		}
		m.sessionCheck = c
	}
}

// checkSession applies WithSessionCheck's check to an authenticated
// request; a refused request's context no longer carries the session.
func (m *Middleware) checkSession(r *http.Request, s *auth.Session) (*auth.Session, *http.Request, error, bool) {
	if err := m.sessionCheck.Check(r.Context(), s.SessionID); err != nil {
		return nil, r.WithContext(auth.WithSession(r.Context(), nil)), err, false
	}
	return s, r, nil, false
}

// RequireActiveSession returns a middleware that lets through only
// sessions that c confirms active (see auth.SessionChecker), for the
// routes that must refuse a revoked or ended session within c.TTL()
// rather than within the token's lifetime: sign-out elsewhere, an
// administrator's revocation or a ban then takes effect on them at once,
// up to that bound. A refused session gets 401 with reason
// "session-revoked"; when its status cannot be obtained the request gets
// 503 with reason "clerk-api-unavailable" (or "secret-key-invalid").
// Requests without a valid token are answered as RequireAuth answers
// them.
func (m *Middleware) RequireActiveSession(c *auth.SessionChecker) func(http.Handler) http.Handler {
	if c == nil {
		panic("clerkkit/middleware: RequireActiveSession with a nil SessionChecker")
	}
	return func(next http.Handler) http.Handler {
		return m.requireCtx(next, func(r *http.Request, s *auth.Session) *Failure {
			return checkFailure(c.Check(r.Context(), s.SessionID))
		})
	}
}

// checkFailure maps a session check's error to the request's failure:
// nil when it passed, 503 when the status could not be obtained, 401
// otherwise.
func checkFailure(err error) *Failure {
	switch {
	case err == nil:
		return nil
	case auth.Unavailable(err):
		return &Failure{Status: http.StatusServiceUnavailable, Reason: auth.Reason(err), Err: err}
	default:
		return &Failure{Status: http.StatusUnauthorized, Reason: auth.Reason(err), Err: err}
	}
}
