// Instance-wide resources: invitations to the application (/v1/invitations),
// the allowlist and blocklist of identifiers, redirect URLs and the
// waitlist.

package emulator

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// instStore holds the instance-wide resources of instance.go.
type instStore struct {
	invitations map[string]*appInvRec
	allowlist   map[string]*identRec
	blocklist   map[string]*identRec
	redirects   map[string]*redirectRec
	waitlist    map[string]*waitRec
}

func newInstStore() instStore {
	return instStore{
		invitations: map[string]*appInvRec{}, allowlist: map[string]*identRec{}, blocklist: map[string]*identRec{},
		redirects: map[string]*redirectRec{}, waitlist: map[string]*waitRec{},
	}
}

func (is instStore) clone() instStore {
	return instStore{
		invitations: cloneRecs(is.invitations), allowlist: cloneRecs(is.allowlist), blocklist: cloneRecs(is.blocklist),
		redirects: cloneRecs(is.redirects), waitlist: cloneRecs(is.waitlist),
	}
}

// appInvRec is an invitation to sign up to the application.
type appInvRec struct {
	seq       int64
	id        string
	email     string
	public    json.RawMessage
	url       string
	status    string // pending, accepted, revoked (expired is computed)
	expiresAt time.Time
	createdAt time.Time
	updatedAt time.Time
}

func (inv *appInvRec) statusAt(now time.Time) string {
	if inv.status == "pending" && !inv.expiresAt.IsZero() && !now.Before(inv.expiresAt) {
		return "expired"
	}
	return inv.status
}

// identRec is an allowlist or blocklist identifier.
type identRec struct {
	seq          int64
	id           string
	identifier   string
	typ          string // email_address, phone_number or web3_wallet
	invitationID string // allowlist with notify: the invitation sent
	createdAt    time.Time
	updatedAt    time.Time
}

type redirectRec struct {
	seq       int64
	id        string
	url       string
	createdAt time.Time
	updatedAt time.Time
}

// waitRec is a waitlist entry.
type waitRec struct {
	seq          int64
	id           string
	email        string
	status       string // pending, invited, rejected, completed
	invitationID string
	createdAt    time.Time
	updatedAt    time.Time
}

// ---- wire ----

type appInvitationJSON struct {
	Object         string          `json:"object"`
	ID             string          `json:"id"`
	EmailAddress   string          `json:"email_address"`
	PublicMetadata json.RawMessage `json:"public_metadata"`
	Revoked        bool            `json:"revoked"`
	Status         string          `json:"status"`
	URL            string          `json:"url,omitempty"`
	ExpiresAt      *int64          `json:"expires_at"`
	CreatedAt      int64           `json:"created_at"`
	UpdatedAt      int64           `json:"updated_at"`
}

func appInvJSON(inv *appInvRec, now time.Time) appInvitationJSON {
	st := inv.statusAt(now)
	return appInvitationJSON{Object: "invitation", ID: inv.id, EmailAddress: inv.email, PublicMetadata: inv.public,
		Revoked: st == "revoked", Status: st, URL: inv.url, ExpiresAt: msPtr(inv.expiresAt),
		CreatedAt: ms(inv.createdAt), UpdatedAt: ms(inv.updatedAt)}
}

type identifierJSON struct {
	Object         string `json:"object"`
	ID             string `json:"id"`
	InvitationID   string `json:"invitation_id,omitempty"`
	Identifier     string `json:"identifier"`
	IdentifierType string `json:"identifier_type"`
	InstanceID     string `json:"instance_id"`
	CreatedAt      int64  `json:"created_at"`
	UpdatedAt      int64  `json:"updated_at"`
}

type redirectURLJSON struct {
	Object    string `json:"object"`
	ID        string `json:"id"`
	URL       string `json:"url"`
	CreatedAt int64  `json:"created_at"`
	UpdatedAt int64  `json:"updated_at"`
}

func redirectJSON(r *redirectRec) redirectURLJSON {
	return redirectURLJSON{Object: "redirect_url", ID: r.id, URL: r.url, CreatedAt: ms(r.createdAt), UpdatedAt: ms(r.updatedAt)}
}

type waitlistEntryJSON struct {
	Object       string             `json:"object"`
	ID           string             `json:"id"`
	EmailAddress string             `json:"email_address"`
	Status       string             `json:"status"`
	IsLocked     bool               `json:"is_locked"`
	CreatedAt    int64              `json:"created_at"`
	UpdatedAt    int64              `json:"updated_at"`
	Invitation   *appInvitationJSON `json:"invitation"`
}

func (st *state) waitlistJSON(w *waitRec, now time.Time) waitlistEntryJSON {
	j := waitlistEntryJSON{Object: "waitlist_entry", ID: w.id, EmailAddress: w.email, Status: w.status,
		CreatedAt: ms(w.createdAt), UpdatedAt: ms(w.updatedAt)}
	if inv := st.inst.invitations[w.invitationID]; inv != nil {
		ij := appInvJSON(inv, now)
		j.Invitation = &ij
	}
	return j
}

func (st *state) emitWaitlist(typ string, w *waitRec, now time.Time) {
	if st.hooks {
		st.emit(typ, st.waitlistJSON(w, now), now)
	}
}

// ---- routes ----

func (s *Server) registerInstanceRoutes() {
	handleBody(s, "POST /v1/invitations", s.createAppInvitation)
	s.handle("GET /v1/invitations", s.listAppInvitations)
	handleArray(s, "POST /v1/invitations/bulk", 10, s.bulkAppInvitations)
	s.handle("POST /v1/invitations/{invitation_id}/revoke", s.revokeAppInvitation)

	s.handle("GET /v1/allowlist_identifiers", s.listIdentifiers(true))
	handleBody(s, "POST /v1/allowlist_identifiers", s.createAllowlistIdentifier)
	s.handle("DELETE /v1/allowlist_identifiers/{identifier_id}", s.deleteIdentifier(true))
	s.handle("GET /v1/blocklist_identifiers", s.listIdentifiers(false))
	handleBody(s, "POST /v1/blocklist_identifiers", s.createBlocklistIdentifier)
	s.handle("DELETE /v1/blocklist_identifiers/{identifier_id}", s.deleteIdentifier(false))

	s.handle("GET /v1/redirect_urls", s.listRedirectURLs)
	handleBody(s, "POST /v1/redirect_urls", s.createRedirectURL)
	s.handle("GET /v1/redirect_urls/{id}", s.getRedirectURL)
	s.handle("DELETE /v1/redirect_urls/{id}", s.deleteRedirectURL)

	s.handle("GET /v1/waitlist_entries", s.listWaitlist)
	handleBody(s, "POST /v1/waitlist_entries", s.createWaitlistEntry)
	s.handle("DELETE /v1/waitlist_entries/{waitlist_entry_id}", s.deleteWaitlistEntry)
	handleBody(s, "POST /v1/waitlist_entries/{waitlist_entry_id}/invite", s.inviteWaitlistEntry)
	s.handle("POST /v1/waitlist_entries/{waitlist_entry_id}/reject", s.rejectWaitlistEntry)
}

// handleArray is handleBody for a route whose body is a JSON array of
// 1..max objects, each decoded strictly into a new B.
func handleArray[B any](s *Server, route string, max int, h func(*call, []*B) (any, *apiError)) {
	s.route(route, func(r *http.Request) (any, *apiError) {
		raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil || len(raw) > maxBody {
			return nil, errBadJSON("The request body could not be read or is too large.")
		}
		var items []json.RawMessage
		if err := json.Unmarshal(bytes.TrimSpace(raw), &items); err != nil {
			return nil, errBadJSON("The request body must be a JSON array of objects: " + err.Error())
		}
		if len(items) == 0 || len(items) > max {
			return nil, errValue("", "The request body must be an array of 1 to "+strconv.Itoa(max)+" objects.")
		}
		bodies := make([]*B, len(items))
		for i, it := range items {
			if t := bytes.TrimSpace(it); len(t) == 0 || t[0] != '{' {
				return nil, errBadJSON("Element " + strconv.Itoa(i) + " of the request body is not a JSON object.")
			}
			bodies[i] = new(B)
			if e := decodeObject(it, bodies[i]); e != nil {
				return nil, e
			}
		}
		s.mu.Lock()
		defer s.unlock(r)
		return h(&call{r: r, st: s.st, now: s.clock.Now()}, bodies)
	})
}

// listOrPage answers a list that is a bare array, or with paginated=true
// the {data, total_count} shape.
func listOrPage[T, J any](c *call, items []T, toJSON func(T) J) (any, *apiError) {
	q := c.r.URL.Query()
	p, e := pageParams(q)
	if e != nil {
		return nil, e
	}
	paginated, e := parseBool(q, "paginated")
	if e != nil {
		return nil, e
	}
	l := listPage(items, p, toJSON)
	if paginated {
		return l, nil
	}
	return l.Data, nil
}

// ---- invitations ----

type appInvitationBody struct {
	EmailAddress   *string         `json:"email_address"`
	PublicMetadata json.RawMessage `json:"public_metadata"`
	RedirectURL    *string         `json:"redirect_url"`
	Notify         *bool           `json:"notify"`
	IgnoreExisting *bool           `json:"ignore_existing"`
	ExpiresInDays  *int            `json:"expires_in_days"`
	TemplateSlug   *string         `json:"template_slug"`
}

// addAppInvitation validates b and stores an invitation. Unless
// ignore_existing, an address that is a user's or has a pending invitation
// is refused.
func (st *state) addAppInvitation(b *appInvitationBody, now time.Time) (*appInvRec, *apiError) {
	if b.EmailAddress == nil || *b.EmailAddress == "" {
		return nil, errMissing("email_address")
	}
	email := strings.ToLower(strings.TrimSpace(*b.EmailAddress))
	if !validEmail(email) {
		return nil, errFormat("email_address", "email_address must be a valid email address.")
	}
	days := invitationDays
	if b.ExpiresInDays != nil {
		if *b.ExpiresInDays < 1 || *b.ExpiresInDays > 365 {
			return nil, errValue("expires_in_days", "expires_in_days must be between 1 and 365.")
		}
		days = *b.ExpiresInDays
	}
	if b.TemplateSlug != nil && *b.TemplateSlug != "invitation" && *b.TemplateSlug != "waitlist_invitation" {
		return nil, errValue("template_slug", "template_slug must be invitation or waitlist_invitation.")
	}
	var redirect string
	if b.RedirectURL != nil && *b.RedirectURL != "" {
		if !validRedirectURL(*b.RedirectURL) {
			return nil, errFormat("redirect_url", "redirect_url must be an absolute URL.")
		}
		redirect = *b.RedirectURL
	}
	pub, e := metadataParam("public_metadata", b.PublicMetadata)
	if e != nil {
		return nil, e
	}
	if b.IgnoreExisting == nil || !*b.IgnoreExisting {
		if st.emails[email] != "" {
			return nil, errTaken("email_address", "email address")
		}
		for _, inv := range st.inst.invitations {
			if inv.email == email && inv.statusAt(now) == "pending" {
				return nil, &apiError{status: http.StatusBadRequest, code: "duplicate_record", msg: "duplicate invitation",
					long: "There is already a pending invitation for " + email + ".", param: "email_address"}
			}
		}
	}
	inv := &appInvRec{seq: st.next(), id: randomID("inv_"), email: email, public: orEmpty(pub), status: "pending",
		expiresAt: now.Add(time.Duration(days) * 24 * time.Hour), createdAt: now, updatedAt: now}
	if redirect != "" {
		inv.url = redirect + "?__clerk_ticket=" + randomString(40)
	}
	st.inst.invitations[inv.id] = inv
	return inv, nil
}

func validRedirectURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme != "" && (u.Host != "" || u.Opaque != "" || u.Path != "")
}

// createAppInvitation is POST /v1/invitations. No email is sent.
func (s *Server) createAppInvitation(c *call, b *appInvitationBody) (any, *apiError) {
	inv, e := c.st.addAppInvitation(b, c.now)
	if e != nil {
		return nil, e
	}
	return appInvJSON(inv, c.now), nil
}

// bulkAppInvitations is POST /v1/invitations/bulk: all of them or, on an
// error, none.
func (s *Server) bulkAppInvitations(c *call, bodies []*appInvitationBody) (any, *apiError) {
	var made []*appInvRec
	for _, b := range bodies {
		inv, e := c.st.addAppInvitation(b, c.now)
		if e != nil {
			for _, m := range made {
				delete(c.st.inst.invitations, m.id)
			}
			return nil, e
		}
		made = append(made, inv)
	}
	out := make([]appInvitationJSON, len(made))
	for i, inv := range made {
		out[i] = appInvJSON(inv, c.now)
	}
	return out, nil
}

// listAppInvitations is GET /v1/invitations: a bare array, or with
// paginated=true {data, total_count}; status and query (part of the email
// address) filter, order_by created_at, email_address or expires_at.
func (s *Server) listAppInvitations(c *call) (any, *apiError) {
	q := c.r.URL.Query()
	status := q.Get("status")
	if status != "" {
		if e := checkInvitationStatuses([]string{status}); e != nil {
			return nil, e
		}
	}
	field, desc, e := orderBy(q, "-created_at", "created_at", "email_address", "expires_at")
	if e != nil {
		return nil, e
	}
	query := q.Get("query")
	var invs []*appInvRec
	for _, inv := range c.st.inst.invitations {
		if (status == "" || inv.statusAt(c.now) == status) && (query == "" || containsFold(inv.email, query)) {
			invs = append(invs, inv)
		}
	}
	sortBy(invs, desc, func(inv *appInvRec) sortKey {
		switch field {
		case "email_address":
			return sortKey{s: inv.email}
		case "expires_at":
			return timeKey(inv.expiresAt)
		}
		return timeKey(inv.createdAt)
	}, func(inv *appInvRec) int64 { return inv.seq })
	return listOrPage(c, invs, func(inv *appInvRec) appInvitationJSON { return appInvJSON(inv, c.now) })
}

// revokeAppInvitation is POST /v1/invitations/{invitation_id}/revoke; only
// a pending invitation can be revoked (400).
func (s *Server) revokeAppInvitation(c *call) (any, *apiError) {
	id := c.r.PathValue("invitation_id")
	inv := c.st.inst.invitations[id]
	if inv == nil {
		return nil, errNotFound("invitation", id)
	}
	if st := inv.statusAt(c.now); st != "pending" {
		return nil, &apiError{status: http.StatusBadRequest, code: "invitation_not_pending", msg: "Invitation is not pending",
			long: "Only pending invitations can be revoked; this one is " + st + "."}
	}
	inv.status, inv.updatedAt = "revoked", c.now
	for _, w := range c.st.inst.waitlist {
		if w.invitationID == inv.id && w.status == "invited" {
			w.status, w.updatedAt = "pending", c.now
		}
	}
	return appInvJSON(inv, c.now), nil
}

// ---- allowlist and blocklist ----

var web3Pattern = regexp.MustCompile(`^0x[0-9a-fA-F]{40}$`)

// identifierType is the type of an allowlist or blocklist identifier: an
// email address (or *@domain for a whole domain), an E.164 phone number or
// a web3 wallet.
func identifierType(v string) (string, bool) {
	switch {
	case strings.HasPrefix(v, "*@"):
		return "email_address", strings.Contains(v[2:], ".") && !strings.ContainsAny(v[2:], "@ ")
	case strings.Contains(v, "@"):
		return "email_address", validEmail(v)
	case strings.HasPrefix(v, "+"):
		d := v[1:]
		return "phone_number", len(d) >= 7 && len(d) <= 15 && strings.Trim(d, "0123456789") == ""
	case strings.HasPrefix(v, "0x"):
		return "web3_wallet", web3Pattern.MatchString(v)
	}
	return "", false
}

func (st *state) identifierJSON(object string, r *identRec) identifierJSON {
	return identifierJSON{Object: object, ID: r.id, InvitationID: r.invitationID, Identifier: r.identifier,
		IdentifierType: r.typ, InstanceID: st.instanceID, CreatedAt: ms(r.createdAt), UpdatedAt: ms(r.updatedAt)}
}

func identList(allow bool) (object, prefix string) {
	if allow {
		return "allowlist_identifier", "alid_"
	}
	return "blocklist_identifier", "blid_"
}

// addIdentifier validates and stores an identifier in list.
func (st *state) addIdentifier(list map[string]*identRec, prefix string, raw *string, now time.Time) (*identRec, *apiError) {
	if raw == nil || strings.TrimSpace(*raw) == "" {
		return nil, errMissing("identifier")
	}
	v := strings.TrimSpace(*raw)
	typ, ok := identifierType(v)
	if !ok {
		return nil, errFormat("identifier", "identifier must be an email address, *@domain, an E.164 phone number or a web3 wallet address.")
	}
	if typ == "email_address" || typ == "web3_wallet" {
		v = strings.ToLower(v)
	}
	for _, r := range list {
		if r.identifier == v {
			return nil, errTaken("identifier", "identifier")
		}
	}
	r := &identRec{seq: st.next(), id: randomID(prefix), identifier: v, typ: typ, createdAt: now, updatedAt: now}
	list[r.id] = r
	return r, nil
}

type allowlistBody struct {
	Identifier *string `json:"identifier"`
	Notify     *bool   `json:"notify"`
}

// createAllowlistIdentifier is POST /v1/allowlist_identifiers; with notify,
// an email address (not a domain) gets an invitation, whose id the
// identifier carries.
func (s *Server) createAllowlistIdentifier(c *call, b *allowlistBody) (any, *apiError) {
	st, now := c.st, c.now
	r, e := st.addIdentifier(st.inst.allowlist, "alid_", b.Identifier, now)
	if e != nil {
		return nil, e
	}
	if b.Notify != nil && *b.Notify && r.typ == "email_address" && !strings.HasPrefix(r.identifier, "*@") {
		yes := true
		inv, e := st.addAppInvitation(&appInvitationBody{EmailAddress: &r.identifier, IgnoreExisting: &yes}, now)
		if e != nil {
			delete(st.inst.allowlist, r.id)
			return nil, e
		}
		r.invitationID = inv.id
	}
	return st.identifierJSON("allowlist_identifier", r), nil
}

type blocklistBody struct {
	Identifier *string `json:"identifier"`
}

// createBlocklistIdentifier is POST /v1/blocklist_identifiers.
func (s *Server) createBlocklistIdentifier(c *call, b *blocklistBody) (any, *apiError) {
	r, e := c.st.addIdentifier(c.st.inst.blocklist, "blid_", b.Identifier, c.now)
	if e != nil {
		return nil, e
	}
	return c.st.identifierJSON("blocklist_identifier", r), nil
}

func (st *state) identList(allow bool) map[string]*identRec {
	if allow {
		return st.inst.allowlist
	}
	return st.inst.blocklist
}

// listIdentifiers is GET /v1/allowlist_identifiers (a bare array, or with
// paginated=true {data, total_count}) or /v1/blocklist_identifiers
// ({data, total_count}), newest first.
func (s *Server) listIdentifiers(allow bool) func(*call) (any, *apiError) {
	object, _ := identList(allow)
	return func(c *call) (any, *apiError) {
		var items []*identRec
		for _, r := range c.st.identList(allow) {
			items = append(items, r)
		}
		sortBy(items, true, func(r *identRec) sortKey { return timeKey(r.createdAt) }, func(r *identRec) int64 { return r.seq })
		toJSON := func(r *identRec) identifierJSON { return c.st.identifierJSON(object, r) }
		if !allow { // always {data, total_count}, unlike the allowlist
			p, e := pageParams(c.r.URL.Query())
			if e != nil {
				return nil, e
			}
			return listPage(items, p, toJSON), nil
		}
		return listOrPage(c, items, toJSON)
	}
}

// deleteIdentifier is DELETE …_identifiers/{identifier_id}.
func (s *Server) deleteIdentifier(allow bool) func(*call) (any, *apiError) {
	object, _ := identList(allow)
	return func(c *call) (any, *apiError) {
		id := c.r.PathValue("identifier_id")
		list := c.st.identList(allow)
		if list[id] == nil {
			return nil, errNotFound(strings.ReplaceAll(object, "_", " "), id)
		}
		delete(list, id)
		return deletedJSON{Object: object, ID: id, Deleted: true}, nil
	}
}

// ---- redirect URLs ----

func (s *Server) listRedirectURLs(c *call) (any, *apiError) {
	var items []*redirectRec
	for _, r := range c.st.inst.redirects {
		items = append(items, r)
	}
	sortBy(items, false, func(r *redirectRec) sortKey { return timeKey(r.createdAt) }, func(r *redirectRec) int64 { return r.seq })
	return listOrPage(c, items, redirectJSON)
}

type redirectBody struct {
	URL *string `json:"url"`
}

// createRedirectURL is POST /v1/redirect_urls: an absolute URL, native
// app schemes (myapp://callback) included.
func (s *Server) createRedirectURL(c *call, b *redirectBody) (any, *apiError) {
	st, now := c.st, c.now
	if b.URL == nil || strings.TrimSpace(*b.URL) == "" {
		return nil, errMissing("url")
	}
	if !validRedirectURL(*b.URL) {
		return nil, errFormat("url", "url must be an absolute URL, such as https://example.com/callback or myapp://callback.")
	}
	for _, r := range st.inst.redirects {
		if r.url == *b.URL {
			return nil, errTaken("url", "URL")
		}
	}
	r := &redirectRec{seq: st.next(), id: randomID("ru_"), url: *b.URL, createdAt: now, updatedAt: now}
	st.inst.redirects[r.id] = r
	return redirectJSON(r), nil
}

func (s *Server) getRedirectURL(c *call) (any, *apiError) {
	id := c.r.PathValue("id")
	r := c.st.inst.redirects[id]
	if r == nil {
		return nil, errNotFound("redirect URL", id)
	}
	return redirectJSON(r), nil
}

func (s *Server) deleteRedirectURL(c *call) (any, *apiError) {
	id := c.r.PathValue("id")
	if c.st.inst.redirects[id] == nil {
		return nil, errNotFound("redirect URL", id)
	}
	delete(c.st.inst.redirects, id)
	return deletedJSON{Object: "redirect_url", ID: id, Deleted: true}, nil
}

// ---- waitlist ----

var waitlistStatuses = []string{"pending", "invited", "completed", "rejected"}

// listWaitlist is GET /v1/waitlist_entries: query (part of the email
// address) and status filter, order_by created_at, email_address or
// invited_at.
func (s *Server) listWaitlist(c *call) (any, *apiError) {
	q := c.r.URL.Query()
	p, e := pageParams(q)
	if e != nil {
		return nil, e
	}
	status := q.Get("status")
	if status != "" && !slices.Contains(waitlistStatuses, status) {
		return nil, errValue("status", "status must be one of pending, invited, completed, rejected.")
	}
	field, desc, e := orderBy(q, "-created_at", "created_at", "email_address", "invited_at")
	if e != nil {
		return nil, e
	}
	query := q.Get("query")
	st, now := c.st, c.now
	var items []*waitRec
	for _, w := range st.inst.waitlist {
		if (status == "" || w.status == status) && (query == "" || containsFold(w.email, query)) {
			items = append(items, w)
		}
	}
	sortBy(items, desc, func(w *waitRec) sortKey {
		switch field {
		case "email_address":
			return sortKey{s: w.email}
		case "invited_at":
			if inv := st.inst.invitations[w.invitationID]; inv != nil {
				return timeKey(inv.createdAt)
			}
			return sortKey{null: true}
		}
		return timeKey(w.createdAt)
	}, func(w *waitRec) int64 { return w.seq })
	return listPage(items, p, func(w *waitRec) waitlistEntryJSON { return st.waitlistJSON(w, now) }), nil
}

type waitlistBody struct {
	EmailAddress *string `json:"email_address"`
	Notify       *bool   `json:"notify"`
}

// createWaitlistEntry is POST /v1/waitlist_entries; an address already on
// the waitlist is a 422.
func (s *Server) createWaitlistEntry(c *call, b *waitlistBody) (any, *apiError) {
	st, now := c.st, c.now
	if b.EmailAddress == nil || *b.EmailAddress == "" {
		return nil, errMissing("email_address")
	}
	email := strings.ToLower(strings.TrimSpace(*b.EmailAddress))
	if !validEmail(email) {
		return nil, errFormat("email_address", "email_address must be a valid email address.")
	}
	for _, w := range st.inst.waitlist {
		if w.email == email {
			return nil, errTaken("email_address", "email address")
		}
	}
	w := &waitRec{seq: st.next(), id: randomID("wle_"), email: email, status: "pending", createdAt: now, updatedAt: now}
	st.inst.waitlist[w.id] = w
	st.emitWaitlist("waitlistEntry.created", w, now)
	return st.waitlistJSON(w, now), nil
}

func (c *call) waitlistEntry() (*waitRec, *apiError) {
	id := c.r.PathValue("waitlist_entry_id")
	if w := c.st.inst.waitlist[id]; w != nil {
		return w, nil
	}
	return nil, errNotFound("waitlist entry", id)
}

func errWaitlistStatus(w *waitRec, action string) *apiError {
	return &apiError{status: http.StatusConflict, code: "waitlist_entry_" + w.status, msg: "Conflict",
		long: "The waitlist entry is " + w.status + ": it cannot be " + action + "."}
}

type inviteWaitlistBody struct {
	IgnoreExisting *bool `json:"ignore_existing"`
}

// inviteWaitlistEntry is POST …/{waitlist_entry_id}/invite: a pending or
// rejected entry gets an invitation (template waitlist_invitation); an
// invited or completed one is a 409.
func (s *Server) inviteWaitlistEntry(c *call, b *inviteWaitlistBody) (any, *apiError) {
	st, now := c.st, c.now
	w, e := c.waitlistEntry()
	if e != nil {
		return nil, e
	}
	if w.status == "invited" || w.status == "completed" {
		return nil, errWaitlistStatus(w, "invited")
	}
	tmpl := "waitlist_invitation"
	inv, e := st.addAppInvitation(&appInvitationBody{EmailAddress: &w.email, IgnoreExisting: b.IgnoreExisting, TemplateSlug: &tmpl}, now)
	if e != nil {
		return nil, e
	}
	w.status, w.invitationID, w.updatedAt = "invited", inv.id, now
	st.emitWaitlist("waitlistEntry.updated", w, now)
	return st.waitlistJSON(w, now), nil
}

// rejectWaitlistEntry is POST …/{waitlist_entry_id}/reject: a pending
// invitation of the entry is revoked; a rejected or completed entry is a
// 409.
func (s *Server) rejectWaitlistEntry(c *call) (any, *apiError) {
	st, now := c.st, c.now
	w, e := c.waitlistEntry()
	if e != nil {
		return nil, e
	}
	if w.status == "rejected" || w.status == "completed" {
		return nil, errWaitlistStatus(w, "rejected")
	}
	if inv := st.inst.invitations[w.invitationID]; inv != nil && inv.statusAt(now) == "pending" {
		inv.status, inv.updatedAt = "revoked", now
	}
	w.status, w.updatedAt = "rejected", now
	st.emitWaitlist("waitlistEntry.updated", w, now)
	return st.waitlistJSON(w, now), nil
}

// deleteWaitlistEntry is DELETE /v1/waitlist_entries/{waitlist_entry_id}.
func (s *Server) deleteWaitlistEntry(c *call) (any, *apiError) {
	w, e := c.waitlistEntry()
	if e != nil {
		return nil, e
	}
	delete(c.st.inst.waitlist, w.id)
	return deletedJSON{Object: "waitlist_entry", ID: w.id, Deleted: true}, nil
}
