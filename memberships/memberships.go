// Package memberships manages Clerk organization memberships through the
// Backend API and answers authorization questions about them.
//
// The CRUD methods are a thin layer over clerk-sdk-go's
// organizationmembership client that returns the official
// *clerk.OrganizationMembership and validates input before any request.
//
// The authorization methods (Role, HasRole, HasPermission and the Require
// family) use the session in the context when they can: when its active
// organization is the one asked about, the token's claims decide and no
// request is made. Otherwise the membership is looked up once through the
// Backend API, cached briefly (Options.CacheTTL) and shared by concurrent
// callers, so a burst of checks for one user makes one call.
//
// What the claims can and cannot answer: a session token carries the role
// and the custom permissions ("org:<feature>:<permission>") of the active
// organization only, and never system permissions ("org:sys_…", such as
// "org:sys_memberships:manage"). Checks on system permissions, and on any
// organization other than the active one, always use the Backend API (the
// membership's role and permissions as Clerk reports them). Claims are as
// fresh as the token (Clerk's last up to 60 s); API answers as fresh as
// the cache TTL (Options.CacheTTL, default 10s), except that changes made
// through this Client (Add, UpdateRole, Remove, UpdateMetadata, and a
// users.Client's Delete when both come from clerkkit.New) are seen at once,
// and so are changes made elsewhere once Forget, ForgetUser or
// ForgetOrganization is called, typically from a webhook handler:
//
//	webhooks.On(h, webhooks.OrganizationMembershipUpdated, func(ctx context.Context, m *clerk.OrganizationMembership, _ *webhooks.Event) error {
//		c.Memberships.ForgetMembership(m)
//		return nil
//	})
package memberships

import (
	"context"
	"errors"
	"fmt"
	"github.com/clerkkit/clerkkit/clerkerr"
	"iter"
	"net/http"
	"strings"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/organizationmembership"
	"github.com/clerk/clerk-sdk-go/v2/user"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/internal/bapi"
	"github.com/clerkkit/clerkkit/internal/cache"
)

// Well-known roles.
const (
	RoleAdmin  = "org:admin"
	RoleMember = "org:member"
)

// Defaults for Options.
const (
	DefaultCacheTTL  = 10 * time.Second
	DefaultCacheSize = 10_000
)

// Options tunes a Client. The zero value is ready to use.
type Options struct {
	// CacheTTL is how long a membership looked up for an authorization
	// check is reused. Default 10s. Changes made through this Client drop
	// the entry at once; changes made elsewhere are seen once it expires.
	CacheTTL time.Duration
	// CacheSize bounds the number of cached (organization, user) pairs.
	// Default 10 000.
	CacheSize int
	// DisableCache turns the cache off: every check that cannot be
	// answered from the claims calls the API (concurrent identical checks
	// still share one call).
	DisableCache bool
	// Now is the cache's clock. Default time.Now.
	Now func() time.Time
}

type cacheKey struct{ org, user string }

// Client calls the Backend API's organization membership endpoints. It is
// safe for concurrent use.
type Client struct {
	sdk     *organizationmembership.Client
	users   *user.Client
	backend clerk.Backend
	cache   *cache.Cache[cacheKey, *clerk.OrganizationMembership]
}

// New returns a Client calling the Backend API through b, tuned by o (the
// zero Options for the defaults). It panics if b is nil.
func New(b clerk.Backend, o Options) *Client {
	b = bapi.Wrap(b)
	ttl := o.CacheTTL
	if ttl <= 0 {
		ttl = DefaultCacheTTL
	}
	if o.DisableCache {
		ttl = 0
	}
	size := o.CacheSize
	if size <= 0 {
		size = DefaultCacheSize
	}
	return &Client{
		sdk:     &organizationmembership.Client{Backend: b},
		users:   &user.Client{Backend: b},
		backend: b,
		cache:   cache.New[cacheKey, *clerk.OrganizationMembership](ttl, size, o.Now),
	}
}

// SDK returns clerk-sdk-go's organization membership client over the same
// backend.
func (c *Client) SDK() *organizationmembership.Client { return c.sdk }

// ListParams filters and pages membership lists: an organization's (List,
// All) or a user's (ListForUser, AllForUser). A user's memberships are
// paged only: the filters (OrderBy, Query, Roles, UserIDs,
// EmailAddresses) are for an organization's and an error there.
type ListParams struct {
	// Limit is the page size, 1..500; 0 means the API's default (10) for
	// List and ListForUser, 500 for All and AllForUser. Any other value is
	// an error.
	Limit int
	// Offset skips that many memberships.
	Offset int
	// OrderBy sorts, e.g. "-created_at", "+first_name".
	OrderBy string
	// Query matches the members' emails, phones, usernames, ids and names.
	Query string
	// Roles keeps members with these roles ("org:admin"; the prefix may be
	// left out).
	Roles []string
	// UserIDs keeps these users (at most 100).
	UserIDs []string
	// EmailAddresses keeps members with these addresses (at most 100).
	EmailAddresses []string
}

func (p ListParams) sdk(op, orgID string) (*organizationmembership.ListParams, error) {
	if err := bapi.ID(op, "orgID", orgID); err != nil {
		return nil, err
	}
	if err := bapi.Page(op, p.Limit, p.Offset); err != nil {
		return nil, err
	}
	if err := bapi.Text(op, "OrderBy", p.OrderBy, false, 64); err != nil {
		return nil, err
	}
	if err := bapi.Text(op, "Query", p.Query, false, 1024); err != nil {
		return nil, err
	}
	if err := bapi.IDs(op, "UserIDs", p.UserIDs, 100); err != nil {
		return nil, err
	}
	if err := bapi.Texts(op, "EmailAddresses", p.EmailAddresses, 100); err != nil {
		return nil, err
	}
	if len(p.Roles) > 100 {
		return nil, bapi.InputError(op, "Roles", "accepts at most 100 values")
	}
	q := &organizationmembership.ListParams{
		OrganizationID: orgID,
		UserIDs:        p.UserIDs,
		EmailAddresses: p.EmailAddresses,
	}
	for _, r := range p.Roles {
		role, err := bapi.Role(op, "Roles", r)
		if err != nil {
			return nil, err
		}
		q.Roles = append(q.Roles, role)
	}
	bapi.SetPage(&q.ListParams, p.Limit, p.Offset)
	if p.OrderBy != "" {
		q.OrderBy = clerk.String(p.OrderBy)
	}
	if p.Query != "" {
		q.Query = clerk.String(p.Query)
	}
	return q, nil
}

// List returns one page of the organization's memberships, with the total
// count.
func (c *Client) List(ctx context.Context, orgID string, p ListParams) (*clerk.OrganizationMembershipList, error) {
	q, err := p.sdk("memberships.List", orgID)
	if err != nil {
		return nil, err
	}
	return c.sdk.List(ctx, q)
}

// All iterates over every membership of the organization matching p, in
// pages of p.Limit (default 500) from p.Offset on. It stops at the first
// error, which it yields, and when the loop breaks.
func (c *Client) All(ctx context.Context, orgID string, p ListParams) iter.Seq2[*clerk.OrganizationMembership, error] {
	q, err := p.sdk("memberships.All", orgID)
	if err != nil {
		return bapi.Fail[*clerk.OrganizationMembership](err)
	}
	return bapi.All(ctx, p.Limit, p.Offset, func(ctx context.Context, limit, offset int) ([]*clerk.OrganizationMembership, int64, error) {
		page := *q
		bapi.SetPage(&page.ListParams, limit, offset)
		list, err := c.sdk.List(ctx, &page)
		if err != nil {
			return nil, 0, err
		}
		return list.OrganizationMemberships, list.TotalCount, nil
	})
}

// forUser checks a user's membership listing: the user id, and p's page
// (the Backend API filters a user's memberships by nothing else).
func (p ListParams) forUser(op, userID string) (*user.ListOrganizationMembershipsParams, error) {
	if err := bapi.ID(op, "userID", userID); err != nil {
		return nil, err
	}
	if err := bapi.Page(op, p.Limit, p.Offset); err != nil {
		return nil, err
	}
	for field, set := range map[string]bool{
		"OrderBy": p.OrderBy != "", "Query": p.Query != "", "Roles": len(p.Roles) > 0,
		"UserIDs": len(p.UserIDs) > 0, "EmailAddresses": len(p.EmailAddresses) > 0,
	} {
		if set {
			return nil, bapi.InputError(op, field, "cannot filter a user's memberships (only Limit and Offset can be set)")
		}
	}
	q := &user.ListOrganizationMembershipsParams{}
	bapi.SetPage(&q.ListParams, p.Limit, p.Offset)
	return q, nil
}

// ListForUser returns one page of the user's memberships, across
// organizations, with the total count. Only p.Limit and p.Offset may be
// set.
func (c *Client) ListForUser(ctx context.Context, userID string, p ListParams) (*clerk.OrganizationMembershipList, error) {
	q, err := p.forUser("memberships.ListForUser", userID)
	if err != nil {
		return nil, err
	}
	return c.users.ListOrganizationMemberships(ctx, userID, q)
}

// AllForUser iterates over every membership of the user, across
// organizations, in pages of p.Limit (default 500) from p.Offset on. Only
// p.Limit and p.Offset may be set. It stops at the first error, which it
// yields, and when the loop breaks.
func (c *Client) AllForUser(ctx context.Context, userID string, p ListParams) iter.Seq2[*clerk.OrganizationMembership, error] {
	q, err := p.forUser("memberships.AllForUser", userID)
	if err != nil {
		return bapi.Fail[*clerk.OrganizationMembership](err)
	}
	return bapi.All(ctx, p.Limit, p.Offset, func(ctx context.Context, limit, offset int) ([]*clerk.OrganizationMembership, int64, error) {
		page := *q
		bapi.SetPage(&page.ListParams, limit, offset)
		list, err := c.users.ListOrganizationMemberships(ctx, userID, &page)
		if err != nil {
			return nil, 0, err
		}
		return list.OrganizationMemberships, list.TotalCount, nil
	})
}

// errNotMember is the error Get returns for a user who is not a member.
type notMemberError struct{ org, user string }

func (e *notMemberError) Error() string {
	return "clerkkit/memberships: " + e.user + " is not a member of " + e.org
}

func (e *notMemberError) Is(target error) bool { return target == clerkerr.ErrNotFound }

// Get returns the user's membership in the organization, always from the
// Backend API (one call: the organization's memberships filtered by user
// id). A user who is not a member gives an error matching
// clerkerr.ErrNotFound, as does an organization that does not exist.
func (c *Client) Get(ctx context.Context, orgID, userID string) (*clerk.OrganizationMembership, error) {
	const op = "memberships.Get"
	if err := checkPair(op, orgID, userID); err != nil {
		return nil, err
	}
	m, err := c.lookup(ctx, orgID, userID)
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, &notMemberError{org: orgID, user: userID}
	}
	return m, nil
}

func checkPair(op, orgID, userID string) error {
	if err := bapi.ID(op, "orgID", orgID); err != nil {
		return err
	}
	return bapi.ID(op, "userID", userID)
}

// checkPairRole is checkPair that also checks role, which it returns with
// its "org:" prefix.
func checkPairRole(op, orgID, userID, role string) (string, error) {
	if err := checkPair(op, orgID, userID); err != nil {
		return "", err
	}
	return bapi.Role(op, "role", role)
}

// lookup finds the membership with one call; nil when the user is not a
// member. The API's user_id filter is not trusted blindly: only an entry
// for userID counts.
func (c *Client) lookup(ctx context.Context, orgID, userID string) (*clerk.OrganizationMembership, error) {
	list, err := c.sdk.List(ctx, &organizationmembership.ListParams{
		OrganizationID: orgID,
		UserIDs:        []string{userID},
		ListParams:     clerk.ListParams{Limit: clerk.Int64(10)},
	})
	if err != nil {
		return nil, err
	}
	for _, m := range list.OrganizationMemberships {
		if m != nil && m.PublicUserData != nil && m.PublicUserData.UserID == userID &&
			(m.Organization == nil || m.Organization.ID == "" || m.Organization.ID == orgID) {
			return m, nil
		}
	}
	return nil, nil
}

// cached is lookup through the cache. An organization that does not exist
// has no members.
func (c *Client) cached(ctx context.Context, orgID, userID string) (*clerk.OrganizationMembership, error) {
	return c.cache.Get(ctx, cacheKey{orgID, userID}, func(ctx context.Context) (*clerk.OrganizationMembership, error) {
		m, err := c.lookup(ctx, orgID, userID)
		if errors.Is(err, clerkerr.ErrNotFound) {
			return nil, nil
		}
		return m, err
	})
}

// Forget drops the cached membership of the user in the organization, so
// the next authorization check that needs the Backend API asks it. A
// lookup already in flight still answers its callers but does not refill
// the cache.
//
// Add, UpdateRole, Remove and UpdateMetadata do this themselves, after the
// call. Call Forget for changes made elsewhere (the Dashboard, the
// organization's own admins through Clerk's components, another service,
// clerk-sdk-go clients including SDK()), typically from the handler of the
// organizationMembership.created, .updated and .deleted webhooks (see
// ForgetMembership); without it they are seen once the entry expires
// (Options.CacheTTL).
func (c *Client) Forget(orgID, userID string) { c.cache.Invalidate(cacheKey{orgID, userID}) }

// ForgetMembership is Forget for the organization and user of m, as an
// organizationMembership webhook delivers it. It does nothing for a
// membership without them.
func (c *Client) ForgetMembership(m *clerk.OrganizationMembership) {
	if m == nil || m.Organization == nil || m.PublicUserData == nil {
		return
	}
	c.Forget(m.Organization.ID, m.PublicUserData.UserID)
}

// ForgetUser drops every cached membership of the user, in every
// organization. Call it when the user is deleted elsewhere (user.deleted
// webhook); a users.Client built by clerkkit.New calls it on Delete.
func (c *Client) ForgetUser(userID string) {
	c.cache.InvalidateFunc(func(k cacheKey) bool { return k.user == userID })
}

// ForgetOrganization drops every cached membership in the organization.
// Call it when the organization is deleted (organization.deleted webhook,
// or after organizations.Client.Delete).
func (c *Client) ForgetOrganization(orgID string) {
	c.cache.InvalidateFunc(func(k cacheKey) bool { return k.org == orgID })
}

// Add makes the user a member of the organization with role ("org:member",
// "org:admin" or a custom "org:<key>"; the prefix may be left out).
func (c *Client) Add(ctx context.Context, orgID, userID, role string) (*clerk.OrganizationMembership, error) {
	const op = "memberships.Add"
	r, err := checkPairRole(op, orgID, userID, role)
	if err != nil {
		return nil, err
	}
	defer c.Forget(orgID, userID)
	return c.sdk.Create(ctx, &organizationmembership.CreateParams{OrganizationID: orgID, UserID: clerk.String(userID), Role: clerk.String(r)})
}

// UpdateRole changes the member's role.
func (c *Client) UpdateRole(ctx context.Context, orgID, userID, role string) (*clerk.OrganizationMembership, error) {
	const op = "memberships.UpdateRole"
	r, err := checkPairRole(op, orgID, userID, role)
	if err != nil {
		return nil, err
	}
	defer c.Forget(orgID, userID)
	return c.sdk.Update(ctx, &organizationmembership.UpdateParams{OrganizationID: orgID, UserID: userID, Role: clerk.String(r)})
}

// Remove removes the user from the organization.
func (c *Client) Remove(ctx context.Context, orgID, userID string) error {
	if err := checkPair("memberships.Remove", orgID, userID); err != nil {
		return err
	}
	defer c.Forget(orgID, userID)
	_, err := c.sdk.Delete(ctx, &organizationmembership.DeleteParams{OrganizationID: orgID, UserID: userID})
	return err
}

// Metadata holds new values for a membership's metadata objects: any
// values encoding as JSON objects, or nil to leave one alone: a
// *metadata.Patch (built with Set and Remove), a map, a struct, a
// json.RawMessage.
type Metadata struct {
	// Public is readable by the frontend and the backend.
	Public any
	// Private is readable by the backend only.
	Private any
}

type metadataParams struct {
	clerk.APIParams
	PublicMetadata  any `json:"public_metadata,omitempty"`
	PrivateMetadata any `json:"private_metadata,omitempty"`
}

// UpdateMetadata deep-merges m into the membership's metadata (PATCH
// /organizations/{org}/memberships/{user}/metadata): nested objects merge,
// other values replace, and a key set to null (nil in a map) is removed,
// at any depth.
func (c *Client) UpdateMetadata(ctx context.Context, orgID, userID string, m Metadata) (*clerk.OrganizationMembership, error) {
	const op = "memberships.UpdateMetadata"
	if err := checkPair(op, orgID, userID); err != nil {
		return nil, err
	}
	pub, err := bapi.Object(op, "Public", m.Public)
	if err != nil {
		return nil, err
	}
	priv, err := bapi.Object(op, "Private", m.Private)
	if err != nil {
		return nil, err
	}
	if pub == nil && priv == nil {
		return nil, bapi.InputError(op, "", "no metadata to write")
	}
	p := &metadataParams{}
	if pub != nil {
		p.PublicMetadata = pub
	}
	if priv != nil {
		p.PrivateMetadata = priv
	}
	req := clerk.NewAPIRequest(http.MethodPatch, "/organizations/"+orgID+"/memberships/"+userID+"/metadata")
	req.SetParams(p)
	out := &clerk.OrganizationMembership{}
	defer c.Forget(orgID, userID)
	if err := c.backend.Call(ctx, req, out); err != nil {
		return nil, err
	}
	return out, nil
}

// sessionFor returns the session in ctx when it is userID's and its active
// organization is orgID: then the claims can answer.
func sessionFor(ctx context.Context, orgID, userID string) (*auth.Session, bool) {
	s, ok := auth.FromContext(ctx)
	if !ok || s.UserID == "" || s.UserID != userID || s.OrgID == "" || s.OrgID != orgID {
		return nil, false
	}
	return s, true
}

// Role returns the user's role in the organization ("org:admin", …), ""
// when they are not a member (or the organization does not exist). It
// uses the claims of the session in ctx when that session is the user's
// with orgID active, else a cached Backend API lookup.
func (c *Client) Role(ctx context.Context, orgID, userID string) (string, error) {
	if err := checkPair("memberships.Role", orgID, userID); err != nil {
		return "", err
	}
	if s, ok := sessionFor(ctx, orgID, userID); ok {
		return s.OrgRole, nil
	}
	m, err := c.cached(ctx, orgID, userID)
	if err != nil || m == nil {
		return "", err
	}
	return m.Role, nil
}

// HasRole reports whether the user has role in the organization ("admin"
// and "org:admin" are the same role). Like Role, it prefers the claims.
func (c *Client) HasRole(ctx context.Context, orgID, userID, role string) (bool, error) {
	want, err := bapi.Role("memberships.HasRole", "role", role)
	if err != nil {
		return false, err
	}
	got, err := c.Role(ctx, orgID, userID)
	if err != nil || got == "" {
		return false, err
	}
	return auth.OrgPrefixed(got) == want, nil
}

// HasPermission reports whether the user has the permission in the
// organization ("org:<feature>:<permission>"; the "org:" prefix may be
// left out). Custom permissions of the active organization come from the
// claims; system permissions ("org:sys_…") and other organizations need
// the Backend API (a cached lookup of the membership's permissions).
func (c *Client) HasPermission(ctx context.Context, orgID, userID, permission string) (bool, error) {
	const op = "memberships.HasPermission"
	perm, err := bapi.Permission(op, "permission", permission)
	if err != nil {
		return false, err
	}
	if err := checkPair(op, orgID, userID); err != nil {
		return false, err
	}
	if s, ok := sessionFor(ctx, orgID, userID); ok && !IsSystemPermission(perm) {
		return s.Has(auth.Check{Permission: perm}), nil
	}
	m, err := c.cached(ctx, orgID, userID)
	if err != nil || m == nil {
		return false, err
	}
	for _, p := range m.Permissions {
		if p == perm {
			return true, nil
		}
	}
	return false, nil
}

// IsSystemPermission reports whether perm is one of Clerk's system
// permissions ("org:sys_…"), which session tokens never carry.
func IsSystemPermission(perm string) bool {
	return strings.HasPrefix(perm, "org:sys_") || strings.HasPrefix(perm, "sys_")
}

// RequireOrgMember returns nil when the signed-in user of ctx is a member
// of the organization orgID (its id, org_…, not its slug); an error wrapping clerkerr.ErrUnauthenticated when ctx has
// no session, clerkerr.ErrForbidden when they are not a member, or the Backend API
// error when the lookup failed (fail closed; answer 503 rather than 403).
// An organization id that is not valid wraps both clerkerr.ErrForbidden and
// clerkerr.ErrInvalidInput.
func (c *Client) RequireOrgMember(ctx context.Context, orgID string) error {
	return c.require(ctx, "memberships.RequireOrgMember", orgID, "", "")
}

// RequireOrgAdmin is RequireOrgRole with "org:admin".
func (c *Client) RequireOrgAdmin(ctx context.Context, orgID string) error {
	return c.require(ctx, "memberships.RequireOrgAdmin", orgID, RoleAdmin, "")
}

// RequireOrgRole is RequireOrgMember that also requires role (the "org:"
// prefix may be left out). When the session's active organization is
// orgID, the claims decide without any request.
func (c *Client) RequireOrgRole(ctx context.Context, orgID, role string) error {
	r, err := bapi.Role("memberships.RequireOrgRole", "role", role)
	if err != nil {
		return err
	}
	return c.require(ctx, "memberships.RequireOrgRole", orgID, r, "")
}

// RequireOrgPermission is RequireOrgMember that also requires the
// permission. Custom permissions of the active organization come from the
// claims; system permissions need a (cached) Backend API lookup.
func (c *Client) RequireOrgPermission(ctx context.Context, orgID, permission string) error {
	const op = "memberships.RequireOrgPermission"
	p, err := bapi.Permission(op, "permission", permission)
	if err != nil {
		return err
	}
	return c.require(ctx, op, orgID, "", p)
}

// forbiddenInput is an invalid organization id in a Require check: it
// matches both clerkerr.ErrForbidden and ErrInvalidInput.
type forbiddenInput struct{ err error }

func (e *forbiddenInput) Error() string   { return e.err.Error() }
func (e *forbiddenInput) Unwrap() []error { return []error{clerkerr.ErrForbidden, e.err} }

func (c *Client) require(ctx context.Context, op, orgID, role, perm string) error {
	s, ok := auth.FromContext(ctx)
	if !ok || s.UserID == "" {
		return fmt.Errorf("%s: %w", op, clerkerr.ErrUnauthenticated)
	}
	if err := bapi.ID(op, "orgID", orgID); err != nil {
		return &forbiddenInput{err}
	}
	if err := bapi.ID(op, "session user id", s.UserID); err != nil {
		return err
	}
	forbid := func(why string) error {
		return fmt.Errorf("%w: %s %s in %s", clerkerr.ErrForbidden, s.UserID, why, orgID)
	}
	if s.OrgID == orgID && (perm == "" || !IsSystemPermission(perm)) {
		switch {
		case s.OrgRole == "":
			return forbid("has no role")
		case role != "" && !s.Has(auth.Check{Role: role}):
			return forbid("lacks role " + role)
		case perm != "" && !s.Has(auth.Check{Permission: perm}):
			return forbid("lacks permission " + perm)
		}
		return nil
	}
	m, err := c.cached(ctx, orgID, s.UserID)
	if err != nil {
		return err
	}
	if m == nil {
		return forbid("is not a member")
	}
	if role != "" && auth.OrgPrefixed(m.Role) != role {
		return forbid("lacks role " + role)
	}
	if perm != "" {
		for _, p := range m.Permissions {
			if p == perm {
				return nil
			}
		}
		return forbid("lacks permission " + perm)
	}
	return nil
}
