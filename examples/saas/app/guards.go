package app

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/clerkkit/clerkkit/examples/saas/store"
	"github.com/clerkkit/clerkkit/metadata"
	"github.com/clerkkit/clerkkit/middleware"
)

// maxIDLen bounds the ids taken from URLs before any lookup.
const maxIDLen = 128

// Roles of an organization membership.
const (
	roleAdmin  = "org:admin"
	roleMember = "org:member"
)

// requireOrg returns a guard that lets through members (admins, when admin
// is true) of the organization named by the {orgID} path value. The app's
// synced membership table decides: no Backend API call is ever made, so an
// organization id the app has never seen costs one indexed read, and a
// removed member or demoted admin is refused as soon as the webhook has
// arrived. When the organization is the session's active one, the token's
// claims must agree as well (a promotion therefore shows once the token is
// refreshed, within Clerk's 60 s; a demotion or removal at once).
func (a *App) requireOrg(admin bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s := session(r)
			orgID := r.PathValue("orgID")
			role, err := a.syncedRole(r.Context(), orgID, s.UserID)
			switch {
			case err != nil:
				a.internal(w, r, err)
				return
			case role == "":
				a.forbid(w, r, middleware.ReasonOrgMembershipRequired)
				return
			case admin && (role != roleAdmin || (s.OrgID == orgID && s.OrgRole != roleAdmin)):
				a.forbid(w, r, middleware.ReasonOrgMembershipRequired)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// requireActiveOrg lets through sessions whose active organization is the
// one the {orgID} path value names and whose membership the synced table
// confirms.
func (a *App) requireActiveOrg(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := session(r)
		if s.OrgID == "" || s.OrgID != r.PathValue("orgID") {
			a.forbid(w, r, middleware.ReasonOrgNotActive)
			return
		}
		a.requireOrg(false)(next).ServeHTTP(w, r)
	})
}

// syncedRole is userID's role in orgID by the synced membership table, or
// "" when the table holds no such membership.
func (a *App) syncedRole(ctx context.Context, orgID, userID string) (string, error) {
	if orgID == "" || userID == "" || len(orgID) > maxIDLen {
		return "", nil
	}
	m, err := a.st.GetMembership(ctx, orgID, userID)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return m.Role, nil
}

// activeOrg is the session's active organization when the synced table
// confirms the membership, else "": a removed member's token, still
// claiming the organization, reads and writes only personal projects.
func (a *App) activeOrg(r *http.Request) (string, error) {
	s := session(r)
	role, err := a.syncedRole(r.Context(), s.OrgID, s.UserID)
	if err != nil || role == "" {
		return "", err
	}
	return s.OrgID, nil
}

func (a *App) forbid(w http.ResponseWriter, r *http.Request, reason string) {
	a.failure(w, r, &middleware.Failure{Status: http.StatusForbidden, Reason: reason})
}

// storeRoles is middleware.RoleSource from the synced users table: the
// role is public_metadata.role, as users.Client reads it from Clerk.
type storeRoles struct{ st *store.Store }

// Role returns userID's public-metadata role; an unknown user has none.
func (sr storeRoles) Role(ctx context.Context, userID string) (string, error) {
	u, err := sr.st.GetUser(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	role, _ := metadata.Get[string](u.PublicMetadata, "role")
	return role, nil
}

// contentSecurityPolicy is the pages' policy: the app's own scripts (none
// are used), styles and images only, forms posted to the app itself, never
// framed. Sign-in and sign-out are links to Clerk's hosted pages, so no
// third-party origin is needed.
func contentSecurityPolicy() string {
	return strings.Join([]string{
		"default-src 'none'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src 'self' data:",
		"connect-src 'self'",
		"font-src 'self'",
		"form-action 'self'",
		"base-uri 'none'",
		"object-src 'none'",
		"frame-ancestors 'none'",
	}, "; ")
}

// securityHeaders sets the browser-hardening headers on every response.
func (a *App) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", a.csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// wantsHTML reports whether r is a browser page request rather than an API
// call.
func wantsHTML(r *http.Request) bool {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		return false
	}
	return strings.Contains(r.Header.Get("Accept"), "text/html") || r.Header.Get("Sec-Fetch-Dest") == "document" ||
		r.Method == http.MethodPost && r.Header.Get("Content-Type") == "application/x-www-form-urlencoded"
}

func itoa(n int) string { return strconv.Itoa(n) }
