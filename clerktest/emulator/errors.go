// Clerk's API errors, as the handlers answer them.

package emulator

import (
	"net/http"
	"strconv"
	"strings"
)

// apiError is a Clerk Backend API error.
type apiError struct {
	status int
	code   string
	msg    string
	long   string
	param  string // meta.param_name, when about one parameter
}

func (s *Server) writeError(w http.ResponseWriter, e *apiError) {
	meta := map[string]any{}
	if e.param != "" {
		meta["param_name"] = e.param
	}
	writeJSON(w, e.status, map[string]any{
		"errors": []map[string]any{{
			"code":         e.code,
			"message":      e.msg,
			"long_message": e.long,
			"meta":         meta,
		}},
		"clerk_trace_id": strings.ToLower(randomString(32)),
	})
}

// faultError is the Clerk error answered for an injected status, the
// same as an Issuer answers.
func faultError(status int) *apiError {
	switch status {
	case http.StatusTooManyRequests:
		return errTooManyRequests()
	case http.StatusUnauthorized:
		return &apiError{status: status, code: "authentication_invalid", msg: "Invalid authentication", long: "Unable to authenticate the request."}
	case http.StatusForbidden:
		return &apiError{status: status, code: "authorization_invalid", msg: "Unauthorized request", long: "You are not authorized to perform this request."}
	case http.StatusNotFound:
		return &apiError{status: status, code: "resource_not_found", msg: "not found", long: "Resource not found"}
	}
	if status >= 500 {
		return &apiError{status: status, code: "internal_clerk_error", msg: "Oops, an unexpected error occurred",
			long: "There was an internal error on our servers. We've been notified and are working on fixing it."}
	}
	text := http.StatusText(status)
	if text == "" {
		text = "Status " + strconv.Itoa(status)
	}
	return &apiError{status: status, code: strings.ToLower(strings.ReplaceAll(text, " ", "_")), msg: text, long: text}
}

func errTooManyRequests() *apiError {
	return &apiError{status: http.StatusTooManyRequests, code: "too_many_requests", msg: "Too Many Requests",
		long: "Too many requests, retry later"}
}

// APIError is the error the test-only methods of Server (SessionToken,
// AcceptInvitation, SetActiveOrganization, Seed) return when the Backend
// API would have refused the same operation: its status and Clerk error
// code.
type APIError struct {
	// Status is the HTTP status the API would answer, e.g. 404.
	Status int
	// Code is Clerk's error code, e.g. "resource_not_found".
	Code string
	// Message is the long message.
	Message string
}

// Error returns e.g. "emulator: 404 resource_not_found: No user was found
// with id user_x".
func (e *APIError) Error() string {
	return "emulator: " + strconv.Itoa(e.Status) + " " + e.Code + ": " + e.Message
}

func (e *apiError) err() error {
	return &APIError{Status: e.status, Code: e.code, Message: e.long}
}

// Errors shared by the handlers. Every error body has Clerk's shape
// ({"errors":[{code, message, long_message, meta}], "clerk_trace_id"}).
// Codes seen from Clerk: resource_not_found (404), authentication_invalid
// (401), form_identifier_exists (422, for a taken email address, username
// and slug: "That slug is taken. Please try another."),
// form_param_missing, form_param_format_invalid, form_param_value_invalid,
// form_password_length_too_short, form_username_invalid_length and
// _character, too_many_requests (429), internal_clerk_error (5xx). Where
// Clerk's code or status for a case is not known (already a member, not an
// admin, an invitation that is not pending, a banned user's session,
// malformed JSON, an unknown body parameter), the Server uses the code
// Clerk uses elsewhere for that kind of error and a status the spec lists
// for the operation.

func errNotFound(kind, id string) *apiError {
	return &apiError{status: http.StatusNotFound, code: "resource_not_found", msg: "not found",
		long: "No " + kind + " was found with id " + id}
}

func errMissing(param string) *apiError {
	return &apiError{status: http.StatusUnprocessableEntity, code: "form_param_missing", msg: param + " must be included.",
		long: param + " must be included.", param: param}
}

func errFormat(param, long string) *apiError {
	return &apiError{status: http.StatusUnprocessableEntity, code: "form_param_format_invalid", msg: "is invalid",
		long: long, param: param}
}

func errValue(param, long string) *apiError {
	return &apiError{status: http.StatusUnprocessableEntity, code: "form_param_value_invalid", msg: "is invalid",
		long: long, param: param}
}

func errTaken(param, what string) *apiError {
	return &apiError{status: http.StatusUnprocessableEntity, code: "form_identifier_exists",
		msg: "That " + what + " is taken. Please try another.", long: "That " + what + " is taken. Please try another.", param: param}
}

func errUnknownParam(param string) *apiError {
	return &apiError{status: http.StatusUnprocessableEntity, code: "form_param_unknown", msg: "is unknown",
		long: param + " is not a valid parameter for this request.", param: param}
}

func errBadJSON(long string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "malformed_request", msg: "Malformed request", long: long}
}
