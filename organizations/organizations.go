// Package organizations manages Clerk organizations and their invitations
// through the Backend API.
//
// It is a thin layer over clerk-sdk-go's organization and
// organizationinvitation clients that returns the official
// *clerk.Organization and *clerk.OrganizationInvitation, validates input
// before any request, iterates over every page and merges metadata instead
// of replacing it. Memberships are in package memberships.
//
// A Client needs a clerk.Backend: the one clerkkit.NewBackend builds or any
// other. Most programs use clerkkit.New, whose Client.Organizations field
// is a *organizations.Client. Errors from the Backend API are
// *clerkerr.APIError values; invalid input fails locally with an error
// wrapping clerkerr.ErrInvalidInput.
package organizations

import (
	"context"
	"iter"
	"net/http"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/organization"
	"github.com/clerk/clerk-sdk-go/v2/organizationinvitation"

	"github.com/clerkkit/clerkkit/internal/bapi"
)

// Client calls the Backend API's organization and organization invitation
// endpoints. It is safe for concurrent use.
type Client struct {
	backend     clerk.Backend
	sdk         *organization.Client
	invitations *organizationinvitation.Client
	onDelete    func(orgID string)
}

// Options tunes a Client. The zero value is ready to use.
type Options struct {
	// OnDelete, when set, is called with the organization's id after
	// Delete (whether it succeeded or not: a failed call may still have
	// deleted it). clerkkit.New uses it to drop the organization's
	// memberships from Client.Memberships' cache.
	OnDelete func(orgID string)
}

// New returns a Client calling the Backend API through b, tuned by o (the
// zero Options for the defaults). It panics if b is nil.
func New(b clerk.Backend, o Options) *Client {
	b = bapi.Wrap(b)
	return &Client{
		backend:     b,
		sdk:         &organization.Client{Backend: b},
		invitations: &organizationinvitation.Client{Backend: b},
		onDelete:    o.OnDelete,
	}
}

// SDK returns clerk-sdk-go's organization client over the same backend,
// for the endpoints this package does not wrap (logos, for example).
func (c *Client) SDK() *organization.Client { return c.sdk }

// InvitationsSDK returns clerk-sdk-go's organization invitation client
// over the same backend.
func (c *Client) InvitationsSDK() *organizationinvitation.Client { return c.invitations }

// CreateParams describes a new organization.
type CreateParams struct {
	// Name is required.
	Name string
	// Slug is the URL-friendly identifier; Clerk derives one from Name when
	// empty (if slugs are enabled for the instance).
	Slug string
	// CreatedBy is the id of the user who becomes the organization's first
	// admin. Optional.
	CreatedBy string
	// MaxAllowedMemberships caps the members; 0 means the instance's
	// default.
	MaxAllowedMemberships int64
	// PublicMetadata and PrivateMetadata are any values encoding as JSON
	// objects (maps, structs, json.RawMessage), or nil.
	PublicMetadata, PrivateMetadata any
}

// Create creates an organization.
func (c *Client) Create(ctx context.Context, p CreateParams) (*clerk.Organization, error) {
	const op = "organizations.Create"
	if err := bapi.Text(op, "Name", p.Name, true, 256); err != nil {
		return nil, err
	}
	q := &organization.CreateParams{Name: clerk.String(p.Name)}
	if p.Slug != "" {
		if err := bapi.ID(op, "Slug", p.Slug); err != nil {
			return nil, err
		}
		q.Slug = clerk.String(p.Slug)
	}
	if p.CreatedBy != "" {
		if err := bapi.ID(op, "CreatedBy", p.CreatedBy); err != nil {
			return nil, err
		}
		q.CreatedBy = clerk.String(p.CreatedBy)
	}
	if p.MaxAllowedMemberships < 0 {
		return nil, bapi.InputError(op, "MaxAllowedMemberships", "must not be negative")
	}
	if p.MaxAllowedMemberships > 0 {
		q.MaxAllowedMemberships = clerk.Int64(p.MaxAllowedMemberships)
	}
	var err error
	if q.PublicMetadata, err = bapi.Object(op, "PublicMetadata", p.PublicMetadata); err != nil {
		return nil, err
	}
	if q.PrivateMetadata, err = bapi.Object(op, "PrivateMetadata", p.PrivateMetadata); err != nil {
		return nil, err
	}
	return c.sdk.Create(ctx, q)
}

// Get returns the organization with the given id (org_…) or slug.
func (c *Client) Get(ctx context.Context, idOrSlug string) (*clerk.Organization, error) {
	if err := bapi.ID("organizations.Get", "idOrSlug", idOrSlug); err != nil {
		return nil, err
	}
	return c.sdk.Get(ctx, idOrSlug)
}

// ListParams filters and pages organization lists.
type ListParams struct {
	// Limit is the page size, 1..500; 0 means the API's default (10) for
	// List and 500 for All. Any other value is an error.
	Limit int
	// Offset skips that many organizations.
	Offset int
	// Query matches names, slugs and ids, partially.
	Query string
	// OrderBy sorts, e.g. "-created_at" (the default), "+name",
	// "-members_count".
	OrderBy string
	// UserIDs keeps organizations these users are members of (at most 100).
	UserIDs []string
	// IncludeMembersCount fills Organization.MembersCount.
	IncludeMembersCount bool
}

func (p ListParams) sdk(op string) (*organization.ListParams, error) {
	if err := bapi.Page(op, p.Limit, p.Offset); err != nil {
		return nil, err
	}
	if err := bapi.Text(op, "Query", p.Query, false, 1024); err != nil {
		return nil, err
	}
	if err := bapi.Text(op, "OrderBy", p.OrderBy, false, 64); err != nil {
		return nil, err
	}
	if err := bapi.IDs(op, "UserIDs", p.UserIDs, 100); err != nil {
		return nil, err
	}
	q := &organization.ListParams{UserIDs: p.UserIDs}
	bapi.SetPage(&q.ListParams, p.Limit, p.Offset)
	if p.Query != "" {
		q.Query = clerk.String(p.Query)
	}
	if p.OrderBy != "" {
		q.OrderBy = clerk.String(p.OrderBy)
	}
	if p.IncludeMembersCount {
		q.IncludeMembersCount = clerk.Bool(true)
	}
	return q, nil
}

// List returns one page of organizations, with the total count.
func (c *Client) List(ctx context.Context, p ListParams) (*clerk.OrganizationList, error) {
	q, err := p.sdk("organizations.List")
	if err != nil {
		return nil, err
	}
	return c.sdk.List(ctx, q)
}

// All iterates over every organization matching p, in pages of p.Limit
// (default 500) from p.Offset on. It stops at the first error, which it
// yields, and when the loop breaks.
func (c *Client) All(ctx context.Context, p ListParams) iter.Seq2[*clerk.Organization, error] {
	q, err := p.sdk("organizations.All")
	if err != nil {
		return bapi.Fail[*clerk.Organization](err)
	}
	return bapi.All(ctx, p.Limit, p.Offset, func(ctx context.Context, limit, offset int) ([]*clerk.Organization, int64, error) {
		page := *q
		bapi.SetPage(&page.ListParams, limit, offset)
		list, err := c.sdk.List(ctx, &page)
		if err != nil {
			return nil, 0, err
		}
		return list.Organizations, list.TotalCount, nil
	})
}

// UpdateParams changes an organization; nil fields are left as they are.
// Metadata is changed with UpdateMetadata.
type UpdateParams struct {
	Name                  *string
	Slug                  *string
	MaxAllowedMemberships *int64
	// AdminDeleteEnabled lets admins delete the organization.
	AdminDeleteEnabled *bool
}

// Update changes the organization's attributes.
func (c *Client) Update(ctx context.Context, orgID string, p UpdateParams) (*clerk.Organization, error) {
	const op = "organizations.Update"
	if err := bapi.ID(op, "orgID", orgID); err != nil {
		return nil, err
	}
	if p.Name != nil {
		if err := bapi.Text(op, "Name", *p.Name, true, 256); err != nil {
			return nil, err
		}
	}
	if p.Slug != nil {
		if err := bapi.ID(op, "Slug", *p.Slug); err != nil {
			return nil, err
		}
	}
	if p.MaxAllowedMemberships != nil && *p.MaxAllowedMemberships < 0 {
		return nil, bapi.InputError(op, "MaxAllowedMemberships", "must not be negative")
	}
	return c.sdk.Update(ctx, orgID, &organization.UpdateParams{
		Name:                  p.Name,
		Slug:                  p.Slug,
		MaxAllowedMemberships: p.MaxAllowedMemberships,
		AdminDeleteEnabled:    p.AdminDeleteEnabled,
	})
}

// Metadata holds new values for an organization's metadata objects: any
// values encoding as JSON objects, or nil to leave one alone: a
// *metadata.Patch (built with Set and Remove), a map, a struct, a
// json.RawMessage.
type Metadata struct {
	// Public is readable by the frontend and the backend.
	Public any
	// Private is readable by the backend only.
	Private any
}

// UpdateMetadata deep-merges m into the organization's metadata (PATCH
// /organizations/{id}/metadata): nested objects merge, other values
// replace, and a key set to null (nil in a map) is removed, at any depth.
func (c *Client) UpdateMetadata(ctx context.Context, orgID string, m Metadata) (*clerk.Organization, error) {
	q, err := m.sdk("organizations.UpdateMetadata", orgID)
	if err != nil {
		return nil, err
	}
	return c.sdk.UpdateMetadata(ctx, orgID, q)
}

// ReplaceMetadata replaces each non-nil metadata object of m wholesale
// (PUT /organizations/{id}/metadata): keys it does not mention are gone.
// Objects left nil are unchanged. Prefer UpdateMetadata.
func (c *Client) ReplaceMetadata(ctx context.Context, orgID string, m Metadata) (*clerk.Organization, error) {
	q, err := m.sdk("organizations.ReplaceMetadata", orgID)
	if err != nil {
		return nil, err
	}
	req := clerk.NewAPIRequest(http.MethodPut, "/organizations/"+orgID+"/metadata")
	req.SetParams(q)
	out := &clerk.Organization{}
	if err := c.backend.Call(ctx, req, out); err != nil {
		return nil, err
	}
	return out, nil
}

func (m Metadata) sdk(op, orgID string) (*organization.UpdateMetadataParams, error) {
	if err := bapi.ID(op, "orgID", orgID); err != nil {
		return nil, err
	}
	var q organization.UpdateMetadataParams
	var err error
	if q.PublicMetadata, err = bapi.Object(op, "Public", m.Public); err != nil {
		return nil, err
	}
	if q.PrivateMetadata, err = bapi.Object(op, "Private", m.Private); err != nil {
		return nil, err
	}
	if q.PublicMetadata == nil && q.PrivateMetadata == nil {
		return nil, bapi.InputError(op, "", "no metadata to write")
	}
	return &q, nil
}

// Delete deletes the organization, then calls Options.OnDelete.
func (c *Client) Delete(ctx context.Context, orgID string) error {
	if err := bapi.ID("organizations.Delete", "orgID", orgID); err != nil {
		return err
	}
	if c.onDelete != nil {
		defer c.onDelete(orgID)
	}
	_, err := c.sdk.Delete(ctx, orgID)
	return err
}
