package emulatorspec_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// repoRoot is the repository's root, from this package's directory.
const repoRoot = "../.."

// specDir is the folder of Clerk's specs: shared/clerk-openapi beside
// the repository (../shared/clerk-openapi from its root), where CI puts
// a copy next to its clone.
const specDir = repoRoot + "/../shared/clerk-openapi"

// backendSpecPath is Clerk's Backend API spec.
const backendSpecPath = specDir + "/bapi-2025-04-10.yml"

// specAbsent skips t for a spec file missing locally, and fails it under
// CI, which must provide the specs.
func specAbsent(t testing.TB, path string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is absent: CI must provide Clerk's specs in shared/clerk-openapi beside the repository", path)
	}
	t.Skipf("%s is absent (Clerk's specs go in shared/clerk-openapi beside the repository): not validated against it", path)
}

// loadBackendSpec loads backendSpecPath once, for every test.
var loadBackendSpec = sync.OnceValues(func() (*specValidator, error) { return loadSpec(backendSpecPath) })

// backendSpec returns the Backend API validator; see specAbsent.
func backendSpec(t testing.TB) *specValidator {
	t.Helper()
	v, err := loadBackendSpec()
	if errors.Is(err, fs.ErrNotExist) {
		specAbsent(t, backendSpecPath)
	}
	if err != nil {
		t.Fatalf("load %s: %v", backendSpecPath, err)
	}
	return v
}

// specValidator checks a response of the emulator against the Backend
// API spec.
type specValidator struct {
	router routers.Router
	// Schemas for responses the spec does not describe (see validate).
	clerkErrors *openapi3.Schema
	jwks        *openapi3.Schema
	sessionList *openapi3.Schema
	// GET /v1/jwt_templates?paginated=true, as clerk-sdk-go's
	// jwttemplate.List sends it: {"data":[JWTTemplate],"total_count":N}.
	templateList *openapi3.Schema
	handshake    *openapi3.Schema
	// pageLists: see paginatedLists.
	pageLists map[string]*openapi3.Schema
}

// paginatedLists are the operations answering a bare array that
// clerk-sdk-go's List calls with paginated=true, which Clerk then answers
// {"data":[item],"total_count":N}: the operation and the item's schema
// ("Name[]": the items of the array schema Name).
var paginatedLists = map[string]string{
	"GET /v1/invitations":           "Invitation",
	"GET /v1/allowlist_identifiers": "AllowlistIdentifier",
	"GET /v1/redirect_urls":         "RedirectURL",
	// @clerk/backend's clients.getClientList asks paginated=true.
	"GET /v1/clients": "Client",
	// user.ListOAuthAccessTokens asks for {provider}?paginated=true.
	"GET /v1/users/{user_id}/oauth_access_tokens/{provider}": "OAuthAccessToken[]",
}

func loadSpec(path string) (*specValidator, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	l := openapi3.NewLoader()
	l.IsExternalRefsAllowed = true
	doc, err := l.LoadFromFile(path)
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("the spec is invalid: %w", err)
	}
	r, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, err
	}
	schema := func(name string) *openapi3.Schema { return doc.Components.Schemas[name].Value }
	// GET /v1/sessions?paginated=true (clerk-sdk-go's session.List) answers
	// {"data":[Session],"total_count":N}; the spec describes only the bare
	// array of the unpaginated call.
	sessionList := openapi3.NewObjectSchema().
		WithProperty("data", openapi3.NewArraySchema().WithItems(schema("Session"))).
		WithProperty("total_count", openapi3.NewInt64Schema())
	sessionList.Required = []string{"data", "total_count"}
	sessionList.AdditionalProperties = openapi3.AdditionalProperties{Has: new(false)}
	templateList := openapi3.NewObjectSchema().
		WithProperty("data", openapi3.NewArraySchema().WithItems(schema("JWTTemplate"))).
		WithProperty("total_count", openapi3.NewInt64Schema())
	templateList.Required = []string{"data", "total_count"}
	templateList.AdditionalProperties = openapi3.AdditionalProperties{Has: new(false)}
	// GET /v1/clients/handshake_payload is in the spec as a path without
	// operations; Clerk's JS SDK reads its answer's directives, Set-Cookie
	// values.
	handshake := openapi3.NewObjectSchema().
		WithProperty("directives", openapi3.NewArraySchema().WithItems(openapi3.NewStringSchema()))
	handshake.Required = []string{"directives"}
	handshake.AdditionalProperties = openapi3.AdditionalProperties{Has: new(false)}
	pageLists := map[string]*openapi3.Schema{}
	for op, name := range paginatedLists {
		var item *openapi3.Schema
		if array, ok := strings.CutSuffix(name, "[]"); ok {
			item = schema(array).Items.Value
		} else {
			item = schema(name)
		}
		l := openapi3.NewObjectSchema().
			WithProperty("data", openapi3.NewArraySchema().WithItems(item)).
			WithProperty("total_count", openapi3.NewInt64Schema())
		l.Required = []string{"data", "total_count"}
		l.AdditionalProperties = openapi3.AdditionalProperties{Has: new(false)}
		pageLists[op] = l
	}
	return &specValidator{
		router: r, pageLists: pageLists,
		clerkErrors: schema("ClerkErrors"), jwks: schema("JWKS"), sessionList: sessionList, templateList: templateList, handshake: handshake,
	}, nil
}

// validate checks one response and returns the bucket it counts in: the
// spec's "METHOD /path status", or the documented exception it falls
// under. Where the spec has no description of the response, it is
// checked against the schema that describes it:
//
//   - /.well-known/jwks.json belongs to the Frontend API, not in this
//     spec: its body must match the spec's JWKS schema;
//   - the other Frontend API paths the emulator serves on its host
//     (frontendPaths: the handshake, dev browsers, the hosted sign-in and
//     sign-out pages) are not in this spec either, and answer redirects
//     and HTML: they are not validated;
//   - GET /v1/clients/handshake_payload 200, a path the spec lists
//     without operations: its body must be {"directives":[string…]};
//   - GET /v1/sessions?paginated=true: see loadSpec; likewise the
//     operations of paginatedLists;
//   - the machine-authentication paths without /v1 (Clerk's JS SDK
//     calls them so): validated as the spec's /v1 operation (specPath);
//   - an error status an operation does not list (a 401 where the spec
//     omits it, an injected 503 or 429, a 404 for an unknown path) must
//     still be a ClerkErrors body.
//
// Anything else — a success status the operation does not list, a path
// the spec lacks that answers 2xx — is a failure.
func (v *specValidator) validate(r *http.Request, status int, header http.Header, body []byte) (bucket string, err error) {
	if slices.Contains(frontendPaths, r.URL.Path) {
		return "Frontend API " + r.Method + " " + r.URL.Path + " (not in this spec, not validated)", nil
	}
	if ct := header.Get("Content-Type"); ct != "application/json" {
		return "", fmt.Errorf("Content-Type %q, want application/json", ct)
	}
	if r.URL.Path == "/.well-known/jwks.json" {
		return "GET /.well-known/jwks.json (schema JWKS)", visit(v.jwks, body)
	}
	if r.Method == http.MethodGet && r.URL.Path == "/v1/clients/handshake_payload" && status == http.StatusOK {
		return "GET /v1/clients/handshake_payload 200 (documented exception)", visit(v.handshake, body)
	}
	u := &url.URL{Scheme: "https", Host: "api.clerk.com", Path: specPath(r.URL.Path), RawQuery: r.URL.RawQuery}
	req, _ := http.NewRequest(r.Method, u.String(), nil)
	route, params, ferr := v.router.FindRoute(req)
	if ferr != nil {
		if status >= 400 {
			return "unknown path (schema ClerkErrors)", visit(v.clerkErrors, body)
		}
		return "", fmt.Errorf("the spec has no operation %s %s, yet it answered %d", r.Method, r.URL.Path, status)
	}
	op := r.Method + " /v1" + route.Path
	if op == "GET /v1/sessions" && r.URL.Query().Get("paginated") == "true" && status == http.StatusOK {
		return op + "?paginated=true (documented exception)", visit(v.sessionList, body)
	}
	if l := v.pageLists[op]; l != nil && r.URL.Query().Get("paginated") == "true" && status == http.StatusOK {
		return op + "?paginated=true (documented exception)", visit(l, body)
	}
	if op == "GET /v1/jwt_templates" && r.URL.Query().Get("paginated") == "true" && status == http.StatusOK {
		return op + "?paginated=true (documented exception)", visit(v.templateList, body)
	}
	if route.Operation.Responses.Status(status) == nil {
		if status >= 400 {
			return fmt.Sprintf("%s %d, not in the spec (schema ClerkErrors)", op, status), visit(v.clerkErrors, body)
		}
		return "", fmt.Errorf("status %d is not a response of %s in the spec", status, op)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 status,
		Header:                 header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	in.SetBodyBytes(body)
	return fmt.Sprintf("%s %d", op, status), openapi3filter.ValidateResponse(context.Background(), in)
}

// frontendPaths are the Frontend API paths the emulator serves on its own
// host, besides /.well-known/jwks.json (see validate).
var frontendPaths = []string{"/v1/client/handshake", "/v1/dev_browser", "/sign-in", "/sign-out"}

// unprefixedFamilies are the paths the emulator also serves without /v1,
// as Clerk's JS SDK calls them.
var unprefixedFamilies = []string{"/machines", "/api_keys", "/m2m_tokens", "/oauth_applications/access_tokens/"}

// specPath is the spec's path for a request path: itself, or /v1+path
// for a path of unprefixedFamilies.
func specPath(path string) string {
	if rest, ok := strings.CutPrefix(path, "/v1/billing/"); ok && (rest == "plans" || rest == "subscription_items" ||
		(strings.HasPrefix(rest, "subscription_items/") && strings.Count(rest, "/") == 1)) {
		return "/v1/commerce/" + rest // where clerk-sdk-go and @clerk/backend call them
	}
	for _, f := range unprefixedFamilies {
		if path == f || strings.HasPrefix(path, strings.TrimSuffix(f, "/")+"/") {
			return "/v1" + path
		}
	}
	return path
}

// visit checks a JSON body against s.
func visit(s *openapi3.Schema, body []byte) error {
	var v any
	d := json.NewDecoder(bytes.NewReader(body))
	if err := d.Decode(&v); err != nil {
		return fmt.Errorf("body is not JSON: %w", err)
	}
	return s.VisitJSON(v, openapi3.MultiErrors())
}

// TestSpecValidatorBites checks that the validator rejects what breaks
// the spec, so that its silence elsewhere means something.
func TestSpecValidatorBites(t *testing.T) {
	t.Parallel()
	spec := backendSpec(t)
	jsonHeader := http.Header{"Content-Type": {"application/json"}}
	for _, tc := range []struct {
		name, method, target string
		status               int
		body                 string
	}{
		{"user missing required fields", "GET", "/v1/users/user_1", 200, `{"id":"user_1","object":"user"}`},
		{"user with an unknown field", "GET", "/v1/users/user_1", 200, validUserJSON(`"extra":1,`)},
		{"users list not an array", "GET", "/v1/users", 200, `{"data":[],"total_count":0}`},
		{"count with wrong object", "GET", "/v1/users/count", 200, `{"object":"count","total_count":1}`},
		{"error without errors", "GET", "/v1/users/user_1", 404, `{"clerk_trace_id":"x"}`},
		{"undeclared error status with a non-Clerk body", "GET", "/v1/users/user_1", 503, `<html>`},
		{"undeclared success status", "GET", "/v1/users/user_1", 201, validUserJSON("")},
		{"unknown path answering 200", "GET", "/v1/nothing", 200, `{}`},
		{"organization list without total_count", "GET", "/v1/organizations", 200, `{"data":[]}`},
		{"jwks with a non-array keys", "GET", "/.well-known/jwks.json", 200, `{"keys":{}}`},
		{"paginated sessions without total_count", "GET", "/v1/sessions?paginated=true", 200, `{"data":[]}`},
		{"bare sessions array answering paginated=true", "GET", "/v1/sessions?paginated=true", 200, `[]`},
		{"paginated templates without total_count", "GET", "/v1/jwt_templates?paginated=true", 200, `{"data":[]}`},
		{"paginated invitations without total_count", "GET", "/v1/invitations?paginated=true", 200, `{"data":[]}`},
		{"paginated redirect URLs holding an invitation", "GET", "/v1/redirect_urls?paginated=true", 200, `{"data":[{"object":"invitation"}],"total_count":1}`},
		{"bare allowlist answering paginated=true", "GET", "/v1/allowlist_identifiers?paginated=true", 200, `[]`},
		{"paginated OAuth tokens holding a session", "GET", "/v1/users/user_1/oauth_access_tokens/oauth_google?paginated=true", 200,
			`{"data":[{"object":"session"}],"total_count":1}`},
		{"paginated templates with a session", "GET", "/v1/jwt_templates?paginated=true", 200, `{"data":[{"object":"session"}],"total_count":1}`},
		{"handshake payload without directives", "GET", "/v1/clients/handshake_payload?nonce=n", 200, `{}`},
		{"handshake payload with a non-string directive", "GET", "/v1/clients/handshake_payload?nonce=n", 200, `{"directives":[1]}`},
		{"handshake payload with an unknown member", "GET", "/v1/clients/handshake_payload?nonce=n", 200, `{"directives":[],"x":1}`},
		{"a Backend API path near the Frontend API's", "GET", "/v1/clients/handshake", 200, `{}`},
		{"a Frontend API path below the hosted page", "GET", "/sign-in/x", 200, `{}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRequest(t, tc.method, tc.target)
			if _, err := spec.validate(r, tc.status, jsonHeader, []byte(tc.body)); err == nil {
				t.Fatalf("%s %s → %d %s passed validation", tc.method, tc.target, tc.status, tc.body)
			}
		})
	}
	// And valid ones pass, so the cases above fail for their reason.
	for _, tc := range []struct{ target, body string }{
		{"/v1/users/user_1", validUserJSON("")},
		{"/v1/sessions?paginated=true", `{"data":[],"total_count":0}`},
		{"/v1/sessions", `[]`},
		{"/v1/clients/handshake_payload?nonce=n", `{"directives":["__session=x; Path=/"]}`},
	} {
		if _, err := spec.validate(newRequest(t, "GET", tc.target), 200, jsonHeader, []byte(tc.body)); err != nil {
			t.Errorf("valid GET %s %s fails: %v", tc.target, tc.body, err)
		}
	}
	if _, err := spec.validate(newRequest(t, "GET", "/v1/users/user_1"), 200, http.Header{"Content-Type": {"text/html"}}, []byte(validUserJSON(""))); err == nil {
		t.Error("a text/html response passed")
	}
}

// newRequest returns a request for target, a path with query, as the
// emulator receives it.
func newRequest(t testing.TB, method, target string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, "http://127.0.0.1"+target, nil)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	return r
}

// validUserJSON is a minimal valid User, with extra members spliced in.
func validUserJSON(extra string) string {
	return `{` + extra + `"id":"user_1","object":"user","username":null,"first_name":null,"last_name":null,"has_image":false,
	"primary_email_address_id":null,"primary_phone_number_id":null,"primary_web3_wallet_id":null,"password_enabled":false,
	"two_factor_enabled":false,"totp_enabled":false,"backup_code_enabled":false,"email_addresses":[],"phone_numbers":[],
	"web3_wallets":[],"passkeys":[],"external_accounts":[],"saml_accounts":[],"enterprise_accounts":[],"public_metadata":{},
	"external_id":null,"last_sign_in_at":null,"banned":false,"locked":false,"lockout_expires_in_seconds":null,
	"verification_attempts_remaining":null,"created_at":1,"updated_at":1,"delete_self_enabled":true,
	"create_organization_enabled":true,"last_active_at":null,"mfa_enabled_at":null,"mfa_disabled_at":null,"legal_accepted_at":null}`
}
