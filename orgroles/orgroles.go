// Package orgroles manages an instance's custom organization roles and
// permissions through the Backend API (/organization_roles and
// /organization_permissions): the org:<key> roles members are given and
// the org:<feature>:<action> permissions those roles grant, which session
// tokens carry and middleware.RequirePermission checks.
//
// clerk-sdk-go v2.4.2 has no client for these endpoints, so this package
// calls them itself, over the same clerk.Backend as the rest of clerkkit:
// the one clerkkit.NewBackend builds (retries, complete *clerkerr.APIError
// values) or any other. Most programs use clerkkit.New, whose
// Client.OrgRoles field is a *orgroles.Client.
//
// Input is validated before any request (errors wrap
// clerkerr.ErrInvalidInput): ids must be role_… and perm_… ids, keys must
// have the form the API accepts ("org:" may be left out: "editor" is sent
// as "org:editor"). Errors from the Backend API are *clerkerr.APIError
// values (match them with errors.Is against clerkerr.ErrNotFound and
// friends). Assigning a role to a member is package memberships' job.
package orgroles

import (
	"context"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/clerk/clerk-sdk-go/v2"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/internal/bapi"
)

// The prefixes of role and permission ids.
const (
	RoleIDPrefix       = "role_"
	PermissionIDPrefix = "perm_"
)

// SystemPermissionPrefix begins the keys of Clerk's system permissions
// (org:sys_memberships:manage, …), which cannot be created, changed or
// deleted.
const SystemPermissionPrefix = "org:sys_"

// Permission is an organization permission as the Backend API describes
// it. Times are Unix milliseconds.
type Permission struct {
	clerk.APIResource
	// Object is "permission".
	Object string `json:"object"`
	ID     string `json:"id"`
	// Key is "org:<feature>:<action>".
	Key         string `json:"key"`
	Name        string `json:"name"`
	Description string `json:"description"`
	// Type is "system" for Clerk's org:sys_* permissions, "user" for the
	// instance's own.
	Type      string `json:"type"`
	CreatedAt int64  `json:"created_at"`
	UpdatedAt int64  `json:"updated_at"`
}

// Role is an organization role as the Backend API describes it. Times are
// Unix milliseconds.
type Role struct {
	clerk.APIResource
	// Object is "role".
	Object string `json:"object"`
	ID     string `json:"id"`
	// Key is "org:<key>", as memberships, invitations and session tokens
	// name the role.
	Key         string  `json:"key"`
	Name        string  `json:"name"`
	Description *string `json:"description"`
	// IsCreatorEligible says whether the role has what an organization's
	// creator role needs.
	IsCreatorEligible bool `json:"is_creator_eligible"`
	// Permissions are the role's permissions, system ones included.
	Permissions []*Permission `json:"permissions"`
	CreatedAt   int64         `json:"created_at"`
	UpdatedAt   int64         `json:"updated_at"`
}

// HasPermission reports whether the role grants the permission key
// ("org:" may be left out).
func (r *Role) HasPermission(key string) bool {
	key = auth.OrgPrefixed(key)
	for _, p := range r.Permissions {
		if p.Key == key {
			return true
		}
	}
	return false
}

// RoleList is one page of roles, with the total count of roles matching
// the query.
type RoleList struct {
	clerk.APIResource
	Roles      []*Role `json:"data"`
	TotalCount int64   `json:"total_count"`
}

// PermissionList is one page of permissions, with the total count of
// permissions matching the query.
type PermissionList struct {
	clerk.APIResource
	Permissions []*Permission `json:"data"`
	TotalCount  int64         `json:"total_count"`
}

// Client calls the Backend API's organization role and permission
// endpoints. It is safe for concurrent use.
type Client struct {
	backend clerk.Backend
}

// Options tunes a Client. The zero value is ready to use; it has no
// fields yet and exists so New has the signature of the other packages'.
type Options struct{}

// New returns a Client calling the Backend API through b, tuned by o (the
// zero Options for the defaults). It panics if b is nil.
func New(b clerk.Backend, o Options) *Client {
	return &Client{backend: bapi.Wrap(b)}
}

// ---- roles ----

// CreateParams describes a new role.
type CreateParams struct {
	// Name is required, e.g. "Editor".
	Name string
	// Key is required and unique: "org:" and lowercase letters, digits and
	// underscores ("editor" is sent as "org:editor").
	Key string
	// Description is optional.
	Description string
	// PermissionIDs are the ids (perm_…) of the permissions the role
	// grants.
	PermissionIDs []string
	// IncludeInInitialRoleSet, when not nil, says whether the role joins
	// the initial role set (the API's default: it does).
	IncludeInInitialRoleSet *bool
}

type createBody struct {
	clerk.APIParams
	Name                    string   `json:"name"`
	Key                     string   `json:"key"`
	Description             *string  `json:"description,omitempty"`
	Permissions             []string `json:"permissions,omitempty"`
	IncludeInInitialRoleSet *bool    `json:"include_in_initial_role_set,omitempty"`
}

// Create creates an organization role.
func (c *Client) Create(ctx context.Context, p CreateParams) (*Role, error) {
	const op = "orgroles.Create"
	if err := bapi.Text(op, "Name", p.Name, true, 0); err != nil {
		return nil, err
	}
	key, err := roleKey(op, p.Key)
	if err != nil {
		return nil, err
	}
	if err := bapi.Text(op, "Description", p.Description, false, 0); err != nil {
		return nil, err
	}
	if err := checkIDs(op, "PermissionIDs", p.PermissionIDs); err != nil {
		return nil, err
	}
	body := &createBody{Name: p.Name, Key: key, Permissions: p.PermissionIDs, IncludeInInitialRoleSet: p.IncludeInInitialRoleSet}
	if p.Description != "" {
		body.Description = &p.Description
	}
	return c.role(ctx, http.MethodPost, "/organization_roles", body)
}

// Get returns the role with the given id (role_…).
func (c *Client) Get(ctx context.Context, roleID string) (*Role, error) {
	if err := checkRoleID("orgroles.Get", roleID); err != nil {
		return nil, err
	}
	return c.role(ctx, http.MethodGet, "/organization_roles/"+roleID, nil)
}

// UpdateParams changes a role; nil fields are left as they are.
type UpdateParams struct {
	Name *string
	// Key, when not nil, renames the role's key; memberships,
	// invitations and organization settings naming it follow.
	Key         *string
	Description *string
	// PermissionIDs, when not nil, replaces the role's permissions; an
	// empty non-nil slice removes them all.
	PermissionIDs []string
}

type updateBody struct {
	clerk.APIParams
	Name        *string   `json:"name,omitempty"`
	Key         *string   `json:"key,omitempty"`
	Description *string   `json:"description,omitempty"`
	Permissions *[]string `json:"permissions,omitempty"`
}

// Update changes the role.
func (c *Client) Update(ctx context.Context, roleID string, p UpdateParams) (*Role, error) {
	const op = "orgroles.Update"
	if err := checkRoleID(op, roleID); err != nil {
		return nil, err
	}
	body := &updateBody{Name: p.Name, Description: p.Description}
	if p.Name != nil {
		if err := bapi.Text(op, "Name", *p.Name, true, 0); err != nil {
			return nil, err
		}
	}
	if p.Key != nil {
		key, err := roleKey(op, *p.Key)
		if err != nil {
			return nil, err
		}
		body.Key = &key
	}
	if p.Description != nil {
		if err := bapi.Text(op, "Description", *p.Description, false, 0); err != nil {
			return nil, err
		}
	}
	if p.PermissionIDs != nil {
		if err := checkIDs(op, "PermissionIDs", p.PermissionIDs); err != nil {
			return nil, err
		}
		body.Permissions = &p.PermissionIDs
	}
	return c.role(ctx, http.MethodPatch, "/organization_roles/"+roleID, body)
}

// Delete deletes the role. The API refuses (422) while members,
// invitations or organization settings use it.
func (c *Client) Delete(ctx context.Context, roleID string) error {
	if err := checkRoleID("orgroles.Delete", roleID); err != nil {
		return err
	}
	return c.backend.Call(ctx, clerk.NewAPIRequest(http.MethodDelete, "/organization_roles/"+roleID), &clerk.DeletedResource{})
}

// AssignPermission adds the permission (perm_…) to the role (role_…) and
// returns the role. A permission the role already has is a 409
// (clerkerr.ErrConflict).
func (c *Client) AssignPermission(ctx context.Context, roleID, permissionID string) (*Role, error) {
	return c.rolePermission(ctx, "orgroles.AssignPermission", http.MethodPost, roleID, permissionID)
}

// RemovePermission takes the permission (perm_…) from the role (role_…)
// and returns the role.
func (c *Client) RemovePermission(ctx context.Context, roleID, permissionID string) (*Role, error) {
	return c.rolePermission(ctx, "orgroles.RemovePermission", http.MethodDelete, roleID, permissionID)
}

func (c *Client) rolePermission(ctx context.Context, op, method, roleID, permissionID string) (*Role, error) {
	if err := checkRoleID(op, roleID); err != nil {
		return nil, err
	}
	if err := checkPermissionID(op, "permissionID", permissionID); err != nil {
		return nil, err
	}
	return c.role(ctx, method, "/organization_roles/"+roleID+"/permissions/"+permissionID, nil)
}

// ListParams filters, orders and pages a list of roles or permissions.
type ListParams struct {
	// Query matches an id exactly, or part of a name or key.
	Query string
	// OrderBy is "created_at", "name" or "key", prefixed with "-" for
	// descending or "+" (the default) for ascending; empty means
	// "-created_at", newest first.
	OrderBy string
	// Limit is the page size, 1..500; 0 means the API's default (10) for
	// List and 500 for All.
	Limit int
	// Offset skips that many entries.
	Offset int
}

func (p ListParams) check(op string) error {
	if err := bapi.Text(op, "Query", p.Query, false, 1024); err != nil {
		return err
	}
	if p.OrderBy != "" {
		field := strings.TrimLeft(p.OrderBy, "+-")
		if len(p.OrderBy)-len(field) > 1 || (field != "created_at" && field != "name" && field != "key") {
			return bapi.InputError(op, "OrderBy", `must be "created_at", "name" or "key", optionally prefixed with "+" or "-"`)
		}
	}
	return bapi.Page(op, p.Limit, p.Offset)
}

type listQuery struct {
	clerk.APIParams
	p ListParams
}

func (q *listQuery) ToQuery() url.Values {
	v := url.Values{}
	if q.p.Query != "" {
		v.Set("query", q.p.Query)
	}
	if q.p.OrderBy != "" {
		v.Set("order_by", q.p.OrderBy)
	}
	if q.p.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.p.Limit))
	}
	if q.p.Offset > 0 {
		v.Set("offset", strconv.Itoa(q.p.Offset))
	}
	return v
}

// List returns one page of the instance's organization roles, with the
// total count.
func (c *Client) List(ctx context.Context, p ListParams) (*RoleList, error) {
	if err := p.check("orgroles.List"); err != nil {
		return nil, err
	}
	out := &RoleList{}
	if err := c.list(ctx, "/organization_roles", p, out); err != nil {
		return nil, err
	}
	return out, nil
}

// All iterates over every organization role matching p, in pages of
// p.Limit (default 500) from p.Offset on. It stops at the first error,
// which it yields, and when the loop breaks.
func (c *Client) All(ctx context.Context, p ListParams) iter.Seq2[*Role, error] {
	if err := p.check("orgroles.All"); err != nil {
		return bapi.Fail[*Role](err)
	}
	return bapi.All(ctx, p.Limit, p.Offset, func(ctx context.Context, limit, offset int) ([]*Role, int64, error) {
		page := p
		page.Limit, page.Offset = limit, offset
		out := &RoleList{}
		if err := c.list(ctx, "/organization_roles", page, out); err != nil {
			return nil, 0, err
		}
		return out.Roles, out.TotalCount, nil
	})
}

// ---- permissions ----

// PermissionParams describes a new permission.
type PermissionParams struct {
	// Name is required, e.g. "Manage invoices".
	Name string
	// Key is required and unique: "org:<feature>:<action>" of lowercase
	// letters, digits and underscores ("org:" may be left out), not
	// beginning with "org:sys_".
	Key string
	// Description is optional.
	Description string
}

type permissionBody struct {
	clerk.APIParams
	Name        *string `json:"name,omitempty"`
	Key         *string `json:"key,omitempty"`
	Description *string `json:"description,omitempty"`
}

// CreatePermission creates an organization permission.
func (c *Client) CreatePermission(ctx context.Context, p PermissionParams) (*Permission, error) {
	const op = "orgroles.CreatePermission"
	if err := bapi.Text(op, "Name", p.Name, true, 0); err != nil {
		return nil, err
	}
	key, err := permissionKey(op, p.Key)
	if err != nil {
		return nil, err
	}
	if err := bapi.Text(op, "Description", p.Description, false, 0); err != nil {
		return nil, err
	}
	body := &permissionBody{Name: &p.Name, Key: &key}
	if p.Description != "" {
		body.Description = &p.Description
	}
	return c.permission(ctx, http.MethodPost, "/organization_permissions", body)
}

// GetPermission returns the permission with the given id (perm_…).
func (c *Client) GetPermission(ctx context.Context, permissionID string) (*Permission, error) {
	if err := checkPermissionID("orgroles.GetPermission", "permissionID", permissionID); err != nil {
		return nil, err
	}
	return c.permission(ctx, http.MethodGet, "/organization_permissions/"+permissionID, nil)
}

// UpdatePermissionParams changes a permission; nil fields are left as they
// are.
type UpdatePermissionParams struct {
	Name        *string
	Key         *string
	Description *string
}

// UpdatePermission changes the permission. System permissions cannot be
// changed (the API answers 403).
func (c *Client) UpdatePermission(ctx context.Context, permissionID string, p UpdatePermissionParams) (*Permission, error) {
	const op = "orgroles.UpdatePermission"
	if err := checkPermissionID(op, "permissionID", permissionID); err != nil {
		return nil, err
	}
	body := &permissionBody{Name: p.Name, Description: p.Description}
	if p.Name != nil {
		if err := bapi.Text(op, "Name", *p.Name, true, 0); err != nil {
			return nil, err
		}
	}
	if p.Key != nil {
		key, err := permissionKey(op, *p.Key)
		if err != nil {
			return nil, err
		}
		body.Key = &key
	}
	if p.Description != nil {
		if err := bapi.Text(op, "Description", *p.Description, false, 0); err != nil {
			return nil, err
		}
	}
	return c.permission(ctx, http.MethodPatch, "/organization_permissions/"+permissionID, body)
}

// DeletePermission deletes the permission; roles granting it lose it.
// System permissions cannot be deleted (the API answers 403).
func (c *Client) DeletePermission(ctx context.Context, permissionID string) error {
	if err := checkPermissionID("orgroles.DeletePermission", "permissionID", permissionID); err != nil {
		return err
	}
	return c.backend.Call(ctx, clerk.NewAPIRequest(http.MethodDelete, "/organization_permissions/"+permissionID), &clerk.DeletedResource{})
}

// ListPermissions returns one page of the instance's organization
// permissions, system ones included, with the total count.
func (c *Client) ListPermissions(ctx context.Context, p ListParams) (*PermissionList, error) {
	if err := p.check("orgroles.ListPermissions"); err != nil {
		return nil, err
	}
	out := &PermissionList{}
	if err := c.list(ctx, "/organization_permissions", p, out); err != nil {
		return nil, err
	}
	return out, nil
}

// AllPermissions iterates over every organization permission matching p,
// in pages of p.Limit (default 500) from p.Offset on. It stops at the
// first error, which it yields, and when the loop breaks.
func (c *Client) AllPermissions(ctx context.Context, p ListParams) iter.Seq2[*Permission, error] {
	if err := p.check("orgroles.AllPermissions"); err != nil {
		return bapi.Fail[*Permission](err)
	}
	return bapi.All(ctx, p.Limit, p.Offset, func(ctx context.Context, limit, offset int) ([]*Permission, int64, error) {
		page := p
		page.Limit, page.Offset = limit, offset
		out := &PermissionList{}
		if err := c.list(ctx, "/organization_permissions", page, out); err != nil {
			return nil, 0, err
		}
		return out.Permissions, out.TotalCount, nil
	})
}

// ---- plumbing ----

func (c *Client) list(ctx context.Context, path string, p ListParams, out clerk.ResponseReader) error {
	req := clerk.NewAPIRequest(http.MethodGet, path)
	req.SetParams(&listQuery{p: p})
	return c.backend.Call(ctx, req, out)
}

func (c *Client) role(ctx context.Context, method, path string, body clerk.Params) (*Role, error) {
	req := clerk.NewAPIRequest(method, path)
	if body != nil {
		req.SetParams(body)
	}
	out := &Role{}
	if err := c.backend.Call(ctx, req, out); err != nil {
		return nil, err
	}
	return out, nil
}

func (c *Client) permission(ctx context.Context, method, path string, body clerk.Params) (*Permission, error) {
	req := clerk.NewAPIRequest(method, path)
	if body != nil {
		req.SetParams(body)
	}
	out := &Permission{}
	if err := c.backend.Call(ctx, req, out); err != nil {
		return nil, err
	}
	return out, nil
}

func checkRoleID(op, roleID string) error {
	return bapi.Prefixed(op, "roleID", roleID, RoleIDPrefix)
}

func checkPermissionID(op, field, id string) error {
	return bapi.Prefixed(op, field, id, PermissionIDPrefix)
}

func checkIDs(op, field string, ids []string) error {
	if len(ids) > 1000 {
		return bapi.InputError(op, field, "accepts at most 1000 values")
	}
	for _, id := range ids {
		if err := checkPermissionID(op, field, id); err != nil {
			return err
		}
	}
	return nil
}

// lowerKey reports whether s is lowercase letters, digits and
// underscores, at least one.
func lowerKey(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// roleKey checks a role key and returns it "org:"-prefixed.
func roleKey(op, key string) (string, error) {
	if key == "" {
		return "", bapi.InputError(op, "Key", "must not be empty")
	}
	k := auth.OrgPrefixed(key)
	if !lowerKey(k[len("org:"):]) {
		return "", bapi.InputError(op, "Key", `must be "org:" and lowercase letters, digits and underscores`)
	}
	return k, nil
}

// permissionKey checks a permission key and returns it "org:"-prefixed.
func permissionKey(op, key string) (string, error) {
	if key == "" {
		return "", bapi.InputError(op, "Key", "must not be empty")
	}
	k := auth.OrgPrefixed(key)
	feature, action, ok := strings.Cut(k[len("org:"):], ":")
	if !ok || !lowerKey(feature) || !lowerKey(action) {
		return "", bapi.InputError(op, "Key", `must look like "org:<feature>:<action>", of lowercase letters, digits and underscores`)
	}
	if strings.HasPrefix(k, SystemPermissionPrefix) {
		return "", bapi.InputError(op, "Key", `must not begin with "org:sys_", which is reserved for system permissions`)
	}
	return k, nil
}
