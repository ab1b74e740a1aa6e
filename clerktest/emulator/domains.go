// The instance's domains: GET, POST /v1/domains and PATCH, DELETE
// /v1/domains/{domain_id}. The primary domain is the Issuer's (its
// Frontend API host, which tokens carry as iss); satellite domains are
// added, changed and deleted here.

package emulator

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// domainRec is a satellite domain.
type domainRec struct {
	seq         int64
	id          string
	name        string
	proxyURL    *string
	isSecondary bool
	createdAt   time.Time
}

// primaryDomain is what PATCH /v1/domains/{id} changed of the primary
// domain.
type primaryDomain struct {
	proxyURL    *string
	isSecondary bool
}

type domainJSON struct {
	Object            string          `json:"object"`
	ID                string          `json:"id"`
	Name              string          `json:"name"`
	IsSatellite       bool            `json:"is_satellite"`
	FrontendAPIURL    string          `json:"frontend_api_url"`
	AccountsPortalURL *string         `json:"accounts_portal_url"`
	ProxyURL          *string         `json:"proxy_url"`
	DevelopmentOrigin string          `json:"development_origin"`
	CNAMETargets      json.RawMessage `json:"cname_targets"`
}

func (s *Server) registerDomainRoutes() {
	s.routes["GET "+pathDomains] = true
	s.mux.HandleFunc("GET "+pathDomains, s.listDomains)
	handleBody(s, "POST /v1/domains", s.createDomain)
	handleBody(s, "PATCH /v1/domains/{domain_id}", s.updateDomain)
	s.handle("DELETE /v1/domains/{domain_id}", s.deleteDomain)
}

// listDomains is GET /v1/domains: the Issuer answers it (counting the
// fetch and applying its faults, see clerktest.Issuer.Handler) and the
// satellite domains are added to its answer, oldest first.
func (s *Server) listDomains(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	s.iss.Handler().ServeHTTP(rec, r)
	var out listResponse[domainJSON]
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &out) != nil || len(out.Data) == 0 {
		// An error, an injected garbage answer or empty set: as it is.
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
		return
	}
	s.mu.Lock()
	out.Data = []domainJSON{s.primaryJSON()}
	for _, d := range s.satellites() {
		out.Data = append(out.Data, s.domainJSON(d))
	}
	s.unlock(r)
	out.TotalCount = len(out.Data)
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) satellites() []*domainRec {
	var list []*domainRec
	for _, d := range s.ext.domains {
		list = append(list, d)
	}
	sortBy(list, false, func(d *domainRec) sortKey { return timeKey(d.createdAt) }, func(d *domainRec) int64 { return d.seq })
	return list
}

// primaryName is the primary domain's name, as the Issuer lists it.
func (s *Server) primaryName() string {
	return strings.TrimPrefix(s.iss.FrontendAPI(), "clerk.")
}

func (s *Server) domainJSON(d *domainRec) domainJSON {
	fapi := "https://clerk." + d.name
	if s.dev {
		fapi = s.iss.IssuerURL() // development satellites use the primary's Frontend API
	}
	return domainJSON{Object: "domain", ID: d.id, Name: d.name, IsSatellite: true, FrontendAPIURL: fapi,
		ProxyURL: d.proxyURL, CNAMETargets: json.RawMessage("null")}
}

// domainBody is the body of POST /v1/domains and PATCH
// /v1/domains/{domain_id} (is_satellite only for POST, is_secondary only
// for PATCH).
type domainBody struct {
	Name        nullable[string] `json:"name"`
	IsSatellite *bool            `json:"is_satellite"`
	ProxyURL    nullable[string] `json:"proxy_url"`
	IsSecondary nullable[bool]   `json:"is_secondary"`
	patch       bool
}

// domainNamePattern is a host name: DNS labels, with a port on development
// instances.
var domainNamePattern = regexp.MustCompile(`^(?i)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*(?::[0-9]{1,5})?$`)

// checkDomainName validates a domain name as Clerk does: no scheme nor
// path, a fully qualified name on production instances, a port only on
// development ones; it returns the name in lower case.
func (s *Server) checkDomainName(name string) (string, *apiError) {
	name = strings.ToLower(strings.TrimSpace(name))
	switch {
	case name == "":
		return "", errMissing("name")
	case strings.Contains(name, "://"):
		return "", errFormat("name", "name must not contain a protocol scheme, e.g. example.com.")
	case !domainNamePattern.MatchString(name) || len(name) > 253:
		return "", errFormat("name", "name must be a valid domain name, e.g. example.com.")
	case !s.dev && (strings.Contains(name, ":") || !strings.Contains(name, ".")):
		return "", errFormat("name", "name must be a fully qualified domain name without a port on production instances, e.g. example.com.")
	}
	if name == s.primaryName() || slices.ContainsFunc(s.satellites(), func(d *domainRec) bool { return d.name == name }) {
		return "", errTaken("name", "domain")
	}
	return name, nil
}

// checkProxyURL validates proxy_url: production instances only, an
// https URL.
func (s *Server) checkProxyURL(n nullable[string]) (*string, *apiError) {
	if !n.set || n.null || n.v == "" {
		return nil, nil
	}
	if s.dev {
		return nil, errValue("proxy_url", "proxy_url can only be set on production instances.")
	}
	u, err := url.Parse(n.v)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, errFormat("proxy_url", "proxy_url must be a valid https URL.")
	}
	v := n.v
	return &v, nil
}

// createDomain is POST /v1/domains: a satellite domain.
func (s *Server) createDomain(c *call, b *domainBody) (any, *apiError) {
	d, e := s.addDomain(b, c.now)
	if e != nil {
		return nil, e
	}
	return s.domainJSON(d), nil
}

func (s *Server) addDomain(b *domainBody, now time.Time) (*domainRec, *apiError) {
	if b.IsSecondary.set {
		return nil, errUnknownParam("is_secondary")
	}
	if !b.Name.set || b.Name.null {
		return nil, errMissing("name")
	}
	if b.IsSatellite == nil {
		return nil, errMissing("is_satellite")
	}
	if !*b.IsSatellite {
		return nil, errValue("is_satellite", "Only satellite domains can be added: is_satellite must be true.")
	}
	name, e := s.checkDomainName(b.Name.v)
	if e != nil {
		return nil, e
	}
	proxy, e := s.checkProxyURL(b.ProxyURL)
	if e != nil {
		return nil, e
	}
	d := &domainRec{seq: s.ext.next(), id: randomID("dmn_"), name: name, proxyURL: proxy, createdAt: now}
	s.ext.domains[d.id] = d
	return d, nil
}

// updateDomain is PATCH /v1/domains/{domain_id}. The primary domain's
// name is its Issuer's Frontend API host, which tokens carry and the
// publishable key encodes: the Server cannot rename it (400).
func (s *Server) updateDomain(c *call, b *domainBody) (any, *apiError) {
	if b.IsSatellite != nil {
		return nil, errUnknownParam("is_satellite")
	}
	id := c.r.PathValue("domain_id")
	var proxy *string
	if b.ProxyURL.set {
		p, e := s.checkProxyURL(b.ProxyURL)
		if e != nil {
			return nil, e
		}
		proxy = p
	}
	if id == s.iss.DomainID() {
		if b.Name.set && !b.Name.null && strings.ToLower(b.Name.v) != s.primaryName() {
			return nil, &apiError{status: http.StatusBadRequest, code: "operation_not_allowed", msg: "Operation not allowed",
				long: "The emulator cannot rename its primary domain: it is the Frontend API host its tokens and publishable key carry.", param: "name"}
		}
		if b.ProxyURL.set {
			s.ext.primary.proxyURL = proxy
		}
		if b.IsSecondary.set && !b.IsSecondary.null {
			s.ext.primary.isSecondary = b.IsSecondary.v
		}
		return s.primaryJSON(), nil
	}
	d := s.ext.domains[id]
	if d == nil {
		return nil, errNotFound("domain", id)
	}
	if b.Name.set && !b.Name.null && strings.ToLower(strings.TrimSpace(b.Name.v)) != d.name {
		name, e := s.checkDomainName(b.Name.v)
		if e != nil {
			return nil, e
		}
		d.name = name
	}
	if b.ProxyURL.set {
		d.proxyURL = proxy
	}
	if b.IsSecondary.set && !b.IsSecondary.null {
		d.isSecondary = b.IsSecondary.v
	}
	return s.domainJSON(d), nil
}

// primaryJSON is the primary domain as GET /v1/domains lists it.
func (s *Server) primaryJSON() domainJSON {
	name := s.primaryName()
	portal := "https://accounts." + name
	if slug, ok := strings.CutSuffix(s.iss.FrontendAPI(), ".clerk.accounts.dev"); ok {
		portal = "https://" + slug + ".accounts.dev"
	}
	return domainJSON{Object: "domain", ID: s.iss.DomainID(), Name: name, FrontendAPIURL: s.iss.IssuerURL(),
		AccountsPortalURL: &portal, ProxyURL: s.ext.primary.proxyURL, CNAMETargets: json.RawMessage("null")}
}

// deleteDomain is DELETE /v1/domains/{domain_id}: only a satellite domain
// (the primary one is 403).
func (s *Server) deleteDomain(c *call) (any, *apiError) {
	id := c.r.PathValue("domain_id")
	if id == s.iss.DomainID() {
		return nil, &apiError{status: http.StatusForbidden, code: "operation_not_allowed", msg: "Operation not allowed",
			long: "The primary domain cannot be deleted; only satellite domains can."}
	}
	if s.ext.domains[id] == nil {
		return nil, errNotFound("domain", id)
	}
	delete(s.ext.domains, id)
	return deletedJSON{Object: "domain", ID: id, Deleted: true}, nil
}
