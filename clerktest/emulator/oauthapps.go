// OAuth applications: the clients of the instance acting as an OAuth
// provider (/v1/oauth_applications). The OAuth access tokens that
// CreateOAuthAccessToken issues with an application's client_id are
// that application's: POST …/revoke_token revokes them, and deleting the
// application revokes them all.

package emulator

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// oauthAppRec is an OAuth application.
type oauthAppRec struct {
	seq          int64
	id           string
	name         string
	clientID     string
	secret       string // "" for a public client
	public       bool
	consent      bool
	pkce         bool
	scopes       string
	redirectURIs []string
	createdAt    time.Time
	updatedAt    time.Time
}

type oauthAppJSON struct {
	Object                string   `json:"object"`
	ID                    string   `json:"id"`
	InstanceID            string   `json:"instance_id"`
	Name                  string   `json:"name"`
	ClientID              string   `json:"client_id"`
	ClientURI             *string  `json:"client_uri"`
	ClientImageURL        *string  `json:"client_image_url"`
	DynamicallyRegistered bool     `json:"dynamically_registered"`
	ConsentScreenEnabled  bool     `json:"consent_screen_enabled"`
	PKCERequired          bool     `json:"pkce_required"`
	Public                bool     `json:"public"`
	Scopes                string   `json:"scopes"`
	RedirectURIs          []string `json:"redirect_uris"`
	CallbackURL           string   `json:"callback_url"`
	AuthorizeURL          string   `json:"authorize_url"`
	TokenFetchURL         string   `json:"token_fetch_url"`
	UserInfoURL           string   `json:"user_info_url"`
	DiscoveryURL          string   `json:"discovery_url"`
	IntrospectionURL      string   `json:"token_introspection_url"`
	CreatedAt             int64    `json:"created_at"`
	UpdatedAt             int64    `json:"updated_at"`
}

type oauthAppSecretJSON struct {
	oauthAppJSON
	ClientSecret string `json:"client_secret"`
}

func (s *Server) oauthAppJSON(c *call, a *oauthAppRec) oauthAppJSON {
	fapi := s.iss.IssuerURL()
	cb := ""
	if len(a.redirectURIs) > 0 {
		cb = a.redirectURIs[0]
	}
	return oauthAppJSON{
		Object: "oauth_application", ID: a.id, InstanceID: c.st.instanceID, Name: a.name, ClientID: a.clientID,
		ConsentScreenEnabled: a.consent, PKCERequired: a.pkce, Public: a.public, Scopes: a.scopes,
		RedirectURIs: append([]string{}, a.redirectURIs...), CallbackURL: cb,
		AuthorizeURL: fapi + "/oauth/authorize", TokenFetchURL: fapi + "/oauth/token", UserInfoURL: fapi + "/oauth/userinfo",
		DiscoveryURL: fapi + "/.well-known/openid-configuration", IntrospectionURL: fapi + "/oauth/token_info",
		CreatedAt: ms(a.createdAt), UpdatedAt: ms(a.updatedAt),
	}
}

func (s *Server) registerOAuthAppRoutes() {
	s.handle("GET /v1/oauth_applications", s.listOAuthApps)
	handleBody(s, "POST /v1/oauth_applications", s.createOAuthApp)
	s.handle("GET /v1/oauth_applications/{oauth_application_id}", s.getOAuthApp)
	handleBody(s, "PATCH /v1/oauth_applications/{oauth_application_id}", s.updateOAuthApp)
	s.handle("DELETE /v1/oauth_applications/{oauth_application_id}", s.deleteOAuthApp)
	s.handle("POST /v1/oauth_applications/{oauth_application_id}/rotate_secret", s.rotateOAuthAppSecret)
	handleBodyNoContent(s, "POST /v1/oauth_applications/{oauth_application_id}/revoke_token", s.revokeOAuthAppToken)
}

// oauthApp is the application of the path's {oauth_application_id}.
func (s *Server) oauthApp(c *call) (*oauthAppRec, *apiError) {
	id := c.r.PathValue("oauth_application_id")
	a := s.ext.oauthApps[id]
	if a == nil {
		return nil, errNotFound("OAuth application", id)
	}
	return a, nil
}

// listOAuthApps is GET /v1/oauth_applications: order_by created_at or
// name (default +created_at), name_query a case-insensitive part of the
// name, limit and offset.
func (s *Server) listOAuthApps(c *call) (any, *apiError) {
	q := c.r.URL.Query()
	p, e := pageParams(q)
	if e != nil {
		return nil, e
	}
	field, desc, e := orderBy(q, "+created_at", "created_at", "name")
	if e != nil {
		return nil, e
	}
	nq := q.Get("name_query")
	var list []*oauthAppRec
	for _, a := range s.ext.oauthApps {
		if nq == "" || containsFold(a.name, nq) {
			list = append(list, a)
		}
	}
	key := func(a *oauthAppRec) sortKey { return timeKey(a.createdAt) }
	if field == "name" {
		key = func(a *oauthAppRec) sortKey { return strKey(&a.name) }
	}
	sortBy(list, desc, key, func(a *oauthAppRec) int64 { return a.seq })
	return listPage(list, p, func(a *oauthAppRec) oauthAppJSON { return s.oauthAppJSON(c, a) }), nil
}

// oauthAppBody is the body of POST /v1/oauth_applications and PATCH
// /v1/oauth_applications/{id}.
type oauthAppBody struct {
	Name         nullable[string]   `json:"name"`
	RedirectURIs nullable[[]string] `json:"redirect_uris"`
	CallbackURL  nullable[string]   `json:"callback_url"`
	Scopes       nullable[string]   `json:"scopes"`
	Consent      nullable[bool]     `json:"consent_screen_enabled"`
	PKCE         nullable[bool]     `json:"pkce_required"`
	Public       nullable[bool]     `json:"public"`
	// Seeded: the explicit id, client id and secret; not Backend API
	// parameters.
	id, clientID, secret string
}

// oauthScopes are the scopes an OAuth application may have.
var oauthScopes = []string{"profile", "email", "public_metadata", "private_metadata", "openid", "offline_access"}

// applyOAuthApp validates b into a (for PATCH, only what b has).
func applyOAuthApp(a *oauthAppRec, b *oauthAppBody) *apiError {
	if b.Name.set && !b.Name.null {
		name := strings.TrimSpace(b.Name.v)
		switch {
		case name == "":
			return errMissing("name")
		case len(name) > 256:
			return errValue("name", "name must be at most 256 characters long.")
		}
		a.name = name
	}
	if b.Scopes.set && !b.Scopes.null {
		scopes := strings.Fields(b.Scopes.v)
		if len(b.Scopes.v) > 1024 {
			return errValue("scopes", "scopes must be at most 1024 characters long.")
		}
		for _, sc := range scopes {
			if !slices.Contains(oauthScopes, sc) {
				return errValue("scopes", "scopes must be some of "+strings.Join(oauthScopes, ", ")+", separated by spaces; "+sc+" is not one.")
			}
		}
		if len(scopes) == 0 {
			scopes = []string{"profile", "email"}
		}
		a.scopes = strings.Join(scopes, " ")
	}
	var uris []string
	uriSet := false
	if b.RedirectURIs.set && !b.RedirectURIs.null {
		uris, uriSet = b.RedirectURIs.v, true
	}
	if b.CallbackURL.set && !b.CallbackURL.null {
		if len(b.CallbackURL.v) > 1024 {
			return errValue("callback_url", "callback_url must be at most 1024 characters long.")
		}
		if b.CallbackURL.v != "" && !slices.Contains(uris, b.CallbackURL.v) {
			uris = append([]string{b.CallbackURL.v}, uris...)
		}
		uriSet = true
	}
	if uriSet {
		for i, u := range uris {
			pu, err := url.Parse(u)
			if err != nil || pu.Scheme == "" || (pu.Host == "" && pu.Opaque == "") {
				param := "redirect_uris"
				if i == 0 && b.CallbackURL.set && u == b.CallbackURL.v {
					param = "callback_url"
				}
				return errFormat(param, u+" is not a valid URL.")
			}
		}
		a.redirectURIs = slices.Clone(uris)
	}
	if b.Consent.set && !b.Consent.null {
		a.consent = b.Consent.v
	}
	if b.PKCE.set && !b.PKCE.null {
		a.pkce = b.PKCE.v
	}
	if b.Public.set && !b.Public.null {
		a.public = b.Public.v
	}
	if a.public {
		a.pkce = true // public clients always use PKCE
	}
	return nil
}

// createOAuthApp is POST /v1/oauth_applications; its answer has the
// client secret (empty for a public client), as only rotate_secret's
// does again.
func (s *Server) createOAuthApp(c *call, b *oauthAppBody) (any, *apiError) {
	a, e := s.addOAuthApp(b, c.now)
	if e != nil {
		return nil, e
	}
	return oauthAppSecretJSON{s.oauthAppJSON(c, a), a.secret}, nil
}

func (s *Server) addOAuthApp(b *oauthAppBody, now time.Time) (*oauthAppRec, *apiError) {
	if !b.Name.set || b.Name.null {
		return nil, errMissing("name")
	}
	a := &oauthAppRec{consent: true, scopes: "profile email", redirectURIs: []string{}}
	if e := applyOAuthApp(a, b); e != nil {
		return nil, e
	}
	a.seq, a.id, a.clientID, a.createdAt, a.updatedAt = s.ext.next(), b.id, b.clientID, now, now
	if a.id == "" {
		a.id = randomID("oa_")
	}
	if a.clientID == "" {
		a.clientID = randomString(16)
	}
	if !a.public {
		a.secret = b.secret
		if a.secret == "" {
			a.secret = randomString(32)
		}
	}
	s.ext.oauthApps[a.id] = a
	return a, nil
}

func (s *Server) getOAuthApp(c *call) (any, *apiError) {
	a, e := s.oauthApp(c)
	if e != nil {
		return nil, e
	}
	return s.oauthAppJSON(c, a), nil
}

// updateOAuthApp is PATCH /v1/oauth_applications/{id}: all or nothing.
func (s *Server) updateOAuthApp(c *call, b *oauthAppBody) (any, *apiError) {
	a, e := s.oauthApp(c)
	if e != nil {
		return nil, e
	}
	na := *a
	if e := applyOAuthApp(&na, b); e != nil {
		return nil, e
	}
	if a.public && !na.public {
		na.secret = randomString(32) // a confidential client needs one: rotate_secret tells it
	}
	if na.public {
		na.secret = ""
	}
	na.updatedAt = c.now
	*a = na
	return s.oauthAppJSON(c, a), nil
}

// deleteOAuthApp is DELETE /v1/oauth_applications/{id}; the application's
// opaque access tokens are revoked with it.
func (s *Server) deleteOAuthApp(c *call) (any, *apiError) {
	a, e := s.oauthApp(c)
	if e != nil {
		return nil, e
	}
	for _, t := range c.st.mach.oauth {
		if t.clientID == a.clientID && !t.revoked {
			reason := "oauth_application_deleted"
			t.revoked, t.reason, t.updatedAt = true, &reason, c.now
		}
	}
	delete(s.ext.oauthApps, a.id)
	return deletedJSON{Object: "oauth_application", ID: a.id, Deleted: true}, nil
}

// rotateOAuthAppSecret is POST /v1/oauth_applications/{id}/rotate_secret:
// a new client secret (a public client has none: "").
func (s *Server) rotateOAuthAppSecret(c *call) (any, *apiError) {
	a, e := s.oauthApp(c)
	if e != nil {
		return nil, e
	}
	if !a.public {
		a.secret = randomString(32)
	}
	a.updatedAt = c.now
	return oauthAppSecretJSON{s.oauthAppJSON(c, a), a.secret}, nil
}

type revokeOAuthTokenBody struct {
	Token *string `json:"token"`
}

// revokeOAuthAppToken is POST /v1/oauth_applications/{id}/revoke_token
// (204): an opaque access token that the application's client_id holds
// is revoked, so verifying it answers 404. A token of another
// application, or none, is 404; a JWT access token, which verifies
// without the Backend API, cannot be revoked (400).
func (s *Server) revokeOAuthAppToken(c *call, b *revokeOAuthTokenBody) *apiError {
	a, e := s.oauthApp(c)
	if e != nil {
		return e
	}
	if b.Token == nil || *b.Token == "" {
		return errMissing("token")
	}
	for _, t := range c.st.mach.oauth {
		if t.clientID != a.clientID || !equalSecret(*b.Token, t.token) {
			continue
		}
		if t.jwt {
			return &apiError{status: http.StatusBadRequest, code: "unsupported_token_type", msg: "unsupported token type",
				long: "JWT access tokens cannot be revoked; they are valid until they expire.", param: "token"}
		}
		if !t.revoked {
			reason := "revoked_by_oauth_application"
			t.revoked, t.reason, t.updatedAt = true, &reason, c.now
		}
		return nil
	}
	return errNotFound("OAuth access token of OAuth application", a.id)
}
