package emulator_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/user"

	"github.com/clerkkit/clerkkit/clerktest"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
)

// totpSecret is RFC 6238's SHA-1 test key, "12345678901234567890", in
// base32.
const totpSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

// TestTOTPCodeRFC6238 checks TOTPCode against RFC 6238's SHA-1 test
// vectors (the last six of their eight digits).
func TestTOTPCodeRFC6238(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		unix int64
		want string
	}{{59, "287082"}, {1111111109, "081804"}, {1111111111, "050471"}, {1234567890, "005924"}, {2000000000, "279037"}, {20000000000, "353130"}} {
		got, err := emulator.TOTPCode(totpSecret, time.Unix(tc.unix, 0))
		if err != nil || got != tc.want {
			t.Errorf("TOTPCode at %d = %q, %v; want %s", tc.unix, got, err, tc.want)
		}
	}
	// Lower case, padding and spaces are the same secret.
	if got, _ := emulator.TOTPCode("gezd gnbv gy3t qojq gezd gnbv gy3t qojq====", time.Unix(59, 0)); got != "287082" {
		t.Errorf("lower-case secret: %s", got)
	}
	for _, bad := range []string{"", "GEZDG", "not base32!", "GEZDGNBVGY3TQOJ1"} {
		if _, err := emulator.TOTPCode(bad, time.Unix(59, 0)); err == nil {
			t.Errorf("TOTPCode(%q) did not fail", bad)
		}
	}
}

// TestVerifyTOTP: the current code (and the steps next to it) once,
// backup codes once each, and the errors.
func TestVerifyTOTP(t *testing.T) {
	t.Parallel()
	clock := clerktest.NewClock(time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC))
	rc := newReceiver(t, hookSecret).start()
	a := newAPI(t, emulator.Options{Clock: clock, Webhooks: hooks(rc.url())})
	uid := a.ok("POST", "/v1/users", map[string]any{"username": "ada_l", "totp_secret": totpSecret,
		"backup_codes": []string{"alpha-1", "bravo-2"}})["id"].(string)
	u := a.ok("GET", "/v1/users/"+uid, nil)
	if u["totp_enabled"] != true || u["backup_code_enabled"] != true || u["two_factor_enabled"] != true ||
		u["mfa_enabled_at"] != float64(clock.Now().UnixMilli()) {
		t.Fatalf("user: %v", u)
	}
	path := "/v1/users/" + uid + "/verify_totp"
	verify := func(code, want string) {
		t.Helper()
		if v := a.ok("POST", path, map[string]any{"code": code}); v["verified"] != true || v["code_type"] != want || len(v) != 2 {
			t.Fatalf("verify %s: %v", code, v)
		}
	}
	a.unauthorized("POST", path, map[string]any{"code": "000000"})
	code := func(d time.Duration) string {
		c, err := emulator.TOTPCode(totpSecret, clock.Now().Add(d))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	verify(code(0), "totp")
	a.fail("POST", path, map[string]any{"code": code(0)}, 422, "form_code_incorrect") // no replay
	a.fail("POST", path, map[string]any{"code": code(-30 * time.Second)}, 422, "form_code_incorrect")
	verify(code(30*time.Second), "totp") // the next step, drift
	a.fail("POST", path, map[string]any{"code": code(90 * time.Second)}, 422, "form_code_incorrect")
	clock.Advance(5 * time.Minute)
	verify(code(0), "totp")
	verify("alpha-1", "backup_code")
	a.fail("POST", path, map[string]any{"code": "alpha-1"}, 422, "form_code_incorrect") // consumed
	a.fail("POST", path, map[string]any{}, 422, "form_param_missing")
	a.fail("POST", path, map[string]any{"code": "1", "strategy": "totp"}, 422, "form_param_unknown")
	a.fail("POST", "/v1/users/user_nope/verify_totp", map[string]any{"code": "123456"}, 404, "resource_not_found")
	plain := a.createUser("plain@example.com", "P")["id"].(string)
	a.fail("POST", "/v1/users/"+plain+"/verify_totp", map[string]any{"code": "123456"}, 400, "totp_not_enabled")

	// Only backup codes: they still verify; the last one used turns MFA off.
	a.ok("PATCH", "/v1/users/"+uid, map[string]any{"totp_secret": ""})
	if u := a.ok("GET", "/v1/users/"+uid, nil); u["totp_enabled"] != false || u["two_factor_enabled"] != true {
		t.Fatalf("after removing TOTP: %v", u)
	}
	verify("bravo-2", "backup_code")
	u = a.ok("GET", "/v1/users/"+uid, nil)
	if u["two_factor_enabled"] != false || u["backup_code_enabled"] != false || u["mfa_disabled_at"] != float64(clock.Now().UnixMilli()) {
		t.Fatalf("after the last backup code: %v", u)
	}
	a.fail("POST", path, map[string]any{"code": "bravo-2"}, 400, "totp_not_enabled")
	a.fail("PATCH", "/v1/users/"+uid, map[string]any{"totp_secret": "short"}, 422, "form_param_format_invalid")
	a.fail("PATCH", "/v1/users/"+uid, map[string]any{"backup_codes": []string{"ok", " "}}, 422, "form_param_value_invalid")
	if got := eventTypes(t, a.srv); countOf(got, "user.updated") != 3 {
		t.Errorf("events %v: want 3 user.updated (PATCH, 2 backup codes)", got)
	}
}

// TestDeleteMFA drives DELETE …/totp, …/backup_code and …/mfa with
// clerk-sdk-go's user client.
func TestDeleteMFA(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, hookSecret).start()
	a := newAPI(t, emulator.Options{Webhooks: hooks(rc.url())})
	ctx := context.Background()
	users := user.NewClient(sdkConfig(a.srv))
	u, err := users.Create(ctx, &user.CreateParams{PhoneNumbers: &[]string{"+15555550100"}, TOTPSecret: clerk.String(totpSecret),
		BackupCodes: &[]string{"one", "two"}})
	if err != nil {
		t.Fatal(err)
	}
	a.ok("PATCH", "/v1/phone_numbers/"+u.PhoneNumbers[0].ID, map[string]any{"reserved_for_second_factor": true})

	r, err := users.DeleteTOTP(ctx, u.ID)
	if err != nil || r.UserID != u.ID {
		t.Fatalf("DeleteTOTP: %+v %v", r, err)
	}
	got, _ := users.Get(ctx, u.ID)
	if got.TOTPEnabled || !got.BackupCodeEnabled || !got.TwoFactorEnabled {
		t.Fatalf("after DeleteTOTP: %+v", got)
	}
	if r, err := users.DeleteBackupCode(ctx, u.ID); err != nil || r.UserID != u.ID {
		t.Fatalf("DeleteBackupCode: %+v %v", r, err)
	}
	got, _ = users.Get(ctx, u.ID)
	if got.BackupCodeEnabled || !got.TwoFactorEnabled {
		t.Fatalf("after DeleteBackupCode: %+v", got)
	}
	if r, err := users.DeleteMFA(ctx, &user.DeleteMFAParams{ID: u.ID}); err != nil || r.UserID != u.ID {
		t.Fatalf("DeleteMFA: %+v %v", r, err)
	}
	got, _ = users.Get(ctx, u.ID)
	if got.TwoFactorEnabled || got.PhoneNumbers[0].ReservedForSecondFactor || a.ok("GET", "/v1/users/"+u.ID, nil)["mfa_disabled_at"] == nil {
		t.Fatalf("after DeleteMFA: %+v", got)
	}
	// Again: nothing to remove, nothing sent.
	n := countOf(eventTypes(t, a.srv), "user.updated")
	if _, err := users.DeleteMFA(ctx, &user.DeleteMFAParams{ID: u.ID}); err != nil {
		t.Fatal(err)
	}
	if m := countOf(eventTypes(t, a.srv), "user.updated"); m != n || n != 4 {
		t.Errorf("user.updated: %d then %d, want 4 (PATCH, TOTP, backup codes, MFA) and no more", n, m)
	}
	for _, call := range []func() error{
		func() error { _, err := users.DeleteTOTP(ctx, "user_nope"); return err },
		func() error { _, err := users.DeleteBackupCode(ctx, "user_nope"); return err },
		func() error { _, err := users.DeleteMFA(ctx, &user.DeleteMFAParams{ID: "user_nope"}); return err },
	} {
		sdkError(t, call(), http.StatusNotFound, "resource_not_found")
	}
	a.unauthorized("DELETE", "/v1/users/"+u.ID+"/mfa", nil)
}

// exerciseMFARoutes calls each MFA route once, successfully (for
// TestEveryRouteIsExercised).
func exerciseMFARoutes(t *testing.T, a *api) {
	t.Helper()
	uid := a.ok("POST", "/v1/users", map[string]any{"username": "mfa_user", "totp_secret": totpSecret, "backup_codes": []string{"x1"}})["id"].(string)
	a.ok("POST", "/v1/users/"+uid+"/verify_totp", map[string]any{"code": "x1"})
	a.ok("DELETE", "/v1/users/"+uid+"/totp", nil)
	a.ok("DELETE", "/v1/users/"+uid+"/backup_code", nil)
	a.ok("DELETE", "/v1/users/"+uid+"/mfa", nil)
}
