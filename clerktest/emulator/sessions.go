package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/clerkkit/clerkkit/clerktest"
)

type createSessionBody struct {
	UserID               *string `json:"user_id"`
	ActiveOrganizationID *string `json:"active_organization_id"`
}

// createSession is POST /v1/sessions, which Clerk offers for testing
// (development instances only). The session's active organization is
// active_organization_id; without it (or with ""), the session has none:
// a new session never inherits an organization the user was active in
// before.
func (s *Server) createSession(c *call, b *createSessionBody) (any, *apiError) {
	if b.UserID == nil || *b.UserID == "" {
		return nil, errMissing("user_id")
	}
	now := c.now
	u, e := c.st.user(*b.UserID)
	if e != nil {
		return nil, e
	}
	var org string
	if b.ActiveOrganizationID != nil {
		org = *b.ActiveOrganizationID
	}
	se, e := c.st.addSession(u, org, now)
	if e != nil {
		return nil, e
	}
	return c.st.sessionJSON(se, now), nil
}

func errNotAMember(userID, orgID string) *apiError {
	return &apiError{status: http.StatusUnprocessableEntity, code: "not_a_member_in_organization",
		msg: "Not a member", long: fmt.Sprintf("User %s is not a member of organization %s.", userID, orgID),
		param: "active_organization_id"}
}

// addSession starts an active session for u with active organization
// org ("" for none), and records the sign-in.
func (st *state) addSession(u *userRec, org string, now time.Time) (*sessRec, *apiError) {
	return st.startSession(u, org, nil, now.Add(sessionLifetime), now)
}

// startSession is addSession for a session that expires at expireAt and,
// when actor is not nil, is an impersonation by actor.
func (st *state) startSession(u *userRec, org string, actor json.RawMessage, expireAt, now time.Time) (*sessRec, *apiError) {
	if u.banned {
		return nil, &apiError{status: http.StatusUnprocessableEntity, code: "user_banned",
			msg: "User is banned", long: "Banned users cannot sign in."}
	}
	if locked, _ := u.locked(now); locked {
		return nil, &apiError{status: http.StatusUnprocessableEntity, code: "user_locked",
			msg: "User is locked", long: "Locked users cannot sign in until the lockout expires."}
	}
	if org != "" {
		if _, e := st.org(org, false); e != nil {
			return nil, e
		}
		if st.members[org][u.id] == nil {
			return nil, errNotAMember(u.id, org)
		}
	}
	se := &sessRec{
		seq: st.next(), id: randomID("sess_"), clientID: randomID("client_"), userID: u.id, status: "active",
		activeOrg: org, actor: actor, refreshToken: randomString(48), lastActiveAt: now, expireAt: expireAt,
		abandonAt: now.Add(sessionAbandon), createdAt: now, updatedAt: now,
	}
	st.sessions[se.id] = se
	u.lastSignInAt, u.lastActiveAt = now, now
	st.emitSession("session.created", se, now)
	return se, nil
}

func (st *state) session(id string) (*sessRec, *apiError) {
	se := st.sessions[id]
	if se == nil {
		return nil, errNotFound("session", id)
	}
	return se, nil
}

func (s *Server) getSession(c *call) (any, *apiError) {
	se, e := c.session()
	if e != nil {
		return nil, e
	}
	return c.st.sessionJSON(se, c.now), nil
}

var sessionStatuses = []string{"abandoned", "active", "ended", "expired", "removed", "replaced", "revoked"}

// listSessions is GET /v1/sessions: a bare array, or with paginated=true
// (as clerk-sdk-go sends) {"data":[…],"total_count":N}.
func (s *Server) listSessions(c *call) (any, *apiError) {
	q := c.r.URL.Query()
	p, e := pageParams(q)
	if e != nil {
		return nil, e
	}
	paginated, e := parseBool(q, "paginated")
	if e != nil {
		return nil, e
	}
	status, userID, clientID := q.Get("status"), q.Get("user_id"), q.Get("client_id")
	if status != "" && !slices.Contains(sessionStatuses, status) {
		return nil, errValue("status", "status must be one of "+strings.Join(sessionStatuses, ", ")+".")
	}
	if userID == "" && clientID == "" {
		return nil, &apiError{status: http.StatusUnprocessableEntity, code: "form_param_missing",
			msg: "user_id or client_id must be included.", long: "At least one of user_id or client_id must be included."}
	}
	st, now := c.st, c.now
	var list []*sessRec
	for _, se := range st.sessions {
		if (userID == "" || se.userID == userID) && (clientID == "" || se.clientID == clientID) &&
			(status == "" || se.statusAt(now) == status) {
			list = append(list, se)
		}
	}
	sortBy(list, true, func(se *sessRec) sortKey { return timeKey(se.createdAt) }, func(se *sessRec) int64 { return se.seq })
	out := listPage(list, p, func(se *sessRec) sessionJSON { return st.sessionJSON(se, now) })
	if paginated {
		return out, nil
	}
	return out.Data, nil
}

// revokeSession is POST /v1/sessions/{session_id}/revoke.
func (s *Server) revokeSession(c *call) (any, *apiError) {
	now := c.now
	se, e := c.session()
	if e != nil {
		return nil, e
	}
	if se.statusAt(now) == "active" {
		se.status, se.updatedAt = "revoked", now
		c.st.emitSession("session.revoked", se, now)
	}
	return c.st.sessionJSON(se, now), nil
}

type createTokenBody struct {
	ExpiresInSeconds *int64 `json:"expires_in_seconds"`
}

type tokenJSON struct {
	Object string `json:"object"`
	JWT    string `json:"jwt"`
}

// createSessionToken is POST /v1/sessions/{session_id}/tokens: a version 2
// session token, signed by the Issuer, for an active session.
func (s *Server) createSessionToken(c *call, b *createTokenBody) (any, *apiError) {
	lifetime := clerktest.TokenLifetime
	if b.ExpiresInSeconds != nil {
		if n := *b.ExpiresInSeconds; n < 30 || n > 315360000 {
			return nil, errValue("expires_in_seconds", "expires_in_seconds must be between 30 and 315360000.")
		}
		lifetime = time.Duration(*b.ExpiresInSeconds) * time.Second
	}
	se, e := c.session()
	if e != nil {
		return nil, e
	}
	jwt, e := s.mintToken(se, lifetime)
	if e != nil {
		return nil, e
	}
	return tokenJSON{Object: "token", JWT: jwt}, nil
}

// mintToken signs a session token for se; s.mu must be held. The token
// carries the active organization's id, slug, role and the role's custom
// permissions (never the org:sys_* ones), and fva with the minutes since
// the session started (first factor) and -1 (no second factor).
func (s *Server) mintToken(se *sessRec, lifetime time.Duration) (string, *apiError) {
	return s.mintTokenFor(se, lifetime, "")
}

// mintTokenFor is mintToken with azp, the origin the token is minted for
// ("" for none).
func (s *Server) mintTokenFor(se *sessRec, lifetime time.Duration, azp string) (string, *apiError) {
	st, now := s.st, s.clock.Now()
	if status := se.statusAt(now); status != "active" {
		return "", errSessionNotActive(se, status)
	}
	c := clerktest.Claims{UserID: se.userID, SessionID: se.id, IssuedAt: now, ExpiresAt: now.Add(lifetime), AZP: azp}
	if se.actor != nil {
		c.Extra = map[string]any{"act": se.actor}
	}
	fva := [2]int{int(now.Sub(se.createdAt) / time.Minute), -1}
	c.FVA = &fva
	if m := st.members[se.activeOrg][se.userID]; m != nil {
		o := st.orgs[se.activeOrg]
		var perms []string
		if role := st.roles[m.role]; role != nil {
			perms = role.custom
		}
		c.Org = &clerktest.Org{ID: o.id, Slug: o.slug, Role: m.role, Permissions: perms}
	}
	se.lastActiveAt = now
	if u := st.users[se.userID]; u != nil {
		u.lastActiveAt = now
	}
	return s.iss.Token(c), nil
}

// ---- test-only operations, for what has no Backend API endpoint ----

// SessionToken creates an active session for the user, with orgID as its
// active organization ("" for none), and returns a session token for it,
// as POST /v1/sessions and POST /v1/sessions/{id}/tokens do.
// It does not count as a call (see Calls) and ignores faults and the rate
// limit.
func (s *Server) SessionToken(userID, orgID string) (string, error) {
	s.mu.Lock()
	defer s.unlock(nil)
	now := s.clock.Now()
	u, e := s.st.user(userID)
	if e != nil {
		return "", e.err()
	}
	se, e := s.st.addSession(u, orgID, now)
	if e != nil {
		return "", e.err()
	}
	tok, e := s.mintToken(se, clerktest.TokenLifetime)
	if e != nil {
		return "", e.err()
	}
	return tok, nil
}

// SetActiveOrganization makes orgID the active organization of the
// session ("" for none), as Clerk's frontend does when the user switches
// organization; the user must be a member. Tokens minted afterwards carry
// it; other sessions, and the user's next one, are unaffected. The
// Backend API has no endpoint for this.
func (s *Server) SetActiveOrganization(sessionID, orgID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, now := s.st, s.clock.Now()
	se, e := st.session(sessionID)
	if e != nil {
		return e.err()
	}
	if orgID != "" {
		if _, e := st.org(orgID, false); e != nil {
			return e.err()
		}
		if st.members[orgID][se.userID] == nil {
			return errNotAMember(se.userID, orgID).err()
		}
	}
	se.activeOrg, se.updatedAt = orgID, now
	return nil
}

// AcceptInvitation accepts a pending organization invitation on behalf of
// the user, as the invitee does by following the emailed link (the Backend
// API has no endpoint for it): the user, who must own the invited email
// address and not be a member yet, becomes a member with the invited role
// and the invitation's metadata, and the invitation is marked accepted.
// Creating a user with an invited email address does not accept anything.
func (s *Server) AcceptInvitation(invitationID, userID string) error {
	s.mu.Lock()
	defer s.unlock(nil)
	st, now := s.st, s.clock.Now()
	inv := st.invitations[invitationID]
	if inv == nil {
		return errNotFound("organization invitation", invitationID).err()
	}
	if status := inv.statusAt(now); status != "pending" {
		return errNotPending(status).err()
	}
	u, e := st.user(userID)
	if e != nil {
		return e.err()
	}
	if !slices.ContainsFunc(u.emails, func(em *emailRec) bool { return em.address == inv.email }) {
		return fmt.Errorf("emulator: user %s does not have the invited email address %s", userID, inv.email)
	}
	o := st.orgs[inv.orgID]
	if e := st.checkNewMember(o, u); e != nil {
		return e.err()
	}
	if st.roles[inv.role] == nil {
		return fmt.Errorf("emulator: the invited role %s no longer exists", inv.role)
	}
	st.addMember(o, u, inv.role, inv.public, inv.private, now)
	inv.status, inv.updatedAt = "accepted", now
	if st.hooks {
		st.emit("organizationInvitation.accepted", acceptedInvitationJSON{invitationJSON: st.invitationJSON(inv, false, now), UserID: u.id}, now)
	}
	return nil
}
