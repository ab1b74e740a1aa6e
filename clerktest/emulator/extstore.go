// The store of the instance's satellite domains and OAuth applications
// (domains.go, oauthapps.go).

package emulator

import "net/http"

// extStore holds what domains.go and oauthapps.go serve. Server.mu guards
// it, as it guards state. Seed does not touch it.
type extStore struct {
	seq       int64
	domains   map[string]*domainRec   // satellite domains by id
	primary   primaryDomain           // what PATCH changed of the primary domain
	oauthApps map[string]*oauthAppRec // by id
}

func newExtStore() *extStore {
	return &extStore{domains: map[string]*domainRec{}, oauthApps: map[string]*oauthAppRec{}}
}

func (x *extStore) next() int64 { x.seq++; return x.seq }

// handleBodyNoContent is handleBody for a route whose success is 204 No
// Content (h's answer is ignored).
func handleBodyNoContent[B any](s *Server, route string, h func(*call, *B) *apiError) {
	s.routes[route] = true
	s.mux.HandleFunc(route, func(w http.ResponseWriter, r *http.Request) {
		b := new(B)
		e := decodeBody(r, b)
		if e == nil {
			s.mu.Lock()
			e = h(&call{r: r, st: s.st, now: s.clock.Now()}, b)
			s.unlock(r)
		}
		if e != nil {
			s.writeError(w, e)
			return
		}
		w.Header().Set("Content-Type", "application/json") // as Clerk's API sends on every answer
		w.WriteHeader(http.StatusNoContent)
	})
}
