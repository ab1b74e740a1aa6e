package webhooks

import (
	"errors"
	"fmt"
)

// Errors returned by verification and decoding. They never contain the
// signing secret or the request body; test them with errors.Is.
var (
	// ErrInvalidSecret reports a signing secret that is empty, lacks the
	// "whsec_" prefix, is not base64 or is too short.
	ErrInvalidSecret = errors.New("webhooks: invalid signing secret")
	// ErrMissingHeaders reports a request without one of svix-id,
	// svix-timestamp or svix-signature.
	ErrMissingHeaders = errors.New("webhooks: missing svix headers")
	// ErrInvalidHeaders reports a malformed svix-id or svix-timestamp header.
	ErrInvalidHeaders = errors.New("webhooks: invalid svix headers")
	// ErrBadSignature reports that no svix-signature entry matches any
	// configured secret.
	ErrBadSignature = errors.New("webhooks: signature mismatch")
	// ErrTooOld reports a svix-timestamp older than the tolerance.
	ErrTooOld = errors.New("webhooks: timestamp too old")
	// ErrTooNew reports a svix-timestamp further in the future than the
	// tolerance.
	ErrTooNew = errors.New("webhooks: timestamp too new")
	// ErrTooLarge reports a body larger than Config.MaxBodyBytes.
	ErrTooLarge = errors.New("webhooks: body too large")
	// ErrReadBody reports a failure to read the request body.
	ErrReadBody = errors.New("webhooks: reading body failed")
	// ErrMalformedPayload reports a correctly signed body that is not a valid
	// event envelope, or event data that does not decode into its type.
	ErrMalformedPayload = errors.New("webhooks: malformed payload")
	// ErrWrongType is matched (errors.Is) by a *WrongTypeError.
	ErrWrongType = errors.New("webhooks: wrong event type for accessor")
	// ErrStoreFull reports that a bounded Store cannot take another id.
	ErrStoreFull = errors.New("webhooks: idempotency store full")
)

// WrongTypeError is returned by a typed accessor of Event called on an event
// whose type does not carry that payload, e.g. Event.User on a
// "session.created" event.
type WrongTypeError struct {
	// EventType is the event's type.
	EventType string
	// Want names the payload the accessor decodes, e.g. "user".
	Want string
}

// Error implements error.
func (e *WrongTypeError) Error() string {
	return fmt.Sprintf("webhooks: event type %q does not carry a %s payload", e.EventType, e.Want)
}

// Is reports whether target is ErrWrongType.
func (e *WrongTypeError) Is(target error) bool { return target == ErrWrongType }
