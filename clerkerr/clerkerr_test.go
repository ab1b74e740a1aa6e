package clerkerr_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/clerkkit/clerkkit/clerkerr"
)

func TestAPIErrorMatchesStatusSentinels(t *testing.T) {
	for status, want := range map[int]error{
		404: clerkerr.ErrNotFound, 401: clerkerr.ErrUnauthorized, 429: clerkerr.ErrRateLimited,
		409: clerkerr.ErrConflict, 400: clerkerr.ErrValidation, 422: clerkerr.ErrValidation,
	} {
		err := fmt.Errorf("users.Get: %w", &clerkerr.APIError{Status: status})
		assert.ErrorIs(t, err, want, "%d", status)
		for _, other := range []error{clerkerr.ErrNotFound, clerkerr.ErrUnauthorized, clerkerr.ErrRateLimited, clerkerr.ErrConflict, clerkerr.ErrValidation} {
			if other != want {
				assert.NotErrorIs(t, err, other, "%d", status)
			}
		}
		assert.NotErrorIs(t, err, clerkerr.ErrForbidden, "403 and the local sentinels are not status matches")
	}
}

func TestAPIErrorText(t *testing.T) {
	e := &clerkerr.APIError{
		Status: 422, Method: "POST", Path: "/users", TraceID: "tr_1",
		Errors: []clerkerr.Entry{{Code: "form_identifier_exists", Message: "taken", LongMessage: "That email address is taken."}, {Code: "other"}},
	}
	assert.Equal(t, "clerkkit: POST /users: 422 Unprocessable Entity: form_identifier_exists: That email address is taken. (and 1 more) [trace tr_1]", e.Error())
	assert.True(t, e.HasCode("other"))
	assert.False(t, e.HasCode("nope"))
	assert.Equal(t, "form_identifier_exists", e.Code())
	assert.False(t, e.Temporary())
	assert.True(t, (&clerkerr.APIError{Status: 503}).Temporary())
	assert.True(t, (&clerkerr.APIError{Status: 429}).Temporary())

	body := &clerkerr.APIError{Status: 502, Body: strings.Repeat("é", 100)}
	assert.Contains(t, body.Error(), "502 Bad Gateway: body ")
	assert.Less(t, len(body.Error()), 200, "a long body is quoted as an excerpt")

	cause := errors.New("sdk")
	assert.ErrorIs(t, &clerkerr.APIError{Status: 500, Err: cause}, cause)
}

func TestExcerpt(t *testing.T) {
	assert.Equal(t, "abc", clerkerr.Excerpt("abc", 3))
	assert.Equal(t, "ab…", clerkerr.Excerpt("abc", 2))
	assert.Equal(t, "…", clerkerr.Excerpt("é", 1), "never cuts a rune")
}

func ExampleAPIError() {
	var err error = fmt.Errorf("users.Get: %w", &clerkerr.APIError{Status: 404, Method: "GET", Path: "/users/user_1",
		Errors: []clerkerr.Entry{{Code: "resource_not_found", Message: "not found"}}})
	var apiErr *clerkerr.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.Status, apiErr.Code(), errors.Is(err, clerkerr.ErrNotFound))
	}
	// Output: 404 resource_not_found true
}
