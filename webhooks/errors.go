package webhooks

import "errors"

// Errors returned by verification, decoding and configuration. They never
// contain the signing secret or the request body; test them with errors.Is.
// The configuration errors of NewVerifier, NewHandler and NewSQLStore other
// than ErrInvalidSecret (a negative limit, a nil database) wrap
// clerkerr.ErrInvalidConfig.
var (
	// ErrInvalidSecret reports a signing secret that is empty, lacks the
	// "whsec_" prefix, is not base64 or is too short.
	ErrInvalidSecret = errors.New("clerkkit/webhooks: invalid signing secret")
	// ErrMissingHeaders reports a request without one of svix-id,
	// svix-timestamp or svix-signature.
	ErrMissingHeaders = errors.New("clerkkit/webhooks: missing svix headers")
	// ErrInvalidHeaders reports a malformed svix-id or svix-timestamp header.
	ErrInvalidHeaders = errors.New("clerkkit/webhooks: invalid svix headers")
	// ErrBadSignature reports that no svix-signature entry matches any
	// configured secret.
	ErrBadSignature = errors.New("clerkkit/webhooks: signature mismatch")
	// ErrTooOld reports a svix-timestamp older than the tolerance.
	ErrTooOld = errors.New("clerkkit/webhooks: timestamp too old")
	// ErrTooNew reports a svix-timestamp further in the future than the
	// tolerance.
	ErrTooNew = errors.New("clerkkit/webhooks: timestamp too new")
	// ErrTooLarge reports a body larger than Config.MaxBodyBytes.
	ErrTooLarge = errors.New("clerkkit/webhooks: body too large")
	// ErrReadBody reports a failure to read the request body.
	ErrReadBody = errors.New("clerkkit/webhooks: reading body failed")
	// ErrMalformedPayload reports a correctly signed body that is not a valid
	// event envelope, or event data that does not decode into its type.
	ErrMalformedPayload = errors.New("clerkkit/webhooks: malformed payload")
	// ErrWrongType reports a Payload call whose type parameter is not the
	// payload type of the event's type, e.g. Payload[*clerk.User] on a
	// session.created event.
	ErrWrongType = errors.New("clerkkit/webhooks: wrong payload type for event type")
	// ErrStoreFull reports that a bounded Store cannot take another id.
	ErrStoreFull = errors.New("clerkkit/webhooks: idempotency store full")
)
