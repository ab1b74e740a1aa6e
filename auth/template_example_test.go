package auth_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
)

// A service called with tokens of the "reports" JWT template
// (getToken({ template: "reports" }) in the front end) accepts them, and
// only them: the session token of the same session is refused, and the
// session verifier refuses the template token.
func ExampleTemplateVerifier() {
	srv, _ := emulator.StartServer()
	defer srv.Close()
	srv.Seed(emulator.SeedData{
		Users: []emulator.SeedUser{{ID: "user_2xhFjEI5X2qWRvtV13BzSj8H6Dk", EmailAddresses: []string{"ada@example.com"}}},
		JWTTemplates: []emulator.SeedJWTTemplate{{Name: "reports",
			Claims: json.RawMessage(`{"aud":"https://reports.example.com","email":"{{user.primary_email_address}}"}`)}},
	})
	v, _ := auth.NewVerifier(srv.AuthConfig())
	reports, err := auth.NewTemplateVerifier(v, auth.TemplateOptions{
		Name: "reports", Audience: []string{"https://reports.example.com"}, RequiredClaims: []string{"email"},
	})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	session, _ := srv.SessionToken("user_2xhFjEI5X2qWRvtV13BzSj8H6Dk", "")
	s, _ := v.Verify(ctx, session)

	// What getToken({ template: "reports" }) obtains.
	req, _ := http.NewRequest("POST", srv.URL()+"/v1/sessions/"+s.SessionID+"/tokens/reports", strings.NewReader("{}"))
	req.Header.Set("Authorization", "Bearer "+srv.SecretKey())
	req.Header.Set("Content-Type", "application/json")
	resp, _ := srv.HTTPClient().Do(req)
	var out struct{ JWT string }
	json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()

	tt, err := reports.Verify(ctx, out.JWT)
	if err != nil {
		panic(err)
	}
	email, _ := auth.TemplateClaim[string](tt, "email")
	fmt.Println(tt.UserID, email, tt.Audience)

	_, err = reports.Verify(ctx, session)
	fmt.Println("session token as a template token:", errors.Is(err, auth.ErrTokenType))
	_, err = v.Verify(ctx, out.JWT)
	fmt.Println("template token as a session token:", errors.Is(err, auth.ErrTokenType))
	// Output:
	// user_2xhFjEI5X2qWRvtV13BzSj8H6Dk ada@example.com [https://reports.example.com]
	// session token as a template token: true
	// template token as a session token: true
}
