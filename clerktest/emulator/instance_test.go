package emulator_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"
)

// arr calls GET path and decodes a bare array.
func (a *api) arr(path string) []any {
	a.t.Helper()
	status, out := a.do("GET", path, nil)
	if status != http.StatusOK {
		a.t.Fatalf("GET %s: %d %s", path, status, out)
	}
	var l []any
	if err := json.Unmarshal(out, &l); err != nil {
		a.t.Fatalf("GET %s: %v in %s", path, err, out)
	}
	return l
}

func fieldOf(items []any, field string) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.(map[string]any)[field].(string))
	}
	return out
}

func TestAppInvitations(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	inv := a.ok("POST", "/v1/invitations", map[string]any{"email_address": "New@Example.com", "public_metadata": map[string]any{"plan": "pro"},
		"redirect_url": "https://app.example.com/accept", "expires_in_days": 2, "notify": false})
	if inv["object"] != "invitation" || inv["email_address"] != "new@example.com" || inv["status"] != "pending" || inv["revoked"] != false ||
		inv["public_metadata"].(map[string]any)["plan"] != "pro" || inv["url"] == nil || inv["expires_at"] == nil {
		t.Fatalf("invitation: %v", inv)
	}
	a.createUser("taken@example.com", "T")
	a.fail("POST", "/v1/invitations", map[string]any{"email_address": "taken@example.com"}, 422, "form_identifier_exists")
	a.ok("POST", "/v1/invitations", map[string]any{"email_address": "taken@example.com", "ignore_existing": true})
	a.fail("POST", "/v1/invitations", map[string]any{"email_address": "new@example.com"}, 400, "duplicate_record")
	for _, c := range []struct {
		body any
		code string
	}{
		{map[string]any{}, "form_param_missing"},
		{map[string]any{"email_address": "nope"}, "form_param_format_invalid"},
		{map[string]any{"email_address": "x@example.com", "expires_in_days": 0}, "form_param_value_invalid"},
		{map[string]any{"email_address": "x@example.com", "template_slug": "other"}, "form_param_value_invalid"},
		{map[string]any{"email_address": "x@example.com", "redirect_url": "nope"}, "form_param_format_invalid"},
		{map[string]any{"email_address": "x@example.com", "public_metadata": []int{1}}, "form_param_format_invalid"},
		{map[string]any{"email_address": "x@example.com", "role": "admin"}, "form_param_unknown"},
	} {
		a.fail("POST", "/v1/invitations", c.body, 422, c.code)
	}

	// Bulk: all or nothing.
	status, out := a.do("POST", "/v1/invitations/bulk", []map[string]any{{"email_address": "b1@example.com"}, {"email_address": "b2@example.com"}})
	var made []map[string]any
	if status != 200 || json.Unmarshal(out, &made) != nil || len(made) != 2 || made[1]["email_address"] != "b2@example.com" {
		t.Fatalf("bulk: %d %s", status, out)
	}
	a.fail("POST", "/v1/invitations/bulk", []map[string]any{{"email_address": "b3@example.com"}, {"email_address": "bad"}}, 422, "form_param_format_invalid")
	a.fail("POST", "/v1/invitations/bulk", []map[string]any{}, 422, "form_param_value_invalid")
	a.fail("POST", "/v1/invitations/bulk", map[string]any{"email_address": "b4@example.com"}, 400, "malformed_request")
	if l := a.arr("/v1/invitations?query=b3"); len(l) != 0 {
		t.Errorf("a failed bulk left %v", l)
	}

	// Lists: bare array, paginated, filters and order.
	if l := a.arr("/v1/invitations"); len(l) != 4 || l[0].(map[string]any)["email_address"] != "b2@example.com" {
		t.Errorf("list: %v", l)
	}
	p := a.ok("GET", "/v1/invitations?paginated=true&limit=1&offset=1&order_by=email_address", nil)
	if p["total_count"] != 4.0 || p["data"].([]any)[0].(map[string]any)["email_address"] != "b2@example.com" {
		t.Errorf("paginated: %v", p)
	}
	rev := a.ok("POST", "/v1/invitations/"+inv["id"].(string)+"/revoke", nil)
	if rev["status"] != "revoked" || rev["revoked"] != true {
		t.Errorf("revoked: %v", rev)
	}
	a.fail("POST", "/v1/invitations/"+inv["id"].(string)+"/revoke", nil, 400, "invitation_not_pending")
	a.fail("POST", "/v1/invitations/inv_nope/revoke", nil, 404, "resource_not_found")
	if l := a.arr("/v1/invitations?status=revoked"); !slices.Equal(fieldOf(l, "id"), []string{inv["id"].(string)}) {
		t.Errorf("status filter: %v", l)
	}
	// It expires.
	a.srv.Clock().Advance(3 * 24 * time.Hour)
	a.ok("POST", "/v1/invitations", map[string]any{"email_address": "new@example.com"})
	a.fail("GET", "/v1/invitations?status=gone", nil, 422, "form_param_value_invalid")
	a.fail("GET", "/v1/invitations?paginated=maybe", nil, 422, "form_param_format_invalid")
	a.fail("GET", "/v1/invitations?order_by=url", nil, 422, "form_param_value_invalid")
	status, out = a.doAuth("GET", "/v1/invitations", nil, "")
	checkAPIError(t, "GET /v1/invitations", status, out, 401, "authentication_invalid")
}

func TestAllowAndBlocklists(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	for _, list := range []string{"allowlist", "blocklist"} {
		path := "/v1/" + list + "_identifiers"
		var ids []string
		for _, c := range []struct{ in, typ string }{
			{"Ada@Example.com", "email_address"}, {"*@example.org", "email_address"}, {"+15555550100", "phone_number"},
			{"0x52908400098527886E0F7030069857D2E4169EE7", "web3_wallet"},
		} {
			r := a.ok("POST", path, map[string]any{"identifier": c.in})
			if r["object"] != list+"_identifier" || r["identifier_type"] != c.typ || r["instance_id"] == "" {
				t.Errorf("%s %s: %v", list, c.in, r)
			}
			ids = append(ids, r["id"].(string))
		}
		a.fail("POST", path, map[string]any{"identifier": "ada@example.com"}, 422, "form_identifier_exists")
		a.fail("POST", path, map[string]any{"identifier": "ada"}, 422, "form_param_format_invalid")
		a.fail("POST", path, map[string]any{}, 422, "form_param_missing")
		var l []any
		if list == "allowlist" {
			l = a.arr(path)
			if p := a.ok("GET", path+"?paginated=true&limit=2", nil); p["total_count"] != 4.0 || len(p["data"].([]any)) != 2 {
				t.Errorf("%s paginated: %v", list, p)
			}
		} else {
			p := a.ok("GET", path, nil)
			if l = p["data"].([]any); p["total_count"] != 4.0 {
				t.Errorf("%s total_count: %v", list, p)
			}
			if p := a.ok("GET", path+"?limit=1&offset=3", nil); p["data"].([]any)[0].(map[string]any)["id"] != ids[0] {
				t.Errorf("%s page: %v", list, p)
			}
		}
		if len(l) != 4 || l[0].(map[string]any)["id"] != ids[3] {
			t.Errorf("%s list: %v", list, l)
		}
		if d := a.ok("DELETE", path+"/"+ids[0], nil); d["object"] != list+"_identifier" || d["deleted"] != true {
			t.Errorf("%s delete: %v", list, d)
		}
		a.fail("DELETE", path+"/"+ids[0], nil, 404, "resource_not_found")
		status, out := a.doAuth("GET", path, nil, "Bearer sk_test_nope")
		checkAPIError(t, "GET "+path, status, out, 401, "authentication_invalid")
	}
	a.fail("POST", "/v1/blocklist_identifiers", map[string]any{"identifier": "x@example.com", "notify": true}, 422, "form_param_unknown")
	// Allowlisting with notify invites the address.
	r := a.ok("POST", "/v1/allowlist_identifiers", map[string]any{"identifier": "grace@example.com", "notify": true})
	invs := a.arr("/v1/invitations")
	if len(invs) != 1 || r["invitation_id"] != invs[0].(map[string]any)["id"] {
		t.Errorf("allowlist notify: %v, invitations %v", r, invs)
	}
}

func TestRedirectURLs(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	r1 := a.ok("POST", "/v1/redirect_urls", map[string]any{"url": "https://app.example.com/callback"})
	r2 := a.ok("POST", "/v1/redirect_urls", map[string]any{"url": "myapp://oauth-callback"})
	if r1["object"] != "redirect_url" || r2["url"] != "myapp://oauth-callback" {
		t.Fatalf("created: %v %v", r1, r2)
	}
	a.fail("POST", "/v1/redirect_urls", map[string]any{"url": "https://app.example.com/callback"}, 422, "form_identifier_exists")
	a.fail("POST", "/v1/redirect_urls", map[string]any{"url": "/relative"}, 422, "form_param_format_invalid")
	a.fail("POST", "/v1/redirect_urls", map[string]any{}, 422, "form_param_missing")
	if l := a.arr("/v1/redirect_urls"); !slices.Equal(fieldOf(l, "id"), []string{r1["id"].(string), r2["id"].(string)}) {
		t.Errorf("list: %v", l)
	}
	if p := a.ok("GET", "/v1/redirect_urls?paginated=true&offset=1", nil); p["total_count"] != 2.0 || len(p["data"].([]any)) != 1 {
		t.Errorf("paginated: %v", p)
	}
	if g := a.ok("GET", "/v1/redirect_urls/"+r1["id"].(string), nil); g["url"] != r1["url"] {
		t.Errorf("get: %v", g)
	}
	if d := a.ok("DELETE", "/v1/redirect_urls/"+r1["id"].(string), nil); d["deleted"] != true || d["object"] != "redirect_url" {
		t.Errorf("delete: %v", d)
	}
	a.fail("GET", "/v1/redirect_urls/"+r1["id"].(string), nil, 404, "resource_not_found")
	a.fail("DELETE", "/v1/redirect_urls/"+r1["id"].(string), nil, 404, "resource_not_found")
	a.fail("GET", "/v1/redirect_urls?limit=x", nil, 422, "form_param_format_invalid")
	status, out := a.doAuth("POST", "/v1/redirect_urls", map[string]any{"url": "https://x.example"}, "")
	checkAPIError(t, "POST /v1/redirect_urls", status, out, 401, "authentication_invalid")
}

func TestWaitlist(t *testing.T) {
	t.Parallel()
	a := newHookAPI(t)
	w1 := a.ok("POST", "/v1/waitlist_entries", map[string]any{"email_address": "W1@example.com"})
	w2 := a.ok("POST", "/v1/waitlist_entries", map[string]any{"email_address": "w2@example.com", "notify": false})
	if w1["object"] != "waitlist_entry" || w1["email_address"] != "w1@example.com" || w1["status"] != "pending" || w1["invitation"] != nil {
		t.Fatalf("entry: %v", w1)
	}
	a.fail("POST", "/v1/waitlist_entries", map[string]any{"email_address": "w1@example.com"}, 422, "form_identifier_exists")
	a.fail("POST", "/v1/waitlist_entries", map[string]any{"email_address": "w1"}, 422, "form_param_format_invalid")
	a.fail("POST", "/v1/waitlist_entries", map[string]any{}, 422, "form_param_missing")
	id1, id2 := w1["id"].(string), w2["id"].(string)
	inv := a.ok("POST", "/v1/waitlist_entries/"+id1+"/invite", map[string]any{})
	if inv["status"] != "invited" || inv["invitation"].(map[string]any)["status"] != "pending" {
		t.Fatalf("invited: %v", inv)
	}
	a.fail("POST", "/v1/waitlist_entries/"+id1+"/invite", nil, 409, "waitlist_entry_invited")
	rej := a.ok("POST", "/v1/waitlist_entries/"+id1+"/reject", nil)
	if rej["status"] != "rejected" || rej["invitation"].(map[string]any)["status"] != "revoked" {
		t.Errorf("rejected: %v", rej)
	}
	a.fail("POST", "/v1/waitlist_entries/"+id1+"/reject", nil, 409, "waitlist_entry_rejected")
	a.createUser("w2@example.com", "W2")
	a.fail("POST", "/v1/waitlist_entries/"+id2+"/invite", map[string]any{}, 422, "form_identifier_exists")
	a.ok("POST", "/v1/waitlist_entries/"+id2+"/invite", map[string]any{"ignore_existing": true})

	l := a.ok("GET", "/v1/waitlist_entries?status=invited", nil)
	if l["total_count"] != 1.0 || l["data"].([]any)[0].(map[string]any)["id"] != id2 {
		t.Errorf("status filter: %v", l)
	}
	if l := a.ok("GET", "/v1/waitlist_entries?query=w1&order_by=email_address", nil); l["total_count"] != 1.0 {
		t.Errorf("query: %v", l)
	}
	if l := a.ok("GET", "/v1/waitlist_entries?limit=1", nil); l["total_count"] != 2.0 || len(l["data"].([]any)) != 1 ||
		l["data"].([]any)[0].(map[string]any)["id"] != id2 {
		t.Errorf("page: %v", l)
	}
	a.fail("GET", "/v1/waitlist_entries?status=gone", nil, 422, "form_param_value_invalid")
	a.fail("GET", "/v1/waitlist_entries?order_by=status", nil, 422, "form_param_value_invalid")
	if d := a.ok("DELETE", "/v1/waitlist_entries/"+id1, nil); d["deleted"] != true || d["id"] != id1 {
		t.Errorf("deleted: %v", d)
	}
	for _, c := range [][2]string{{"DELETE", ""}, {"POST", "/invite"}, {"POST", "/reject"}} {
		a.fail(c[0], "/v1/waitlist_entries/"+id1+c[1], nil, 404, "resource_not_found")
	}
	status, out := a.doAuth("GET", "/v1/waitlist_entries", nil, "")
	checkAPIError(t, "GET /v1/waitlist_entries", status, out, 401, "authentication_invalid")

	ev := events(t, a)
	if len(ev["waitlistEntry.created"]) != 2 || len(ev["waitlistEntry.updated"]) != 3 {
		t.Errorf("events: %d created, %d updated", len(ev["waitlistEntry.created"]), len(ev["waitlistEntry.updated"]))
	}
	if d := ev["waitlistEntry.updated"][0]; d["status"] != "invited" || d["invitation"] == nil {
		t.Errorf("waitlistEntry.updated: %v", d)
	}
}

// exerciseInstanceRoutes calls every route of instance.go once with
// success (see TestEveryRouteIsExercised).
func exerciseInstanceRoutes(t *testing.T, a *api) {
	t.Helper()
	inv := a.ok("POST", "/v1/invitations", map[string]any{"email_address": "ex-inv@example.com"})
	a.arr("/v1/invitations")
	if status, out := a.do("POST", "/v1/invitations/bulk", []map[string]any{{"email_address": "ex-bulk@example.com"}}); status != 200 {
		t.Errorf("bulk: %d %s", status, out)
	}
	a.ok("POST", "/v1/invitations/"+inv["id"].(string)+"/revoke", nil)
	for _, list := range []string{"allowlist", "blocklist"} {
		id := a.ok("POST", "/v1/"+list+"_identifiers", map[string]any{"identifier": "ex@example.com"})["id"].(string)
		a.do("GET", "/v1/"+list+"_identifiers", nil)
		a.ok("DELETE", "/v1/"+list+"_identifiers/"+id, nil)
	}
	ru := a.ok("POST", "/v1/redirect_urls", map[string]any{"url": "https://ex.example.com"})["id"].(string)
	a.arr("/v1/redirect_urls")
	a.ok("GET", "/v1/redirect_urls/"+ru, nil)
	a.ok("DELETE", "/v1/redirect_urls/"+ru, nil)
	w := a.ok("POST", "/v1/waitlist_entries", map[string]any{"email_address": "ex-wait@example.com"})["id"].(string)
	a.ok("GET", "/v1/waitlist_entries", nil)
	a.ok("POST", "/v1/waitlist_entries/"+w+"/invite", map[string]any{})
	a.ok("POST", "/v1/waitlist_entries/"+w+"/reject", nil)
	a.ok("DELETE", "/v1/waitlist_entries/"+w, nil)
}
