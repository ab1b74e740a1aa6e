package webhooks

import (
	"context"

	"github.com/clerk/clerk-sdk-go/v2"
)

// Typed registration: each On<Family><Action> method registers fn for one
// event type; fn receives the decoded data (the Event accessor's value) and
// the Event. Data that does not decode into the type is answered 400 before
// fn runs. Registering a type twice, here or with On, panics.

// OnEmailCreated registers fn for "email.created".
func (h *Handler) OnEmailCreated(fn func(context.Context, *Email, *Event) error) {
	on(h, TypeEmailCreated, (*Event).Email, fn)
}

// OnOrganizationCreated registers fn for "organization.created".
func (h *Handler) OnOrganizationCreated(fn func(context.Context, *clerk.Organization, *Event) error) {
	on(h, TypeOrganizationCreated, (*Event).Organization, fn)
}

// OnOrganizationUpdated registers fn for "organization.updated".
func (h *Handler) OnOrganizationUpdated(fn func(context.Context, *clerk.Organization, *Event) error) {
	on(h, TypeOrganizationUpdated, (*Event).Organization, fn)
}

// OnOrganizationDeleted registers fn for "organization.deleted"; the data is a DeletedObject.
func (h *Handler) OnOrganizationDeleted(fn func(context.Context, *DeletedObject, *Event) error) {
	on(h, TypeOrganizationDeleted, (*Event).Deleted, fn)
}

// OnOrganizationDomainCreated registers fn for "organizationDomain.created".
func (h *Handler) OnOrganizationDomainCreated(fn func(context.Context, *OrganizationDomain, *Event) error) {
	on(h, TypeOrganizationDomainCreated, (*Event).OrganizationDomain, fn)
}

// OnOrganizationDomainUpdated registers fn for "organizationDomain.updated".
func (h *Handler) OnOrganizationDomainUpdated(fn func(context.Context, *OrganizationDomain, *Event) error) {
	on(h, TypeOrganizationDomainUpdated, (*Event).OrganizationDomain, fn)
}

// OnOrganizationDomainDeleted registers fn for "organizationDomain.deleted"; the data is a DeletedObject.
func (h *Handler) OnOrganizationDomainDeleted(fn func(context.Context, *DeletedObject, *Event) error) {
	on(h, TypeOrganizationDomainDeleted, (*Event).Deleted, fn)
}

// OnOrganizationInvitationCreated registers fn for "organizationInvitation.created".
func (h *Handler) OnOrganizationInvitationCreated(fn func(context.Context, *OrganizationInvitation, *Event) error) {
	on(h, TypeOrganizationInvitationCreated, (*Event).OrganizationInvitation, fn)
}

// OnOrganizationInvitationAccepted registers fn for "organizationInvitation.accepted".
func (h *Handler) OnOrganizationInvitationAccepted(fn func(context.Context, *OrganizationInvitation, *Event) error) {
	on(h, TypeOrganizationInvitationAccepted, (*Event).OrganizationInvitation, fn)
}

// OnOrganizationInvitationRevoked registers fn for "organizationInvitation.revoked".
func (h *Handler) OnOrganizationInvitationRevoked(fn func(context.Context, *OrganizationInvitation, *Event) error) {
	on(h, TypeOrganizationInvitationRevoked, (*Event).OrganizationInvitation, fn)
}

// OnOrganizationMembershipCreated registers fn for "organizationMembership.created".
func (h *Handler) OnOrganizationMembershipCreated(fn func(context.Context, *clerk.OrganizationMembership, *Event) error) {
	on(h, TypeOrganizationMembershipCreated, (*Event).Membership, fn)
}

// OnOrganizationMembershipUpdated registers fn for "organizationMembership.updated".
func (h *Handler) OnOrganizationMembershipUpdated(fn func(context.Context, *clerk.OrganizationMembership, *Event) error) {
	on(h, TypeOrganizationMembershipUpdated, (*Event).Membership, fn)
}

// OnOrganizationMembershipDeleted registers fn for "organizationMembership.deleted".
func (h *Handler) OnOrganizationMembershipDeleted(fn func(context.Context, *clerk.OrganizationMembership, *Event) error) {
	on(h, TypeOrganizationMembershipDeleted, (*Event).Membership, fn)
}

// OnPaymentAttemptCreated registers fn for "paymentAttempt.created".
func (h *Handler) OnPaymentAttemptCreated(fn func(context.Context, *PaymentAttempt, *Event) error) {
	on(h, TypePaymentAttemptCreated, (*Event).PaymentAttempt, fn)
}

// OnPaymentAttemptUpdated registers fn for "paymentAttempt.updated".
func (h *Handler) OnPaymentAttemptUpdated(fn func(context.Context, *PaymentAttempt, *Event) error) {
	on(h, TypePaymentAttemptUpdated, (*Event).PaymentAttempt, fn)
}

// OnPermissionCreated registers fn for "permission.created".
func (h *Handler) OnPermissionCreated(fn func(context.Context, *Permission, *Event) error) {
	on(h, TypePermissionCreated, (*Event).Permission, fn)
}

// OnPermissionUpdated registers fn for "permission.updated".
func (h *Handler) OnPermissionUpdated(fn func(context.Context, *Permission, *Event) error) {
	on(h, TypePermissionUpdated, (*Event).Permission, fn)
}

// OnPermissionDeleted registers fn for "permission.deleted"; the data is a DeletedObject.
func (h *Handler) OnPermissionDeleted(fn func(context.Context, *DeletedObject, *Event) error) {
	on(h, TypePermissionDeleted, (*Event).Deleted, fn)
}

// OnRoleCreated registers fn for "role.created".
func (h *Handler) OnRoleCreated(fn func(context.Context, *Role, *Event) error) {
	on(h, TypeRoleCreated, (*Event).Role, fn)
}

// OnRoleUpdated registers fn for "role.updated".
func (h *Handler) OnRoleUpdated(fn func(context.Context, *Role, *Event) error) {
	on(h, TypeRoleUpdated, (*Event).Role, fn)
}

// OnRoleDeleted registers fn for "role.deleted"; the data is a DeletedObject.
func (h *Handler) OnRoleDeleted(fn func(context.Context, *DeletedObject, *Event) error) {
	on(h, TypeRoleDeleted, (*Event).Deleted, fn)
}

// OnSessionCreated registers fn for "session.created".
func (h *Handler) OnSessionCreated(fn func(context.Context, *Session, *Event) error) {
	on(h, TypeSessionCreated, (*Event).Session, fn)
}

// OnSessionPending registers fn for "session.pending".
func (h *Handler) OnSessionPending(fn func(context.Context, *Session, *Event) error) {
	on(h, TypeSessionPending, (*Event).Session, fn)
}

// OnSessionEnded registers fn for "session.ended".
func (h *Handler) OnSessionEnded(fn func(context.Context, *Session, *Event) error) {
	on(h, TypeSessionEnded, (*Event).Session, fn)
}

// OnSessionRemoved registers fn for "session.removed".
func (h *Handler) OnSessionRemoved(fn func(context.Context, *Session, *Event) error) {
	on(h, TypeSessionRemoved, (*Event).Session, fn)
}

// OnSessionRevoked registers fn for "session.revoked".
func (h *Handler) OnSessionRevoked(fn func(context.Context, *Session, *Event) error) {
	on(h, TypeSessionRevoked, (*Event).Session, fn)
}

// OnSMSCreated registers fn for "sms.created".
func (h *Handler) OnSMSCreated(fn func(context.Context, *SMSMessage, *Event) error) {
	on(h, TypeSMSCreated, (*Event).SMS, fn)
}

// OnSubscriptionCreated registers fn for "subscription.created".
func (h *Handler) OnSubscriptionCreated(fn func(context.Context, *Subscription, *Event) error) {
	on(h, TypeSubscriptionCreated, (*Event).Subscription, fn)
}

// OnSubscriptionUpdated registers fn for "subscription.updated".
func (h *Handler) OnSubscriptionUpdated(fn func(context.Context, *Subscription, *Event) error) {
	on(h, TypeSubscriptionUpdated, (*Event).Subscription, fn)
}

// OnSubscriptionActive registers fn for "subscription.active".
func (h *Handler) OnSubscriptionActive(fn func(context.Context, *Subscription, *Event) error) {
	on(h, TypeSubscriptionActive, (*Event).Subscription, fn)
}

// OnSubscriptionPastDue registers fn for "subscription.pastDue".
func (h *Handler) OnSubscriptionPastDue(fn func(context.Context, *Subscription, *Event) error) {
	on(h, TypeSubscriptionPastDue, (*Event).Subscription, fn)
}

// OnSubscriptionItemCreated registers fn for "subscriptionItem.created".
func (h *Handler) OnSubscriptionItemCreated(fn func(context.Context, *SubscriptionItem, *Event) error) {
	on(h, TypeSubscriptionItemCreated, (*Event).SubscriptionItem, fn)
}

// OnSubscriptionItemUpdated registers fn for "subscriptionItem.updated".
func (h *Handler) OnSubscriptionItemUpdated(fn func(context.Context, *SubscriptionItem, *Event) error) {
	on(h, TypeSubscriptionItemUpdated, (*Event).SubscriptionItem, fn)
}

// OnSubscriptionItemActive registers fn for "subscriptionItem.active".
func (h *Handler) OnSubscriptionItemActive(fn func(context.Context, *SubscriptionItem, *Event) error) {
	on(h, TypeSubscriptionItemActive, (*Event).SubscriptionItem, fn)
}

// OnSubscriptionItemCanceled registers fn for "subscriptionItem.canceled".
func (h *Handler) OnSubscriptionItemCanceled(fn func(context.Context, *SubscriptionItem, *Event) error) {
	on(h, TypeSubscriptionItemCanceled, (*Event).SubscriptionItem, fn)
}

// OnSubscriptionItemEnded registers fn for "subscriptionItem.ended".
func (h *Handler) OnSubscriptionItemEnded(fn func(context.Context, *SubscriptionItem, *Event) error) {
	on(h, TypeSubscriptionItemEnded, (*Event).SubscriptionItem, fn)
}

// OnSubscriptionItemAbandoned registers fn for "subscriptionItem.abandoned".
func (h *Handler) OnSubscriptionItemAbandoned(fn func(context.Context, *SubscriptionItem, *Event) error) {
	on(h, TypeSubscriptionItemAbandoned, (*Event).SubscriptionItem, fn)
}

// OnSubscriptionItemIncomplete registers fn for "subscriptionItem.incomplete".
func (h *Handler) OnSubscriptionItemIncomplete(fn func(context.Context, *SubscriptionItem, *Event) error) {
	on(h, TypeSubscriptionItemIncomplete, (*Event).SubscriptionItem, fn)
}

// OnSubscriptionItemPastDue registers fn for "subscriptionItem.pastDue".
func (h *Handler) OnSubscriptionItemPastDue(fn func(context.Context, *SubscriptionItem, *Event) error) {
	on(h, TypeSubscriptionItemPastDue, (*Event).SubscriptionItem, fn)
}

// OnSubscriptionItemUpcoming registers fn for "subscriptionItem.upcoming".
func (h *Handler) OnSubscriptionItemUpcoming(fn func(context.Context, *SubscriptionItem, *Event) error) {
	on(h, TypeSubscriptionItemUpcoming, (*Event).SubscriptionItem, fn)
}

// OnSubscriptionItemFreeTrialEnding registers fn for "subscriptionItem.freeTrialEnding".
func (h *Handler) OnSubscriptionItemFreeTrialEnding(fn func(context.Context, *SubscriptionItem, *Event) error) {
	on(h, TypeSubscriptionItemFreeTrialEnding, (*Event).SubscriptionItem, fn)
}

// OnUserCreated registers fn for "user.created".
func (h *Handler) OnUserCreated(fn func(context.Context, *clerk.User, *Event) error) {
	on(h, TypeUserCreated, (*Event).User, fn)
}

// OnUserUpdated registers fn for "user.updated".
func (h *Handler) OnUserUpdated(fn func(context.Context, *clerk.User, *Event) error) {
	on(h, TypeUserUpdated, (*Event).User, fn)
}

// OnUserDeleted registers fn for "user.deleted"; the data is a DeletedObject.
func (h *Handler) OnUserDeleted(fn func(context.Context, *DeletedObject, *Event) error) {
	on(h, TypeUserDeleted, (*Event).Deleted, fn)
}

// OnWaitlistEntryCreated registers fn for "waitlistEntry.created".
func (h *Handler) OnWaitlistEntryCreated(fn func(context.Context, *WaitlistEntry, *Event) error) {
	on(h, TypeWaitlistEntryCreated, (*Event).WaitlistEntry, fn)
}

// OnWaitlistEntryUpdated registers fn for "waitlistEntry.updated".
func (h *Handler) OnWaitlistEntryUpdated(fn func(context.Context, *WaitlistEntry, *Event) error) {
	on(h, TypeWaitlistEntryUpdated, (*Event).WaitlistEntry, fn)
}
