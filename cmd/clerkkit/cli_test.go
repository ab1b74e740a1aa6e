package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkkit/clerkkit/internal/testutil"
)

func TestExitCodes(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.json")
	secret := "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
	for _, tc := range []struct {
		args []string
		env  map[string]string
		code int
	}{
		// Success and help.
		{[]string{"--help"}, nil, 0},
		{[]string{"help"}, nil, 0},
		{[]string{"dev", "--help"}, nil, 0},
		{[]string{"token", "-h"}, nil, 0},
		{[]string{"verify", "--help"}, nil, 0},
		{[]string{"webhook", "--help"}, nil, 0},
		{[]string{"webhook", "send", "--help"}, nil, 0},
		// Usage errors: the command line is wrong or incomplete.
		{nil, nil, 2},
		{[]string{"nope"}, nil, 2},
		{[]string{"dev", "--bogus"}, nil, 2},
		{[]string{"dev", "extra"}, nil, 2},
		{[]string{"dev", "--addr", "8080"}, nil, 2},
		{[]string{"dev", "--addr", "127.0.0.1:0", "--webhook-secret", secret}, nil, 2},
		{[]string{"dev", "--addr", "127.0.0.1:0", "--webhook-url", "nope"}, nil, 2},
		{[]string{"token"}, nil, 2},
		{[]string{"token", "--user", "user_1", "extra"}, nil, 2},
		{[]string{"token", "--user", "user_1", "--ttl", "10s"}, nil, 2},
		{[]string{"token", "--user", "user_1", "--ttl", "soon"}, nil, 2},
		{[]string{"verify"}, nil, 2},
		{[]string{"verify", "a", "b"}, nil, 2},
		{[]string{"webhook"}, nil, 2},
		{[]string{"webhook", "get"}, nil, 2},
		{[]string{"webhook", "send"}, nil, 2},
		{[]string{"webhook", "send", "--url", "http://127.0.0.1:1/", "--type", "user.created"}, nil, 2},
		{[]string{"webhook", "send", "--url", "http://127.0.0.1:1/", "--secret", secret}, nil, 2},
		{[]string{"webhook", "send", "--url", "http://127.0.0.1:1/", "--secret", "whsec_x", "--type", "user.created"}, nil, 2},
		// Runtime failures.
		{[]string{"dev", "--addr", "127.0.0.1:0", "--seed", missing}, nil, 1},
		{[]string{"dev", "--addr", "127.0.0.1:0", "--webhook-url", "http://127.0.0.1:1/"}, map[string]string{"CLERK_WEBHOOK_SIGNING_SECRET": "whsec_x"}, 1},
		{[]string{"token", "--user", "user_1"}, nil, 1},
		{[]string{"token", "--user", "user_1"}, map[string]string{"CLERK_SECRET_KEY": "sk_test_0123456789abcdefghij", "CLERK_API_URL": "http://127.0.0.1:1"}, 1},
		{[]string{"verify", "abc"}, nil, 1},
		{[]string{"verify", "abc"}, map[string]string{"CLERK_JWT_KEY": "not a key"}, 1},
		{[]string{"webhook", "send", "--url", "http://127.0.0.1:1/", "--secret", secret, "--type", "user.created"}, nil, 1},
		{[]string{"webhook", "send", "--url", "http://127.0.0.1:1/", "--secret", secret, "--data", missing}, nil, 1},
	} {
		code, _, errOut := cli(t, tc.env, tc.args...)
		assert.Equal(t, tc.code, code, "%q: %s", tc.args, errOut)
		if code != 0 && len(tc.args) > 0 {
			assert.Equal(t, 1, strings.Count(errOut, "\n"), "%q: one line: %s", tc.args, errOut)
			assert.True(t, strings.HasPrefix(errOut, "clerkkit "+tc.args[0]+": ") || strings.HasPrefix(errOut, "clerkkit: "), errOut)
			prefixes := 0
			for _, p := range []string{"clerkkit:", "clerkkit/auth:", "webhooks:", "clerktest:", "clerkkit " + tc.args[0] + ":"} {
				prefixes += strings.Count(errOut, p)
			}
			assert.Equal(t, 1, prefixes, "%q: one prefix: %s", tc.args, errOut)
			assert.Equal(t, code == 2, strings.Contains(errOut, "--help')"), "%q: usage errors point to --help: %s", tc.args, errOut)
		}
	}
}

func TestHelpListsVariables(t *testing.T) {
	for cmd, vars := range map[string][]string{
		"verify":  {"CLERK_SECRET_KEY", "CLERK_PUBLISHABLE_KEY", "NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY", "CLERK_JWT_KEY", "CLERK_JWKS_URL", "CLERK_API_URL", "CLERK_API_VERSION", "CLERK_ISSUER", "CLERK_PROXY_URL", "CLERK_AUTHORIZED_PARTIES"},
		"token":   {"CLERK_SECRET_KEY", "CLERK_API_URL", "CLERK_API_VERSION"},
		"dev":     {"CLERK_WEBHOOK_SIGNING_SECRET"},
		"webhook": {"CLERK_WEBHOOK_SIGNING_SECRET"},
	} {
		code, out, _ := cli(t, nil, cmd, "-h")
		require.Equal(t, 0, code)
		_, reads, ok := strings.Cut(out, "\nReads")
		require.True(t, ok, "%s -h has a Reads section:\n%s", cmd, out)
		for _, v := range vars {
			assert.Regexp(t, `\b`+v+`\b`, reads, "%s -h lists %s", cmd, v)
		}
	}
	// What auth.ConfigFromEnv reads is what verify -h lists.
	src, err := os.ReadFile("../../auth/config.go")
	require.NoError(t, err)
	_, out, _ := cli(t, nil, "verify", "-h")
	for _, v := range regexpAll(`os\.Getenv\("(\w+)"\)`, string(src)) {
		assert.Contains(t, out, v)
	}
}

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"127.0.0.1": true, "127.1.2.3": true, "127.255.255.254": true, "::1": true, "localhost": true, "LocalHost": true,
		"::ffff:127.0.0.1": true,
		"":                 false, // ":8080" listens everywhere
		"0.0.0.0":          false, "::": false, "10.0.0.1": false, "192.168.1.2": false, "128.0.0.1": false,
		"example.com": false, "localhost.example.com": false, "127.0.0.1.nip.io": false, "fe80::1%lo": false, "::1%lo": false,
	} {
		assert.Equal(t, want, isLoopback(host), host)
	}
}

func TestDevWarnsOffLoopback(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.json")
	// A missing seed file stops dev after the flags are checked and
	// before it listens: nothing is exposed.
	for _, addr := range []string{":8787", "0.0.0.0:8787", "[::]:8787", "192.0.2.1:8787", "example.com:8787"} {
		code, _, errOut := cli(t, nil, "dev", "--addr", addr, "--seed", missing)
		assert.Equal(t, 1, code)
		lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
		require.Len(t, lines, 2, errOut)
		assert.Equal(t, "clerkkit dev: warning: --addr "+addr+" is not a loopback address, so other machines can reach this emulator; "+
			"it is for local development only (use 127.0.0.1:PORT)", lines[0])
		assert.Contains(t, lines[1], "missing.json")
	}
	for _, addr := range []string{"127.0.0.1:8787", "localhost:8787", "[::1]:8787", "127.0.0.2:8787"} {
		code, _, errOut := cli(t, nil, "dev", "--addr", addr, "--seed", missing)
		assert.Equal(t, 1, code)
		assert.NotContains(t, errOut, "warning", addr)
	}
	// And a loopback dev that runs prints no warning.
	_, stderr := devRun(t, nil)
	time.Sleep(100 * time.Millisecond)
	assert.NotContains(t, stderr.String(), "warning")
}

// TestDevStopsOnSignal runs the built command and stops it with SIGTERM
// (as a container runtime or systemd does) and SIGINT (Ctrl-C): it exits
// 0, promptly, leaving nothing in its temporary directory.
func TestDevStopsOnSignal(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGTERM on Windows")
	}
	if testing.Short() {
		t.Skip("builds the command")
	}
	bin := filepath.Join(t.TempDir(), "clerkkit")
	build := exec.Command("go", "build", "-o", bin, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			tmp := t.TempDir()
			cmd := exec.Command(bin, "dev", "--addr", "127.0.0.1:0", "--webhook-url", "http://127.0.0.1:1/hooks")
			cmd.Env = append(os.Environ(), "TMPDIR="+tmp, "CLERK_WEBHOOK_SIGNING_SECRET=")
			stdout, err := cmd.StdoutPipe()
			require.NoError(t, err)
			stderr := &testutil.SyncBuffer{}
			cmd.Stderr = stderr
			require.NoError(t, cmd.Start())
			defer cmd.Process.Kill()
			// Wait for the banner: the emulator is up.
			sc := bufio.NewScanner(stdout)
			ready := false
			for sc.Scan() {
				if strings.HasPrefix(sc.Text(), "# A session token") {
					ready = true
					break
				}
			}
			require.True(t, ready, "no banner; stderr: %s", stderr.String())
			go func() {
				for sc.Scan() {
				}
			}()
			require.NoError(t, cmd.Process.Signal(sig))
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				require.NoError(t, err, "exit status after %s; stderr: %s", sig, stderr.String())
			case <-time.After(10 * time.Second):
				t.Fatalf("still running 10s after %s", sig)
			}
			assert.Equal(t, 0, cmd.ProcessState.ExitCode())
			left, err := os.ReadDir(tmp)
			require.NoError(t, err)
			assert.Empty(t, left, "files left in TMPDIR")
		})
	}
}

func regexpAll(re, s string) []string {
	var out []string
	for _, m := range regexp.MustCompile(re).FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}
