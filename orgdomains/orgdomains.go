// Package orgdomains manages the email domains of Clerk organizations
// through the Backend API: the domains whose users an organization
// invites, suggests or enrolls (enrollment modes), per organization or
// across the instance.
//
// It is a thin layer over clerk-sdk-go's organization domain client that
// returns the official *clerk.OrganizationDomain, validates input before
// any request (errors wrap clerkerr.ErrInvalidInput) and iterates over
// every page. Most programs use clerkkit.New, whose Client.OrgDomains
// field is a *orgdomains.Client. Errors from the Backend API are
// *clerkerr.APIError values (match them with errors.Is against
// clerkerr.ErrNotFound and friends).
package orgdomains

import (
	"context"
	"iter"
	"slices"
	"strings"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/organizationdomain"

	"github.com/clerkkit/clerkkit/internal/bapi"
)

// The enrollment modes of a domain. The automatic ones need a verified
// domain; EnterpriseSSO comes from an enterprise connection and can only
// be listed.
const (
	ManualInvitation    = "manual_invitation"
	AutomaticInvitation = "automatic_invitation"
	AutomaticSuggestion = "automatic_suggestion"
	EnterpriseSSO       = "enterprise_sso"
)

var settable = []string{ManualInvitation, AutomaticInvitation, AutomaticSuggestion}

// Client calls the Backend API's organization domain endpoints. It is
// safe for concurrent use.
type Client struct {
	sdk *organizationdomain.Client
}

// Options tunes a Client. The zero value is ready to use; it has no
// fields yet and exists so New has the signature of the other packages'.
type Options struct{}

// New returns a Client calling the Backend API through b, tuned by o (the
// zero Options for the defaults). It panics if b is nil.
func New(b clerk.Backend, o Options) *Client {
	return &Client{sdk: &organizationdomain.Client{Backend: bapi.Wrap(b)}}
}

// SDK returns clerk-sdk-go's organization domain client over the same
// backend.
func (c *Client) SDK() *organizationdomain.Client { return c.sdk }

// CreateParams describes a new domain of an organization.
type CreateParams struct {
	// Name is the domain, e.g. "acme.com"; required.
	Name string
	// EnrollmentMode is ManualInvitation (the API's default when empty),
	// AutomaticInvitation or AutomaticSuggestion.
	EnrollmentMode string
	// Verified, when not nil, sets whether the domain is verified (the
	// API's default: it is).
	Verified *bool
}

// Create adds a domain to the organization (org_…).
func (c *Client) Create(ctx context.Context, orgID string, p CreateParams) (*clerk.OrganizationDomain, error) {
	const op = "orgdomains.Create"
	if err := checkOrg(op, orgID); err != nil {
		return nil, err
	}
	if err := checkDomain(op, p.Name); err != nil {
		return nil, err
	}
	q := &organizationdomain.CreateParams{Name: clerk.String(p.Name), Verified: p.Verified}
	if p.EnrollmentMode != "" {
		if err := checkMode(op, p.EnrollmentMode); err != nil {
			return nil, err
		}
		q.EnrollmentMode = clerk.String(p.EnrollmentMode)
	}
	return c.sdk.Create(ctx, orgID, q)
}

// UpdateParams changes a domain; zero fields are left as they are.
type UpdateParams struct {
	// EnrollmentMode, when not empty, is ManualInvitation,
	// AutomaticInvitation or AutomaticSuggestion.
	EnrollmentMode string
	// Verified, when not nil, sets whether the domain is verified.
	Verified *bool
}

// Update changes the organization's (org_…) domain (orgdmn_…).
func (c *Client) Update(ctx context.Context, orgID, domainID string, p UpdateParams) (*clerk.OrganizationDomain, error) {
	const op = "orgdomains.Update"
	if err := checkIDs(op, orgID, domainID); err != nil {
		return nil, err
	}
	q := &organizationdomain.UpdateParams{OrganizationID: orgID, DomainID: domainID, Verified: p.Verified}
	if p.EnrollmentMode != "" {
		if err := checkMode(op, p.EnrollmentMode); err != nil {
			return nil, err
		}
		q.EnrollmentMode = clerk.String(p.EnrollmentMode)
	}
	return c.sdk.Update(ctx, q)
}

// Delete removes the domain (orgdmn_…) from the organization (org_…).
func (c *Client) Delete(ctx context.Context, orgID, domainID string) error {
	const op = "orgdomains.Delete"
	if err := checkIDs(op, orgID, domainID); err != nil {
		return err
	}
	_, err := c.sdk.Delete(ctx, &organizationdomain.DeleteParams{OrganizationID: orgID, DomainID: domainID})
	return err
}

// ListParams filters and pages an organization's domains.
type ListParams struct {
	// Verified, when not nil, keeps verified or unverified domains.
	Verified *bool
	// EnrollmentModes keeps the domains with one of these modes; a mode
	// prefixed with "-" excludes it instead.
	EnrollmentModes []string
	// Limit is the page size, 1..500; 0 means the API's default (10) for
	// List and 500 for All.
	Limit int
	// Offset skips that many domains.
	Offset int
}

func (p ListParams) sdk(op, orgID string) (*organizationdomain.ListParams, error) {
	if err := checkOrg(op, orgID); err != nil {
		return nil, err
	}
	if err := bapi.Page(op, p.Limit, p.Offset); err != nil {
		return nil, err
	}
	q := &organizationdomain.ListParams{Verified: p.Verified}
	if len(p.EnrollmentModes) > 0 {
		for _, m := range p.EnrollmentModes {
			if m := strings.TrimPrefix(m, "-"); m != EnterpriseSSO && !slices.Contains(settable, m) {
				return nil, bapi.InputError(op, "EnrollmentModes", "must be enrollment modes (manual_invitation, automatic_invitation, automatic_suggestion, enterprise_sso), optionally prefixed with \"-\"")
			}
		}
		modes := slices.Clone(p.EnrollmentModes)
		q.EnrollmentModes = &modes
	}
	bapi.SetPage(&q.ListParams, p.Limit, p.Offset)
	return q, nil
}

// List returns one page of the organization's (org_…) domains, newest
// first, with the total count.
func (c *Client) List(ctx context.Context, orgID string, p ListParams) (*clerk.OrganizationDomainList, error) {
	q, err := p.sdk("orgdomains.List", orgID)
	if err != nil {
		return nil, err
	}
	return c.sdk.List(ctx, orgID, q)
}

// All iterates over every domain of the organization matching p, in pages
// of p.Limit (default 500) from p.Offset on. It stops at the first error,
// which it yields, and when the loop breaks.
func (c *Client) All(ctx context.Context, orgID string, p ListParams) iter.Seq2[*clerk.OrganizationDomain, error] {
	q, err := p.sdk("orgdomains.All", orgID)
	if err != nil {
		return bapi.Fail[*clerk.OrganizationDomain](err)
	}
	return bapi.All(ctx, p.Limit, p.Offset, func(ctx context.Context, limit, offset int) ([]*clerk.OrganizationDomain, int64, error) {
		page := *q
		bapi.SetPage(&page.ListParams, limit, offset)
		list, err := c.sdk.List(ctx, orgID, &page)
		if err != nil {
			return nil, 0, err
		}
		return list.OrganizationDomains, list.TotalCount, nil
	})
}

func checkOrg(op, orgID string) error { return bapi.Prefixed(op, "orgID", orgID, "org_") }

func checkIDs(op, orgID, domainID string) error {
	if err := checkOrg(op, orgID); err != nil {
		return err
	}
	return bapi.ID(op, "domainID", domainID)
}

func checkMode(op, mode string) error {
	if !slices.Contains(settable, mode) {
		return bapi.InputError(op, "EnrollmentMode", "must be manual_invitation, automatic_invitation or automatic_suggestion")
	}
	return nil
}

// checkDomain checks a domain name: dot-separated labels of letters,
// digits and inner hyphens.
func checkDomain(op, name string) error {
	if err := bapi.Text(op, "Name", name, true, 253); err != nil {
		return err
	}
	labels := strings.Split(name, ".")
	if len(labels) < 2 {
		return bapi.InputError(op, "Name", "must be a domain name such as example.com")
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' || strings.Trim(l, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != "" {
			return bapi.InputError(op, "Name", "must be a domain name such as example.com")
		}
	}
	return nil
}
