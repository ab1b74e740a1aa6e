package webhooks

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// Test keys, made for these tests only.
var (
	testSecret  = "whsec_" + base64.StdEncoding.EncodeToString([]byte("clerkkit-test-key-0123456789abcd"))
	otherSecret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("clerkkit-other-key-0123456789abc"))
	// testNow is the spec examples' timestamp.
	testNow = time.Unix(1716883200, 0)
)

func fixedNow() time.Time { return testNow }

// signedHeader signs body with secret for id at ts.
func signedHeader(t testing.TB, secret, id string, ts time.Time, body []byte) http.Header {
	t.Helper()
	h, err := Sign(secret, id, ts, body)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// signedRequest builds a POST delivery of body signed with secret.
func signedRequest(t testing.TB, secret, id string, ts time.Time, body []byte) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/webhooks", bytes.NewReader(body))
	for k, v := range signedHeader(t, secret, id, ts, body) {
		r.Header[k] = v
	}
	return r
}

// serve runs one request through h and returns the response.
func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// userBody is a minimal delivery body of a user event.
func userBody(eventType, userID string, updatedAt int64) []byte {
	return fmt.Appendf(nil, `{"type":%q,"object":"event","timestamp":1716883200,"instance_id":"ins_1",`+
		`"data":{"object":"user","id":%q,"first_name":"Ada","updated_at":%d,"created_at":1716883200000}}`,
		eventType, userID, updatedAt)
}
