// Package emailaddresses manages users' email addresses through the
// Backend API: add one to a user, read it, mark it verified or primary,
// remove it.
//
// It is a thin layer over clerk-sdk-go's email address client that returns
// the official *clerk.EmailAddress and validates input before any request
// (errors wrap clerkerr.ErrInvalidInput). Most programs use clerkkit.New,
// whose Client.EmailAddresses field is a *emailaddresses.Client. Errors
// from the Backend API are *clerkerr.APIError values (match them with
// errors.Is against clerkerr.ErrNotFound and friends).
package emailaddresses

import (
	"context"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/emailaddress"

	"github.com/clerkkit/clerkkit/internal/bapi"
)

// IDPrefix begins an email address's id.
const IDPrefix = "idn_"

// Client calls the Backend API's email address endpoints. It is safe for
// concurrent use.
type Client struct {
	sdk *emailaddress.Client
}

// Options tunes a Client. The zero value is ready to use; it has no
// fields yet and exists so New has the signature of the other packages'.
type Options struct{}

// New returns a Client calling the Backend API through b, tuned by o (the
// zero Options for the defaults). It panics if b is nil.
func New(b clerk.Backend, o Options) *Client {
	return &Client{sdk: &emailaddress.Client{Backend: bapi.Wrap(b)}}
}

// SDK returns clerk-sdk-go's email address client over the same backend.
func (c *Client) SDK() *emailaddress.Client { return c.sdk }

// CreateParams describes an email address to add to a user.
type CreateParams struct {
	// UserID is the user (user_…), required.
	UserID string
	// EmailAddress is the address, required.
	EmailAddress string
	// Verified marks it verified at once (no code is sent).
	Verified bool
	// Primary makes it the user's primary address.
	Primary bool
}

// Create adds an email address to a user.
func (c *Client) Create(ctx context.Context, p CreateParams) (*clerk.EmailAddress, error) {
	const op = "emailaddresses.Create"
	if err := bapi.Prefixed(op, "UserID", p.UserID, "user_"); err != nil {
		return nil, err
	}
	if err := bapi.Email(op, "EmailAddress", p.EmailAddress); err != nil {
		return nil, err
	}
	q := &emailaddress.CreateParams{UserID: clerk.String(p.UserID), EmailAddress: clerk.String(p.EmailAddress)}
	if p.Verified {
		q.Verified = clerk.Bool(true)
	}
	if p.Primary {
		q.Primary = clerk.Bool(true)
	}
	return c.sdk.Create(ctx, q)
}

// Get returns the email address with the given id (idn_…).
func (c *Client) Get(ctx context.Context, emailAddressID string) (*clerk.EmailAddress, error) {
	if err := checkID("emailaddresses.Get", emailAddressID); err != nil {
		return nil, err
	}
	return c.sdk.Get(ctx, emailAddressID)
}

// UpdateParams changes an email address; nil fields are left as they are.
type UpdateParams struct {
	// Verified, when not nil, marks the address verified or not.
	Verified *bool
	// Primary, when true, makes it the user's primary address.
	Primary *bool
}

// Update changes the email address.
func (c *Client) Update(ctx context.Context, emailAddressID string, p UpdateParams) (*clerk.EmailAddress, error) {
	if err := checkID("emailaddresses.Update", emailAddressID); err != nil {
		return nil, err
	}
	return c.sdk.Update(ctx, emailAddressID, &emailaddress.UpdateParams{Verified: p.Verified, Primary: p.Primary})
}

// Delete removes the email address from its user.
func (c *Client) Delete(ctx context.Context, emailAddressID string) error {
	if err := checkID("emailaddresses.Delete", emailAddressID); err != nil {
		return err
	}
	_, err := c.sdk.Delete(ctx, emailAddressID)
	return err
}

func checkID(op, id string) error { return bapi.Prefixed(op, "emailAddressID", id, IDPrefix) }
