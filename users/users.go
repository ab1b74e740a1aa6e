// Package users manages Clerk users through the Backend API.
//
// It is a thin layer over clerk-sdk-go's user client that returns the
// official *clerk.User, validates input before any request, iterates over
// every page, merges metadata instead of replacing it, reads and writes a
// role kept in public metadata, and loads the signed-in user of a request.
//
// A Client needs a clerk.Backend: the one clerkkit.NewBackend builds
// (retries, complete *clerkerr.APIError values) or any other, such as
// clerk-sdk-go's own clerk.NewBackend. Most programs use clerkkit.New,
// whose Client.Users field is a *users.Client.
//
// Errors from the Backend API are *clerkerr.APIError values (match them
// with errors.Is against clerkerr.ErrNotFound and friends); invalid input
// fails locally with an error wrapping clerkerr.ErrInvalidInput.
//
// Role answers are cached (Options.RoleCacheTTL, default 30s), and so are
// Current's users when Options.CurrentCacheTTL is set. Every change made
// through the Client drops the user's entries once the call returns, so
// the next answer is fresh; changes made elsewhere are seen when the entry
// expires, or at once when a webhook handler calls Forget:
//
//	webhooks.On(h, webhooks.UserUpdated, func(ctx context.Context, u *clerk.User, _ *webhooks.Event) error {
//		c.Users.Forget(u.ID)
//		return nil
//	})
package users

import (
	"context"
	"errors"
	"fmt"
	"github.com/clerkkit/clerkkit/clerkerr"
	"iter"
	"net/http"
	"net/url"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/user"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/internal/bapi"
	"github.com/clerkkit/clerkkit/internal/cache"
	"github.com/clerkkit/clerkkit/metadata"
)

// DefaultRoleKey is the public metadata key Role and SetRole use by
// default.
const DefaultRoleKey = "role"

// DefaultCurrentCacheSize bounds the Current cache when it is on and
// Options.CurrentCacheSize is 0.
const DefaultCurrentCacheSize = 10_000

// DefaultRoleCacheTTL is how long Role reuses a role it looked up, when
// Options.RoleCacheTTL is 0.
const DefaultRoleCacheTTL = 30 * time.Second

// DefaultRoleCacheSize bounds the Role cache when Options.RoleCacheSize is
// 0.
const DefaultRoleCacheSize = 10_000

// Options tunes a Client. The zero value is ready to use.
type Options struct {
	// RoleKey is the public_metadata key holding the user's application
	// role, for Role and SetRole. Default "role".
	RoleKey string
	// CurrentCacheTTL, when positive, turns on a cache of the users
	// returned by Current, kept this long. Keep it short (seconds): a user
	// changed elsewhere is seen only once the entry expires (changes made
	// through this Client drop the entry at once). Concurrent misses for
	// one user make a single Backend API call whether or not the cache is
	// on. Default 0: off.
	CurrentCacheTTL time.Duration
	// CurrentCacheSize bounds the number of cached users. Default 10 000.
	CurrentCacheSize int
	// RoleCacheTTL is how long Role (and so middleware.RequireRole over
	// this Client) reuses a role it looked up. Default 30s. Changes made
	// through this Client, and Forget, drop the entry at once; a role
	// changed elsewhere (the Dashboard, another service) is seen once the
	// entry expires, or at once if a user.updated webhook handler calls
	// Forget.
	RoleCacheTTL time.Duration
	// RoleCacheSize bounds the number of cached roles. Default 10 000.
	RoleCacheSize int
	// DisableRoleCache turns the Role cache off: every Role call asks the
	// Backend API (concurrent calls for one user still share one request).
	DisableRoleCache bool
	// OnDelete, when set, is called with the user's id after Delete
	// (whether it succeeded or not: a failed call may still have deleted
	// the user), once the Client's own caches have dropped the user.
	// clerkkit.New uses it to drop the user's memberships from
	// Client.Memberships' cache.
	OnDelete func(userID string)
	// Now is the caches' clock. Default time.Now.
	Now func() time.Time
}

// Client calls the Backend API's user endpoints. It is safe for concurrent
// use.
type Client struct {
	sdk      *user.Client
	backend  clerk.Backend
	roleKey  string
	current  *cache.Cache[string, *clerk.User]
	roles    *cache.Cache[string, string]
	onDelete func(userID string)
}

// New returns a Client calling the Backend API through b, tuned by o (the
// zero Options for the defaults). It panics if b is nil.
func New(b clerk.Backend, o Options) *Client {
	b = bapi.Wrap(b)
	if o.RoleKey == "" {
		o.RoleKey = DefaultRoleKey
	}
	size := o.CurrentCacheSize
	if size <= 0 {
		size = DefaultCurrentCacheSize
	}
	roleTTL := o.RoleCacheTTL
	if roleTTL <= 0 {
		roleTTL = DefaultRoleCacheTTL
	}
	if o.DisableRoleCache {
		roleTTL = 0
	}
	roleSize := o.RoleCacheSize
	if roleSize <= 0 {
		roleSize = DefaultRoleCacheSize
	}
	return &Client{
		sdk:      &user.Client{Backend: b},
		backend:  b,
		roleKey:  o.RoleKey,
		current:  cache.New[string, *clerk.User](o.CurrentCacheTTL, size, o.Now),
		roles:    cache.New[string, string](roleTTL, roleSize, o.Now),
		onDelete: o.OnDelete,
	}
}

// SDK returns clerk-sdk-go's user client over the same backend, for the
// endpoints this package does not wrap.
func (c *Client) SDK() *user.Client { return c.sdk }

// Get returns the user with the given id.
func (c *Client) Get(ctx context.Context, userID string) (*clerk.User, error) {
	if err := bapi.ID("users.Get", "userID", userID); err != nil {
		return nil, err
	}
	return c.sdk.Get(ctx, userID)
}

// Current returns the signed-in user of the request: the user of the
// session that auth.FromContext finds in ctx (put there by the middleware
// package). It returns an error wrapping clerkerr.ErrUnauthenticated when there is
// none. With Options.CurrentCacheTTL set, the user may come from the
// cache; the returned value is then shared, so do not modify it.
func (c *Client) Current(ctx context.Context) (*clerk.User, error) {
	s, ok := auth.FromContext(ctx)
	if !ok || s.UserID == "" {
		return nil, fmt.Errorf("users.Current: %w", clerkerr.ErrUnauthenticated)
	}
	if err := bapi.ID("users.Current", "session user id", s.UserID); err != nil {
		return nil, err
	}
	return c.current.Get(ctx, s.UserID, func(ctx context.Context) (*clerk.User, error) {
		return c.sdk.Get(ctx, s.UserID)
	})
}

// Forget drops what the Client has cached about the user (the role Role
// returns and the user Current returns), so the next lookup asks the
// Backend API. A lookup already in flight still answers its callers but
// does not refill the cache.
//
// Changes made through this Client (SetRole, UpdateMetadata,
// ReplaceMetadata, Update, Delete, Ban, Unban, Lock, Unlock) do this
// themselves, after the call. Call Forget for changes made elsewhere (the
// Dashboard, another service, clerk-sdk-go clients, including SDK()),
// typically from the handler of the user.updated and user.deleted webhooks;
// without it they are seen once the entry expires (Options.RoleCacheTTL,
// Options.CurrentCacheTTL).
func (c *Client) Forget(userID string) {
	c.roles.Invalidate(userID)
	c.current.Invalidate(userID)
}

// Delete deletes the user. It drops the user from the Client's caches,
// and calls Options.OnDelete.
func (c *Client) Delete(ctx context.Context, userID string) error {
	if err := bapi.ID("users.Delete", "userID", userID); err != nil {
		return err
	}
	defer func() {
		c.Forget(userID)
		if c.onDelete != nil {
			c.onDelete(userID)
		}
	}()
	_, err := c.sdk.Delete(ctx, userID)
	return err
}

// Ban marks the user as banned: their sessions are revoked and they can no
// longer sign in.
func (c *Client) Ban(ctx context.Context, userID string) (*clerk.User, error) {
	return c.action(ctx, "users.Ban", userID, c.sdk.Ban)
}

// Unban lifts a ban.
func (c *Client) Unban(ctx context.Context, userID string) (*clerk.User, error) {
	return c.action(ctx, "users.Unban", userID, c.sdk.Unban)
}

// Lock locks the user out, as too many failed sign-in attempts would.
func (c *Client) Lock(ctx context.Context, userID string) (*clerk.User, error) {
	return c.action(ctx, "users.Lock", userID, c.sdk.Lock)
}

// Unlock lifts a lock.
func (c *Client) Unlock(ctx context.Context, userID string) (*clerk.User, error) {
	return c.action(ctx, "users.Unlock", userID, c.sdk.Unlock)
}

func (c *Client) action(ctx context.Context, op, userID string, f func(context.Context, string) (*clerk.User, error)) (*clerk.User, error) {
	if err := bapi.ID(op, "userID", userID); err != nil {
		return nil, err
	}
	defer c.Forget(userID)
	return f(ctx, userID)
}

// ListParams filters and pages user lists. The zero value lists everyone.
// Every filter is optional; list filters accept at most 100 values.
type ListParams struct {
	// Limit is the page size, 1..500; 0 means the API's default (10) for
	// List and 500 for All. Any other value is an error.
	Limit int
	// Offset skips that many users.
	Offset int
	// StartingAfter is a cursor: the id of the last user of the previous
	// page; the page starts after it. It needs a created_at order (the
	// default) and no Offset.
	StartingAfter string
	// OrderBy sorts, e.g. "-created_at" (the default), "+email_address",
	// "last_sign_in_at".
	OrderBy string
	// Query matches email addresses, phone numbers, usernames, web3
	// wallets, user ids, first and last names, partially.
	Query string
	// EmailAddressQuery, PhoneNumberQuery, UsernameQuery and NameQuery match
	// one attribute partially and case-insensitively.
	EmailAddressQuery, PhoneNumberQuery, UsernameQuery, NameQuery string
	// EmailAddresses, PhoneNumbers, Usernames, ExternalIDs, Web3Wallets and
	// UserIDs match exactly.
	EmailAddresses, PhoneNumbers, Usernames, ExternalIDs, Web3Wallets []string
	UserIDs                                                           []string
	// OrganizationIDs keeps members of these organizations.
	OrganizationIDs []string
	// Banned, when set, keeps only banned (true) or unbanned (false) users.
	Banned *bool
	// CreatedAfter, CreatedBefore, LastActiveAfter and LastActiveBefore
	// bound the dates, when not zero (millisecond precision).
	CreatedAfter, CreatedBefore, LastActiveAfter, LastActiveBefore time.Time
}

const maxFilterValues = 100

func (p ListParams) sdk(op string) (*user.ListParams, error) {
	if err := bapi.Page(op, p.Limit, p.Offset); err != nil {
		return nil, err
	}
	for field, v := range map[string]string{
		"OrderBy": p.OrderBy, "Query": p.Query, "EmailAddressQuery": p.EmailAddressQuery,
		"PhoneNumberQuery": p.PhoneNumberQuery, "UsernameQuery": p.UsernameQuery, "NameQuery": p.NameQuery,
	} {
		if err := bapi.Text(op, field, v, false, 1024); err != nil {
			return nil, err
		}
	}
	for field, vs := range map[string][]string{
		"EmailAddresses": p.EmailAddresses, "PhoneNumbers": p.PhoneNumbers, "Usernames": p.Usernames,
		"ExternalIDs": p.ExternalIDs, "Web3Wallets": p.Web3Wallets,
	} {
		if err := bapi.Texts(op, field, vs, maxFilterValues); err != nil {
			return nil, err
		}
	}
	if err := bapi.IDs(op, "UserIDs", p.UserIDs, maxFilterValues); err != nil {
		return nil, err
	}
	if p.StartingAfter != "" {
		if err := bapi.ID(op, "StartingAfter", p.StartingAfter); err != nil {
			return nil, err
		}
		if p.Offset != 0 {
			return nil, bapi.InputError(op, "StartingAfter", "cannot be combined with Offset")
		}
		if !createdAtOrder(p.OrderBy) {
			return nil, bapi.InputError(op, "StartingAfter", "needs a created_at OrderBy")
		}
	}
	// Organization ids may carry a leading '+' or '-' (include/exclude).
	for _, id := range p.OrganizationIDs {
		if len(id) > 0 && (id[0] == '+' || id[0] == '-') {
			id = id[1:]
		}
		if err := bapi.ID(op, "OrganizationIDs", id); err != nil {
			return nil, err
		}
	}
	if len(p.OrganizationIDs) > maxFilterValues {
		return nil, bapi.InputError(op, "OrganizationIDs", "accepts at most 100 values")
	}
	q := &user.ListParams{
		EmailAddresses:  p.EmailAddresses,
		PhoneNumbers:    p.PhoneNumbers,
		Usernames:       p.Usernames,
		ExternalIDs:     p.ExternalIDs,
		Web3Wallets:     p.Web3Wallets,
		UserIDs:         p.UserIDs,
		OrganizationIDs: p.OrganizationIDs,
		Banned:          p.Banned,
	}
	bapi.SetPage(&q.ListParams, p.Limit, p.Offset)
	q.OrderBy = optString(p.OrderBy)
	q.Query = optString(p.Query)
	q.EmailAddressQuery = optString(p.EmailAddressQuery)
	q.PhoneNumberQuery = optString(p.PhoneNumberQuery)
	q.UsernameQuery = optString(p.UsernameQuery)
	q.NameQuery = optString(p.NameQuery)
	q.CreatedAtAfter = optMillis(p.CreatedAfter)
	q.CreatedAtBefore = optMillis(p.CreatedBefore)
	q.LastActiveAtAfter = optMillis(p.LastActiveAfter)
	q.LastActiveAtBefore = optMillis(p.LastActiveBefore)
	return q, nil
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optMillis(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	return clerk.Int64(t.UnixMilli())
}

// userPage is GET /users' bare array.
type userPage []*clerk.User

func (*userPage) Read(*clerk.APIResponse) {}

// List returns one page of users (one Backend API call; use Count for the
// total, All for every page).
func (c *Client) List(ctx context.Context, p ListParams) ([]*clerk.User, error) {
	q, err := p.sdk("users.List")
	if err != nil {
		return nil, err
	}
	return c.page(ctx, &listQuery{ListParams: q, startingAfter: p.StartingAfter})
}

// listQuery is GET /users' query: clerk-sdk-go's parameters plus the
// starting_after cursor, which v2.4.2 does not know.
type listQuery struct {
	*user.ListParams
	startingAfter string
}

func (q *listQuery) ToQuery() url.Values {
	v := q.ListParams.ToQuery()
	if q.startingAfter != "" {
		v.Set("starting_after", q.startingAfter)
	}
	return v
}

func (c *Client) page(ctx context.Context, q *listQuery) ([]*clerk.User, error) {
	req := clerk.NewAPIRequest(http.MethodGet, "/users")
	req.SetParams(q)
	var page userPage
	if err := c.backend.Call(ctx, req, &page); err != nil {
		return nil, err
	}
	return page, nil
}

// All iterates over every user matching p, fetching pages of p.Limit
// (default 500, the most the API serves) from p.Offset (or after
// p.StartingAfter) on. It stops at the first error, which it yields, and
// when the loop breaks:
//
//	for u, err := range c.All(ctx, users.ListParams{Query: "ann"}) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(u.ID)
//	}
//
// With the default order (newest first) or any created_at order, pages
// after the first are read with the starting_after cursor, as the Backend
// API recommends: each page costs the same however deep, and users created
// or deleted meanwhile do not shift later pages. Other orders page by
// offset, which is slower deep into a large list and can skip or repeat
// users that change meanwhile.
func (c *Client) All(ctx context.Context, p ListParams) iter.Seq2[*clerk.User, error] {
	q, err := p.sdk("users.All")
	if err != nil {
		return bapi.Fail[*clerk.User](err)
	}
	limit := p.Limit
	if limit == 0 {
		limit = bapi.MaxLimit
	}
	cursor := createdAtOrder(p.OrderBy)
	return func(yield func(*clerk.User, error) bool) {
		page := *q
		page.Limit = clerk.Int64(int64(limit))
		offset, after := p.Offset, p.StartingAfter
		for {
			if err := ctx.Err(); err != nil {
				yield(nil, err)
				return
			}
			page.Offset = nil
			if offset > 0 {
				page.Offset = clerk.Int64(int64(offset))
			}
			items, err := c.page(ctx, &listQuery{ListParams: &page, startingAfter: after})
			if err != nil {
				yield(nil, err)
				return
			}
			for _, u := range items {
				if !yield(u, nil) {
					return
				}
			}
			if len(items) < limit {
				return
			}
			if last := items[len(items)-1]; cursor && last != nil && last.ID != "" {
				offset, after = 0, last.ID
			} else {
				offset += len(items)
			}
		}
	}
}

// createdAtOrder reports whether order sorts by created_at, the only order
// the starting_after cursor works with.
func createdAtOrder(order string) bool {
	switch order {
	case "", "created_at", "+created_at", "-created_at":
		return true
	}
	return false
}

// Count returns the number of users matching p (Limit, Offset, OrderBy and
// StartingAfter are ignored).
func (c *Client) Count(ctx context.Context, p ListParams) (int64, error) {
	p.Limit, p.Offset, p.OrderBy, p.StartingAfter = 0, 0, "", ""
	q, err := p.sdk("users.Count")
	if err != nil {
		return 0, err
	}
	n, err := c.sdk.Count(ctx, q)
	if err != nil {
		return 0, err
	}
	return n.TotalCount, nil
}

// CreateParams describes a new user. Which identifiers and whether a
// password are required depends on the instance's settings; the API says
// what is missing.
type CreateParams struct {
	EmailAddresses []string
	PhoneNumbers   []string
	Username       string
	// Password is checked by Clerk unless SkipPasswordChecks;
	// SkipPasswordRequirement creates a user without one.
	Password                string
	SkipPasswordChecks      bool
	SkipPasswordRequirement bool
	// PasswordDigest and PasswordHasher import an existing hash instead.
	PasswordDigest, PasswordHasher string
	FirstName, LastName            string
	ExternalID                     string
	// PublicMetadata, PrivateMetadata and UnsafeMetadata are any values
	// encoding as JSON objects (maps, structs, json.RawMessage), or nil.
	PublicMetadata, PrivateMetadata, UnsafeMetadata any
	// CreatedAt backdates the user (imports), when not zero.
	CreatedAt time.Time
}

// Create creates a user.
func (c *Client) Create(ctx context.Context, p CreateParams) (*clerk.User, error) {
	const op = "users.Create"
	for _, e := range p.EmailAddresses {
		if err := bapi.Email(op, "EmailAddresses", e); err != nil {
			return nil, err
		}
	}
	if err := bapi.Texts(op, "PhoneNumbers", p.PhoneNumbers, maxFilterValues); err != nil {
		return nil, err
	}
	for field, v := range map[string]string{
		"Username": p.Username, "Password": p.Password, "PasswordDigest": p.PasswordDigest,
		"PasswordHasher": p.PasswordHasher, "FirstName": p.FirstName, "LastName": p.LastName, "ExternalID": p.ExternalID,
	} {
		if err := bapi.Text(op, field, v, false, 4096); err != nil {
			return nil, err
		}
	}
	q := &user.CreateParams{
		Username:       optString(p.Username),
		Password:       optString(p.Password),
		PasswordDigest: optString(p.PasswordDigest),
		PasswordHasher: optString(p.PasswordHasher),
		FirstName:      optString(p.FirstName),
		LastName:       optString(p.LastName),
		ExternalID:     optString(p.ExternalID),
	}
	if len(p.EmailAddresses) > 0 {
		q.EmailAddresses = &p.EmailAddresses
	}
	if len(p.PhoneNumbers) > 0 {
		q.PhoneNumbers = &p.PhoneNumbers
	}
	if p.SkipPasswordChecks {
		q.SkipPasswordChecks = clerk.Bool(true)
	}
	if p.SkipPasswordRequirement {
		q.SkipPasswordRequirement = clerk.Bool(true)
	}
	if !p.CreatedAt.IsZero() {
		q.CreatedAt = clerk.String(p.CreatedAt.UTC().Format(time.RFC3339))
	}
	var err error
	if q.PublicMetadata, err = bapi.Object(op, "PublicMetadata", p.PublicMetadata); err != nil {
		return nil, err
	}
	if q.PrivateMetadata, err = bapi.Object(op, "PrivateMetadata", p.PrivateMetadata); err != nil {
		return nil, err
	}
	if q.UnsafeMetadata, err = bapi.Object(op, "UnsafeMetadata", p.UnsafeMetadata); err != nil {
		return nil, err
	}
	return c.sdk.Create(ctx, q)
}

// UpdateParams changes a user's attributes; nil fields are left as they
// are. Metadata is changed with UpdateMetadata or ReplaceMetadata.
type UpdateParams struct {
	FirstName, LastName, Username, ExternalID   *string
	PrimaryEmailAddressID, PrimaryPhoneNumberID *string
	// Password sets a new password; SkipPasswordChecks skips Clerk's
	// checks on it and SignOutOfOtherSessions ends the user's other
	// sessions.
	Password                  *string
	SkipPasswordChecks        bool
	SignOutOfOtherSessions    bool
	DeleteSelfEnabled         *bool
	CreateOrganizationEnabled *bool
	CreateOrganizationsLimit  *int
}

// Update changes the user's attributes.
func (c *Client) Update(ctx context.Context, userID string, p UpdateParams) (*clerk.User, error) {
	const op = "users.Update"
	if err := bapi.ID(op, "userID", userID); err != nil {
		return nil, err
	}
	for field, v := range map[string]*string{
		"FirstName": p.FirstName, "LastName": p.LastName, "Username": p.Username, "ExternalID": p.ExternalID,
		"Password": p.Password,
	} {
		if v != nil {
			if err := bapi.Text(op, field, *v, false, 4096); err != nil {
				return nil, err
			}
		}
	}
	for field, v := range map[string]*string{"PrimaryEmailAddressID": p.PrimaryEmailAddressID, "PrimaryPhoneNumberID": p.PrimaryPhoneNumberID} {
		if v != nil {
			if err := bapi.ID(op, field, *v); err != nil {
				return nil, err
			}
		}
	}
	q := &user.UpdateParams{
		FirstName:                 p.FirstName,
		LastName:                  p.LastName,
		Username:                  p.Username,
		ExternalID:                p.ExternalID,
		PrimaryEmailAddressID:     p.PrimaryEmailAddressID,
		PrimaryPhoneNumberID:      p.PrimaryPhoneNumberID,
		Password:                  p.Password,
		DeleteSelfEnabled:         p.DeleteSelfEnabled,
		CreateOrganizationEnabled: p.CreateOrganizationEnabled,
		CreateOrganizationsLimit:  p.CreateOrganizationsLimit,
	}
	if p.SkipPasswordChecks {
		q.SkipPasswordChecks = clerk.Bool(true)
	}
	if p.SignOutOfOtherSessions {
		q.SignOutOfOtherSessions = clerk.Bool(true)
	}
	defer c.Forget(userID)
	return c.sdk.Update(ctx, userID, q)
}

// Metadata holds new values for a user's three metadata objects. Each is
// any value encoding as a JSON object, or nil to leave that object alone:
// a *metadata.Patch (built with Set and Remove), a map, a struct, a
// json.RawMessage.
type Metadata struct {
	// Public is readable by the frontend and the backend.
	Public any
	// Private is readable by the backend only.
	Private any
	// Unsafe is writable by the frontend too: never trust it.
	Unsafe any
}

func (m Metadata) sdk(op, userID string) (*user.UpdateMetadataParams, error) {
	if err := bapi.ID(op, "userID", userID); err != nil {
		return nil, err
	}
	var q user.UpdateMetadataParams
	var err error
	if q.PublicMetadata, err = bapi.Object(op, "Public", m.Public); err != nil {
		return nil, err
	}
	if q.PrivateMetadata, err = bapi.Object(op, "Private", m.Private); err != nil {
		return nil, err
	}
	if q.UnsafeMetadata, err = bapi.Object(op, "Unsafe", m.Unsafe); err != nil {
		return nil, err
	}
	if q.PublicMetadata == nil && q.PrivateMetadata == nil && q.UnsafeMetadata == nil {
		return nil, bapi.InputError(op, "", "no metadata to write")
	}
	return &q, nil
}

// UpdateMetadata deep-merges m into the user's metadata (PATCH
// /users/{id}/metadata): nested objects merge, other values replace, and a
// key set to null (nil in a map) is removed, at any depth. Keys not
// mentioned are kept.
func (c *Client) UpdateMetadata(ctx context.Context, userID string, m Metadata) (*clerk.User, error) {
	const op = "users.UpdateMetadata"
	q, err := m.sdk(op, userID)
	if err != nil {
		return nil, err
	}
	defer c.Forget(userID)
	return c.sdk.UpdateMetadata(ctx, userID, q)
}

// ReplaceMetadata replaces each non-nil metadata object of m wholesale
// (PUT /users/{id}/metadata): keys it does not mention are gone. Objects
// left nil are unchanged. Pass map[string]any{} to empty one. Prefer
// UpdateMetadata: a replace overwrites whatever another writer just set.
func (c *Client) ReplaceMetadata(ctx context.Context, userID string, m Metadata) (*clerk.User, error) {
	const op = "users.ReplaceMetadata"
	q, err := m.sdk(op, userID)
	if err != nil {
		return nil, err
	}
	defer c.Forget(userID)
	req := clerk.NewAPIRequest(http.MethodPut, "/users/"+userID+"/metadata")
	req.SetParams(q)
	out := &clerk.User{}
	if err := c.backend.Call(ctx, req, out); err != nil {
		return nil, err
	}
	return out, nil
}

// Role returns the user's application role: the string at the role key
// (Options.RoleKey, default "role") of their public metadata, "" when
// unset. A value that is not a string is an error.
//
// The answer is cached for Options.RoleCacheTTL (default 30s) and
// concurrent calls for one user share one request. Changes made through
// this Client are seen at once; changes made elsewhere once the entry
// expires, or at once after Forget.
func (c *Client) Role(ctx context.Context, userID string) (string, error) {
	if err := bapi.ID("users.Role", "userID", userID); err != nil {
		return "", err
	}
	return c.roles.Get(ctx, userID, func(ctx context.Context) (string, error) {
		u, err := c.sdk.Get(ctx, userID)
		if err != nil {
			return "", err
		}
		return RoleOf(u, c.roleKey)
	})
}

// RoleOf returns the string at key in u's public metadata, "" when the key
// is absent or null. It makes no call.
func RoleOf(u *clerk.User, key string) (string, error) {
	if u == nil {
		return "", nil
	}
	role, err := metadata.Get[string](u.PublicMetadata, key)
	if errors.Is(err, metadata.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("users: role of %s: %w", u.ID, err)
	}
	return role, nil
}

// SetRole sets the user's application role in public metadata, merging:
// other metadata keys are untouched. An empty role removes the key.
func (c *Client) SetRole(ctx context.Context, userID, role string) error {
	const op = "users.SetRole"
	if err := bapi.ID(op, "userID", userID); err != nil {
		return err
	}
	if err := bapi.Text(op, "role", role, false, 256); err != nil {
		return err
	}
	p := metadata.NewPatch()
	if role == "" {
		p.Remove(c.roleKey)
	} else {
		p.Set(role, c.roleKey)
	}
	_, err := c.UpdateMetadata(ctx, userID, Metadata{Public: p})
	return err
}
