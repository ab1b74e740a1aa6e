package bapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/clerkkit/clerkkit/clerkerr"
	"net/http"
	"strings"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
)

// errorBody is the Backend API's error shape (ClerkErrors in the spec).
type errorBody struct {
	Errors  []clerkerr.Entry `json:"errors"`
	Meta    json.RawMessage  `json:"meta"`
	TraceID string           `json:"clerk_trace_id"`
}

const maxBodyExcerpt = 4 << 10

// newAPIError builds an clerkerr.APIError from what the transport saw.
func newAPIError(method, path string, status int, h http.Header, body []byte, now time.Time, sdk error) *clerkerr.APIError {
	e := &clerkerr.APIError{Status: status, Method: method, Path: stripQuery(path), Err: sdk}
	var eb errorBody
	if err := json.Unmarshal(body, &eb); err == nil && eb.Errors != nil {
		e.Errors, e.Meta, e.TraceID = eb.Errors, eb.Meta, eb.TraceID
	} else if len(body) > 0 {
		e.Body = clerkerr.Excerpt(string(body), maxBodyExcerpt)
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
// shape: a *clerk.APIErrorResponse becomes a *clerkerr.APIError (status, entries,
// trace id, Retry-After); a *clerkerr.APIError stays as it is; anything else (a
// transport failure, a body clerk-sdk-go could not decode) is wrapped with
// the call's method and path.
func Convert(method, path string, err error) error {
	if err == nil {
		return nil
	}
	var ae *clerkerr.APIError
	if errors.As(err, &ae) {
		return err
	}
	var sdk *clerk.APIErrorResponse
	if errors.As(err, &sdk) {
		e := &clerkerr.APIError{
			Status:  sdk.HTTPStatusCode,
			Errors:  entries(sdk.Errors),
			TraceID: sdk.TraceID,
			Method:  method,
			Path:    stripQuery(path),
			Err:     err,
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

// InputError returns an error wrapping clerkerr.ErrInvalidInput: op is the
// operation ("users.Get"), field the parameter, reason what is wrong with
// it. The offending value is never included.
func InputError(op, field, reason string) error {
	if field == "" {
		return fmt.Errorf("%w: %s: %s", clerkerr.ErrInvalidInput, op, reason)
	}
	return fmt.Errorf("%w: %s: %s %s", clerkerr.ErrInvalidInput, op, field, reason)
}

// entries converts clerk-sdk-go's error entries.
func entries(in []clerk.Error) []clerkerr.Entry {
	if in == nil {
		return nil
	}
	out := make([]clerkerr.Entry, len(in))
	for i, e := range in {
		out[i] = clerkerr.Entry(e)
	}
	return out
}
