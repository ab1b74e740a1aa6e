package emulator_test

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clerkkit/clerkkit/clerktest"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
)

// prefixes are the two path forms of every machine-authentication route:
// clerk-sdk-go's (/v1) and Clerk's JS SDK's (none).
var prefixes = []string{"/v1", ""}

// machineAPI is an api with a fixed clock.
func machineAPI(t *testing.T, opts ...emulator.Options) (*api, *clerktest.Clock) {
	t.Helper()
	var o emulator.Options
	if len(opts) == 1 {
		o = opts[0]
	}
	if o.Clock == nil {
		o.Clock = clerktest.NewClock(time.Date(2025, 7, 1, 12, 0, 0, 0, time.UTC))
	}
	return newAPI(t, o), o.Clock
}

// as sends method path with "Authorization: Bearer key" and requires
// status; it decodes the body into a map.
func (a *api) as(key, method, path string, body any, status int) map[string]any {
	a.t.Helper()
	got, out := a.doAuth(method, path, body, "Bearer "+key)
	if got != status {
		a.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, got, status, out)
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		a.t.Fatalf("%s %s: %v in %s", method, path, err, out)
	}
	return m
}

// failAs is as for a Clerk error with code.
func (a *api) failAs(key, method, path string, body any, status int, code string) map[string]any {
	a.t.Helper()
	got, out := a.doAuth(method, path, body, "Bearer "+key)
	return checkAPIError(a.t, method+" "+path, got, out, status, code)
}

func (a *api) createMachine(pre, name string, scoped ...string) map[string]any {
	a.t.Helper()
	body := map[string]any{"name": name}
	if scoped != nil {
		body["scoped_machines"] = scoped
	}
	return a.ok("POST", pre+"/machines", body)
}

var (
	secretPattern = regexp.MustCompile(`^ak_[0-9A-Za-z]{32}$`)
	machinePat    = regexp.MustCompile(`^mch_\w{27}$`)
	apiKeyIDPat   = regexp.MustCompile(`^ak_[0-9a-f]{32}$`)
	m2mIDPat      = regexp.MustCompile(`^mt_[0-9a-f]{32}$`)
	m2mOpaquePat  = regexp.MustCompile(`^mt_[0-9A-Za-z]{32}$`)
	oauthIDPat    = regexp.MustCompile(`^oat_[0-9a-f]{32}$`)
	oauthOpaque   = regexp.MustCompile(`^oat_[0-9A-Za-z]{32}$`)
)

func TestMachines(t *testing.T) {
	for _, pre := range prefixes {
		t.Run("prefix="+pre, func(t *testing.T) {
			a, clock := machineAPI(t)
			b := a.createMachine(pre, "billing")
			bid := b["id"].(string)
			clock.Advance(time.Second)
			m := a.createMachine(pre, "api gateway", bid)
			id := m["id"].(string)
			if !machinePat.MatchString(id) || !secretPattern.MatchString(m["secret_key"].(string)) {
				t.Fatalf("id %v, secret_key %v", id, m["secret_key"])
			}
			if m["object"] != "machine" || m["default_token_ttl"] != 3600.0 || m["instance_id"] == "" ||
				m["created_at"] != float64(clock.Now().UnixMilli()) {
				t.Fatalf("machine %v", m)
			}
			if sc := m["scoped_machines"].([]any); len(sc) != 1 || sc[0].(map[string]any)["id"] != bid ||
				sc[0].(map[string]any)["scoped_machines"] != nil {
				t.Fatalf("scoped_machines %v", m["scoped_machines"])
			}
			got := a.ok("GET", pre+"/machines/"+id, nil)
			if got["name"] != "api gateway" || got["secret_key"] != nil {
				t.Fatalf("GET: %v", got)
			}

			// List: newest first, pagination, order_by, query.
			l := a.ok("GET", pre+"/machines", nil)
			if l["total_count"] != 2.0 || l["data"].([]any)[0].(map[string]any)["id"] != id {
				t.Fatalf("list %v", l)
			}
			l = a.ok("GET", pre+"/machines?order_by=name&limit=1&offset=1", nil)
			if d := l["data"].([]any); l["total_count"] != 2.0 || len(d) != 1 || d[0].(map[string]any)["id"] != bid {
				t.Fatalf("order_by=name offset=1: %v", l)
			}
			l = a.ok("GET", pre+"/machines?query=GATE", nil)
			if d := l["data"].([]any); len(d) != 1 || d[0].(map[string]any)["id"] != id {
				t.Fatalf("query: %v", l)
			}
			l = a.ok("GET", pre+"/machines?query="+bid, nil)
			if d := l["data"].([]any); len(d) != 1 || d[0].(map[string]any)["id"] != bid {
				t.Fatalf("query by id: %v", l)
			}
			a.fail("GET", pre+"/machines?order_by=secret", nil, 422, "form_param_value_invalid")

			// Update.
			clock.Advance(time.Second)
			u := a.ok("PATCH", pre+"/machines/"+id, map[string]any{"name": "gateway", "default_token_ttl": 60})
			if u["name"] != "gateway" || u["default_token_ttl"] != 60.0 || u["updated_at"] != float64(clock.Now().UnixMilli()) {
				t.Fatalf("PATCH: %v", u)
			}
			a.fail("PATCH", pre+"/machines/"+id, map[string]any{"default_token_ttl": 0}, 422, "form_param_value_invalid")
			a.fail("PATCH", pre+"/machines/"+id, map[string]any{"name": ""}, 422, "form_param_value_invalid")
			a.fail("PATCH", pre+"/machines/"+id, map[string]any{"scoped_machines": []string{}}, 422, "form_param_unknown")
			a.fail("POST", pre+"/machines", map[string]any{}, 422, "form_param_missing")
			a.fail("POST", pre+"/machines", map[string]any{"name": "x", "scoped_machines": []string{"mch_nope"}}, 404, "resource_not_found")

			// Secret key, rotation.
			sk := a.ok("GET", pre+"/machines/"+id+"/secret_key", nil)
			if sk["object"] != "machine_secret_key" || sk["secret"] != m["secret_key"] {
				t.Fatalf("secret_key %v", sk)
			}
			rot := a.ok("POST", pre+"/machines/"+id+"/secret_key/rotate", map[string]any{"previous_token_ttl": 10})
			if rot["secret"] == sk["secret"] || !secretPattern.MatchString(rot["secret"].(string)) {
				t.Fatalf("rotate %v", rot)
			}
			a.fail("POST", pre+"/machines/"+id+"/secret_key/rotate", map[string]any{}, 422, "form_param_missing")
			a.fail("POST", pre+"/machines/"+id+"/secret_key/rotate", map[string]any{"previous_token_ttl": 28801}, 422, "form_param_value_invalid")

			// Scopes.
			c := a.createMachine(pre, "cron")
			cid := c["id"].(string)
			sc := a.ok("POST", pre+"/machines/"+id+"/scopes", map[string]any{"to_machine_id": cid})
			if sc["object"] != "machine_scope" || sc["from_machine_id"] != id || sc["to_machine_id"] != cid || sc["created_at"] == nil {
				t.Fatalf("scope %v", sc)
			}
			a.fail("POST", pre+"/machines/"+id+"/scopes", map[string]any{"to_machine_id": cid}, 409, "duplicate_record")
			a.fail("POST", pre+"/machines/"+id+"/scopes", map[string]any{"to_machine_id": id}, 422, "form_param_value_invalid")
			a.fail("POST", pre+"/machines/"+id+"/scopes", map[string]any{"to_machine_id": "mch_nope"}, 404, "resource_not_found")
			a.fail("POST", pre+"/machines/"+id+"/scopes", map[string]any{}, 422, "form_param_missing")
			if got := scopedIDs(a.ok("GET", pre+"/machines/"+id, nil)); !slices.Equal(got, []string{bid, cid}) {
				t.Fatalf("scoped after add: %v", got)
			}
			del := a.ok("DELETE", pre+"/machines/"+id+"/scopes/"+bid, nil)
			if del["deleted"] != true || del["from_machine_id"] != id || del["to_machine_id"] != bid {
				t.Fatalf("delete scope %v", del)
			}
			a.fail("DELETE", pre+"/machines/"+id+"/scopes/"+bid, nil, 404, "resource_not_found")

			// Deleting a machine removes the scopes to it.
			d := a.ok("DELETE", pre+"/machines/"+cid, nil)
			if d["object"] != "machine" || d["id"] != cid || d["deleted"] != true {
				t.Fatalf("delete %v", d)
			}
			if got := scopedIDs(a.ok("GET", pre+"/machines/"+id, nil)); len(got) != 0 {
				t.Fatalf("scoped after deleting the target: %v", got)
			}
			for _, c := range []struct{ method, path string }{
				{"GET", "/machines/" + cid}, {"PATCH", "/machines/" + cid}, {"DELETE", "/machines/" + cid},
				{"GET", "/machines/" + cid + "/secret_key"}, {"POST", "/machines/" + cid + "/secret_key/rotate"},
				{"POST", "/machines/" + cid + "/scopes"}, {"DELETE", "/machines/" + cid + "/scopes/" + id},
			} {
				var body any
				switch {
				case strings.HasSuffix(c.path, "/rotate"):
					body = map[string]any{"previous_token_ttl": 0}
				case strings.HasSuffix(c.path, "/scopes"):
					body = map[string]any{"to_machine_id": id}
				case c.method == "PATCH":
					body = map[string]any{}
				}
				a.fail(c.method, pre+c.path, body, 404, "resource_not_found")
			}
		})
	}
}

func scopedIDs(m map[string]any) []string {
	var out []string
	for _, s := range m["scoped_machines"].([]any) {
		out = append(out, s.(map[string]any)["id"].(string))
	}
	return out
}

func TestMachineListPagination(t *testing.T) {
	a, clock := machineAPI(t)
	for i := range 12 {
		a.createMachine("", fmt.Sprintf("m%02d", i))
		clock.Advance(time.Millisecond)
	}
	l := a.ok("GET", "/machines", nil)
	if d := l["data"].([]any); len(d) != 10 || l["total_count"] != 12.0 || d[0].(map[string]any)["name"] != "m11" {
		t.Fatalf("default page: %d items, %v", len(d), l["total_count"])
	}
	l = a.ok("GET", "/v1/machines?limit=5&offset=10&order_by=%2Bcreated_at", nil)
	if d := l["data"].([]any); len(d) != 2 || d[0].(map[string]any)["name"] != "m10" {
		t.Fatalf("last page: %v", l)
	}
	a.fail("GET", "/machines?offset=-1", nil, 422, "form_param_value_invalid")
}

// TestMachineAuthentication: every route refuses a request without a key
// or with a wrong one, under both paths; a machine secret key is not the
// instance's, and POST /m2m_tokens takes only a machine secret key.
func TestMachineAuthentication(t *testing.T) {
	a, _ := machineAPI(t)
	m := a.createMachine("", "m")
	machineKey := m["secret_key"].(string)
	for _, route := range a.srv.Routes() {
		method, path, _ := strings.Cut(route, " ")
		if !isMachineRoute(path) {
			continue
		}
		path = strings.NewReplacer("{machine_id}", m["id"].(string), "{other_machine_id}", "mch_x",
			"{apiKeyID}", "ak_00000000000000000000000000000000", "{m2m_token_id}", "mt_00000000000000000000000000000000").Replace(path)
		got, out := a.doAuth(method, path, nil, "")
		checkAPIError(t, route+" without a key", got, out, 401, "authentication_invalid")
		for _, key := range []string{"sk_test_wrong", a.srv.SecretKey() + "x", "ak_wrong", strings.ToUpper(machineKey)} {
			got, out = a.doAuth(method, path, map[string]any{"bogus": 1}, "Bearer "+key)
			checkAPIError(t, route+" with a wrong key", got, out, 401, "authentication_invalid")
		}
		got, out = a.doAuth(method, path, nil, "Basic "+a.srv.SecretKey())
		checkAPIError(t, route+" with Basic", got, out, 401, "authentication_invalid")
		instanceOnly := !strings.Contains(path, "/m2m_tokens")
		if instanceOnly {
			got, out = a.doAuth(method, path, nil, "Bearer "+machineKey)
			checkAPIError(t, route+" with a machine secret key", got, out, 401, "authentication_invalid")
		}
	}
	a.failAs(a.srv.SecretKey(), "POST", "/m2m_tokens", map[string]any{}, 401, "authentication_invalid")
	a.failAs(a.srv.SecretKey(), "POST", "/v1/m2m_tokens", map[string]any{}, 401, "authentication_invalid")
}

func isMachineRoute(path string) bool {
	for _, p := range []string{"/machines", "/api_keys", "/m2m_tokens", "/oauth_applications"} {
		if strings.HasPrefix(path, p) || strings.HasPrefix(path, "/v1"+p) {
			return true
		}
	}
	return false
}

func TestAPIKeys(t *testing.T) {
	for _, pre := range prefixes {
		t.Run("prefix="+pre, func(t *testing.T) {
			a, clock := machineAPI(t)
			uid := a.createUser("ada@example.com", "Ada")["id"].(string)
			oid := a.ok("POST", "/v1/organizations", map[string]any{"name": "Acme", "created_by": uid})["id"].(string)

			k := a.ok("POST", pre+"/api_keys", map[string]any{"name": "ci key", "subject": oid, "description": "for CI",
				"scopes": []string{"projects:read"}, "claims": map[string]any{"env": "ci"}, "created_by": uid,
				"seconds_until_expiration": 3600})
			id, secret := k["id"].(string), k["secret"].(string)
			if !apiKeyIDPat.MatchString(id) || !secretPattern.MatchString(secret) || k["object"] != "api_key" ||
				k["type"] != "api_key" || k["subject"] != oid || k["created_by"] != uid || k["revoked"] != false ||
				k["expired"] != false || k["expiration"] != float64(clock.Now().Add(time.Hour).UnixMilli()) ||
				k["last_used_at"] != nil || k["description"] != "for CI" || k["claims"].(map[string]any)["env"] != "ci" {
				t.Fatalf("created %v", k)
			}
			uk := a.ok("POST", pre+"/api_keys", map[string]any{"name": "mine", "subject": uid})
			if uk["expiration"] != nil || uk["claims"] != nil || uk["description"] != nil || len(uk["scopes"].([]any)) != 0 {
				t.Fatalf("defaults %v", uk)
			}
			for _, body := range []map[string]any{
				{"subject": uid}, {"name": "ab", "subject": uid}, {"name": " padded", "subject": uid},
				{"name": "good"}, {"name": "good", "subject": "user_nobody"}, {"name": "good", "subject": "sess_x"},
				{"name": "good", "subject": uid, "created_by": "user_nobody"}, {"name": "good", "subject": uid, "claims": []int{1}},
				{"name": "good", "subject": uid, "seconds_until_expiration": 0}, {"name": "good", "subject": uid, "type": "ab"},
			} {
				a.fail("POST", pre+"/api_keys", body, 400, "bad_request")
			}
			a.fail("POST", pre+"/api_keys", map[string]any{"name": "good", "subject": uid, "extra": 1}, 422, "form_param_unknown")

			got := a.ok("GET", pre+"/api_keys/"+id, nil)
			if got["secret"] != nil || got["name"] != "ci key" {
				t.Fatalf("GET %v", got)
			}
			if s := a.ok("GET", pre+"/api_keys/"+id+"/secret", nil); s["secret"] != secret {
				t.Fatalf("secret %v", s)
			}

			// Verify: the key, its use recorded.
			clock.Advance(time.Minute)
			v := a.ok("POST", pre+"/api_keys/verify", map[string]any{"secret": secret})
			if v["id"] != id || v["subject"] != oid || v["secret"] != nil || v["last_used_at"] != float64(clock.Now().UnixMilli()) ||
				!slices.Equal(v["scopes"].([]any), []any{"projects:read"}) {
				t.Fatalf("verify %v", v)
			}
			a.fail("POST", pre+"/api_keys/verify", map[string]any{"secret": "ak_unknown"}, 404, "resource_not_found")
			a.fail("POST", pre+"/api_keys/verify", map[string]any{"secret": id}, 404, "resource_not_found")
			a.fail("POST", pre+"/api_keys/verify", map[string]any{}, 400, "bad_request")

			// Update.
			clock.Advance(time.Second)
			up := a.ok("PATCH", pre+"/api_keys/"+id, map[string]any{"scopes": []string{"a", "b"}, "description": nil,
				"claims": nil, "seconds_until_expiration": nil})
			if up["description"] != nil || up["claims"] != nil || up["expiration"] != nil || len(up["scopes"].([]any)) != 2 ||
				up["updated_at"] != float64(clock.Now().UnixMilli()) || up["name"] != "ci key" {
				t.Fatalf("PATCH %v", up)
			}
			up = a.ok("PATCH", pre+"/api_keys/"+id, map[string]any{"subject": uid, "seconds_until_expiration": 10})
			if up["subject"] != uid || up["expiration"] != float64(clock.Now().Add(10*time.Second).UnixMilli()) {
				t.Fatalf("PATCH subject %v", up)
			}
			a.fail("PATCH", pre+"/api_keys/"+id, map[string]any{"subject": "org_nope"}, 400, "bad_request")
			a.fail("PATCH", pre+"/api_keys/"+id, map[string]any{"name": "renamed"}, 422, "form_param_unknown")

			// Expired: not verified, listed only with include_invalid.
			clock.Advance(10 * time.Second)
			a.fail("POST", pre+"/api_keys/verify", map[string]any{"secret": secret}, 404, "resource_not_found")
			if got := a.ok("GET", pre+"/api_keys/"+id, nil); got["expired"] != true {
				t.Fatalf("expired key %v", got)
			}
			if l := a.ok("GET", pre+"/api_keys?subject="+uid, nil); l["total_count"] != 1.0 {
				t.Fatalf("list without invalid: %v", l)
			}
			if l := a.ok("GET", pre+"/api_keys?subject="+uid+"&include_invalid=true", nil); l["total_count"] != 2.0 {
				t.Fatalf("list with invalid: %v", l)
			}
			a.ok("PATCH", pre+"/api_keys/"+id, map[string]any{"seconds_until_expiration": nil})
			a.ok("POST", pre+"/api_keys/verify", map[string]any{"secret": secret})

			// Revoke: not verified any more, the reason kept.
			r := a.ok("POST", pre+"/api_keys/"+id+"/revoke", map[string]any{"revocation_reason": "leaked"})
			if r["revoked"] != true || r["revocation_reason"] != "leaked" {
				t.Fatalf("revoke %v", r)
			}
			a.fail("POST", pre+"/api_keys/verify", map[string]any{"secret": secret}, 404, "resource_not_found")
			if l := a.ok("GET", pre+"/api_keys?subject="+uid, nil); l["total_count"] != 1.0 {
				t.Fatalf("list after revoke: %v", l)
			}
			r = a.ok("POST", pre+"/api_keys/"+uk["id"].(string)+"/revoke", map[string]any{"revocation_reason": nil})
			if r["revoked"] != true || r["revocation_reason"] != nil {
				t.Fatalf("revoke without reason %v", r)
			}

			// Delete.
			if d := a.ok("DELETE", pre+"/api_keys/"+id, nil); d["deleted"] != true || d["id"] != id || d["object"] != "api_key" {
				t.Fatalf("delete %v", d)
			}
			for _, c := range []struct{ method, path string }{
				{"GET", "/api_keys/" + id}, {"PATCH", "/api_keys/" + id}, {"DELETE", "/api_keys/" + id},
				{"GET", "/api_keys/" + id + "/secret"}, {"POST", "/api_keys/" + id + "/revoke"},
			} {
				var body any
				if c.method != "GET" && c.method != "DELETE" {
					body = map[string]any{}
				}
				a.fail(c.method, pre+c.path, body, 404, "resource_not_found")
			}
		})
	}
}

func TestAPIKeyList(t *testing.T) {
	a, clock := machineAPI(t)
	uid := a.createUser("", "U")["id"].(string)
	other := a.createUser("", "O")["id"].(string)
	var ids []string
	for i := range 12 {
		k := a.ok("POST", "/api_keys", map[string]any{"name": fmt.Sprintf("key %02d", i), "subject": uid})
		ids = append(ids, k["id"].(string))
		clock.Advance(time.Millisecond)
	}
	a.ok("POST", "/api_keys", map[string]any{"name": "other's", "subject": other})
	a.ok("POST", "/api_keys", map[string]any{"name": "a webhook key", "subject": uid, "type": "webhook"})
	l := a.ok("GET", "/api_keys?subject="+uid, nil)
	d := l["data"].([]any)
	if l["total_count"] != 12.0 || len(d) != 10 || d[0].(map[string]any)["id"] != ids[11] {
		t.Fatalf("first page: %d of %v", len(d), l["total_count"])
	}
	l = a.ok("GET", "/v1/api_keys?subject="+uid+"&limit=5&offset=10", nil)
	if d := l["data"].([]any); len(d) != 2 || d[1].(map[string]any)["id"] != ids[0] {
		t.Fatalf("last page %v", l)
	}
	if l := a.ok("GET", "/api_keys?subject="+uid+"&query=KEY%2003", nil); l["total_count"] != 1.0 {
		t.Fatalf("query %v", l)
	}
	if l := a.ok("GET", "/api_keys?subject="+uid+"&type=webhook", nil); l["total_count"] != 1.0 {
		t.Fatalf("type %v", l)
	}
	for _, q := range []string{"", "?subject=" + uid + "&limit=101", "?subject=" + uid + "&limit=0", "?subject=" + uid + "&offset=-1",
		"?subject=" + uid + "&include_invalid=yes"} {
		a.fail("GET", "/api_keys"+q, nil, 400, "bad_request")
	}
}

// jwtParts decodes a compact JWS's header and payload, and checks its
// RS256 signature with the Issuer's current key.
func jwtParts(t *testing.T, srv *emulator.Server, tok string) (header, payload map[string]any) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWS: %d segments", len(parts))
	}
	for i, dst := range []*map[string]any{&header, &payload} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil || json.Unmarshal(raw, dst) != nil {
			t.Fatalf("segment %d: %v", i, err)
		}
	}
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(&srv.Issuer().PrivateKey().PublicKey, crypto.SHA256, sum[:], sig); err != nil {
		t.Fatalf("signature: %v", err)
	}
	return header, payload
}

func TestM2MTokens(t *testing.T) {
	for _, pre := range prefixes {
		t.Run("prefix="+pre, func(t *testing.T) {
			a, clock := machineAPI(t)
			api := a.createMachine("", "api")
			apiID, apiKey := api["id"].(string), api["secret_key"].(string)
			other := a.createMachine("", "other")
			otherKey := other["secret_key"].(string)
			caller := a.createMachine("", "caller", apiID)
			callerID, callerKey := caller["id"].(string), caller["secret_key"].(string)

			// Opaque, with the machine's default TTL and its scopes.
			tok := a.as(callerKey, "POST", pre+"/m2m_tokens", map[string]any{"claims": map[string]any{"job": "sync"}}, 201)
			id, opaque := tok["id"].(string), tok["token"].(string)
			if !m2mIDPat.MatchString(id) || !m2mOpaquePat.MatchString(opaque) || tok["subject"] != callerID ||
				tok["object"] != "machine_to_machine_token" || !slices.Equal(tok["scopes"].([]any), []any{apiID}) ||
				tok["expiration"] != float64(clock.Now().Add(time.Hour).UnixMilli()) || tok["claims"].(map[string]any)["job"] != "sync" {
				t.Fatalf("opaque %v", tok)
			}

			// Verify with the instance key, and with the secret key of the
			// machine it is scoped to; not with another machine's.
			clock.Advance(time.Second)
			v := a.as(a.srv.SecretKey(), "POST", pre+"/m2m_tokens/verify", map[string]any{"token": opaque}, 200)
			if v["id"] != id || v["token"] != nil || v["last_used_at"] != float64(clock.Now().UnixMilli()) {
				t.Fatalf("verify %v", v)
			}
			a.as(apiKey, "POST", pre+"/m2m_tokens/verify", map[string]any{"token": opaque}, 200)
			a.failAs(otherKey, "POST", pre+"/m2m_tokens/verify", map[string]any{"token": opaque}, 404, "resource_not_found")
			a.failAs(callerKey, "POST", pre+"/m2m_tokens/verify", map[string]any{"token": opaque}, 404, "resource_not_found")
			a.failAs(apiKey, "POST", pre+"/m2m_tokens/verify", map[string]any{"token": "mt_unknown"}, 404, "resource_not_found")
			a.failAs(apiKey, "POST", pre+"/m2m_tokens/verify", map[string]any{}, 400, "bad_request")

			// JWT: signed with the instance's key, Clerk's header and claims.
			jt := a.as(callerKey, "POST", pre+"/m2m_tokens", map[string]any{"token_format": "jwt", "seconds_until_expiration": 120,
				"claims": map[string]any{"job": "sync", "sub": "mch_forged"}}, 201)
			h, p := jwtParts(t, a.srv, jt["token"].(string))
			if h["cat"] != "cl_B7d4PD333AAA" || h["kid"] != a.srv.Issuer().KeyID() || h["alg"] != "RS256" {
				t.Fatalf("JWT header %v", h)
			}
			now := float64(clock.Now().Unix())
			if p["sub"] != callerID || p["jti"] != jt["id"] || p["iss"] != a.srv.Issuer().IssuerURL() || p["iat"] != now ||
				p["exp"] != now+120 || p["scopes"] != apiID || !slices.Equal(p["aud"].([]any), []any{apiID}) || p["job"] != "sync" {
				t.Fatalf("JWT payload %v", p)
			}
			a.as(apiKey, "POST", pre+"/m2m_tokens/verify", map[string]any{"token": jt["token"]}, 200)
			a.failAs(callerKey, "POST", pre+"/m2m_tokens/"+jt["id"].(string)+"/revoke", map[string]any{}, 400, "bad_request")

			// A token of a machine without scopes has neither aud nor scopes.
			jo := a.as(otherKey, "POST", pre+"/m2m_tokens", map[string]any{"token_format": "jwt"}, 201)
			if _, p := jwtParts(t, a.srv, jo["token"].(string)); p["aud"] != nil || p["scopes"] != nil {
				t.Fatalf("unscoped JWT %v", p)
			}
			for _, body := range []map[string]any{{"token_format": "paseto"}, {"seconds_until_expiration": -1},
				{"claims": "x"}, {"min_remaining_ttl_seconds": 3600}} {
				a.failAs(callerKey, "POST", pre+"/m2m_tokens", body, 400, "bad_request")
			}

			// List: opaque tokens only, newest first; a machine lists its own.
			a.as(callerKey, "POST", pre+"/m2m_tokens", map[string]any{}, 201)
			l := a.as(callerKey, "GET", pre+"/m2m_tokens?subject="+callerID, nil, 200)
			if l["total_count"] != 2.0 || l["m2m_tokens"].([]any)[1].(map[string]any)["id"] != id {
				t.Fatalf("list %v", l)
			}
			if l := a.as(a.srv.SecretKey(), "GET", pre+"/m2m_tokens?subject="+callerID+"&limit=1&offset=1", nil, 200); l["total_count"] != 2.0 ||
				len(l["m2m_tokens"].([]any)) != 1 || l["m2m_tokens"].([]any)[0].(map[string]any)["id"] != id {
				t.Fatalf("list page 2 %v", l)
			}
			a.failAs(apiKey, "GET", pre+"/m2m_tokens?subject="+callerID, nil, 403, "authorization_invalid")
			a.failAs(a.srv.SecretKey(), "GET", pre+"/m2m_tokens", nil, 400, "bad_request")
			a.failAs(a.srv.SecretKey(), "GET", pre+"/m2m_tokens?subject=user_x", nil, 400, "bad_request")
			a.failAs(a.srv.SecretKey(), "GET", pre+"/m2m_tokens?subject=mch_nope", nil, 404, "resource_not_found")
			a.failAs(a.srv.SecretKey(), "GET", pre+"/m2m_tokens?subject="+callerID+"&limit=500", nil, 400, "bad_request")

			// Revoke: only the token's own machine or the instance.
			a.failAs(apiKey, "POST", pre+"/m2m_tokens/"+id+"/revoke", map[string]any{}, 404, "resource_not_found")
			r := a.as(callerKey, "POST", pre+"/m2m_tokens/"+id+"/revoke", map[string]any{"revocation_reason": "done"}, 200)
			if r["revoked"] != true || r["revocation_reason"] != "done" || r["token"] != nil {
				t.Fatalf("revoke %v", r)
			}
			a.failAs(a.srv.SecretKey(), "POST", pre+"/m2m_tokens/verify", map[string]any{"token": opaque}, 404, "resource_not_found")
			a.failAs(a.srv.SecretKey(), "POST", pre+"/m2m_tokens/mt_00000000000000000000000000000000/revoke", map[string]any{}, 404, "resource_not_found")
			if l := a.as(a.srv.SecretKey(), "GET", pre+"/m2m_tokens?subject="+callerID, nil, 200); l["total_count"] != 1.0 {
				t.Fatalf("list without revoked %v", l)
			}
			if l := a.as(a.srv.SecretKey(), "GET", pre+"/m2m_tokens?subject="+callerID+"&revoked=true", nil, 200); l["total_count"] != 2.0 {
				t.Fatalf("list with revoked %v", l)
			}

			// Expired: JWT and opaque alike are refused.
			clock.Advance(time.Hour)
			a.failAs(apiKey, "POST", pre+"/m2m_tokens/verify", map[string]any{"token": jt["token"]}, 404, "resource_not_found")
			if l := a.as(a.srv.SecretKey(), "GET", pre+"/m2m_tokens?subject="+callerID+"&revoked=true&expired=true", nil, 200); l["total_count"] != 2.0 ||
				l["m2m_tokens"].([]any)[0].(map[string]any)["expired"] != true {
				t.Fatalf("list with expired %v", l)
			}
		})
	}
}

func TestM2MTokenReuseAndRotation(t *testing.T) {
	a, clock := machineAPI(t)
	m := a.createMachine("", "m")
	id, key := m["id"].(string), m["secret_key"].(string)
	first := a.as(key, "POST", "/m2m_tokens", map[string]any{"min_remaining_ttl_seconds": 600}, 201)
	again := a.as(key, "POST", "/m2m_tokens", map[string]any{"min_remaining_ttl_seconds": 600}, 201)
	if again["id"] != first["id"] || again["token"] != first["token"] {
		t.Fatalf("not reused: %v vs %v", again["id"], first["id"])
	}
	if c := a.as(key, "POST", "/m2m_tokens", map[string]any{"min_remaining_ttl_seconds": 600, "claims": map[string]any{"a": 1}}, 201); c["id"] == first["id"] {
		t.Fatal("reused a token with other claims")
	}
	if c := a.as(key, "POST", "/m2m_tokens", map[string]any{}, 201); c["id"] == first["id"] {
		t.Fatal("reused without min_remaining_ttl_seconds")
	}
	clock.Advance(3001 * time.Second) // 599 s left
	if c := a.as(key, "POST", "/m2m_tokens", map[string]any{"min_remaining_ttl_seconds": 600}, 201); c["id"] == first["id"] {
		t.Fatal("reused a token with too little life left")
	}

	// Rotation: the previous key works for previous_token_ttl seconds.
	newKey := a.ok("POST", "/v1/machines/"+id+"/secret_key/rotate", map[string]any{"previous_token_ttl": 30})["secret"].(string)
	a.as(key, "POST", "/m2m_tokens", map[string]any{}, 201)
	a.as(newKey, "POST", "/m2m_tokens", map[string]any{}, 201)
	clock.Advance(30 * time.Second)
	a.failAs(key, "POST", "/m2m_tokens", map[string]any{}, 401, "authentication_invalid")
	a.as(newKey, "GET", "/m2m_tokens?subject="+id, nil, 200)
	newer := a.ok("POST", "/v1/machines/"+id+"/secret_key/rotate", map[string]any{"previous_token_ttl": 0})["secret"].(string)
	a.failAs(newKey, "POST", "/m2m_tokens", map[string]any{}, 401, "authentication_invalid")

	// A deleted machine's key stops working, and its tokens stop verifying.
	tok := a.as(newer, "POST", "/m2m_tokens", map[string]any{}, 201)["token"]
	a.ok("DELETE", "/v1/machines/"+id, nil)
	a.failAs(newer, "POST", "/m2m_tokens", map[string]any{}, 401, "authentication_invalid")
	a.failAs(a.srv.SecretKey(), "POST", "/m2m_tokens/verify", map[string]any{"token": tok}, 404, "resource_not_found")
}

func TestM2MJWTWithoutCategory(t *testing.T) {
	a, _ := machineAPI(t, emulator.Options{M2MJWTWithoutCategory: true})
	key := a.createMachine("", "m")["secret_key"].(string)
	tok := a.as(key, "POST", "/m2m_tokens", map[string]any{"token_format": "jwt"}, 201)["token"].(string)
	if h, _ := jwtParts(t, a.srv, tok); h["cat"] != nil {
		t.Fatalf("header %v", h)
	}
}

func TestOAuthAccessTokens(t *testing.T) {
	a, clock := machineAPI(t)
	uid := a.createUser("o@example.com", "O")["id"].(string)
	srv := a.srv
	op, err := srv.CreateOAuthAccessToken(emulator.OAuthAccessTokenOptions{UserID: uid, ClientID: "client_app", Scopes: []string{"profile", "email"}})
	if err != nil {
		t.Fatal(err)
	}
	if !oauthIDPat.MatchString(op.ID) || !oauthOpaque.MatchString(op.Token) || !op.ExpiresAt.Equal(clock.Now().Add(time.Hour)) {
		t.Fatalf("opaque %+v", op)
	}
	jw, err := srv.CreateOAuthAccessToken(emulator.OAuthAccessTokenOptions{UserID: uid, Scopes: []string{"read"}, TTL: time.Minute,
		JWT: true, Audience: []string{"https://api.example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	h, p := jwtParts(t, srv, jw.Token)
	if h["typ"] != "at+jwt" || h["kid"] != srv.Issuer().KeyID() {
		t.Fatalf("JWT header %v", h)
	}
	if p["sub"] != uid || p["jti"] != jw.ID || p["scope"] != "read" || !strings.HasPrefix(p["client_id"].(string), "client_") ||
		p["iss"] != srv.Issuer().IssuerURL() || !slices.Equal(p["aud"].([]any), []any{"https://api.example.com"}) ||
		p["exp"] != float64(clock.Now().Add(time.Minute).Unix()) {
		t.Fatalf("JWT payload %v", p)
	}
	for _, pre := range prefixes {
		v := a.ok("POST", pre+"/oauth_applications/access_tokens/verify", map[string]any{"access_token": op.Token})
		if v["object"] != "clerk_idp_oauth_access_token" || v["id"] != op.ID || v["client_id"] != "client_app" || v["subject"] != uid ||
			!slices.Equal(v["scopes"].([]any), []any{"profile", "email"}) || v["expiration"] != float64(op.ExpiresAt.UnixMilli()) {
			t.Fatalf("verify %v", v)
		}
		if v := a.ok("POST", pre+"/oauth_applications/access_tokens/verify", map[string]any{"secret": jw.Token}); v["id"] != jw.ID {
			t.Fatalf("verify JWT via the deprecated secret %v", v)
		}
		a.fail("POST", pre+"/oauth_applications/access_tokens/verify", map[string]any{"access_token": "oat_unknown"}, 404, "resource_not_found")
		a.fail("POST", pre+"/oauth_applications/access_tokens/verify", map[string]any{}, 400, "bad_request")
	}

	// Expired: a JWT is {"active": false}, an opaque token a 404.
	clock.Advance(time.Minute)
	if v := a.ok("POST", "/oauth_applications/access_tokens/verify", map[string]any{"access_token": jw.Token}); len(v) != 1 || v["active"] != false {
		t.Fatalf("expired JWT %v", v)
	}
	a.ok("POST", "/oauth_applications/access_tokens/verify", map[string]any{"access_token": op.Token})
	clock.Advance(time.Hour)
	a.fail("POST", "/oauth_applications/access_tokens/verify", map[string]any{"access_token": op.Token}, 404, "resource_not_found")

	// Revoked.
	op2, _ := srv.CreateOAuthAccessToken(emulator.OAuthAccessTokenOptions{UserID: uid})
	if err := srv.RevokeOAuthAccessToken(op2.ID, "user signed out"); err != nil {
		t.Fatal(err)
	}
	a.fail("POST", "/v1/oauth_applications/access_tokens/verify", map[string]any{"access_token": op2.Token}, 404, "resource_not_found")

	for _, o := range []emulator.OAuthAccessTokenOptions{{}, {UserID: "user_nobody"}, {UserID: uid, TTL: -time.Second},
		{UserID: uid, Audience: []string{"x"}}} {
		if _, err := srv.CreateOAuthAccessToken(o); !errors.Is(err, emulator.ErrOAuthAccessToken) {
			t.Errorf("CreateOAuthAccessToken(%+v): %v", o, err)
		}
	}
	for _, id := range []string{"oat_nope", jw.ID} {
		if err := srv.RevokeOAuthAccessToken(id, ""); !errors.Is(err, emulator.ErrOAuthAccessToken) {
			t.Errorf("RevokeOAuthAccessToken(%s): %v", id, err)
		}
	}
}

// TestMachineCalls: Calls counts each path form apart, so a test can
// assert one Backend API call.
func TestMachineCalls(t *testing.T) {
	a, _ := machineAPI(t)
	uid := a.createUser("", "U")["id"].(string)
	secret := a.ok("POST", "/api_keys", map[string]any{"name": "key", "subject": uid})["secret"]
	a.ok("POST", "/api_keys/verify", map[string]any{"secret": secret})
	a.failAs("sk_test_wrong", "POST", "/v1/api_keys/verify", map[string]any{"secret": secret}, 401, "authentication_invalid")
	if n, m := a.srv.Calls("POST /api_keys/verify"), a.srv.Calls("POST /v1/api_keys/verify"); n != 1 || m != 1 {
		t.Fatalf("calls %d, %d", n, m)
	}
}

func TestSeedMachinesAndAPIKeys(t *testing.T) {
	a, _ := machineAPI(t)
	const (
		mA     = "mch_aaaaaaaaaaaaaaaaaaaaaaaaaaa"
		mB     = "mch_bbbbbbbbbbbbbbbbbbbbbbbbbbb"
		key    = "ak_seededmachinesecretkey000001"
		akID   = "ak_0123456789abcdef0123456789abcdef"
		secret = "ak_seededapikeysecret0000000001"
	)
	var d emulator.SeedData
	err := json.Unmarshal([]byte(`{
	  "users": [{"id": "user_seedseedseedseedseedseedsee"}],
	  "organizations": [{"id": "org_seedseedseedseedseedseedsee", "name": "Seed"}],
	  "machines": [{"id": "`+mA+`", "name": "a", "secret_key": "`+key+`", "default_token_ttl": 60},
	               {"id": "`+mB+`", "name": "b", "scoped_machines": ["`+mA+`"]}],
	  "api_keys": [{"id": "`+akID+`", "secret": "`+secret+`", "name": "org key", "subject": "org_seedseedseedseedseedseedsee",
	                "scopes": ["projects:read"], "claims": {"tier": "gold"}, "created_by": "user_seedseedseedseedseedseedsee", "description": "d"}]
	}`), &d)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.srv.Seed(d); err != nil {
		t.Fatal(err)
	}
	if m := a.ok("GET", "/v1/machines/"+mB, nil); !slices.Equal(scopedIDs(m), []string{mA}) {
		t.Fatalf("machine b %v", m)
	}
	tok := a.as(key, "POST", "/m2m_tokens", map[string]any{}, 201)
	if tok["subject"] != mA || tok["expiration"].(float64)-tok["created_at"].(float64) != 60000 {
		t.Fatalf("token of a seeded machine %v", tok)
	}
	v := a.ok("POST", "/api_keys/verify", map[string]any{"secret": secret})
	if v["id"] != akID || v["subject"] != "org_seedseedseedseedseedseedsee" || v["claims"].(map[string]any)["tier"] != "gold" || v["created_by"] != "user_seedseedseedseedseedseedsee" {
		t.Fatalf("seeded key %v", v)
	}

	for _, bad := range []string{
		`{"machines": [{"name": "x", "secret": "ak_x"}]}`,
		`{"api_keys": [{"name": "k", "subject": "user_seedseedseedseedseedseedsee", "scope": ["a"]}]}`,
	} {
		var d emulator.SeedData
		var ke *emulator.SeedKeyError
		if err := json.Unmarshal([]byte(bad), &d); !errors.As(err, &ke) {
			t.Errorf("%s: %v", bad, err)
		}
	}
	for _, bad := range []emulator.SeedData{
		{Machines: []emulator.SeedMachine{{ID: mA, Name: "again"}}},
		{Machines: []emulator.SeedMachine{{ID: "machine_x", Name: "x"}}},
		{Machines: []emulator.SeedMachine{{Name: "x", SecretKey: key}}},
		{Machines: []emulator.SeedMachine{{Name: "x", SecretKey: "sk_short"}}},
		{Machines: []emulator.SeedMachine{{Name: ""}}},
		{Machines: []emulator.SeedMachine{{Name: "x", ScopedMachines: []string{"mch_nope"}}}},
		{APIKeys: []emulator.SeedAPIKey{{Name: "key", Subject: "user_nobody"}}},
		{APIKeys: []emulator.SeedAPIKey{{Name: "key", Subject: "user_seedseedseedseedseedseedsee", Secret: secret}}},
		{APIKeys: []emulator.SeedAPIKey{{Name: "key", Subject: "user_seedseedseedseedseedseedsee", ID: akID}}},
		{APIKeys: []emulator.SeedAPIKey{{Name: "key", Subject: "user_seedseedseedseedseedseedsee", ID: "ak_nothex"}}},
		{Machines: []emulator.SeedMachine{{Name: "fine"}}, APIKeys: []emulator.SeedAPIKey{{Name: "k"}}},
	} {
		before := a.ok("GET", "/v1/machines", nil)["total_count"]
		err := a.srv.Seed(bad)
		if err == nil {
			t.Errorf("Seed(%+v) succeeded", bad)
		} else if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), key) {
			t.Errorf("error names a secret: %v", err)
		}
		if after := a.ok("GET", "/v1/machines", nil)["total_count"]; after != before {
			t.Errorf("a failed seed added machines: %v → %v", before, after)
		}
	}
}

// exerciseMachineRoutes calls every machine-authentication route of
// a.srv under both paths with a 2xx answer, for TestEveryRouteIsExercised.
func exerciseMachineRoutes(t *testing.T, a *api) {
	t.Helper()
	uid := a.createUser("machines@example.com", "M")["id"].(string)
	for _, pre := range prefixes {
		target := a.createMachine(pre, "target")
		tid := target["id"].(string)
		m := a.createMachine(pre, "m", tid)
		id, key := m["id"].(string), m["secret_key"].(string)
		other := a.createMachine(pre, "other")["id"].(string)
		a.ok("GET", pre+"/machines", nil)
		a.ok("GET", pre+"/machines/"+id, nil)
		a.ok("PATCH", pre+"/machines/"+id, map[string]any{"name": "renamed"})
		a.ok("GET", pre+"/machines/"+id+"/secret_key", nil)
		a.ok("POST", pre+"/machines/"+id+"/scopes", map[string]any{"to_machine_id": other})
		a.ok("DELETE", pre+"/machines/"+id+"/scopes/"+other, nil)

		k := a.ok("POST", pre+"/api_keys", map[string]any{"name": "key", "subject": uid})
		kid := k["id"].(string)
		a.ok("GET", pre+"/api_keys?subject="+uid, nil)
		a.ok("GET", pre+"/api_keys/"+kid, nil)
		a.ok("PATCH", pre+"/api_keys/"+kid, map[string]any{"scopes": []string{"a"}})
		a.ok("GET", pre+"/api_keys/"+kid+"/secret", nil)
		a.ok("POST", pre+"/api_keys/verify", map[string]any{"secret": k["secret"]})
		a.ok("POST", pre+"/api_keys/"+kid+"/revoke", map[string]any{"revocation_reason": "test"})
		a.ok("DELETE", pre+"/api_keys/"+kid, nil)

		tok := a.as(key, "POST", pre+"/m2m_tokens", map[string]any{}, 201)
		a.as(key, "GET", pre+"/m2m_tokens?subject="+id, nil, 200)
		a.as(a.srv.SecretKey(), "POST", pre+"/m2m_tokens/verify", map[string]any{"token": tok["token"]}, 200)
		a.as(key, "POST", pre+"/m2m_tokens/"+tok["id"].(string)+"/revoke", map[string]any{}, 200)
		a.ok("POST", pre+"/machines/"+id+"/secret_key/rotate", map[string]any{"previous_token_ttl": 0})

		oat, err := a.srv.CreateOAuthAccessToken(emulator.OAuthAccessTokenOptions{UserID: uid})
		if err != nil {
			t.Fatal(err)
		}
		a.ok("POST", pre+"/oauth_applications/access_tokens/verify", map[string]any{"access_token": oat.Token})
		a.ok("DELETE", pre+"/machines/"+id, nil)
	}
	if status, _ := a.do("GET", "/machines/none", nil); status != http.StatusNotFound {
		t.Errorf("GET /machines/none: %d", status)
	}
}
