package emulator_test

import (
	"encoding/json"
	"testing"

	"github.com/clerkkit/clerkkit/clerktest/emulator"
)

// TestSeedIdentifiersAndMFA: SeedUser's phone numbers, unverified email
// addresses and phone numbers, TOTP secret and backup codes, strictly
// decoded, all or nothing.
func TestSeedIdentifiersAndMFA(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	var d emulator.SeedData
	if err := json.Unmarshal([]byte(`{"users":[{"id":"user_ada","email_addresses":["ada@example.com"],
		"unverified_email_addresses":["ada2@example.com"],"phone_numbers":["+15555550100","+15555550102"],
		"unverified_phone_numbers":["+15555550101"],"totp_secret":"`+totpSecret+`","backup_codes":["b-1","b-2"]}]}`), &d); err != nil {
		t.Fatal(err)
	}
	if err := a.srv.Seed(d); err != nil {
		t.Fatal(err)
	}
	u := a.ok("GET", "/v1/users/user_ada", nil)
	emails, phones := u["email_addresses"].([]any), u["phone_numbers"].([]any)
	if len(emails) != 2 || len(phones) != 3 || u["totp_enabled"] != true || u["backup_code_enabled"] != true ||
		u["primary_phone_number_id"] != phones[0].(map[string]any)["id"] || emails[1].(map[string]any)["verification"] != nil ||
		phones[1].(map[string]any)["verification"].(map[string]any)["strategy"] != "admin" || phones[2].(map[string]any)["verification"] != nil {
		t.Fatalf("seeded user: %v", u)
	}
	code, err := emulator.TOTPCode(totpSecret, a.srv.Clock().Now())
	if err != nil {
		t.Fatal(err)
	}
	if v := a.ok("POST", "/v1/users/user_ada/verify_totp", map[string]any{"code": code}); v["code_type"] != "totp" {
		t.Fatalf("verify: %v", v)
	}
	// The unverified address can be verified by code.
	id := emails[1].(map[string]any)["id"].(string)
	ver := a.ok("POST", "/v1/email_addresses/"+id+"/prepare_verification", nil)["id"]
	c, _ := a.srv.VerificationCode(id)
	a.ok("POST", "/v1/email_addresses/"+id+"/attempt_verification", map[string]any{"verification_id": ver, "code": c})

	// A refused seed adds nothing, not even the users before the bad one.
	for _, bad := range []emulator.SeedData{
		{Users: []emulator.SeedUser{{ID: "user_ok"}, {ID: "user_bad", PhoneNumbers: []string{"+15555550100"}}}},
		{Users: []emulator.SeedUser{{ID: "user_ok"}, {ID: "user_bad", UnverifiedEmailAddresses: []string{"ada@example.com"}}}},
		{Users: []emulator.SeedUser{{ID: "user_ok"}, {ID: "user_bad", TOTPSecret: "short"}}},
		{Users: []emulator.SeedUser{{ID: "user_ok"}, {ID: "user_bad", BackupCodes: []string{""}}}},
	} {
		if err := a.srv.Seed(bad); err == nil {
			t.Errorf("seed %+v: no error", bad)
		}
	}
	a.fail("GET", "/v1/users/user_ok", nil, 404, "resource_not_found")
	var key *emulator.SeedKeyError
	if err := json.Unmarshal([]byte(`{"users":[{"totp":"x"}]}`), &d); err == nil || !asSeedKeyError(err, &key) || key.Key != "totp" {
		t.Fatalf("unknown key: %v", err)
	}
}

func asSeedKeyError(err error, target **emulator.SeedKeyError) bool {
	e, ok := err.(*emulator.SeedKeyError)
	*target = e
	return ok
}
