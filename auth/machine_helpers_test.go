package auth_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerktest"
)

// fakeBAPI is a Backend API with the three machine-token verify endpoints
// (bapi-2025-04-10), in front of an Issuer that serves the keys.
type fakeBAPI struct {
	iss *clerktest.Issuer
	srv *httptest.Server

	mu      sync.Mutex
	answers map[string]fakeAnswer // by token
	calls   atomic.Int64
	bodies  []string
	delay   time.Duration
	block   chan struct{} // when set, every verify waits for it to close
	status  int           // when set, every verify answers it
}

type fakeAnswer struct {
	status int
	body   map[string]any
	raw    string
}

func newFakeBAPI(t *testing.T, iss *clerktest.Issuer) *fakeBAPI {
	f := &fakeBAPI{iss: iss, answers: map[string]fakeAnswer{}}
	mux := http.NewServeMux()
	for path, field := range map[string]string{
		"/v1/api_keys/verify":                         "secret",
		"/v1/m2m_tokens/verify":                       "token",
		"/v1/oauth_applications/access_tokens/verify": "access_token",
	} {
		mux.HandleFunc("POST "+path, func(w http.ResponseWriter, r *http.Request) { f.verify(w, r, field) })
	}
	mux.Handle("/", iss.Handler())
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeBAPI) verify(w http.ResponseWriter, r *http.Request, field string) {
	f.calls.Add(1)
	f.mu.Lock()
	delay, block, status := f.delay, f.block, f.status
	f.mu.Unlock()
	if block != nil {
		<-block
	}
	time.Sleep(delay)
	if r.Header.Get("Authorization") != "Bearer "+f.iss.SecretKey() || r.Header.Get("Clerk-API-Version") == "" {
		http.Error(w, `{"errors":[{"code":"authentication_invalid"}]}`, http.StatusUnauthorized)
		return
	}
	b, _ := io.ReadAll(r.Body)
	var req map[string]string
	if err := json.Unmarshal(b, &req); err != nil || len(req) != 1 || req[field] == "" {
		http.Error(w, `{"errors":[{"code":"form_param_missing"}]}`, http.StatusBadRequest)
		return
	}
	if status != 0 {
		w.WriteHeader(status)
		return
	}
	f.mu.Lock()
	f.bodies = append(f.bodies, string(b))
	a, ok := f.answers[req[field]]
	f.mu.Unlock()
	if !ok {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"errors":[{"code":"resource_not_found","message":"not found"}]}`)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if a.status != 0 {
		w.WriteHeader(a.status)
	}
	if a.raw != "" {
		io.WriteString(w, a.raw)
		return
	}
	json.NewEncoder(w).Encode(a.body)
}

func (f *fakeBAPI) set(token string, a fakeAnswer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answers[token] = a
}

// config verifies the issuer's tokens with this fake as the Backend API.
func (f *fakeBAPI) config() auth.Config {
	cfg := f.iss.AuthConfig()
	cfg.APIURL = f.srv.URL
	cfg.HTTPClient = f.srv.Client()
	return cfg
}

// apiKey registers a valid API key and returns its secret.
func (f *fakeBAPI) apiKey(secret, subject string, scopes ...string) string {
	f.set(secret, fakeAnswer{body: map[string]any{
		"object": "api_key", "id": "ak_" + strings.Repeat("a", 32), "type": "api_key", "subject": subject,
		"name": "CI_KEY", "description": nil, "claims": map[string]any{"team": "ops"}, "scopes": scopes,
		"revoked": false, "revocation_reason": nil, "expired": false, "expiration": nil, "created_by": nil,
		"last_used_at": nil, "created_at": 1, "updated_at": 1,
	}})
	return secret
}

func (f *fakeBAPI) m2m(token, subject string, exp time.Time, scopes ...string) string {
	var expiration any
	if !exp.IsZero() {
		expiration = exp.UnixMilli()
	}
	f.set(token, fakeAnswer{body: map[string]any{
		"object": "machine_to_machine_token", "id": "mt_" + strings.Repeat("b", 32), "subject": subject,
		"claims": nil, "scopes": scopes, "revoked": false, "revocation_reason": nil, "expired": false,
		"expiration": expiration, "created_at": 1, "updated_at": 1,
	}})
	return token
}

func (f *fakeBAPI) oauth(token, subject string, aud any, scopes ...string) string {
	body := map[string]any{
		"object": "clerk_idp_oauth_access_token", "id": "oat_" + strings.Repeat("c", 32), "client_id": "client_1",
		"subject": subject, "scopes": scopes, "revoked": false, "revocation_reason": nil, "expired": false,
		"expiration": nil, "created_at": 1, "updated_at": 1,
	}
	if aud != nil {
		body["aud"] = aud
	}
	f.set(token, fakeAnswer{body: body})
	return token
}

// machineJWT signs an M2M or OAuth JWT with the issuer's key: header and
// payload are the defaults for the kind with edit applied (nil values
// remove a member).
func machineJWT(iss *clerktest.Issuer, kind auth.TokenKind, hdrEdit, edit map[string]any) string {
	now := iss.Clock().Now()
	hdr := map[string]any{"alg": "RS256", "kid": iss.KeyID(), "typ": "JWT", "cat": "cl_B7d4PD333AAA"}
	payload := map[string]any{
		"iss": iss.IssuerURL(), "sub": "mch_2xhFjEI5X2qWRvtV13BzSj8H6Dk", "jti": "mt_" + strings.Repeat("d", 32),
		"exp": now.Add(time.Hour).Unix(), "iat": now.Unix(), "nbf": now.Add(-5 * time.Second).Unix(),
		"scopes": "mch_a mch_b", "team": "ops",
	}
	if kind == auth.OAuthToken {
		hdr = map[string]any{"alg": "RS256", "kid": iss.KeyID(), "typ": "at+jwt"}
		payload = map[string]any{
			"iss": iss.IssuerURL(), "sub": "user_2xhFjEI5X2qWRvtV13BzSj8H6Dk", "jti": "oat_1",
			"exp": now.Add(time.Hour).Unix(), "iat": now.Unix(), "client_id": "client_1",
			"scp": []string{"profile", "email"}, "aud": "https://api.example.com",
		}
	}
	apply := func(m, e map[string]any) {
		for k, v := range e {
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
	}
	apply(hdr, hdrEdit)
	apply(payload, edit)
	h, _ := json.Marshal(hdr)
	p, _ := json.Marshal(payload)
	return iss.SignRaw(h, p)
}
