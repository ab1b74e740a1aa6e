package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkkit/clerkkit/clerktest/emulator"
)

// TestDevSeedIdentifiersAndMFA: a seed file declares phone numbers,
// unverified email addresses and phone numbers, a TOTP secret and backup
// codes and an external account; the running emulator shows them on the
// user, verify_totp accepts the TOTP code and a backup code, and the
// account's access token is read back.
func TestDevSeedIdentifiersAndMFA(t *testing.T) {
	const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	f := filepath.Join(t.TempDir(), "seed.json")
	require.NoError(t, os.WriteFile(f, []byte(`{"users":[{"id":"user_ada","email_addresses":["ada@example.com"],
		"unverified_email_addresses":["ada+new@example.com"],"phone_numbers":["+15555550100"],
		"unverified_phone_numbers":["+15555550101"],"totp_secret":"`+secret+`","backup_codes":["spare-1"],
		"external_accounts":[{"provider":"oauth_google","provider_user_id":"g-1","access_token":"ya29.x"}]}]}`), 0o600))
	stdout, _ := devRun(t, nil, "--seed", f)
	env := waitExports(t, stdout)
	key := env["CLERK_SECRET_KEY"]

	status, u := bapi(t, env, key, "GET", "/v1/users/user_ada", nil)
	require.Equal(t, 200, status, u)
	assert.Equal(t, true, u["totp_enabled"])
	assert.Equal(t, true, u["backup_code_enabled"])
	assert.Equal(t, true, u["two_factor_enabled"])
	emails, phones := u["email_addresses"].([]any), u["phone_numbers"].([]any)
	require.Len(t, emails, 2)
	require.Len(t, phones, 2)
	assert.Equal(t, "ada+new@example.com", emails[1].(map[string]any)["email_address"])
	assert.Nil(t, emails[1].(map[string]any)["verification"], "an unverified address has no verification")
	assert.Equal(t, phones[0].(map[string]any)["id"], u["primary_phone_number_id"])
	assert.Nil(t, phones[1].(map[string]any)["verification"])

	code, err := emulator.TOTPCode(secret, time.Now()) // a step turning before the request is within the skew
	require.NoError(t, err)
	status, v := bapi(t, env, key, "POST", "/v1/users/user_ada/verify_totp", map[string]any{"code": code})
	require.Equal(t, 200, status, v)
	assert.Equal(t, "totp", v["code_type"])
	status, v = bapi(t, env, key, "POST", "/v1/users/user_ada/verify_totp", map[string]any{"code": "spare-1"})
	require.Equal(t, 200, status, v)
	assert.Equal(t, "backup_code", v["code_type"])
	status, v = bapi(t, env, key, "GET", "/v1/users/user_ada/oauth_access_tokens/oauth_google?paginated=true", nil)
	require.Equal(t, 200, status, v)
	require.Len(t, v["data"], 1)
	assert.Equal(t, "ya29.x", v["data"].([]any)[0].(map[string]any)["token"])
}

// TestDevSeedIdentifierErrors: a bad phone number, a bad TOTP secret and
// an address used twice fail the seed with one line naming the user.
func TestDevSeedIdentifierErrors(t *testing.T) {
	for name, tc := range map[string]struct{ seed, want string }{
		"phone not E.164": {`{"users":[{"phone_numbers":["555-0100"]}]}`, "users[0]: emulator: 422 form_param_format_invalid"},
		"bad TOTP secret": {`{"users":[{"totp_secret":"nope"}]}`, "users[0]: emulator: 422 form_param_format_invalid"},
		"address twice": {`{"users":[{"email_addresses":["a@example.com"],"unverified_email_addresses":["A@example.com"]}]}`,
			"users[0]: emulator: 422 form_identifier_exists"},
		"phone of another user": {`{"users":[{"phone_numbers":["+15555550100"]},{"unverified_phone_numbers":["+15555550100"]}]}`,
			"users[1]: emulator: 422 form_identifier_exists"},
	} {
		t.Run(name, func(t *testing.T) {
			f := filepath.Join(t.TempDir(), "seed.json")
			require.NoError(t, os.WriteFile(f, []byte(tc.seed), 0o600))
			code, _, errOut := cli(t, nil, "dev", "--addr", "127.0.0.1:0", "--seed", f)
			assert.Equal(t, 1, code)
			assert.Contains(t, errOut, tc.want)
			assert.Equal(t, 1, strings.Count(errOut, "\n"), errOut)
		})
	}
}
