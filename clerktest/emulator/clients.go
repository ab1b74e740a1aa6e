// The Clients endpoints: the browsers' clients of the hosted sign-in
// (frontend.go, hosted.go) and the clients of sessions created through
// the Backend API.

package emulator

import (
	"crypto/subtle"
	"net/http"
	"slices"
	"time"
)

func (s *Server) registerClientRoutes() {
	s.handle("GET /v1/clients", s.listClients)
	s.handle("GET /v1/clients/{client_id}", s.getClient)
	handleBody(s, "POST /v1/clients/verify", s.verifyClient)
}

// clientView is a client as the Backend API shows it: a browser's client
// (cl set), or the client a session created with POST /v1/sessions
// names, which exists only through its sessions.
type clientView struct {
	id        string
	cl        *clientRec
	sessions  []*sessRec // sorted by creation
	createdAt time.Time
	updatedAt time.Time
}

// clients returns every client, newest first. s.mu must be held.
func (s *Server) clients() []*clientView {
	byID := map[string]*clientView{}
	for _, cl := range s.fe.clients {
		byID[cl.id] = &clientView{id: cl.id, cl: cl, createdAt: cl.createdAt, updatedAt: cl.updatedAt}
	}
	for _, se := range s.st.sessions {
		v := byID[se.clientID]
		if v == nil {
			v = &clientView{id: se.clientID, createdAt: se.createdAt, updatedAt: se.updatedAt}
			byID[se.clientID] = v
		}
		v.sessions = append(v.sessions, se)
		if v.cl == nil {
			v.createdAt = minTime(v.createdAt, se.createdAt)
			if se.updatedAt.After(v.updatedAt) {
				v.updatedAt = se.updatedAt
			}
		}
	}
	out := make([]*clientView, 0, len(byID))
	for _, v := range byID {
		slices.SortFunc(v.sessions, func(a, b *sessRec) int { return int(a.seq - b.seq) })
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b *clientView) int {
		if c := b.createdAt.Compare(a.createdAt); c != 0 {
			return c
		}
		if a.id < b.id {
			return 1
		}
		return -1
	})
	return out
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

type clientJSON struct {
	Object                     string        `json:"object"`
	ID                         string        `json:"id"`
	SessionIDs                 []string      `json:"session_ids"`
	Sessions                   []sessionJSON `json:"sessions"`
	SignInID                   *string       `json:"sign_in_id"`
	SignUpID                   *string       `json:"sign_up_id"`
	LastActiveSessionID        *string       `json:"last_active_session_id"`
	LastAuthenticationStrategy *string       `json:"last_authentication_strategy"`
	UpdatedAt                  int64         `json:"updated_at"`
	CreatedAt                  int64         `json:"created_at"`
}

// clientJSON lists the client's active sessions. Its last active session
// is the browser's signed-in one, or for a Backend API client its latest
// active session.
func (s *Server) clientJSON(v *clientView, now time.Time) clientJSON {
	j := clientJSON{Object: "client", ID: v.id, SessionIDs: []string{}, Sessions: []sessionJSON{},
		CreatedAt: ms(v.createdAt), UpdatedAt: ms(v.updatedAt)}
	for _, se := range v.sessions {
		if se.statusAt(now) != "active" {
			continue
		}
		j.SessionIDs = append(j.SessionIDs, se.id)
		j.Sessions = append(j.Sessions, s.st.sessionJSON(se, now))
		if v.cl == nil {
			id := se.id
			j.LastActiveSessionID = &id
		}
	}
	if v.cl != nil {
		j.LastActiveSessionID = nil
		if se := s.st.sessions[v.cl.sessionID]; se != nil && se.statusAt(now) == "active" {
			id := se.id
			j.LastActiveSessionID = &id
		}
	}
	return j
}

// listClients is GET /v1/clients (deprecated at Clerk): every client,
// newest first, with limit and offset, as the spec's bare array, or with
// paginated=true (as @clerk/backend's clients.getClientList asks)
// {data, total_count}. clerk-sdk-go's deprecated client.List asks
// without paginated=true yet expects {data, total_count}: it cannot
// decode the spec's array.
func (s *Server) listClients(c *call) (any, *apiError) {
	return listOrPage(c, s.clients(), func(v *clientView) clientJSON { return s.clientJSON(v, c.now) })
}

// getClient is GET /v1/clients/{client_id}.
func (s *Server) getClient(c *call) (any, *apiError) {
	id := c.r.PathValue("client_id")
	v := s.client(id)
	if v == nil {
		return nil, errNotFound("client", id)
	}
	return s.clientJSON(v, c.now), nil
}

// client returns the client with the id, nil for none. s.mu must be held.
func (s *Server) client(id string) *clientView {
	for _, v := range s.clients() {
		if v.id == id {
			return v
		}
	}
	return nil
}

type verifyClientBody struct {
	Token *string `json:"token"`
}

// verifyClient is POST /v1/clients/verify: token is the value of a
// browser's __client cookie on the Server's host (an opaque secret here,
// where Clerk's is a JWT), and the answer its client; any other token is
// 400 (compared in constant time, the token being a credential).
func (s *Server) verifyClient(c *call, b *verifyClientBody) (any, *apiError) {
	if b.Token == nil || *b.Token == "" {
		return nil, &apiError{status: http.StatusBadRequest, code: "form_param_missing", msg: "token must be included.",
			long: "token must be included.", param: "token"}
	}
	var found *clientRec
	for secret, cl := range s.fe.clients {
		if subtle.ConstantTimeCompare([]byte(secret), []byte(*b.Token)) == 1 {
			found = cl
		}
	}
	if found == nil {
		return nil, &apiError{status: http.StatusBadRequest, code: "token_invalid", msg: "Invalid token",
			long: "The token is not the __client cookie of a client of this instance.", param: "token"}
	}
	return s.clientJSON(s.client(found.id), c.now), nil
}
