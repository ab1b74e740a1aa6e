// The store of the instance's satellite domains, OAuth applications and
// Billing (domains.go, oauthapps.go, billing.go).

package emulator

import (
	"net/http"
	"slices"
)

// extStore holds what domains.go, oauthapps.go and billing.go serve.
// Server.mu guards it, as it guards state. Seed changes a clone of it and
// keeps the clone only when the whole seed is valid.
type extStore struct {
	seq       int64
	domains   map[string]*domainRec   // satellite domains by id
	primary   primaryDomain           // what PATCH changed of the primary domain
	oauthApps map[string]*oauthAppRec // by id
	bill      *billingStore           // plans, subscriptions, payers (billing.go)
}

func newExtStore() *extStore {
	return &extStore{domains: map[string]*domainRec{}, oauthApps: map[string]*oauthAppRec{}, bill: newBillingStore()}
}

// clone returns a deep copy of x, for Seed (strings and times are never
// modified in place, so they are shared).
func (x *extStore) clone() *extStore {
	c := *x
	c.domains = cloneRecs(x.domains)
	c.oauthApps = make(map[string]*oauthAppRec, len(x.oauthApps))
	for id, a := range x.oauthApps {
		ca := *a
		ca.redirectURIs = slices.Clone(a.redirectURIs)
		c.oauthApps[id] = &ca
	}
	c.bill = x.bill.clone()
	return &c
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
