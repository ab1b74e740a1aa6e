package auth_test

import (
	"context"
	"fmt"
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
