package auth_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerktest"
)

// A page request carrying the cookies Clerk's browser SDK sets is signed in.
func ExampleVerifier_AuthenticateRequest() {
	iss, _ := clerktest.StartIssuer()
	defer iss.Close()
	v, _ := auth.NewVerifier(iss.AuthConfig()) // with the publishable key: the cookie flow needs it

	now := time.Now()
	token := iss.Token(clerktest.Claims{UserID: "user_123", SessionID: "sess_1", IssuedAt: now})
	r := httptest.NewRequest("GET", "https://app.example.com/dashboard", nil)
	r.Header.Set("Sec-Fetch-Dest", "document")
	r.Header.Set("Cookie", "__session="+token+"; __client_uat="+strconv.FormatInt(now.Add(-time.Minute).Unix(), 10)+
		"; __clerk_db_jwt=dvb_example") // the dev browser of a development instance (pk_test_)

	st, err := v.AuthenticateRequest(context.Background(), r, auth.RequestOptions{})
	if err != nil {
		panic(err)
	}
	fmt.Println(st.Status, st.Principal.Session.UserID)
	// Output: signed-in user_123
}

// A page navigation whose cookies cannot be decided yet (here: signed in
// at the Frontend API, __client_uat set, but no session token) is answered
// with a handshake: a 307 to the Frontend API, which refreshes the cookies
// and comes straight back.
func ExampleVerifier_AuthenticateRequest_handshake() {
	iss, _ := clerktest.StartIssuer()
	defer iss.Close()
	v, _ := auth.NewVerifier(iss.AuthConfig())

	r := httptest.NewRequest("GET", "https://app.example.com/dashboard", nil)
	r.Header.Set("Sec-Fetch-Dest", "document")
	r.Header.Set("Cookie", "__client_uat=1700000000; __clerk_db_jwt=dvb_example")

	st, err := v.AuthenticateRequest(context.Background(), r, auth.RequestOptions{})
	if err != nil {
		panic(err)
	}
	u, _ := url.Parse(st.Headers.Get("Location"))
	var params []string
	for k := range u.Query() {
		params = append(params, k)
	}
	slices.Sort(params)
	fmt.Println(st.Status, st.Reason, st.Redirect())
	fmt.Println(u.Path, params)
	fmt.Println(st.Headers.Get("Cache-Control"))
	// Output:
	// handshake client-uat-but-no-session-token true
	// /v1/client/handshake [__clerk_api_version __clerk_db_jwt __clerk_hs_reason format redirect_url suffixed_cookies]
	// no-store
}

// Coming back from a handshake, the request carries a nonce: it is
// exchanged at the Backend API (GET /v1/clients/handshake_payload) for the
// cookies to set, and the request is decided with them. On a development
// instance the state also redirects to the URL without the nonce.
func ExampleVerifier_AuthenticateRequest_nonce() {
	iss, _ := clerktest.StartIssuer()
	defer iss.Close()
	token := iss.Token(clerktest.Claims{UserID: "user_123", SessionID: "sess_1"})
	// A Backend API that knows one nonce (the emulator, clerktest/emulator, serves the real exchange).
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/clients/handshake_payload", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("nonce") != "nonce_1" {
			http.Error(w, `{"errors":[{"code":"resource_not_found"}]}`, http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json") // as the Backend API types its answers
		json.NewEncoder(w).Encode(map[string]any{"directives": []string{
			"__session=" + token + "; Path=/; SameSite=Lax", "__client_uat=" + strconv.FormatInt(time.Now().Unix(), 10) + "; Path=/",
		}})
	})
	mux.Handle("/", iss.Handler())
	api := httptest.NewServer(mux)
	defer api.Close()
	cfg := iss.AuthConfig()
	cfg.APIURL = api.URL
	v, _ := auth.NewVerifier(cfg)

	r := httptest.NewRequest("GET", "https://app.example.com/dashboard?tab=2&__clerk_handshake_nonce=nonce_1", nil)
	r.Header.Set("Sec-Fetch-Dest", "document")
	st, err := v.AuthenticateRequest(context.Background(), r, auth.RequestOptions{})
	if err != nil {
		panic(err)
	}
	fmt.Println(st.Status, st.Principal.Session.UserID)
	fmt.Println(len(st.Headers.Values("Set-Cookie")), "cookies set")
	fmt.Println(st.Redirect(), st.Headers.Get("Location"))
	// Output:
	// signed-in user_123
	// 2 cookies set
	// true https://app.example.com/dashboard?tab=2
}
