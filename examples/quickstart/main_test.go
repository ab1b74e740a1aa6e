package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/internal/testutil"
	"github.com/clerkkit/clerkkit/middleware"
)

func TestQuickstartEndToEnd(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	out := &testutil.SyncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, "127.0.0.1:0", func(string) string { return "" }, out, ready) }()
	var base string
	select {
	case base = <-ready:
	case err := <-done:
		t.Fatal(err)
	case <-time.After(20 * time.Second):
		t.Fatal("quickstart did not start")
	}

	text := out.String()
	member := regexp.MustCompile(`MEMBER=(\S+)`).FindStringSubmatch(text)
	admin := regexp.MustCompile(`ADMIN=(\S+)`).FindStringSubmatch(text)
	require.Len(t, member, 2, text)
	require.Len(t, admin, 2, text)
	assert.Contains(t, text, "curl -i -H \"Authorization: Bearer $ADMIN\" "+base+"/api/admin")

	get := func(path, token string) (int, map[string]any) {
		req, _ := http.NewRequest("GET", base+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var body map[string]any
		json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body
	}
	code, _ := get("/", "")
	assert.Equal(t, 200, code)
	code, body := get("/api/me", "")
	assert.Equal(t, 401, code)
	assert.Equal(t, auth.Reason(auth.ErrNoToken), body["reason"])
	code, body = get("/api/me", member[1])
	assert.Equal(t, 200, code)
	assert.Equal(t, "user_member", body["user_id"])
	assert.Equal(t, "org:member", body["organization_role"])
	assert.Equal(t, "org_demo", body["organization_id"])
	code, body = get("/api/admin", member[1])
	assert.Equal(t, 403, code)
	assert.Equal(t, middleware.ReasonOrgRoleRequired, body["reason"])
	code, body = get("/api/admin", admin[1])
	assert.Equal(t, 200, code)
	assert.Equal(t, "user_admin", body["user_id"])
	code, _ = get("/api/admin", admin[1][:len(admin[1])-4]+"AAAA")
	assert.Equal(t, 401, code)

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("quickstart did not shut down")
	}
}

func TestQuickstartWithClerkEnvFailsClearly(t *testing.T) {
	env := map[string]string{"CLERK_PUBLISHABLE_KEY": "pk_test_not-a-key"}
	err := run(context.Background(), "127.0.0.1:0", func(k string) string { return env[k] }, &testutil.SyncBuffer{}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "clerk configuration")
}

func TestDefaultPortDiffersFromTheSaaSExample(t *testing.T) {
	assert.Equal(t, "127.0.0.1:8090", DefaultAddr, "examples/saas listens on 127.0.0.1:8080")
}

// TestSIGTERM builds the quickstart, runs it, sends SIGTERM and checks a
// clean exit.
func TestSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "quickstart")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run())
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	stderr := &testutil.SyncBuffer{}
	cmd.Stderr = stderr
	require.NoError(t, cmd.Start())
	defer cmd.Process.Kill()
	lines := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	re := regexp.MustCompile(`^clerkkit quickstart on (http://\S+)`)
	var base string
	for base == "" {
		select {
		case l, ok := <-lines:
			require.True(t, ok, "no start-up line; stderr: %s", stderr.String())
			if m := re.FindStringSubmatch(l); m != nil {
				base = m[1]
			}
		case <-time.After(60 * time.Second):
			t.Fatal("no start-up line")
		}
	}
	resp, err := http.Get(base + "/")
	require.NoError(t, err)
	resp.Body.Close()
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		require.NoError(t, err, "stderr: %s", stderr.String())
	case <-time.After(20 * time.Second):
		t.Fatal("no exit after SIGTERM")
	}
	var rest []string
	for l := range lines {
		rest = append(rest, l)
	}
	assert.Contains(t, rest, "shutting down")
}
