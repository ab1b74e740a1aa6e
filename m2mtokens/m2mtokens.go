// Package m2mtokens manages Clerk's machine-to-machine (M2M) tokens
// through the Backend API: the tokens one machine (package machines)
// creates and sends to another as "Authorization: Bearer mt_…" (or a JWT).
//
// Which key a call authenticates with is the Backend's: Create must be
// made as the machine itself, over a Backend with the machine's secret key
// (clerkkit.NewMachineBackend), which is all a calling service needs:
//
//	b, err := clerkkit.NewMachineBackend(clerkkit.Config{SecretKey: os.Getenv("CLERK_MACHINE_SECRET_KEY")})
//	tokens := m2mtokens.New(b, m2mtokens.Options{})
//	tok, err := tokens.Create(ctx, m2mtokens.CreateParams{ExpiresIn: time.Hour})
//	req.Header.Set("Authorization", "Bearer "+tok.Token)
//
// List, All and Revoke take either key: a machine's reaches its own
// tokens, the instance's (clerkkit.New's Client.M2MTokens) every
// machine's. Verifying a token that a request presents is package auth's
// job.
//
// It is a thin layer over the endpoints clerk-sdk-go's m2m_token package
// calls, returning its *clerk.M2MToken types; it builds the create request
// itself, for the token format and reuse options v2.4.2 lacks. Input is
// validated before any request (errors wrap clerkerr.ErrInvalidInput);
// errors from the Backend API are *clerkerr.APIError values, retried as
// the rest of clerkkit's calls. A token is never part of an error.
package m2mtokens

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"

	"github.com/clerkkit/clerkkit/clerkerr"
	"github.com/clerkkit/clerkkit/internal/bapi"
)

// MaxLimit is the largest page GET /m2m_tokens serves.
const MaxLimit = 100

// Id prefixes.
const (
	// IDPrefix begins the id of an M2M token, followed by 32 hex digits
	// (an opaque token begins so too, but has another form).
	IDPrefix = "mt_"
	// MachinePrefix begins a machine's id, a token's subject.
	MachinePrefix = "mch_"
)

// Format is the form of a new token.
type Format string

// The formats Create can ask for.
const (
	// FormatOpaque is an opaque mt_… token, stored by Clerk: it can be
	// listed and revoked, and is verified with a Backend API call.
	FormatOpaque Format = "opaque"
	// FormatJWT is a JWT signed with the instance's keys: verified without
	// a call, but never listed and not revocable.
	FormatJWT Format = "jwt"
)

// Client calls the Backend API's M2M token endpoints. It is safe for
// concurrent use.
type Client struct {
	backend clerk.Backend
}

// Options tunes a Client. The zero value is ready to use; it has no
// fields yet and exists so New has the signature of the other packages'.
type Options struct{}

// New returns a Client calling the Backend API through b, tuned by o (the
// zero Options for the defaults). It panics if b is nil. For Create, b
// must authenticate with a machine's secret key: clerkkit.NewMachineBackend.
func New(b clerk.Backend, o Options) *Client {
	return &Client{backend: bapi.Wrap(b)}
}

// CreateParams describes a new token. The zero value asks for an opaque
// token living as long as the machine's default token TTL.
type CreateParams struct {
	// ExpiresIn, when not zero, is the token's lifetime: a positive number
	// of whole seconds.
	ExpiresIn time.Duration
	// Claims are optional custom claims: any value encoding as a JSON
	// object (a map, a struct, a json.RawMessage), or nil.
	Claims any
	// Format is FormatOpaque (the default when empty) or FormatJWT.
	Format Format
	// ReuseIfValidFor, when not zero, lets the API return an existing
	// opaque token of the machine with the same claims and scopes instead
	// of minting one, if it stays valid at least that long. It must be
	// whole seconds, shorter than the token's lifetime, and needs an
	// opaque Format.
	ReuseIfValidFor time.Duration
}

type createBody struct {
	clerk.APIParams
	TokenFormat            Format           `json:"token_format,omitempty"`
	SecondsUntilExpiration *int64           `json:"seconds_until_expiration,omitempty"`
	Claims                 *json.RawMessage `json:"claims,omitempty"`
	MinRemainingTTLSeconds *int64           `json:"min_remaining_ttl_seconds,omitempty"`
}

// Create creates a token for the machine whose secret key the Client's
// Backend holds, and returns it with the token itself (Token): send it as
// "Authorization: Bearer <Token>" and keep it out of logs. Over a
// clerkkit Backend with the instance's key it fails at once with an error
// wrapping clerkerr.ErrInvalidConfig; over any other, the API refuses it.
func (c *Client) Create(ctx context.Context, p CreateParams) (*clerk.M2MTokenWithToken, error) {
	const op = "m2mtokens.Create"
	if b, ok := c.backend.(*bapi.Backend); ok && !b.MachineKey() {
		return nil, fmt.Errorf("%w: %s: M2M tokens are created with a machine's secret key, not the instance's (use clerkkit.NewMachineBackend)", clerkerr.ErrInvalidConfig, op)
	}
	body := &createBody{}
	switch p.Format {
	case "":
	case FormatOpaque, FormatJWT:
		body.TokenFormat = p.Format
	default:
		return nil, bapi.InputError(op, "Format", `must be "opaque" or "jwt"`)
	}
	var err error
	if p.ExpiresIn != 0 {
		if body.SecondsUntilExpiration, err = seconds(op, "ExpiresIn", p.ExpiresIn); err != nil {
			return nil, err
		}
	}
	if p.ReuseIfValidFor != 0 {
		if p.Format == FormatJWT {
			return nil, bapi.InputError(op, "ReuseIfValidFor", "applies to opaque tokens only")
		}
		if body.MinRemainingTTLSeconds, err = seconds(op, "ReuseIfValidFor", p.ReuseIfValidFor); err != nil {
			return nil, err
		}
		if p.ExpiresIn != 0 && p.ReuseIfValidFor >= p.ExpiresIn {
			return nil, bapi.InputError(op, "ReuseIfValidFor", "must be shorter than ExpiresIn")
		}
	}
	if body.Claims, err = bapi.Object(op, "Claims", p.Claims); err != nil {
		return nil, err
	}
	req := clerk.NewAPIRequest(http.MethodPost, "/m2m_tokens")
	req.SetParams(body)
	out := &clerk.M2MTokenWithToken{}
	if err := c.backend.Call(ctx, req, out); err != nil {
		return nil, err
	}
	return out, nil
}

// ListParams filters and pages a machine's tokens. The zero value lists
// the valid ones. Only opaque tokens are listed: JWTs are not stored.
type ListParams struct {
	// Limit is the page size, 1..100; 0 means the API's default (10) for
	// List and 100 for All. Any other value is an error.
	Limit int
	// Offset skips that many tokens.
	Offset int
	// IncludeRevoked and IncludeExpired also list revoked and expired
	// tokens.
	IncludeRevoked, IncludeExpired bool
}

type listQuery struct {
	clerk.APIParams
	machineID string
	p         ListParams
}

func (q *listQuery) ToQuery() url.Values {
	v := url.Values{"subject": {q.machineID}}
	if q.p.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.p.Limit))
	}
	if q.p.Offset > 0 {
		v.Set("offset", strconv.Itoa(q.p.Offset))
	}
	if q.p.IncludeRevoked {
		v.Set("revoked", "true")
	}
	if q.p.IncludeExpired {
		v.Set("expired", "true")
	}
	return v
}

func (p ListParams) check(op, machineID string) error {
	if err := bapi.Prefixed(op, "machineID", machineID, MachinePrefix); err != nil {
		return err
	}
	return bapi.PageMax(op, p.Limit, p.Offset, MaxLimit)
}

// List returns one page of the tokens of the machine (mch_…), with the
// total count. Over a machine's key, only that machine's own tokens can
// be listed.
func (c *Client) List(ctx context.Context, machineID string, p ListParams) (*clerk.M2MTokenList, error) {
	if err := p.check("m2mtokens.List", machineID); err != nil {
		return nil, err
	}
	return c.list(ctx, machineID, p)
}

func (c *Client) list(ctx context.Context, machineID string, p ListParams) (*clerk.M2MTokenList, error) {
	req := clerk.NewAPIRequest(http.MethodGet, "/m2m_tokens")
	req.SetParams(&listQuery{machineID: machineID, p: p})
	out := &clerk.M2MTokenList{}
	if err := c.backend.Call(ctx, req, out); err != nil {
		return nil, err
	}
	return out, nil
}

// All iterates over every token of the machine matching p, in pages of
// p.Limit (default 100, the most the API serves) from p.Offset on. It
// stops at the first error, which it yields, and when the loop breaks.
func (c *Client) All(ctx context.Context, machineID string, p ListParams) iter.Seq2[*clerk.M2MToken, error] {
	if err := p.check("m2mtokens.All", machineID); err != nil {
		return bapi.Fail[*clerk.M2MToken](err)
	}
	size := p.Limit
	if size == 0 {
		size = MaxLimit
	}
	return bapi.All(ctx, size, p.Offset, func(ctx context.Context, limit, offset int) ([]*clerk.M2MToken, int64, error) {
		page := p
		page.Limit, page.Offset = limit, offset
		list, err := c.list(ctx, machineID, page)
		if err != nil {
			return nil, 0, err
		}
		return list.M2MTokens, list.TotalCount, nil
	})
}

type revokeBody struct {
	clerk.APIParams
	RevocationReason *string `json:"revocation_reason"`
}

// Revoke revokes the opaque token with the given id (mt_…; not the token
// itself) at once. reason is optional (at most 1024 bytes), for your
// records. Over a machine's key, only that machine's own tokens can be
// revoked. JWT tokens cannot be revoked.
func (c *Client) Revoke(ctx context.Context, tokenID, reason string) (*clerk.M2MToken, error) {
	const op = "m2mtokens.Revoke"
	if err := bapi.HexID(op, "tokenID", tokenID, IDPrefix); err != nil {
		return nil, err
	}
	if err := bapi.Text(op, "reason", reason, false, 1024); err != nil {
		return nil, err
	}
	body := &revokeBody{}
	if reason != "" {
		body.RevocationReason = &reason
	}
	req := clerk.NewAPIRequest(http.MethodPost, "/m2m_tokens/"+tokenID+"/revoke")
	req.SetParams(body)
	out := &clerk.M2MToken{}
	if err := c.backend.Call(ctx, req, out); err != nil {
		return nil, err
	}
	return out, nil
}

// seconds converts a positive whole number of seconds.
func seconds(op, field string, d time.Duration) (*int64, error) {
	if d <= 0 || d%time.Second != 0 {
		return nil, bapi.InputError(op, field, "must be a positive number of whole seconds")
	}
	return clerk.Int64(int64(d / time.Second)), nil
}
