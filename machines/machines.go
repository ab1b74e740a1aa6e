// Package machines manages Clerk machines through the Backend API: the
// services that authenticate to each other with M2M tokens. A machine has
// a secret key (ak_…), with which it creates its M2M tokens (package
// m2mtokens), and scopes: the other machines it may call.
//
// It is a thin layer over clerk-sdk-go's machine and machinescope clients
// that returns the official *clerk.Machine… types, validates input before
// any request and iterates over every page; it rotates secret keys itself
// (v2.4.2 has no call for it).
//
// A Client needs a clerk.Backend with the instance's secret key: the one
// clerkkit.NewBackend builds (retries, complete *clerkerr.APIError values)
// or any other. Most programs use clerkkit.New, whose Client.Machines field
// is a *machines.Client. Errors from the Backend API are *clerkerr.APIError
// values; invalid input fails locally with an error wrapping
// clerkerr.ErrInvalidInput. Machine ids must start "mch_", so nothing can
// add a path segment.
package machines

import (
	"context"
	"iter"
	"net/http"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/machine"
	"github.com/clerk/clerk-sdk-go/v2/machinescope"

	"github.com/clerkkit/clerkkit/internal/bapi"
)

// IDPrefix begins every machine id.
const IDPrefix = "mch_"

// Bounds the Backend API sets.
const (
	// MaxScopes is the most machines one machine can be scoped to.
	MaxScopes = 150
	// MaxDefaultTokenTTL is the longest DefaultTokenTTL, ten years.
	MaxDefaultTokenTTL = 315360000 * time.Second
	// MaxPreviousKeyTTL is the longest a rotated-out secret key stays
	// valid, eight hours.
	MaxPreviousKeyTTL = 8 * time.Hour
)

// Client calls the Backend API's machine endpoints. It is safe for
// concurrent use.
type Client struct {
	backend clerk.Backend
	sdk     *machine.Client
	scopes  *machinescope.Client
}

// Options tunes a Client. The zero value is ready to use; it has no
// fields yet and exists so New has the signature of the other packages'.
type Options struct{}

// New returns a Client calling the Backend API through b, tuned by o (the
// zero Options for the defaults). It panics if b is nil.
func New(b clerk.Backend, o Options) *Client {
	b = bapi.Wrap(b)
	return &Client{backend: b, sdk: &machine.Client{Backend: b}, scopes: &machinescope.Client{Backend: b}}
}

// SDK returns clerk-sdk-go's machine client over the same backend.
func (c *Client) SDK() *machine.Client { return c.sdk }

// CreateParams describes a new machine.
type CreateParams struct {
	// Name is required, at most 255 bytes.
	Name string
	// ScopedMachines are the ids of the machines the new one may call, at
	// most 150.
	ScopedMachines []string
	// DefaultTokenTTL is the lifetime of the machine's M2M tokens when
	// they do not set one: whole seconds, 1s to 10 years; 0 means the
	// API's default (one hour).
	DefaultTokenTTL time.Duration
}

// Create creates a machine and returns it with its secret key, which the
// machine needs to create M2M tokens (SecretKey fetches it later).
func (c *Client) Create(ctx context.Context, p CreateParams) (*clerk.MachineWithScopedMachinesAndSecretKey, error) {
	const op = "machines.Create"
	if err := bapi.Text(op, "Name", p.Name, true, 255); err != nil {
		return nil, err
	}
	if len(p.ScopedMachines) > MaxScopes {
		return nil, bapi.InputError(op, "ScopedMachines", "accepts at most 150 machines")
	}
	for _, id := range p.ScopedMachines {
		if err := checkID(op, "ScopedMachines", id); err != nil {
			return nil, err
		}
	}
	q := &machine.CreateParams{Name: p.Name, ScopedMachines: p.ScopedMachines}
	if p.DefaultTokenTTL != 0 {
		ttl, err := defaultTTL(op, p.DefaultTokenTTL)
		if err != nil {
			return nil, err
		}
		q.DefaultTokenTTL = &ttl
	}
	return c.sdk.Create(ctx, q)
}

// Get returns the machine with the given id (mch_…), with the machines it
// is scoped to.
func (c *Client) Get(ctx context.Context, machineID string) (*clerk.MachineWithScopedMachines, error) {
	if err := checkID("machines.Get", "machineID", machineID); err != nil {
		return nil, err
	}
	return c.sdk.Get(ctx, machineID)
}

// ListParams filters and pages machine lists. The zero value lists every
// machine, newest first.
type ListParams struct {
	// Limit is the page size, 1..500; 0 means the API's default (10) for
	// List and 500 for All. Any other value is an error.
	Limit int
	// Offset skips that many machines.
	Offset int
	// Query matches a machine id exactly or names partially.
	Query string
	// OrderBy sorts: "name" or "created_at", prefixed with "+" or "-"
	// (the default is "-created_at").
	OrderBy string
}

func (p ListParams) sdk(op string) (*machine.ListParams, error) {
	if err := bapi.Page(op, p.Limit, p.Offset); err != nil {
		return nil, err
	}
	if err := bapi.Text(op, "Query", p.Query, false, 1024); err != nil {
		return nil, err
	}
	if err := bapi.Text(op, "OrderBy", p.OrderBy, false, 64); err != nil {
		return nil, err
	}
	q := &machine.ListParams{}
	bapi.SetPage(&q.ListParams, p.Limit, p.Offset)
	if p.Query != "" {
		q.Query = clerk.String(p.Query)
	}
	if p.OrderBy != "" {
		q.OrderBy = clerk.String(p.OrderBy)
	}
	return q, nil
}

// List returns one page of machines, with the total count.
func (c *Client) List(ctx context.Context, p ListParams) (*clerk.MachineList, error) {
	q, err := p.sdk("machines.List")
	if err != nil {
		return nil, err
	}
	return c.sdk.List(ctx, q)
}

// All iterates over every machine matching p, in pages of p.Limit
// (default 500) from p.Offset on. It stops at the first error, which it
// yields, and when the loop breaks.
func (c *Client) All(ctx context.Context, p ListParams) iter.Seq2[*clerk.MachineWithScopedMachines, error] {
	q, err := p.sdk("machines.All")
	if err != nil {
		return bapi.Fail[*clerk.MachineWithScopedMachines](err)
	}
	return bapi.All(ctx, p.Limit, p.Offset, func(ctx context.Context, limit, offset int) ([]*clerk.MachineWithScopedMachines, int64, error) {
		page := *q
		bapi.SetPage(&page.ListParams, limit, offset)
		list, err := c.sdk.List(ctx, &page)
		if err != nil {
			return nil, 0, err
		}
		return list.Machines, list.TotalCount, nil
	})
}

// UpdateParams changes a machine; zero fields are left as they are.
type UpdateParams struct {
	// Name, when not nil, renames the machine (not blank, at most 255
	// bytes).
	Name *string
	// DefaultTokenTTL, when not zero, replaces the lifetime of the
	// machine's M2M tokens: whole seconds, 1s to 10 years.
	DefaultTokenTTL time.Duration
}

// Update changes the machine.
func (c *Client) Update(ctx context.Context, machineID string, p UpdateParams) (*clerk.MachineWithScopedMachines, error) {
	const op = "machines.Update"
	if err := checkID(op, "machineID", machineID); err != nil {
		return nil, err
	}
	q := &machine.UpdateParams{Name: p.Name}
	if p.Name != nil {
		if err := bapi.Text(op, "Name", *p.Name, true, 255); err != nil {
			return nil, err
		}
	}
	if p.DefaultTokenTTL != 0 {
		ttl, err := defaultTTL(op, p.DefaultTokenTTL)
		if err != nil {
			return nil, err
		}
		q.DefaultTokenTTL = &ttl
	}
	return c.sdk.Update(ctx, machineID, q)
}

// Delete deletes the machine: its secret keys no longer authenticate.
func (c *Client) Delete(ctx context.Context, machineID string) error {
	if err := checkID("machines.Delete", "machineID", machineID); err != nil {
		return err
	}
	_, err := c.sdk.Delete(ctx, machineID)
	return err
}

// SecretKey returns the machine's current secret key. Keep it out of logs.
func (c *Client) SecretKey(ctx context.Context, machineID string) (string, error) {
	if err := checkID("machines.SecretKey", "machineID", machineID); err != nil {
		return "", err
	}
	k, err := c.sdk.GetSecretKey(ctx, machineID)
	if err != nil {
		return "", err
	}
	return k.Secret, nil
}

type rotateBody struct {
	clerk.APIParams
	PreviousTokenTTL int64 `json:"previous_token_ttl"`
}

// RotateSecretKey gives the machine a new secret key and returns it. The
// previous key keeps working for previousValid (whole seconds, 0 to 8
// hours; 0 ends it at once), time enough to deploy the new one.
func (c *Client) RotateSecretKey(ctx context.Context, machineID string, previousValid time.Duration) (string, error) {
	const op = "machines.RotateSecretKey"
	if err := checkID(op, "machineID", machineID); err != nil {
		return "", err
	}
	if previousValid < 0 || previousValid > MaxPreviousKeyTTL || previousValid%time.Second != 0 {
		return "", bapi.InputError(op, "previousValid", "must be whole seconds between 0 and 8h")
	}
	req := clerk.NewAPIRequest(http.MethodPost, "/machines/"+machineID+"/secret_key/rotate")
	req.SetParams(&rotateBody{PreviousTokenTTL: int64(previousValid / time.Second)})
	out := &clerk.MachineSecretKey{}
	if err := c.backend.Call(ctx, req, out); err != nil {
		return "", err
	}
	return out.Secret, nil
}

// AddScope lets the machine call another: its M2M tokens then carry
// toMachineID in their scopes.
func (c *Client) AddScope(ctx context.Context, machineID, toMachineID string) (*clerk.MachineScope, error) {
	const op = "machines.AddScope"
	if err := checkID(op, "machineID", machineID); err != nil {
		return nil, err
	}
	if err := checkID(op, "toMachineID", toMachineID); err != nil {
		return nil, err
	}
	return c.scopes.CreateScope(ctx, machineID, &machinescope.CreateScopeParams{ToMachineID: toMachineID})
}

// RemoveScope takes back the machine's access to another.
func (c *Client) RemoveScope(ctx context.Context, machineID, otherMachineID string) error {
	const op = "machines.RemoveScope"
	if err := checkID(op, "machineID", machineID); err != nil {
		return err
	}
	if err := checkID(op, "otherMachineID", otherMachineID); err != nil {
		return err
	}
	_, err := c.scopes.DeleteScope(ctx, machineID, otherMachineID)
	return err
}

func checkID(op, field, id string) error { return bapi.Prefixed(op, field, id, IDPrefix) }

func defaultTTL(op string, d time.Duration) (int64, error) {
	if d < time.Second || d > MaxDefaultTokenTTL || d%time.Second != 0 {
		return 0, bapi.InputError(op, "DefaultTokenTTL", "must be whole seconds between 1s and 10 years")
	}
	return int64(d / time.Second), nil
}
