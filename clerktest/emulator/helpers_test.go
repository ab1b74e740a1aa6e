package emulator_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/clerkkit/clerkkit/clerktest/emulator"
)

// api calls a Server's Backend API with its secret key.
type api struct {
	t   testing.TB
	srv *emulator.Server
}

func newAPI(t testing.TB, opts ...emulator.Options) *api {
	return &api{t: t, srv: newServer(t, opts...)}
}

// do sends method path (under /v1) with body (JSON-encoded unless it is a
// string) and returns the status and raw body.
func (a *api) do(method, path string, body any) (int, []byte) {
	a.t.Helper()
	return a.doAuth(method, path, body, "Bearer "+a.srv.SecretKey())
}

func (a *api) doAuth(method, path string, body any, authz string) (int, []byte) {
	a.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			a.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, a.srv.URL()+path, rd)
	if err != nil {
		a.t.Fatal(err)
	}
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Clerk-API-Version", "2025-04-10")
	resp, err := a.srv.HTTPClient().Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	return resp.StatusCode, out
}

// ok calls do, requires 200 and decodes the body into a map (or, for an
// array, []any).
func (a *api) ok(method, path string, body any) map[string]any {
	a.t.Helper()
	status, out := a.do(method, path, body)
	if status != http.StatusOK {
		a.t.Fatalf("%s %s: status %d, body %s", method, path, status, out)
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		a.t.Fatalf("%s %s: %v in %s", method, path, err, out)
	}
	return m
}

// list calls GET path and decodes a bare array.
func (a *api) list(path string) []map[string]any {
	a.t.Helper()
	status, out := a.do("GET", path, nil)
	if status != http.StatusOK {
		a.t.Fatalf("GET %s: status %d, body %s", path, status, out)
	}
	var l []map[string]any
	if err := json.Unmarshal(out, &l); err != nil {
		a.t.Fatalf("GET %s: %v in %s", path, err, out)
	}
	return l
}

// fail calls do and requires status and a Clerk error with code.
func (a *api) fail(method, path string, body any, status int, code string) map[string]any {
	a.t.Helper()
	got, out := a.do(method, path, body)
	return checkAPIError(a.t, method+" "+path, got, out, status, code)
}

func checkAPIError(t testing.TB, what string, got int, out []byte, status int, code string) map[string]any {
	t.Helper()
	if got != status {
		t.Fatalf("%s: status %d, want %d; body %s", what, got, status, out)
	}
	var e struct {
		Errors []map[string]any `json:"errors"`
		Trace  string           `json:"clerk_trace_id"`
	}
	if err := json.Unmarshal(out, &e); err != nil || len(e.Errors) != 1 {
		t.Fatalf("%s: not one Clerk error: %v %s", what, err, out)
	}
	if e.Errors[0]["code"] != code {
		t.Fatalf("%s: code %v, want %s; body %s", what, e.Errors[0]["code"], code, out)
	}
	if e.Trace == "" {
		t.Fatalf("%s: no clerk_trace_id in %s", what, out)
	}
	for _, k := range []string{"message", "long_message"} {
		if s, _ := e.Errors[0][k].(string); s == "" {
			t.Fatalf("%s: no %s in %s", what, k, out)
		}
	}
	return e.Errors[0]
}

func (a *api) createUser(email, first string) map[string]any {
	a.t.Helper()
	body := map[string]any{"first_name": first}
	if email != "" {
		body["email_address"] = []string{email}
	}
	return a.ok("POST", "/v1/users", body)
}

// payloadOf decodes the payload of a compact JWS, numbers as json.Number.
func payloadOf(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d segments", len(parts))
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("payload: %v", err)
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatalf("payload: %v", err)
	}
	return m
}

func num(n int64) json.Number { return json.Number(strconv.FormatInt(n, 10)) }
