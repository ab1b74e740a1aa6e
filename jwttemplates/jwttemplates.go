// Package jwttemplates manages Clerk JWT templates through the Backend
// API: the named claim sets from which sessions mint tokens for other
// services (getToken({ template }) in Clerk's front end,
// sessions.Client.TemplateToken here).
//
// It is a thin layer over clerk-sdk-go's JWT template client that returns
// the official *clerk.JWTTemplate, takes claims as any value encoding as a
// JSON object (a map, a struct, a json.RawMessage), lifetimes as
// time.Duration, validates input before any request (errors wrap
// clerkerr.ErrInvalidInput) and iterates over every page.
//
// A Client needs a clerk.Backend: the one clerkkit.NewBackend builds
// (retries, complete *clerkerr.APIError values) or any other. Most programs
// use clerkkit.New, whose Client.JWTTemplates field is a
// *jwttemplates.Client. Errors from the Backend API are *clerkerr.APIError
// values (match them with errors.Is against clerkerr.ErrNotFound and
// friends). A custom signing key is never part of an error, and the API
// never sends it back.
package jwttemplates

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/jwttemplate"

	"github.com/clerkkit/clerkkit/internal/bapi"
)

// IDPrefix begins a JWT template's id.
const IDPrefix = "jtmp_"

// Bounds of a template's settings, as the Backend API has them.
const (
	// MinLifetime and MaxLifetime bound Lifetime (default 60 s).
	MinLifetime = 30 * time.Second
	MaxLifetime = 315360000 * time.Second
	// MaxAllowedClockSkew bounds AllowedClockSkew (default 5 s).
	MaxAllowedClockSkew = 300 * time.Second
	// MaxNameLen bounds Name, in characters.
	MaxNameLen = 256
)

// Client calls the Backend API's JWT template endpoints. It is safe for
// concurrent use.
type Client struct {
	sdk     *jwttemplate.Client
	backend clerk.Backend
}

// Options tunes a Client. The zero value is ready to use; it has no
// fields yet and exists so New has the signature of the other packages'.
type Options struct{}

// New returns a Client calling the Backend API through b, tuned by o (the
// zero Options for the defaults). It panics if b is nil.
func New(b clerk.Backend, o Options) *Client {
	b = bapi.Wrap(b)
	return &Client{sdk: &jwttemplate.Client{Backend: b}, backend: b}
}

// SDK returns clerk-sdk-go's JWT template client over the same backend.
func (c *Client) SDK() *jwttemplate.Client { return c.sdk }

// SigningKey is a custom key to sign a template's tokens with, instead of
// the instance's keys (whose public half is the instance's JWKS).
type SigningKey struct {
	// Algorithm is the JWS algorithm, e.g. "RS256" or "HS256".
	Algorithm string
	// Key is the private key: a PEM block for RS* and ES* algorithms, the
	// shared secret for HS* ones. It is sent to the API, which never
	// returns it; keep it out of logs.
	Key string
}

// Params describes a template, for Create and Update.
type Params struct {
	// Name is required: 1 to 256 characters, without leading or trailing
	// spaces, unique in the instance. Tokens are minted by name
	// (sessions.Client.TemplateToken), which goes into a URL path: keep to
	// letters, digits, '_', '-', '.' and '~' for names used so.
	Name string
	// Claims are required: any value encoding as a JSON object (a map, a
	// struct, a json.RawMessage). String values may hold Clerk's
	// shortcodes, e.g. "{{user.primary_email_address}}".
	Claims any
	// Lifetime is how long the tokens live, in whole seconds within
	// MinLifetime..MaxLifetime. 0 means the API's default (60 s) for
	// Create and no change for Update.
	Lifetime time.Duration
	// AllowedClockSkew, when not nil, is how far nbf is set before iat, in
	// whole seconds within 0..MaxAllowedClockSkew. nil means the API's
	// default (5 s) for Create and no change for Update.
	AllowedClockSkew *time.Duration
	// SigningKey, when not nil, signs the tokens with a custom key. nil
	// means the instance's keys for Create and no change for Update.
	SigningKey *SigningKey
	// InstanceSigningKey, for Update, drops a custom signing key: tokens
	// are signed with the instance's keys again. It cannot be combined with
	// SigningKey.
	InstanceSigningKey bool
}

type body struct {
	name           *string
	claims         json.RawMessage
	lifetime       *int64
	skew           *int64
	custom         *bool
	algorithm, key *string
}

func (p Params) check(op string) (*body, error) {
	b := &body{}
	if err := bapi.Text(op, "Name", p.Name, true, 0); err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(p.Name) > MaxNameLen {
		return nil, bapi.InputError(op, "Name", "is too long (at most 256 characters)")
	}
	if strings.TrimSpace(p.Name) != p.Name {
		return nil, bapi.InputError(op, "Name", "must not start or end with spaces")
	}
	b.name = clerk.String(p.Name)
	if p.Claims == nil {
		return nil, bapi.InputError(op, "Claims", "are required (a JSON object)")
	}
	claims, err := bapi.Object(op, "Claims", p.Claims)
	if err != nil {
		return nil, err
	}
	if claims == nil {
		return nil, bapi.InputError(op, "Claims", "are required (a JSON object)")
	}
	b.claims = *claims
	if p.Lifetime != 0 {
		if p.Lifetime < MinLifetime || p.Lifetime > MaxLifetime || p.Lifetime%time.Second != 0 {
			return nil, bapi.InputError(op, "Lifetime", "must be 0 or whole seconds from 30s to 315360000s")
		}
		b.lifetime = clerk.Int64(int64(p.Lifetime / time.Second))
	}
	if p.AllowedClockSkew != nil {
		d := *p.AllowedClockSkew
		if d < 0 || d > MaxAllowedClockSkew || d%time.Second != 0 {
			return nil, bapi.InputError(op, "AllowedClockSkew", "must be whole seconds from 0s to 300s")
		}
		b.skew = clerk.Int64(int64(d / time.Second))
	}
	if p.SigningKey != nil && p.InstanceSigningKey {
		return nil, bapi.InputError(op, "InstanceSigningKey", "cannot be combined with SigningKey")
	}
	if p.InstanceSigningKey {
		b.custom = clerk.Bool(false)
	}
	if k := p.SigningKey; k != nil {
		if err := checkKey(op, k); err != nil {
			return nil, err
		}
		b.custom, b.algorithm, b.key = clerk.Bool(true), clerk.String(k.Algorithm), clerk.String(k.Key)
	}
	return b, nil
}

// checkKey checks a custom signing key without ever quoting it.
func checkKey(op string, k *SigningKey) error {
	alg := k.Algorithm
	if len(alg) < 5 || len(alg) > 16 || strings.Trim(alg, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != "" {
		return bapi.InputError(op, "SigningKey.Algorithm", `must be a JWS algorithm such as "RS256" or "HS256"`)
	}
	if strings.TrimSpace(k.Key) == "" {
		return bapi.InputError(op, "SigningKey.Key", "must not be empty")
	}
	if !strings.HasPrefix(alg, "HS") {
		if block, _ := pem.Decode([]byte(strings.TrimSpace(k.Key))); block == nil || !strings.Contains(block.Type, "PRIVATE KEY") {
			return bapi.InputError(op, "SigningKey.Key", "must be a PEM-encoded private key for "+alg)
		}
	}
	return nil
}

// Create creates a JWT template.
func (c *Client) Create(ctx context.Context, p Params) (*clerk.JWTTemplate, error) {
	const op = "jwttemplates.Create"
	if p.InstanceSigningKey {
		return nil, bapi.InputError(op, "InstanceSigningKey", "is for Update (a new template uses the instance's keys unless SigningKey is set)")
	}
	b, err := p.check(op)
	if err != nil {
		return nil, err
	}
	return c.sdk.Create(ctx, &jwttemplate.CreateParams{
		Name: b.name, Claims: b.claims, Lifetime: b.lifetime, AllowedClockSkew: b.skew,
		CustomSigningKey: b.custom, SigningAlgorithm: b.algorithm, SigningKey: b.key,
	})
}

// Get returns the JWT template with the given id (jtmp_…).
func (c *Client) Get(ctx context.Context, templateID string) (*clerk.JWTTemplate, error) {
	if err := checkID("jwttemplates.Get", templateID); err != nil {
		return nil, err
	}
	return c.sdk.Get(ctx, templateID)
}

// Update changes the JWT template. The API replaces its name and claims
// on every update, so p.Name and p.Claims are required, as for Create;
// zero Lifetime, nil AllowedClockSkew and nil SigningKey leave those as
// they are.
func (c *Client) Update(ctx context.Context, templateID string, p Params) (*clerk.JWTTemplate, error) {
	const op = "jwttemplates.Update"
	if err := checkID(op, templateID); err != nil {
		return nil, err
	}
	b, err := p.check(op)
	if err != nil {
		return nil, err
	}
	return c.sdk.Update(ctx, templateID, &jwttemplate.UpdateParams{
		Name: b.name, Claims: b.claims, Lifetime: b.lifetime, AllowedClockSkew: b.skew,
		CustomSigningKey: b.custom, SigningAlgorithm: b.algorithm, SigningKey: b.key,
	})
}

// Delete deletes the JWT template; tokens already minted from it stay
// valid until they expire.
func (c *Client) Delete(ctx context.Context, templateID string) error {
	if err := checkID("jwttemplates.Delete", templateID); err != nil {
		return err
	}
	_, err := c.sdk.Delete(ctx, templateID)
	return err
}

// ListParams pages the templates.
type ListParams struct {
	// Limit is the page size, 1..500; 0 means the API's default (10) for
	// List and 500 for All.
	Limit int
	// Offset skips that many templates.
	Offset int
}

type listQuery struct {
	clerk.APIParams
	p ListParams
}

func (q *listQuery) ToQuery() url.Values {
	v := url.Values{"paginated": {"true"}}
	if q.p.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.p.Limit))
	}
	if q.p.Offset > 0 {
		v.Set("offset", strconv.Itoa(q.p.Offset))
	}
	return v
}

// List returns one page of the instance's JWT templates, with the total
// count. (clerk-sdk-go's List sends no limit or offset.)
func (c *Client) List(ctx context.Context, p ListParams) (*clerk.JWTTemplateList, error) {
	if err := bapi.Page("jwttemplates.List", p.Limit, p.Offset); err != nil {
		return nil, err
	}
	return c.list(ctx, p)
}

func (c *Client) list(ctx context.Context, p ListParams) (*clerk.JWTTemplateList, error) {
	req := clerk.NewAPIRequest(http.MethodGet, "/jwt_templates")
	req.SetParams(&listQuery{p: p})
	out := &clerk.JWTTemplateList{}
	if err := c.backend.Call(ctx, req, out); err != nil {
		return nil, err
	}
	return out, nil
}

// All iterates over every JWT template, in pages of p.Limit (default 500)
// from p.Offset on. It stops at the first error, which it yields, and
// when the loop breaks.
func (c *Client) All(ctx context.Context, p ListParams) iter.Seq2[*clerk.JWTTemplate, error] {
	if err := bapi.Page("jwttemplates.All", p.Limit, p.Offset); err != nil {
		return bapi.Fail[*clerk.JWTTemplate](err)
	}
	return bapi.All(ctx, p.Limit, p.Offset, func(ctx context.Context, limit, offset int) ([]*clerk.JWTTemplate, int64, error) {
		list, err := c.list(ctx, ListParams{Limit: limit, Offset: offset})
		if err != nil {
			return nil, 0, err
		}
		return list.JWTTemplates, list.TotalCount, nil
	})
}

func checkID(op, templateID string) error {
	return bapi.Prefixed(op, "templateID", templateID, IDPrefix)
}
