package webhooks

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
)

// Event is one verified delivery: the Svix delivery metadata plus Clerk's
// event envelope. Data is the raw "data" object; the typed accessors (User,
// Session, Organization, …) decode it on first use and cache the result, so
// the returned value is shared: treat it as read-only. Accessors are safe for
// concurrent use. Do not copy an Event after first use.
type Event struct {
	// ID is the svix-id header: stable across retries of one message, the
	// idempotency key.
	ID string
	// DeliveredAt is the svix-timestamp header: when Svix sent this attempt.
	DeliveredAt time.Time

	// Type is the event type, e.g. "user.created"; see the Type constants.
	Type string
	// Object is "event".
	Object string
	// Data is the event's payload, as received.
	Data json.RawMessage
	// Timestamp is the envelope timestamp as sent; its unit varies (see
	// Time).
	Timestamp int64
	// InstanceID is the Clerk instance that emitted the event.
	InstanceID string
	// Attributes describe the request that caused the event, when any.
	Attributes EventAttributes

	once    sync.Once
	decoded any
	err     error
}

// EventAttributes are the envelope's "event_attributes".
type EventAttributes struct {
	// HTTPRequest describes the HTTP request that triggered the event.
	HTTPRequest HTTPRequestAttributes `json:"http_request"`
}

// HTTPRequestAttributes identify the client of the request that triggered
// an event.
type HTTPRequestAttributes struct {
	// ClientIP is the client's IP address.
	ClientIP string `json:"client_ip"`
	// UserAgent is the client's User-Agent header.
	UserAgent string `json:"user_agent"`
}

// secondsLimit separates the two units of Timestamp: 1e11 seconds is in the
// year 5138, 1e11 milliseconds in 1973.
const secondsLimit = 100_000_000_000

// Time returns the envelope timestamp. Clerk's documentation gives it in
// milliseconds while the examples of its OpenAPI spec give seconds, so Time
// infers the unit from the magnitude: an absolute value below 1e11 is taken
// as seconds, anything larger as milliseconds. It returns the zero time when
// the envelope has no timestamp.
func (e *Event) Time() time.Time {
	switch ts := e.Timestamp; {
	case ts == 0:
		return time.Time{}
	case ts < secondsLimit && ts > -secondsLimit:
		return time.Unix(ts, 0)
	default:
		return time.UnixMilli(ts)
	}
}

// UpdatedAt returns the data's "updated_at" (milliseconds), which orders the
// states of one object: skip an event whose UpdatedAt is before the stored
// row's (see the example). It returns false when the data has no positive
// updated_at, e.g. on deletions. Each call parses Data.
func (e *Event) UpdatedAt() (time.Time, bool) {
	var v struct {
		UpdatedAt int64 `json:"updated_at"`
	}
	if json.Unmarshal(e.Data, &v) != nil || v.UpdatedAt <= 0 {
		return time.Time{}, false
	}
	return time.UnixMilli(v.UpdatedAt), true
}

// decodeData decodes e.Data once into the type of e's payload kind (see
// newPayload); Verify may have done so already while decoding the envelope.
func (e *Event) decodeData() (any, error) {
	e.once.Do(func() {
		kind := kindOf(e.Type)
		v := newPayload(kind)
		if err := json.Unmarshal(e.Data, v); err != nil {
			e.err = malformed(string(kind), err)
			return
		}
		e.decoded = v
	})
	return e.decoded, e.err
}

// payload returns e's decoded data as a *T after checking that e's type
// carries the payload kind want.
func payload[T any](e *Event, want payloadKind) (*T, error) {
	if kindOf(e.Type) != want {
		return nil, &WrongTypeError{EventType: e.Type, Want: string(want)}
	}
	v, err := e.decodeData()
	if err != nil {
		return nil, err
	}
	t, ok := v.(*T)
	if !ok {
		return nil, fmt.Errorf("webhooks: internal error: %s payload decoded as %T", want, v)
	}
	return t, nil
}

// User returns the data of user.created and user.updated. clerk.User has no
// field for the payload's passkeys, enterprise_accounts, mfa_enabled_at,
// mfa_disabled_at and profile_image_url (a deprecated copy of image_url):
// read those from Data when needed. The same holds for Session().User.
func (e *Event) User() (*clerk.User, error) { return payload[clerk.User](e, kindUser) }

// Deleted returns the data of user.deleted, organization.deleted,
// organizationDomain.deleted, role.deleted and permission.deleted. (The data
// of organizationMembership.deleted is a full membership: see Membership.)
func (e *Event) Deleted() (*DeletedObject, error) { return payload[DeletedObject](e, kindDeleted) }

// Session returns the data of session.created, .pending, .ended, .removed and
// .revoked, with the session's user.
func (e *Event) Session() (*Session, error) { return payload[Session](e, kindSession) }

// Email returns the data of email.created.
func (e *Event) Email() (*Email, error) { return payload[Email](e, kindEmail) }

// SMS returns the data of sms.created.
func (e *Event) SMS() (*SMSMessage, error) { return payload[SMSMessage](e, kindSMS) }

// Organization returns the data of organization.created and .updated.
func (e *Event) Organization() (*clerk.Organization, error) {
	return payload[clerk.Organization](e, kindOrganization)
}

// OrganizationDomain returns the data of organizationDomain.created and
// .updated.
func (e *Event) OrganizationDomain() (*OrganizationDomain, error) {
	return payload[OrganizationDomain](e, kindOrganizationDomain)
}

// OrganizationInvitation returns the data of organizationInvitation.created,
// .accepted and .revoked.
func (e *Event) OrganizationInvitation() (*OrganizationInvitation, error) {
	return payload[OrganizationInvitation](e, kindOrganizationInvitation)
}

// Membership returns the data of organizationMembership.created, .updated
// and .deleted (deletions carry the full membership). PublicUserData has no
// field for the deprecated profile_image_url; use ImageURL.
func (e *Event) Membership() (*clerk.OrganizationMembership, error) {
	return payload[clerk.OrganizationMembership](e, kindMembership)
}

// Role returns the data of role.created and .updated.
func (e *Event) Role() (*Role, error) { return payload[Role](e, kindRole) }

// Permission returns the data of permission.created and .updated.
func (e *Event) Permission() (*Permission, error) { return payload[Permission](e, kindPermission) }

// WaitlistEntry returns the data of waitlistEntry.created and .updated.
func (e *Event) WaitlistEntry() (*WaitlistEntry, error) {
	return payload[WaitlistEntry](e, kindWaitlistEntry)
}

// Subscription returns the data of subscription.* events.
func (e *Event) Subscription() (*Subscription, error) {
	return payload[Subscription](e, kindSubscription)
}

// SubscriptionItem returns the data of subscriptionItem.* events.
func (e *Event) SubscriptionItem() (*SubscriptionItem, error) {
	return payload[SubscriptionItem](e, kindSubscriptionItem)
}

// PaymentAttempt returns the data of paymentAttempt.created and .updated.
func (e *Event) PaymentAttempt() (*PaymentAttempt, error) {
	return payload[PaymentAttempt](e, kindPaymentAttempt)
}
