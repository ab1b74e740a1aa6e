// Package clerkerr holds the errors that clerkkit's packages share: the
// *APIError of a failed Backend API call and the sentinels to match with
// errors.Is, wherever they come from (users, organizations, memberships,
// the middleware's membership guards, auth's and clerkkit's configuration
// checks).
//
//	var apiErr *clerkerr.APIError
//	switch {
//	case errors.Is(err, clerkerr.ErrNotFound): // 404
//	case errors.As(err, &apiErr):
//		log.Printf("clerk said %d %s (trace %s)", apiErr.Status, apiErr.Code(), apiErr.TraceID)
//	}
//
// It depends on the standard library only, so every package can use it.
//
// Error texts follow one rule across clerkkit: they begin with the package
// that defines the error, "clerkkit/auth: …", "clerkkit/webhooks: …", and
// "clerkkit: …" for the shared errors here. No error text contains a
// token, a secret key or a signing secret.
package clerkerr

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// Sentinel errors. An *APIError matches the status sentinels (ErrNotFound,
// ErrUnauthorized, ErrRateLimited, ErrConflict, ErrValidation) by its HTTP
// status; the others are wrapped by the errors that mean them.
var (
	// ErrNotFound: 404, e.g. no user with that id. memberships.Get also
	// returns an error matching it for a user who is not a member.
	ErrNotFound = errors.New("clerkkit: not found")
	// ErrUnauthorized: 401, the secret key was refused.
	ErrUnauthorized = errors.New("clerkkit: unauthorized")
	// ErrRateLimited: 429, still rate limited after the retries allowed.
	ErrRateLimited = errors.New("clerkkit: rate limited")
	// ErrConflict: 409.
	ErrConflict = errors.New("clerkkit: conflict")
	// ErrValidation: 400 or 422, the API rejected the parameters.
	ErrValidation = errors.New("clerkkit: rejected by the Backend API")
	// ErrInvalidInput: rejected locally, before any request: an id that
	// could alter the request path, a limit outside 1..500, an empty
	// required field, metadata that is not a JSON object, …
	ErrInvalidInput = errors.New("clerkkit: invalid input")
	// ErrUnauthenticated: the context carries no signed-in session
	// (users.Current, the memberships Require checks).
	ErrUnauthenticated = errors.New("clerkkit: no signed-in session in context")
	// ErrForbidden: the signed-in user is not allowed (the memberships
	// Require checks: not a member, or not of the role or permission).
	ErrForbidden = errors.New("clerkkit: forbidden")
	// ErrInvalidConfig: a constructor was given an unusable configuration
	// (auth.NewVerifier, clerkkit.New, webhooks.NewHandler, …).
	ErrInvalidConfig = errors.New("clerkkit: invalid config")
	// ErrRedirect: the Backend API (or a proxy in front of it) answered
	// with a redirect. Clerk's API never redirects, so none is followed:
	// the secret key is sent to the API URL's scheme, host and port only.
	ErrRedirect = errors.New("clerkkit: the Backend API answered with a redirect, which is not followed")
	// ErrOffOrigin: a request for another scheme, host or port than the
	// API URL's reached clerkkit's transport; it was refused unsent.
	ErrOffOrigin = errors.New("clerkkit: request is not for the Backend API's origin")
)

// APIError is a failed Backend API call: an HTTP status of 400 or more,
// with whatever Clerk said about it.
type APIError struct {
	// Status is the HTTP status code, also when the body was not JSON.
	Status int
	// Errors are Clerk's error entries, in order. Empty when the body was
	// not a Clerk error.
	Errors []Entry
	// Meta is the top-level "meta" object of the error body, if any.
	Meta json.RawMessage
	// TraceID is Clerk's trace id (clerk_trace_id in the body, else the
	// Clerk-Trace-Id or X-Clerk-Trace-Id header). Quote it to Clerk support.
	TraceID string
	// RetryAfter is the delay the Retry-After header asked for, 0 when
	// absent. A 429 whose delay exceeded the retry budget carries it here.
	RetryAfter time.Duration
	// Method and Path identify the call, e.g. "GET" and "/users/user_123".
	// Path never includes the query.
	Method, Path string
	// Body is an excerpt (at most 4 KiB) of a body that was not a Clerk
	// error object, e.g. a proxy's HTML page; "" otherwise.
	Body string
	// Err is the underlying error: clerk-sdk-go's *clerk.APIErrorResponse
	// when the body was a Clerk error, so that code written for the
	// official SDK keeps working with errors.As. It may be nil.
	Err error
}

// Entry is one of Clerk's error entries (ClerkError in the Backend API's
// spec), with the fields of clerk-sdk-go's clerk.Error.
type Entry struct {
	Code        string          `json:"code"`
	Message     string          `json:"message"`
	LongMessage string          `json:"long_message"`
	Meta        json.RawMessage `json:"meta,omitempty"`
}

// Error describes the failure on one line: call, status, first Clerk error
// and trace id.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("clerkkit: ")
	if e.Method != "" || e.Path != "" {
		b.WriteString(e.Method)
		b.WriteByte(' ')
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, "%d", e.Status)
	if t := http.StatusText(e.Status); t != "" {
		b.WriteByte(' ')
		b.WriteString(t)
	}
	if len(e.Errors) > 0 {
		first := e.Errors[0]
		if first.Code != "" {
			b.WriteString(": ")
			b.WriteString(first.Code)
		}
		msg := first.LongMessage
		if msg == "" {
			msg = first.Message
		}
		if msg != "" {
			b.WriteString(": ")
			b.WriteString(msg)
		}
		if n := len(e.Errors) - 1; n > 0 {
			fmt.Fprintf(&b, " (and %d more)", n)
		}
	} else if e.Body != "" {
		fmt.Fprintf(&b, ": body %q", Excerpt(e.Body, 120))
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	if e.TraceID != "" {
		b.WriteString(" [trace ")
		b.WriteString(e.TraceID)
		b.WriteByte(']')
	}
	return b.String()
}

// Is reports whether the error matches a status sentinel: ErrNotFound
// (404), ErrUnauthorized (401), ErrRateLimited (429), ErrConflict (409) or
// ErrValidation (400, 422).
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized
	case ErrRateLimited:
		return e.Status == http.StatusTooManyRequests
	case ErrConflict:
		return e.Status == http.StatusConflict
	case ErrValidation:
		return e.Status == http.StatusBadRequest || e.Status == http.StatusUnprocessableEntity
	}
	return false
}

// Unwrap returns Err.
func (e *APIError) Unwrap() error { return e.Err }

// Code returns the code of the first Clerk error entry, "" when none.
func (e *APIError) Code() string {
	if len(e.Errors) == 0 {
		return ""
	}
	return e.Errors[0].Code
}

// HasCode reports whether any Clerk error entry has the given code (for
// example "form_identifier_exists").
func (e *APIError) HasCode(code string) bool {
	for _, x := range e.Errors {
		if x.Code == code {
			return true
		}
	}
	return false
}

// Temporary reports whether the same call may succeed later: a 429 or a
// 5xx status.
func (e *APIError) Temporary() bool {
	return e.Status == http.StatusTooManyRequests || e.Status >= 500
}

// Excerpt returns at most n bytes of s, cut on a rune boundary and marked
// with "…" when cut. It is how APIError quotes bodies that were not Clerk
// errors.
func Excerpt(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}
