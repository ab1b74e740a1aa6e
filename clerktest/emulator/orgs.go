package emulator

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// createOrgBody is the body of POST /v1/organizations.
type createOrgBody struct {
	Name                  *string         `json:"name"`
	CreatedBy             *string         `json:"created_by"`
	PrivateMetadata       json.RawMessage `json:"private_metadata"`
	PublicMetadata        json.RawMessage `json:"public_metadata"`
	Slug                  *string         `json:"slug"`
	MaxAllowedMemberships *int            `json:"max_allowed_memberships"`
	CreatedAt             *string         `json:"created_at"`
	RoleSetKey            *string         `json:"role_set_key"`
	// The explicit id of a seeded organization; not an API parameter.
	id string
}

var ignoredCreateOrgParams []string // the Server uses every parameter

func validSlug(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// slugify derives a slug from a name, the way Clerk does when none is
// given: lower case, runs of other characters turned into one "-".
func slugify(name string) string {
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(name) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

func checkOrgName(name string) *apiError {
	if strings.TrimSpace(name) == "" {
		return errMissing("name")
	}
	if utf8.RuneCountInString(name) > 256 {
		return errValue("name", "name must be at most 256 characters long.")
	}
	if strings.ContainsAny(name, "<>") || strings.Contains(name, "://") {
		return errValue("name", "name may not contain URLs or HTML.")
	}
	return nil
}

// checkSlug fails when slug is malformed or another organization's.
func (st *state) checkSlug(slug string) *apiError {
	if !validSlug(slug) {
		return errFormat("slug", "slug can contain only lowercase alphanumeric characters and the dash \"-\".")
	}
	if st.slugs[slug] != "" {
		return errTaken("slug", "slug")
	}
	return nil
}

// checkOrgParams validates the members that POST and PATCH
// /v1/organizations share, after name and slug: max_allowed_memberships,
// created_at (zero when absent) and the metadata (nil when absent).
func checkOrgParams(maxMembers *int, createdAtRaw *string, pubRaw, privRaw json.RawMessage) (createdAt time.Time, pub, priv json.RawMessage, e *apiError) {
	if maxMembers != nil && *maxMembers < 0 {
		return time.Time{}, nil, nil, errValue("max_allowed_memberships", "max_allowed_memberships must not be negative.")
	}
	if createdAt, e = parseRFC3339("created_at", createdAtRaw); e != nil {
		return time.Time{}, nil, nil, e
	}
	if pub, priv, e = metadataParams(pubRaw, privRaw); e != nil {
		return time.Time{}, nil, nil, e
	}
	return createdAt, pub, priv, nil
}

func (s *Server) createOrg(c *call, b *createOrgBody) (any, *apiError) {
	now := c.now
	o, e := c.st.addOrg(b, now)
	if e != nil {
		return nil, e
	}
	return c.st.orgJSON(o, false, now), nil
}

// addOrg validates b and stores a new organization; its creator, if any,
// becomes an admin.
func (st *state) addOrg(b *createOrgBody, now time.Time) (*orgRec, *apiError) {
	if b.Name == nil {
		return nil, errMissing("name")
	}
	if e := checkOrgName(*b.Name); e != nil {
		return nil, e
	}
	var slug string
	if b.Slug != nil && *b.Slug != "" {
		slug = *b.Slug
		if e := st.checkSlug(slug); e != nil {
			return nil, e
		}
	} else {
		slug = slugify(*b.Name)
		if slug == "" {
			slug = "org"
		}
		for i, base := 2, slug; st.slugs[slug] != ""; i++ {
			slug = base + "-" + strconv.Itoa(i)
		}
	}
	var creator *userRec
	if b.CreatedBy != nil && *b.CreatedBy != "" {
		if creator = st.users[*b.CreatedBy]; creator == nil {
			return nil, errValue("created_by", "created_by must be the id of an existing user.")
		}
	}
	createdAt, pub, priv, e := checkOrgParams(b.MaxAllowedMemberships, b.CreatedAt, b.PublicMetadata, b.PrivateMetadata)
	if e != nil {
		return nil, e
	}
	if createdAt.IsZero() {
		createdAt = now
	}
	rs := st.initialRoleSet()
	if b.RoleSetKey != nil && *b.RoleSetKey != "" {
		if rs = st.roleSets[*b.RoleSetKey]; rs == nil {
			return nil, errValue("role_set_key", "role_set_key must be the key of a role set; "+*b.RoleSetKey+" is not.")
		}
	}
	o := &orgRec{
		seq: st.next(), id: b.id, name: *b.Name, slug: slug, adminDelete: true,
		public: orEmpty(pub), private: orEmpty(priv), createdAt: createdAt, updatedAt: now,
	}
	if o.id == "" {
		o.id = randomID("org_")
	}
	if rs != nil {
		o.roleSet = rs.id
	}
	if b.MaxAllowedMemberships != nil {
		o.maxMembers = *b.MaxAllowedMemberships
	}
	st.orgs[o.id] = o
	st.slugs[slug] = o.id
	st.members[o.id] = map[string]*memberRec{}
	if creator != nil {
		o.createdBy = creator.id
	}
	st.emitOrg("organization.created", o, now)
	if creator != nil {
		st.addMember(o, creator, st.creatorRoleOf(o), nil, nil, now)
	}
	return o, nil
}

// org finds an organization by id; byIDOrSlug also takes a slug.
func (st *state) org(idOrSlug string, bySlug bool) (*orgRec, *apiError) {
	if o := st.orgs[idOrSlug]; o != nil {
		return o, nil
	}
	if bySlug {
		if id := st.slugs[idOrSlug]; id != "" {
			return st.orgs[id], nil
		}
	}
	return nil, errNotFound("organization", idOrSlug)
}

// getOrg is GET /v1/organizations/{organization_id}, which takes an id or
// a slug.
func (s *Server) getOrg(c *call) (any, *apiError) {
	q := c.r.URL.Query()
	counts, e := parseBool(q, "include_members_count")
	if e != nil {
		return nil, e
	}
	o, e := c.orgOrSlug()
	if e != nil {
		return nil, e
	}
	return c.st.orgJSON(o, counts, c.now), nil
}

// listOrgs is GET /v1/organizations.
func (s *Server) listOrgs(c *call) (any, *apiError) {
	q := c.r.URL.Query()
	p, e := pageParams(q)
	if e != nil {
		return nil, e
	}
	counts, e := parseBool(q, "include_members_count")
	if e != nil {
		return nil, e
	}
	field, desc, e := orderBy(q, "-created_at", "created_at", "name", "members_count")
	if e != nil {
		return nil, e
	}
	users, orgIDs := parseIDFilter(q["user_id"]), parseIDFilter(q["organization_id"])
	query := q.Get("query")
	st, now := c.st, c.now
	var orgs []*orgRec
	for _, o := range st.orgs {
		if query != "" && o.id != query && !containsFold(o.name, query) && !containsFold(o.slug, query) {
			continue
		}
		if !orgIDs.match(o.id) {
			continue
		}
		if !users.empty() {
			var ids []string
			for id := range st.members[o.id] {
				ids = append(ids, id)
			}
			if !users.match(ids...) {
				continue
			}
		}
		orgs = append(orgs, o)
	}
	key := func(o *orgRec) sortKey { return timeKey(o.createdAt) }
	switch field {
	case "name":
		key = func(o *orgRec) sortKey { return sortKey{s: strings.ToLower(o.name)} }
	case "members_count":
		key = func(o *orgRec) sortKey { return sortKey{n: int64(len(st.members[o.id]))} }
	}
	sortBy(orgs, desc, key, func(o *orgRec) int64 { return o.seq })
	return listPage(orgs, p, func(o *orgRec) orgJSON { return st.orgJSON(o, counts, now) }), nil
}

type updateOrgBody struct {
	PublicMetadata        json.RawMessage `json:"public_metadata"`
	PrivateMetadata       json.RawMessage `json:"private_metadata"`
	Name                  *string         `json:"name"`
	Slug                  *string         `json:"slug"`
	MaxAllowedMemberships *int            `json:"max_allowed_memberships"`
	AdminDeleteEnabled    *bool           `json:"admin_delete_enabled"`
	RoleSetKey            *string         `json:"role_set_key"`
	CreatedAt             *string         `json:"created_at"`
}

// updateOrg is PATCH /v1/organizations/{organization_id}. Metadata given
// here replaces the stored metadata whole.
func (s *Server) updateOrg(c *call, b *updateOrgBody) (any, *apiError) {
	st, now := c.st, c.now
	o, e := c.org()
	if e != nil {
		return nil, e
	}
	if b.Name != nil {
		if e := checkOrgName(*b.Name); e != nil {
			return nil, e
		}
	}
	if b.Slug != nil && *b.Slug != o.slug {
		if e := st.checkSlug(*b.Slug); e != nil {
			return nil, e
		}
	}
	createdAt, pub, priv, e := checkOrgParams(b.MaxAllowedMemberships, b.CreatedAt, b.PublicMetadata, b.PrivateMetadata)
	if e != nil {
		return nil, e
	}
	var rs *roleSetRec
	if b.RoleSetKey != nil && *b.RoleSetKey != "" {
		if rs, e = st.orgRoleSetParam(o, *b.RoleSetKey); e != nil {
			return nil, e
		}
	}
	if rs != nil {
		o.roleSet = rs.id
	}
	if b.Name != nil {
		o.name = *b.Name
	}
	if b.Slug != nil && *b.Slug != o.slug {
		delete(st.slugs, o.slug)
		o.slug = *b.Slug
		st.slugs[o.slug] = o.id
	}
	if b.MaxAllowedMemberships != nil {
		o.maxMembers = *b.MaxAllowedMemberships
	}
	if b.AdminDeleteEnabled != nil {
		o.adminDelete = *b.AdminDeleteEnabled
	}
	if !createdAt.IsZero() {
		o.createdAt = createdAt
	}
	if pub != nil {
		o.public = pub
	}
	if priv != nil {
		o.private = priv
	}
	o.updatedAt = now
	st.emitOrg("organization.updated", o, now)
	return st.orgJSON(o, false, now), nil
}

// deleteOrg is DELETE /v1/organizations/{organization_id}: its
// memberships and invitations go with it, and sessions that had it active
// have no active organization any more.
func (s *Server) deleteOrg(c *call) (any, *apiError) {
	st, now := c.st, c.now
	o, e := c.org()
	if e != nil {
		return nil, e
	}
	delete(st.orgs, o.id)
	delete(st.slugs, o.slug)
	delete(st.members, o.id)
	st.deleteOrgDomains(o.id)
	for id, inv := range st.invitations {
		if inv.orgID == o.id {
			delete(st.invitations, id)
		}
	}
	for _, se := range st.sessions {
		if se.activeOrg == o.id {
			se.activeOrg, se.updatedAt = "", now
		}
	}
	st.emit("organization.deleted", deletedEventJSON{Object: "organization", ID: o.id, Slug: o.slug, Deleted: true}, now)
	return deletedJSON{Object: "organization", ID: o.id, Slug: o.slug, Deleted: true}, nil
}

type orgMetadataBody struct {
	PublicMetadata  json.RawMessage `json:"public_metadata"`
	PrivateMetadata json.RawMessage `json:"private_metadata"`
}

// mergeOrgMetadata is PATCH /v1/organizations/{organization_id}/metadata.
func (s *Server) mergeOrgMetadata(c *call, b *orgMetadataBody) (any, *apiError) {
	return orgMetadata(c, b, mergeParam)
}

// replaceOrgMetadata is PUT /v1/organizations/{organization_id}/metadata.
func (s *Server) replaceOrgMetadata(c *call, b *orgMetadataBody) (any, *apiError) {
	return orgMetadata(c, b, replaceParam)
}

func orgMetadata(c *call, b *orgMetadataBody, apply func(name string, cur, raw json.RawMessage) (json.RawMessage, *apiError)) (any, *apiError) {
	now := c.now
	o, e := c.org()
	if e != nil {
		return nil, e
	}
	pub, e := apply("public_metadata", o.public, b.PublicMetadata)
	if e != nil {
		return nil, e
	}
	priv, e := apply("private_metadata", o.private, b.PrivateMetadata)
	if e != nil {
		return nil, e
	}
	if pub != nil {
		o.public = pub
	}
	if priv != nil {
		o.private = priv
	}
	o.updatedAt = now
	c.st.emitOrg("organization.updated", o, now)
	return c.st.orgJSON(o, false, now), nil
}

// ---- memberships ----

// addMember stores a membership.
func (st *state) addMember(o *orgRec, u *userRec, role string, pub, priv json.RawMessage, now time.Time) *memberRec {
	m := &memberRec{
		seq: st.next(), id: randomID("orgmem_"), orgID: o.id, userID: u.id, role: role,
		public: orEmpty(pub), private: orEmpty(priv), createdAt: now, updatedAt: now,
	}
	st.members[o.id][u.id] = m
	st.emitMembership("organizationMembership.created", m, now)
	return m
}

func (st *state) checkRole(role *string) *apiError {
	if role == nil || *role == "" {
		return errMissing("role")
	}
	if st.roles[*role] == nil {
		return errValue("role", "role must be one of the instance's organization roles, such as org:admin or org:member; "+*role+" is not.")
	}
	return nil
}

// checkNewMember fails when u is a member of o already, or when o has no
// room for another member.
func (st *state) checkNewMember(o *orgRec, u *userRec) *apiError {
	if st.members[o.id][u.id] != nil {
		return errAlreadyMember()
	}
	if o.maxMembers > 0 && len(st.members[o.id]) >= o.maxMembers {
		return &apiError{status: http.StatusForbidden, code: "organization_membership_quota_exceeded",
			msg: "Membership quota exceeded", long: "The organization has reached its maximum number of memberships."}
	}
	return nil
}

func errAlreadyMember() *apiError {
	return &apiError{status: http.StatusUnprocessableEntity, code: "already_a_member_in_organization",
		msg: "Already a member", long: "The user is already a member of this organization."}
}

type createMembershipBody struct {
	UserID          *string         `json:"user_id"`
	Role            *string         `json:"role"`
	PublicMetadata  json.RawMessage `json:"public_metadata"`
	PrivateMetadata json.RawMessage `json:"private_metadata"`
}

func (s *Server) createMembership(c *call, b *createMembershipBody) (any, *apiError) {
	st, now := c.st, c.now
	o, e := c.org()
	if e != nil {
		return nil, e
	}
	if b.UserID == nil || *b.UserID == "" {
		return nil, errMissing("user_id")
	}
	if e := st.checkRole(b.Role); e != nil {
		return nil, e
	}
	if e := st.checkOrgRole(o, *b.Role); e != nil {
		return nil, e
	}
	u, e := st.user(*b.UserID)
	if e != nil {
		return nil, e
	}
	if e := st.checkNewMember(o, u); e != nil {
		return nil, e
	}
	pub, priv, e := metadataParams(b.PublicMetadata, b.PrivateMetadata)
	if e != nil {
		return nil, e
	}
	m := st.addMember(o, u, *b.Role, pub, priv, now)
	return st.membershipJSON(m, now), nil
}

type updateMembershipBody struct {
	Role *string `json:"role"`
}

func (s *Server) updateMembership(c *call, b *updateMembershipBody) (any, *apiError) {
	st, now := c.st, c.now
	m, e := c.membership()
	if e != nil {
		return nil, e
	}
	if e := st.checkRole(b.Role); e != nil {
		return nil, e
	}
	if e := st.checkOrgRole(st.orgs[m.orgID], *b.Role); e != nil {
		return nil, e
	}
	m.role, m.updatedAt = *b.Role, now
	st.emitMembership("organizationMembership.updated", m, now)
	return st.membershipJSON(m, now), nil
}

// deleteMembership answers the membership it removed, as Clerk does.
func (s *Server) deleteMembership(c *call) (any, *apiError) {
	st, now := c.st, c.now
	m, e := c.membership()
	if e != nil {
		return nil, e
	}
	out := st.membershipJSON(m, now)
	delete(st.members[m.orgID], m.userID)
	st.emit("organizationMembership.deleted", out, now)
	return out, nil
}

func (s *Server) mergeMembershipMetadata(c *call, b *orgMetadataBody) (any, *apiError) {
	st, now := c.st, c.now
	m, e := c.membership()
	if e != nil {
		return nil, e
	}
	pub, e := mergeParam("public_metadata", m.public, b.PublicMetadata)
	if e != nil {
		return nil, e
	}
	priv, e := mergeParam("private_metadata", m.private, b.PrivateMetadata)
	if e != nil {
		return nil, e
	}
	m.public, m.private, m.updatedAt = pub, priv, now
	st.emitMembership("organizationMembership.updated", m, now)
	return st.membershipJSON(m, now), nil
}

var membershipOrderFields = []string{"created_at", "email_address", "first_name", "last_name", "username", "phone_number"}

func (st *state) sortMemberships(ms []*memberRec, field string, desc bool) {
	key := func(m *memberRec) sortKey { return timeKey(m.createdAt) }
	if field != "created_at" {
		uk := userSortKey(field)
		key = func(m *memberRec) sortKey { return uk(st.users[m.userID]) }
	}
	sortBy(ms, desc, key, func(m *memberRec) int64 { return m.seq })
}

// listOrgMemberships is GET /v1/organizations/{organization_id}/memberships.
func (s *Server) listOrgMemberships(c *call) (any, *apiError) {
	q := c.r.URL.Query()
	p, e := pageParams(q)
	if e != nil {
		return nil, e
	}
	field, desc, e := orderBy(q, "-created_at", membershipOrderFields...)
	if e != nil {
		return nil, e
	}
	f, e := parseUserFilter(q)
	if e != nil {
		return nil, e
	}
	roles := q["role"]
	st, now := c.st, c.now
	o, e := c.org()
	if e != nil {
		return nil, e
	}
	var ms []*memberRec
	for _, m := range st.members[o.id] {
		if len(roles) > 0 && !slices.Contains(roles, m.role) {
			continue
		}
		if st.matchUser(st.users[m.userID], f) {
			ms = append(ms, m)
		}
	}
	st.sortMemberships(ms, field, desc)
	return listPage(ms, p, func(m *memberRec) membershipJSON { return st.membershipJSON(m, now) }), nil
}

// listUserMemberships is GET /v1/users/{user_id}/organization_memberships.
func (s *Server) listUserMemberships(c *call) (any, *apiError) {
	p, e := pageParams(c.r.URL.Query())
	if e != nil {
		return nil, e
	}
	st, now := c.st, c.now
	u, e := c.user()
	if e != nil {
		return nil, e
	}
	var ms []*memberRec
	for _, byUser := range st.members {
		if m := byUser[u.id]; m != nil {
			ms = append(ms, m)
		}
	}
	st.sortMemberships(ms, "created_at", true)
	return listPage(ms, p, func(m *memberRec) membershipJSON { return st.membershipJSON(m, now) }), nil
}

// ---- invitations ----

type createInvitationBody struct {
	EmailAddress    *string         `json:"email_address"`
	InviterUserID   *string         `json:"inviter_user_id"`
	Role            *string         `json:"role"`
	PublicMetadata  json.RawMessage `json:"public_metadata"`
	PrivateMetadata json.RawMessage `json:"private_metadata"`
	RedirectURL     *string         `json:"redirect_url"`
	ExpiresInDays   *int            `json:"expires_in_days"`
	Notify          *bool           `json:"notify"`
}

// createInvitation is POST /v1/organizations/{organization_id}/invitations.
// No email is sent. An inviter, when given, must be an admin of the
// organization.
func (s *Server) createInvitation(c *call, b *createInvitationBody) (any, *apiError) {
	st, now := c.st, c.now
	o, e := c.org()
	if e != nil {
		return nil, e
	}
	if b.EmailAddress == nil || *b.EmailAddress == "" {
		return nil, errMissing("email_address")
	}
	email := strings.ToLower(strings.TrimSpace(*b.EmailAddress))
	if !validEmail(email) {
		return nil, errFormat("email_address", "email_address must be a valid email address.")
	}
	if e := st.checkRole(b.Role); e != nil {
		return nil, e
	}
	if e := st.checkOrgRole(o, *b.Role); e != nil {
		return nil, e
	}
	days := invitationDays
	if b.ExpiresInDays != nil {
		if *b.ExpiresInDays < 1 || *b.ExpiresInDays > 365 {
			return nil, errValue("expires_in_days", "expires_in_days must be between 1 and 365.")
		}
		days = *b.ExpiresInDays
	}
	var inviter string
	if b.InviterUserID != nil && *b.InviterUserID != "" {
		inviter = *b.InviterUserID
		if m := st.members[o.id][inviter]; m == nil || m.role != "org:admin" {
			return nil, &apiError{status: http.StatusForbidden, code: "not_an_admin_in_organization",
				msg: "Not an admin", long: "The inviter must be an admin of the organization.", param: "inviter_user_id"}
		}
	}
	if id := st.emails[email]; id != "" && st.members[o.id][id] != nil {
		return nil, errAlreadyMember()
	}
	pub, priv, e := metadataParams(b.PublicMetadata, b.PrivateMetadata)
	if e != nil {
		return nil, e
	}
	inv := &invRec{
		seq: st.next(), id: randomID("orginv_"), orgID: o.id, email: email, role: *b.Role, inviterID: inviter,
		status: "pending", public: orEmpty(pub), private: orEmpty(priv),
		expiresAt: now.Add(time.Duration(days) * 24 * time.Hour), createdAt: now, updatedAt: now,
	}
	st.invitations[inv.id] = inv
	st.emitInvitation("organizationInvitation.created", inv, now)
	return st.invitationJSON(inv, false, now), nil
}

var (
	invitationStatuses    = []string{"pending", "accepted", "revoked", "expired"}
	invitationOrderFields = []string{"created_at", "email_address"}
)

// checkInvitationStatuses fails when a status filter is not an
// invitation status.
func checkInvitationStatuses(statuses []string) *apiError {
	for _, st := range statuses {
		if !slices.Contains(invitationStatuses, st) {
			return errValue("status", "status must be one of pending, accepted, revoked, expired.")
		}
	}
	return nil
}

// sortInvitations orders invs by field (created_at or email_address),
// then by creation.
func sortInvitations(invs []*invRec, field string, desc bool) {
	key := func(inv *invRec) sortKey { return timeKey(inv.createdAt) }
	if field == "email_address" {
		key = func(inv *invRec) sortKey { return sortKey{s: inv.email} }
	}
	sortBy(invs, desc, key, func(inv *invRec) int64 { return inv.seq })
}

func (s *Server) listInvitations(c *call) (any, *apiError) {
	return invitationList(c, c.r.URL.Query()["status"])
}

// listPendingInvitations is the deprecated
// GET /v1/organizations/{organization_id}/invitations/pending.
func (s *Server) listPendingInvitations(c *call) (any, *apiError) {
	return invitationList(c, []string{"pending"})
}

func invitationList(c *call, statuses []string) (any, *apiError) {
	q := c.r.URL.Query()
	p, e := pageParams(q)
	if e != nil {
		return nil, e
	}
	if e := checkInvitationStatuses(statuses); e != nil {
		return nil, e
	}
	field, desc, e := orderBy(q, "-created_at", invitationOrderFields...)
	if e != nil {
		return nil, e
	}
	email := strings.ToLower(q.Get("email_address"))
	st, now := c.st, c.now
	o, e := c.org()
	if e != nil {
		return nil, e
	}
	var invs []*invRec
	for _, inv := range st.invitations {
		if inv.orgID != o.id || (email != "" && inv.email != email) ||
			(len(statuses) > 0 && !slices.Contains(statuses, inv.statusAt(now))) {
			continue
		}
		invs = append(invs, inv)
	}
	sortInvitations(invs, field, desc)
	return listPage(invs, p, func(inv *invRec) invitationJSON { return st.invitationJSON(inv, false, now) }), nil
}

// listUserInvitations is GET /v1/users/{user_id}/organization_invitations:
// the invitations to the user's email addresses, with public organization
// data.
func (s *Server) listUserInvitations(c *call) (any, *apiError) {
	q := c.r.URL.Query()
	p, e := pageParams(q)
	if e != nil {
		return nil, e
	}
	status := q.Get("status")
	if status != "" {
		if e := checkInvitationStatuses([]string{status}); e != nil {
			return nil, e
		}
	}
	st, now := c.st, c.now
	u, e := c.user()
	if e != nil {
		return nil, e
	}
	var invs []*invRec
	for _, inv := range st.invitations {
		if !slices.ContainsFunc(u.emails, func(em *emailRec) bool { return em.address == inv.email }) ||
			(status != "" && inv.statusAt(now) != status) {
			continue
		}
		invs = append(invs, inv)
	}
	sortInvitations(invs, "created_at", true)
	return listPage(invs, p, func(inv *invRec) invitationJSON { return st.invitationJSON(inv, true, now) }), nil
}

func (s *Server) getInvitation(c *call) (any, *apiError) {
	inv, e := c.invitation()
	if e != nil {
		return nil, e
	}
	return c.st.invitationJSON(inv, false, c.now), nil
}

type revokeInvitationBody struct {
	RequestingUserID *string `json:"requesting_user_id"`
}

// revokeInvitation is POST …/invitations/{invitation_id}/revoke. Only a
// pending invitation can be revoked; a requesting user, when given, must
// be an admin.
func (s *Server) revokeInvitation(c *call, b *revokeInvitationBody) (any, *apiError) {
	st, now := c.st, c.now
	inv, e := c.invitation()
	if e != nil {
		return nil, e
	}
	if b.RequestingUserID != nil && *b.RequestingUserID != "" {
		if m := st.members[inv.orgID][*b.RequestingUserID]; m == nil || m.role != "org:admin" {
			return nil, &apiError{status: http.StatusForbidden, code: "not_an_admin_in_organization",
				msg: "Not an admin", long: "The requesting user must be an admin of the organization.", param: "requesting_user_id"}
		}
	}
	if inv.statusAt(now) != "pending" {
		return nil, errNotPending(inv.statusAt(now))
	}
	inv.status, inv.updatedAt = "revoked", now
	st.emitInvitation("organizationInvitation.revoked", inv, now)
	return st.invitationJSON(inv, false, now), nil
}

func errNotPending(status string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "organization_invitation_not_pending",
		msg: "Invitation is not pending", long: "Only pending invitations can be revoked or accepted; this one is " + status + "."}
}

// listInstanceInvitations is GET /v1/organization_invitations: the
// invitations of every organization, with public organization data;
// query filters by email address.
func (s *Server) listInstanceInvitations(c *call) (any, *apiError) {
	q := c.r.URL.Query()
	p, e := pageParams(q)
	if e != nil {
		return nil, e
	}
	statuses := q["status"]
	if e := checkInvitationStatuses(statuses); e != nil {
		return nil, e
	}
	field, desc, e := orderBy(q, "-created_at", invitationOrderFields...)
	if e != nil {
		return nil, e
	}
	query := q.Get("query")
	st, now := c.st, c.now
	var invs []*invRec
	for _, inv := range st.invitations {
		if (query != "" && !containsFold(inv.email, query)) ||
			(len(statuses) > 0 && !slices.Contains(statuses, inv.statusAt(now))) {
			continue
		}
		invs = append(invs, inv)
	}
	sortInvitations(invs, field, desc)
	return listPage(invs, p, func(inv *invRec) invitationJSON { return st.invitationJSON(inv, true, now) }), nil
}
