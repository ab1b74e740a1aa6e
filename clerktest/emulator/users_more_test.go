package emulator_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/clerkkit/clerkkit/clerktest/emulator"
)

// pngBytes is the smallest PNG header DetectContentType recognises.
var pngBytes = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 32)...)

// upload posts data as the multipart "file" part (partName) to path.
func (a *api) upload(path, partName string, data []byte, authz string) (int, []byte) {
	a.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	w, _ := mw.CreateFormFile(partName, "avatar.png")
	w.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", a.srv.URL()+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	resp, err := a.srv.HTTPClient().Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

func TestBulkBan(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, hookSecret).start()
	a := newAPI(t, emulator.Options{Webhooks: hooks(rc.url())})
	u1 := a.createUser("a@example.com", "A")["id"].(string)
	u2 := a.createUser("b@example.com", "B")["id"].(string)
	sess := a.ok("POST", "/v1/sessions", map[string]any{"user_id": u1})["id"].(string)
	a.unauthorized("POST", "/v1/users/ban", map[string]any{"user_ids": []string{u1}})

	a.fail("POST", "/v1/users/ban", map[string]any{"user_ids": []string{}}, http.StatusBadRequest, "form_param_missing")
	a.fail("POST", "/v1/users/ban", map[string]any{}, http.StatusBadRequest, "form_param_missing")
	many := make([]string, 51)
	for i := range many {
		many[i] = u1
	}
	a.fail("POST", "/v1/users/ban", map[string]any{"user_ids": many}, http.StatusBadRequest, "form_param_value_invalid")
	a.fail("POST", "/v1/users/ban", map[string]any{"user_ids": []string{u1, "user_nope"}}, http.StatusNotFound, "resource_not_found")
	if a.ok("GET", "/v1/users/"+u1, nil)["banned"] != false {
		t.Fatal("a failed bulk ban banned someone")
	}

	status, out := a.do("POST", "/v1/users/ban", map[string]any{"user_ids": []string{u2, u1, u2}})
	var users []map[string]any
	if status != 200 || json.Unmarshal(out, &users) != nil || len(users) != 2 || users[0]["id"] != u2 || users[1]["banned"] != true {
		t.Fatalf("ban: %d %s", status, out)
	}
	if got := a.ok("GET", "/v1/sessions/"+sess, nil)["status"]; got != "revoked" {
		t.Errorf("a banned user's session is %v", got)
	}
	status, out = a.do("POST", "/v1/users/unban", map[string]any{"user_ids": []string{u1}})
	if status != 200 || !strings.Contains(string(out), `"banned":false`) {
		t.Fatalf("unban: %d %s", status, out)
	}
	got := eventTypes(t, a.srv)
	if countOf(got, "user.updated") != 3 || countOf(got, "session.revoked") != 1 {
		t.Errorf("events %v: want 3 user.updated (2 bans, 1 unban) and 1 session.revoked", got)
	}
}

func TestVerifyAndRemovePassword(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, hookSecret).start()
	a := newAPI(t, emulator.Options{Webhooks: hooks(rc.url())})
	u := a.ok("POST", "/v1/users", map[string]any{"username": "ada_l", "password": "correct horse battery"})["id"].(string)
	path := "/v1/users/" + u + "/verify_password"
	a.unauthorized("POST", path, map[string]any{"password": "correct horse battery"})
	if v := a.ok("POST", path, map[string]any{"password": "correct horse battery"}); v["verified"] != true || len(v) != 1 {
		t.Fatalf("verify: %v", v)
	}
	for _, pw := range []string{"correct horse batter", "Correct horse battery", ""} {
		a.fail("POST", path, map[string]any{"password": pw}, http.StatusUnprocessableEntity, "form_password_incorrect")
	}
	a.fail("POST", path, map[string]any{}, http.StatusUnprocessableEntity, "form_param_missing")
	a.fail("POST", path, map[string]any{"password": "x", "pw": 1}, http.StatusUnprocessableEntity, "form_param_unknown")
	a.fail("POST", "/v1/users/user_nope/verify_password", map[string]any{"password": "x"}, http.StatusNotFound, "resource_not_found")

	// A new password replaces the old one.
	a.ok("PATCH", "/v1/users/"+u, map[string]any{"password": "another good one"})
	a.fail("POST", path, map[string]any{"password": "correct horse battery"}, http.StatusUnprocessableEntity, "form_password_incorrect")
	a.ok("POST", path, map[string]any{"password": "another good one"})
	// A digest cannot be checked.
	d := a.ok("POST", "/v1/users", map[string]any{"username": "digest", "password_digest": "$2a$10$abc", "password_hasher": "bcrypt"})
	a.fail("POST", "/v1/users/"+d["id"].(string)+"/verify_password", map[string]any{"password": "x"}, http.StatusUnprocessableEntity, "form_password_incorrect")

	// Removing it.
	sess := a.ok("POST", "/v1/sessions", map[string]any{"user_id": u})["id"].(string)
	a.fail("POST", "/v1/users/user_nope/remove_password", nil, http.StatusNotFound, "resource_not_found")
	r := a.ok("POST", "/v1/users/"+u+"/remove_password", map[string]any{"sign_out_of_other_sessions": true})
	if r["password_enabled"] != false {
		t.Fatalf("removed: %v", r["password_enabled"])
	}
	a.fail("POST", path, map[string]any{"password": "another good one"}, http.StatusUnprocessableEntity, "form_password_incorrect")
	if got := a.ok("GET", "/v1/sessions/"+sess, nil)["status"]; got != "revoked" {
		t.Errorf("session after remove_password with sign-out: %v", got)
	}
	if got := eventTypes(t, a.srv); countOf(got, "session.revoked") != 1 || countOf(got, "user.updated") != 2 {
		t.Errorf("events %v", got)
	}
}

func TestProfileImage(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, hookSecret).start()
	a := newAPI(t, emulator.Options{Webhooks: hooks(rc.url())})
	user := a.createUser("ada@example.com", "Ada")
	u := user["id"].(string)
	path := "/v1/users/" + u + "/profile_image"
	def := user["image_url"]
	key := "Bearer " + a.srv.SecretKey()

	status, out := a.upload(path, "file", pngBytes, "")
	checkAPIError(t, "upload without a key", status, out, http.StatusUnauthorized, "authentication_invalid")
	status, out = a.upload(path, "file", pngBytes, key)
	var up map[string]any
	if status != 200 || json.Unmarshal(out, &up) != nil {
		t.Fatalf("upload: %d %s", status, out)
	}
	if up["has_image"] != true || up["image_url"] == def || up["image_url"] != up["profile_image_url"] ||
		!strings.HasPrefix(up["image_url"].(string), "https://img.clerk.com/") {
		t.Fatalf("after upload: %v %v %v", up["has_image"], up["image_url"], def)
	}
	if got := a.ok("GET", "/v1/users/"+u, nil)["image_url"]; got != up["image_url"] {
		t.Fatalf("stored image %v", got)
	}
	other := append(append([]byte{}, pngBytes...), 1)
	_, out = a.upload(path, "file", other, key)
	if strings.Contains(string(out), up["image_url"].(string)) {
		t.Error("another image has the same URL")
	}

	status, out = a.upload(path, "image", pngBytes, key)
	checkAPIError(t, "upload in the wrong part", status, out, http.StatusBadRequest, "form_param_missing")
	status, out = a.upload(path, "file", []byte("hello, not an image"), key)
	checkAPIError(t, "upload of text", status, out, http.StatusBadRequest, "form_param_format_invalid")
	status, out = a.upload(path, "file", nil, key)
	checkAPIError(t, "empty upload", status, out, http.StatusBadRequest, "form_param_missing")
	status, out = a.upload("/v1/users/user_nope/profile_image", "file", pngBytes, key)
	checkAPIError(t, "upload for nobody", status, out, http.StatusNotFound, "resource_not_found")
	a.fail("POST", path, map[string]any{"file": "x"}, http.StatusBadRequest, "form_param_missing")

	del := a.ok("DELETE", path, nil)
	if del["has_image"] != false || del["image_url"] != def {
		t.Fatalf("after delete: %v %v", del["has_image"], del["image_url"])
	}
	a.fail("DELETE", "/v1/users/user_nope/profile_image", nil, http.StatusNotFound, "resource_not_found")
	if got := eventTypes(t, a.srv); countOf(got, "user.updated") != 3 {
		t.Errorf("events %v: want 3 user.updated", got)
	}
}

func TestSeedJWTTemplates(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	var d emulator.SeedData
	raw := `{"users":[{"id":"user_ada","email_addresses":["ada@example.com"]}],
	  "jwt_templates":[{"id":"jtmp_convex","name":"convex","claims":{"aud":"convex","email":"{{user.primary_email_address}}"},"lifetime":120,"allowed_clock_skew":0}]}`
	if err := json.Unmarshal([]byte(raw), &d); err != nil {
		t.Fatal(err)
	}
	if err := a.srv.Seed(d); err != nil {
		t.Fatal(err)
	}
	tm := a.ok("GET", "/v1/jwt_templates/jtmp_convex", nil)
	if tm["lifetime"] != float64(120) || tm["allowed_clock_skew"] != float64(0) || tm["name"] != "convex" {
		t.Fatalf("seeded: %v", tm)
	}
	sid := a.ok("POST", "/v1/sessions", map[string]any{"user_id": "user_ada"})["id"].(string)
	if p := payloadOf(t, a.ok("POST", "/v1/sessions/"+sid+"/tokens/convex", nil)["jwt"].(string)); p["email"] != "ada@example.com" {
		t.Fatalf("payload %v", p)
	}
	var keyErr *emulator.SeedKeyError
	if err := json.Unmarshal([]byte(`{"jwt_templates":[{"name":"x","claim":{}}]}`), &d); !errors.As(err, &keyErr) || keyErr.Path != "jwt_templates[0]" {
		t.Fatalf("unknown key: %v", err)
	}
	for _, bad := range []emulator.SeedData{
		{JWTTemplates: []emulator.SeedJWTTemplate{{Name: "convex", Claims: json.RawMessage(`{}`)}}},
		{JWTTemplates: []emulator.SeedJWTTemplate{{Name: "y", Claims: json.RawMessage(`{"sub":"x"}`)}}},
		{JWTTemplates: []emulator.SeedJWTTemplate{{Name: "z"}}},
		{JWTTemplates: []emulator.SeedJWTTemplate{{ID: "tmpl_1", Name: "w", Claims: json.RawMessage(`{}`)}}},
		{JWTTemplates: []emulator.SeedJWTTemplate{{Name: "v", Claims: json.RawMessage(`{}`), Lifetime: 10}}},
	} {
		if err := a.srv.Seed(bad); err == nil || !strings.Contains(err.Error(), "jwt_templates[0]") {
			t.Errorf("Seed(%+v): %v", bad.JWTTemplates, err)
		}
	}
	if got := a.list("/v1/jwt_templates"); len(got) != 1 {
		t.Fatalf("failed seeds left templates: %d", len(got))
	}
}

// exerciseUserRecordRoutes calls each route of users_more.go once,
// successfully (for TestEveryRouteIsExercised).
func exerciseUserRecordRoutes(t *testing.T, a *api) {
	t.Helper()
	u := a.ok("POST", "/v1/users", map[string]any{"username": "records", "password": "a fine password"})["id"].(string)
	a.ok("POST", "/v1/users/"+u+"/verify_password", map[string]any{"password": "a fine password"})
	a.ok("POST", "/v1/users/"+u+"/remove_password", nil)
	if status, out := a.upload("/v1/users/"+u+"/profile_image", "file", pngBytes, "Bearer "+a.srv.SecretKey()); status != 200 {
		t.Fatalf("profile image: %d %s", status, out)
	}
	a.ok("DELETE", "/v1/users/"+u+"/profile_image", nil)
	for _, p := range []string{"/v1/users/ban", "/v1/users/unban"} {
		if status, out := a.do("POST", p, map[string]any{"user_ids": []string{u}}); status != 200 {
			t.Fatalf("%s: %d %s", p, status, out)
		}
	}
}
