// Role sets: /v1/role_sets. A role set is the roles an organization's
// members may have, with the default role of new members and the creator
// role of the organization's creator. Every organization uses one (the
// instance's initial role set unless created with role_set_key); its
// memberships and invitations can only have the roles of that set.

package emulator

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// roleSetRec is a role set. Its roles are named by key.
type roleSetRec struct {
	seq         int64
	id          string
	key         string // role_set:<name>
	name        string
	description *string
	typ         string // initial (one per instance) or custom
	roles       []string
	defaultRole string
	creatorRole string
	createdAt   time.Time
	updatedAt   time.Time
}

const (
	// defaultRoleSetKey is the key of a new instance's initial role set.
	defaultRoleSetKey = "role_set:default"
	// maxRoleSetRoles is the most roles a role set created or extended
	// through the API can have.
	maxRoleSetRoles = 10
)

var roleSetKeyPattern = regexp.MustCompile(`^role_set:[a-z0-9_]+$`)

func (st *state) addRoleSet(rs *roleSetRec, now time.Time) {
	rs.seq, rs.id, rs.createdAt, rs.updatedAt = st.next(), randomID("rs_"), now, now
	st.roleSets[rs.key] = rs
}

// initialRoleSet is the role set new organizations get.
func (st *state) initialRoleSet() *roleSetRec {
	for _, rs := range st.roleSets {
		if rs.typ == "initial" {
			return rs
		}
	}
	return nil
}

// roleSetOf is the role set o uses, or nil.
func (st *state) roleSetOf(o *orgRec) *roleSetRec {
	for _, rs := range st.roleSets {
		if rs.id == o.roleSet {
			return rs
		}
	}
	return nil
}

// creatorRoleOf is the role o's creator gets.
func (st *state) creatorRoleOf(o *orgRec) string {
	if rs := st.roleSetOf(o); rs != nil && rs.creatorRole != "" {
		return rs.creatorRole
	}
	return "org:admin"
}

// checkOrgRole fails when role is not in the role set of o.
func (st *state) checkOrgRole(o *orgRec, role string) *apiError {
	if rs := st.roleSetOf(o); rs != nil && !slices.Contains(rs.roles, role) {
		return errValue("role", "role "+role+" is not one of the roles of the organization's role set "+rs.key+".")
	}
	return nil
}

// roleSetUsing is a role set whose default or creator role is key.
func (st *state) roleSetUsing(key string) *roleSetRec {
	for _, rs := range st.roleSets {
		if rs.defaultRole == key || rs.creatorRole == key {
			return rs
		}
	}
	return nil
}

func (st *state) renameRoleInSets(from, to string) {
	for _, rs := range st.roleSets {
		if i := slices.Index(rs.roles, from); i >= 0 {
			rs.roles[i] = to
		}
		if rs.defaultRole == from {
			rs.defaultRole = to
		}
		if rs.creatorRole == from {
			rs.creatorRole = to
		}
	}
}

func (st *state) removeRoleFromSets(key string, now time.Time) {
	for _, rs := range st.roleSets {
		if i := slices.Index(rs.roles, key); i >= 0 {
			rs.roles = slices.Delete(rs.roles, i, i+1)
			rs.updatedAt = now
		}
	}
}

// ---- wire ----

type roleSetItemJSON struct {
	Object       string  `json:"object"`
	ID           string  `json:"id"`
	Name         string  `json:"name"`
	Key          string  `json:"key"`
	Description  *string `json:"description"`
	MembersCount *int64  `json:"members_count"`
	HasMembers   *bool   `json:"has_members"`
	CreatedAt    int64   `json:"created_at"`
	UpdatedAt    int64   `json:"updated_at"`
}

type roleSetJSON struct {
	Object           string            `json:"object"`
	ID               string            `json:"id"`
	Name             string            `json:"name"`
	Key              string            `json:"key"`
	Description      *string           `json:"description"`
	Roles            []roleSetItemJSON `json:"roles"`
	DefaultRole      *roleSetItemJSON  `json:"default_role"`
	CreatorRole      *roleSetItemJSON  `json:"creator_role"`
	Type             string            `json:"type"`
	RoleSetMigration any               `json:"role_set_migration"`
	CreatedAt        int64             `json:"created_at"`
	UpdatedAt        int64             `json:"updated_at"`
}

// roleSetItem is a role of rs, with how many members of the organizations
// using rs have it.
func (st *state) roleSetItem(rs *roleSetRec, key string) *roleSetItemJSON {
	r := st.roles[key]
	if r == nil {
		return nil
	}
	var n int64
	for _, o := range st.orgs {
		if o.roleSet != rs.id {
			continue
		}
		for _, m := range st.members[o.id] {
			if m.role == key {
				n++
			}
		}
	}
	has := n > 0
	return &roleSetItemJSON{Object: "role_set_item", ID: r.id, Name: r.name, Key: r.key, Description: r.description,
		MembersCount: &n, HasMembers: &has, CreatedAt: ms(r.createdAt), UpdatedAt: ms(r.updatedAt)}
}

func (st *state) roleSetJSON(rs *roleSetRec) roleSetJSON {
	items := []roleSetItemJSON{}
	for _, k := range rs.roles {
		if it := st.roleSetItem(rs, k); it != nil {
			items = append(items, *it)
		}
	}
	return roleSetJSON{Object: "role_set", ID: rs.id, Name: rs.name, Key: rs.key, Description: rs.description,
		Roles: items, DefaultRole: st.roleSetItem(rs, rs.defaultRole), CreatorRole: st.roleSetItem(rs, rs.creatorRole),
		Type: rs.typ, CreatedAt: ms(rs.createdAt), UpdatedAt: ms(rs.updatedAt)}
}

// ---- routes ----

func (s *Server) registerRoleSetRoutes() {
	s.handle("GET /v1/role_sets", s.listRoleSets)
	handleBody(s, "POST /v1/role_sets", s.createRoleSet)
	s.handle("GET /v1/role_sets/{role_set_key_or_id}", s.getRoleSet)
	handleBody(s, "PATCH /v1/role_sets/{role_set_key_or_id}", s.updateRoleSet)
	handleBody(s, "POST /v1/role_sets/{role_set_key_or_id}/replace", s.replaceRoleSet)
	handleBody(s, "POST /v1/role_sets/{role_set_key_or_id}/roles", s.addRolesToSet)
	handleBody(s, "POST /v1/role_sets/{role_set_key_or_id}/roles/replace", s.replaceRoleInSet)
}

// roleSet is the role set of the path's {role_set_key_or_id}.
func (c *call) roleSet() (*roleSetRec, *apiError) {
	v := c.r.PathValue("role_set_key_or_id")
	if rs := c.st.roleSets[v]; rs != nil {
		return rs, nil
	}
	for _, rs := range c.st.roleSets {
		if rs.id == v {
			return rs, nil
		}
	}
	return nil, errNotFound("role set", v)
}

func (s *Server) listRoleSets(c *call) (any, *apiError) {
	p, query, field, desc, e := namedListParams(c)
	if e != nil {
		return nil, e
	}
	var sets []*roleSetRec
	for _, rs := range c.st.roleSets {
		if namedMatch(query, rs.id, rs.name, rs.key) {
			sets = append(sets, rs)
		}
	}
	sortBy(sets, desc, func(rs *roleSetRec) sortKey { return namedKey(field, rs.name, rs.key, rs.createdAt) },
		func(rs *roleSetRec) int64 { return rs.seq })
	return listPage(sets, p, c.st.roleSetJSON), nil
}

type createRoleSetBody struct {
	Name           *string  `json:"name"`
	Key            *string  `json:"key"`
	Description    *string  `json:"description"`
	DefaultRoleKey *string  `json:"default_role_key"`
	CreatorRoleKey *string  `json:"creator_role_key"`
	Type           *string  `json:"type"`
	Roles          []string `json:"roles"`
}

// checkRoleSetKey fails when key is malformed or another role set's.
func (st *state) checkRoleSetKey(key string) *apiError {
	if !roleSetKeyPattern.MatchString(key) {
		return errFormat("key", "key must start with role_set: followed by lowercase alphanumeric characters and underscores only.")
	}
	if st.roleSets[key] != nil {
		return errTaken("key", "key")
	}
	return nil
}

// checkSetRoles fails when roles has no role, too many, or one that does
// not exist (404).
func (st *state) checkSetRoles(param string, roles []string) *apiError {
	if len(roles) == 0 {
		return errMissing(param)
	}
	if len(roles) > maxRoleSetRoles {
		return errValue(param, param+" must have at most "+strconv.Itoa(maxRoleSetRoles)+" roles.")
	}
	for _, k := range roles {
		if st.roles[k] == nil {
			return errNotFound("organization role", k)
		}
	}
	return nil
}

// checkSetDefaults fails when the default or creator role is not one of
// roles, or the creator role cannot create organizations.
func (st *state) checkSetDefaults(roles []string, def, creator string) *apiError {
	if !slices.Contains(roles, def) {
		return errValue("default_role_key", "default_role_key must be one of the role set's roles.")
	}
	if !slices.Contains(roles, creator) {
		return errValue("creator_role_key", "creator_role_key must be one of the role set's roles.")
	}
	if r := st.roles[creator]; r == nil || !r.creatorEligible() {
		return errValue("creator_role_key", "creator_role_key must be a role with the permissions to manage and delete the organization (is_creator_eligible).")
	}
	return nil
}

// roleSetKeyFrom derives a free role set key from a name.
func (st *state) roleSetKeyFrom(name string) string {
	base := "role_set:" + strings.ReplaceAll(slugify(name), "-", "_")
	if base == "role_set:" {
		base = "role_set:set"
	}
	key := base
	for i := 2; st.roleSets[key] != nil; i++ {
		key = base + "_" + strconv.Itoa(i)
	}
	return key
}

// makeInitial makes rs the instance's initial role set; the previous one
// becomes custom.
func (st *state) makeInitial(rs *roleSetRec, now time.Time) {
	for _, o := range st.roleSets {
		if o != rs && o.typ == "initial" {
			o.typ, o.updatedAt = "custom", now
		}
	}
	rs.typ = "initial"
}

// createRoleSet is POST /v1/role_sets.
func (s *Server) createRoleSet(c *call, b *createRoleSetBody) (any, *apiError) {
	st, now := c.st, c.now
	if b.Name == nil || strings.TrimSpace(*b.Name) == "" {
		return nil, errMissing("name")
	}
	if e := st.checkSetRoles("roles", b.Roles); e != nil {
		return nil, e
	}
	if b.DefaultRoleKey == nil || *b.DefaultRoleKey == "" {
		return nil, errMissing("default_role_key")
	}
	if b.CreatorRoleKey == nil || *b.CreatorRoleKey == "" {
		return nil, errMissing("creator_role_key")
	}
	roles := slices.Compact(slices.Clone(b.Roles))
	if e := st.checkSetDefaults(roles, *b.DefaultRoleKey, *b.CreatorRoleKey); e != nil {
		return nil, e
	}
	typ := "custom"
	if b.Type != nil {
		if *b.Type != "initial" && *b.Type != "custom" {
			return nil, errValue("type", "type must be initial or custom.")
		}
		typ = *b.Type
	}
	key := ""
	if b.Key != nil && *b.Key != "" {
		if e := st.checkRoleSetKey(*b.Key); e != nil {
			return nil, e
		}
		key = *b.Key
	} else {
		key = st.roleSetKeyFrom(*b.Name)
	}
	rs := &roleSetRec{key: key, name: *b.Name, description: b.Description, typ: "custom", roles: roles,
		defaultRole: *b.DefaultRoleKey, creatorRole: *b.CreatorRoleKey}
	st.addRoleSet(rs, now)
	if typ == "initial" {
		st.makeInitial(rs, now)
	}
	return st.roleSetJSON(rs), nil
}

func (s *Server) getRoleSet(c *call) (any, *apiError) {
	rs, e := c.roleSet()
	if e != nil {
		return nil, e
	}
	return c.st.roleSetJSON(rs), nil
}

type updateRoleSetBody struct {
	Name           *string          `json:"name"`
	Key            *string          `json:"key"`
	Description    nullable[string] `json:"description"`
	Type           *string          `json:"type"`
	DefaultRoleKey *string          `json:"default_role_key"`
	CreatorRoleKey *string          `json:"creator_role_key"`
}

// updateRoleSet is PATCH /v1/role_sets/{role_set_key_or_id}; type can
// only be made initial.
func (s *Server) updateRoleSet(c *call, b *updateRoleSetBody) (any, *apiError) {
	st, now := c.st, c.now
	rs, e := c.roleSet()
	if e != nil {
		return nil, e
	}
	if b.Name != nil && strings.TrimSpace(*b.Name) == "" {
		return nil, errValue("name", "name must not be empty.")
	}
	if b.Key != nil && *b.Key != rs.key {
		if e := st.checkRoleSetKey(*b.Key); e != nil {
			return nil, e
		}
	}
	if b.Type != nil && *b.Type != "initial" {
		return nil, errValue("type", "type can only be set to initial.")
	}
	def, creator := rs.defaultRole, rs.creatorRole
	if b.DefaultRoleKey != nil {
		def = *b.DefaultRoleKey
	}
	if b.CreatorRoleKey != nil {
		creator = *b.CreatorRoleKey
	}
	if e := st.checkSetDefaults(rs.roles, def, creator); e != nil {
		return nil, e
	}
	if b.Name != nil {
		rs.name = *b.Name
	}
	if b.Key != nil && *b.Key != rs.key {
		delete(st.roleSets, rs.key)
		rs.key = *b.Key
		st.roleSets[rs.key] = rs
	}
	if b.Description.set {
		rs.description = nil
		if !b.Description.null {
			d := b.Description.v
			rs.description = &d
		}
	}
	rs.defaultRole, rs.creatorRole = def, creator
	if b.Type != nil {
		st.makeInitial(rs, now)
	}
	rs.updatedAt = now
	return st.roleSetJSON(rs), nil
}

type addRolesBody struct {
	RoleKeys       []string `json:"role_keys"`
	DefaultRoleKey *string  `json:"default_role_key"`
	CreatorRoleKey *string  `json:"creator_role_key"`
}

// addRolesToSet is POST /v1/role_sets/{role_set_key_or_id}/roles.
func (s *Server) addRolesToSet(c *call, b *addRolesBody) (any, *apiError) {
	st, now := c.st, c.now
	rs, e := c.roleSet()
	if e != nil {
		return nil, e
	}
	if e := st.checkSetRoles("role_keys", b.RoleKeys); e != nil {
		return nil, e
	}
	roles := slices.Clone(rs.roles)
	for _, k := range b.RoleKeys {
		if slices.Contains(roles, k) {
			return nil, errValue("role_keys", "The role "+k+" is in the role set already.")
		}
		roles = append(roles, k)
	}
	if len(roles) > maxRoleSetRoles {
		return nil, errValue("role_keys", "A role set can have at most "+strconv.Itoa(maxRoleSetRoles)+" roles.")
	}
	def, creator := rs.defaultRole, rs.creatorRole
	if b.DefaultRoleKey != nil {
		def = *b.DefaultRoleKey
	}
	if b.CreatorRoleKey != nil {
		creator = *b.CreatorRoleKey
	}
	if e := st.checkSetDefaults(roles, def, creator); e != nil {
		return nil, e
	}
	rs.roles, rs.defaultRole, rs.creatorRole, rs.updatedAt = roles, def, creator, now
	return st.roleSetJSON(rs), nil
}

type replaceRoleBody struct {
	RoleKey   *string `json:"role_key"`
	ToRoleKey *string `json:"to_role_key"`
}

// replaceRoleInSet is POST /v1/role_sets/{role_set_key_or_id}/roles/replace:
// role_key leaves the set for to_role_key, and the members of the
// organizations using the set who had role_key get to_role_key.
func (s *Server) replaceRoleInSet(c *call, b *replaceRoleBody) (any, *apiError) {
	st, now := c.st, c.now
	rs, e := c.roleSet()
	if e != nil {
		return nil, e
	}
	if b.RoleKey == nil || *b.RoleKey == "" {
		return nil, errMissing("role_key")
	}
	if b.ToRoleKey == nil || *b.ToRoleKey == "" {
		return nil, errMissing("to_role_key")
	}
	from, to := *b.RoleKey, *b.ToRoleKey
	if !slices.Contains(rs.roles, from) {
		return nil, errValue("role_key", "The role "+from+" is not in the role set.")
	}
	if st.roles[to] == nil {
		return nil, errNotFound("organization role", to)
	}
	if slices.Contains(rs.roles, to) {
		return nil, errValue("to_role_key", "The role "+to+" is in the role set already.")
	}
	roles := slices.Clone(rs.roles)
	roles[slices.Index(roles, from)] = to
	def, creator := rs.defaultRole, rs.creatorRole
	if def == from {
		def = to
	}
	if creator == from {
		creator = to
	}
	if e := st.checkSetDefaults(roles, def, creator); e != nil {
		return nil, e
	}
	rs.roles, rs.defaultRole, rs.creatorRole, rs.updatedAt = roles, def, creator, now
	st.reassignMembers(rs, map[string]string{from: to}, now)
	return st.roleSetJSON(rs), nil
}

// reassignMembers gives the members of the organizations using rs the
// role mapping says for theirs.
func (st *state) reassignMembers(rs *roleSetRec, mapping map[string]string, now time.Time) {
	for _, o := range st.orgs {
		if o.roleSet != rs.id {
			continue
		}
		for _, m := range st.members[o.id] {
			if to, ok := mapping[m.role]; ok && to != m.role {
				m.role, m.updatedAt = to, now
				st.emitMembership("organizationMembership.updated", m, now)
			}
		}
	}
}

type replaceRoleSetBody struct {
	DestRoleSetKey       *string           `json:"dest_role_set_key"`
	ReassignmentMappings map[string]string `json:"reassignment_mappings"`
}

// replaceRoleSet is POST /v1/role_sets/{role_set_key_or_id}/replace: the
// organizations using the role set move to dest_role_set_key, their
// members whose role the destination lacks get the role
// reassignment_mappings gives (a 422 when it gives none), and the role set
// is deleted.
func (s *Server) replaceRoleSet(c *call, b *replaceRoleSetBody) (any, *apiError) {
	st, now := c.st, c.now
	rs, e := c.roleSet()
	if e != nil {
		return nil, e
	}
	if b.DestRoleSetKey == nil || *b.DestRoleSetKey == "" {
		return nil, errMissing("dest_role_set_key")
	}
	dest := st.roleSets[*b.DestRoleSetKey]
	if dest == nil {
		return nil, errNotFound("role set", *b.DestRoleSetKey)
	}
	if dest == rs {
		return nil, errValue("dest_role_set_key", "dest_role_set_key must be another role set.")
	}
	for from, to := range b.ReassignmentMappings {
		if !slices.Contains(dest.roles, to) {
			return nil, errValue("reassignment_mappings", "reassignment_mappings maps "+from+" to "+to+", which is not a role of "+dest.key+".")
		}
	}
	mapping := map[string]string{}
	for _, o := range st.orgs {
		if o.roleSet != rs.id {
			continue
		}
		for _, m := range st.members[o.id] {
			if slices.Contains(dest.roles, m.role) {
				continue
			}
			to, ok := b.ReassignmentMappings[m.role]
			if !ok {
				return nil, errValue("reassignment_mappings", "Members have the role "+m.role+", which "+dest.key+
					" lacks: reassignment_mappings must map it to one of its roles.")
			}
			mapping[m.role] = to
		}
	}
	st.reassignMembers(rs, mapping, now)
	for _, o := range st.orgs {
		if o.roleSet == rs.id {
			o.roleSet = dest.id
		}
	}
	if rs.typ == "initial" {
		st.makeInitial(dest, now)
		dest.updatedAt = now
	}
	delete(st.roleSets, rs.key)
	return deletedJSON{Object: "role_set", ID: rs.id, Deleted: true}, nil
}

// orgRoleSetParam is the role set of key for PATCH /v1/organizations/{id}:
// it must exist and have the roles of o's members and pending
// invitations.
func (st *state) orgRoleSetParam(o *orgRec, key string) (*roleSetRec, *apiError) {
	rs := st.roleSets[key]
	if rs == nil {
		return nil, errValue("role_set_key", "role_set_key must be the key of a role set; "+key+" is not.")
	}
	for _, m := range st.members[o.id] {
		if !slices.Contains(rs.roles, m.role) {
			return nil, errValue("role_set_key", "Members of the organization have the role "+m.role+", which the role set "+key+" lacks.")
		}
	}
	for _, inv := range st.invitations {
		if inv.orgID == o.id && inv.status == "pending" && !slices.Contains(rs.roles, inv.role) {
			return nil, errValue("role_set_key", "Pending invitations of the organization offer the role "+inv.role+", which the role set "+key+" lacks.")
		}
	}
	return rs, nil
}
