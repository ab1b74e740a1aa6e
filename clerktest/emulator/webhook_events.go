package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// webhookEvent is a change recorded in state.outbox, its data rendered
// when the change happened.
type webhookEvent struct {
	typ  string
	data json.RawMessage
	at   time.Time
}

// emit records a webhook event for a change just made, when the Server
// has webhook endpoints. Server.unlock publishes it; a change that is
// thrown away (Seed's clone on an error) takes its events with it.
func (st *state) emit(typ string, data any, now time.Time) {
	if !st.hooks {
		return
	}
	b, err := json.Marshal(data)
	if err != nil {
		panic("emulator: webhook data for " + typ + ": " + err.Error()) // the Server's own JSON types
	}
	st.outbox = append(st.outbox, webhookEvent{typ: typ, data: b, at: now})
}

// unlock publishes the webhook events recorded while s.mu was held,
// attributed to r (nil for the Server's methods), and unlocks s.mu.
// Handlers that change state defer it instead of s.mu.Unlock.
func (s *Server) unlock(r *http.Request) {
	if evs := s.st.outbox; len(evs) > 0 {
		s.st.outbox = nil
		s.wh.publish(evs, requestAttributes(r), s.st.instanceID)
	}
	s.mu.Unlock()
}

// ---- webhook data that differs from the Backend API's answers ----

// deletedEventJSON is the data of user.deleted and organization.deleted.
type deletedEventJSON struct {
	Object     string  `json:"object"`
	ID         string  `json:"id"`
	Slug       string  `json:"slug,omitempty"`
	Deleted    bool    `json:"deleted"`
	ExternalID *string `json:"external_id,omitempty"`
}

// sessionEventJSON is the data of session.* events: the session with its
// user.
type sessionEventJSON struct {
	sessionJSON
	User userJSON `json:"user"`
}

// acceptedInvitationJSON is the data of organizationInvitation.accepted.
type acceptedInvitationJSON struct {
	invitationJSON
	UserID string `json:"user_id"`
}

func (st *state) emitUser(typ string, u *userRec, now time.Time) {
	if st.hooks {
		st.emit(typ, st.userJSON(u, now), now)
	}
}

func (st *state) emitUserDeleted(u *userRec, now time.Time) {
	d := deletedEventJSON{Object: "user", ID: u.id, Deleted: true}
	if u.externalID != nil && *u.externalID != "" {
		d.ExternalID = u.externalID
	}
	st.emit("user.deleted", d, now)
}

func (st *state) emitOrg(typ string, o *orgRec, now time.Time) {
	if st.hooks {
		st.emit(typ, st.orgJSON(o, false, now), now)
	}
}

func (st *state) emitMembership(typ string, m *memberRec, now time.Time) {
	if st.hooks {
		st.emit(typ, st.membershipJSON(m, now), now)
	}
}

func (st *state) emitInvitation(typ string, inv *invRec, now time.Time) {
	if st.hooks {
		st.emit(typ, st.invitationJSON(inv, false, now), now)
	}
}

func (st *state) emitSession(typ string, se *sessRec, now time.Time) {
	if !st.hooks {
		return
	}
	u := st.users[se.userID]
	if u == nil {
		return
	}
	st.emit(typ, sessionEventJSON{sessionJSON: st.sessionJSON(se, now), User: st.userJSON(u, now)}, now)
}

// ---- test-only session changes that only Clerk's Frontend API makes ----

// EndSession ends an active session, as when its user signs out in
// Clerk's frontend: its status becomes "ended", it mints no more tokens,
// and session.ended is sent to the webhook endpoints. The Backend API has
// no endpoint for this (it revokes: POST /v1/sessions/{id}/revoke).
func (s *Server) EndSession(sessionID string) error {
	return s.closeSession(sessionID, "ended")
}

// RemoveSession removes an active session, as when its user signs out of
// one account of a multi-session client in Clerk's frontend: its status
// becomes "removed", it mints no more tokens, and session.removed is sent
// to the webhook endpoints. The Backend API has no endpoint for this.
func (s *Server) RemoveSession(sessionID string) error {
	return s.closeSession(sessionID, "removed")
}

func (s *Server) closeSession(sessionID, status string) error {
	s.mu.Lock()
	defer s.unlock(nil)
	st, now := s.st, s.clock.Now()
	se, e := st.session(sessionID)
	if e != nil {
		return e.err()
	}
	if cur := se.statusAt(now); cur != "active" {
		return fmt.Errorf("emulator: session %s is %s; only an active session can be %s", sessionID, cur, status)
	}
	se.status, se.updatedAt = status, now
	st.emitSession("session."+status, se, now)
	return nil
}
