package devprobe_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clerkkit/clerkkit/clerktest/emulator"
	"github.com/clerkkit/clerkkit/internal/testutil"
)

// repoRoot is the repository's root, from this package's directory.
const repoRoot = "../.."

// clerkkitBin is the clerkkit binary TestMain builds from cmd/clerkkit.
var clerkkitBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "devprobe")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	clerkkitBin = filepath.Join(dir, "clerkkit")
	build := exec.Command("go", "build", "-o", clerkkitBin, "./cmd/clerkkit")
	build.Dir = repoRoot
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "devprobe: go build ./cmd/clerkkit:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// devEnv starts the built `clerkkit dev` on a free loopback port, with
// args (e.g. --seed FILE), until t ends and returns the CLERK_* variables
// it printed as export lines.
func devEnv(t *testing.T, args ...string) map[string]string {
	t.Helper()
	cmd := exec.Command(clerkkitBin, append([]string{"dev", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = withoutClerkEnv(os.Environ())
	stderr := &testutil.SyncBuffer{}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt) // dev stops on Ctrl-C with status 0
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("clerkkit dev: %v\nstderr: %s", err, stderr.String())
			}
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			t.Errorf("clerkkit dev did not stop on SIGINT in 10 s")
		}
	})

	env := map[string]string{}
	lines := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			if k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "="); ok && strings.HasPrefix(line, "export ") {
				env[k] = v
				if k == "CLERK_SIGN_IN_URL" { // the last export line
					lines <- nil
					io.Copy(io.Discard, stdout)
					exited <- cmd.Wait()
					return
				}
			}
		}
		lines <- fmt.Errorf("clerkkit dev stopped before printing CLERK_SIGN_IN_URL: %v", sc.Err())
		exited <- cmd.Wait()
	}()
	select {
	case err := <-lines:
		if err != nil {
			t.Fatalf("%v\nstderr: %s", err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("clerkkit dev printed no CLERK_SIGN_IN_URL in 20 s\nstderr: %s", stderr.String())
	}
	for _, k := range []string{"CLERK_SECRET_KEY", "CLERK_API_URL"} {
		if env[k] == "" {
			t.Fatalf("clerkkit dev printed no %s: %v", k, env)
		}
	}
	return env
}

// withoutClerkEnv drops CLERK_* variables from env, so that the caller's
// shell does not configure the emulator.
func withoutClerkEnv(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, "CLERK_") {
			out = append(out, kv)
		}
	}
	return out
}

// httpClient talks to the emulator directly, whatever proxy the
// environment names.
func httpClient(t *testing.T) *http.Client {
	c := &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// Records of the scenario seed's user_demo_admin that only a seed makes
// (the Backend API has no OAuth, WebAuthn or device enrolment flows).
const (
	seedTOTPSecret     = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	seedBackupCode     = "alpha-1234"
	seedWeb3Wallet     = "0x52908400098527886e0f7030069857d2e4169ee7"
	seedExternalID     = "eac_demo_google"
	seedOAuthToken     = "ya29.demo-access-token"
	seedPasskeyID      = "idn_demo_passkey"
	seedTrustedDevice  = "td_demo_iphone"
	seedAccountsUserID = "user_demo_admin"
)

// scenarioSeed writes the seed the client scenarios run `clerkkit dev`
// with: the demo seed, whose admin also has a TOTP secret, backup codes, a
// web3 wallet, a Google account with an access token, a passkey and a
// trusted device, plus Billing plans and subscriptions (scenarioBilling).
// It returns the file's path.
func scenarioSeed(t *testing.T) string {
	t.Helper()
	seed := emulator.DemoSeed()
	u := &seed.Users[0]
	if u.ID != seedAccountsUserID {
		t.Fatalf("the demo seed's first user is %s, not %s", u.ID, seedAccountsUserID)
	}
	u.TOTPSecret = seedTOTPSecret
	u.BackupCodes = []string{seedBackupCode, "bravo-5678"}
	u.Web3Wallets = []string{seedWeb3Wallet}
	u.ExternalAccounts = []emulator.SeedExternalAccount{{ID: seedExternalID, Provider: "oauth_google", ProviderUserID: "g-1001",
		EmailAddress: "ada@gmail.example", FirstName: "Ada", Scopes: []string{"email", "profile"}, AccessToken: seedOAuthToken}}
	u.Passkeys = []emulator.SeedPasskey{{ID: seedPasskeyID, Name: "MacBook Touch ID"}}
	u.TrustedDevices = []emulator.SeedTrustedDevice{{ID: seedTrustedDevice, Platform: "ios", AppIdentifier: "com.example.app", Name: "Ada's iPhone"}}
	seed.Plans, seed.Subscriptions = scenarioBilling() // sdk_billing_test.go
	b, err := json.Marshal(seed)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "seed.json")
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}
