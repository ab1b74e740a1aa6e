package devprobe_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// clerkJSDir holds the pinned copy of Clerk's JS SDK (npm ci --prefix
// testdata/clerkjs).
const clerkJSDir = repoRoot + "/testdata/clerkjs"

// requireClerkJS skips t without node or Clerk's JS SDK installed, and
// fails it under CI, which installs them (.ci/run).
func requireClerkJS(t *testing.T) {
	t.Helper()
	_, nodeErr := exec.LookPath("node")
	_, modErr := os.Stat(filepath.Join(clerkJSDir, "node_modules", "@clerk", "backend", "package.json"))
	if nodeErr == nil && modErr == nil {
		return
	}
	msg := "Clerk's JS SDK is not installed: run `npm ci --prefix testdata/clerkjs` (needs node)"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// TestClerkJSScenario runs Clerk's own JavaScript client, @clerk/backend
// 3.25.0's createClerkClient({secretKey, apiUrl}) configured from the
// lines `clerkkit dev` prints, through testdata/clerkjs/scenario.mjs: a
// round trip over every group the emulator serves (users, their MFA, web3
// wallets, external accounts and passkeys (from the scenario seed), email addresses,
// phone numbers, organizations, memberships, invitations, domains, roles,
// permissions, role sets, sessions and template tokens, JWT templates,
// JWKS, instance invitations, allowlist, blocklist, redirect URLs,
// waitlist, sign-in, testing and actor tokens, domains, OAuth
// applications, billing, machines, M2M tokens, API keys, OAuth access
// token verification), each step checking
// what the client decoded. Any failed step fails the test.
func TestClerkJSScenario(t *testing.T) {
	requireClerkJS(t)
	env := devEnv(t, "--seed", scenarioSeed(t))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "scenario.mjs")
	cmd.Dir = clerkJSDir
	cmd.Env = append(withoutClerkEnv(os.Environ()), "CLERK_TELEMETRY_DISABLED=1",
		"CLERK_SECRET_KEY="+env["CLERK_SECRET_KEY"], "CLERK_API_URL="+env["CLERK_API_URL"],
		"SEED_USER_ID="+seedAccountsUserID, "TOTP_SECRET="+seedTOTPSecret, "BACKUP_CODE="+seedBackupCode,
		"WEB3_WALLET="+seedWeb3Wallet, "EXTERNAL_ACCOUNT_ID="+seedExternalID, "OAUTH_TOKEN="+seedOAuthToken,
		"PASSKEY_ID="+seedPasskeyID)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node scenario.mjs: %v\nstderr: %s", err, stderr.String())
	}
	var report struct {
		Steps []struct {
			Name  string `json:"name"`
			OK    bool   `json:"ok"`
			Error string `json:"error"`
		} `json:"steps"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &report); err != nil {
		t.Fatalf("scenario.mjs's report: %v\n%s\nstderr: %s", err, stdout.String(), stderr.String())
	}
	if len(report.Steps) == 0 {
		t.Fatal("scenario.mjs reported no steps")
	}
	passed := 0
	for _, s := range report.Steps {
		if s.OK {
			passed++
			continue
		}
		t.Errorf("%s: %s", s.Name, s.Error)
	}
	t.Logf("@clerk/backend scenario: %d of %d steps passed", passed, len(report.Steps))
}
