package emulator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/emailaddress"

	"github.com/clerkkit/clerkkit/clerktest/emulator"
)

// The Server sends no email: the code of a verification it prepared is
// read with VerificationCode (or from the email.created webhook), then
// attempted as a user would.
func ExampleServer_VerificationCode() {
	srv, err := emulator.StartServer()
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	if err := srv.Seed(emulator.SeedData{Users: []emulator.SeedUser{{ID: "user_ada", EmailAddresses: []string{"ada@example.com"}}}}); err != nil {
		panic(err)
	}
	emails := emailaddress.NewClient(&clerk.ClientConfig{BackendConfig: clerk.BackendConfig{
		URL: clerk.String(srv.URL() + "/v1"), Key: clerk.String(srv.SecretKey()), HTTPClient: srv.HTTPClient(),
	}})
	em, err := emails.Create(context.Background(), &emailaddress.CreateParams{
		UserID: clerk.String("user_ada"), EmailAddress: clerk.String("ada@work.example"),
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("verified:", em.Verification != nil)

	post := func(path string, body any) map[string]any { // the Backend API, as any client calls it
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", srv.URL()+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+srv.SecretKey())
		resp, err := srv.HTTPClient().Do(req)
		if err != nil {
			panic(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return out
	}
	v := post("/v1/email_addresses/"+em.ID+"/prepare_verification", nil)
	code, err := srv.VerificationCode(em.ID)
	if err != nil {
		panic(err)
	}
	v = post("/v1/email_addresses/"+em.ID+"/attempt_verification", map[string]any{"verification_id": v["id"], "code": code})
	fmt.Println("attempt:", v["status"])
	em, _ = emails.Get(context.Background(), em.ID)
	fmt.Println("verified:", em.Verification.Status, "by", em.Verification.Strategy)
	// Output:
	// verified: false
	// attempt: verified
	// verified: verified by email_code
}

// TOTPCode is what an authenticator app shows for a TOTP secret (RFC
// 6238: 30-second steps, six digits, SHA-1); POST
// /v1/users/{id}/verify_totp accepts it for a user created or seeded with
// that totp_secret.
func ExampleTOTPCode() {
	code, err := emulator.TOTPCode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", time.Unix(59, 0))
	fmt.Println(code, err)
	// Output: 287082 <nil>
}
