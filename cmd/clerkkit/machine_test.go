package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkkit/clerkkit/internal/testutil"
)

// devEnv starts `clerkkit dev` on a free loopback port until the test
// ends and returns the CLERK_* variables it printed.
func devEnv(t *testing.T) map[string]string {
	t.Helper()
	stdout, _ := devRun(t, nil)
	return waitExports(t, stdout)
}

func waitExports(t *testing.T, out *testutil.SyncBuffer) map[string]string {
	t.Helper()
	var env map[string]string
	require.Eventually(t, func() bool {
		env = map[string]string{}
		for _, line := range strings.Split(out.String(), "\n") {
			if k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "="); ok && strings.HasPrefix(line, "export ") {
				env[k] = v
			}
		}
		return env["CLERK_SIGN_IN_URL"] != "" // the last line
	}, 10*time.Second, 10*time.Millisecond, out.String())
	return env
}

// bapi calls the emulator's Backend API with key and decodes the answer.
func bapi(t *testing.T, env map[string]string, key, method, path string, body any) (int, map[string]any) {
	t.Helper()
	b, err := json.Marshal(body)
	require.NoError(t, err)
	req, err := http.NewRequest(method, env["CLERK_API_URL"]+path, bytes.NewReader(b))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var m map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&m))
	return resp.StatusCode, m
}

func TestAPIKeyCreate(t *testing.T) {
	env := devEnv(t)
	code, out, errOut := cli(t, env, "apikey", "create", "--subject", "org_demo_acme", "--name", "ci key", "--scopes", "projects:read, projects:write", "--ttl", "1h")
	require.Equal(t, 0, code, errOut)
	secret := strings.TrimSpace(out)
	assert.Regexp(t, `^ak_[0-9A-Za-z]{32}$`, secret)
	status, k := bapi(t, env, env["CLERK_SECRET_KEY"], "POST", "/api_keys/verify", map[string]any{"secret": secret})
	require.Equal(t, 200, status, k)
	assert.Equal(t, "org_demo_acme", k["subject"])
	assert.Equal(t, "ci key", k["name"])
	assert.Equal(t, []any{"projects:read", "projects:write"}, k["scopes"])
	assert.InDelta(t, time.Hour.Milliseconds(), k["expiration"].(float64)-k["created_at"].(float64), 1)

	// Defaults: a name, no scopes, no expiry.
	code, out, errOut = cli(t, env, "apikey", "create", "--subject", "user_demo_member")
	require.Equal(t, 0, code, errOut)
	_, k = bapi(t, env, env["CLERK_SECRET_KEY"], "POST", "/api_keys/verify", map[string]any{"secret": strings.TrimSpace(out)})
	assert.Equal(t, "clerkkit-cli", k["name"])
	assert.Nil(t, k["expiration"])
	assert.Equal(t, []any{}, k["scopes"])

	// Runtime failures: one line, one prefix, status 1.
	code, _, errOut = cli(t, env, "apikey", "create", "--subject", "user_nobody")
	assert.Equal(t, 1, code)
	assert.True(t, strings.HasPrefix(errOut, "clerkkit apikey: "), errOut)
	assert.Contains(t, errOut, "user_nobody")
	assert.Equal(t, 1, strings.Count(errOut, "\n"), errOut)
	assert.Equal(t, 1, strings.Count(errOut, "clerkkit"), errOut)
	code, _, errOut = cli(t, map[string]string{"CLERK_API_URL": env["CLERK_API_URL"]}, "apikey", "create", "--subject", "user_demo_member")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "CLERK_SECRET_KEY is not set")
	code, _, errOut = cli(t, map[string]string{"CLERK_SECRET_KEY": "sk_test_wrongwrongwrongwrongwrongwrongwrong", "CLERK_API_URL": env["CLERK_API_URL"]}, "apikey", "create", "--subject", "user_demo_member")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "401")
	assert.NotContains(t, errOut, "sk_test_wrong")
	assert.Equal(t, 1, strings.Count(errOut, "\n"), errOut)
}

func TestM2MCreate(t *testing.T) {
	env := devEnv(t)
	sk := env["CLERK_SECRET_KEY"]
	status, target := bapi(t, env, sk, "POST", "/v1/machines", map[string]any{"name": "target"})
	require.Equal(t, 200, status, target)
	status, m := bapi(t, env, sk, "POST", "/v1/machines", map[string]any{"name": "worker", "scoped_machines": []string{target["id"].(string)}})
	require.Equal(t, 200, status, m)
	id, key := m["id"].(string), m["secret_key"].(string)

	verify := func(tok string) map[string]any {
		t.Helper()
		status, v := bapi(t, env, target["secret_key"].(string), "POST", "/m2m_tokens/verify", map[string]any{"token": tok})
		require.Equal(t, 200, status, v)
		assert.Equal(t, id, v["subject"])
		return v
	}
	code, out, errOut := cli(t, env, "m2m", "create", "--machine-secret", key, "--ttl", "2m")
	require.Equal(t, 0, code, errOut)
	tok := strings.TrimSpace(out)
	assert.Regexp(t, `^mt_[0-9A-Za-z]{32}$`, tok)
	v := verify(tok)
	assert.InDelta(t, (2 * time.Minute).Milliseconds(), v["expiration"].(float64)-v["created_at"].(float64), 1)

	// --machine fetches the key with CLERK_SECRET_KEY.
	code, out, errOut = cli(t, env, "m2m", "create", "--machine", id, "--format", "jwt")
	require.Equal(t, 0, code, errOut)
	jwt := strings.TrimSpace(out)
	assert.Equal(t, 2, strings.Count(jwt, "."), jwt)
	verify(jwt)

	// $CLERK_MACHINE_SECRET_KEY, with no instance key at all.
	t.Setenv(envMachineSecretKey, key)
	code, out, errOut = cli(t, map[string]string{"CLERK_API_URL": env["CLERK_API_URL"]}, "m2m", "create")
	require.Equal(t, 0, code, errOut)
	verify(strings.TrimSpace(out))
	t.Setenv(envMachineSecretKey, "")

	// Runtime failures.
	for _, c := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{env, []string{"--machine-secret", "ak_wrongwrongwrongwrongwrongwrong"}, "401"},
		{env, []string{"--machine-secret", sk}, "machine secret key"},
		{env, []string{"--machine", "mch_nobody"}, "404"},
		{map[string]string{"CLERK_API_URL": env["CLERK_API_URL"]}, []string{"--machine", id}, "CLERK_SECRET_KEY is not set"},
	} {
		code, _, errOut = cli(t, c.env, append([]string{"m2m", "create"}, c.args...)...)
		assert.Equal(t, 1, code, c.args)
		assert.True(t, strings.HasPrefix(errOut, "clerkkit m2m: "), errOut)
		assert.Contains(t, errOut, c.want)
		assert.Equal(t, 1, strings.Count(errOut, "\n"), errOut)
		assert.NotContains(t, errOut, "ak_wrong", "no secret in errors")
		assert.NotContains(t, errOut, sk, "no secret in errors")
	}
}

func TestMachineCommandUsage(t *testing.T) {
	for _, args := range [][]string{
		{"apikey"}, {"apikey", "list"}, {"apikey", "create"}, {"apikey", "create", "--subject", "sess_x"},
		{"apikey", "create", "--subject", "user_x", "--ttl", "1500ms"}, {"apikey", "create", "--subject", "user_x", "extra"},
		{"apikey", "create", "--subject", "user_x", "--ttl", "-1s"}, {"apikey", "create", "--nope"},
		{"m2m"}, {"m2m", "verify"}, {"m2m", "create"}, {"m2m", "create", "--machine-secret", "ak_x", "--machine", "mch_x"},
		{"m2m", "create", "--machine", "user_x"}, {"m2m", "create", "--machine-secret", "ak_x", "--format", "paseto"},
		{"m2m", "create", "--machine-secret", "ak_x", "--ttl", "0.5s"}, {"m2m", "create", "--machine-secret", "ak_x", "x"},
	} {
		t.Setenv(envMachineSecretKey, "")
		code, out, errOut := cli(t, nil, args...)
		assert.Equal(t, 2, code, "%v: %s", args, errOut)
		assert.Empty(t, out, args)
		assert.Equal(t, 1, strings.Count(errOut, "\n"), "%v: %s", args, errOut)
		assert.True(t, strings.HasPrefix(errOut, "clerkkit "+args[0]+": "), errOut)
	}
	for _, args := range [][]string{{"apikey", "--help"}, {"apikey", "create", "--help"}, {"m2m", "-h"}, {"m2m", "create", "--help"}} {
		code, out, _ := cli(t, nil, args...)
		assert.Equal(t, 0, code, args)
		assert.Contains(t, out, "Usage: clerkkit "+args[0]+" create", args)
		assert.Contains(t, out, "CLERK_SECRET_KEY", args)
	}
}

// clerkJSDir holds the pinned copy of Clerk's JS SDK (npm ci --prefix
// testdata/clerkjs).
const clerkJSDir = "../../testdata/clerkjs"

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

// TestClerkJSMachines runs Clerk's own JavaScript client against `clerkkit
// dev` (testdata/clerkjs/machines.mjs): machines, API keys and M2M tokens
// through createClerkClient, and authenticateRequest with acceptsToken.
func TestClerkJSMachines(t *testing.T) {
	requireClerkJS(t)
	env := devEnv(t)
	code, tok, errOut := cli(t, env, "token", "--user", "user_demo_member")
	require.Equal(t, 0, code, errOut)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "machines.mjs")
	cmd.Dir = clerkJSDir
	cmd.Env = append(os.Environ(), "CLERK_TELEMETRY_DISABLED=1", "SUBJECT=org_demo_acme", "SESSION_TOKEN="+strings.TrimSpace(tok))
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "stderr: %s", stderr.String())

	type auth struct {
		IsAuthenticated bool     `json:"isAuthenticated"`
		TokenType       *string  `json:"tokenType"`
		Reason          *string  `json:"reason"`
		Subject         *string  `json:"subject"`
		Scopes          []string `json:"scopes"`
		Name            *string  `json:"name"`
	}
	var got struct {
		Machines map[string]any `json:"machines"`
		APIKeys  struct {
			Created, Listed, VerifiedID, Revoked bool
			ListTotal                            int            `json:"listTotal"`
			VerifiedScopes                       []string       `json:"verifiedScopes"`
			VerifiedClaims                       map[string]any `json:"verifiedClaims"`
			Auth                                 auth           `json:"auth"`
			AuthAsSession                        auth           `json:"authAsSession"`
			RevocationReason                     string         `json:"revocationReason"`
			VerifyRevokedStatus                  int            `json:"verifyRevokedStatus"`
			AuthRevoked                          auth           `json:"authRevoked"`
		} `json:"apiKeys"`
		M2M struct {
			Opaque, VerifiedByInstance, VerifiedByTarget, JWTSubject, Revoked bool
			OpaqueScopes                                                      []string `json:"opaqueScopes"`
			JWTParts                                                          int      `json:"jwtParts"`
			JWTClaimJob                                                       string   `json:"jwtClaimJob"`
			OpaqueAuth                                                        auth     `json:"opaqueAuth"`
			JWTAuth                                                           auth     `json:"jwtAuth"`
			AsAPIKey                                                          auth     `json:"asAPIKey"`
			VerifyRevokedStatus                                               int      `json:"verifyRevokedStatus"`
			AuthRevoked                                                       auth     `json:"authRevoked"`
			CreateWithInstanceKeyStatus                                       int      `json:"createWithInstanceKeyStatus"`
		} `json:"m2m"`
		Session struct {
			Accepted auth `json:"accepted"`
			Refused  auth `json:"refused"`
		} `json:"session"`
	}
	d := json.NewDecoder(bytes.NewReader(stdout.Bytes()))
	d.DisallowUnknownFields()
	require.NoError(t, d.Decode(&got), stdout.String())

	assert.Equal(t, map[string]any{
		"createdSecretKey": true, "scoped": true, "defaultTokenTtl": 600.0, "listTotal": 2.0, "listPage": 1.0,
		"updatedName": "caller-renamed", "rotated": true, "scopeCreated": true, "scopeDeleted": true, "deleted": true,
		"getDeletedStatus": 404.0,
	}, got.Machines)

	s := func(v string) *string { return &v }
	k := got.APIKeys
	assert.True(t, k.Created && k.Listed && k.VerifiedID && k.Revoked, "%+v", k)
	assert.Equal(t, 1, k.ListTotal)
	assert.Equal(t, []string{"projects:read"}, k.VerifiedScopes)
	assert.Equal(t, map[string]any{"tier": "gold"}, k.VerifiedClaims)
	assert.Equal(t, auth{IsAuthenticated: true, TokenType: s("api_key"), Subject: s("SUBJECT"), Scopes: []string{"projects:read"}, Name: s("js key")}, k.Auth)
	assert.Equal(t, auth{Reason: s("token-type-mismatch")}, k.AuthAsSession)
	assert.Equal(t, "scenario", k.RevocationReason)
	assert.Equal(t, 404, k.VerifyRevokedStatus)
	assert.Equal(t, auth{TokenType: s("api_key"), Reason: s("token-invalid")}, k.AuthRevoked)

	m := got.M2M
	assert.True(t, m.Opaque && m.VerifiedByInstance && m.VerifiedByTarget && m.JWTSubject && m.Revoked, "%+v", m)
	assert.Equal(t, []string{"TARGET"}, m.OpaqueScopes)
	assert.Equal(t, 3, m.JWTParts)
	assert.Equal(t, "sync", m.JWTClaimJob)
	want := auth{IsAuthenticated: true, TokenType: s("m2m_token"), Subject: s("CALLER"), Scopes: []string{"TARGET"}}
	assert.Equal(t, want, m.OpaqueAuth, "opaque M2M token")
	assert.Equal(t, want, m.JWTAuth, "M2M JWT")
	assert.Equal(t, auth{Reason: s("token-type-mismatch")}, m.AsAPIKey)
	assert.Equal(t, 404, m.VerifyRevokedStatus)
	assert.Equal(t, auth{TokenType: s("m2m_token"), Reason: s("token-invalid")}, m.AuthRevoked)
	assert.Equal(t, 401, m.CreateWithInstanceKeyStatus)

	assert.Equal(t, auth{IsAuthenticated: true, TokenType: s("session_token"), Subject: s("user_demo_member")}, got.Session.Accepted)
	assert.Equal(t, auth{Reason: s("token-type-mismatch")}, got.Session.Refused)
}

// TestVerifyEveryKind: verify accepts an API key, opaque and JWT M2M tokens
// and a session token by default, names the kind, and --accept narrows it.
func TestVerifyEveryKind(t *testing.T) {
	env := devEnv(t)
	verify := func(args ...string) map[string]any {
		t.Helper()
		code, out, errOut := cli(t, env, append([]string{"verify"}, args...)...)
		require.Equal(t, 0, code, errOut)
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(out), &m))
		return m
	}
	code, out, errOut := cli(t, env, "apikey", "create", "--subject", "org_demo_acme", "--scopes", "projects:read")
	require.Equal(t, 0, code, errOut)
	key := strings.TrimSpace(out)
	k := verify(key)
	assert.Equal(t, "api_key", k["kind"])
	assert.Equal(t, "org_demo_acme", k["subject"])
	assert.Equal(t, []any{"projects:read"}, k["scopes"])
	assert.NotContains(t, fmt.Sprint(k), key, "the secret is not printed back")

	sk := env["CLERK_SECRET_KEY"]
	status, m := bapi(t, env, sk, "POST", "/v1/machines", map[string]any{"name": "worker"})
	require.Equal(t, 200, status, m)
	for _, format := range []string{"opaque", "jwt"} {
		code, out, errOut = cli(t, env, "m2m", "create", "--machine", m["id"].(string), "--format", format)
		require.Equal(t, 0, code, errOut)
		v := verify(strings.TrimSpace(out))
		assert.Equal(t, "m2m_token", v["kind"], format)
		assert.Equal(t, m["id"], v["subject"], format)
		assert.Equal(t, format == "jwt", v["jwt"], format)
	}

	code, out, errOut = cli(t, env, "token", "--user", "user_demo_admin")
	require.Equal(t, 0, code, errOut)
	session := strings.TrimSpace(out)
	s := verify(session)
	assert.Equal(t, "session_token", s["kind"])
	assert.Equal(t, "user_demo_admin", s["user_id"])
	assert.Equal(t, "session_token", verify("--accept", "session_token,api_key", session)["kind"])

	// A kind not accepted: Clerk's reason, before any Backend API call.
	code, _, errOut = cli(t, env, "verify", "--accept", "session_token", key)
	assert.Equal(t, 1, code)
	assert.True(t, strings.HasPrefix(errOut, "clerkkit verify: token-type-mismatch"), errOut)
	assert.NotContains(t, errOut, key)
	code, _, errOut = cli(t, env, "verify", "--accept", "api_key", session)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "token-type-mismatch")
	code, _, errOut = cli(t, env, "verify", "--accept", "jwt", key)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, `unknown token kind "jwt"`)
	code, _, errOut = cli(t, env, "verify", "--accept", " , ", key)
	assert.Equal(t, 2, code)

	// A revoked key is refused (each run is a new verifier: no cache).
	status, r := bapi(t, env, sk, "POST", "/v1/api_keys/"+k["id"].(string)+"/revoke", map[string]any{"revocation_reason": "test"})
	require.Equal(t, 200, status, r)
	code, _, errOut = cli(t, env, "verify", key)
	assert.Equal(t, 1, code)
	assert.True(t, strings.HasPrefix(errOut, "clerkkit verify: token-invalid"), errOut)
}
