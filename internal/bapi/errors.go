package bapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/clerk/clerk-sdk-go/v2"
)

// Sentinel errors. An *APIError matches the status sentinels with
// errors.Is; local validation failures wrap ErrInvalidInput.
var (
	ErrNotFound        = errors.New("clerkkit: not found")
	ErrUnauthorized    = errors.New("clerkkit: unauthorized")
	ErrRateLimited     = errors.New("clerkkit: rate limited")
	ErrConflict        = errors.New("clerkkit: conflict")
	ErrValidation      = errors.New("clerkkit: rejected by the Backend API")
	ErrInvalidInput    = errors.New("clerkkit: invalid input")
	ErrUnauthenticated = errors.New("clerkkit: no signed-in session in context")
)

// APIError is a failed Backend API call: an HTTP status of 400 or more,
// with whatever Clerk said about it.
type APIError struct {
	// Status is the HTTP status code, also when the body was not JSON.
	Status int
	// Errors are Clerk's error entries, in order (code, message,
	// long_message, meta). Empty when the body was not a Clerk error.
	Errors []clerk.Error
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

	sdk error
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
		fmt.Fprintf(&b, ": body %q", excerpt(e.Body, 120))
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

// Unwrap returns clerk-sdk-go's own error for the call (a
// *clerk.APIErrorResponse when the body was a Clerk error), so code written
// for the official SDK keeps working with errors.As.
func (e *APIError) Unwrap() error { return e.sdk }

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

// errorBody is the Backend API's error shape (ClerkErrors in the spec).
type errorBody struct {
	Errors  []clerk.Error   `json:"errors"`
	Meta    json.RawMessage `json:"meta"`
	TraceID string          `json:"clerk_trace_id"`
}

const maxBodyExcerpt = 4 << 10

// newAPIError builds an APIError from what the transport saw.
func newAPIError(method, path string, status int, h http.Header, body []byte, now time.Time, sdk error) *APIError {
	e := &APIError{Status: status, Method: method, Path: stripQuery(path), sdk: sdk}
	var eb errorBody
	if err := json.Unmarshal(body, &eb); err == nil && eb.Errors != nil {
		e.Errors, e.Meta, e.TraceID = eb.Errors, eb.Meta, eb.TraceID
	} else if len(body) > 0 {
		e.Body = excerpt(string(body), maxBodyExcerpt)
	}
	if e.TraceID == "" && h != nil {
		e.TraceID = h.Get("Clerk-Trace-Id")
		if e.TraceID == "" {
			e.TraceID = h.Get("X-Clerk-Trace-Id")
		}
	}
	if h != nil {
		if d, ok := parseRetryAfter(h.Get("Retry-After"), now); ok {
			e.RetryAfter = d
		}
	}
	return e
}

// Convert turns an error returned by any clerk.Backend into clerkkit's
// shape: a *clerk.APIErrorResponse becomes an *APIError (status, entries,
// trace id, Retry-After); an *APIError stays as it is; anything else (a
// transport failure, a body clerk-sdk-go could not decode) is wrapped with
// the call's method and path.
func Convert(method, path string, err error) error {
	if err == nil {
		return nil
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return err
	}
	var sdk *clerk.APIErrorResponse
	if errors.As(err, &sdk) {
		e := &APIError{
			Status:  sdk.HTTPStatusCode,
			Errors:  sdk.Errors,
			TraceID: sdk.TraceID,
			Method:  method,
			Path:    stripQuery(path),
			sdk:     err,
		}
		if sdk.Response != nil {
			if e.Status == 0 {
				e.Status = sdk.Response.StatusCode
			}
			if e.TraceID == "" {
				e.TraceID = sdk.Response.TraceID
			}
			if d, ok := parseRetryAfter(sdk.Response.Header.Get("Retry-After"), time.Now()); ok {
				e.RetryAfter = d
			}
		}
		return e
	}
	return &callError{method: method, path: stripQuery(path), err: err}
}

// callError is a call that failed without an HTTP error status.
type callError struct {
	method, path string
	err          error
}

func (e *callError) Error() string {
	return "clerkkit: " + e.method + " " + e.path + ": " + e.err.Error()
}

func (e *callError) Unwrap() error { return e.err }

func stripQuery(p string) string {
	if i := strings.IndexByte(p, '?'); i >= 0 {
		return p[:i]
	}
	return p
}

// excerpt returns at most n bytes of s, cut on a rune boundary.
func excerpt(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}

// InputError returns an error wrapping ErrInvalidInput: op is the
// operation ("users.Get"), field the parameter, reason what is wrong with
// it. The offending value is never included.
func InputError(op, field, reason string) error {
	if field == "" {
		return fmt.Errorf("%w: %s: %s", ErrInvalidInput, op, reason)
	}
	return fmt.Errorf("%w: %s: %s %s", ErrInvalidInput, op, field, reason)
}
