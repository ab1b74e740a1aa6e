package emulator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"sort"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/clerkkit/clerkkit/clerktest/emulator"
)

// specPath is Clerk's Backend API spec, in the shared folder beside the
// repository (/work/shared next to /work/main).
const specPath = "../../../shared/clerk-openapi/bapi-2025-04-10.yml"

// spec checks every response of every Server started by this package's
// tests through newServer or newAPI against specPath; TestMain loads it.
var spec *specValidator

// TestMain validates every response the tests get from a Server against
// Clerk's spec, and fails the run on any mismatch, or when a full run
// validated nothing.
func TestMain(m *testing.M) {
	flag.Parse()
	v, err := loadSpec(specPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		fmt.Fprintf(os.Stderr, "emulator: %s is absent: responses are not validated against the spec\n", specPath)
	case err != nil:
		fmt.Fprintf(os.Stderr, "emulator: load %s: %v\n", specPath, err)
		os.Exit(1)
	default:
		spec = v
	}
	code := m.Run()
	if spec != nil {
		code = max(code, spec.report(flag.Lookup("test.run").Value.String() == ""))
	}
	os.Exit(code)
}

// TestSpecIsPresent makes the absence of the spec visible as a skip.
func TestSpecIsPresent(t *testing.T) {
	if spec == nil {
		t.Skipf("%s is absent, so responses are not validated against Clerk's spec", specPath)
	}
}

type specValidator struct {
	doc    *openapi3.T
	router routers.Router
	// Schemas for responses the spec does not describe (see observe).
	clerkErrors *openapi3.Schema
	jwks        *openapi3.Schema
	sessionList *openapi3.Schema

	mu       sync.Mutex
	byRoute  map[string]int // validated responses per "METHOD /path" of the spec, or other bucket
	failures []string
	owners   map[string]*owner // server host -> the test that started it
}

type owner struct {
	t        testing.TB
	failures []string
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
	return &specValidator{
		doc: doc, router: r,
		clerkErrors: schema("ClerkErrors"), jwks: schema("JWKS"), sessionList: sessionList,
		byRoute: map[string]int{}, owners: map[string]*owner{},
	}, nil
}

// newServer starts a Server for t (see emulator.NewServer) and reports,
// once t's Server is closed, every response of it that broke the spec.
func newServer(t testing.TB, opts ...emulator.Options) *emulator.Server {
	t.Helper()
	var o *owner
	t.Cleanup(func() { // runs after the Server's Close
		if spec == nil || o == nil {
			return
		}
		spec.mu.Lock()
		defer spec.mu.Unlock()
		for _, f := range o.failures {
			t.Errorf("response breaks the spec: %s", f)
		}
	})
	if spec != nil && len(opts) <= 1 {
		var o emulator.Options
		if len(opts) == 1 {
			o = opts[0]
		}
		opts = []emulator.Options{emulator.WithResponseObserver(o, spec.observe)}
	}
	srv := emulator.NewServer(t, opts...)
	if spec != nil {
		u, _ := url.Parse(srv.URL())
		o = &owner{t: t}
		spec.mu.Lock()
		spec.owners[u.Host] = o
		spec.mu.Unlock()
	}
	return srv
}

// observe validates one response. Where the spec has no description of
// the response, it is checked against the schema that describes it:
//
//   - /.well-known/jwks.json belongs to the Frontend API, not in this
//     spec: its body must match the spec's JWKS schema;
//   - GET /v1/sessions?paginated=true: see loadSpec;
//   - an error status an operation does not list (a 401 where the spec
//     omits it, an injected 503 or 429, a 404 for an unknown path) must
//     still be a ClerkErrors body.
//
// Anything else — a success status the operation does not list, a path
// the spec lacks that answers 2xx — is a failure.
func (v *specValidator) observe(r *http.Request, status int, header http.Header, body []byte) {
	bucket, err := v.validate(r, status, header, body)
	v.mu.Lock()
	defer v.mu.Unlock()
	if err != nil {
		msg := fmt.Sprintf("%s %s → %d: %v\nbody: %.600s", r.Method, r.URL.RequestURI(), status, err, body)
		v.failures = append(v.failures, msg)
		if o := v.owners[r.Host]; o != nil {
			o.failures = append(o.failures, msg)
		}
		return
	}
	v.byRoute[bucket]++
}

func (v *specValidator) validate(r *http.Request, status int, header http.Header, body []byte) (bucket string, err error) {
	if ct := header.Get("Content-Type"); ct != "application/json" {
		return "", fmt.Errorf("Content-Type %q, want application/json", ct)
	}
	if r.URL.Path == "/.well-known/jwks.json" {
		return "GET /.well-known/jwks.json (schema JWKS)", visit(v.jwks, body)
	}
	u := &url.URL{Scheme: "https", Host: "api.clerk.com", Path: r.URL.Path, RawQuery: r.URL.RawQuery}
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

func visit(s *openapi3.Schema, body []byte) error {
	var v any
	d := json.NewDecoder(bytes.NewReader(body))
	if err := d.Decode(&v); err != nil {
		return fmt.Errorf("body is not JSON: %w", err)
	}
	return s.VisitJSON(v, openapi3.MultiErrors())
}

// report prints what was validated and returns the exit code: 1 on any
// failure, or when a full run (wantSome) validated nothing.
func (v *specValidator) report(wantSome bool) int {
	v.mu.Lock()
	defer v.mu.Unlock()
	total := 0
	keys := make([]string, 0, len(v.byRoute))
	for k, n := range v.byRoute {
		total += n
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if testing.Verbose() || len(v.failures) > 0 {
		for _, k := range keys {
			fmt.Printf("spec-validated %5d × %s\n", v.byRoute[k], k)
		}
	}
	fmt.Printf("emulator: %d Server responses validated against %s, %d failures\n", total, specPath, len(v.failures))
	for _, f := range v.failures {
		fmt.Println("FAIL spec:", f)
	}
	switch {
	case len(v.failures) > 0:
		return 1
	case wantSome && total == 0:
		fmt.Println("FAIL spec: a full run validated no response")
		return 1
	}
	return 0
}

// validatedCount returns how many responses have been validated so far.
func validatedCount() int {
	if spec == nil {
		return 0
	}
	spec.mu.Lock()
	defer spec.mu.Unlock()
	n := 0
	for _, c := range spec.byRoute {
		n += c
	}
	return n
}

// TestSpecValidatorBites checks that the validator rejects what breaks
// the spec, so that its silence elsewhere means something.
func TestSpecValidatorBites(t *testing.T) {
	if spec == nil {
		t.Skipf("%s is absent", specPath)
	}
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
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptestRequest(tc.method, tc.target)
			if _, err := spec.validate(r, tc.status, jsonHeader, []byte(tc.body)); err == nil {
				t.Fatalf("%s %s → %d %s passed validation", tc.method, tc.target, tc.status, tc.body)
			}
		})
	}
	// And a valid one passes, so the cases above fail for their reason.
	if _, err := spec.validate(httptestRequest("GET", "/v1/users/user_1"), 200, jsonHeader, []byte(validUserJSON(""))); err != nil {
		t.Fatalf("a valid user fails: %v", err)
	}
	if _, err := spec.validate(httptestRequest("GET", "/v1/users/user_1"), 200, http.Header{"Content-Type": {"text/html"}}, []byte(validUserJSON(""))); err == nil {
		t.Fatal("a text/html response passed")
	}
}

func httptestRequest(method, target string) *http.Request {
	r, err := http.NewRequest(method, "http://127.0.0.1"+target, nil)
	if err != nil {
		panic(err)
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
