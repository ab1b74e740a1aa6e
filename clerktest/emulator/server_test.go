package emulator_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clerkkit/clerkkit"
	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerktest"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
	"github.com/clerkkit/clerkkit/metadata"
)

func ids(list []map[string]any) []string {
	out := make([]string, len(list))
	for i, m := range list {
		out[i], _ = m["id"].(string)
	}
	return out
}

func dataIDs(m map[string]any) []string {
	var out []string
	for _, d := range m["data"].([]any) {
		out = append(out, d.(map[string]any)["id"].(string))
	}
	return out
}

func TestPaginationBeyond500(t *testing.T) {
	a := newAPI(t, emulator.Options{Clock: clerktest.NewClock(time.Date(2025, 4, 10, 0, 0, 0, 0, time.UTC))})
	const n = 600
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < n; i = next.Add(1) - 1 {
				a.createUser(fmt.Sprintf("user%03d@example.com", i), fmt.Sprintf("U%03d", i))
			}
		})
	}
	wg.Wait()
	// Walk all of them, oldest first (the clock is frozen: ties break by
	// creation order).
	var all []string
	for off := 0; off < n; off += 500 {
		page := a.list(fmt.Sprintf("/v1/users?order_by=%%2Bcreated_at&limit=500&offset=%d", off))
		all = append(all, ids(page)...)
	}
	if len(all) != n || len(slices.Compact(slices.Sorted(slices.Values(all)))) != n {
		t.Fatalf("walked %d users (%d distinct), want %d", len(all), len(slices.Compact(slices.Sorted(slices.Values(all)))), n)
	}
	first := a.list("/v1/users?limit=500")
	second := a.list("/v1/users?limit=500&offset=500")
	if len(first) != 500 || len(second) != 100 {
		t.Fatalf("pages of %d and %d, want 500 and 100", len(first), len(second))
	}
	// Default order is newest first: the reverse of the ascending walk.
	desc := append(ids(first), ids(second)...)
	slices.Reverse(desc)
	if !slices.Equal(desc, all) {
		t.Fatal("-created_at is not the reverse of +created_at (ties must break by creation order)")
	}
	if got := a.list("/v1/users?limit=500&offset=600"); len(got) != 0 {
		t.Fatalf("offset past the end: %d users", len(got))
	}
	if c := a.ok("GET", "/v1/users/count", nil); c["total_count"] != float64(n) || c["object"] != "total_count" {
		t.Fatalf("count: %v", c)
	}
	// Clerk ignores a limit outside 1..500 and uses its default, 10.
	for _, l := range []string{"501", "1000", "0", "-1"} {
		if got := a.list("/v1/users?limit=" + l); len(got) != 10 {
			t.Errorf("limit=%s: %d users, want the default 10", l, len(got))
		}
	}
	if got := a.list("/v1/users?limit=1"); len(got) != 1 || got[0]["id"] != desc[len(desc)-1] {
		t.Errorf("limit=1: %v", ids(got))
	}
	a.fail("GET", "/v1/users?limit=ten", nil, 422, "form_param_format_invalid")
	a.fail("GET", "/v1/users?offset=-1", nil, 422, "form_param_value_invalid")
	// Cursor pagination.
	newest := ids(first)
	page := a.list("/v1/users?limit=3&starting_after=" + newest[0])
	if !slices.Equal(ids(page), newest[1:4]) {
		t.Fatalf("starting_after: %v, want %v", ids(page), newest[1:4])
	}
	page = a.list("/v1/users?limit=3&order_by=%2Bcreated_at&starting_after=" + all[598])
	if !slices.Equal(ids(page), all[599:]) {
		t.Fatalf("starting_after ascending: %v, want %v", ids(page), all[599:])
	}
	a.fail("GET", "/v1/users?order_by=first_name&starting_after="+newest[0], nil, 422, "form_param_value_invalid")
	a.fail("GET", "/v1/users?offset=5&starting_after="+newest[0], nil, 422, "form_param_value_invalid")
	a.fail("GET", "/v1/users?starting_after=user_nope", nil, 422, "form_param_value_invalid")
	// Organizations paginate with data and total_count.
	for i := range 12 {
		a.ok("POST", "/v1/organizations", map[string]any{"name": fmt.Sprintf("Org %02d", i)})
	}
	o := a.ok("GET", "/v1/organizations?limit=5&offset=10&order_by=name", nil)
	if o["total_count"] != float64(12) || len(o["data"].([]any)) != 2 ||
		o["data"].([]any)[0].(map[string]any)["name"] != "Org 10" {
		t.Fatalf("orgs page: %v", o)
	}
}

func TestUserFilters(t *testing.T) {
	a := newAPI(t)
	ann := a.ok("POST", "/v1/users", map[string]any{"email_address": []string{"ann@example.com"}, "first_name": "Ann",
		"last_name": "Smith", "username": "annie", "external_id": "crm-1"})
	bob := a.ok("POST", "/v1/users", map[string]any{"email_address": []string{"bob@example.org", "robert@work.example"}, "first_name": "Bob"})
	cat := a.ok("POST", "/v1/users", map[string]any{"email_address": []string{"cat@example.com"}, "last_name": "Jones"})
	a.ok("POST", "/v1/users/"+cat["id"].(string)+"/ban", nil)
	org := a.ok("POST", "/v1/organizations", map[string]any{"name": "Acme", "created_by": bob["id"]})
	annID, bobID, catID := ann["id"].(string), bob["id"].(string), cat["id"].(string)

	for _, tc := range []struct {
		query string
		want  []string // newest first
	}{
		{"", []string{catID, bobID, annID}},
		{"email_address=ann@example.com", []string{annID}},
		{"email_address=ANN@example.com&email_address=robert@work.example", []string{bobID, annID}},
		{"email_address=nobody@example.com", nil},
		{"user_id=" + annID + "&user_id=" + catID, []string{catID, annID}},
		{"user_id=-" + annID, []string{catID, bobID}},
		{"user_id=%2B" + annID + "&user_id=%2B" + bobID + "&user_id=-" + bobID, []string{annID}},
		{"query=example.com", []string{catID, annID}},
		{"query=SMI", []string{annID}},
		{"query=" + bobID, []string{bobID}},
		{"query=ann+smith", []string{annID}},
		{"email_address_query=EXAMPLE.ORG", []string{bobID}},
		{"username=ANNIE", []string{annID}},
		{"username_query=nni", []string{annID}},
		{"name_query=jon", []string{catID}},
		{"external_id=crm-1", []string{annID}},
		{"banned=true", []string{catID}},
		{"banned=false", []string{bobID, annID}},
		{"organization_id=" + org["id"].(string), []string{bobID}},
		{"organization_id=-" + org["id"].(string), []string{catID, annID}},
		{"phone_number=%2B15555550100", nil},
		{"order_by=%2Bcreated_at", []string{annID, bobID, catID}},
		{"order_by=created_at", []string{annID, bobID, catID}},
		{"order_by=first_name", []string{annID, bobID, catID}},  // nulls last ascending
		{"order_by=-first_name", []string{catID, bobID, annID}}, // nulls first descending
		{"order_by=last_name", []string{catID, annID, bobID}},
		{"order_by=email_address", []string{annID, bobID, catID}},
		{"order_by=-updated_at", []string{catID, bobID, annID}},
		{"order_by=username&order_by=-created_at", []string{annID, bobID, catID}}, // only the first order_by counts; ties by creation
	} {
		t.Run(tc.query, func(t *testing.T) {
			got := ids(a.list("/v1/users?" + tc.query))
			if !slices.Equal(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			c := a.ok("GET", "/v1/users/count?"+tc.query, nil)
			if c["total_count"] != float64(len(tc.want)) {
				t.Fatalf("count %v, want %d", c["total_count"], len(tc.want))
			}
		})
	}
	a.fail("GET", "/v1/users?order_by=password", nil, 422, "form_param_value_invalid")
	a.fail("GET", "/v1/users?banned=maybe", nil, 422, "form_param_format_invalid")
	a.fail("GET", "/v1/users?created_at_after=yesterday", nil, 422, "form_param_format_invalid")
}

func TestUserValidation(t *testing.T) {
	a := newAPI(t)
	a.createUser("taken@example.com", "A")
	a.ok("POST", "/v1/users", map[string]any{"username": "taken_name", "external_id": "x-1"})
	for _, tc := range []struct {
		name   string
		body   any
		status int
		code   string
		param  string
	}{
		{"duplicate email", map[string]any{"email_address": []string{"TAKEN@example.com"}}, 422, "form_identifier_exists", "email_address"},
		{"same email twice", map[string]any{"email_address": []string{"n@example.com", "N@example.com"}}, 422, "form_identifier_exists", "email_address"},
		{"duplicate username", map[string]any{"username": "Taken_Name"}, 422, "form_identifier_exists", "username"},
		{"duplicate external id", map[string]any{"external_id": "x-1"}, 422, "form_identifier_exists", "external_id"},
		{"bad email", map[string]any{"email_address": []string{"not-an-email"}}, 422, "form_param_format_invalid", "email_address"},
		{"short username", map[string]any{"username": "ab"}, 422, "form_username_invalid_length", "username"},
		{"odd username", map[string]any{"username": "a b c d"}, 422, "form_username_invalid_character", "username"},
		{"short password", map[string]any{"password": "short"}, 422, "form_password_length_too_short", "password"},
		{"metadata not an object", map[string]any{"public_metadata": []int{1}}, 422, "form_param_format_invalid", "public_metadata"},
		{"metadata with duplicate keys", `{"public_metadata":{"a":1,"a":2}}`, 422, "form_param_format_invalid", "public_metadata"},
		{"unknown parameter", map[string]any{"first_nam": "typo"}, 422, "form_param_unknown", "first_nam"},
		{"wrong type", map[string]any{"first_name": 7}, 422, "form_param_format_invalid", "first_name"},
		{"bad created_at", map[string]any{"created_at": "yesterday"}, 422, "form_param_format_invalid", "created_at"},
		{"phone number not E.164", map[string]any{"phone_number": []string{"555-0100"}}, 422, "form_param_format_invalid", "phone_number"},
		{"bad totp_secret", map[string]any{"totp_secret": "not base32!"}, 422, "form_param_format_invalid", "totp_secret"},
		{"malformed JSON", `{"first_name":`, 400, "malformed_request", ""},
		{"not an object", `[1]`, 400, "malformed_request", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := a.fail("POST", "/v1/users", tc.body, tc.status, tc.code)
			meta, _ := e["meta"].(map[string]any)
			if tc.param != "" && meta["param_name"] != tc.param {
				t.Fatalf("meta %v, want param_name %s", meta, tc.param)
			}
		})
	}
	if c := a.ok("GET", "/v1/users/count", nil); c["total_count"] != float64(2) {
		t.Fatalf("failed creations stored users: count %v", c["total_count"])
	}
	// An accepted but ignored spec parameter, a custom created_at, a
	// password skipping checks.
	u := a.ok("POST", "/v1/users", map[string]any{"skip_password_requirement": true, "created_at": "2020-01-02T03:04:05.678Z",
		"password": "short", "skip_password_checks": true})
	if u["created_at"] != float64(time.Date(2020, 1, 2, 3, 4, 5, 678e6, time.UTC).UnixMilli()) || u["password_enabled"] != true {
		t.Fatalf("user: %v", u)
	}
}

func TestUpdateUser(t *testing.T) {
	a := newAPI(t)
	u := a.ok("POST", "/v1/users", map[string]any{"email_address": []string{"a@example.com", "b@example.com"},
		"username": "first_name", "public_metadata": map[string]any{"keep": false, "x": 1}})
	id := u["id"].(string)
	other := a.ok("POST", "/v1/users", map[string]any{"username": "someone"})
	second := u["email_addresses"].([]any)[1].(map[string]any)["id"].(string)
	got := a.ok("PATCH", "/v1/users/"+id, map[string]any{"primary_email_address_id": second, "last_name": "L",
		"public_metadata": map[string]any{"y": 2}, "unsafe_metadata": map[string]any{"z": 3}})
	if got["primary_email_address_id"] != second || got["last_name"] != "L" || got["first_name"] != nil {
		t.Fatalf("updated: %v", got)
	}
	sameJSON(t, "replaced", mustJSON(got["public_metadata"]), `{"y":2}`)
	sameJSON(t, "unsafe", mustJSON(got["unsafe_metadata"]), `{"z":3}`)
	// null metadata leaves it alone; null username removes it.
	got = a.ok("PATCH", "/v1/users/"+id, `{"public_metadata":null,"username":null}`)
	sameJSON(t, "after null", mustJSON(got["public_metadata"]), `{"y":2}`)
	if got["username"] != nil {
		t.Fatalf("username %v after null", got["username"])
	}
	a.fail("PATCH", "/v1/users/"+id, map[string]any{"username": "SOMEONE"}, 422, "form_identifier_exists")
	a.fail("PATCH", "/v1/users/"+id, map[string]any{"primary_email_address_id": "idn_nope"}, 422, "form_param_value_invalid")
	a.fail("PATCH", "/v1/users/user_nope", map[string]any{"first_name": "x"}, 404, "resource_not_found")
	// PUT …/metadata replaces only the fields given.
	got = a.ok("PUT", "/v1/users/"+id+"/metadata", map[string]any{"private_metadata": map[string]any{"p": 1}})
	sameJSON(t, "put private", mustJSON(got["private_metadata"]), `{"p":1}`)
	sameJSON(t, "put leaves public", mustJSON(got["public_metadata"]), `{"y":2}`)
	_ = other
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func TestMetadataMergeThroughAPI(t *testing.T) {
	a := newAPI(t)
	u := a.ok("POST", "/v1/users", map[string]any{"public_metadata": map[string]any{
		"a": map[string]any{"b": map[string]any{"c": 1, "d": 2}, "keep": true}, "list": []int{1, 2, 3}, "gone": "x"}})
	id := u["id"].(string)
	patch := `{"public_metadata":{"a":{"b":{"c":null,"e":{"f":3}}},"list":[9],"gone":null,"new":{"x":null,"y":1}},` +
		`"unsafe_metadata":{"u":1}}`
	want := `{"a":{"b":{"d":2,"e":{"f":3}},"keep":true},"list":[9],"new":{"y":1}}`
	got := a.ok("PATCH", "/v1/users/"+id+"/metadata", patch)
	sameJSON(t, "merged", mustJSON(got["public_metadata"]), want)
	sameJSON(t, "unsafe", mustJSON(got["unsafe_metadata"]), `{"u":1}`)
	sameJSON(t, "private untouched", mustJSON(got["private_metadata"]), `{}`)
	// The same patch again changes nothing.
	again := a.ok("PATCH", "/v1/users/"+id+"/metadata", patch)
	sameJSON(t, "merged twice", mustJSON(again["public_metadata"]), want)
	// A GET reads what the merge stored.
	sameJSON(t, "stored", mustJSON(a.ok("GET", "/v1/users/"+id, nil)["public_metadata"]), want)
	// A metadata.Patch sent to the API makes the change Patch.Apply predicts.
	p := metadata.NewPatch().Set("dark", "prefs", "ui", "theme").Remove("a", "keep").Set([]string{"x"}, "list")
	before := mustJSON(a.ok("GET", "/v1/users/"+id, nil)["public_metadata"])
	predicted, err := p.Apply(before)
	if err != nil {
		t.Fatal(err)
	}
	got = a.ok("PATCH", "/v1/users/"+id+"/metadata", map[string]any{"public_metadata": p})
	sameJSON(t, "patched", mustJSON(got["public_metadata"]), string(predicted))
	a.fail("PATCH", "/v1/users/"+id+"/metadata", `{"public_metadata":[1]}`, 422, "form_param_format_invalid")
	a.fail("PATCH", "/v1/users/"+id+"/metadata", `{"public_metadata":{"a":1,"a":2}}`, 422, "form_param_format_invalid")
	a.fail("PATCH", "/v1/users/"+id+"/metadata", `{"publicMetadata":{}}`, 422, "form_param_unknown")
	a.fail("PATCH", "/v1/users/user_nope/metadata", `{"public_metadata":{}}`, 404, "resource_not_found")

	// Organizations and memberships merge the same way.
	org := a.ok("POST", "/v1/organizations", map[string]any{"name": "Acme", "created_by": id,
		"private_metadata": map[string]any{"billing": map[string]any{"plan": "pro", "seats": 5}}})
	oid := org["id"].(string)
	got = a.ok("PATCH", "/v1/organizations/"+oid+"/metadata", `{"private_metadata":{"billing":{"seats":null,"trial":true}}}`)
	sameJSON(t, "org private", mustJSON(got["private_metadata"]), `{"billing":{"plan":"pro","trial":true}}`)
	got = a.ok("PUT", "/v1/organizations/"+oid+"/metadata", `{"public_metadata":{"only":1}}`)
	sameJSON(t, "org put", mustJSON(got["public_metadata"]), `{"only":1}`)
	sameJSON(t, "org put leaves private", mustJSON(got["private_metadata"]), `{"billing":{"plan":"pro","trial":true}}`)
	got = a.ok("PATCH", "/v1/organizations/"+oid+"/memberships/"+id+"/metadata", `{"public_metadata":{"x":{"y":{"z":1}}}}`)
	got = a.ok("PATCH", "/v1/organizations/"+oid+"/memberships/"+id+"/metadata", `{"public_metadata":{"x":{"y":{"z":null,"w":2}}},"private_metadata":{"p":1}}`)
	sameJSON(t, "membership public", mustJSON(got["public_metadata"]), `{"x":{"y":{"w":2}}}`)
	sameJSON(t, "membership private", mustJSON(got["private_metadata"]), `{"p":1}`)
	a.fail("PATCH", "/v1/organizations/"+oid+"/memberships/user_nope/metadata", `{}`, 404, "resource_not_found")
}

func TestOrganizations(t *testing.T) {
	a := newAPI(t)
	a.ok("POST", "/v1/organizations", map[string]any{"name": "Taken", "slug": "taken"})
	for _, tc := range []struct {
		name string
		body any
		code string
	}{
		{"duplicate slug", map[string]any{"name": "X", "slug": "taken"}, "form_identifier_exists"},
		{"bad slug", map[string]any{"name": "X", "slug": "Not OK"}, "form_param_format_invalid"},
		{"no name", map[string]any{"slug": "x"}, "form_param_missing"},
		{"blank name", map[string]any{"name": "  "}, "form_param_missing"},
		{"html name", map[string]any{"name": "<b>x</b>"}, "form_param_value_invalid"},
		{"unknown creator", map[string]any{"name": "X", "created_by": "user_nope"}, "form_param_value_invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) { a.fail("POST", "/v1/organizations", tc.body, 422, tc.code) })
	}
	// Slugs are derived from names, made unique.
	o1 := a.ok("POST", "/v1/organizations", map[string]any{"name": "Big  Co. (EU)!"})
	o2 := a.ok("POST", "/v1/organizations", map[string]any{"name": "big co eu"})
	if o1["slug"] != "big-co-eu" || o2["slug"] != "big-co-eu-2" {
		t.Fatalf("derived slugs %v, %v", o1["slug"], o2["slug"])
	}
	id := o1["id"].(string)
	if g := a.ok("GET", "/v1/organizations/big-co-eu", nil); g["id"] != id || g["members_count"] != nil {
		t.Fatalf("get by slug: %v", g)
	}
	a.fail("PATCH", "/v1/organizations/"+id, map[string]any{"slug": "taken"}, 422, "form_identifier_exists")
	g := a.ok("PATCH", "/v1/organizations/"+id, map[string]any{"slug": "renamed", "max_allowed_memberships": 1,
		"admin_delete_enabled": false, "public_metadata": map[string]any{"a": 1}})
	if g["slug"] != "renamed" || g["max_allowed_memberships"] != float64(1) || g["admin_delete_enabled"] != false {
		t.Fatalf("patched: %v", g)
	}
	a.fail("GET", "/v1/organizations/big-co-eu", nil, 404, "resource_not_found") // the old slug is free
	a.ok("GET", "/v1/organizations/renamed", nil)
	// PATCH, DELETE and the sub-resources take an id only.
	a.fail("PATCH", "/v1/organizations/renamed", map[string]any{"name": "x"}, 404, "resource_not_found")
	// Membership limit.
	u1, u2 := a.createUser("1@example.com", "One"), a.createUser("2@example.com", "Two")
	a.ok("POST", "/v1/organizations/"+id+"/memberships", map[string]any{"user_id": u1["id"], "role": "org:admin"})
	a.fail("POST", "/v1/organizations/"+id+"/memberships", map[string]any{"user_id": u2["id"], "role": "org:member"}, 403, "organization_membership_quota_exceeded")
	a.fail("POST", "/v1/organizations/"+id+"/memberships", map[string]any{"user_id": u2["id"], "role": "org:boss"}, 422, "form_param_value_invalid")
	a.fail("POST", "/v1/organizations/"+id+"/memberships", map[string]any{"user_id": u2["id"]}, 422, "form_param_missing")
	a.fail("POST", "/v1/organizations/"+id+"/memberships", map[string]any{"user_id": "user_nope", "role": "org:member"}, 404, "resource_not_found")
	// include_members_count, list filters.
	g = a.ok("GET", "/v1/organizations/"+id+"?include_members_count=true", nil)
	if g["members_count"] != float64(1) || g["pending_invitations_count"] != float64(0) {
		t.Fatalf("counts: %v", g)
	}
	l := a.ok("GET", "/v1/organizations?user_id="+u1["id"].(string), nil)
	if !slices.Equal(dataIDs(l), []string{id}) {
		t.Fatalf("orgs of u1: %v", dataIDs(l))
	}
	l = a.ok("GET", "/v1/organizations?order_by=-members_count&limit=1&include_members_count=true", nil)
	if l["total_count"] != float64(3) || dataIDs(l)[0] != id {
		t.Fatalf("by members: %v", l)
	}
	l = a.ok("GET", "/v1/organizations?query="+id, nil)
	if !slices.Equal(dataIDs(l), []string{id}) {
		t.Fatalf("query by id: %v", dataIDs(l))
	}
	a.fail("GET", "/v1/organizations?order_by=slug", nil, 422, "form_param_value_invalid")
	// Deleting takes memberships, invitations and the slug with it.
	inv := a.ok("POST", "/v1/organizations/"+id+"/invitations", map[string]any{"email_address": "x@example.com", "role": "org:member"})
	d := a.ok("DELETE", "/v1/organizations/"+id, nil)
	if d["object"] != "organization" || d["deleted"] != true || d["slug"] != "renamed" || d["id"] != id {
		t.Fatalf("deleted: %v", d)
	}
	a.fail("GET", "/v1/organizations/"+id+"/invitations/"+inv["id"].(string), nil, 404, "resource_not_found")
	if m := a.ok("GET", "/v1/users/"+u1["id"].(string)+"/organization_memberships", nil); m["total_count"] != float64(0) {
		t.Fatalf("memberships after delete: %v", m)
	}
	a.ok("POST", "/v1/organizations", map[string]any{"name": "Again", "slug": "renamed"})
	a.fail("DELETE", "/v1/organizations/"+id, nil, 404, "resource_not_found")
}

func TestMemberships(t *testing.T) {
	a := newAPI(t)
	admin := a.createUser("admin@example.com", "Ada")
	bob := a.ok("POST", "/v1/users", map[string]any{"username": "bobby", "first_name": "Bob"})
	org := a.ok("POST", "/v1/organizations", map[string]any{"name": "Acme", "created_by": admin["id"]})
	oid := org["id"].(string)
	m := a.ok("POST", "/v1/organizations/"+oid+"/memberships", map[string]any{"user_id": bob["id"], "role": "org:member",
		"public_metadata": map[string]any{"team": "blue"}})
	pud := m["public_user_data"].(map[string]any)
	if pud["identifier"] != "bobby" || pud["username"] != "bobby" || m["organization"].(map[string]any)["slug"] != "acme" {
		t.Fatalf("membership: %v", m)
	}
	l := a.ok("GET", "/v1/organizations/"+oid+"/memberships?order_by=first_name", nil)
	if !slices.Equal(dataIDs(l), []string{membershipID(t, a, oid, admin["id"].(string)), m["id"].(string)}) {
		t.Fatalf("order by first name: %v", l)
	}
	l = a.ok("GET", "/v1/organizations/"+oid+"/memberships?query=ada", nil)
	if l["total_count"] != float64(1) {
		t.Fatalf("query: %v", l)
	}
	l = a.ok("GET", "/v1/organizations/"+oid+"/memberships?user_id=-"+admin["id"].(string), nil)
	if !slices.Equal(dataIDs(l), []string{m["id"].(string)}) {
		t.Fatalf("excluding admin: %v", l)
	}
	l = a.ok("GET", "/v1/users/"+bob["id"].(string)+"/organization_memberships", nil)
	if !slices.Equal(dataIDs(l), []string{m["id"].(string)}) {
		t.Fatalf("per user: %v", l)
	}
	a.fail("GET", "/v1/users/user_nope/organization_memberships", nil, 404, "resource_not_found")
	up := a.ok("PATCH", "/v1/organizations/"+oid+"/memberships/"+bob["id"].(string), map[string]any{"role": "org:admin"})
	if up["role"] != "org:admin" || len(up["permissions"].([]any)) != 6 {
		t.Fatalf("promoted: %v", up)
	}
	a.fail("PATCH", "/v1/organizations/"+oid+"/memberships/"+bob["id"].(string), map[string]any{}, 422, "form_param_missing")
	a.fail("PATCH", "/v1/organizations/"+oid+"/memberships/user_nope", map[string]any{"role": "org:admin"}, 404, "resource_not_found")
	del := a.ok("DELETE", "/v1/organizations/"+oid+"/memberships/"+bob["id"].(string), nil)
	if del["id"] != m["id"] {
		t.Fatalf("deleted: %v", del)
	}
	a.fail("DELETE", "/v1/organizations/"+oid+"/memberships/"+bob["id"].(string), nil, 404, "resource_not_found")
}

func membershipID(t *testing.T, a *api, orgID, userID string) string {
	t.Helper()
	l := a.ok("GET", "/v1/organizations/"+orgID+"/memberships?user_id="+userID, nil)
	return dataIDs(l)[0]
}

func TestInvitations(t *testing.T) {
	clock := clerktest.NewClock(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC))
	a := newAPI(t, emulator.Options{Clock: clock})
	srv := a.srv
	admin := a.createUser("admin@example.com", "Ada")
	member := a.createUser("member@example.com", "Mel")
	org := a.ok("POST", "/v1/organizations", map[string]any{"name": "Acme", "created_by": admin["id"]})
	oid := org["id"].(string)
	a.ok("POST", "/v1/organizations/"+oid+"/memberships", map[string]any{"user_id": member["id"], "role": "org:member"})
	path := "/v1/organizations/" + oid + "/invitations"

	a.fail("POST", path, map[string]any{"role": "org:member"}, 422, "form_param_missing")
	a.fail("POST", path, map[string]any{"email_address": "x@example.com"}, 422, "form_param_missing")
	a.fail("POST", path, map[string]any{"email_address": "nope", "role": "org:member"}, 422, "form_param_format_invalid")
	a.fail("POST", path, map[string]any{"email_address": "x@example.com", "role": "org:member", "inviter_user_id": member["id"]}, 403, "not_an_admin_in_organization")
	a.fail("POST", path, map[string]any{"email_address": "MEMBER@example.com", "role": "org:member"}, 422, "already_a_member_in_organization")
	a.fail("POST", path, map[string]any{"email_address": "x@example.com", "role": "org:member", "expires_in_days": 0}, 422, "form_param_value_invalid")
	a.fail("POST", "/v1/organizations/org_nope/invitations", map[string]any{"email_address": "x@example.com", "role": "org:member"}, 404, "resource_not_found")

	inv := a.ok("POST", path, map[string]any{"email_address": "New@Example.com", "role": "org:admin", "inviter_user_id": admin["id"],
		"public_metadata": map[string]any{"p": 1}, "private_metadata": map[string]any{"q": 2}, "expires_in_days": 2})
	if inv["email_address"] != "new@example.com" || inv["inviter_id"] != admin["id"] || inv["status"] != "pending" ||
		inv["public_inviter_data"].(map[string]any)["identifier"] != "admin@example.com" {
		t.Fatalf("invitation: %v", inv)
	}
	short := a.ok("POST", path, map[string]any{"email_address": "late@example.com", "role": "org:member", "expires_in_days": 1})
	revoked := a.ok("POST", path, map[string]any{"email_address": "gone@example.com", "role": "org:member"})
	a.ok("POST", path+"/"+revoked["id"].(string)+"/revoke", nil)
	a.fail("POST", path+"/"+inv["id"].(string)+"/revoke", map[string]any{"requesting_user_id": member["id"]}, 403, "not_an_admin_in_organization")

	// A day and a bit later, the one-day invitation has expired.
	clock.Advance(25 * time.Hour)
	statusOf := func(status string) []string {
		return dataIDs(a.ok("GET", path+"?status="+status, nil))
	}
	if got := statusOf("pending"); !slices.Equal(got, []string{inv["id"].(string)}) {
		t.Fatalf("pending: %v", got)
	}
	if got := statusOf("expired"); !slices.Equal(got, []string{short["id"].(string)}) {
		t.Fatalf("expired: %v", got)
	}
	if got := dataIDs(a.ok("GET", path+"/pending", nil)); !slices.Equal(got, []string{inv["id"].(string)}) {
		t.Fatalf("deprecated pending list: %v", got)
	}
	if got := dataIDs(a.ok("GET", path+"?status=pending&status=revoked&order_by=email_address", nil)); !slices.Equal(got, []string{revoked["id"].(string), inv["id"].(string)}) {
		t.Fatalf("pending or revoked by email: %v", got)
	}
	if got := dataIDs(a.ok("GET", path+"?email_address=late@example.com", nil)); !slices.Equal(got, []string{short["id"].(string)}) {
		t.Fatalf("by email: %v", got)
	}
	a.fail("GET", path+"?status=bogus", nil, 422, "form_param_value_invalid")
	a.fail("POST", path+"/"+short["id"].(string)+"/revoke", nil, 400, "organization_invitation_not_pending")
	a.fail("GET", path+"/orginv_nope", nil, 404, "resource_not_found")

	// Signing up with the invited address accepts nothing.
	newcomer := a.createUser("new@example.com", "Nia")
	nid := newcomer["id"].(string)
	if g := a.ok("GET", path+"/"+inv["id"].(string), nil); g["status"] != "pending" {
		t.Fatalf("after sign-up: %v", g["status"])
	}
	ui := a.ok("GET", "/v1/users/"+nid+"/organization_invitations?status=pending", nil)
	if !slices.Equal(dataIDs(ui), []string{inv["id"].(string)}) ||
		ui["data"].([]any)[0].(map[string]any)["public_organization_data"].(map[string]any)["slug"] != "acme" {
		t.Fatalf("user's invitations: %v", ui)
	}
	// Accepting needs the invited address, a pending invitation, no membership.
	if err := srv.AcceptInvitation(inv["id"].(string), member["id"].(string)); err == nil {
		t.Fatal("accepted by a user without the invited address")
	}
	if err := srv.AcceptInvitation(short["id"].(string), nid); !isAPIError(err, 400, "organization_invitation_not_pending") {
		t.Fatalf("accept expired: %v", err)
	}
	if err := srv.AcceptInvitation("orginv_nope", nid); !isAPIError(err, 404, "resource_not_found") {
		t.Fatalf("accept unknown: %v", err)
	}
	if err := srv.AcceptInvitation(inv["id"].(string), nid); err != nil {
		t.Fatal(err)
	}
	if err := srv.AcceptInvitation(inv["id"].(string), nid); !isAPIError(err, 400, "organization_invitation_not_pending") {
		t.Fatalf("accept twice: %v", err)
	}
	m := a.ok("GET", "/v1/organizations/"+oid+"/memberships?user_id="+nid, nil)
	mm := m["data"].([]any)[0].(map[string]any)
	if mm["role"] != "org:admin" {
		t.Fatalf("membership from invitation: %v", mm)
	}
	sameJSON(t, "public metadata carried", mustJSON(mm["public_metadata"]), `{"p":1}`)
	sameJSON(t, "private metadata carried", mustJSON(mm["private_metadata"]), `{"q":2}`)
	if g := a.ok("GET", path+"/"+inv["id"].(string), nil); g["status"] != "accepted" {
		t.Fatalf("status after accept: %v", g["status"])
	}
	// Joining does not make the organization active in a new session:
	// it is active only when asked for.
	s := a.ok("POST", "/v1/sessions", map[string]any{"user_id": nid})
	if s["last_active_organization_id"] != nil {
		t.Fatalf("session after accept: %v", s)
	}
	s = a.ok("POST", "/v1/sessions", map[string]any{"user_id": nid, "active_organization_id": oid})
	if s["last_active_organization_id"] != oid {
		t.Fatalf("session in the new organization: %v", s)
	}
}

func isAPIError(err error, status int, code string) bool {
	e, ok := err.(*emulator.APIError)
	return ok && e.Status == status && e.Code == code && strings.Contains(e.Error(), code)
}

func TestSessionsAndTokens(t *testing.T) {
	clock := clerktest.NewClock(time.Now().Truncate(time.Second))
	a := newAPI(t, emulator.Options{Clock: clock})
	srv := a.srv
	if err := srv.Seed(emulator.SeedData{Roles: []emulator.SeedRole{{Key: "org:admin", Permissions: []string{"org:billing:manage"}}}}); err != nil {
		t.Fatal(err)
	}
	u := a.createUser("u@example.com", "U")
	uid := u["id"].(string)
	stranger := a.createUser("s@example.com", "S")
	org1 := a.ok("POST", "/v1/organizations", map[string]any{"name": "One", "created_by": uid})
	org2 := a.ok("POST", "/v1/organizations", map[string]any{"name": "Two", "created_by": stranger["id"]})

	a.fail("POST", "/v1/sessions", map[string]any{}, 422, "form_param_missing")
	a.fail("POST", "/v1/sessions", map[string]any{"user_id": "user_nope"}, 404, "resource_not_found")
	a.fail("POST", "/v1/sessions", map[string]any{"user_id": uid, "active_organization_id": org2["id"]}, 422, "not_a_member_in_organization")
	a.fail("POST", "/v1/sessions", map[string]any{"user_id": uid, "active_organization_id": "org_nope"}, 404, "resource_not_found")

	s := a.ok("POST", "/v1/sessions", map[string]any{"user_id": uid, "active_organization_id": org1["id"]})
	sid := s["id"].(string)
	if s["status"] != "active" || s["last_active_organization_id"] != org1["id"] ||
		s["expire_at"] != float64(clock.Now().Add(7*24*time.Hour).UnixMilli()) {
		t.Fatalf("session: %v", s)
	}
	if got := a.ok("GET", "/v1/users/"+uid, nil); got["last_sign_in_at"] != float64(clock.Now().UnixMilli()) {
		t.Fatalf("last_sign_in_at: %v", got["last_sign_in_at"])
	}
	v, err := auth.NewVerifier(srv.AuthConfig())
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(3 * time.Minute)
	tok := a.ok("POST", "/v1/sessions/"+sid+"/tokens", nil)
	sess, err := v.Verify(context.Background(), tok["jwt"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if sess.OrgID != org1["id"] || sess.OrgSlug != "one" || sess.OrgRole != "org:admin" ||
		!slices.Equal(sess.OrgPermissions, []string{"org:billing:manage"}) || sess.FactorVerificationAge == nil ||
		*sess.FactorVerificationAge != [2]int{3, -1} || !sess.ExpiresAt.Equal(clock.Now().Add(60*time.Second)) {
		t.Fatalf("verified: %+v fva %v", sess, sess.FactorVerificationAge)
	}
	long := a.ok("POST", "/v1/sessions/"+sid+"/tokens", map[string]any{"expires_in_seconds": 3600})
	if p := payloadOf(t, long["jwt"].(string)); p["exp"] != num(clock.Now().Add(time.Hour).Unix()) {
		t.Fatalf("exp with expires_in_seconds: %v", p["exp"])
	}
	a.fail("POST", "/v1/sessions/"+sid+"/tokens", map[string]any{"expires_in_seconds": 29}, 422, "form_param_value_invalid")

	// Switching organization (no API endpoint) changes later tokens.
	if err := srv.SetActiveOrganization(sid, org2["id"].(string)); !isAPIError(err, 422, "not_a_member_in_organization") {
		t.Fatalf("switch to a foreign org: %v", err)
	}
	if err := srv.SetActiveOrganization(sid, ""); err != nil {
		t.Fatal(err)
	}
	noOrg := a.ok("POST", "/v1/sessions/"+sid+"/tokens", nil)
	if p := payloadOf(t, noOrg["jwt"].(string)); p["o"] != nil {
		t.Fatalf("token without active org has o: %v", p["o"])
	}
	if err := srv.SetActiveOrganization("sess_nope", ""); !isAPIError(err, 404, "resource_not_found") {
		t.Fatalf("unknown session: %v", err)
	}

	// The session helper.
	tk, err := srv.SessionToken(stranger["id"].(string), org2["id"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if s2, err := v.Verify(context.Background(), tk); err != nil || s2.OrgID != org2["id"] || s2.OrgRole != "org:admin" {
		t.Fatalf("SessionToken: %+v, %v", s2, err)
	}
	tk, err = srv.SessionToken(uid, "")
	if err != nil {
		t.Fatal(err)
	}
	if p := payloadOf(t, tk); p["o"] != nil || p["v"] != num(2) {
		t.Fatalf("SessionToken without org: %v", p)
	}
	if _, err := srv.SessionToken("user_nope", ""); !isAPIError(err, 404, "resource_not_found") {
		t.Fatalf("SessionToken for an unknown user: %v", err)
	}
	if l := a.ok("GET", "/v1/sessions?user_id="+uid+"&paginated=true", nil); l["total_count"] != float64(2) {
		t.Fatalf("paginated sessions: %v", l)
	}
	if l := a.list("/v1/sessions?user_id=" + uid + "&status=active"); len(l) != 2 {
		t.Fatalf("active sessions: %v", ids(l))
	}
	a.fail("GET", "/v1/sessions", nil, 422, "form_param_missing")

	// Revoked, banned and expired sessions mint no tokens.
	r := a.ok("POST", "/v1/sessions/"+sid+"/revoke", nil)
	if r["status"] != "revoked" {
		t.Fatalf("revoked: %v", r)
	}
	a.fail("POST", "/v1/sessions/"+sid+"/tokens", nil, 404, "resource_not_found")
	// A new session has no active organization unless one is asked for
	// ("" is none too), whatever the user's earlier sessions had.
	if err := srv.SetActiveOrganization(s["id"].(string), org1["id"].(string)); err != nil {
		t.Fatal(err)
	}
	s3 := a.ok("POST", "/v1/sessions", map[string]any{"user_id": uid})
	if s3["last_active_organization_id"] != nil {
		t.Fatalf("a new session starts in %v", s3["last_active_organization_id"])
	}
	if p := payloadOf(t, a.ok("POST", "/v1/sessions/"+s3["id"].(string)+"/tokens", nil)["jwt"].(string)); p["o"] != nil {
		t.Fatalf("token of a new session without an org has o: %v", p["o"])
	}
	if s0 := a.ok("POST", "/v1/sessions", map[string]any{"user_id": uid, "active_organization_id": ""}); s0["last_active_organization_id"] != nil {
		t.Fatalf(`active_organization_id "" starts in %v`, s0["last_active_organization_id"])
	}
	a.ok("POST", "/v1/users/"+uid+"/ban", nil)
	if g := a.ok("GET", "/v1/sessions/"+s3["id"].(string), nil); g["status"] != "revoked" {
		t.Fatalf("session of a banned user: %v", g["status"])
	}
	a.fail("POST", "/v1/sessions", map[string]any{"user_id": uid}, 422, "user_banned")
	a.ok("POST", "/v1/users/"+uid+"/unban", nil)
	s4 := a.ok("POST", "/v1/sessions", map[string]any{"user_id": uid})
	clock.Advance(7*24*time.Hour + time.Second)
	if g := a.ok("GET", "/v1/sessions/"+s4["id"].(string), nil); g["status"] != "expired" {
		t.Fatalf("after 7 days: %v", g["status"])
	}
	a.fail("POST", "/v1/sessions/"+s4["id"].(string)+"/tokens", nil, 404, "resource_not_found")
	a.fail("GET", "/v1/sessions/sess_nope", nil, 404, "resource_not_found")
	// Locked users cannot start sessions until the lock expires.
	a.ok("POST", "/v1/users/"+uid+"/lock", nil)
	a.fail("POST", "/v1/sessions", map[string]any{"user_id": uid}, 422, "user_locked")
	clock.Advance(time.Hour)
	if g := a.ok("GET", "/v1/users/"+uid, nil); g["locked"] != false {
		t.Fatalf("lock after an hour: %v", g["locked"])
	}
	// Deleting the user removes its sessions.
	s5 := a.ok("POST", "/v1/sessions", map[string]any{"user_id": uid})
	a.ok("DELETE", "/v1/users/"+uid, nil)
	a.fail("GET", "/v1/sessions/"+s5["id"].(string), nil, 404, "resource_not_found")
}

func TestAuthentication(t *testing.T) {
	a := newAPI(t, emulator.Options{SecretKey: "sk_test_right"})
	// Wrong keys of the same length, a prefix and an extension of the key
	// are refused like any other.
	for _, authz := range []string{"", "Bearer sk_test_wrong", "Basic sk_test_right", "sk_test_right", "Bearer",
		"Bearer sk_test_rigHt", "Bearer tk_test_right", "Bearer sk_test_righ", "Bearer sk_test_rightt"} {
		status, out := a.doAuth("GET", "/v1/users", nil, authz)
		e := checkAPIError(t, fmt.Sprintf("Authorization %q", authz), status, out, 401, "authentication_invalid")
		if e["message"] != "Invalid authentication" {
			t.Fatalf("message %v", e["message"])
		}
	}
	for _, path := range []string{"/v1/jwks", "/v1/domains", "/v1/nothing/here", "/v1/users/user_x/ban"} {
		status, out := a.doAuth("GET", path, nil, "")
		checkAPIError(t, path, status, out, 401, "authentication_invalid")
	}
	if status, _ := a.doAuth("GET", "/v1/users", nil, "bearer sk_test_right"); status != 200 {
		t.Fatalf("lower-case scheme: %d", status)
	}
	if status, _ := a.doAuth("GET", "/.well-known/jwks.json", nil, ""); status != 200 {
		t.Fatalf("frontend JWKS without a key: %d", status)
	}
	a.fail("GET", "/v1/nothing/here", nil, 404, "resource_not_found")
	a.fail("GET", "/elsewhere", nil, 404, "resource_not_found")
	// The key pair configures clerkkit's verifier from the environment.
	t.Setenv("CLERK_SECRET_KEY", a.srv.SecretKey())
	t.Setenv("CLERK_PUBLISHABLE_KEY", a.srv.PublishableKey())
	t.Setenv("CLERK_API_URL", a.srv.URL())
	cfg := auth.ConfigFromEnv()
	cfg.HTTPClient = a.srv.HTTPClient()
	v, err := auth.NewVerifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	u := a.createUser("x@example.com", "X")
	tok, err := a.srv.SessionToken(u["id"].(string), "")
	if err != nil {
		t.Fatal(err)
	}
	if s, err := v.Verify(context.Background(), tok); err != nil || s.UserID != u["id"] {
		t.Fatalf("verify with ConfigFromEnv: %v", err)
	}
	host, err := auth.FrontendAPIFromPublishableKey(a.srv.PublishableKey())
	if err != nil || host != a.srv.Issuer().FrontendAPI() {
		t.Fatalf("publishable key decodes to %q, %v", host, err)
	}
	// The JWKS endpoints are the Issuer's: a rotation shows at once.
	kid := a.srv.Issuer().Rotate()
	for _, path := range []string{"/v1/jwks", "/.well-known/jwks.json"} {
		keys := a.ok("GET", path, nil)["keys"].([]any)
		if len(keys) != 2 || keys[1].(map[string]any)["kid"] != kid {
			t.Fatalf("%s after rotation: %v", path, keys)
		}
	}
	d := a.ok("GET", "/v1/domains", nil)
	if d["data"].([]any)[0].(map[string]any)["frontend_api_url"] != a.srv.Issuer().IssuerURL() {
		t.Fatalf("domains: %v", d)
	}
}

func TestServerOptions(t *testing.T) {
	srv, err := emulator.StartServer(emulator.Options{Addr: "127.0.0.1:0", FrontendAPI: "clerk.example.com",
		SecretKey: "sk_live_abc"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if !strings.HasPrefix(srv.URL(), "http://127.0.0.1:") || srv.SecretKey() != "sk_live_abc" ||
		!strings.HasPrefix(srv.PublishableKey(), "pk_live_") || srv.Issuer().IssuerURL() != "https://clerk.example.com" {
		t.Fatalf("server: %s %s %s %s", srv.URL(), srv.SecretKey(), srv.PublishableKey(), srv.Issuer().IssuerURL())
	}
	if cfg := srv.AuthConfig(); cfg.APIURL != srv.URL() || cfg.SecretKey != "sk_live_abc" || cfg.HTTPClient == nil || cfg.Now == nil {
		t.Fatalf("AuthConfig: %+v", cfg)
	}
	if cfg := srv.ClientConfig(); cfg.APIURL != srv.URL() || cfg.SecretKey != "sk_live_abc" || cfg.HTTPClient == nil {
		t.Fatalf("ClientConfig: %+v", cfg)
	}
	srv.Close()
	srv.Close() // twice is fine
	if _, err := srv.HTTPClient().Get(srv.URL() + "/.well-known/jwks.json"); err == nil {
		t.Fatal("closed server answered")
	}
	for _, opts := range [][]emulator.Options{
		{{SecretKey: "nope"}},
		{{FrontendAPI: "https://x.example.com"}},
		{{Addr: "256.0.0.1:0"}},
		{{RateLimit: emulator.RateLimit{Requests: 0, Per: time.Second}}},
		{{RateLimit: emulator.RateLimit{Requests: 5}}},
		{{RateLimit: emulator.RateLimit{Requests: -1, Per: time.Second}}},
		{{}, {}}, // at most one Options
	} {
		if s, err := emulator.StartServer(opts...); err == nil {
			s.Close()
			t.Errorf("StartServer accepted %v", opts)
		}
	}
}

func TestCalls(t *testing.T) {
	a := newAPI(t)
	srv := a.srv
	u := a.createUser("a@example.com", "A")
	a.ok("GET", "/v1/users/"+u["id"].(string), nil)
	a.fail("GET", "/v1/users/user_nope", nil, 404, "resource_not_found")
	a.doAuth("GET", "/v1/users/user_nope", nil, "") // 401s count too
	a.list("/v1/users")
	a.ok("GET", "/v1/users/count", nil)
	a.fail("GET", "/v1/unknown", nil, 404, "resource_not_found")
	for route, want := range map[string]int64{
		"POST /v1/users":               1,
		"GET /v1/users/{user_id}":      3,
		"GET /v1/users":                1,
		"GET /v1/users/count":          1,
		"DELETE /v1/users/{user_id}":   0,
		"GET /.well-known/jwks.json":   0,
		"":                             7,
		"GET /v1/organizations":        0,
		"PATCH /v1/users/{user_id}":    0,
		"POST /v1/sessions":            0,
		"GET /v1/jwks":                 0,
		"POST /v1/users/{user_id}/ban": 0,
	} {
		if got := srv.Calls(route); got != want {
			t.Errorf("Calls(%q) = %d, want %d", route, got, want)
		}
	}
	// The test-only helpers are not calls.
	if _, err := srv.SessionToken(u["id"].(string), ""); err != nil {
		t.Fatal(err)
	}
	if srv.Calls("POST /v1/sessions") != 0 {
		t.Error("SessionToken counted as a call")
	}
	srv.ResetCalls()
	if srv.Calls("") != 0 || srv.Calls("GET /v1/users/{user_id}") != 0 {
		t.Error("ResetCalls left counts")
	}
	a.ok("GET", "/v1/users/"+u["id"].(string), nil)
	if srv.Calls("GET /v1/users/{user_id}") != 1 || srv.Calls("") != 1 {
		t.Error("counting after ResetCalls")
	}
	routes := srv.Routes()
	for _, want := range []string{"GET /v1/users/{user_id}", "POST /v1/sessions/{session_id}/tokens", "GET /.well-known/jwks.json",
		"PATCH /v1/organizations/{organization_id}/memberships/{user_id}/metadata"} {
		if !slices.Contains(routes, want) {
			t.Errorf("Routes() lacks %q", want)
		}
	}
	mustPanic(t, "Calls of a typo", func() { srv.Calls("GET /v1/user/{user_id}") })
	mustPanic(t, "Calls without method", func() { srv.Calls("/v1/users") })
	mustPanic(t, "InjectFault of a typo", func() { srv.InjectFault(clerktest.Fault{Route: "GET /v1/users/{id}", Status: 500}) })
	mustPanic(t, "InjectFault with a bad status", func() { srv.InjectFault(clerktest.Fault{Status: 42}) })
	mustPanic(t, "InjectFault with negative Times", func() { srv.InjectFault(clerktest.Fault{Status: 500, Times: -1}) })
}

func mustPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s: no panic", what)
		}
	}()
	f()
}

func TestFaults(t *testing.T) {
	a := newAPI(t)
	srv := a.srv
	u := a.createUser("a@example.com", "A")
	userPath := "/v1/users/" + u["id"].(string)

	// Status on one route, a limited number of times.
	srv.InjectFault(clerktest.Fault{Route: "GET /v1/users/{user_id}", Status: 503, Times: 2})
	a.fail("GET", userPath, nil, 503, "internal_clerk_error")
	a.list("/v1/users") // other routes are unaffected
	a.fail("GET", userPath, nil, 503, "internal_clerk_error")
	a.ok("GET", userPath, nil) // used up

	// 429 with Retry-After, rounded up to whole seconds.
	srv.InjectFault(clerktest.Fault{Status: 429, RetryAfter: 1500 * time.Millisecond, Times: 1})
	resp := rawGet(t, srv, userPath)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "2" {
		t.Fatalf("429: %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	a.ok("GET", userPath, nil)

	// Faults apply before authentication, and count as calls.
	srv.ResetCalls()
	srv.InjectFault(clerktest.Fault{Status: 500, Times: 1})
	status, out := a.doAuth("GET", userPath, nil, "")
	checkAPIError(t, "500 without a key", status, out, 500, "internal_clerk_error")
	if srv.Calls("GET /v1/users/{user_id}") != 1 {
		t.Fatal("a faulted request was not counted")
	}

	// Drop: the client sees a transport error, then service resumes.
	// (Go's transport retries an idempotent request once when a reused
	// connection closes without an answer: use a fresh connection.)
	srv.InjectFault(clerktest.Fault{Route: "GET /v1/users/{user_id}", Kind: clerktest.FaultDown, Times: 1})
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	if _, err := fresh.Do(authedGet(t, srv, userPath)); err == nil {
		t.Fatal("dropped request got an answer")
	}
	// On a kept-alive connection, two drops outlast the retry.
	a.ok("GET", userPath, nil)
	srv.InjectFault(clerktest.Fault{Route: "GET /v1/users/{user_id}", Kind: clerktest.FaultDown, Times: 2})
	if _, err := srv.HTTPClient().Do(authedGet(t, srv, userPath)); err == nil {
		t.Fatal("dropped request got an answer")
	}
	a.ok("GET", userPath, nil)

	// Latency delays the answer; with a status, the status follows it.
	srv.InjectFault(clerktest.Fault{Latency: 80 * time.Millisecond, Times: 1})
	start := time.Now()
	a.ok("GET", userPath, nil)
	if d := time.Since(start); d < 80*time.Millisecond {
		t.Fatalf("latency %v, want at least 80ms", d)
	}
	srv.InjectFault(clerktest.Fault{Latency: 30 * time.Millisecond, Status: 502, Times: 1})
	start = time.Now()
	a.fail("GET", userPath, nil, 502, "internal_clerk_error")
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Fatalf("latency before 502: %v", d)
	}
	// A client that gives up during latency gets its context error.
	srv.InjectFault(clerktest.Fault{Latency: time.Minute, Times: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := srv.HTTPClient().Do(authedGet(t, srv, userPath).WithContext(ctx)); err == nil {
		t.Fatal("no error after the client's deadline")
	}

	// Order: the first matching fault with uses left applies; Times 0
	// lasts until ClearFaults.
	srv.InjectFault(clerktest.Fault{Route: "GET /v1/users/{user_id}", Status: 404, Times: 1})
	srv.InjectFault(clerktest.Fault{Status: 500})
	a.fail("GET", userPath, nil, 404, "resource_not_found")
	for range 3 {
		a.fail("GET", userPath, nil, 500, "internal_clerk_error")
		a.fail("GET", "/v1/users", nil, 500, "internal_clerk_error")
	}
	srv.ClearFaults()
	a.ok("GET", userPath, nil)

	// Other statuses get a Clerk error body too.
	for status, code := range map[int]string{400: "bad_request", 401: "authentication_invalid", 403: "authorization_invalid",
		409: "conflict", 422: "unprocessable_entity", 423: "locked"} {
		srv.InjectFault(clerktest.Fault{Status: status, Times: 1})
		a.fail("GET", userPath, nil, status, code)
	}
	// A pending latency ends when the Server closes.
	srv.InjectFault(clerktest.Fault{Latency: time.Minute})
	done := make(chan error, 1)
	go func() {
		_, err := srv.HTTPClient().Do(authedGet(t, srv, userPath))
		done <- err
	}()
	time.Sleep(30 * time.Millisecond)
	srv.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("answer during Close")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end the latency")
	}
}

// The fault kinds that break a body: garbage on any route, an empty set on
// the Issuer's routes. (Not through newServer: they break the spec on
// purpose.)
func TestFaultKindsOnServer(t *testing.T) {
	srv := emulator.NewServer(t)
	if err := srv.Seed(emulator.SeedData{Users: []emulator.SeedUser{{ID: "user_1"}}}); err != nil {
		t.Fatal(err)
	}
	body := func(path string) (int, string, string) {
		t.Helper()
		resp, err := srv.HTTPClient().Do(authedGet(t, srv, path))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
	}
	srv.InjectFault(clerktest.Fault{Route: "GET /v1/users/{user_id}", Kind: clerktest.FaultGarbage, Times: 1})
	if status, ct, b := body("/v1/users/user_1"); status != 200 || !strings.HasPrefix(ct, "text/html") || json.Valid([]byte(b)) {
		t.Errorf("garbage: %d %s %q", status, ct, b)
	}
	for route, want := range map[string]string{
		"GET /v1/jwks":               `{"keys":[]}`,
		"GET /.well-known/jwks.json": `{"keys":[]}`,
		"GET /v1/domains":            `{"data":[],"total_count":0}`,
	} {
		srv.InjectFault(clerktest.Fault{Route: route, Kind: clerktest.FaultEmptySet, Times: 1})
		if status, _, b := body(strings.TrimPrefix(route, "GET ")); status != 200 || b != want {
			t.Errorf("%s empty set: %d %s, want %s", route, status, b, want)
		}
		if status, _, b := body(strings.TrimPrefix(route, "GET ")); status != 200 || b == want {
			t.Errorf("%s after the fault: %d %s", route, status, b)
		}
	}
	// The Issuer's own faults apply to the Server's Issuer routes too, after
	// the Server's.
	srv.Issuer().InjectFault(clerktest.Fault{Route: "GET /v1/jwks", Status: 503, Times: 1})
	if status, _, _ := body("/v1/jwks"); status != 503 {
		t.Errorf("Issuer fault through the Server: %d", status)
	}
	if status, _, _ := body("/v1/jwks"); status != 200 {
		t.Errorf("after the Issuer fault: %d", status)
	}
}

func TestInjectFaultRejectsInvalid(t *testing.T) {
	srv := newServer(t)
	for name, f := range map[string]clerktest.Fault{
		"unknown route":              {Route: "GET /v1/nothing"},
		"empty set on an API route":  {Route: "GET /v1/users", Kind: clerktest.FaultEmptySet},
		"empty set on every route":   {Kind: clerktest.FaultEmptySet},
		"kind and status":            {Kind: clerktest.FaultGarbage, Status: 500},
		"retry-after without status": {RetryAfter: time.Second},
		"status out of range":        {Status: 600},
		"negative times":             {Times: -1},
		"negative latency":           {Latency: -1},
		"unknown kind":               {Kind: clerktest.FaultKind(-1)},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("InjectFault(%+v) did not panic", f)
				}
			}()
			srv.InjectFault(f)
		})
	}
	// None was added.
	if resp := rawGet(t, srv, "/v1/users"); resp.StatusCode != 200 {
		t.Errorf("after rejected faults: %d", resp.StatusCode)
	}
}

func TestClientConfig(t *testing.T) {
	srv := newServer(t)
	cfg := srv.ClientConfig()
	if cfg.SecretKey != srv.SecretKey() || cfg.APIURL != srv.URL() || cfg.HTTPClient == nil {
		t.Fatalf("ClientConfig: %+v", cfg)
	}
	if err := srv.Seed(emulator.SeedData{Users: []emulator.SeedUser{{ID: "user_1"}}}); err != nil {
		t.Fatal(err)
	}
	c, err := clerkkit.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if u, err := c.Users.Get(context.Background(), "user_1"); err != nil || u.ID != "user_1" {
		t.Fatalf("Users.Get through ClientConfig: %v %v", u, err)
	}
}

func authedGet(t *testing.T, srv *emulator.Server, path string) *http.Request {
	t.Helper()
	req, err := http.NewRequest("GET", srv.URL()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+srv.SecretKey())
	return req
}

func rawGet(t *testing.T, srv *emulator.Server, path string) *http.Response {
	t.Helper()
	resp, err := srv.HTTPClient().Do(authedGet(t, srv, path))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestRateLimit(t *testing.T) {
	clock := clerktest.NewClock(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	a := newAPI(t, emulator.Options{Clock: clock, RateLimit: emulator.RateLimit{Requests: 3, Per: 10 * time.Second}})
	srv := a.srv
	for range 3 {
		a.list("/v1/users")
	}
	clock.Advance(4 * time.Second)
	resp := rawGet(t, srv, "/v1/users")
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "6" {
		t.Fatalf("over the limit: %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	a.fail("POST", "/v1/users", map[string]any{}, 429, "too_many_requests")
	// JWKS is not limited.
	a.ok("GET", "/v1/jwks", nil)
	a.ok("GET", "/.well-known/jwks.json", nil)
	clock.Advance(6 * time.Second) // a new window
	for range 3 {
		a.list("/v1/users")
	}
	a.fail("GET", "/v1/users", nil, 429, "too_many_requests")
	// Requests without the key are refused before they use the budget.
	clock.Advance(10 * time.Second)
	for range 5 {
		status, _ := a.doAuth("GET", "/v1/users", nil, "")
		if status != 401 {
			t.Fatalf("unauthenticated: %d", status)
		}
	}
	a.list("/v1/users")
}

func TestServerConcurrentUse(t *testing.T) {
	a := newAPI(t)
	srv := a.srv
	org := a.ok("POST", "/v1/organizations", map[string]any{"name": "Acme"})
	oid := org["id"].(string)
	const workers, perWorker = 8, 10
	var created atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				// Every email is tried by two workers; exactly one wins.
				email := fmt.Sprintf("u%d-%d@example.com", w/2, i)
				status, out := a.do("POST", "/v1/users", map[string]any{"email_address": []string{email}})
				switch status {
				case 200:
					created.Add(1)
					var u map[string]any
					json.Unmarshal(out, &u)
					a.ok("POST", "/v1/organizations/"+oid+"/memberships", map[string]any{"user_id": u["id"], "role": "org:member"})
					a.ok("PATCH", "/v1/organizations/"+oid+"/metadata", map[string]any{"public_metadata": map[string]any{u["id"].(string): true}})
				case 422:
				default:
					t.Errorf("create: %d %s", status, out)
				}
				if _, err := srv.SessionToken("user_nope", ""); err == nil {
					t.Error("token for unknown user")
				}
			}
		})
	}
	wg.Wait()
	want := int64(workers / 2 * perWorker)
	if created.Load() != want {
		t.Fatalf("created %d users, want %d", created.Load(), want)
	}
	if c := a.ok("GET", "/v1/users/count", nil); c["total_count"] != float64(want) {
		t.Fatalf("count %v", c["total_count"])
	}
	o := a.ok("GET", "/v1/organizations/"+oid+"?include_members_count=true", nil)
	if o["members_count"] != float64(want) || len(o["public_metadata"].(map[string]any)) != int(want) {
		t.Fatalf("members %v, metadata keys %d", o["members_count"], len(o["public_metadata"].(map[string]any)))
	}
	if srv.Calls("POST /v1/users") != int64(workers*perWorker) {
		t.Fatalf("calls %d", srv.Calls("POST /v1/users"))
	}
}

func TestSeed(t *testing.T) {
	raw, err := os.ReadFile("testdata/seed.json")
	if err != nil {
		t.Fatal(err)
	}
	var d emulator.SeedData
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		t.Fatal(err)
	}
	a := newAPI(t)
	srv := a.srv
	if err := srv.Seed(d); err != nil {
		t.Fatal(err)
	}
	alice := a.ok("GET", "/v1/users/user_alice", nil)
	if alice["first_name"] != "Alice" || alice["email_addresses"].([]any)[0].(map[string]any)["email_address"] != "alice@example.com" {
		t.Fatalf("alice: %v", alice)
	}
	sameJSON(t, "alice public", mustJSON(alice["public_metadata"]), `{"plan":"pro"}`)
	acme := a.ok("GET", "/v1/organizations/acme", nil)
	if acme["id"] != "org_acme" || acme["created_by"] != "user_alice" {
		t.Fatalf("acme: %v", acme)
	}
	ms := a.ok("GET", "/v1/organizations/org_acme/memberships?order_by=%2Bcreated_at", nil)
	if ms["total_count"] != float64(2) {
		t.Fatalf("memberships: %v", ms)
	}
	bobM := ms["data"].([]any)[1].(map[string]any)
	if bobM["role"] != "org:editor" || bobM["role_name"] != "Editor" {
		t.Fatalf("bob: %v", bobM)
	}
	tok, err := srv.SessionToken("user_bob", "org_acme")
	if err != nil {
		t.Fatal(err)
	}
	s, err := mustVerifierFor(t, srv).Verify(context.Background(), tok)
	if err != nil || !slices.Equal(s.OrgPermissions, []string{"org:posts:edit", "org:posts:read"}) || s.OrgRole != "org:editor" {
		t.Fatalf("bob's token: %+v, %v", s, err)
	}
	// Seeding is all or nothing.
	before := a.ok("GET", "/v1/users/count", nil)["total_count"]
	for _, bad := range []emulator.SeedData{
		{Users: []emulator.SeedUser{{ID: "user_new"}, {EmailAddresses: []string{"alice@example.com"}}}},
		{Users: []emulator.SeedUser{{ID: "user_alice"}}},
		{Users: []emulator.SeedUser{{ID: "usr_x"}}},
		{Users: []emulator.SeedUser{{ID: "user_new2"}}, Organizations: []emulator.SeedOrganization{{Name: "Dup", Slug: "acme"}}},
		{Organizations: []emulator.SeedOrganization{{ID: "acme", Name: "x"}}},
		{Organizations: []emulator.SeedOrganization{{Name: "x", CreatedBy: "user_nope"}}},
		{Memberships: []emulator.SeedMembership{{OrganizationID: "acme", UserID: "user_alice"}}},
		{Memberships: []emulator.SeedMembership{{OrganizationID: "org_nope", UserID: "user_alice"}}},
		{Memberships: []emulator.SeedMembership{{OrganizationID: "acme", UserID: "user_carol", Role: "org:nope"}}},
		{Roles: []emulator.SeedRole{{Key: "editor"}}},
		{Roles: []emulator.SeedRole{{Key: "org:x", Permissions: []string{"posts:edit"}}}},
		{Roles: []emulator.SeedRole{{Key: "org:x", Permissions: []string{"org:sys_profile:manage"}}}},
		{Users: []emulator.SeedUser{{ID: "user_meta", PublicMetadata: json.RawMessage(`[1]`)}}},
	} {
		if err := srv.Seed(bad); err == nil || !strings.HasPrefix(err.Error(), "emulator: Seed: ") {
			t.Errorf("Seed(%+v) = %v, want an error", bad, err)
		}
	}
	if after := a.ok("GET", "/v1/users/count", nil)["total_count"]; after != before {
		t.Fatalf("failed seeds left users: %v → %v", before, after)
	}
	a.fail("GET", "/v1/users/user_new", nil, 404, "resource_not_found")
}

func mustVerifierFor(t *testing.T, srv *emulator.Server) *auth.Verifier {
	t.Helper()
	v, err := auth.NewVerifier(srv.AuthConfig())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestEveryRouteIsExercised keeps the route list and the tests honest:
// every route the Server serves is called by this test, whose responses
// the conformance module validates against Clerk's spec (see
// envSpecRecord).
func TestEveryRouteIsExercised(t *testing.T) {
	a := newAPI(t)
	srv := a.srv
	u := a.createUser("a@example.com", "A")
	uid := u["id"].(string)
	o := a.ok("POST", "/v1/organizations", map[string]any{"name": "Acme", "created_by": uid})
	oid := o["id"].(string)
	b := a.createUser("b@example.com", "B")
	bid := b["id"].(string)
	inv := a.ok("POST", "/v1/organizations/"+oid+"/invitations", map[string]any{"email_address": "c@example.com", "role": "org:member"})
	s := a.ok("POST", "/v1/sessions", map[string]any{"user_id": uid})
	sid := s["id"].(string)
	for _, c := range []struct{ method, path string }{
		{"GET", "/v1/users"}, {"GET", "/v1/users/count"}, {"GET", "/v1/users/" + uid}, {"PATCH", "/v1/users/" + uid},
		{"POST", "/v1/users/" + bid + "/ban"}, {"POST", "/v1/users/" + bid + "/unban"}, {"POST", "/v1/users/" + bid + "/lock"},
		{"POST", "/v1/users/" + bid + "/unlock"}, {"PATCH", "/v1/users/" + uid + "/metadata"}, {"PUT", "/v1/users/" + uid + "/metadata"},
		{"GET", "/v1/users/" + uid + "/organization_memberships"}, {"GET", "/v1/users/" + uid + "/organization_invitations"},
		{"GET", "/v1/organizations"}, {"GET", "/v1/organizations/" + oid}, {"PATCH", "/v1/organizations/" + oid},
		{"PATCH", "/v1/organizations/" + oid + "/metadata"}, {"PUT", "/v1/organizations/" + oid + "/metadata"},
		{"POST", "/v1/organizations/" + oid + "/memberships"}, {"GET", "/v1/organizations/" + oid + "/memberships"},
		{"PATCH", "/v1/organizations/" + oid + "/memberships/" + bid}, {"PATCH", "/v1/organizations/" + oid + "/memberships/" + bid + "/metadata"},
		{"DELETE", "/v1/organizations/" + oid + "/memberships/" + bid},
		{"GET", "/v1/organizations/" + oid + "/invitations"}, {"GET", "/v1/organizations/" + oid + "/invitations/pending"},
		{"GET", "/v1/organizations/" + oid + "/invitations/" + inv["id"].(string)},
		{"POST", "/v1/organizations/" + oid + "/invitations/" + inv["id"].(string) + "/revoke"},
		{"GET", "/v1/organization_invitations?status=revoked&query=c%40example"},
		{"GET", "/v1/sessions?user_id=" + uid}, {"GET", "/v1/sessions/" + sid}, {"POST", "/v1/sessions/" + sid + "/tokens"},
		{"POST", "/v1/sessions/" + sid + "/revoke"},
		{"GET", "/v1/jwks"}, {"GET", "/v1/domains"}, {"GET", "/.well-known/jwks.json"},
		{"DELETE", "/v1/organizations/" + oid}, {"DELETE", "/v1/users/" + bid},
	} {
		var body any
		switch {
		case c.method == "POST" && strings.HasSuffix(c.path, "/memberships"):
			body = map[string]any{"user_id": bid, "role": "org:member"}
		case c.method == "PATCH" && strings.Contains(c.path, "/memberships/") && !strings.HasSuffix(c.path, "/metadata"):
			body = map[string]any{"role": "org:admin"}
		case c.method == "PATCH" || c.method == "PUT":
			body = map[string]any{}
		}
		if status, out := a.do(c.method, c.path, body); status != 200 {
			t.Errorf("%s %s: %d %s", c.method, c.path, status, out)
		}
	}
	exerciseMachineRoutes(t, a)
	exerciseTokenRoutes(t, a)
	exerciseUserRecordRoutes(t, a)
	exerciseFrontendRoutes(t, a)
	exerciseRoleRoutes(t, a)
	exerciseInstanceRoutes(t, a)
	exerciseOrgDomainRoutes(t, a)
	exerciseOrgLogoRoutes(t, a)
	exerciseEmailAddressRoutes(t, a)
	exercisePhoneNumberRoutes(t, a)
	exerciseMFARoutes(t, a)
	exerciseClientRoutes(t, a)
	exerciseAccountRoutes(t, a)
	exerciseExtRoutes(t, a)
	for _, r := range srv.Routes() {
		if srv.Calls(r) == 0 {
			t.Errorf("route %s was not exercised", r)
		}
	}
}
