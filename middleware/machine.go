package middleware

import (
	"net/http"
	"slices"

	"github.com/clerkkit/clerkkit/auth"
)

// ReasonScopeRequired: the machine token lacks a scope that is required
// (403), or the principal is a session, which has no scopes.
const ReasonScopeRequired = "scope-required"

// RequireToken returns a middleware that lets through requests whose token
// is of one of kinds (auth.SessionToken, auth.APIKey, auth.M2MToken,
// auth.OAuthToken, or auth.AnyToken for all of them; none: session tokens
// only, like RequireAuth), verified with auth.Verifier.VerifyToken.
// Handlers read the principal with auth.PrincipalFromContext (or
// auth.MachineFromContext; a session is also in auth.FromContext).
//
// Machine tokens are read from the Authorization header only, never from a
// cookie: when the header carries no token and sessions are accepted, the
// request's session cookie (or the WithTokenExtractor token) is verified as
// a session token and nothing else. A token of a kind not accepted gets 401
// with reason "token-type-mismatch", before any network call. A machine
// token that could not be verified because the Backend API failed or the
// verification bounds were reached gets 503 with Retry-After (see
// auth.ErrVerificationBusy), not 401. Only when sessions are accepted does
// a browser page load get the WithSignInURL redirect.
//
// A principal already in the context (from an outer RequireToken, or a
// session from WithAuth or RequireAuth) is reused when its kind is
// accepted; one of another kind gets 401 token-type-mismatch. It panics on
// an unknown kind.
func (m *Middleware) RequireToken(kinds ...auth.TokenKind) func(http.Handler) http.Handler {
	checkKinds(kinds)
	return func(next http.Handler) http.Handler {
		return m.requirePrincipal(next, kinds, nil)
	}
}

// RequireScope returns a middleware that lets through machine tokens that
// carry every one of scopes (auth.Machine.HasScope). Chained inside
// RequireToken it checks the principal RequireToken verified, whatever its
// kind; on its own it
// accepts every machine kind (auth.MachineKinds: API keys, M2M and OAuth
// tokens, from the Authorization header), since asking for a scope is
// asking for a machine token. A session gets 403 scope-required, as does a
// machine token lacking a scope. It panics when scopes is empty or holds
// "".
func (m *Middleware) RequireScope(scopes ...string) func(http.Handler) http.Handler {
	if len(scopes) == 0 || slices.Contains(scopes, "") {
		panic("clerkkit/middleware: RequireScope needs non-empty scopes")
	}
	scopes = slices.Clone(scopes)
	check := func(p *auth.Principal) *Failure {
		for _, s := range scopes {
			if !p.Machine.HasScope(s) {
				return forbidden(ReasonScopeRequired)
			}
		}
		return nil
	}
	return func(next http.Handler) http.Handler {
		own := m.requirePrincipal(next, auth.MachineKinds(), check)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// An outer guard's principal, of whatever kind it accepted,
			// is checked as it is: a session has no scopes.
			if p, ok := auth.PrincipalFromContext(r.Context()); ok {
				f := forbidden(ReasonScopeRequired)
				if p.Machine != nil {
					f = check(p)
				}
				if f != nil {
					m.onFailure(w, r, f)
					return
				}
				next.ServeHTTP(w, r)
				return
			}
			own.ServeHTTP(w, r)
		})
	}
}

// checkKinds panics on a kind auth does not know: a programming error.
func checkKinds(kinds []auth.TokenKind) {
	for _, k := range kinds {
		switch k {
		case auth.SessionToken, auth.APIKey, auth.M2MToken, auth.OAuthToken, auth.AnyToken:
		default:
			panic("clerkkit/middleware: unknown token kind " + string(k))
		}
	}
}

func accepts(kinds []auth.TokenKind, k auth.TokenKind) bool {
	if len(kinds) == 0 {
		return k == auth.SessionToken
	}
	return slices.Contains(kinds, k) || slices.Contains(kinds, auth.AnyToken)
}

// requirePrincipal authenticates a token of one of kinds, then applies
// check (when not nil) to the principal.
func (m *Middleware) requirePrincipal(next http.Handler, kinds []auth.TokenKind, check func(*auth.Principal) *Failure) http.Handler {
	if next == nil {
		panic("clerkkit/middleware: nil handler")
	}
	kinds = slices.Clone(kinds)
	sessions := accepts(kinds, auth.SessionToken)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, r, err := m.authenticatePrincipal(r, kinds, sessions)
		if err != nil {
			m.refuse(w, r, err, sessions)
			return
		}
		if check != nil {
			if p.Machine == nil {
				m.onFailure(w, r, forbidden(ReasonScopeRequired))
				return
			}
			if f := check(p); f != nil {
				m.onFailure(w, r, f)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// authenticatePrincipal returns the request's principal: the one in the
// context, a session in the context, or a freshly verified token.
func (m *Middleware) authenticatePrincipal(r *http.Request, kinds []auth.TokenKind, sessions bool) (*auth.Principal, *http.Request, error) {
	ctx := r.Context()
	if p, ok := auth.PrincipalFromContext(ctx); ok {
		if !accepts(kinds, p.Kind) {
			return nil, r, auth.ErrTokenType
		}
		return p, r, nil
	}
	if s, ok := auth.FromContext(ctx); ok && sessions {
		p := &auth.Principal{Kind: auth.SessionToken, Session: s}
		return p, r.WithContext(auth.WithPrincipal(ctx, p)), nil
	}
	accept := kinds
	tok := auth.BearerToken(r)
	if tok == "" && sessions {
		// No header token: the cookie (or the configured extractor) can
		// only carry a session.
		tok, accept = m.extract(r), []auth.TokenKind{auth.SessionToken}
	}
	if tok == "" {
		return nil, r, auth.ErrNoToken
	}
	p, err := m.v.VerifyToken(ctx, tok, accept...)
	if err != nil {
		return nil, r, err
	}
	return p, r.WithContext(auth.WithPrincipal(ctx, p)), nil
}
