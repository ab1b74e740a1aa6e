package clerkkit

import "github.com/clerkkit/clerkkit/internal/bapi"

// APIError is a failed Backend API call: the API answered with an HTTP
// status of 400 or more. Every package of clerkkit returns it, so one
// errors.As works everywhere:
//
//	var apiErr *clerkkit.APIError
//	if errors.As(err, &apiErr) {
//		log.Printf("clerk said %d %s (trace %s)", apiErr.Status, apiErr.Code(), apiErr.TraceID)
//	}
//
// Fields:
//
//   - Status int: the HTTP status, also when the body was not JSON (a
//     proxy's 502 page, for example).
//   - Errors []clerk.Error: Clerk's entries, each with Code, Message,
//     LongMessage and Meta, in order.
//   - Meta json.RawMessage: the body's top-level meta object, if any.
//   - TraceID string: clerk_trace_id from the body, else the Clerk-Trace-Id
//     header.
//   - RetryAfter time.Duration: the Retry-After delay, 0 when absent.
//   - Method, Path string: the call, e.g. "GET", "/users/user_123".
//   - Body string: an excerpt of a body that was not a Clerk error.
//
// Methods: Code (the first entry's code), HasCode, Temporary (429 or 5xx),
// Is (matches ErrNotFound, ErrUnauthorized, ErrRateLimited, ErrConflict and
// ErrValidation by status) and Unwrap (clerk-sdk-go's own error, so
// errors.As with *clerk.APIErrorResponse keeps working).
//
// A call that failed without an HTTP status (connection refused, context
// cancelled, retries exhausted on timeouts) is not an APIError; its error
// names the call and wraps the cause (errors.Is(err, context.Canceled)
// works).
type APIError = bapi.APIError

// Sentinel errors, for errors.Is. The status sentinels match *APIError
// values by HTTP status.
var (
	// ErrNotFound: 404, e.g. no user with that id. memberships.Get also
	// returns an error matching it for a user who is not a member.
	ErrNotFound = bapi.ErrNotFound
	// ErrUnauthorized: 401, the secret key was refused.
	ErrUnauthorized = bapi.ErrUnauthorized
	// ErrRateLimited: 429, still rate limited after the retries allowed.
	ErrRateLimited = bapi.ErrRateLimited
	// ErrConflict: 409.
	ErrConflict = bapi.ErrConflict
	// ErrValidation: 400 or 422, the API rejected the parameters.
	ErrValidation = bapi.ErrValidation
	// ErrInvalidInput: rejected locally, before any request: an id that
	// could alter the request path, a limit outside 1..500, an empty
	// required field, metadata that is not a JSON object, …
	ErrInvalidInput = bapi.ErrInvalidInput
	// ErrUnauthenticated: the context carries no signed-in session
	// (users.Current, the memberships Require checks).
	ErrUnauthenticated = bapi.ErrUnauthenticated
	// ErrInvalidConfig: New or NewBackend was given an unusable Config.
	ErrInvalidConfig = bapi.ErrInvalidConfig
	// ErrRedirect: the Backend API (or a proxy in front of it) answered
	// with a redirect. Clerk's API never redirects, so none is followed:
	// the secret key is sent to APIURL's scheme, host and port only. Check
	// APIURL (a missing /v1 is fine; an http URL redirected to https is
	// not).
	ErrRedirect = bapi.ErrRedirect
	// ErrOffOrigin: a request for another scheme, host or port than
	// APIURL's reached clerkkit's transport; it was refused unsent.
	ErrOffOrigin = bapi.ErrOffOrigin
)
