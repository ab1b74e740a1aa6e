// Organization roles and permissions: /v1/organization_roles and
// /v1/organization_permissions. Roles are stored by key in state.roles
// (memberships and invitations name their role by key), permissions by key
// in state.perms; a role lists its permissions by key, system ones
// (org:sys_*) apart from custom ones, which session tokens carry.

package emulator

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
)

// permRec is an organization permission.
type permRec struct {
	seq         int64
	id          string
	key         string // org:<feature>:<permission>
	name        string
	description string
	system      bool // org:sys_*: Clerk's, not changeable
	createdAt   time.Time
	updatedAt   time.Time
}

// systemPermissionNames are the names of Clerk's system permissions.
var systemPermissionNames = map[string]string{
	"org:sys_profile:manage":     "Manage organization",
	"org:sys_profile:delete":     "Delete organization",
	"org:sys_memberships:read":   "Read members",
	"org:sys_memberships:manage": "Manage members",
	"org:sys_domains:read":       "Read domains",
	"org:sys_domains:manage":     "Manage domains",
}

// creatorPermissions are the system permissions a role needs to be an
// organization's creator role (is_creator_eligible).
var creatorPermissions = []string{"org:sys_memberships:read", "org:sys_memberships:manage", "org:sys_profile:delete"}

var (
	roleKeyPattern       = regexp.MustCompile(`^org:[a-z0-9_]+$`)
	permissionKeyPattern = regexp.MustCompile(`^org:[a-z0-9_]+:[a-z0-9_]+$`)
)

// initAuthz gives the default roles their ids and times and creates their
// system permissions and the initial role set, as a new instance has them.
func (st *state) initAuthz(now time.Time) {
	if st.perms == nil {
		st.perms = map[string]*permRec{}
	}
	if st.roleSets == nil {
		st.roleSets = map[string]*roleSetRec{}
	}
	descriptions := map[string]string{
		"org:admin":  "Role with elevated permissions, able to manage all aspects of the organization.",
		"org:member": "Role with access to the organization's resources, without managing them.",
	}
	for _, key := range []string{"org:admin", "org:member"} {
		r := st.roles[key]
		if r == nil || r.id != "" {
			continue
		}
		st.stampRole(r, now)
		if d := descriptions[key]; d != "" {
			r.description = &d
		}
		for _, p := range r.system {
			st.ensurePermission(p, now)
		}
	}
	if len(st.roleSets) == 0 {
		st.addRoleSet(&roleSetRec{
			key: defaultRoleSetKey, name: "Default role set", typ: "initial",
			roles: []string{"org:admin", "org:member"}, defaultRole: "org:member", creatorRole: "org:admin",
		}, now)
	}
}

// stampRole gives a new role its id, creation order and times.
func (st *state) stampRole(r *roleRec, now time.Time) {
	r.seq, r.id, r.createdAt, r.updatedAt = st.next(), randomID("role_"), now, now
}

// ensurePermission returns the permission of key, creating it (named after
// its key) when there is none: the system permissions of the default roles
// and the custom permissions of seeded roles.
func (st *state) ensurePermission(key string, now time.Time) *permRec {
	if p := st.perms[key]; p != nil {
		return p
	}
	name := systemPermissionNames[key]
	if name == "" {
		name = strings.TrimPrefix(key, "org:")
	}
	p := &permRec{seq: st.next(), id: randomID("perm_"), key: key, name: name,
		system: strings.HasPrefix(key, "org:sys_"), createdAt: now, updatedAt: now}
	st.perms[key] = p
	return p
}

// hasPermission reports whether r has the permission of key.
func (r *roleRec) hasPermission(key string) bool {
	return slices.Contains(r.system, key) || slices.Contains(r.custom, key)
}

// addPermission gives r the permission p.
func (r *roleRec) addPermission(p *permRec) {
	if r.hasPermission(p.key) {
		return
	}
	if p.system {
		r.system = append(r.system, p.key)
	} else {
		r.custom = append(r.custom, p.key)
	}
}

// removePermission takes the permission of key from r.
func (r *roleRec) removePermission(key string) {
	r.system = slices.DeleteFunc(r.system, func(k string) bool { return k == key })
	r.custom = slices.DeleteFunc(r.custom, func(k string) bool { return k == key })
}

// creatorEligible reports whether r can be an organization's creator role.
func (r *roleRec) creatorEligible() bool {
	for _, p := range creatorPermissions {
		if !r.hasPermission(p) {
			return false
		}
	}
	return true
}

// ---- wire ----

type permissionJSON struct {
	Object      string `json:"object"`
	ID          string `json:"id"`
	Name        string `json:"name"`
	Key         string `json:"key"`
	Description string `json:"description"`
	Type        string `json:"type"`
	CreatedAt   int64  `json:"created_at"`
	UpdatedAt   int64  `json:"updated_at"`
}

func permJSON(p *permRec) permissionJSON {
	typ := "user"
	if p.system {
		typ = "system"
	}
	return permissionJSON{Object: "permission", ID: p.id, Name: p.name, Key: p.key, Description: p.description,
		Type: typ, CreatedAt: ms(p.createdAt), UpdatedAt: ms(p.updatedAt)}
}

type roleJSON struct {
	Object            string           `json:"object"`
	ID                string           `json:"id"`
	Name              string           `json:"name"`
	Key               string           `json:"key"`
	Description       *string          `json:"description"`
	IsCreatorEligible bool             `json:"is_creator_eligible"`
	Permissions       []permissionJSON `json:"permissions"`
	CreatedAt         int64            `json:"created_at"`
	UpdatedAt         int64            `json:"updated_at"`
}

func (st *state) roleJSON(r *roleRec) roleJSON {
	perms := []permissionJSON{}
	for _, k := range r.permissions() {
		if p := st.perms[k]; p != nil {
			perms = append(perms, permJSON(p))
		}
	}
	return roleJSON{Object: "role", ID: r.id, Name: r.name, Key: r.key, Description: r.description,
		IsCreatorEligible: r.creatorEligible(), Permissions: perms, CreatedAt: ms(r.createdAt), UpdatedAt: ms(r.updatedAt)}
}

func (st *state) emitRole(typ string, r *roleRec, now time.Time) {
	if st.hooks {
		st.emit(typ, st.roleJSON(r), now)
	}
}

func (st *state) emitPermission(typ string, p *permRec, now time.Time) {
	if st.hooks {
		st.emit(typ, permJSON(p), now)
	}
}

// ---- lookups ----

// roleByID finds a role by id.
func (st *state) roleByID(id string) (*roleRec, *apiError) {
	for _, r := range st.roles {
		if r.id == id && id != "" {
			return r, nil
		}
	}
	return nil, errNotFound("organization role", id)
}

// permByID finds a permission by id.
func (st *state) permByID(id string) (*permRec, *apiError) {
	for _, p := range st.perms {
		if p.id == id && id != "" {
			return p, nil
		}
	}
	return nil, errNotFound("permission", id)
}

func (c *call) role() (*roleRec, *apiError) {
	return c.st.roleByID(c.r.PathValue("organization_role_id"))
}

func (c *call) permission() (*permRec, *apiError) {
	return c.st.permByID(c.r.PathValue("permission_id"))
}

// ---- routes ----

func (s *Server) registerRoleRoutes() {
	s.handle("GET /v1/organization_roles", s.listRoles)
	handleBody(s, "POST /v1/organization_roles", s.createRole)
	s.handle("GET /v1/organization_roles/{organization_role_id}", s.getRole)
	handleBody(s, "PATCH /v1/organization_roles/{organization_role_id}", s.updateRole)
	s.handle("DELETE /v1/organization_roles/{organization_role_id}", s.deleteRole)
	s.handle("POST /v1/organization_roles/{organization_role_id}/permissions/{permission_id}", s.assignPermission)
	s.handle("DELETE /v1/organization_roles/{organization_role_id}/permissions/{permission_id}", s.removePermission)

	s.handle("GET /v1/organization_permissions", s.listPermissions)
	handleBody(s, "POST /v1/organization_permissions", s.createPermission)
	s.handle("GET /v1/organization_permissions/{permission_id}", s.getPermission)
	handleBody(s, "PATCH /v1/organization_permissions/{permission_id}", s.updatePermission)
	s.handle("DELETE /v1/organization_permissions/{permission_id}", s.deletePermission)
}

// namedListParams reads the page, query and order_by (created_at, name or
// key; default -created_at) of the role, permission and role set lists.
func namedListParams(c *call) (p page, query, field string, desc bool, e *apiError) {
	q := c.r.URL.Query()
	if p, e = pageParams(q); e != nil {
		return
	}
	field, desc, e = orderBy(q, "-created_at", "created_at", "name", "key")
	return p, q.Get("query"), field, desc, e
}

// namedMatch reports whether a record with id, name and key matches a
// list's query: the exact id, or part of the name or key.
func namedMatch(query, id, name, key string) bool {
	return query == "" || query == id || containsFold(name, query) || containsFold(key, query)
}

// namedKey is the sort key of field (created_at, name or key).
func namedKey(field, name, key string, created time.Time) sortKey {
	switch field {
	case "name":
		return sortKey{s: strings.ToLower(name)}
	case "key":
		return sortKey{s: key}
	}
	return timeKey(created)
}

// listRoles is GET /v1/organization_roles.
func (s *Server) listRoles(c *call) (any, *apiError) {
	p, query, field, desc, e := namedListParams(c)
	if e != nil {
		return nil, e
	}
	var roles []*roleRec
	for _, r := range c.st.roles {
		if namedMatch(query, r.id, r.name, r.key) {
			roles = append(roles, r)
		}
	}
	sortBy(roles, desc, func(r *roleRec) sortKey { return namedKey(field, r.name, r.key, r.createdAt) },
		func(r *roleRec) int64 { return r.seq })
	return listPage(roles, p, c.st.roleJSON), nil
}

type createRoleBody struct {
	Name                    *string  `json:"name"`
	Key                     *string  `json:"key"`
	Description             *string  `json:"description"`
	Permissions             []string `json:"permissions"`
	IncludeInInitialRoleSet *bool    `json:"include_in_initial_role_set"`
}

// checkRoleKey fails when key is malformed or another role's.
func (st *state) checkRoleKey(key string) *apiError {
	if !roleKeyPattern.MatchString(key) {
		return errFormat("key", "key must start with org: followed by lowercase alphanumeric characters and underscores only.")
	}
	if st.roles[key] != nil {
		return errTaken("key", "key")
	}
	return nil
}

// permissionsParam resolves a list of permission ids.
func (st *state) permissionsParam(ids []string) ([]*permRec, *apiError) {
	var out []*permRec
	for _, id := range ids {
		p, e := st.permByID(id)
		if e != nil {
			return nil, e
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out, nil
}

// createRole is POST /v1/organization_roles. The role joins the initial
// role set unless include_in_initial_role_set is false, so that members
// can be given it at once.
func (s *Server) createRole(c *call, b *createRoleBody) (any, *apiError) {
	st, now := c.st, c.now
	if b.Name == nil || strings.TrimSpace(*b.Name) == "" {
		return nil, errMissing("name")
	}
	if b.Key == nil || *b.Key == "" {
		return nil, errMissing("key")
	}
	if e := st.checkRoleKey(*b.Key); e != nil {
		return nil, e
	}
	perms, e := st.permissionsParam(b.Permissions)
	if e != nil {
		return nil, e
	}
	r := &roleRec{key: *b.Key, name: *b.Name, description: b.Description}
	st.stampRole(r, now)
	for _, p := range perms {
		r.addPermission(p)
	}
	st.roles[r.key] = r
	st.emitRole("role.created", r, now)
	if b.IncludeInInitialRoleSet == nil || *b.IncludeInInitialRoleSet {
		if rs := st.initialRoleSet(); rs != nil && len(rs.roles) < maxRoleSetRoles {
			rs.roles, rs.updatedAt = append(rs.roles, r.key), now
		}
	}
	return st.roleJSON(r), nil
}

func (s *Server) getRole(c *call) (any, *apiError) {
	r, e := c.role()
	if e != nil {
		return nil, e
	}
	return c.st.roleJSON(r), nil
}

type updateRoleBody struct {
	Name        *string            `json:"name"`
	Key         *string            `json:"key"`
	Description nullable[string]   `json:"description"`
	Permissions nullable[[]string] `json:"permissions"`
}

// updateRole is PATCH /v1/organization_roles/{organization_role_id}. A
// new key carries over to the memberships, invitations and role sets that
// name the role; permissions, when given, replace the role's.
func (s *Server) updateRole(c *call, b *updateRoleBody) (any, *apiError) {
	st, now := c.st, c.now
	r, e := c.role()
	if e != nil {
		return nil, e
	}
	if b.Name != nil && strings.TrimSpace(*b.Name) == "" {
		return nil, errValue("name", "name must not be empty.")
	}
	if b.Key != nil && *b.Key != r.key {
		if e := st.checkRoleKey(*b.Key); e != nil {
			return nil, e
		}
	}
	var perms []*permRec
	if b.Permissions.set && !b.Permissions.null {
		if perms, e = st.permissionsParam(b.Permissions.v); e != nil {
			return nil, e
		}
	}
	if b.Name != nil {
		r.name = *b.Name
	}
	if b.Key != nil && *b.Key != r.key {
		st.renameRole(r, *b.Key)
	}
	if b.Description.set {
		r.description = nil
		if !b.Description.null {
			d := b.Description.v
			r.description = &d
		}
	}
	if b.Permissions.set && !b.Permissions.null {
		r.system, r.custom = nil, nil
		for _, p := range perms {
			r.addPermission(p)
		}
	}
	r.updatedAt = now
	st.emitRole("role.updated", r, now)
	return st.roleJSON(r), nil
}

// renameRole gives r the key to, everywhere it is named.
func (st *state) renameRole(r *roleRec, to string) {
	from := r.key
	delete(st.roles, from)
	r.key = to
	st.roles[to] = r
	for _, ms := range st.members {
		for _, m := range ms {
			if m.role == from {
				m.role = to
			}
		}
	}
	for _, inv := range st.invitations {
		if inv.role == from {
			inv.role = to
		}
	}
	st.renameRoleInSets(from, to)
}

// errRoleInUse is the 422 of deleting a role that is still used.
func errRoleInUse(key, where string) *apiError {
	return &apiError{status: http.StatusUnprocessableEntity, code: "form_param_value_invalid", msg: "is invalid",
		long: "The role " + key + " cannot be deleted: " + where + "."}
}

// deleteRole is DELETE /v1/organization_roles/{organization_role_id}: a
// role that members have, that pending invitations offer, or that is the
// default or creator role of a role set cannot be deleted.
func (s *Server) deleteRole(c *call) (any, *apiError) {
	st, now := c.st, c.now
	r, e := c.role()
	if e != nil {
		return nil, e
	}
	for _, ms := range st.members {
		for _, m := range ms {
			if m.role == r.key {
				return nil, errRoleInUse(r.key, "it is assigned to organization members")
			}
		}
	}
	for _, inv := range st.invitations {
		if inv.role == r.key && inv.statusAt(now) == "pending" {
			return nil, errRoleInUse(r.key, "pending invitations offer it")
		}
	}
	if rs := st.roleSetUsing(r.key); rs != nil {
		return nil, errRoleInUse(r.key, "it is the default or creator role of the role set "+rs.key)
	}
	delete(st.roles, r.key)
	st.removeRoleFromSets(r.key, now)
	st.emit("role.deleted", deletedEventJSON{Object: "role", ID: r.id, Deleted: true}, now)
	return deletedJSON{Object: "role", ID: r.id, Deleted: true}, nil
}

// assignPermission is POST …/organization_roles/{id}/permissions/{id}; a
// permission the role has already is a 409.
func (s *Server) assignPermission(c *call) (any, *apiError) {
	st, now := c.st, c.now
	r, e := c.role()
	if e != nil {
		return nil, e
	}
	p, e := c.permission()
	if e != nil {
		return nil, e
	}
	if r.hasPermission(p.key) {
		return nil, &apiError{status: http.StatusConflict, code: "duplicate_record", msg: "Duplicate record",
			long: "The role " + r.key + " has the permission " + p.key + " already."}
	}
	r.addPermission(p)
	r.updatedAt = now
	st.emitRole("role.updated", r, now)
	return st.roleJSON(r), nil
}

// removePermission is DELETE …/organization_roles/{id}/permissions/{id};
// a permission the role does not have is a 422.
func (s *Server) removePermission(c *call) (any, *apiError) {
	st, now := c.st, c.now
	r, e := c.role()
	if e != nil {
		return nil, e
	}
	p, e := c.permission()
	if e != nil {
		return nil, e
	}
	if !r.hasPermission(p.key) {
		return nil, errValue("permission_id", "The role "+r.key+" does not have the permission "+p.key+".")
	}
	r.removePermission(p.key)
	r.updatedAt = now
	st.emitRole("role.updated", r, now)
	return st.roleJSON(r), nil
}

// ---- permissions ----

// listPermissions is GET /v1/organization_permissions: system and custom
// permissions.
func (s *Server) listPermissions(c *call) (any, *apiError) {
	p, query, field, desc, e := namedListParams(c)
	if e != nil {
		return nil, e
	}
	var perms []*permRec
	for _, pr := range c.st.perms {
		if namedMatch(query, pr.id, pr.name, pr.key) {
			perms = append(perms, pr)
		}
	}
	sortBy(perms, desc, func(pr *permRec) sortKey { return namedKey(field, pr.name, pr.key, pr.createdAt) },
		func(pr *permRec) int64 { return pr.seq })
	return listPage(perms, p, permJSON), nil
}

type permissionBody struct {
	Name        *string `json:"name"`
	Key         *string `json:"key"`
	Description *string `json:"description"`
}

// checkPermissionKey fails when key is malformed, reserved for system
// permissions, or another permission's.
func (st *state) checkPermissionKey(key string) *apiError {
	if !permissionKeyPattern.MatchString(key) {
		return errFormat("key", "key must have the format org:<feature>:<action>, of lowercase letters, digits and underscores.")
	}
	if strings.HasPrefix(key, "org:sys_") {
		return errValue("key", "key cannot begin with org:sys_, which is reserved for system permissions.")
	}
	if st.perms[key] != nil {
		return errTaken("key", "key")
	}
	return nil
}

// createPermission is POST /v1/organization_permissions.
func (s *Server) createPermission(c *call, b *permissionBody) (any, *apiError) {
	st, now := c.st, c.now
	p, e := st.addPermissionRec(b, now)
	if e != nil {
		return nil, e
	}
	return permJSON(p), nil
}

// addPermissionRec validates b and stores a new custom permission.
func (st *state) addPermissionRec(b *permissionBody, now time.Time) (*permRec, *apiError) {
	if b.Name == nil || strings.TrimSpace(*b.Name) == "" {
		return nil, errMissing("name")
	}
	if b.Key == nil || *b.Key == "" {
		return nil, errMissing("key")
	}
	if e := st.checkPermissionKey(*b.Key); e != nil {
		return nil, e
	}
	p := &permRec{seq: st.next(), id: randomID("perm_"), key: *b.Key, name: *b.Name, description: deref(b.Description),
		createdAt: now, updatedAt: now}
	st.perms[p.key] = p
	st.emitPermission("permission.created", p, now)
	return p, nil
}

// SeedPermission is a custom organization permission to create.
type SeedPermission struct {
	// Key is "org:<feature>:<action>", of lowercase letters, digits and
	// underscores, e.g. "org:posts:edit" (org:sys_ is reserved).
	Key string `json:"key"`
	// Name is the display name, e.g. "Edit posts".
	Name string `json:"name"`
	// Description is optional.
	Description string `json:"description,omitempty"`
}

func (s *Server) getPermission(c *call) (any, *apiError) {
	p, e := c.permission()
	if e != nil {
		return nil, e
	}
	return permJSON(p), nil
}

// errSystemPermission is the 403 of changing a system permission.
func errSystemPermission(key string) *apiError {
	return &apiError{status: http.StatusForbidden, code: "forbidden", msg: "Forbidden",
		long: "The system permission " + key + " cannot be changed or deleted."}
}

// updatePermission is PATCH /v1/organization_permissions/{permission_id};
// a new key carries over to the roles that have the permission.
func (s *Server) updatePermission(c *call, b *permissionBody) (any, *apiError) {
	st, now := c.st, c.now
	p, e := c.permission()
	if e != nil {
		return nil, e
	}
	if p.system {
		return nil, errSystemPermission(p.key)
	}
	if b.Name != nil && strings.TrimSpace(*b.Name) == "" {
		return nil, errValue("name", "name must not be empty.")
	}
	if b.Key != nil && *b.Key != p.key {
		if e := st.checkPermissionKey(*b.Key); e != nil {
			return nil, e
		}
	}
	if b.Name != nil {
		p.name = *b.Name
	}
	if b.Description != nil {
		p.description = *b.Description
	}
	if b.Key != nil && *b.Key != p.key {
		from := p.key
		delete(st.perms, from)
		p.key = *b.Key
		st.perms[p.key] = p
		for _, r := range st.roles {
			if i := slices.Index(r.custom, from); i >= 0 {
				r.custom[i] = p.key
			}
		}
	}
	p.updatedAt = now
	st.emitPermission("permission.updated", p, now)
	return permJSON(p), nil
}

// deletePermission is DELETE /v1/organization_permissions/{permission_id}:
// the roles that had it lose it.
func (s *Server) deletePermission(c *call) (any, *apiError) {
	st, now := c.st, c.now
	p, e := c.permission()
	if e != nil {
		return nil, e
	}
	if p.system {
		return nil, errSystemPermission(p.key)
	}
	delete(st.perms, p.key)
	for _, r := range st.roles {
		r.removePermission(p.key)
	}
	st.emit("permission.deleted", deletedEventJSON{Object: "permission", ID: p.id, Deleted: true}, now)
	return deletedJSON{Object: "permission", ID: p.id, Deleted: true}, nil
}
