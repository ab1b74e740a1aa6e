package webhooks

import (
	"context"

	"github.com/clerk/clerk-sdk-go/v2"
)

// The names below are the ones other packages of this module still use.
// They are thin wrappers over On, the EventType constants and Payload, and
// go away once those call sites are migrated.

// OnUserCreated registers fn for UserCreated.
//
// Deprecated: use On(h, UserCreated, fn).
func (h *Handler) OnUserCreated(fn func(context.Context, *clerk.User, *Event) error) {
	On(h, UserCreated, fn)
}

// OnUserUpdated registers fn for UserUpdated.
//
// Deprecated: use On(h, UserUpdated, fn).
func (h *Handler) OnUserUpdated(fn func(context.Context, *clerk.User, *Event) error) {
	On(h, UserUpdated, fn)
}

// OnUserDeleted registers fn for UserDeleted.
//
// Deprecated: use On(h, UserDeleted, fn).
func (h *Handler) OnUserDeleted(fn func(context.Context, *DeletedObject, *Event) error) {
	On(h, UserDeleted, fn)
}

// OnOrganizationCreated registers fn for OrganizationCreated.
//
// Deprecated: use On(h, OrganizationCreated, fn).
func (h *Handler) OnOrganizationCreated(fn func(context.Context, *clerk.Organization, *Event) error) {
	On(h, OrganizationCreated, fn)
}

// OnOrganizationUpdated registers fn for OrganizationUpdated.
//
// Deprecated: use On(h, OrganizationUpdated, fn).
func (h *Handler) OnOrganizationUpdated(fn func(context.Context, *clerk.Organization, *Event) error) {
	On(h, OrganizationUpdated, fn)
}

// OnOrganizationDeleted registers fn for OrganizationDeleted.
//
// Deprecated: use On(h, OrganizationDeleted, fn).
func (h *Handler) OnOrganizationDeleted(fn func(context.Context, *DeletedObject, *Event) error) {
	On(h, OrganizationDeleted, fn)
}

// OnOrganizationMembershipCreated registers fn for OrganizationMembershipCreated.
//
// Deprecated: use On(h, OrganizationMembershipCreated, fn).
func (h *Handler) OnOrganizationMembershipCreated(fn func(context.Context, *clerk.OrganizationMembership, *Event) error) {
	On(h, OrganizationMembershipCreated, fn)
}

// OnOrganizationMembershipUpdated registers fn for OrganizationMembershipUpdated.
//
// Deprecated: use On(h, OrganizationMembershipUpdated, fn).
func (h *Handler) OnOrganizationMembershipUpdated(fn func(context.Context, *clerk.OrganizationMembership, *Event) error) {
	On(h, OrganizationMembershipUpdated, fn)
}

// OnOrganizationMembershipDeleted registers fn for OrganizationMembershipDeleted.
//
// Deprecated: use On(h, OrganizationMembershipDeleted, fn).
func (h *Handler) OnOrganizationMembershipDeleted(fn func(context.Context, *clerk.OrganizationMembership, *Event) error) {
	On(h, OrganizationMembershipDeleted, fn)
}

// OnOrganizationInvitationCreated registers fn for OrganizationInvitationCreated.
//
// Deprecated: use On(h, OrganizationInvitationCreated, fn).
func (h *Handler) OnOrganizationInvitationCreated(fn func(context.Context, *OrganizationInvitation, *Event) error) {
	On(h, OrganizationInvitationCreated, fn)
}

// OnOrganizationInvitationAccepted registers fn for OrganizationInvitationAccepted.
//
// Deprecated: use On(h, OrganizationInvitationAccepted, fn).
func (h *Handler) OnOrganizationInvitationAccepted(fn func(context.Context, *OrganizationInvitation, *Event) error) {
	On(h, OrganizationInvitationAccepted, fn)
}

// OnOrganizationInvitationRevoked registers fn for OrganizationInvitationRevoked.
//
// Deprecated: use On(h, OrganizationInvitationRevoked, fn).
func (h *Handler) OnOrganizationInvitationRevoked(fn func(context.Context, *OrganizationInvitation, *Event) error) {
	On(h, OrganizationInvitationRevoked, fn)
}

// OnSessionCreated registers fn for SessionCreated.
//
// Deprecated: use On(h, SessionCreated, fn).
func (h *Handler) OnSessionCreated(fn func(context.Context, *Session, *Event) error) {
	On(h, SessionCreated, fn)
}

// OnSessionEnded registers fn for SessionEnded.
//
// Deprecated: use On(h, SessionEnded, fn).
func (h *Handler) OnSessionEnded(fn func(context.Context, *Session, *Event) error) {
	On(h, SessionEnded, fn)
}

// OnSessionRemoved registers fn for SessionRemoved.
//
// Deprecated: use On(h, SessionRemoved, fn).
func (h *Handler) OnSessionRemoved(fn func(context.Context, *Session, *Event) error) {
	On(h, SessionRemoved, fn)
}

// OnSessionRevoked registers fn for SessionRevoked.
//
// Deprecated: use On(h, SessionRevoked, fn).
func (h *Handler) OnSessionRevoked(fn func(context.Context, *Session, *Event) error) {
	On(h, SessionRevoked, fn)
}

// Event type names.
//
// Deprecated: use the EventType constants, e.g. string(UserCreated).
const (
	TypeUserCreated                   = string(UserCreated)
	TypeUserUpdated                   = string(UserUpdated)
	TypeUserDeleted                   = string(UserDeleted)
	TypeOrganizationCreated           = string(OrganizationCreated)
	TypeOrganizationUpdated           = string(OrganizationUpdated)
	TypeOrganizationDeleted           = string(OrganizationDeleted)
	TypeOrganizationMembershipCreated = string(OrganizationMembershipCreated)
	TypeOrganizationMembershipUpdated = string(OrganizationMembershipUpdated)
	TypeOrganizationMembershipDeleted = string(OrganizationMembershipDeleted)
)

// User returns the data of user.created and user.updated.
//
// Deprecated: use Payload[*clerk.User](e).
func (e *Event) User() (*clerk.User, error) { return Payload[*clerk.User](e) }
