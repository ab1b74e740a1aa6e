// Package sessions reads, lists and revokes Clerk sessions and mints their
// tokens through the Backend API.
//
// It is a thin layer over clerk-sdk-go's session client that returns the
// official *clerk.Session, validates input before any request (errors wrap
// clerkerr.ErrInvalidInput), and iterates over every page of a user's or a
// client's sessions. Session ids must be sess_… ids, so a session token
// pasted where an id belongs fails before it can land in a URL.
//
// A Client needs a clerk.Backend: the one clerkkit.NewBackend builds
// (retries, complete *clerkerr.APIError values) or any other. Most programs
// use clerkkit.New, whose Client.Sessions field is a *sessions.Client.
// Errors from the Backend API are *clerkerr.APIError values (match them
// with errors.Is against clerkerr.ErrNotFound and friends).
//
// Verifying a session token that a request presents is package auth's
// job, not this one's: it needs no Backend API call.
package sessions

import (
	"context"
	"iter"
	"slices"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/session"

	"github.com/clerkkit/clerkkit/internal/bapi"
)

// The prefixes of the ids a Client takes.
const (
	// IDPrefix begins a session's id.
	IDPrefix = "sess_"
	// UserPrefix and ClientPrefix begin the ids of the users and the
	// clients (browsers, devices) sessions belong to.
	UserPrefix   = "user_"
	ClientPrefix = "client_"
)

// The statuses a session can have, for ListParams.Status.
const (
	StatusActive    = "active"
	StatusAbandoned = "abandoned"
	StatusEnded     = "ended"
	StatusExpired   = "expired"
	StatusRemoved   = "removed"
	StatusReplaced  = "replaced"
	StatusRevoked   = "revoked"
)

var statuses = []string{StatusActive, StatusAbandoned, StatusEnded, StatusExpired, StatusRemoved, StatusReplaced, StatusRevoked}

// Bounds of a token's lifetime (expires_in_seconds).
const (
	MinTokenLifetime = 30 * time.Second
	MaxTokenLifetime = 315360000 * time.Second
)

// Client calls the Backend API's session endpoints. It is safe for
// concurrent use.
type Client struct {
	sdk *session.Client
}

// Options tunes a Client. The zero value is ready to use; it has no
// fields yet and exists so New has the signature of the other packages'.
type Options struct{}

// New returns a Client calling the Backend API through b, tuned by o (the
// zero Options for the defaults). It panics if b is nil.
func New(b clerk.Backend, o Options) *Client {
	return &Client{sdk: &session.Client{Backend: bapi.Wrap(b)}}
}

// SDK returns clerk-sdk-go's session client over the same backend, for
// the endpoints this package does not wrap.
func (c *Client) SDK() *session.Client { return c.sdk }

// Get returns the session with the given id (sess_…).
func (c *Client) Get(ctx context.Context, sessionID string) (*clerk.Session, error) {
	if err := checkID("sessions.Get", sessionID); err != nil {
		return nil, err
	}
	return c.sdk.Get(ctx, sessionID)
}

// Revoke revokes the session: its user is signed out on every device
// using it, and its tokens stop being refreshed (those already issued
// stay valid until they expire, 60 s by default; see package auth). A
// session that is no longer active is returned as it is.
func (c *Client) Revoke(ctx context.Context, sessionID string) (*clerk.Session, error) {
	if err := checkID("sessions.Revoke", sessionID); err != nil {
		return nil, err
	}
	return c.sdk.Revoke(ctx, &session.RevokeParams{ID: sessionID})
}

// ListParams filters and pages sessions. At least one of UserID and
// ClientID is required, as the Backend API asks.
type ListParams struct {
	// UserID keeps the sessions of that user (user_…).
	UserID string
	// ClientID keeps the sessions of that client (client_…).
	ClientID string
	// Status keeps the sessions with that status (StatusActive, …);
	// empty keeps all.
	Status string
	// Limit is the page size, 1..500; 0 means the API's default (10) for
	// List and 500 for All.
	Limit int
	// Offset skips that many sessions.
	Offset int
}

func (p ListParams) sdk(op string) (*session.ListParams, error) {
	if p.UserID == "" && p.ClientID == "" {
		return nil, bapi.InputError(op, "UserID", "or ClientID is required")
	}
	q := &session.ListParams{}
	if p.UserID != "" {
		if err := bapi.Prefixed(op, "UserID", p.UserID, UserPrefix); err != nil {
			return nil, err
		}
		q.UserID = clerk.String(p.UserID)
	}
	if p.ClientID != "" {
		if err := bapi.Prefixed(op, "ClientID", p.ClientID, ClientPrefix); err != nil {
			return nil, err
		}
		q.ClientID = clerk.String(p.ClientID)
	}
	if p.Status != "" {
		if !slices.Contains(statuses, p.Status) {
			return nil, bapi.InputError(op, "Status", "must be one of active, abandoned, ended, expired, removed, replaced, revoked")
		}
		q.Status = clerk.String(p.Status)
	}
	if err := bapi.Page(op, p.Limit, p.Offset); err != nil {
		return nil, err
	}
	bapi.SetPage(&q.ListParams, p.Limit, p.Offset)
	return q, nil
}

// List returns one page of the sessions matching p, newest first, with
// the total count. Clerk drops old inactive sessions after a while: they
// are not listed.
func (c *Client) List(ctx context.Context, p ListParams) (*clerk.SessionList, error) {
	q, err := p.sdk("sessions.List")
	if err != nil {
		return nil, err
	}
	return c.sdk.List(ctx, q)
}

// All iterates over every session matching p, in pages of p.Limit
// (default 500) from p.Offset on. It stops at the first error, which it
// yields, and when the loop breaks.
func (c *Client) All(ctx context.Context, p ListParams) iter.Seq2[*clerk.Session, error] {
	q, err := p.sdk("sessions.All")
	if err != nil {
		return bapi.Fail[*clerk.Session](err)
	}
	return bapi.All(ctx, p.Limit, p.Offset, func(ctx context.Context, limit, offset int) ([]*clerk.Session, int64, error) {
		page := *q
		bapi.SetPage(&page.ListParams, limit, offset)
		list, err := c.sdk.List(ctx, &page)
		if err != nil {
			return nil, 0, err
		}
		return list.Sessions, list.TotalCount, nil
	})
}

// Token returns a new session token for the active session, a JWT as
// Clerk's front end would send it. ttl is its lifetime: 0 for the
// instance's default (60 s), otherwise whole seconds within
// MinTokenLifetime..MaxTokenLifetime.
func (c *Client) Token(ctx context.Context, sessionID string, ttl time.Duration) (string, error) {
	return c.token(ctx, "sessions.Token", sessionID, "", ttl)
}

// TemplateToken returns a JWT for the active session minted from the JWT
// template called templateName (see package jwttemplates), as
// getToken({ template }) does in Clerk's front end. ttl overrides the
// template's lifetime: 0 keeps it, otherwise whole seconds within
// MinTokenLifetime..MaxTokenLifetime. templateName goes into the URL
// path, so it must consist of letters, digits, '_', '-', '.' and '~'.
func (c *Client) TemplateToken(ctx context.Context, sessionID, templateName string, ttl time.Duration) (string, error) {
	const op = "sessions.TemplateToken"
	if err := bapi.ID(op, "templateName", templateName); err != nil {
		return "", err
	}
	return c.token(ctx, op, sessionID, templateName, ttl)
}

func (c *Client) token(ctx context.Context, op, sessionID, template string, ttl time.Duration) (string, error) {
	if err := checkID(op, sessionID); err != nil {
		return "", err
	}
	p := &session.CreateTokenParams{ID: sessionID, TemplateName: template}
	if ttl != 0 {
		if ttl < MinTokenLifetime || ttl > MaxTokenLifetime || ttl%time.Second != 0 {
			return "", bapi.InputError(op, "ttl", "must be 0 or whole seconds from 30s to 315360000s")
		}
		p.ExpiresInSeconds = clerk.Int64(int64(ttl / time.Second))
	}
	tok, err := c.sdk.CreateToken(ctx, p)
	if err != nil {
		return "", err
	}
	return tok.JWT, nil
}

func checkID(op, sessionID string) error {
	return bapi.Prefixed(op, "sessionID", sessionID, IDPrefix)
}
