package emulator_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/phonenumber"
	"github.com/clerk/clerk-sdk-go/v2/user"

	"github.com/clerkkit/clerkkit/clerktest/emulator"
)

// TestPhoneNumbersSDK drives the Phone Numbers endpoints with
// clerk-sdk-go's phonenumber client; the user's record (primary number,
// second factor, MFA flags) follows.
func TestPhoneNumbersSDK(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, hookSecret).start()
	a := newAPI(t, emulator.Options{Webhooks: hooks(rc.url())})
	ctx := context.Background()
	cfg := sdkConfig(a.srv)
	phones, users := phonenumber.NewClient(cfg), user.NewClient(cfg)
	uid := a.createUser("ada@example.com", "Ada")["id"].(string)

	unverified, err := phones.Create(ctx, &phonenumber.CreateParams{UserID: clerk.String(uid), PhoneNumber: clerk.String("+447700900123")})
	if err != nil {
		t.Fatal(err)
	}
	if unverified.PhoneNumber != "+447700900123" || unverified.Verification != nil || unverified.ReservedForSecondFactor {
		t.Fatalf("created: %+v", unverified)
	}
	u, _ := users.Get(ctx, uid)
	if u.PrimaryPhoneNumberID != nil || len(u.PhoneNumbers) != 1 {
		t.Fatalf("an unverified first number became primary: %v", u.PrimaryPhoneNumberID)
	}
	verified, err := phones.Create(ctx, &phonenumber.CreateParams{UserID: clerk.String(uid), PhoneNumber: clerk.String("+15555550123"), Verified: clerk.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	u, _ = users.Get(ctx, uid)
	if u.PrimaryPhoneNumberID == nil || *u.PrimaryPhoneNumberID != verified.ID || u.TwoFactorEnabled {
		t.Fatalf("first verified number: primary %v, 2FA %v", u.PrimaryPhoneNumberID, u.TwoFactorEnabled)
	}
	up, err := phones.Update(ctx, verified.ID, &phonenumber.UpdateParams{ReservedForSecondFactor: clerk.Bool(true)})
	if err != nil || !up.ReservedForSecondFactor || !up.DefaultSecondFactor {
		t.Fatalf("second factor: %+v %v", up, err)
	}
	u, _ = users.Get(ctx, uid)
	if raw := a.ok("GET", "/v1/users/"+uid, nil); !u.TwoFactorEnabled || raw["mfa_enabled_at"] == nil || u.TOTPEnabled {
		t.Fatalf("2FA %v, mfa_enabled_at %v", u.TwoFactorEnabled, raw["mfa_enabled_at"])
	}
	_, err = phones.Update(ctx, unverified.ID, &phonenumber.UpdateParams{ReservedForSecondFactor: clerk.Bool(true)})
	sdkError(t, err, http.StatusBadRequest, "form_param_value_invalid")
	if _, err := phones.Update(ctx, unverified.ID, &phonenumber.UpdateParams{Verified: clerk.Bool(true), ReservedForSecondFactor: clerk.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if got, _ := phones.Get(ctx, unverified.ID); !got.ReservedForSecondFactor || got.DefaultSecondFactor {
		t.Fatalf("a second second factor is not the default: %+v", got)
	}
	// Deleting the default second factor makes the other one the default;
	// the primary number cannot go while another remains.
	_, err = phones.Delete(ctx, verified.ID)
	sdkError(t, err, http.StatusBadRequest, "form_param_value_invalid")
	if _, err := phones.Update(ctx, unverified.ID, &phonenumber.UpdateParams{Primary: clerk.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	del, err := phones.Delete(ctx, verified.ID)
	if err != nil || !del.Deleted || del.Object != "phone_number" {
		t.Fatalf("delete: %+v %v", del, err)
	}
	if got, _ := phones.Get(ctx, unverified.ID); !got.DefaultSecondFactor {
		t.Fatalf("the remaining second factor is not the default: %+v", got)
	}
	_, err = phones.Get(ctx, verified.ID)
	sdkError(t, err, http.StatusNotFound, "resource_not_found")
	// Users list by phone number.
	if l := a.list("/v1/users?phone_number=%2B447700900123"); len(l) != 1 || l[0]["id"] != uid {
		t.Fatalf("users by phone: %v", l)
	}
	if got := eventTypes(t, a.srv); countOf(got, "user.updated") != 6 {
		t.Errorf("events %v: want 6 user.updated", got)
	}
}

// TestPhoneNumberErrors: every refusal changes nothing.
func TestPhoneNumberErrors(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	uid := a.ok("POST", "/v1/users", map[string]any{"phone_number": []string{"+15555550100"}})["id"].(string)
	u := a.ok("GET", "/v1/users/"+uid, nil)
	primary := u["primary_phone_number_id"].(string)
	a.unauthorized("POST", "/v1/phone_numbers", map[string]any{"user_id": uid, "phone_number": "+15555550101"})
	for _, tc := range []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"no user_id", map[string]any{"phone_number": "+15555550101"}, 422, "form_param_missing"},
		{"no number", map[string]any{"user_id": uid}, 422, "form_param_missing"},
		{"not E.164", map[string]any{"user_id": uid, "phone_number": "555-0101"}, 422, "form_param_format_invalid"},
		{"taken", map[string]any{"user_id": uid, "phone_number": "+15555550100"}, 422, "form_identifier_exists"},
		{"unverified primary", map[string]any{"user_id": uid, "phone_number": "+15555550101", "primary": true}, 422, "form_param_value_invalid"},
		{"unverified second factor", map[string]any{"user_id": uid, "phone_number": "+15555550101", "reserved_for_second_factor": true}, 422, "form_param_value_invalid"},
		{"unknown user", map[string]any{"user_id": "user_nope", "phone_number": "+15555550101"}, 404, "resource_not_found"},
	} {
		a.fail("POST", "/v1/phone_numbers", tc.body, tc.status, tc.code)
	}
	path := "/v1/phone_numbers/" + primary
	a.fail("PATCH", path, map[string]any{"verified": false}, 400, "form_param_value_invalid")
	a.fail("PATCH", path, map[string]any{"primary": false}, 400, "form_param_value_invalid")
	a.fail("PATCH", path, map[string]any{"primary": "yes"}, 422, "form_param_format_invalid")
	a.fail("PATCH", "/v1/phone_numbers/idn_nope", map[string]any{}, 404, "resource_not_found")
	a.fail("GET", "/v1/phone_numbers/idn_nope", nil, 404, "resource_not_found")
	a.fail("DELETE", "/v1/phone_numbers/idn_nope", nil, 404, "resource_not_found")
	a.fail("POST", "/v1/phone_numbers/idn_nope/prepare_verification", nil, 404, "resource_not_found")
	a.fail("POST", "/v1/phone_numbers/idn_nope/attempt_verification", map[string]any{"verification_id": "ver_x", "code": "1"}, 404, "resource_not_found")
	a.fail("PATCH", "/v1/users/"+uid, map[string]any{"primary_phone_number_id": "idn_nope"}, 422, "form_param_value_invalid")
	a.fail("POST", "/v1/users", map[string]any{"phone_number": []string{"+15555550100"}}, 422, "form_identifier_exists")
	a.fail("POST", "/v1/users", map[string]any{"phone_number": []string{"+15555550199"}, "phone_number_identification_status": []string{"verified", "reserved"}},
		422, "form_param_value_invalid")
	if u := a.ok("GET", "/v1/users/"+uid, nil); len(u["phone_numbers"].([]any)) != 1 || u["primary_phone_number_id"] != primary {
		t.Fatalf("refusals changed the user: %v", u["phone_numbers"])
	}
	if c := a.ok("GET", "/v1/users/count", nil); c["total_count"] != float64(1) {
		t.Fatalf("refused creations stored users: %v", c)
	}
	// POST /v1/users with a reserved number, then PATCH makes a verified one primary.
	r := a.ok("POST", "/v1/users", map[string]any{"phone_number": []string{"+15555550102", "+15555550103"},
		"phone_number_identification_status": []string{"reserved", "verified"}})
	l := r["phone_numbers"].([]any)
	if l[0].(map[string]any)["reserved"] != true || l[0].(map[string]any)["verification"] != nil || r["primary_phone_number_id"] != l[0].(map[string]any)["id"] {
		t.Fatalf("reserved number: %v", r)
	}
	second := l[1].(map[string]any)["id"].(string)
	if u := a.ok("PATCH", "/v1/users/"+r["id"].(string), map[string]any{"primary_phone_number_id": second}); u["primary_phone_number_id"] != second {
		t.Fatalf("primary_phone_number_id: %v", u["primary_phone_number_id"])
	}
	a.fail("PATCH", "/v1/users/"+r["id"].(string), map[string]any{"primary_phone_number_id": primary}, 422, "form_param_value_invalid")
}

// TestPhoneNumberVerification: codes for a test number (424242) and
// another one, the webhook that carries them.
func TestPhoneNumberVerification(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, hookSecret).start()
	a := newAPI(t, emulator.Options{Webhooks: hooks(rc.url())})
	uid := a.createUser("ada@example.com", "Ada")["id"].(string)
	for _, tc := range []struct{ number string }{{"+12015550142"}, {"+447700900456"}} {
		id := a.ok("POST", "/v1/phone_numbers", map[string]any{"user_id": uid, "phone_number": tc.number})["id"].(string)
		path := "/v1/phone_numbers/" + id
		v := a.ok("POST", path+"/prepare_verification", nil)
		if v["strategy"] != "phone_code" || v["channel"] != "sms" || v["status"] != "unverified" {
			t.Fatalf("prepared: %v", v)
		}
		code, err := a.srv.VerificationCode(id)
		if err != nil {
			t.Fatal(err)
		}
		if test := tc.number == "+12015550142"; test != (code == "424242") {
			t.Fatalf("%s: code %s", tc.number, code)
		}
		a.fail("POST", path+"/attempt_verification", map[string]any{"verification_id": v["id"], "code": code, "x": 1}, 422, "form_param_unknown")
		if r := a.ok("POST", path+"/attempt_verification", map[string]any{"verification_id": v["id"], "code": code}); r["status"] != "verified" {
			t.Fatalf("attempt: %v", r)
		}
		a.fail("POST", path+"/attempt_verification", map[string]any{"verification_id": v["id"], "code": code}, 400, "verification_already_verified")
		p := a.ok("GET", path, nil)
		if vj := p["verification"].(map[string]any); vj["status"] != "verified" || vj["channel"] != "sms" {
			t.Fatalf("number once verified: %v", p)
		}
	}
	u := a.ok("GET", "/v1/users/"+uid, nil)
	if pid, _ := u["primary_phone_number_id"].(string); pid == "" {
		t.Fatal("the first number verified by code did not become primary")
	}
	if got := eventTypes(t, a.srv); countOf(got, "sms.created") != 2 {
		t.Errorf("events %v: want 2 sms.created", got)
	}
}

// TestReplaceUserPhoneNumber: PUT /v1/users/{id}/phone_number, which
// takes the second-factor numbers along.
func TestReplaceUserPhoneNumber(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	uid := a.ok("POST", "/v1/users", map[string]any{"phone_number": []string{"+15555550100"}})["id"].(string)
	pid := a.ok("GET", "/v1/users/"+uid, nil)["primary_phone_number_id"].(string)
	a.ok("PATCH", "/v1/phone_numbers/"+pid, map[string]any{"reserved_for_second_factor": true})
	a.createUser("", "Other")
	taken := a.ok("POST", "/v1/users", map[string]any{"phone_number": []string{"+15555550190"}})
	path := "/v1/users/" + uid + "/phone_number"
	a.unauthorized("PUT", path, map[string]any{"phone_number": "+15555550101"})
	a.fail("PUT", path, map[string]any{}, 422, "form_param_missing")
	a.fail("PUT", path, map[string]any{"phone_number": "+15555550190"}, 422, "form_identifier_exists")
	a.fail("PUT", path, map[string]any{"phone_number": "+15555550101", "identification_status": "x"}, 422, "form_param_value_invalid")
	a.fail("PUT", "/v1/users/user_nope/phone_number", map[string]any{"phone_number": "+15555550101"}, 404, "resource_not_found")
	if taken["id"] == "" {
		t.Fatal("no user")
	}
	p := a.ok("PUT", path, map[string]any{"phone_number": "+15555550100", "identification_status": "unverified"})
	if p["reserved_for_second_factor"] != false || p["verification"] != nil || p["id"] == pid {
		t.Fatalf("replaced: %v", p)
	}
	u := a.ok("GET", "/v1/users/"+uid, nil)
	if u["two_factor_enabled"] != false || u["mfa_disabled_at"] == nil || u["primary_phone_number_id"] != p["id"] || len(u["phone_numbers"].([]any)) != 1 {
		t.Fatalf("user: %v", u)
	}
}

// exercisePhoneNumberRoutes calls each Phone Numbers route once,
// successfully (for TestEveryRouteIsExercised).
func exercisePhoneNumberRoutes(t *testing.T, a *api) {
	t.Helper()
	uid := a.createUser("phones@example.com", "P")["id"].(string)
	id := a.ok("POST", "/v1/phone_numbers", map[string]any{"user_id": uid, "phone_number": "+15555550111"})["id"].(string)
	a.ok("GET", "/v1/phone_numbers/"+id, nil)
	a.ok("PATCH", "/v1/phone_numbers/"+id, map[string]any{"verified": true, "reserved_for_second_factor": true})
	ver := a.ok("POST", "/v1/phone_numbers/"+id+"/prepare_verification", nil)["id"].(string)
	a.ok("POST", "/v1/phone_numbers/"+id+"/attempt_verification", map[string]any{"verification_id": ver, "code": "424242"})
	a.ok("DELETE", "/v1/phone_numbers/"+id, nil)
	a.ok("PUT", "/v1/users/"+uid+"/phone_number", map[string]any{"phone_number": "+15555550112", "identification_status": "reserved"})
}

// TestPhoneOnlyUserIdentifier: a user without an email address is
// identified by its primary phone number, as Clerk shows it.
func TestPhoneOnlyUserIdentifier(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	uid := a.ok("POST", "/v1/users", map[string]any{"phone_number": []string{"+15555550100"}, "username": "phone_only"})["id"].(string)
	o := a.ok("POST", "/v1/organizations", map[string]any{"name": "Acme", "created_by": uid})
	l := a.ok("GET", "/v1/organizations/"+o["id"].(string)+"/memberships", nil)["data"].([]any)
	if got := l[0].(map[string]any)["public_user_data"].(map[string]any)["identifier"]; got != "+15555550100" {
		t.Fatalf("identifier %v", got)
	}
}
