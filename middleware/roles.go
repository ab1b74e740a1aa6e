package middleware

import (
	"context"
	"errors"
	"github.com/clerkkit/clerkkit/clerkerr"
	"net/http"
	"time"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/internal/cache"
)

// Reasons of failures of the user-role and organization-in-the-URL guards.
const (
	// ReasonUserRoleRequired: the user's public-metadata role is not the
	// one required.
	ReasonUserRoleRequired = "role-required"
	// ReasonOrgMembershipRequired: the user is not a member of the
	// organization named in the request (or lacks the role asked for).
	ReasonOrgMembershipRequired = "org-membership-required"
	// ReasonOrgNotActive: the organization named in the request is not the
	// session's active organization.
	ReasonOrgNotActive = "org-not-active"
	// ReasonLookupFailed: a Backend API lookup needed to decide failed; the
	// request is refused with 503 (fail closed, and not a sign-out).
	ReasonLookupFailed = "clerk-api-unavailable"
)

// RoleSource looks up a user's role in the Backend API; *users.Client is
// one (the role is public_metadata.role).
type RoleSource interface {
	Role(ctx context.Context, userID string) (string, error)
}

// CachingRoleSource is a RoleSource that caches its answers itself and
// drops a user's with Forget; *users.Client is one. RequireRole keeps no
// cache of its own over such a source, so the source's Forget (called by
// its own writes, or by a webhook handler) is the one invalidation needed.
type CachingRoleSource interface {
	RoleSource
	Forget(userID string)
}

// MembershipSource decides organization membership for the session in ctx;
// *memberships.Client is one. The claims decide when the organization is
// the session's active one, the Backend API otherwise. Errors wrap
// clerkerr.ErrForbidden or clerkerr.ErrUnauthenticated when they are
// answers, anything else when the lookup failed.
type MembershipSource interface {
	RequireOrgMember(ctx context.Context, orgID string) error
	RequireOrgAdmin(ctx context.Context, orgID string) error
}

// DefaultRoleTTL is how long RequireRole remembers a role looked up in a
// RoleSource that does not cache itself.
const DefaultRoleTTL = 30 * time.Second

// WithUsers lets RequireRole look up roles that the session token does not
// carry, through src (e.g. clerkkit's Client.Users). Concurrent misses for
// one user make one call.
//
// When src is a CachingRoleSource, as *users.Client is, the cache is the
// source's and ttl is not used: a role changed through that Client (SetRole,
// UpdateMetadata, …) is seen by the next request, and one changed
// elsewhere once the source's entry expires (users.Options.RoleCacheTTL,
// default 30s) or at once when a user.updated webhook handler calls
// Client.Users.Forget. Any other source's answers are cached here for ttl
// (0: DefaultRoleTTL) per user; ForgetRole drops one.
func WithUsers(src RoleSource, ttl time.Duration) Option {
	return func(m *Middleware) {
		if _, ok := src.(CachingRoleSource); ok {
			// The source caches, de-duplicates and forgets; a second
			// layer here would serve a lookup started before a Forget to
			// requests arriving after it.
			m.roles, m.roleCache = src, nil
			return
		}
		if ttl <= 0 {
			ttl = DefaultRoleTTL
		}
		m.roles, m.roleCache = src, cache.New[string, string](ttl, 0, nil)
	}
}

// ForgetRole drops the user's role from RequireRole's cache and, when the
// RoleSource is a CachingRoleSource, from the source's (calling its
// Forget), so the next request looks it up again. With *users.Client as
// the source, Client.Users.Forget does the same; ForgetRole is for other
// sources. It does nothing without WithUsers.
func (m *Middleware) ForgetRole(userID string) {
	if m.roleCache != nil {
		m.roleCache.Invalidate(userID)
	}
	if f, ok := m.roles.(CachingRoleSource); ok {
		f.Forget(userID)
	}
}

// lookupRole asks the RoleSource, through RequireRole's cache when the
// source does not cache itself.
func (m *Middleware) lookupRole(ctx context.Context, userID string) (string, error) {
	if m.roleCache == nil {
		return m.roles.Role(ctx, userID)
	}
	return m.roleCache.Get(ctx, userID, func(ctx context.Context) (string, error) {
		return m.roles.Role(ctx, userID)
	})
}

// WithMemberships lets the …Of guards decide membership in organizations
// other than the session's active one, through src (e.g. clerkkit's
// Client.Memberships, which caches and de-duplicates its lookups).
func WithMemberships(src MembershipSource) Option {
	return func(m *Middleware) { m.memberships = src }
}

// WithRoleClaim replaces how RequireRole reads the role from the session
// token. The default reads the "role" member of a "metadata" claim, which a
// session-token template such as {"metadata": "{{user.public_metadata}}"}
// adds; ok is false when the token does not carry a role.
func WithRoleClaim(f func(*auth.Session) (role string, ok bool)) Option {
	return func(m *Middleware) { m.roleClaim = f }
}

// metadataRole reads claims.metadata.role.
func metadataRole(s *auth.Session) (string, bool) {
	var c struct {
		Metadata *struct {
			Role *string `json:"role"`
		} `json:"metadata"`
	}
	if err := s.DecodeClaims(&c); err != nil || c.Metadata == nil || c.Metadata.Role == nil {
		return "", false
	}
	return *c.Metadata.Role, true
}

// RequireRole returns a middleware that lets through users whose
// public-metadata role is role (the seed's "admin only" pattern). The
// session token's claim decides when it carries the role (see
// WithRoleClaim); otherwise a cached Backend API lookup does (see
// WithUsers). Without either, the request is refused.
func (m *Middleware) RequireRole(role string) func(http.Handler) http.Handler {
	if role == "" {
		panic("clerkkit/middleware: RequireRole with an empty role")
	}
	return func(next http.Handler) http.Handler {
		return m.requireCtx(next, func(r *http.Request, s *auth.Session) *Failure {
			got, ok := m.roleClaim(s)
			if !ok && m.roles != nil {
				var err error
				got, err = m.lookupRole(r.Context(), s.UserID)
				if err != nil {
					return &Failure{Status: http.StatusServiceUnavailable, Reason: ReasonLookupFailed, Err: err}
				}
			}
			if got != role {
				return forbidden(ReasonUserRoleRequired)
			}
			return nil
		})
	}
}

// OrgIDFunc extracts an organization id from a request.
type OrgIDFunc func(*http.Request) string

// PathValue returns an OrgIDFunc reading the path wildcard name, as set by
// http.ServeMux patterns like "GET /api/orgs/{orgID}". For chi, pass
// func(r *http.Request) string { return chi.URLParam(r, "orgID") }.
func PathValue(name string) OrgIDFunc {
	return func(r *http.Request) string { return r.PathValue(name) }
}

// RequireActiveOrg returns a middleware that lets through sessions whose
// active organization is the one orgID names: the claims decide, with no
// API call.
func (m *Middleware) RequireActiveOrg(orgID OrgIDFunc) func(http.Handler) http.Handler {
	if orgID == nil {
		panic("clerkkit/middleware: RequireActiveOrg with a nil OrgIDFunc")
	}
	return func(next http.Handler) http.Handler {
		return m.requireCtx(next, func(r *http.Request, s *auth.Session) *Failure {
			if id := orgID(r); id == "" || id != s.OrgID {
				return forbidden(ReasonOrgNotActive)
			}
			return nil
		})
	}
}

// RequireOrgMemberOf returns a middleware that lets through members of the
// organization orgID names (the "user must belong to the org in the URL"
// pattern). The claims decide when it is the active organization; the
// MembershipSource given with WithMemberships does otherwise. It panics
// without WithMemberships.
func (m *Middleware) RequireOrgMemberOf(orgID OrgIDFunc) func(http.Handler) http.Handler {
	return m.requireOrgOf(orgID, false)
}

// RequireOrgAdminOf is RequireOrgMemberOf for admins (org:admin) of the
// organization orgID names.
func (m *Middleware) RequireOrgAdminOf(orgID OrgIDFunc) func(http.Handler) http.Handler {
	return m.requireOrgOf(orgID, true)
}

func (m *Middleware) requireOrgOf(orgID OrgIDFunc, admin bool) func(http.Handler) http.Handler {
	if orgID == nil {
		panic("clerkkit/middleware: nil OrgIDFunc")
	}
	if m.memberships == nil {
		panic("clerkkit/middleware: organization-in-the-request guards need WithMemberships")
	}
	// A member who is not an admin gets the reason RequireOrgAdmin gives
	// (org-role-required); a non-member gets org-membership-required. The
	// admin check after a passed member check is answered from the claims
	// or the membership cache.
	type step struct {
		check  func(context.Context, string) error
		reason string
	}
	steps := []step{{m.memberships.RequireOrgMember, ReasonOrgMembershipRequired}}
	if admin {
		steps = append(steps, step{m.memberships.RequireOrgAdmin, ReasonOrgRoleRequired})
	}
	return func(next http.Handler) http.Handler {
		return m.requireCtx(next, func(r *http.Request, _ *auth.Session) *Failure {
			id := orgID(r)
			if id == "" {
				return forbidden(ReasonOrgMembershipRequired)
			}
			for _, st := range steps {
				if f := orgFailure(st.check(r.Context(), id), st.reason); f != nil {
					return f
				}
			}
			return nil
		})
	}
}

// orgFailure maps a membership check's error to the request's failure: nil
// when it passed, 403 with reason when it was refused, 401 without a
// session, 503 when the lookup itself failed.
func orgFailure(err error, reason string) *Failure {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, clerkerr.ErrForbidden):
		return forbidden(reason)
	case errors.Is(err, clerkerr.ErrUnauthenticated):
		return &Failure{Status: http.StatusUnauthorized, Reason: auth.ErrNoToken.Reason(), Err: err}
	default:
		return &Failure{Status: http.StatusServiceUnavailable, Reason: ReasonLookupFailed, Err: err}
	}
}
