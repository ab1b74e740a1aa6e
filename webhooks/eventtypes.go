package webhooks

// Event types of the Clerk webhook spec (webhooks-2025-04-15), plus
// subscriptionItem.created. The typed accessor and Handler method for each
// are named after the family, e.g. Event.User and Handler.OnUserCreated.
const (
	TypeEmailCreated = "email.created"

	TypeOrganizationCreated = "organization.created"
	TypeOrganizationUpdated = "organization.updated"
	TypeOrganizationDeleted = "organization.deleted"

	TypeOrganizationDomainCreated = "organizationDomain.created"
	TypeOrganizationDomainUpdated = "organizationDomain.updated"
	TypeOrganizationDomainDeleted = "organizationDomain.deleted"

	TypeOrganizationInvitationCreated  = "organizationInvitation.created"
	TypeOrganizationInvitationAccepted = "organizationInvitation.accepted"
	TypeOrganizationInvitationRevoked  = "organizationInvitation.revoked"

	TypeOrganizationMembershipCreated = "organizationMembership.created"
	TypeOrganizationMembershipUpdated = "organizationMembership.updated"
	TypeOrganizationMembershipDeleted = "organizationMembership.deleted"

	TypePaymentAttemptCreated = "paymentAttempt.created"
	TypePaymentAttemptUpdated = "paymentAttempt.updated"

	TypePermissionCreated = "permission.created"
	TypePermissionUpdated = "permission.updated"
	TypePermissionDeleted = "permission.deleted"

	TypeRoleCreated = "role.created"
	TypeRoleUpdated = "role.updated"
	TypeRoleDeleted = "role.deleted"

	TypeSessionCreated = "session.created"
	TypeSessionPending = "session.pending"
	TypeSessionEnded   = "session.ended"
	TypeSessionRemoved = "session.removed"
	TypeSessionRevoked = "session.revoked"

	TypeSMSCreated = "sms.created"

	TypeSubscriptionCreated = "subscription.created"
	TypeSubscriptionUpdated = "subscription.updated"
	TypeSubscriptionActive  = "subscription.active"
	TypeSubscriptionPastDue = "subscription.pastDue"

	TypeSubscriptionItemCreated         = "subscriptionItem.created"
	TypeSubscriptionItemUpdated         = "subscriptionItem.updated"
	TypeSubscriptionItemActive          = "subscriptionItem.active"
	TypeSubscriptionItemCanceled        = "subscriptionItem.canceled"
	TypeSubscriptionItemEnded           = "subscriptionItem.ended"
	TypeSubscriptionItemAbandoned       = "subscriptionItem.abandoned"
	TypeSubscriptionItemIncomplete      = "subscriptionItem.incomplete"
	TypeSubscriptionItemPastDue         = "subscriptionItem.pastDue"
	TypeSubscriptionItemUpcoming        = "subscriptionItem.upcoming"
	TypeSubscriptionItemFreeTrialEnding = "subscriptionItem.freeTrialEnding"

	TypeUserCreated = "user.created"
	TypeUserUpdated = "user.updated"
	TypeUserDeleted = "user.deleted"

	TypeWaitlistEntryCreated = "waitlistEntry.created"
	TypeWaitlistEntryUpdated = "waitlistEntry.updated"
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
	case TypeUserDeleted, TypeOrganizationDeleted, TypeOrganizationDomainDeleted,
		TypeRoleDeleted, TypePermissionDeleted:
		return kindDeleted
	case TypeEmailCreated:
		return kindEmail
	case TypeOrganizationCreated, TypeOrganizationUpdated:
		return kindOrganization
	case TypeOrganizationDomainCreated, TypeOrganizationDomainUpdated:
		return kindOrganizationDomain
	case TypeOrganizationInvitationCreated, TypeOrganizationInvitationAccepted, TypeOrganizationInvitationRevoked:
		return kindOrganizationInvitation
	case TypeOrganizationMembershipCreated, TypeOrganizationMembershipUpdated, TypeOrganizationMembershipDeleted:
		return kindMembership
	case TypePaymentAttemptCreated, TypePaymentAttemptUpdated:
		return kindPaymentAttempt
	case TypePermissionCreated, TypePermissionUpdated:
		return kindPermission
	case TypeRoleCreated, TypeRoleUpdated:
		return kindRole
	case TypeSessionCreated, TypeSessionPending, TypeSessionEnded, TypeSessionRemoved, TypeSessionRevoked:
		return kindSession
	case TypeSMSCreated:
		return kindSMS
	case TypeSubscriptionCreated, TypeSubscriptionUpdated, TypeSubscriptionActive, TypeSubscriptionPastDue:
		return kindSubscription
	case TypeSubscriptionItemCreated, TypeSubscriptionItemUpdated, TypeSubscriptionItemActive,
		TypeSubscriptionItemCanceled, TypeSubscriptionItemEnded, TypeSubscriptionItemAbandoned,
		TypeSubscriptionItemIncomplete, TypeSubscriptionItemPastDue, TypeSubscriptionItemUpcoming,
		TypeSubscriptionItemFreeTrialEnding:
		return kindSubscriptionItem
	case TypeUserCreated, TypeUserUpdated:
		return kindUser
	case TypeWaitlistEntryCreated, TypeWaitlistEntryUpdated:
		return kindWaitlistEntry
	}
	return kindUnknown
}

// KnownType reports whether eventType is one of the Type constants, i.e.
// whether a typed accessor exists for it. Unknown types are still delivered
// and verified; their data stays available as Event.Data.
func KnownType(eventType string) bool { return kindOf(eventType) != kindUnknown }
