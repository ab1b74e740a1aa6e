// Seed data for the instance-wide resources: role sets, satellite
// domains, OAuth applications, the allowlist and blocklist, redirect URLs
// and the waitlist. Each is created through the same code as its Backend
// API creation, so it is validated the same way.

package emulator

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// SeedRoleSet is a role set (see POST /v1/role_sets) that organizations
// can use (SeedOrganization.RoleSetKey).
type SeedRoleSet struct {
	// Key is "role_set:<name>"; default: one derived from Name.
	Key string `json:"key,omitempty"`
	// Name is required.
	Name string `json:"name"`
	// Description is free text.
	Description string `json:"description,omitempty"`
	// Roles are the keys of its roles (default ones or seeded in roles);
	// required.
	Roles []string `json:"roles"`
	// DefaultRoleKey is the role new members get, one of Roles; required.
	DefaultRoleKey string `json:"default_role_key"`
	// CreatorRoleKey is the role of an organization's creator, one of
	// Roles; required.
	CreatorRoleKey string `json:"creator_role_key"`
}

// SeedSatelliteDomain is a satellite domain of the instance (see POST
// /v1/domains; the primary domain is the Frontend API's).
type SeedSatelliteDomain struct {
	// Name is the domain name, e.g. "satellite.example.com"; required.
	Name string `json:"name"`
	// ProxyURL is its proxy URL (production instances only).
	ProxyURL string `json:"proxy_url,omitempty"`
}

// SeedOAuthApplication is an OAuth application of the instance (see POST
// /v1/oauth_applications), with the credentials a local setup keeps in
// its configuration.
type SeedOAuthApplication struct {
	// ID must start with "oa_" and be new. Default: a random one.
	ID string `json:"id,omitempty"`
	// Name is required.
	Name string `json:"name"`
	// ClientID is the application's client id, unique. Default: a random
	// one.
	ClientID string `json:"client_id,omitempty"`
	// ClientSecret is a confidential application's secret (at least 16
	// characters). Default: a random one; a public application has none.
	ClientSecret string `json:"client_secret,omitempty"`
	// RedirectURIs are its redirect URIs.
	RedirectURIs []string `json:"redirect_uris,omitempty"`
	// Scopes are its space-separated scopes; default "profile email".
	Scopes string `json:"scopes,omitempty"`
	// Public makes it a public client (PKCE, no secret).
	Public bool `json:"public,omitempty"`
	// ConsentScreenEnabled shows the consent screen; default true.
	ConsentScreenEnabled *bool `json:"consent_screen_enabled,omitempty"`
	// PKCERequired requires PKCE of a confidential client too.
	PKCERequired bool `json:"pkce_required,omitempty"`
}

// SeedWaitlistEntry is an entry of the waitlist (see POST
// /v1/waitlist_entries).
type SeedWaitlistEntry struct {
	// EmailAddress is required and unique on the waitlist.
	EmailAddress string `json:"email_address"`
	// Status is pending (the default), invited (an invitation is created,
	// as POST …/invite does) or rejected.
	Status string `json:"status,omitempty"`
}

// seedCall is a call for Seed to run a creation handler with: no path
// values but those set, no query, no client.
func seedCall(st *state, now time.Time, pathValues ...string) *call {
	r := &http.Request{Method: http.MethodPost, URL: &url.URL{}, Header: http.Header{}}
	for i := 0; i+1 < len(pathValues); i += 2 {
		r.SetPathValue(pathValues[i], pathValues[i+1])
	}
	return &call{r: r, st: st, now: now}
}

// seedRoleSets adds d's role sets to st (after the roles, before the
// organizations that use them).
func (s *Server) seedRoleSets(st *state, sets []SeedRoleSet, now time.Time) error {
	for i, rs := range sets {
		b := &createRoleSetBody{Name: &rs.Name, Key: optString(rs.Key), Description: optString(rs.Description),
			DefaultRoleKey: &rs.DefaultRoleKey, CreatorRoleKey: &rs.CreatorRoleKey, Roles: rs.Roles}
		if _, e := s.createRoleSet(seedCall(st, now), b); e != nil {
			return fmt.Errorf("role_sets[%d]: %w", i, e.err())
		}
	}
	return nil
}

// seedInstance adds d's satellite domains, OAuth applications,
// allowlist and blocklist identifiers, redirect URLs and waitlist entries
// to st and x (the clones Seed keeps when all of d is valid).
func (s *Server) seedInstance(st *state, x *extStore, d SeedData, now time.Time) error {
	saved := s.ext
	s.ext = x // addDomain and addOAuthApp store in s.ext; Seed holds s.mu
	defer func() { s.ext = saved }()
	for i, sd := range d.SatelliteDomains {
		name, yes := sd.Name, true
		b := &domainBody{Name: nullable[string]{set: true, v: name}, IsSatellite: &yes}
		if sd.ProxyURL != "" {
			b.ProxyURL = nullable[string]{set: true, v: sd.ProxyURL}
		}
		if _, e := s.addDomain(b, now); e != nil {
			return fmt.Errorf("satellite_domains[%d]: %w", i, e.err())
		}
	}
	for i, sa := range d.OAuthApplications {
		if err := s.seedOAuthApp(sa, now); err != nil {
			return fmt.Errorf("oauth_applications[%d]: %w", i, err)
		}
	}
	for i, v := range d.AllowlistIdentifiers {
		if _, e := st.addIdentifier(st.inst.allowlist, "alid_", &v, now); e != nil {
			return fmt.Errorf("allowlist_identifiers[%d]: %w", i, e.err())
		}
	}
	for i, v := range d.BlocklistIdentifiers {
		if _, e := st.addIdentifier(st.inst.blocklist, "blid_", &v, now); e != nil {
			return fmt.Errorf("blocklist_identifiers[%d]: %w", i, e.err())
		}
	}
	for i, u := range d.RedirectURLs {
		if _, e := s.createRedirectURL(seedCall(st, now), &redirectBody{URL: &u}); e != nil {
			return fmt.Errorf("redirect_urls[%d]: %w", i, e.err())
		}
	}
	for i, w := range d.WaitlistEntries {
		if err := s.seedWaitlistEntry(st, w, now); err != nil {
			return fmt.Errorf("waitlist_entries[%d]: %w", i, err)
		}
	}
	return nil
}

func (s *Server) seedOAuthApp(sa SeedOAuthApplication, now time.Time) error {
	if sa.ID != "" && (!strings.HasPrefix(sa.ID, "oa_") || len(sa.ID) == len("oa_") || s.ext.oauthApps[sa.ID] != nil) {
		return fmt.Errorf("id %q must be new and start with oa_", sa.ID)
	}
	for _, a := range s.ext.oauthApps {
		if sa.ClientID != "" && a.clientID == sa.ClientID {
			return fmt.Errorf("client_id %q is already OAuth application %s's", sa.ClientID, a.id)
		}
	}
	if sa.ClientSecret != "" && (sa.Public || len(sa.ClientSecret) < 16) {
		return fmt.Errorf("client_secret: a confidential application's secret has at least 16 characters")
	}
	b := &oauthAppBody{Name: nullable[string]{set: true, v: sa.Name}, Public: nullable[bool]{set: true, v: sa.Public},
		PKCE: nullable[bool]{set: true, v: sa.PKCERequired}, id: sa.ID, clientID: sa.ClientID, secret: sa.ClientSecret}
	if sa.RedirectURIs != nil {
		b.RedirectURIs = nullable[[]string]{set: true, v: sa.RedirectURIs}
	}
	if sa.Scopes != "" {
		b.Scopes = nullable[string]{set: true, v: sa.Scopes}
	}
	if sa.ConsentScreenEnabled != nil {
		b.Consent = nullable[bool]{set: true, v: *sa.ConsentScreenEnabled}
	}
	if _, e := s.addOAuthApp(b, now); e != nil {
		return e.err()
	}
	return nil
}

func (s *Server) seedWaitlistEntry(st *state, w SeedWaitlistEntry, now time.Time) error {
	email := w.EmailAddress
	v, e := s.createWaitlistEntry(seedCall(st, now), &waitlistBody{EmailAddress: &email})
	if e != nil {
		return e.err()
	}
	id := v.(waitlistEntryJSON).ID
	switch w.Status {
	case "", "pending":
	case "invited":
		_, e = s.inviteWaitlistEntry(seedCall(st, now, "waitlist_entry_id", id), &inviteWaitlistBody{})
	case "rejected":
		_, e = s.rejectWaitlistEntry(seedCall(st, now, "waitlist_entry_id", id))
	default:
		return fmt.Errorf("status %q must be pending, invited or rejected", w.Status)
	}
	if e != nil {
		return e.err()
	}
	return nil
}
