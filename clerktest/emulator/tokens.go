// Actor tokens (impersonation), sign-in tokens and testing tokens: their
// records and endpoints, and the test-only acceptance of actor and
// sign-in tokens, which Clerk's Frontend API does when the user follows
// the token's URL.

package emulator

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// actorTokenRec is an actor token: a ticket that signs its holder in as
// userID, impersonated by actor.
type actorTokenRec struct {
	seq        int64
	id         string
	userID     string
	actor      json.RawMessage // a JSON object with sub
	token      string
	status     string // pending, accepted, revoked
	expiresAt  time.Time
	sessionMax time.Duration // lifetime of the session it starts
	createdAt  time.Time
	updatedAt  time.Time
}

// signInTokenRec is a sign-in token: a ticket that signs its holder in as
// userID, with orgID active ("" for none).
type signInTokenRec struct {
	seq       int64
	id        string
	userID    string
	orgID     string
	token     string
	status    string // pending, accepted, revoked
	expiresAt time.Time
	createdAt time.Time
	updatedAt time.Time
}

// Token lifetimes of Clerk's defaults.
const (
	actorTokenLifetime   = 3600      // seconds
	actorSessionLifetime = 1800      // seconds
	signInTokenLifetime  = 2592000   // seconds (30 days)
	testingTokenLifetime = time.Hour // Clerk's testing tokens last an hour
)

type actorTokenJSON struct {
	Object    string          `json:"object"`
	ID        string          `json:"id"`
	Status    string          `json:"status"`
	UserID    string          `json:"user_id"`
	Actor     json.RawMessage `json:"actor"`
	Token     string          `json:"token,omitempty"`
	URL       string          `json:"url,omitempty"`
	CreatedAt int64           `json:"created_at"`
	UpdatedAt int64           `json:"updated_at"`
}

type signInTokenJSON struct {
	Object    string  `json:"object"`
	ID        string  `json:"id"`
	Status    string  `json:"status"`
	UserID    string  `json:"user_id"`
	Token     string  `json:"token,omitempty"`
	URL       *string `json:"url"`
	CreatedAt int64   `json:"created_at"`
	UpdatedAt int64   `json:"updated_at"`
}

type testingTokenJSON struct {
	Object    string `json:"object"`
	Token     string `json:"token"`
	ExpiresAt int64  `json:"expires_at"`
}

// ticketURL is where Clerk's Frontend API accepts a ticket (an actor or
// sign-in token).
func (s *Server) ticketURL(token string) string {
	return "https://" + s.iss.FrontendAPI() + "/v1/tickets/accept?ticket=" + url.QueryEscape(token)
}

func (s *Server) actorTokenJSON(t *actorTokenRec) actorTokenJSON {
	j := actorTokenJSON{Object: "actor_token", ID: t.id, Status: t.status, UserID: t.userID, Actor: t.actor,
		CreatedAt: ms(t.createdAt), UpdatedAt: ms(t.updatedAt)}
	if t.status == "pending" {
		j.Token, j.URL = t.token, s.ticketURL(t.token)
	}
	return j
}

func (s *Server) signInTokenJSON(t *signInTokenRec) signInTokenJSON {
	j := signInTokenJSON{Object: "sign_in_token", ID: t.id, Status: t.status, UserID: t.userID,
		CreatedAt: ms(t.createdAt), UpdatedAt: ms(t.updatedAt)}
	if t.status == "pending" {
		u := s.ticketURL(t.token)
		j.Token, j.URL = t.token, &u
	}
	return j
}

func (s *Server) registerTicketRoutes() {
	handleBody(s, "POST /v1/actor_tokens", s.createActorToken)
	s.handle("POST /v1/actor_tokens/{actor_token_id}/revoke", s.revokeActorToken)
	handleBody(s, "POST /v1/sign_in_tokens", s.createSignInToken)
	s.handle("POST /v1/sign_in_tokens/{sign_in_token_id}/revoke", s.revokeSignInToken)
	s.handle("POST /v1/testing_tokens", s.createTestingToken)
}

type createActorTokenBody struct {
	UserID                      *string         `json:"user_id"`
	Actor                       json.RawMessage `json:"actor"`
	ExpiresInSeconds            *int64          `json:"expires_in_seconds"`
	SessionMaxDurationInSeconds *int64          `json:"session_max_duration_in_seconds"`
}

// createActorToken is POST /v1/actor_tokens: a pending actor token for
// user_id, impersonated by actor (an object with a non-empty sub, which
// the impersonation session's tokens carry whole as act).
func (s *Server) createActorToken(c *call, b *createActorTokenBody) (any, *apiError) {
	if b.UserID == nil || *b.UserID == "" {
		return nil, errMissing("user_id")
	}
	actor := bytes.TrimSpace(b.Actor)
	if len(actor) == 0 || string(actor) == "null" {
		return nil, errMissing("actor")
	}
	var a map[string]any
	if actor[0] != '{' || json.Unmarshal(actor, &a) != nil {
		return nil, errFormat("actor", "actor must be a JSON object.")
	}
	if sub, _ := a["sub"].(string); sub == "" {
		return nil, errMissing("actor.sub")
	}
	lifetime, sessionMax := int64(actorTokenLifetime), int64(actorSessionLifetime)
	if b.ExpiresInSeconds != nil {
		if lifetime = *b.ExpiresInSeconds; lifetime < 1 {
			return nil, errValue("expires_in_seconds", "expires_in_seconds must be at least 1.")
		}
	}
	if b.SessionMaxDurationInSeconds != nil {
		if sessionMax = *b.SessionMaxDurationInSeconds; sessionMax < 1 {
			return nil, errValue("session_max_duration_in_seconds", "session_max_duration_in_seconds must be at least 1.")
		}
	}
	u, e := c.st.user(*b.UserID)
	if e != nil {
		return nil, e
	}
	var compact bytes.Buffer
	json.Compact(&compact, actor)
	t := &actorTokenRec{
		seq: c.st.next(), id: randomID("act_"), userID: u.id, actor: compact.Bytes(), token: randomString(64),
		status: "pending", expiresAt: c.now.Add(time.Duration(lifetime) * time.Second),
		sessionMax: time.Duration(sessionMax) * time.Second, createdAt: c.now, updatedAt: c.now,
	}
	c.st.tok.actors[t.id] = t
	return s.actorTokenJSON(t), nil
}

// revokeActorToken is POST /v1/actor_tokens/{actor_token_id}/revoke: a
// pending token becomes revoked; a revoked one stays so; an accepted one
// cannot be revoked (400; revoke its session instead).
func (s *Server) revokeActorToken(c *call) (any, *apiError) {
	id := c.r.PathValue("actor_token_id")
	t := c.st.tok.actors[id]
	if t == nil {
		return nil, errNotFound("actor token", id)
	}
	switch t.status {
	case "accepted":
		return nil, errTicketUsed("actor token", id)
	case "pending":
		t.status, t.updatedAt = "revoked", c.now
	}
	return s.actorTokenJSON(t), nil
}

func errTicketUsed(kind, id string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "bad_request", msg: "Bad request",
		long: "The " + kind + " " + id + " has been accepted already and cannot be revoked."}
}

type createSignInTokenBody struct {
	UserID           *string          `json:"user_id"`
	OrgID            nullable[string] `json:"org_id"`
	ExpiresInSeconds nullable[int64]  `json:"expires_in_seconds"`
}

// createSignInToken is POST /v1/sign_in_tokens: a pending sign-in token
// for user_id, lasting expires_in_seconds (default 30 days), activating
// org_id, of which the user must be a member.
func (s *Server) createSignInToken(c *call, b *createSignInTokenBody) (any, *apiError) {
	if b.UserID == nil || *b.UserID == "" {
		return nil, errMissing("user_id")
	}
	lifetime := int64(signInTokenLifetime)
	if b.ExpiresInSeconds.set && !b.ExpiresInSeconds.null {
		if lifetime = b.ExpiresInSeconds.v; lifetime < 1 {
			return nil, errValue("expires_in_seconds", "expires_in_seconds must be at least 1.")
		}
	}
	u, e := c.st.user(*b.UserID)
	if e != nil {
		return nil, e
	}
	org := ""
	if b.OrgID.set && !b.OrgID.null && b.OrgID.v != "" {
		o, e := c.st.org(b.OrgID.v, false)
		if e != nil {
			return nil, e
		}
		if c.st.members[o.id][u.id] == nil {
			ne := errNotAMember(u.id, o.id)
			ne.param = "org_id"
			return nil, ne
		}
		org = o.id
	}
	t := &signInTokenRec{
		seq: c.st.next(), id: randomID("sit_"), userID: u.id, orgID: org, token: randomString(64), status: "pending",
		expiresAt: c.now.Add(time.Duration(lifetime) * time.Second), createdAt: c.now, updatedAt: c.now,
	}
	c.st.tok.signIns[t.id] = t
	return s.signInTokenJSON(t), nil
}

// revokeSignInToken is POST /v1/sign_in_tokens/{sign_in_token_id}/revoke,
// with the rules of revokeActorToken.
func (s *Server) revokeSignInToken(c *call) (any, *apiError) {
	id := c.r.PathValue("sign_in_token_id")
	t := c.st.tok.signIns[id]
	if t == nil {
		return nil, errNotFound("sign in token", id)
	}
	switch t.status {
	case "accepted":
		return nil, errTicketUsed("sign in token", id)
	case "pending":
		t.status, t.updatedAt = "revoked", c.now
	}
	return s.signInTokenJSON(t), nil
}

// createTestingToken is POST /v1/testing_tokens: a token that lets test
// runners past the Frontend API's bot protection for an hour, written as
// Clerk writes them, "<issued at, Unix seconds>-<random>".
func (s *Server) createTestingToken(c *call) (any, *apiError) {
	exp := c.now.Add(testingTokenLifetime)
	tok := strconv.FormatInt(c.now.Unix(), 10) + "-" + randomString(43)
	c.st.tok.testing[tok] = exp
	return testingTokenJSON{Object: "testing_token", Token: tok, ExpiresAt: exp.Unix()}, nil
}

// validTestingToken reports whether tok is a testing token the Server
// issued that has not expired at now.
func (st *state) validTestingToken(tok string, now time.Time) bool {
	exp, ok := st.tok.testing[tok]
	return ok && now.Before(exp)
}

// ---- test-only: what the Frontend API does with tickets ----

// acceptTicket finds the pending, unexpired actor or sign-in token whose
// value is token and starts its session.
func (st *state) acceptTicket(token string, now time.Time) (*sessRec, *apiError) {
	same := func(t string) bool { return subtle.ConstantTimeCompare([]byte(t), []byte(token)) == 1 }
	for _, t := range st.tok.actors {
		if !same(t.token) {
			continue
		}
		if e := ticketUsable("actor token", t.status, t.expiresAt, now); e != nil {
			return nil, e
		}
		u, e := st.user(t.userID)
		if e != nil {
			return nil, e
		}
		se, e := st.startSession(u, "", t.actor, now.Add(t.sessionMax), now)
		if e != nil {
			return nil, e
		}
		t.status, t.updatedAt = "accepted", now
		return se, nil
	}
	for _, t := range st.tok.signIns {
		if !same(t.token) {
			continue
		}
		if e := ticketUsable("sign in token", t.status, t.expiresAt, now); e != nil {
			return nil, e
		}
		u, e := st.user(t.userID)
		if e != nil {
			return nil, e
		}
		org := t.orgID
		if st.members[org][u.id] == nil {
			org = "" // no longer a member: signed in without it
		}
		se, e := st.addSession(u, org, now)
		if e != nil {
			return nil, e
		}
		t.status, t.updatedAt = "accepted", now
		return se, nil
	}
	return nil, &apiError{status: http.StatusNotFound, code: "resource_not_found", msg: "not found",
		long: "No actor or sign in token has this value."}
}

func ticketUsable(kind, status string, expiresAt, now time.Time) *apiError {
	switch {
	case status != "pending":
		return &apiError{status: http.StatusBadRequest, code: "ticket_invalid", msg: "Invalid ticket",
			long: fmt.Sprintf("The %s is %s.", kind, status)}
	case !now.Before(expiresAt):
		return &apiError{status: http.StatusBadRequest, code: "ticket_expired", msg: "Ticket expired",
			long: "The " + kind + " has expired."}
	}
	return nil
}

// AcceptTicket signs in with an actor token or a sign-in token (the token
// value that POST /v1/actor_tokens or /v1/sign_in_tokens answered), as
// Clerk's Frontend API does when the user follows the token's URL: the
// token, which must be pending and unexpired, becomes accepted, and a new
// active session starts for its user (session.created is sent). The
// session of an actor token is an impersonation session: its actor is the
// token's, its tokens carry the actor as act, and it expires after the
// token's session_max_duration_in_seconds. The session of a sign-in token
// has the token's organization active (if the user is still a member). It
// returns the session's id; a token of a banned or locked user fails as
// POST /v1/sessions does. It does not count as a call (see Calls).
func (s *Server) AcceptTicket(token string) (sessionID string, err error) {
	s.mu.Lock()
	defer s.unlock(nil)
	se, e := s.st.acceptTicket(token, s.clock.Now())
	if e != nil {
		return "", e.err()
	}
	return se.id, nil
}
