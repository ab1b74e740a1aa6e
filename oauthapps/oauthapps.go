// Package oauthapps manages the OAuth applications of a Clerk instance
// through the Backend API: the clients that sign users in with Clerk as
// their OAuth 2.0 / OpenID Connect provider, and get OAuth access tokens
// (oat_… or JWTs) that package auth verifies.
//
// It calls the endpoints clerk-sdk-go's oauthapplication package calls and
// returns its *clerk.OAuthApplication, building the requests itself: the
// v2.4.2 parameters cannot leave the scopes or the consent screen at the
// API's defaults, nor set redirect URIs or PKCE, and its list cannot sort
// or search. Input is validated before any request (errors wrap
// clerkerr.ErrInvalidInput); errors from the Backend API are
// *clerkerr.APIError values, retried as the rest of clerkkit's calls.
//
// A Client needs a clerk.Backend with the instance's secret key: the one
// clerkkit.NewBackend builds or any other. Most programs use clerkkit.New,
// whose Client.OAuthApps field is a *oauthapps.Client.
package oauthapps

import (
	"context"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/oauthapplication"

	"github.com/clerkkit/clerkkit/internal/bapi"
)

// MaxRedirectURIs bounds CreateParams.RedirectURIs and
// UpdateParams.RedirectURIs (a local bound; the API states none).
const MaxRedirectURIs = 100

// Client calls the Backend API's OAuth application endpoints. It is safe
// for concurrent use.
type Client struct {
	backend clerk.Backend
	sdk     *oauthapplication.Client
}

// Options tunes a Client. The zero value is ready to use; it has no
// fields yet and exists so New has the signature of the other packages'.
type Options struct{}

// New returns a Client calling the Backend API through b, tuned by o (the
// zero Options for the defaults). It panics if b is nil.
func New(b clerk.Backend, o Options) *Client {
	b = bapi.Wrap(b)
	return &Client{backend: b, sdk: &oauthapplication.Client{Backend: b}}
}

// SDK returns clerk-sdk-go's OAuth application client over the same
// backend.
func (c *Client) SDK() *oauthapplication.Client { return c.sdk }

// CreateParams describes a new OAuth application.
type CreateParams struct {
	// Name is required, at most 256 bytes.
	Name string
	// RedirectURIs are the URIs the authorization flow may return to:
	// absolute URIs of any scheme (https://…, myapp://…).
	RedirectURIs []string
	// Scopes are the space-separated scopes of the user info endpoint
	// ("profile email public_metadata private_metadata"); empty means the
	// API's default, "profile email".
	Scopes string
	// ConsentScreenEnabled, when not nil, turns the consent screen on or
	// off (the API's default: on).
	ConsentScreenEnabled *bool
	// PKCERequired, when not nil, says whether the PKCE flow is required
	// (the API's default: no).
	PKCERequired *bool
	// Public makes a public client (no secret; PKCE).
	Public bool
}

type createBody struct {
	clerk.APIParams
	Name                 string   `json:"name"`
	RedirectURIs         []string `json:"redirect_uris,omitempty"`
	Scopes               string   `json:"scopes,omitempty"`
	ConsentScreenEnabled *bool    `json:"consent_screen_enabled,omitempty"`
	PKCERequired         *bool    `json:"pkce_required,omitempty"`
	Public               bool     `json:"public,omitempty"`
}

// Create creates an OAuth application and returns it with its client
// secret (ClientSecret, for confidential clients), the only time the API
// sends it; RotateSecret makes a new one.
func (c *Client) Create(ctx context.Context, p CreateParams) (*clerk.OAuthApplication, error) {
	const op = "oauthapps.Create"
	if err := bapi.Text(op, "Name", p.Name, true, 256); err != nil {
		return nil, err
	}
	if err := checkRedirects(op, p.RedirectURIs); err != nil {
		return nil, err
	}
	if err := checkScopes(op, p.Scopes); err != nil {
		return nil, err
	}
	return c.call(ctx, http.MethodPost, "/oauth_applications", &createBody{
		Name: p.Name, RedirectURIs: p.RedirectURIs, Scopes: p.Scopes,
		ConsentScreenEnabled: p.ConsentScreenEnabled, PKCERequired: p.PKCERequired, Public: p.Public,
	})
}

// Get returns the OAuth application with the given id (not its client
// id: List with NameQuery set to a client id finds the application).
func (c *Client) Get(ctx context.Context, appID string) (*clerk.OAuthApplication, error) {
	if err := bapi.ID("oauthapps.Get", "appID", appID); err != nil {
		return nil, err
	}
	return c.call(ctx, http.MethodGet, "/oauth_applications/"+appID, nil)
}

// ListParams filters and pages OAuth application lists. The zero value
// lists every application, oldest first.
type ListParams struct {
	// Limit is the page size, 1..500; 0 means the API's default (10) for
	// List and 500 for All. Any other value is an error.
	Limit int
	// Offset skips that many applications.
	Offset int
	// OrderBy sorts: "created_at" or "name", prefixed with "+" or "-"
	// (the default is "+created_at").
	OrderBy string
	// NameQuery matches names partially and case-insensitively, and
	// client ids exactly.
	NameQuery string
}

type listQuery struct {
	clerk.APIParams
	p ListParams
}

func (q *listQuery) ToQuery() url.Values {
	v := url.Values{}
	if q.p.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.p.Limit))
	}
	if q.p.Offset > 0 {
		v.Set("offset", strconv.Itoa(q.p.Offset))
	}
	if q.p.OrderBy != "" {
		v.Set("order_by", q.p.OrderBy)
	}
	if q.p.NameQuery != "" {
		v.Set("name_query", q.p.NameQuery)
	}
	return v
}

func (p ListParams) check(op string) error {
	if err := bapi.Page(op, p.Limit, p.Offset); err != nil {
		return err
	}
	if err := bapi.Text(op, "OrderBy", p.OrderBy, false, 64); err != nil {
		return err
	}
	return bapi.Text(op, "NameQuery", p.NameQuery, false, 1024)
}

// List returns one page of OAuth applications, with the total count.
func (c *Client) List(ctx context.Context, p ListParams) (*clerk.OAuthApplicationList, error) {
	if err := p.check("oauthapps.List"); err != nil {
		return nil, err
	}
	return c.list(ctx, p)
}

func (c *Client) list(ctx context.Context, p ListParams) (*clerk.OAuthApplicationList, error) {
	req := clerk.NewAPIRequest(http.MethodGet, "/oauth_applications")
	req.SetParams(&listQuery{p: p})
	out := &clerk.OAuthApplicationList{}
	if err := c.backend.Call(ctx, req, out); err != nil {
		return nil, err
	}
	return out, nil
}

// All iterates over every OAuth application matching p, in pages of
// p.Limit (default 500) from p.Offset on. It stops at the first error,
// which it yields, and when the loop breaks.
func (c *Client) All(ctx context.Context, p ListParams) iter.Seq2[*clerk.OAuthApplication, error] {
	if err := p.check("oauthapps.All"); err != nil {
		return bapi.Fail[*clerk.OAuthApplication](err)
	}
	return bapi.All(ctx, p.Limit, p.Offset, func(ctx context.Context, limit, offset int) ([]*clerk.OAuthApplication, int64, error) {
		page := p
		page.Limit, page.Offset = limit, offset
		list, err := c.list(ctx, page)
		if err != nil {
			return nil, 0, err
		}
		return list.OAuthApplications, list.TotalCount, nil
	})
}

// UpdateParams changes an OAuth application; nil fields are left as they
// are.
type UpdateParams struct {
	// Name renames the application (not blank, at most 256 bytes).
	Name *string
	// RedirectURIs, when not nil, replaces the redirect URIs.
	RedirectURIs []string
	// Scopes replaces the space-separated scopes.
	Scopes *string
	// ConsentScreenEnabled turns the consent screen on or off (it cannot
	// be turned off for dynamically registered applications).
	ConsentScreenEnabled *bool
	// PKCERequired says whether the PKCE flow is required.
	PKCERequired *bool
	// Public makes the client public or confidential.
	Public *bool
}

type updateBody struct {
	clerk.APIParams
	Name                 *string   `json:"name,omitempty"`
	RedirectURIs         *[]string `json:"redirect_uris,omitempty"`
	Scopes               *string   `json:"scopes,omitempty"`
	ConsentScreenEnabled *bool     `json:"consent_screen_enabled,omitempty"`
	PKCERequired         *bool     `json:"pkce_required,omitempty"`
	Public               *bool     `json:"public,omitempty"`
}

// Update changes the OAuth application.
func (c *Client) Update(ctx context.Context, appID string, p UpdateParams) (*clerk.OAuthApplication, error) {
	const op = "oauthapps.Update"
	if err := bapi.ID(op, "appID", appID); err != nil {
		return nil, err
	}
	body := &updateBody{Name: p.Name, Scopes: p.Scopes, ConsentScreenEnabled: p.ConsentScreenEnabled, PKCERequired: p.PKCERequired, Public: p.Public}
	if p.Name != nil {
		if err := bapi.Text(op, "Name", *p.Name, true, 256); err != nil {
			return nil, err
		}
	}
	if p.RedirectURIs != nil {
		if err := checkRedirects(op, p.RedirectURIs); err != nil {
			return nil, err
		}
		body.RedirectURIs = &p.RedirectURIs
	}
	if p.Scopes != nil {
		if err := checkScopes(op, *p.Scopes); err != nil {
			return nil, err
		}
	}
	return c.call(ctx, http.MethodPatch, "/oauth_applications/"+appID, body)
}

// Delete deletes the OAuth application, for good.
func (c *Client) Delete(ctx context.Context, appID string) error {
	if err := bapi.ID("oauthapps.Delete", "appID", appID); err != nil {
		return err
	}
	_, err := c.sdk.DeleteOAuthApplication(ctx, appID)
	return err
}

// RotateSecret gives the application a new client secret and returns the
// application with it (ClientSecret).
func (c *Client) RotateSecret(ctx context.Context, appID string) (*clerk.OAuthApplication, error) {
	if err := bapi.ID("oauthapps.RotateSecret", "appID", appID); err != nil {
		return nil, err
	}
	return c.sdk.RotateClientSecret(ctx, appID)
}

func (c *Client) call(ctx context.Context, method, path string, body clerk.Params) (*clerk.OAuthApplication, error) {
	req := clerk.NewAPIRequest(method, path)
	if body != nil {
		req.SetParams(body)
	}
	out := &clerk.OAuthApplication{}
	if err := c.backend.Call(ctx, req, out); err != nil {
		return nil, err
	}
	return out, nil
}

func checkRedirects(op string, uris []string) error {
	if len(uris) > MaxRedirectURIs {
		return bapi.InputError(op, "RedirectURIs", "accepts at most "+strconv.Itoa(MaxRedirectURIs)+" URIs")
	}
	for _, u := range uris {
		if err := bapi.Text(op, "RedirectURIs", u, true, 1024); err != nil {
			return err
		}
		if strings.ContainsAny(u, " \t") {
			return bapi.InputError(op, "RedirectURIs", "must not contain spaces")
		}
		if parsed, err := url.Parse(u); err != nil || parsed.Scheme == "" || parsed.Fragment != "" {
			return bapi.InputError(op, "RedirectURIs", "must be absolute URIs without a fragment")
		}
	}
	return nil
}

func checkScopes(op, scopes string) error { return bapi.Text(op, "Scopes", scopes, false, 1024) }
