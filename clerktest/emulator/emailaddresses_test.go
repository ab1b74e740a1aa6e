package emulator_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/emailaddress"
	"github.com/clerk/clerk-sdk-go/v2/user"

	"github.com/clerkkit/clerkkit/clerktest"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
)

// TestEmailAddressesSDK drives the Email Addresses endpoints with
// clerk-sdk-go's emailaddress client: the user's record follows.
func TestEmailAddressesSDK(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, hookSecret).start()
	a := newAPI(t, emulator.Options{Webhooks: hooks(rc.url())})
	ctx := context.Background()
	cfg := sdkConfig(a.srv)
	emails, users := emailaddress.NewClient(cfg), user.NewClient(cfg)
	uid := a.createUser("ada@example.com", "Ada")["id"].(string)

	extra, err := emails.Create(ctx, &emailaddress.CreateParams{UserID: clerk.String(uid), EmailAddress: clerk.String("Ada.L@Example.org")})
	if err != nil {
		t.Fatal(err)
	}
	if extra.EmailAddress != "ada.l@example.org" || extra.Verification != nil || extra.Reserved || extra.Object != "email_address" {
		t.Fatalf("created: %+v", extra)
	}
	verified, err := emails.Create(ctx, &emailaddress.CreateParams{UserID: clerk.String(uid), EmailAddress: clerk.String("ada@work.example"),
		Verified: clerk.Bool(true), Primary: clerk.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if verified.Verification == nil || verified.Verification.Status != "verified" || verified.Verification.Strategy != "admin" {
		t.Fatalf("verified: %+v", verified.Verification)
	}
	u, err := users.Get(ctx, uid)
	if err != nil {
		t.Fatal(err)
	}
	if len(u.EmailAddresses) != 3 || u.PrimaryEmailAddressID == nil || *u.PrimaryEmailAddressID != verified.ID {
		t.Fatalf("user after create: %d addresses, primary %v", len(u.EmailAddresses), u.PrimaryEmailAddressID)
	}
	got, err := emails.Get(ctx, extra.ID)
	if err != nil || got.ID != extra.ID {
		t.Fatalf("get: %+v %v", got, err)
	}
	up, err := emails.Update(ctx, extra.ID, &emailaddress.UpdateParams{Verified: clerk.Bool(true)})
	if err != nil || up.Verification == nil || up.Verification.Status != "verified" {
		t.Fatalf("update: %+v %v", up, err)
	}
	if _, err := emails.Update(ctx, extra.ID, &emailaddress.UpdateParams{Primary: clerk.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	del, err := emails.Delete(ctx, verified.ID)
	if err != nil || !del.Deleted || del.ID != verified.ID || del.Object != "email_address" {
		t.Fatalf("delete: %+v %v", del, err)
	}
	u, _ = users.Get(ctx, uid)
	if len(u.EmailAddresses) != 2 || *u.PrimaryEmailAddressID != extra.ID {
		t.Fatalf("user after delete: %+v", u.EmailAddresses)
	}
	_, err = emails.Get(ctx, verified.ID)
	sdkError(t, err, http.StatusNotFound, "resource_not_found")
	_, err = emails.Create(ctx, &emailaddress.CreateParams{UserID: clerk.String(uid), EmailAddress: clerk.String("ADA@example.com")})
	sdkError(t, err, http.StatusUnprocessableEntity, "form_identifier_exists")
	// The deleted address is free again, also for another user.
	other := a.createUser("", "Other")["id"].(string)
	if _, err := emails.Create(ctx, &emailaddress.CreateParams{UserID: clerk.String(other), EmailAddress: clerk.String("ada@work.example")}); err != nil {
		t.Fatal(err)
	}
	// Create (2), update (2), delete, other's create: user.updated each.
	if got := eventTypes(t, a.srv); countOf(got, "user.updated") != 6 {
		t.Errorf("events %v: want 6 user.updated", got)
	}
}

// TestEmailAddressErrors: every refusal changes nothing.
func TestEmailAddressErrors(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	uid := a.createUser("ada@example.com", "Ada")["id"].(string)
	primary := a.ok("GET", "/v1/users/"+uid, nil)["primary_email_address_id"].(string)
	a.unauthorized("POST", "/v1/email_addresses", map[string]any{"user_id": uid, "email_address": "x@example.com"})
	a.unauthorized("GET", "/v1/email_addresses/"+primary, nil)
	for _, tc := range []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"no user_id", map[string]any{"email_address": "x@example.com"}, 422, "form_param_missing"},
		{"no address", map[string]any{"user_id": uid}, 422, "form_param_missing"},
		{"bad address", map[string]any{"user_id": uid, "email_address": "nope"}, 422, "form_param_format_invalid"},
		{"taken", map[string]any{"user_id": uid, "email_address": "Ada@Example.com"}, 422, "form_identifier_exists"},
		{"unverified primary", map[string]any{"user_id": uid, "email_address": "x@example.com", "primary": true}, 422, "form_param_value_invalid"},
		{"unknown user", map[string]any{"user_id": "user_nope", "email_address": "x@example.com"}, 404, "resource_not_found"},
		{"unknown parameter", map[string]any{"user_id": uid, "email_address": "x@example.com", "reserved": true}, 422, "form_param_unknown"},
		{"malformed", `{"user_id":`, 400, "malformed_request"},
	} {
		a.fail("POST", "/v1/email_addresses", tc.body, tc.status, tc.code)
	}
	extra := a.ok("POST", "/v1/email_addresses", map[string]any{"user_id": uid, "email_address": "x@example.com"})["id"].(string)
	path := "/v1/email_addresses/" + extra
	a.fail("PATCH", path, map[string]any{"primary": true}, 400, "form_param_value_invalid")
	a.fail("PATCH", "/v1/email_addresses/"+primary, map[string]any{"verified": false}, 400, "form_param_value_invalid")
	a.fail("PATCH", "/v1/email_addresses/"+primary, map[string]any{"primary": false}, 400, "form_param_value_invalid")
	a.fail("PATCH", "/v1/email_addresses/idn_nope", map[string]any{}, 404, "resource_not_found")
	a.fail("DELETE", "/v1/email_addresses/"+primary, nil, 409, "form_param_value_invalid")
	a.fail("DELETE", "/v1/email_addresses/idn_nope", nil, 404, "resource_not_found")
	a.fail("GET", "/v1/email_addresses/idn_nope", nil, 404, "resource_not_found")
	u := a.ok("GET", "/v1/users/"+uid, nil)
	if u["primary_email_address_id"] != primary || len(u["email_addresses"].([]any)) != 2 {
		t.Fatalf("refusals changed the user: %v", u["email_addresses"])
	}
	// The last address, primary, can go.
	a.ok("DELETE", path, nil)
	a.ok("DELETE", "/v1/email_addresses/"+primary, nil)
	if u := a.ok("GET", "/v1/users/"+uid, nil); u["primary_email_address_id"] != nil || len(u["email_addresses"].([]any)) != 0 {
		t.Fatalf("after deleting all: %v %v", u["primary_email_address_id"], u["email_addresses"])
	}
}

// TestEmailAddressVerification: a code prepared, wrong attempts, the
// right one, replays, expiry, failure after three wrong codes.
func TestEmailAddressVerification(t *testing.T) {
	t.Parallel()
	clock := clerktest.NewClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	rc := newReceiver(t, hookSecret).start()
	a := newAPI(t, emulator.Options{Clock: clock, Webhooks: hooks(rc.url())})
	uid := a.createUser("ada@example.com", "Ada")["id"].(string)
	id := a.ok("POST", "/v1/email_addresses", map[string]any{"user_id": uid, "email_address": "new@example.com"})["id"].(string)
	path := "/v1/email_addresses/" + id

	_, err := a.srv.VerificationCode(id)
	if !isAPIError(err, 404, "resource_not_found") {
		t.Fatalf("code before prepare: %v", err)
	}
	a.fail("POST", path+"/attempt_verification", map[string]any{"verification_id": "ver_x", "code": "123456"}, 404, "resource_not_found")
	v := a.ok("POST", path+"/prepare_verification", nil)
	if v["object"] != "verification_otp" || v["status"] != "unverified" || v["strategy"] != "email_code" || v["attempts"] != float64(0) ||
		v["expire_at"] != float64(clock.Now().Add(10*time.Minute).UnixMilli()) || v["channel"] != nil {
		t.Fatalf("prepared: %v", v)
	}
	ver := v["id"].(string)
	code, err := a.srv.VerificationCode(id)
	if err != nil || len(code) != 6 {
		t.Fatalf("code %q, %v", code, err)
	}
	em := a.ok("GET", path, nil)
	if vj := em["verification"].(map[string]any); vj["status"] != "unverified" || vj["strategy"] != "email_code" {
		t.Fatalf("address while pending: %v", vj)
	}
	attempt := func(verID, code string) map[string]any {
		t.Helper()
		return a.ok("POST", path+"/attempt_verification", map[string]any{"verification_id": verID, "code": code})
	}
	a.fail("POST", path+"/attempt_verification", map[string]any{"code": code}, 422, "form_param_missing")
	a.fail("POST", path+"/attempt_verification", map[string]any{"verification_id": ver}, 422, "form_param_missing")
	a.fail("POST", path+"/attempt_verification", map[string]any{"verification_id": "ver_other", "code": code}, 404, "resource_not_found")
	a.fail("POST", "/v1/email_addresses/idn_nope/attempt_verification", map[string]any{"verification_id": ver, "code": code}, 404, "resource_not_found")
	a.fail("POST", "/v1/email_addresses/idn_nope/prepare_verification", nil, 404, "resource_not_found")
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	if r := attempt(ver, wrong); r["status"] != "unverified" || r["attempts"] != float64(1) {
		t.Fatalf("wrong code: %v", r)
	}
	if r := attempt(ver, code); r["status"] != "verified" || r["attempts"] != float64(2) {
		t.Fatalf("right code: %v", r)
	}
	a.fail("POST", path+"/attempt_verification", map[string]any{"verification_id": ver, "code": code}, 400, "verification_already_verified")
	em = a.ok("GET", path, nil)
	if vj := em["verification"].(map[string]any); vj["status"] != "verified" || vj["strategy"] != "email_code" || vj["object"] != "verification_otp" {
		t.Fatalf("address once verified: %v", vj)
	}
	// The webhook carries the code.
	var found bool
	for _, d := range a.srv.Deliveries() {
		if d.EventType != "email.created" {
			continue
		}
		var p struct {
			Data struct {
				To   string         `json:"to_email_address"`
				Data map[string]any `json:"data"`
			} `json:"data"`
		}
		if err := json.Unmarshal(d.Payload, &p); err != nil {
			t.Fatal(err)
		}
		found = p.Data.To == "new@example.com" && p.Data.Data["otp_code"] == code
	}
	if !found {
		t.Errorf("no email.created with the code: %v", eventTypes(t, a.srv))
	}

	// Expiry: reported through the status.
	v = a.ok("POST", path+"/prepare_verification", nil)
	clock.Advance(10 * time.Minute)
	code, _ = a.srv.VerificationCode(id)
	if r := attempt(v["id"].(string), code); r["status"] != "expired" {
		t.Fatalf("expired: %v", r)
	}
	// Three wrong codes fail it; the right one then does nothing.
	id2 := a.ok("POST", "/v1/email_addresses", map[string]any{"user_id": uid, "email_address": "ada+clerk_test@example.com"})["id"].(string)
	p2 := "/v1/email_addresses/" + id2
	ver2 := a.ok("POST", p2+"/prepare_verification", map[string]any{})["id"].(string)
	if c, _ := a.srv.VerificationCode(id2); c != "424242" {
		t.Fatalf("a +clerk_test address has code %s, want 424242", c)
	}
	for i := 1; i <= 3; i++ {
		r := a.ok("POST", p2+"/attempt_verification", map[string]any{"verification_id": ver2, "code": "999999"})
		if want := map[bool]string{true: "failed", false: "unverified"}[i == 3]; r["status"] != want {
			t.Fatalf("wrong attempt %d: %v", i, r)
		}
	}
	if r := a.ok("POST", p2+"/attempt_verification", map[string]any{"verification_id": ver2, "code": "424242"}); r["status"] != "failed" {
		t.Fatalf("after failure: %v", r)
	}
	if e := a.ok("GET", p2, nil); e["verification"].(map[string]any)["status"] != "failed" {
		t.Fatalf("address after failure: %v", e["verification"])
	}
	a.fail("POST", p2+"/prepare_verification", map[string]any{"strategy": "email_code"}, 422, "form_param_unknown")
}

// TestReplaceUserEmailAddress: PUT /v1/users/{id}/email_address.
func TestReplaceUserEmailAddress(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	uid := a.ok("POST", "/v1/users", map[string]any{"email_address": []string{"a@example.com", "b@example.com"}})["id"].(string)
	other := a.createUser("taken@example.com", "O")["id"].(string)
	path := "/v1/users/" + uid + "/email_address"
	a.unauthorized("PUT", path, map[string]any{"email_address": "c@example.com"})
	a.fail("PUT", path, map[string]any{}, 422, "form_param_missing")
	a.fail("PUT", path, map[string]any{"email_address": "taken@example.com"}, 422, "form_identifier_exists")
	a.fail("PUT", path, map[string]any{"email_address": "c@example.com", "identification_status": "maybe"}, 422, "form_param_value_invalid")
	a.fail("PUT", path, map[string]any{"email_address": "bad"}, 422, "form_param_format_invalid")
	a.fail("PUT", "/v1/users/user_nope/email_address", map[string]any{"email_address": "c@example.com"}, 404, "resource_not_found")

	e := a.ok("PUT", path, map[string]any{"email_address": "C@example.com", "identification_status": "reserved"})
	if e["email_address"] != "c@example.com" || e["reserved"] != true || e["verification"] != nil {
		t.Fatalf("reserved: %v", e)
	}
	u := a.ok("GET", "/v1/users/"+uid, nil)
	if l := u["email_addresses"].([]any); len(l) != 1 || u["primary_email_address_id"] != e["id"] {
		t.Fatalf("user: %v", u)
	}
	// The old addresses are free; the user's own may be given again.
	a.ok("POST", "/v1/email_addresses", map[string]any{"user_id": other, "email_address": "a@example.com"})
	e = a.ok("PUT", path, map[string]any{"email_address": "c@example.com", "identification_status": "unverified"})
	if e["reserved"] != false || e["verification"] != nil {
		t.Fatalf("unverified: %v", e)
	}
	e = a.ok("PUT", path, map[string]any{"email_address": "c@example.com"})
	if e["verification"].(map[string]any)["strategy"] != "admin" {
		t.Fatalf("verified: %v", e)
	}
}

// exerciseEmailAddressRoutes calls each Email Addresses route once,
// successfully (for TestEveryRouteIsExercised).
func exerciseEmailAddressRoutes(t *testing.T, a *api) {
	t.Helper()
	uid := a.createUser("emails@example.com", "E")["id"].(string)
	id := a.ok("POST", "/v1/email_addresses", map[string]any{"user_id": uid, "email_address": "emails2@example.com"})["id"].(string)
	a.ok("GET", "/v1/email_addresses/"+id, nil)
	a.ok("PATCH", "/v1/email_addresses/"+id, map[string]any{"verified": false})
	ver := a.ok("POST", "/v1/email_addresses/"+id+"/prepare_verification", nil)["id"].(string)
	code, err := a.srv.VerificationCode(id)
	if err != nil {
		t.Fatal(err)
	}
	a.ok("POST", "/v1/email_addresses/"+id+"/attempt_verification", map[string]any{"verification_id": ver, "code": code})
	a.ok("DELETE", "/v1/email_addresses/"+id, nil)
	a.ok("PUT", "/v1/users/"+uid+"/email_address", map[string]any{"email_address": "emails3@example.com"})
}

// TestUnverifiedEmailSignIn: the hosted sign-in refuses a password with an
// unverified address of the user, and takes it once verified.
func TestUnverifiedEmailSignIn(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	uid := a.ok("POST", "/v1/users", map[string]any{"email_address": []string{"main@example.com"}, "password": "a good password"})["id"].(string)
	id := a.ok("POST", "/v1/email_addresses", map[string]any{"user_id": uid, "email_address": "second@example.com"})["id"].(string)
	b := newBrowser(t, a.srv)
	app := newApp(t, a)
	form := url.Values{"email": {"second@example.com"}, "password": {"a good password"}, "redirect_url": {app.URL + "/"}}
	if resp, _ := b.do("POST", a.srv.SignInURL(), form); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("an unverified address signs in: %d", resp.StatusCode)
	}
	a.ok("PATCH", "/v1/email_addresses/"+id, map[string]any{"verified": true})
	b.signIn(url.Values{"email": {"second@example.com"}, "password": {"a good password"}}, app.URL+"/")
	// The users list's query matches phone numbers too.
	a.ok("POST", "/v1/phone_numbers", map[string]any{"user_id": uid, "phone_number": "+447700900777"})
	if l := a.list("/v1/users?query=900777"); len(l) != 1 || l[0]["id"] != uid {
		t.Fatalf("query by phone: %v", l)
	}
}

// TestVerifiedAddressKeepsItsVerification: a code prepared and attempted
// for a verified address leaves its verification as it was.
func TestVerifiedAddressKeepsItsVerification(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	uid := a.createUser("ada@example.com", "Ada")["id"].(string)
	id := a.ok("POST", "/v1/email_addresses", map[string]any{"user_id": uid, "email_address": "ada+clerk_test@example.com"})["id"].(string)
	path := "/v1/email_addresses/" + id
	ver := a.ok("POST", path+"/prepare_verification", nil)["id"]
	a.ok("POST", path+"/attempt_verification", map[string]any{"verification_id": ver, "code": "424242"})
	ver2 := a.ok("POST", path+"/prepare_verification", nil)["id"]
	v := a.ok("GET", path, nil)["verification"].(map[string]any)
	if v["status"] != "verified" || v["strategy"] != "email_code" || v["attempts"] != float64(1) {
		t.Fatalf("after a new code: %v", v)
	}
	if r := a.ok("POST", path+"/attempt_verification", map[string]any{"verification_id": ver2, "code": "424242"}); r["status"] != "verified" || r["id"] != ver2 {
		t.Fatalf("second code: %v", r)
	}
	primary := a.ok("GET", "/v1/users/"+uid, nil)["primary_email_address_id"].(string)
	a.ok("POST", "/v1/email_addresses/"+primary+"/prepare_verification", nil)
	if v := a.ok("GET", "/v1/email_addresses/"+primary, nil)["verification"].(map[string]any); v["strategy"] != "admin" {
		t.Fatalf("an admin-verified address with a code pending: %v", v)
	}
}
