package devprobe_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/clerkkit/clerkkit/clerktest/emulator"
)

// backendSpecPath is Clerk's Backend API spec, in shared/clerk-openapi
// beside the repository, where CI puts a copy next to its clone.
const backendSpecPath = repoRoot + "/../shared/clerk-openapi/bapi-2025-04-10.yml"

// minServed is issue 13's floor: the emulator serves at least this many
// of the spec's operations.
const minServed = 110

// catchAllText is in the long_message of the 404 the emulator's catch-all
// route answers for a request no route of its serves
// (clerktest/emulator/server.go, the end of registerRoutes).
const catchAllText = "the emulator serves part of the Backend API"

// operation is one operation of the spec.
type operation struct {
	method, path, tag, id string
	op                    *openapi3.Operation
}

func (o operation) String() string { return o.method + " " + o.path }

// result is how the running emulator answered an operation's probe.
type result struct {
	operation
	target string // the request's path and query
	status int
	code   string // the first Clerk error's code, if any
	// served: see TestProbeEveryOperation.
	served bool
	// routed is the route of emulator.Server.Routes the request matches
	// ("" for none).
	routed string
}

// TestProbeEveryOperation counts the Backend API operations that `clerkkit
// dev` serves by sending one request for every operation of
// bapi-2025-04-10.yml to the built binary, authenticated with the
// CLERK_SECRET_KEY it prints. Path parameters are ids of resources the
// probe finds or creates first (the demo seed's users and organizations, a
// session, a JWT template, a machine, …), else made-up ids of the right
// prefix; query parameters and JSON bodies carry the schema's required
// members only (multipart bodies a one-pixel PNG as "file"). Operations
// that change or delete what others use go last, deletes of the longest
// paths first.
//
// An operation is served when its answer is anything but what the
// emulator answers for a request none of its routes serves: the
// catch-all's 404, recognised by its long_message (catchAllText), or a
// 405 (a route of the path exists for other methods only) or 501. A
// served route may well answer 404 resource_not_found for a made-up id, or
// 400/422 for a minimal body: that still counts as served, which is why
// the catch-all is recognised by its text, never by the status alone.
// The classification is cross-checked with the route table of an
// in-process emulator.Server built from the same source (Server.Routes,
// registered in an http.ServeMux that is asked which route the probe's
// request matches): an operation served by the binary that matches no
// route, or one that matches a route but reaches the catch-all, fails the
// test, and so does a 5xx from a served route. It fails when fewer than
// minServed operations are served, and logs a Markdown table of the
// operations served per spec tag (also written to the file named by
// $DEVPROBE_REPORT when set).
func TestProbeEveryOperation(t *testing.T) {
	doc := loadSpec(t)
	ops := specOperations(doc)
	if len(ops) == 0 {
		t.Fatal("the spec has no operations")
	}
	env := devEnv(t)
	p := &prober{t: t, c: httpClient(t), api: env["CLERK_API_URL"], key: env["CLERK_SECRET_KEY"], ids: map[string]string{}}
	p.discover()
	routes := newRouteTable(t)

	slices.SortStableFunc(ops, func(a, b operation) int { return probeRank(a) - probeRank(b) })
	var results []result
	for _, o := range ops {
		r := p.probe(o)
		r.routed = routes.match(r.method, r.target)
		results = append(results, r)
		switch {
		case r.served && r.routed == "":
			t.Errorf("%s (%s): answered %d %s, not the catch-all, yet matches no route of Server.Routes", o, r.target, r.status, r.code)
		case !r.served && r.routed != "":
			t.Errorf("%s (%s): matches route %q of Server.Routes, yet answered %d as if not served", o, r.target, r.routed, r.status)
		case r.served && r.status >= 500:
			t.Errorf("%s (%s): a served route answered %d %s", o, r.target, r.status, r.code)
		}
	}
	slices.SortFunc(results, func(a, b result) int { return strings.Compare(a.path+" "+a.method, b.path+" "+b.method) })

	report, served := servedTable(results)
	if testing.Verbose() {
		var b strings.Builder
		for _, r := range results {
			fmt.Fprintf(&b, "%-7s %-80s %d %s\n", r.method, r.target, r.status, r.code)
		}
		t.Logf("answers, in spec order:\n%s", b.String())
	}
	t.Logf("operations of %s served by `clerkkit dev`:\n\n%s", backendSpecPath, report)
	if f := os.Getenv("DEVPROBE_REPORT"); f != "" {
		if err := os.WriteFile(f, []byte(report), 0o644); err != nil {
			t.Error(err)
		}
	}
	if served < minServed {
		t.Errorf("the emulator serves %d of the spec's %d operations; issue 13 asks for at least %d", served, len(results), minServed)
	}
}

// probeRank orders the probes: reads and creates first, then what
// changes shared state (bans, locks, revocations, rotations), then deletes
// of the longest paths (sub-resources) before their parents.
func probeRank(o operation) int {
	switch {
	case o.method == http.MethodDelete:
		return 10000 - len(o.path)
	case strings.Contains(o.path, "revoke") || strings.Contains(o.path, "ban") || strings.Contains(o.path, "lock") ||
		strings.Contains(o.path, "reject") || strings.Contains(o.path, "rotate") || strings.Contains(o.path, "remove_password") ||
		strings.HasSuffix(o.path, "/replace"):
		return 1000
	}
	return 0
}

// servedTable renders results as a Markdown table, one row per spec tag
// in the order of the most operations, and returns the number served.
func servedTable(results []result) (string, int) {
	type tagRow struct {
		tag               string
		total             int
		served, notServed []string
	}
	byTag := map[string]*tagRow{}
	total := 0
	for _, r := range results {
		row := byTag[r.tag]
		if row == nil {
			row = &tagRow{tag: r.tag}
			byTag[r.tag] = row
		}
		row.total++
		if r.served {
			row.served = append(row.served, r.String())
			total++
		} else {
			row.notServed = append(row.notServed, r.String())
		}
	}
	rows := make([]*tagRow, 0, len(byTag))
	for _, r := range byTag {
		rows = append(rows, r)
	}
	slices.SortFunc(rows, func(a, b *tagRow) int {
		if a.total != b.total {
			return b.total - a.total
		}
		return strings.Compare(a.tag, b.tag)
	})
	var b strings.Builder
	fmt.Fprintf(&b, "**%d of %d operations served.**\n\n", total, len(results))
	b.WriteString("| Tag | Served | Operations served | Not served |\n|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %d/%d | %s | %s |\n", r.tag, len(r.served), r.total, codeList(r.served), codeList(r.notServed))
	}
	fmt.Fprintf(&b, "| **Total** | **%d/%d** | | |\n", total, len(results))
	return b.String(), total
}

func codeList(ops []string) string {
	if len(ops) == 0 {
		return "—"
	}
	q := make([]string, len(ops))
	for i, o := range ops {
		q[i] = "`" + o + "`"
	}
	return strings.Join(q, ", ")
}

// loadSpec loads the Backend API spec; absent, it skips t, except under
// CI, which must provide it (as conformance/emulatorspec does).
func loadSpec(t *testing.T) *openapi3.T {
	t.Helper()
	l := openapi3.NewLoader()
	l.IsExternalRefsAllowed = true
	doc, err := l.LoadFromFile(backendSpecPath)
	if errors.Is(err, fs.ErrNotExist) {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is absent: CI must provide Clerk's specs in shared/clerk-openapi beside the repository", backendSpecPath)
		}
		t.Skipf("%s is absent (Clerk's specs go in shared/clerk-openapi beside the repository): nothing to probe", backendSpecPath)
	}
	if err != nil {
		t.Fatalf("load %s: %v", backendSpecPath, err)
	}
	return doc
}

// specOperations lists the spec's operations, paths prefixed with the
// server's /v1.
func specOperations(doc *openapi3.T) []operation {
	prefix := "/v1"
	if len(doc.Servers) > 0 {
		if u, err := url.Parse(doc.Servers[0].URL); err == nil {
			prefix = strings.TrimSuffix(u.Path, "/")
		}
	}
	var ops []operation
	for _, path := range doc.Paths.InMatchingOrder() {
		for method, op := range doc.Paths.Find(path).Operations() {
			tag := "(untagged)"
			if len(op.Tags) > 0 {
				tag = op.Tags[0]
			}
			ops = append(ops, operation{method: method, path: prefix + path, tag: tag, id: op.OperationID, op: op})
		}
	}
	slices.SortFunc(ops, func(a, b operation) int { return strings.Compare(a.path+" "+a.method, b.path+" "+b.method) })
	return ops
}

// routeTable is emulator.Server.Routes registered in a ServeMux, to ask
// which route a request matches.
type routeTable struct{ mux *http.ServeMux }

func newRouteTable(t *testing.T) routeTable {
	t.Helper()
	srv, err := emulator.StartServer()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	mux := http.NewServeMux()
	for _, r := range srv.Routes() {
		mux.HandleFunc(r, func(http.ResponseWriter, *http.Request) {})
	}
	return routeTable{mux}
}

// match returns the route a request matches, "" for none (a 405 included).
func (rt routeTable) match(method, target string) string {
	_, pattern := rt.mux.Handler(httptest.NewRequest(method, target, nil))
	return pattern
}

// prober sends the probes.
type prober struct {
	t        *testing.T
	c        *http.Client
	api, key string
	// ids maps a path parameter's name to the id of an existing resource.
	ids map[string]string
}

// madeUpIDs are ids of the right prefix for path parameters no existing
// resource fills.
var madeUpIDs = map[string]string{
	"user_id": "user_demo_member", "organization_id": "org_demo_acme",
	"client_id": "client_probe", "email_address_id": "idn_probe", "phone_number_id": "idn_probe",
	"session_id": "sess_probe", "template_name": "probe", "template_type": "email", "slug": "verification_code",
	"provider": "oauth_google", "passkey_identification_id": "idn_probe", "trusted_device_id": "td_probe",
	"web3_wallet_identification_id": "idn_probe", "external_account_id": "eac_probe", "invitation_id": "inv_probe",
	"identifier_id": "alid_probe", "actor_token_id": "act_probe", "domain_id": "dmn_probe", "template_id": "jtmp_probe",
	"machine_id": "mch_probe", "other_machine_id": "mch_probe2", "organization_role_id": "role_probe",
	"permission_id": "perm_probe", "id": "ru_probe", "sign_in_token_id": "sit_probe", "oauth_application_id": "oa_probe",
	"saml_connection_id": "samlc_probe", "enterprise_connection_id": "entc_probe", "waitlist_entry_id": "wle_probe",
	"subscription_item_id": "csubi_probe", "discount_id": "disc_probe", "role_set_key_or_id": "rs_probe",
	"adminPortalLinkTokenID": "aplt_probe", "apiKeyID": "ak_probe", "m2m_token_id": "mt_probe",
}

// discover fills p.ids with resources the probes can name: the demo
// seed's, the first of lists the emulator answers, and ones it creates.
// A step the emulator does not serve leaves the made-up id.
func (p *prober) discover() {
	p.ids["user_id"] = "user_demo_member"
	p.ids["organization_id"] = "org_demo_acme"
	first := func(param, path, field string) {
		var v any
		if p.call(http.MethodGet, path, nil, &v) != http.StatusOK {
			return
		}
		if m, ok := v.(map[string]any); ok {
			v = m["data"]
		}
		if list, ok := v.([]any); ok && len(list) > 0 {
			if m, ok := list[0].(map[string]any); ok {
				if id, ok := m[field].(string); ok && id != "" {
					p.ids[param] = id
				}
			}
		}
	}
	create := func(param, path string, body any, field string) {
		var v map[string]any
		if s := p.call(http.MethodPost, path, body, &v); s == http.StatusOK || s == http.StatusCreated {
			if id, ok := v[field].(string); ok && id != "" {
				p.ids[param] = id
			}
		}
	}
	var u map[string]any
	if p.call(http.MethodGet, "/v1/users/user_demo_member", nil, &u) == http.StatusOK {
		for param, list := range map[string]string{"email_address_id": "email_addresses", "phone_number_id": "phone_numbers"} {
			if l, ok := u[list].([]any); ok && len(l) > 0 {
				if id, ok := l[0].(map[string]any)["id"].(string); ok {
					p.ids[param] = id
				}
			}
		}
	}
	create("phone_number_id", "/v1/phone_numbers", map[string]any{"user_id": "user_demo_member", "phone_number": "+15555550123"}, "id")
	create("session_id", "/v1/sessions", map[string]any{"user_id": "user_demo_member"}, "id")
	create("template_id", "/v1/jwt_templates", map[string]any{"name": "probe", "claims": map[string]any{"probe": true}}, "id")
	p.ids["template_name"] = "probe"
	create("machine_id", "/v1/machines", map[string]any{"name": "probe one"}, "id")
	create("other_machine_id", "/v1/machines", map[string]any{"name": "probe two"}, "id")
	create("invitation_id", "/v1/organizations/org_demo_acme/invitations", map[string]any{"email_address": "probe-org@example.com", "role": "org:member"}, "id")
	create("identifier_id", "/v1/allowlist_identifiers", map[string]any{"identifier": "probe@example.com"}, "id")
	create("actor_token_id", "/v1/actor_tokens", map[string]any{"user_id": "user_demo_member", "actor": map[string]any{"sub": "user_demo_admin"}}, "id")
	create("sign_in_token_id", "/v1/sign_in_tokens", map[string]any{"user_id": "user_demo_member"}, "id")
	create("id", "/v1/redirect_urls", map[string]any{"url": "https://probe.example.com/callback"}, "id")
	create("waitlist_entry_id", "/v1/waitlist_entries", map[string]any{"email_address": "probe-wait@example.com"}, "id")
	create("oauth_application_id", "/v1/oauth_applications", map[string]any{"name": "probe", "callback_url": "https://probe.example.com/cb"}, "id")
	create("apiKeyID", "/v1/api_keys", map[string]any{"subject": "user_demo_member", "name": "probe"}, "id")
	create("m2m_token_id", "/v1/m2m_tokens", map[string]any{}, "id")
	first("organization_role_id", "/v1/organization_roles", "id")
	first("permission_id", "/v1/organization_permissions", "id")
	first("role_set_key_or_id", "/v1/role_sets", "key")
	first("domain_id", "/v1/domains", "id")
	first("client_id", "/v1/clients", "id")
	first("subscription_item_id", "/v1/commerce/subscription_items", "id")
}

// call sends a request and decodes a JSON answer into out (when not nil),
// returning the status; a transport error fails the test.
func (p *prober) call(method, target string, body any, out any) int {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			p.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, p.api+target, rd)
	if err != nil {
		p.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+p.key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := p.c.Do(req)
	if err != nil {
		p.t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	if out != nil {
		json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

// probe sends o's request and classifies the answer.
func (p *prober) probe(o operation) result {
	path := o.path
	q := url.Values{}
	for _, pr := range o.op.Parameters {
		param := pr.Value
		if param == nil {
			continue
		}
		switch param.In {
		case openapi3.ParameterInPath:
			v := p.ids[param.Name]
			if v == "" {
				v = madeUpIDs[param.Name]
			}
			if v == "" {
				v = "probe_" + param.Name
			}
			path = strings.ReplaceAll(path, "{"+param.Name+"}", url.PathEscape(v))
		case openapi3.ParameterInQuery:
			if param.Required && param.Schema != nil {
				q.Set(param.Name, fmt.Sprint(sample(param.Name, param.Schema.Value, 0)))
			}
		}
	}
	target := path
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	var body io.Reader
	var contentType string
	if rb := o.op.RequestBody; rb != nil && rb.Value != nil {
		if mt := rb.Value.Content.Get("application/json"); mt != nil {
			var v any = map[string]any{}
			if mt.Schema != nil && mt.Schema.Value != nil {
				v = sample("", mt.Schema.Value, 0)
			}
			b, _ := json.Marshal(v)
			body, contentType = bytes.NewReader(b), "application/json"
		} else if rb.Value.Content.Get("multipart/form-data") != nil {
			var buf bytes.Buffer
			w := multipart.NewWriter(&buf)
			f, _ := w.CreateFormFile("file", "probe.png")
			f.Write(onePixelPNG)
			w.Close()
			body, contentType = &buf, w.FormDataContentType()
		}
	}
	req, err := http.NewRequest(o.method, p.api+target, body)
	if err != nil {
		p.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+p.key)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := p.c.Do(req)
	if err != nil {
		p.t.Fatalf("%s: %v", o, err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	r := result{operation: o, target: target, status: resp.StatusCode}
	var e struct {
		Errors []struct {
			Code        string `json:"code"`
			LongMessage string `json:"long_message"`
		} `json:"errors"`
	}
	catchAll := false
	if json.Unmarshal(raw, &e) == nil && len(e.Errors) > 0 {
		r.code = e.Errors[0].Code
		catchAll = resp.StatusCode == http.StatusNotFound && strings.Contains(e.Errors[0].LongMessage, catchAllText)
	}
	r.served = !catchAll && resp.StatusCode != http.StatusMethodNotAllowed && resp.StatusCode != http.StatusNotImplemented
	return r
}

// sample is a minimal value of schema s: an object's required members,
// an enum's first value, the example, a value by format, else a
// placeholder. name is the member's name, for ids the probe knows.
func sample(name string, s *openapi3.Schema, depth int) any {
	if s == nil || depth > 6 {
		return nil
	}
	switch name {
	case "user_id", "created_by", "inviter_user_id":
		return "user_demo_member"
	case "organization_id":
		return "org_demo_acme"
	case "user_ids":
		return []string{"user_demo_member"}
	}
	if len(s.Enum) > 0 {
		return s.Enum[0]
	}
	if s.Example != nil {
		return s.Example
	}
	for _, alt := range [][]*openapi3.SchemaRef{s.AllOf, s.OneOf, s.AnyOf} {
		if len(alt) > 0 && alt[0].Value != nil {
			return sample(name, alt[0].Value, depth+1)
		}
	}
	switch {
	case s.Type.Is("object") || len(s.Properties) > 0:
		m := map[string]any{}
		for _, req := range s.Required {
			if prop := s.Properties[req]; prop != nil {
				m[req] = sample(req, prop.Value, depth+1)
			}
		}
		return m
	case s.Type.Is("array"):
		if s.MinItems > 0 && s.Items != nil {
			return []any{sample(name, s.Items.Value, depth+1)}
		}
		return []any{}
	case s.Type.Is("integer"), s.Type.Is("number"):
		if s.Min != nil {
			return *s.Min
		}
		return 1
	case s.Type.Is("boolean"):
		return false
	}
	switch s.Format {
	case "email":
		return "probe@example.com"
	case "uri", "url":
		return "https://probe.example.com/"
	}
	switch {
	case strings.Contains(name, "email"):
		return "probe@example.com"
	case strings.Contains(name, "phone"):
		return "+15555550199"
	case strings.Contains(name, "url"):
		return "https://probe.example.com/"
	}
	return "probe"
}

// onePixelPNG is a 1×1 transparent PNG.
var onePixelPNG = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89" +
	"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
