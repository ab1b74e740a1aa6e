// Organization domains (/v1/organizations/{id}/domains and the instance's
// /v1/organization_domains), the instance-wide list of memberships (GET
// /v1/organization_memberships) and bulk organization invitations.

package emulator

import (
	"regexp"
	"slices"
	"strings"
	"time"
)

// orgDomainRec is a domain of an organization.
type orgDomainRec struct {
	seq            int64
	id             string
	orgID          string
	name           string
	enrollmentMode string
	verified       bool // affiliation verified (verified: true, or by an admin)
	ownership      bool // ownership verified (verify_ownership)
	verifiedAt     time.Time
	ownershipAt    time.Time
	createdAt      time.Time
	updatedAt      time.Time
}

var (
	domainPattern = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$`)
	// enrollmentModes are the modes a domain can be given through the API
	// (enterprise_sso comes from an enterprise connection).
	enrollmentModes = []string{"manual_invitation", "automatic_invitation", "automatic_suggestion"}
	// commonEmailDomains are providers no organization can claim.
	commonEmailDomains = []string{"gmail.com", "googlemail.com", "yahoo.com", "outlook.com", "hotmail.com", "live.com",
		"icloud.com", "me.com", "aol.com", "proton.me", "protonmail.com", "gmx.com", "mail.com"}
)

type orgDomainVerificationJSON struct {
	Status     string `json:"status"`
	Strategy   string `json:"strategy"`
	Attempts   *int   `json:"attempts"`
	ExpireAt   *int64 `json:"expire_at"`
	VerifiedAt *int64 `json:"verified_at"`
}

type orgDomainJSON struct {
	Object                  string                     `json:"object"`
	ID                      string                     `json:"id"`
	OrganizationID          string                     `json:"organization_id"`
	Name                    string                     `json:"name"`
	EnrollmentMode          string                     `json:"enrollment_mode"`
	AffiliationEmailAddress *string                    `json:"affiliation_email_address"`
	AffiliationVerification *orgDomainVerificationJSON `json:"affiliation_verification"`
	OwnershipVerification   *orgDomainVerificationJSON `json:"ownership_verification"`
	Verification            *orgDomainVerificationJSON `json:"verification"`
	TotalPendingInvitations int                        `json:"total_pending_invitations"`
	TotalPendingSuggestions int                        `json:"total_pending_suggestions"`
	PublicOrganizationData  *publicOrgJSON             `json:"public_organization_data,omitempty"`
	CreatedAt               int64                      `json:"created_at"`
	UpdatedAt               int64                      `json:"updated_at"`
}

func (st *state) orgDomainJSON(d *orgDomainRec, withOrg bool, now time.Time) orgDomainJSON {
	j := orgDomainJSON{Object: "organization_domain", ID: d.id, OrganizationID: d.orgID, Name: d.name,
		EnrollmentMode: d.enrollmentMode, CreatedAt: ms(d.createdAt), UpdatedAt: ms(d.updatedAt)}
	if d.verified {
		j.AffiliationVerification = &orgDomainVerificationJSON{Status: "verified", Strategy: "admin", VerifiedAt: msPtr(d.verifiedAt)}
		j.Verification = j.AffiliationVerification
	}
	if d.ownership {
		j.OwnershipVerification = &orgDomainVerificationJSON{Status: "verified", Strategy: "dns_txt", VerifiedAt: msPtr(d.ownershipAt)}
	}
	for _, inv := range st.invitations {
		if inv.orgID == d.orgID && inv.statusAt(now) == "pending" && strings.HasSuffix(inv.email, "@"+d.name) {
			j.TotalPendingInvitations++
		}
	}
	if o := st.orgs[d.orgID]; withOrg && o != nil {
		j.PublicOrganizationData = &publicOrgJSON{ID: o.id, Name: o.name, Slug: o.slug, ImageURL: st.imageURL(o.id)}
	}
	return j
}

func (st *state) emitOrgDomain(typ string, d *orgDomainRec, now time.Time) {
	if st.hooks {
		st.emit(typ, st.orgDomainJSON(d, true, now), now)
	}
}

// deleteOrgDomains removes the domains of a deleted organization.
func (st *state) deleteOrgDomains(orgID string) {
	for id, d := range st.orgDomains {
		if d.orgID == orgID {
			delete(st.orgDomains, id)
		}
	}
}

func (s *Server) registerOrgDomainRoutes() {
	handleBody(s, "POST /v1/organizations/{organization_id}/domains", s.createOrgDomain)
	s.handle("GET /v1/organizations/{organization_id}/domains", s.listOrgDomains)
	handleBody(s, "PATCH /v1/organizations/{organization_id}/domains/{domain_id}", s.updateOrgDomain)
	s.handle("DELETE /v1/organizations/{organization_id}/domains/{domain_id}", s.deleteOrgDomain)
	s.handle("POST /v1/organizations/{organization_id}/domains/{domain_id}/verify_ownership", s.verifyOrgDomainOwnership)
	s.handle("GET /v1/organization_domains", s.listAllOrgDomains)

	s.handle("GET /v1/organization_memberships", s.listAllMemberships)
	handleArray(s, "POST /v1/organizations/{organization_id}/invitations/bulk", 10, s.bulkOrgInvitations)
}

// orgDomain is the domain of the path's {domain_id} in the organization
// of its {organization_id}.
func (c *call) orgDomain() (*orgDomainRec, *apiError) {
	o, e := c.org()
	if e != nil {
		return nil, e
	}
	id := c.r.PathValue("domain_id")
	d := c.st.orgDomains[id]
	if d == nil || d.orgID != o.id {
		return nil, errNotFound("organization domain", id)
	}
	return d, nil
}

func checkEnrollmentMode(mode string) *apiError {
	if !slices.Contains(enrollmentModes, mode) {
		return errValue("enrollment_mode", "enrollment_mode must be one of "+strings.Join(enrollmentModes, ", ")+".")
	}
	return nil
}

type createOrgDomainBody struct {
	Name           *string `json:"name"`
	EnrollmentMode *string `json:"enrollment_mode"`
	Verified       *bool   `json:"verified"`
}

// createOrgDomain is POST /v1/organizations/{organization_id}/domains. A
// domain belongs to one organization of the instance; public email
// providers cannot be claimed.
func (s *Server) createOrgDomain(c *call, b *createOrgDomainBody) (any, *apiError) {
	o, e := c.org()
	if e != nil {
		return nil, e
	}
	d, e := c.st.addOrgDomain(o, b, c.now)
	if e != nil {
		return nil, e
	}
	return c.st.orgDomainJSON(d, false, c.now), nil
}

// SeedOrgDomain is a domain of a seeded organization.
type SeedOrgDomain struct {
	// Name is the domain, e.g. "acme.com".
	Name string `json:"name"`
	// EnrollmentMode is manual_invitation (the default),
	// automatic_invitation or automatic_suggestion.
	EnrollmentMode string `json:"enrollment_mode,omitempty"`
	// Verified marks the domain verified (needed by automatic modes).
	Verified bool `json:"verified,omitempty"`
}

// addOrgDomain validates b and stores a new domain of o.
func (st *state) addOrgDomain(o *orgRec, b *createOrgDomainBody, now time.Time) (*orgDomainRec, *apiError) {
	if b.Name == nil || strings.TrimSpace(*b.Name) == "" {
		return nil, errMissing("name")
	}
	name := strings.ToLower(strings.TrimSpace(*b.Name))
	if !domainPattern.MatchString(name) {
		return nil, errFormat("name", "name must be a domain name, such as example.com.")
	}
	if slices.Contains(commonEmailDomains, name) {
		return nil, errValue("name", "name cannot be the domain of a public email provider.")
	}
	for _, d := range st.orgDomains {
		if d.name == name {
			return nil, errTaken("name", "domain")
		}
	}
	mode := "manual_invitation"
	if b.EnrollmentMode != nil {
		if e := checkEnrollmentMode(*b.EnrollmentMode); e != nil {
			return nil, e
		}
		mode = *b.EnrollmentMode
	}
	d := &orgDomainRec{seq: st.next(), id: randomID("orgdmn_"), orgID: o.id, name: name, enrollmentMode: mode,
		verified: b.Verified != nil && *b.Verified, createdAt: now, updatedAt: now}
	if d.verified {
		d.verifiedAt = now
	}
	if d.enrollmentMode != "manual_invitation" && !d.verified {
		return nil, errValue("enrollment_mode", "enrollment_mode "+d.enrollmentMode+" needs a verified domain.")
	}
	st.orgDomains[d.id] = d
	st.emitOrgDomain("organizationDomain.created", d, now)
	return d, nil
}

// domainFilter is the verified and enrollment_mode filters of the domain
// lists; enrollment modes may be prefixed with - to exclude them.
type domainFilter struct {
	verified *bool
	modes    idFilter
}

func parseDomainFilter(c *call) (domainFilter, *apiError) {
	q := c.r.URL.Query()
	var f domainFilter
	switch v := q.Get("verified"); v {
	case "":
	case "true", "false":
		b := v == "true"
		f.verified = &b
	default:
		return f, errValue("verified", "verified must be true or false.")
	}
	f.modes = parseIDFilter(q["enrollment_mode"])
	for _, m := range append(slices.Clone(f.modes.include), f.modes.exclude...) {
		if !slices.Contains(append(slices.Clone(enrollmentModes), "enterprise_sso"), m) {
			return f, errValue("enrollment_mode", "enrollment_mode must be one of "+strings.Join(enrollmentModes, ", ")+" or enterprise_sso.")
		}
	}
	return f, nil
}

func (f domainFilter) match(d *orgDomainRec) bool {
	return (f.verified == nil || *f.verified == d.verified) && f.modes.match(d.enrollmentMode)
}

// listOrgDomains is GET /v1/organizations/{organization_id}/domains.
func (s *Server) listOrgDomains(c *call) (any, *apiError) {
	p, e := pageParams(c.r.URL.Query())
	if e != nil {
		return nil, e
	}
	f, e := parseDomainFilter(c)
	if e != nil {
		return nil, e
	}
	o, e := c.org()
	if e != nil {
		return nil, e
	}
	var ds []*orgDomainRec
	for _, d := range c.st.orgDomains {
		if d.orgID == o.id && f.match(d) {
			ds = append(ds, d)
		}
	}
	sortBy(ds, true, func(d *orgDomainRec) sortKey { return timeKey(d.createdAt) }, func(d *orgDomainRec) int64 { return d.seq })
	return listPage(ds, p, func(d *orgDomainRec) orgDomainJSON { return c.st.orgDomainJSON(d, false, c.now) }), nil
}

// listAllOrgDomains is GET /v1/organization_domains: the domains of every
// organization, with public organization data; organization_id, verified,
// enrollment_mode, query (part of the name) and domains (exact names)
// filter, order_by created_at or name.
func (s *Server) listAllOrgDomains(c *call) (any, *apiError) {
	q := c.r.URL.Query()
	p, e := pageParams(q)
	if e != nil {
		return nil, e
	}
	f, e := parseDomainFilter(c)
	if e != nil {
		return nil, e
	}
	field, desc, e := orderBy(q, "-created_at", "created_at", "name")
	if e != nil {
		return nil, e
	}
	orgID, query, names := q.Get("organization_id"), q.Get("query"), q["domains"]
	var ds []*orgDomainRec
	for _, d := range c.st.orgDomains {
		if f.match(d) && (orgID == "" || d.orgID == orgID) && (query == "" || containsFold(d.name, query)) &&
			(len(names) == 0 || slices.Contains(names, d.name)) {
			ds = append(ds, d)
		}
	}
	sortBy(ds, desc, func(d *orgDomainRec) sortKey {
		if field == "name" {
			return sortKey{s: d.name}
		}
		return timeKey(d.createdAt)
	}, func(d *orgDomainRec) int64 { return d.seq })
	return listPage(ds, p, func(d *orgDomainRec) orgDomainJSON { return c.st.orgDomainJSON(d, true, c.now) }), nil
}

type updateOrgDomainBody struct {
	EnrollmentMode *string `json:"enrollment_mode"`
	Verified       *bool   `json:"verified"`
}

// updateOrgDomain is PATCH …/domains/{domain_id}: automatic enrollment
// needs a verified domain.
func (s *Server) updateOrgDomain(c *call, b *updateOrgDomainBody) (any, *apiError) {
	st, now := c.st, c.now
	d, e := c.orgDomain()
	if e != nil {
		return nil, e
	}
	if b.EnrollmentMode != nil {
		if e := checkEnrollmentMode(*b.EnrollmentMode); e != nil {
			return nil, e
		}
	}
	verified, mode := d.verified, d.enrollmentMode
	if b.Verified != nil {
		verified = *b.Verified
	}
	if b.EnrollmentMode != nil {
		mode = *b.EnrollmentMode
	}
	if mode != "manual_invitation" && !verified {
		return nil, errValue("enrollment_mode", "enrollment_mode "+mode+" needs a verified domain.")
	}
	if verified && !d.verified {
		d.verifiedAt = now
	}
	d.verified, d.enrollmentMode, d.updatedAt = verified, mode, now
	st.emitOrgDomain("organizationDomain.updated", d, now)
	return st.orgDomainJSON(d, false, now), nil
}

// deleteOrgDomain is DELETE …/domains/{domain_id}.
func (s *Server) deleteOrgDomain(c *call) (any, *apiError) {
	d, e := c.orgDomain()
	if e != nil {
		return nil, e
	}
	delete(c.st.orgDomains, d.id)
	c.st.emit("organizationDomain.deleted", deletedEventJSON{Object: "organization_domain", ID: d.id, Deleted: true}, c.now)
	return deletedJSON{Object: "organization_domain", ID: d.id, Deleted: true}, nil
}

// verifyOrgDomainOwnership is POST …/domains/{domain_id}/verify_ownership.
// The Server resolves no DNS: the TXT challenge always passes, and the
// ownership verification reads verified.
func (s *Server) verifyOrgDomainOwnership(c *call) (any, *apiError) {
	d, e := c.orgDomain()
	if e != nil {
		return nil, e
	}
	if !d.ownership {
		d.ownership, d.ownershipAt, d.updatedAt = true, c.now, c.now
		c.st.emitOrgDomain("organizationDomain.updated", d, c.now)
	}
	return c.st.orgDomainJSON(d, false, c.now), nil
}

// listAllMemberships is GET /v1/organization_memberships: the memberships
// of every organization, order_by as for an organization's memberships.
func (s *Server) listAllMemberships(c *call) (any, *apiError) {
	q := c.r.URL.Query()
	p, e := pageParams(q)
	if e != nil {
		return nil, e
	}
	field, desc, e := orderBy(q, "-created_at", membershipOrderFields...)
	if e != nil {
		return nil, e
	}
	st, now := c.st, c.now
	var ms []*memberRec
	for _, byUser := range st.members {
		for _, m := range byUser {
			ms = append(ms, m)
		}
	}
	st.sortMemberships(ms, field, desc)
	return listPage(ms, p, func(m *memberRec) membershipJSON { return st.membershipJSON(m, now) }), nil
}

// bulkOrgInvitations is POST …/invitations/bulk: each element is validated
// as POST …/invitations would; all are created or, on an error, none.
func (s *Server) bulkOrgInvitations(c *call, bodies []*createInvitationBody) (any, *apiError) {
	st := c.st
	events := len(st.outbox)
	var made []invitationJSON
	for _, b := range bodies {
		v, e := s.createInvitation(c, b)
		if e != nil {
			for _, inv := range made {
				delete(st.invitations, inv.ID)
			}
			st.outbox = st.outbox[:events]
			return nil, e
		}
		made = append(made, v.(invitationJSON))
	}
	return listResponse[invitationJSON]{Data: made, TotalCount: len(made)}, nil
}
