package main

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkkit/clerkkit/internal/testutil"
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
	assert.Equal(t, "session-token-missing", body["reason"])
	code, body = get("/api/me", member[1])
	assert.Equal(t, 200, code)
	assert.Equal(t, "user_member", body["user_id"])
	assert.Equal(t, "org:member", body["org_role"])
	code, body = get("/api/admin", member[1])
	assert.Equal(t, 403, code)
	assert.Equal(t, "org-role-required", body["reason"])
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
