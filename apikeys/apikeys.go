// Package apikeys manages Clerk API keys through the Backend API: keys
// that a user, an organization or a machine hands to a program, which
// sends them as a bearer token (ak_…).
//
// clerk-sdk-go v2.4.2 has no API key client, so this package calls the
// /api_keys endpoints itself, over the same clerk.Backend as the rest of
// clerkkit: the one clerkkit.NewBackend builds (retries, complete
// *clerkerr.APIError values) or any other. Most programs use clerkkit.New,
// whose Client.APIKeys field is a *apikeys.Client.
//
// Input is validated before any request (errors wrap
// clerkerr.ErrInvalidInput): ids must be API key ids (ak_ and 32 hex
// digits), subjects user, organization or machine ids, so nothing can add
// a path segment and a secret passed for an id stays out of URLs.
// Errors from the Backend API are *clerkerr.APIError values (match them
// with errors.Is against clerkerr.ErrNotFound and friends). A key's secret
// is never part of an error.
//
// Verifying a key that a request presents is package auth's job, not this
// one's.
package apikeys

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"

	"github.com/clerkkit/clerkkit/internal/bapi"
)

// MaxLimit is the largest page GET /api_keys serves.
const MaxLimit = 100

// The prefixes of API key ids and of the subjects an API key can belong
// to.
const (
	// IDPrefix begins an API key's id, followed by 32 hex digits (the API
	// also accepts ids spelled "api_key_…"). A key's secret begins so too,
	// but has another form: the Client refuses it where an id belongs.
	IDPrefix = "ak_"
	// UserPrefix, OrganizationPrefix and MachinePrefix begin the ids of
	// the subjects an API key can belong to.
	UserPrefix         = "user_"
	OrganizationPrefix = "org_"
	MachinePrefix      = "mch_"
)

// Key is an API key as the Backend API describes it. Times are Unix
// milliseconds.
type Key struct {
	clerk.APIResource
	// Object is "api_key".
	Object string `json:"object"`
	// ID is the key's id, ak_…; it is not a secret.
	ID string `json:"id"`
	// Type is the key's type, "api_key" unless created with another.
	Type string `json:"type"`
	// Subject is who the key authenticates as: a user (user_…), an
	// organization (org_…) or a machine (mch_…).
	Subject string `json:"subject"`
	// Name and Description describe the key.
	Name        string  `json:"name"`
	Description *string `json:"description"`
	// Claims are the custom claims the key carries (JSON, null when none).
	Claims json.RawMessage `json:"claims"`
	// Scopes are the key's scopes.
	Scopes []string `json:"scopes"`
	// Secret is the key itself. Only Create returns it; Client.Secret
	// fetches it later. Keep it out of logs.
	Secret string `json:"secret,omitempty"`
	// Revoked and RevocationReason say whether and why the key was
	// revoked.
	Revoked          bool    `json:"revoked"`
	RevocationReason *string `json:"revocation_reason"`
	// Expired says whether the key has expired; Expiration is when it
	// does, nil for never.
	Expired    bool   `json:"expired"`
	Expiration *int64 `json:"expiration"`
	// CreatedBy is the user who created the key, if known.
	CreatedBy *string `json:"created_by"`
	// LastUsedAt is when the key was last used, nil for never.
	LastUsedAt *int64 `json:"last_used_at"`
	// CreatedAt and UpdatedAt are when the key was created and last
	// changed.
	CreatedAt int64 `json:"created_at"`
	UpdatedAt int64 `json:"updated_at"`
}

// KeyList is one page of API keys, with the total count of keys matching
// the query.
type KeyList struct {
	clerk.APIResource
	// Keys is the page, without secrets.
	Keys []*Key `json:"data"`
	// TotalCount counts every key matching the query, on every page.
	TotalCount int64 `json:"total_count"`
}

// Client calls the Backend API's API key endpoints. It is safe for
// concurrent use.
type Client struct {
	backend clerk.Backend
}

// Options tunes a Client. The zero value is ready to use; it has no
// fields yet and exists so New has the signature of the other packages'.
type Options struct{}

// New returns a Client calling the Backend API through b, tuned by o (the
// zero Options for the defaults). It panics if b is nil.
func New(b clerk.Backend, o Options) *Client {
	return &Client{backend: bapi.Wrap(b)}
}

// CreateParams describes a new API key.
type CreateParams struct {
	// Subject is who the key authenticates as, required: a user (user_…),
	// an organization (org_…) or a machine (mch_…).
	Subject string
	// Name is required: at least 3 characters, without leading or trailing
	// spaces.
	Name string
	// Description is optional, at most 255 bytes.
	Description string
	// Type is the key's type; empty means "api_key".
	Type string
	// Scopes are optional.
	Scopes []string
	// Claims are optional custom claims: any value encoding as a JSON
	// object (a map, a struct, a json.RawMessage), or nil.
	Claims any
	// CreatedBy is the id of the user creating the key (user_…), optional.
	CreatedBy string
	// ExpiresIn, when not zero, makes the key expire that long after its
	// creation. It must be a positive number of whole seconds.
	ExpiresIn time.Duration
}

type createBody struct {
	clerk.APIParams
	Type                   string           `json:"type,omitempty"`
	Name                   string           `json:"name"`
	Description            *string          `json:"description,omitempty"`
	Subject                string           `json:"subject"`
	Claims                 *json.RawMessage `json:"claims,omitempty"`
	Scopes                 []string         `json:"scopes,omitempty"`
	CreatedBy              *string          `json:"created_by,omitempty"`
	SecondsUntilExpiration *int64           `json:"seconds_until_expiration,omitempty"`
}

// Create creates an API key and returns it with its Secret, the only time
// the API sends it unasked.
func (c *Client) Create(ctx context.Context, p CreateParams) (*Key, error) {
	const op = "apikeys.Create"
	if err := checkSubject(op, "Subject", p.Subject); err != nil {
		return nil, err
	}
	if err := checkName(op, p.Name); err != nil {
		return nil, err
	}
	if err := bapi.Text(op, "Description", p.Description, false, 255); err != nil {
		return nil, err
	}
	if p.Type != "" {
		if err := bapi.ID(op, "Type", p.Type); err != nil {
			return nil, err
		}
		if len(p.Type) < 3 || len(p.Type) > 25 {
			return nil, bapi.InputError(op, "Type", "must be 3 to 25 characters long")
		}
	}
	if err := checkScopes(op, p.Scopes); err != nil {
		return nil, err
	}
	body := &createBody{Type: p.Type, Name: p.Name, Subject: p.Subject, Scopes: p.Scopes}
	if p.Description != "" {
		body.Description = &p.Description
	}
	if p.CreatedBy != "" {
		if err := bapi.Prefixed(op, "CreatedBy", p.CreatedBy, UserPrefix); err != nil {
			return nil, err
		}
		body.CreatedBy = &p.CreatedBy
	}
	var err error
	if body.Claims, err = bapi.Object(op, "Claims", p.Claims); err != nil {
		return nil, err
	}
	if p.ExpiresIn != 0 {
		if body.SecondsUntilExpiration, err = seconds(op, "ExpiresIn", p.ExpiresIn); err != nil {
			return nil, err
		}
	}
	return c.call(ctx, http.MethodPost, "/api_keys", body)
}

// Get returns the API key with the given id (ak_…), without its secret.
func (c *Client) Get(ctx context.Context, keyID string) (*Key, error) {
	if err := checkID("apikeys.Get", keyID); err != nil {
		return nil, err
	}
	return c.call(ctx, http.MethodGet, "/api_keys/"+keyID, nil)
}

// Secret returns the API key's secret.
func (c *Client) Secret(ctx context.Context, keyID string) (string, error) {
	if err := checkID("apikeys.Secret", keyID); err != nil {
		return "", err
	}
	var out struct {
		clerk.APIResource
		Secret string `json:"secret"`
	}
	if err := c.backend.Call(ctx, clerk.NewAPIRequest(http.MethodGet, "/api_keys/"+keyID+"/secret"), &out); err != nil {
		return "", err
	}
	return out.Secret, nil
}

// ListParams filters and pages the API keys of a subject.
type ListParams struct {
	// Limit is the page size, 1..100; 0 means the API's default (10) for
	// List and 100 for All. Any other value is an error.
	Limit int
	// Offset skips that many keys.
	Offset int
	// Type keeps keys of that type; empty means "api_key".
	Type string
	// IncludeInvalid also lists revoked and expired keys.
	IncludeInvalid bool
	// Query matches names, partially.
	Query string
}

type listQuery struct {
	clerk.APIParams
	subject string
	p       ListParams
}

func (q *listQuery) ToQuery() url.Values {
	v := url.Values{"subject": {q.subject}}
	if q.p.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.p.Limit))
	}
	if q.p.Offset > 0 {
		v.Set("offset", strconv.Itoa(q.p.Offset))
	}
	if q.p.Type != "" {
		v.Set("type", q.p.Type)
	}
	if q.p.IncludeInvalid {
		v.Set("include_invalid", "true")
	}
	if q.p.Query != "" {
		v.Set("query", q.p.Query)
	}
	return v
}

func (p ListParams) check(op, subject string) error {
	if err := checkSubject(op, "subject", subject); err != nil {
		return err
	}
	if err := bapi.PageMax(op, p.Limit, p.Offset, MaxLimit); err != nil {
		return err
	}
	if p.Type != "" {
		if err := bapi.ID(op, "Type", p.Type); err != nil {
			return err
		}
	}
	return bapi.Text(op, "Query", p.Query, false, 1024)
}

// List returns one page of the API keys of subject (a user_…, org_… or
// mch_… id), newest first, with the total count.
func (c *Client) List(ctx context.Context, subject string, p ListParams) (*KeyList, error) {
	if err := p.check("apikeys.List", subject); err != nil {
		return nil, err
	}
	return c.list(ctx, subject, p)
}

func (c *Client) list(ctx context.Context, subject string, p ListParams) (*KeyList, error) {
	req := clerk.NewAPIRequest(http.MethodGet, "/api_keys")
	req.SetParams(&listQuery{subject: subject, p: p})
	out := &KeyList{}
	if err := c.backend.Call(ctx, req, out); err != nil {
		return nil, err
	}
	return out, nil
}

// All iterates over every API key of subject matching p, in pages of
// p.Limit (default 100, the most the API serves) from p.Offset on. It
// stops at the first error, which it yields, and when the loop breaks.
func (c *Client) All(ctx context.Context, subject string, p ListParams) iter.Seq2[*Key, error] {
	if err := p.check("apikeys.All", subject); err != nil {
		return bapi.Fail[*Key](err)
	}
	size := p.Limit
	if size == 0 {
		size = MaxLimit
	}
	return bapi.All(ctx, size, p.Offset, func(ctx context.Context, limit, offset int) ([]*Key, int64, error) {
		page := p
		page.Limit, page.Offset = limit, offset
		list, err := c.list(ctx, subject, page)
		if err != nil {
			return nil, 0, err
		}
		return list.Keys, list.TotalCount, nil
	})
}

// UpdateParams changes an API key; zero fields are left as they are.
type UpdateParams struct {
	// Description, when not nil, replaces the description (at most 255
	// bytes; "" empties it).
	Description *string
	// Scopes, when not nil, replaces the scopes; an empty non-nil slice
	// removes them all.
	Scopes []string
	// Claims, when not nil, replaces the custom claims: any value encoding
	// as a JSON object.
	Claims any
	// Subject, when not empty, moves the key to another user_…, org_… or
	// mch_… subject.
	Subject string
	// ExpiresIn, when not zero, makes the key expire that long from now.
	// It must be a positive number of whole seconds.
	ExpiresIn time.Duration
}

type updateBody struct {
	clerk.APIParams
	Description            *string          `json:"description,omitempty"`
	Scopes                 *[]string        `json:"scopes,omitempty"`
	Claims                 *json.RawMessage `json:"claims,omitempty"`
	Subject                string           `json:"subject,omitempty"`
	SecondsUntilExpiration *int64           `json:"seconds_until_expiration,omitempty"`
}

// Update changes the API key.
func (c *Client) Update(ctx context.Context, keyID string, p UpdateParams) (*Key, error) {
	const op = "apikeys.Update"
	if err := checkID(op, keyID); err != nil {
		return nil, err
	}
	body := &updateBody{Description: p.Description, Subject: p.Subject}
	if p.Description != nil {
		if err := bapi.Text(op, "Description", *p.Description, false, 255); err != nil {
			return nil, err
		}
	}
	if p.Scopes != nil {
		if err := checkScopes(op, p.Scopes); err != nil {
			return nil, err
		}
		body.Scopes = &p.Scopes
	}
	if p.Subject != "" {
		if err := checkSubject(op, "Subject", p.Subject); err != nil {
			return nil, err
		}
	}
	var err error
	if body.Claims, err = bapi.Object(op, "Claims", p.Claims); err != nil {
		return nil, err
	}
	if p.ExpiresIn != 0 {
		if body.SecondsUntilExpiration, err = seconds(op, "ExpiresIn", p.ExpiresIn); err != nil {
			return nil, err
		}
	}
	return c.call(ctx, http.MethodPatch, "/api_keys/"+keyID, body)
}

type revokeBody struct {
	clerk.APIParams
	RevocationReason *string `json:"revocation_reason"`
}

// Revoke revokes the API key at once: it no longer authenticates. reason
// is optional (at most 1024 bytes), for your records.
func (c *Client) Revoke(ctx context.Context, keyID, reason string) (*Key, error) {
	const op = "apikeys.Revoke"
	if err := checkID(op, keyID); err != nil {
		return nil, err
	}
	if err := bapi.Text(op, "reason", reason, false, 1024); err != nil {
		return nil, err
	}
	body := &revokeBody{}
	if reason != "" {
		body.RevocationReason = &reason
	}
	return c.call(ctx, http.MethodPost, "/api_keys/"+keyID+"/revoke", body)
}

// Delete deletes the API key.
func (c *Client) Delete(ctx context.Context, keyID string) error {
	if err := checkID("apikeys.Delete", keyID); err != nil {
		return err
	}
	return c.backend.Call(ctx, clerk.NewAPIRequest(http.MethodDelete, "/api_keys/"+keyID), &clerk.DeletedResource{})
}

func (c *Client) call(ctx context.Context, method, path string, body clerk.Params) (*Key, error) {
	req := clerk.NewAPIRequest(method, path)
	if body != nil {
		req.SetParams(body)
	}
	out := &Key{}
	if err := c.backend.Call(ctx, req, out); err != nil {
		return nil, err
	}
	return out, nil
}

func checkID(op, keyID string) error {
	return bapi.HexID(op, "keyID", keyID, IDPrefix, "api_key_")
}

func checkSubject(op, field, subject string) error {
	return bapi.Prefixed(op, field, subject, UserPrefix, OrganizationPrefix, MachinePrefix)
}

func checkName(op, name string) error {
	if err := bapi.Text(op, "Name", name, true, 256); err != nil {
		return err
	}
	if len(name) < 3 {
		return bapi.InputError(op, "Name", "must be at least 3 characters long")
	}
	if strings.TrimSpace(name) != name {
		return bapi.InputError(op, "Name", "must not start or end with spaces")
	}
	return nil
}

const maxScopes = 1000

func checkScopes(op string, scopes []string) error {
	return bapi.Texts(op, "Scopes", scopes, maxScopes)
}

// seconds converts a positive whole number of seconds.
func seconds(op, field string, d time.Duration) (*int64, error) {
	if d <= 0 || d%time.Second != 0 {
		return nil, bapi.InputError(op, field, "must be a positive number of whole seconds")
	}
	return clerk.Int64(int64(d / time.Second)), nil
}
