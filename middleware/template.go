package middleware

import (
	"net/http"

	"github.com/clerkkit/clerkkit/auth"
)

// RequireTemplateToken returns a middleware that lets through only
// requests whose Authorization header carries a token of tv's JWT
// template (a front end's getToken({ template }) sent as "Bearer …").
// Handlers read it with auth.TemplateTokenFromContext; it is not a
// session, so auth.FromContext does not see it and a session guard inside
// this one still requires a session token. Session tokens, machine tokens
// and cookies are refused here, as template tokens are refused by every
// session route. With WithSessionCheck, the token's session is checked
// too. A refused request gets 401 with the auth reason (e.g.
// "token-type-mismatch", "token-expired", "token-template-mismatch"),
// 503 when the keys or the session's status are unavailable.
func (m *Middleware) RequireTemplateToken(tv *auth.TemplateVerifier) func(http.Handler) http.Handler {
	if tv == nil {
		panic("clerkkit/middleware: RequireTemplateToken with a nil TemplateVerifier")
	}
	return func(next http.Handler) http.Handler {
		if next == nil {
			panic("clerkkit/middleware: nil handler")
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			tt, err := tv.Verify(r.Context(), auth.BearerToken(r))
			if err == nil && m.sessionCheck != nil {
				err = m.sessionCheck.Check(r.Context(), tt.SessionID)
			}
			if err != nil {
				m.refuse(w, r, err, false)
				return
			}
			next.ServeHTTP(w, r.WithContext(auth.WithTemplateToken(r.Context(), tt)))
		})
	}
}
