package bapi

import (
	"context"
	"errors"
	"github.com/clerkkit/clerkkit/clerkerr"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/user"
)

// witness is a server that must never be reached with the key: it records
// every request it gets.
type witness struct {
	srv  *httptest.Server
	mu   sync.Mutex
	auth []string
}

func newWitness(t *testing.T, tls bool) *witness {
	t.Helper()
	w := &witness{}
	h := http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.mu.Lock()
		w.auth = append(w.auth, r.Header.Get("Authorization"))
		w.mu.Unlock()
		okUser(rw, r)
	})
	if tls {
		w.srv = httptest.NewTLSServer(h)
	} else {
		w.srv = httptest.NewServer(h)
	}
	t.Cleanup(w.srv.Close)
	return w
}

func (w *witness) requests() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.auth...)
}

// redirector answers every request with code and a Location of target
// plus the request's path.
func redirector(code int, target func() string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", target()+r.URL.Path)
		w.WriteHeader(code)
	}
}

// testClient is a client that trusts the certificate of the TLS servers
// given (httptest servers share one, valid for example.com and
// *.example.com), and dials every *.example.com name on 127.0.0.1, so a
// redirect can point at another host name.
func testClient(srvs ...*httptest.Server) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	for _, s := range srvs {
		if s.TLS != nil {
			tr = s.Client().Transport.(*http.Transport).Clone()
			break
		}
	}
	var d net.Dialer
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		if strings.HasSuffix(host, ".example.com") {
			addr = net.JoinHostPort("127.0.0.1", port)
		}
		return d.DialContext(ctx, network, addr)
	}
	return &http.Client{Transport: tr}
}

func TestRedirectsNeverCarryTheKey(t *testing.T) {
	type setup struct {
		name     string
		apiTLS   bool
		witTLS   bool
		location func(api, wit *httptest.Server) string
	}
	// Both servers listen on 127.0.0.1, on different ports.
	other := func(_, wit *httptest.Server) string { return wit.URL }
	otherHost := func(_, wit *httptest.Server) string {
		u, _ := url.Parse(wit.URL)
		return u.Scheme + "://other.example.com:" + u.Port()
	}
	setups := []setup{
		{"another port, http", false, false, other},
		{"another host, http", false, false, otherHost},
		{"another port, https", true, true, other},
		{"another host, https", true, true, otherHost},
		{"http to https", false, true, other},
		{"scheme downgrade https to http", true, false, other},
	}
	for _, su := range setups {
		for _, code := range []int{301, 302, 303, 307, 308} {
			for _, call := range []struct {
				name string
				do   func(*Backend) (*clerk.User, error)
			}{{"GET", getUser}, {"POST", createUser}} {
				t.Run(su.name+"/"+http.StatusText(code)+"/"+call.name, func(t *testing.T) {
					wit := newWitness(t, su.witTLS)
					var apiSrv *httptest.Server
					h := redirector(code, func() string { return su.location(apiSrv, wit.srv) })
					if su.apiTLS {
						apiSrv = httptest.NewTLSServer(h)
					} else {
						apiSrv = httptest.NewServer(h)
					}
					t.Cleanup(apiSrv.Close)
					// A caller's client that would follow anything.
					hc := testClient(apiSrv, wit.srv)
					hc.CheckRedirect = func(*http.Request, []*http.Request) error { return nil }
					b := newTestBackend(t, apiSrv.URL, newRecorder(), func(c *Config) { c.HTTPClient = hc })

					_, err := call.do(b)
					for _, a := range wit.requests() {
						if strings.Contains(a, testKey) {
							t.Fatal("the other origin received the secret key")
						}
					}
					if n := len(wit.requests()); n != 0 {
						t.Fatalf("the redirect was followed: %d requests to the other origin", n)
					}
					if !errors.Is(err, clerkerr.ErrRedirect) {
						t.Fatalf("err = %v, want clerkerr.ErrRedirect", err)
					}
					if strings.Contains(err.Error(), testKey) {
						t.Fatal("the key is in the error")
					}
				})
			}
		}
	}
}

func TestSameOriginRedirectNotFollowed(t *testing.T) {
	srv, s := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/users/user_1" {
			http.Redirect(w, r, "/v1/users/user_2", http.StatusTemporaryRedirect)
			return
		}
		okUser(w, r)
	})
	b := newTestBackend(t, srv.URL, newRecorder(), nil)
	_, err := getUser(b)
	if !errors.Is(err, clerkerr.ErrRedirect) {
		t.Fatalf("err = %v, want clerkerr.ErrRedirect", err)
	}
	var ae *clerkerr.APIError
	if errors.As(err, &ae) {
		t.Fatal("a redirect is not an clerkerr.APIError")
	}
	if !strings.Contains(err.Error(), "307") || !strings.Contains(err.Error(), "GET /users/user_1") {
		t.Fatalf("err = %q, want the status and the call", err)
	}
	if n := s.n.Load(); n != 1 {
		t.Fatalf("%d requests: a redirect within the API must not be followed (nor retried)", n)
	}
}

// The transport itself refuses other origins, whoever sends it a request.
func TestTransportRefusesOtherOrigins(t *testing.T) {
	var sent []*http.Request
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		sent = append(sent, r)
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(`{}`)), Request: r}, nil
	})
	for _, tc := range []struct {
		api  string
		ok   []string
		fail []string
	}{
		{
			api: "https://api.clerk.com",
			ok:  []string{"https://api.clerk.com/v1/users", "https://API.Clerk.com:443/v1/users", "HTTPS://api.clerk.com/x"},
			fail: []string{
				"http://api.clerk.com/v1/users",       // downgrade
				"https://api.clerk.com:8443/v1/users", // port
				"https://evil.example/v1/users",       // host
				"https://api.clerk.com.evil.example/v1",
				"https://evil.api.clerk.com/v1", // subdomain
				"https://clerk.com/v1",          // parent domain
				"https://api.clerk.com./v1",     // trailing dot: not the same string
			},
		},
		{
			api:  "http://127.0.0.1:8080",
			ok:   []string{"http://127.0.0.1:8080/v1/users"},
			fail: []string{"http://127.0.0.1:8081/v1/users", "http://localhost:8080/v1/users", "https://127.0.0.1:8080/v1/users", "http://127.0.0.1/v1/users"},
		},
		{
			api:  "http://[::1]:9",
			ok:   []string{"http://[::1]:9/v1"},
			fail: []string{"http://[::2]:9/v1", "http://127.0.0.1:9/v1"},
		},
	} {
		b, err := NewBackend(Config{SecretKey: testKey, APIURL: tc.api, HTTPClient: &http.Client{Transport: base}, Retry: RetryPolicy{Disabled: true}})
		if err != nil {
			t.Fatal(err)
		}
		for _, raw := range tc.ok {
			sent = nil
			req, _ := http.NewRequest(http.MethodGet, raw, nil)
			resp, err := b.transport.RoundTrip(req)
			if err != nil {
				t.Fatalf("%s: %s refused: %v", tc.api, raw, err)
			}
			resp.Body.Close()
			if len(sent) != 1 || sent[0].Header.Get("Authorization") != "Bearer "+testKey {
				t.Fatalf("%s: %s: not sent with the key", tc.api, raw)
			}
		}
		for _, raw := range tc.fail {
			sent = nil
			req, _ := http.NewRequest(http.MethodPost, raw, strings.NewReader(`{"a":1}`))
			req.Header.Set("Authorization", "Bearer "+testKey)
			resp, err := b.transport.RoundTrip(req)
			if !errors.Is(err, clerkerr.ErrOffOrigin) || resp != nil {
				t.Fatalf("%s: %s: err = %v, want clerkerr.ErrOffOrigin", tc.api, raw, err)
			}
			if strings.Contains(err.Error(), testKey) {
				t.Fatal("the key is in the error")
			}
			if len(sent) != 0 {
				t.Fatalf("%s: %s was sent", tc.api, raw)
			}
		}
	}
}

// A foreign-origin request is not retried either: it fails at once.
func TestOffOriginNotRetried(t *testing.T) {
	wit := newWitness(t, false)
	srv, _ := serve(t, okUser)
	b := newTestBackend(t, srv.URL, newRecorder(), nil)
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, wit.srv.URL+"/v1/users/user_1", nil)
	if _, err := b.transport.RoundTrip(req); !errors.Is(err, clerkerr.ErrOffOrigin) {
		t.Fatalf("err = %v", err)
	}
	if len(wit.requests()) != 0 {
		t.Fatal("sent")
	}
	// The same backend still works for its own origin.
	if _, err := (&user.Client{Backend: b}).Get(context.Background(), "user_1"); err != nil {
		t.Fatal(err)
	}
}
