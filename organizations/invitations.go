package organizations

import (
	"context"
	"iter"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/organizationinvitation"

	"github.com/clerkkit/clerkkit/internal/bapi"
)

// Invitation statuses.
const (
	StatusPending  = "pending"
	StatusAccepted = "accepted"
	StatusRevoked  = "revoked"
	StatusExpired  = "expired"
)

// InvitationParams describes an organization invitation.
type InvitationParams struct {
	// EmailAddress is the invitee's address. Required.
	EmailAddress string
	// Role is the role the invitee gets once they accept: "org:member",
	// "org:admin" or a custom "org:<key>" (the "org:" prefix may be left
	// out). Required.
	Role string
	// InviterUserID is the inviting user, who must be an admin of the
	// organization. Optional.
	InviterUserID string
	// RedirectURL is where the invitee lands after accepting. Optional.
	RedirectURL string
	// ExpiresInDays is the validity, 1..365; 0 means Clerk's default (30).
	ExpiresInDays int
	// PublicMetadata and PrivateMetadata go to the membership once the
	// invitation is accepted: JSON objects or nil.
	PublicMetadata, PrivateMetadata any
}

// CreateInvitation invites p.EmailAddress to the organization with
// p.Role. Clerk emails the invitation; once accepted, the invitee is a
// member with that role.
func (c *Client) CreateInvitation(ctx context.Context, orgID string, p InvitationParams) (*clerk.OrganizationInvitation, error) {
	const op = "organizations.CreateInvitation"
	if err := bapi.ID(op, "orgID", orgID); err != nil {
		return nil, err
	}
	if err := bapi.Email(op, "EmailAddress", p.EmailAddress); err != nil {
		return nil, err
	}
	role, err := bapi.Role(op, "Role", p.Role)
	if err != nil {
		return nil, err
	}
	q := &organizationinvitation.CreateParams{
		OrganizationID: orgID,
		EmailAddress:   clerk.String(p.EmailAddress),
		Role:           clerk.String(role),
	}
	if p.InviterUserID != "" {
		if err := bapi.ID(op, "InviterUserID", p.InviterUserID); err != nil {
			return nil, err
		}
		q.InviterUserID = clerk.String(p.InviterUserID)
	}
	if p.RedirectURL != "" {
		if err := bapi.Text(op, "RedirectURL", p.RedirectURL, false, 2048); err != nil {
			return nil, err
		}
		q.RedirectURL = clerk.String(p.RedirectURL)
	}
	if p.ExpiresInDays < 0 || p.ExpiresInDays > 365 {
		return nil, bapi.InputError(op, "ExpiresInDays", "must be between 1 and 365 (0 for the default)")
	}
	if p.ExpiresInDays > 0 {
		q.ExpiresInDays = clerk.Int64(int64(p.ExpiresInDays))
	}
	if q.PublicMetadata, err = bapi.Object(op, "PublicMetadata", p.PublicMetadata); err != nil {
		return nil, err
	}
	if q.PrivateMetadata, err = bapi.Object(op, "PrivateMetadata", p.PrivateMetadata); err != nil {
		return nil, err
	}
	return c.invitations.Create(ctx, q)
}

// GetInvitation returns one invitation of the organization.
func (c *Client) GetInvitation(ctx context.Context, orgID, invitationID string) (*clerk.OrganizationInvitation, error) {
	const op = "organizations.GetInvitation"
	if err := bapi.ID(op, "orgID", orgID); err != nil {
		return nil, err
	}
	if err := bapi.ID(op, "invitationID", invitationID); err != nil {
		return nil, err
	}
	return c.invitations.Get(ctx, &organizationinvitation.GetParams{OrganizationID: orgID, ID: invitationID})
}

// InvitationListParams filters and pages an organization's invitations.
type InvitationListParams struct {
	// Limit is the page size, 1..500; 0 means the API's default (10) for
	// ListInvitations and 500 for AllInvitations. Any other value is an
	// error.
	Limit int
	// Offset skips that many invitations.
	Offset int
	// Statuses keeps invitations in these statuses (StatusPending, …).
	Statuses []string
	// EmailAddress keeps invitations to this address.
	EmailAddress string
}

func (p InvitationListParams) sdk(op, orgID string) (*organizationinvitation.ListParams, error) {
	if err := bapi.ID(op, "orgID", orgID); err != nil {
		return nil, err
	}
	if err := bapi.Page(op, p.Limit, p.Offset); err != nil {
		return nil, err
	}
	for _, s := range p.Statuses {
		switch s {
		case StatusPending, StatusAccepted, StatusRevoked, StatusExpired:
		default:
			return nil, bapi.InputError(op, "Statuses", "must be pending, accepted, revoked or expired")
		}
	}
	q := &organizationinvitation.ListParams{OrganizationID: orgID}
	bapi.SetPage(&q.ListParams, p.Limit, p.Offset)
	if len(p.Statuses) > 0 {
		q.Statuses = &p.Statuses
	}
	if p.EmailAddress != "" {
		if err := bapi.Email(op, "EmailAddress", p.EmailAddress); err != nil {
			return nil, err
		}
		q.EmailAddress = clerk.String(p.EmailAddress)
	}
	return q, nil
}

// ListInvitations returns one page of the organization's invitations,
// newest first, with the total count.
func (c *Client) ListInvitations(ctx context.Context, orgID string, p InvitationListParams) (*clerk.OrganizationInvitationList, error) {
	q, err := p.sdk("organizations.ListInvitations", orgID)
	if err != nil {
		return nil, err
	}
	return c.invitations.List(ctx, q)
}

// AllInvitations iterates over every invitation of the organization
// matching p, newest first, in pages of p.Limit (default 500) from
// p.Offset on. It stops at the first error, which it yields, and when the
// loop breaks. The pending invitations, those that can still be accepted,
// are InvitationListParams{Statuses: []string{StatusPending}}.
func (c *Client) AllInvitations(ctx context.Context, orgID string, p InvitationListParams) iter.Seq2[*clerk.OrganizationInvitation, error] {
	q, err := p.sdk("organizations.AllInvitations", orgID)
	if err != nil {
		return bapi.Fail[*clerk.OrganizationInvitation](err)
	}
	return bapi.All(ctx, p.Limit, p.Offset, func(ctx context.Context, limit, offset int) ([]*clerk.OrganizationInvitation, int64, error) {
		page := *q
		bapi.SetPage(&page.ListParams, limit, offset)
		list, err := c.invitations.List(ctx, &page)
		if err != nil {
			return nil, 0, err
		}
		return list.OrganizationInvitations, list.TotalCount, nil
	})
}

// RevokeInvitation revokes a pending invitation. requestingUserID, when not
// empty, is the revoking admin.
func (c *Client) RevokeInvitation(ctx context.Context, orgID, invitationID, requestingUserID string) (*clerk.OrganizationInvitation, error) {
	const op = "organizations.RevokeInvitation"
	if err := bapi.ID(op, "orgID", orgID); err != nil {
		return nil, err
	}
	if err := bapi.ID(op, "invitationID", invitationID); err != nil {
		return nil, err
	}
	q := &organizationinvitation.RevokeParams{OrganizationID: orgID, ID: invitationID}
	if requestingUserID != "" {
		if err := bapi.ID(op, "requestingUserID", requestingUserID); err != nil {
			return nil, err
		}
		q.RequestingUserID = clerk.String(requestingUserID)
	}
	return c.invitations.Revoke(ctx, q)
}
