package webhooks

import "github.com/clerk/clerk-sdk-go/v2"

// EventType is a Clerk webhook event type, e.g. "user.created", whose data
// decodes into a T. The constants below are the event types of Clerk's
// webhook spec (webhooks-2025-04-15) plus subscriptionItem.created; pass one
// to [On] to register a function receiving the decoded T. Its string value
// is the name Clerk sends: compare it with [Event.Type] as
// string(webhooks.UserCreated).
//
// A type this package does not know yet can be declared by the application
// with a payload type of its own, e.g.
//
//	const SubscriptionRenamed webhooks.EventType[*MySubscription] = "subscription.renamed"
//
// A known name converted to another payload type is refused: On panics and
// [Payload] reports [ErrWrongType].
type EventType[T any] string

// Event types and the Go types of their data.
const (
	// EmailCreated is sent when Clerk sends an email or, when
	// Email.DeliveredByClerk is false, asks the application to.
	EmailCreated EventType[*Email] = "email.created"

	// OrganizationCreated is sent when an organization is created.
	OrganizationCreated EventType[*clerk.Organization] = "organization.created"
	// OrganizationUpdated is sent when an organization changes.
	OrganizationUpdated EventType[*clerk.Organization] = "organization.updated"
	// OrganizationDeleted is sent when an organization is deleted.
	OrganizationDeleted EventType[*DeletedObject] = "organization.deleted"

	// OrganizationDomainCreated is sent when a domain is added to an
	// organization.
	OrganizationDomainCreated EventType[*OrganizationDomain] = "organizationDomain.created"
	// OrganizationDomainUpdated is sent when an organization domain changes.
	OrganizationDomainUpdated EventType[*OrganizationDomain] = "organizationDomain.updated"
	// OrganizationDomainDeleted is sent when an organization domain is
	// removed.
	OrganizationDomainDeleted EventType[*DeletedObject] = "organizationDomain.deleted"

	// OrganizationInvitationCreated is sent when someone is invited to an
	// organization.
	OrganizationInvitationCreated EventType[*OrganizationInvitation] = "organizationInvitation.created"
	// OrganizationInvitationAccepted is sent when an invitation is accepted;
	// OrganizationInvitation.UserID names the new member.
	OrganizationInvitationAccepted EventType[*OrganizationInvitation] = "organizationInvitation.accepted"
	// OrganizationInvitationRevoked is sent when an invitation is revoked.
	OrganizationInvitationRevoked EventType[*OrganizationInvitation] = "organizationInvitation.revoked"

	// OrganizationMembershipCreated is sent when a user joins an
	// organization.
	OrganizationMembershipCreated EventType[*clerk.OrganizationMembership] = "organizationMembership.created"
	// OrganizationMembershipUpdated is sent when a membership changes, e.g.
	// its role.
	OrganizationMembershipUpdated EventType[*clerk.OrganizationMembership] = "organizationMembership.updated"
	// OrganizationMembershipDeleted is sent when a user leaves or is removed
	// from an organization; unlike the other deletions its data is the full
	// membership.
	OrganizationMembershipDeleted EventType[*clerk.OrganizationMembership] = "organizationMembership.deleted"

	// PaymentAttemptCreated is sent when a billing payment is attempted.
	PaymentAttemptCreated EventType[*PaymentAttempt] = "paymentAttempt.created"
	// PaymentAttemptUpdated is sent when a payment attempt changes status.
	PaymentAttemptUpdated EventType[*PaymentAttempt] = "paymentAttempt.updated"

	// PermissionCreated is sent when a permission is created.
	PermissionCreated EventType[*Permission] = "permission.created"
	// PermissionUpdated is sent when a permission changes.
	PermissionUpdated EventType[*Permission] = "permission.updated"
	// PermissionDeleted is sent when a permission is deleted.
	PermissionDeleted EventType[*DeletedObject] = "permission.deleted"

	// RoleCreated is sent when a role is created.
	RoleCreated EventType[*Role] = "role.created"
	// RoleUpdated is sent when a role or its permissions change.
	RoleUpdated EventType[*Role] = "role.updated"
	// RoleDeleted is sent when a role is deleted.
	RoleDeleted EventType[*DeletedObject] = "role.deleted"

	// SessionCreated is sent when a user signs in.
	SessionCreated EventType[*Session] = "session.created"
	// SessionPending is sent when a session is pending: signed in, with
	// tasks left.
	SessionPending EventType[*Session] = "session.pending"
	// SessionEnded is sent when a user signs out.
	SessionEnded EventType[*Session] = "session.ended"
	// SessionRemoved is sent when a session is removed.
	SessionRemoved EventType[*Session] = "session.removed"
	// SessionRevoked is sent when a session is revoked.
	SessionRevoked EventType[*Session] = "session.revoked"

	// SMSCreated is sent when Clerk sends an SMS or, when
	// SMSMessage.DeliveredByClerk is false, asks the application to.
	SMSCreated EventType[*SMSMessage] = "sms.created"

	// SubscriptionCreated is sent when a billing subscription is created.
	SubscriptionCreated EventType[*Subscription] = "subscription.created"
	// SubscriptionUpdated is sent when a subscription changes.
	SubscriptionUpdated EventType[*Subscription] = "subscription.updated"
	// SubscriptionActive is sent when a subscription becomes active.
	SubscriptionActive EventType[*Subscription] = "subscription.active"
	// SubscriptionPastDue is sent when a subscription's payment is overdue.
	SubscriptionPastDue EventType[*Subscription] = "subscription.pastDue"

	// SubscriptionItemCreated is sent when a subscription item is created
	// (not in the spec; Clerk's JS SDK knows it).
	SubscriptionItemCreated EventType[*SubscriptionItem] = "subscriptionItem.created"
	// SubscriptionItemUpdated is sent when a subscription item changes.
	SubscriptionItemUpdated EventType[*SubscriptionItem] = "subscriptionItem.updated"
	// SubscriptionItemActive is sent when a subscription item becomes
	// active.
	SubscriptionItemActive EventType[*SubscriptionItem] = "subscriptionItem.active"
	// SubscriptionItemCanceled is sent when a subscription item is canceled.
	SubscriptionItemCanceled EventType[*SubscriptionItem] = "subscriptionItem.canceled"
	// SubscriptionItemEnded is sent when a subscription item ends.
	SubscriptionItemEnded EventType[*SubscriptionItem] = "subscriptionItem.ended"
	// SubscriptionItemAbandoned is sent when a subscription item is
	// abandoned.
	SubscriptionItemAbandoned EventType[*SubscriptionItem] = "subscriptionItem.abandoned"
	// SubscriptionItemIncomplete is sent when a subscription item becomes
	// incomplete.
	SubscriptionItemIncomplete EventType[*SubscriptionItem] = "subscriptionItem.incomplete"
	// SubscriptionItemPastDue is sent when a subscription item's payment is
	// overdue.
	SubscriptionItemPastDue EventType[*SubscriptionItem] = "subscriptionItem.pastDue"
	// SubscriptionItemUpcoming is sent when a subscription item becomes
	// upcoming.
	SubscriptionItemUpcoming EventType[*SubscriptionItem] = "subscriptionItem.upcoming"
	// SubscriptionItemFreeTrialEnding is sent before a subscription item's
	// free trial ends.
	SubscriptionItemFreeTrialEnding EventType[*SubscriptionItem] = "subscriptionItem.freeTrialEnding"

	// UserCreated is sent when a user signs up or is created.
	UserCreated EventType[*clerk.User] = "user.created"
	// UserUpdated is sent when a user changes.
	UserUpdated EventType[*clerk.User] = "user.updated"
	// UserDeleted is sent when a user is deleted.
	UserDeleted EventType[*DeletedObject] = "user.deleted"

	// WaitlistEntryCreated is sent when someone joins the waitlist.
	WaitlistEntryCreated EventType[*WaitlistEntry] = "waitlistEntry.created"
	// WaitlistEntryUpdated is sent when a waitlist entry changes, e.g. is
	// invited.
	WaitlistEntryUpdated EventType[*WaitlistEntry] = "waitlistEntry.updated"
)

// payloadKind names the data shape an event type carries.
type payloadKind string

const (
	kindUnknown                payloadKind = ""
	kindDeleted                payloadKind = "deleted object"
	kindEmail                  payloadKind = "email"
	kindOrganization           payloadKind = "organization"
	kindOrganizationDomain     payloadKind = "organization domain"
	kindOrganizationInvitation payloadKind = "organization invitation"
	kindMembership             payloadKind = "organization membership"
	kindPaymentAttempt         payloadKind = "payment attempt"
	kindPermission             payloadKind = "permission"
	kindRole                   payloadKind = "role"
	kindSession                payloadKind = "session"
	kindSMS                    payloadKind = "sms message"
	kindSubscription           payloadKind = "subscription"
	kindSubscriptionItem       payloadKind = "subscription item"
	kindUser                   payloadKind = "user"
	kindWaitlistEntry          payloadKind = "waitlist entry"
)

// kindOf maps an event type to its payload kind; unknown types map to
// kindUnknown. organizationMembership.deleted carries the full membership,
// the other *.deleted events a DeletedObject.
func kindOf(eventType string) payloadKind {
	switch eventType {
	case string(UserDeleted), string(OrganizationDeleted), string(OrganizationDomainDeleted),
		string(RoleDeleted), string(PermissionDeleted):
		return kindDeleted
	case string(EmailCreated):
		return kindEmail
	case string(OrganizationCreated), string(OrganizationUpdated):
		return kindOrganization
	case string(OrganizationDomainCreated), string(OrganizationDomainUpdated):
		return kindOrganizationDomain
	case string(OrganizationInvitationCreated), string(OrganizationInvitationAccepted), string(OrganizationInvitationRevoked):
		return kindOrganizationInvitation
	case string(OrganizationMembershipCreated), string(OrganizationMembershipUpdated), string(OrganizationMembershipDeleted):
		return kindMembership
	case string(PaymentAttemptCreated), string(PaymentAttemptUpdated):
		return kindPaymentAttempt
	case string(PermissionCreated), string(PermissionUpdated):
		return kindPermission
	case string(RoleCreated), string(RoleUpdated):
		return kindRole
	case string(SessionCreated), string(SessionPending), string(SessionEnded), string(SessionRemoved), string(SessionRevoked):
		return kindSession
	case string(SMSCreated):
		return kindSMS
	case string(SubscriptionCreated), string(SubscriptionUpdated), string(SubscriptionActive), string(SubscriptionPastDue):
		return kindSubscription
	case string(SubscriptionItemCreated), string(SubscriptionItemUpdated), string(SubscriptionItemActive),
		string(SubscriptionItemCanceled), string(SubscriptionItemEnded), string(SubscriptionItemAbandoned),
		string(SubscriptionItemIncomplete), string(SubscriptionItemPastDue), string(SubscriptionItemUpcoming),
		string(SubscriptionItemFreeTrialEnding):
		return kindSubscriptionItem
	case string(UserCreated), string(UserUpdated):
		return kindUser
	case string(WaitlistEntryCreated), string(WaitlistEntryUpdated):
		return kindWaitlistEntry
	}
	return kindUnknown
}

// nilPayload returns a nil pointer of the type kind k decodes into, or nil
// for kindUnknown. It is the one place mapping kinds to Go types; the
// constants above must agree (TestTypedRegistrationCoversEveryType), and a
// type check against it allocates nothing.
func nilPayload(k payloadKind) any {
	switch k {
	case kindDeleted:
		return (*DeletedObject)(nil)
	case kindEmail:
		return (*Email)(nil)
	case kindOrganization:
		return (*clerk.Organization)(nil)
	case kindOrganizationDomain:
		return (*OrganizationDomain)(nil)
	case kindOrganizationInvitation:
		return (*OrganizationInvitation)(nil)
	case kindMembership:
		return (*clerk.OrganizationMembership)(nil)
	case kindPaymentAttempt:
		return (*PaymentAttempt)(nil)
	case kindPermission:
		return (*Permission)(nil)
	case kindRole:
		return (*Role)(nil)
	case kindSession:
		return (*Session)(nil)
	case kindSMS:
		return (*SMSMessage)(nil)
	case kindSubscription:
		return (*Subscription)(nil)
	case kindSubscriptionItem:
		return (*SubscriptionItem)(nil)
	case kindUser:
		return (*clerk.User)(nil)
	case kindWaitlistEntry:
		return (*WaitlistEntry)(nil)
	}
	return nil
}
