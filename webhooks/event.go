package webhooks

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sync"
	"time"
)

// Event is one verified delivery: the Svix delivery metadata plus Clerk's
// event envelope. Data is the raw "data" object; [Payload] returns it
// decoded into the type of the event's [EventType]. Do not copy an Event
// after first use.
type Event struct {
	// ID is the svix-id header: stable across retries of one message, the
	// idempotency key.
	ID string
	// DeliveredAt is the svix-timestamp header: when Svix sent this attempt.
	DeliveredAt time.Time

	// Type is the event type, e.g. "user.created"; see the EventType
	// constants.
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

// Payload returns ev's data as a T, the payload type of ev's event type:
// the T of its [EventType] constant, e.g. *clerk.User for user.created and
// user.updated, *DeletedObject for user.deleted. It is the typed access for
// code that learns the event type at run time (Verify, Handler.On); [On]
// calls it for registered functions.
//
// It fails with ErrWrongType when ev's type carries another payload type,
// and with ErrMalformedPayload when the data does not decode into T. The
// data of a known type is decoded once per Event (Verify usually did it
// already) and the value is shared between calls: treat it as read-only.
// Payload is safe for concurrent use.
//
// For an event type this package does not know, Payload decodes Data into
// a new T on each call: applications can read event types newer than this
// package with types of their own.
//
// clerk.User has no field for the payload's passkeys, enterprise_accounts,
// mfa_enabled_at, mfa_disabled_at and profile_image_url (a deprecated copy
// of image_url), nor clerk.OrganizationMembership's PublicUserData for
// profile_image_url: read those from Data when needed.
func Payload[T any](ev *Event) (T, error) {
	var zero T
	kind := kindOf(ev.Type)
	if kind == kindUnknown {
		var v T
		if err := json.Unmarshal(ev.Data, &v); err != nil {
			return zero, malformed("data", err)
		}
		return v, nil
	}
	if _, ok := nilPayload(kind).(T); !ok {
		return zero, fmt.Errorf("%w: %q carries %T, not %v", ErrWrongType, ev.Type, nilPayload(kind), reflect.TypeFor[T]())
	}
	v, err := ev.decodeData()
	if err != nil {
		return zero, err
	}
	t, ok := v.(T)
	if !ok { // newPayload and nilPayload disagree: TestPayloadTablesAgree fails
		return zero, fmt.Errorf("clerkkit/webhooks: internal error: %q decoded as %T", ev.Type, v)
	}
	return t, nil
}
