package webhooks

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	svix "github.com/svix/svix-webhooks/go"
)

// benchUserCreated is the spec's user.created example with one verified
// email address and some metadata: about 2 KiB, a typical user.created.
const benchUserCreated = `{"data":{"backup_code_enabled":false,"banned":false,"create_organization_enabled":true,` +
	`"create_organizations_limit":null,"created_at":1716883200000,"delete_self_enabled":true,"email_addresses":[` +
	`{"id":"idn_2g7np7Hrk0SN6kj5EDMLDaKNL0S","object":"email_address","email_address":"john.doe@example.com",` +
	`"reserved":false,"verification":{"status":"verified","strategy":"email_code","attempts":1,"expire_at":1716883800000},` +
	`"linked_to":[],"created_at":1716883200000,"updated_at":1716883200000}],"enterprise_accounts":[],` +
	`"external_accounts":[],"external_id":null,"first_name":"John","has_image":true,"id":"user_2g7np7Hrk0SN6kj5EDMLDaKNL0S",` +
	`"image_url":"https://img.clerk.com/eyJ0eXBlIjoicHJveHkiLCJzcmMiOiJodHRwczovL2ltYWdlcy5jbGVyay5kZXYvb2F1dGhfZ29vZ2xlL2ltZ18y",` +
	`"last_active_at":1716883200000,"last_name":"Doe","last_sign_in_at":1716883200000,"legal_accepted_at":1716883200000,` +
	`"locked":false,"lockout_expires_in_seconds":null,"mfa_disabled_at":null,"mfa_enabled_at":null,"object":"user",` +
	`"passkeys":[],"password_enabled":true,"phone_numbers":[],"primary_email_address_id":"idn_2g7np7Hrk0SN6kj5EDMLDaKNL0S",` +
	`"primary_phone_number_id":null,"primary_web3_wallet_id":null,"private_metadata":{"stripe_customer":"cus_Q1w2e3r4t5y6u7"},` +
	`"profile_image_url":"https://img.clerk.com/eyJ0eXBlIjoicHJveHkiLCJzcmMiOiJodHRwczovL2ltYWdlcy5jbGVyay5kZXYvb2F1dGhfZ29vZ2xl",` +
	`"public_metadata":{"plan":"pro","roles":["admin","billing"]},"saml_accounts":[],"totp_enabled":false,` +
	`"two_factor_enabled":false,"unsafe_metadata":{"onboarded":true},"updated_at":1716883200000,"username":"johndoe",` +
	`"verification_attempts_remaining":null,"web3_wallets":[]},"event_attributes":{"http_request":{"client_ip":"192.168.1.100",` +
	`"user_agent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36"}},` +
	`"instance_id":"ins_2g7np7Hrk0SN6kj5EDMLDaKNL0S","object":"event","timestamp":1716883200,"type":"user.created"}`

func benchDelivery(b *testing.B) ([]byte, map[string][]string) {
	body := []byte(benchUserCreated)
	if n := len(body); n < 1900 || n > 2300 {
		b.Fatalf("bench body is %d bytes, want about 2 KiB", n)
	}
	return body, signedHeader(b, testSecret, "msg_bench", time.Now(), body)
}

// BenchmarkSvixVerifyUnmarshalMap is the bare baseline: svix's Verify, then
// encoding/json into a map.
func BenchmarkSvixVerifyUnmarshalMap(b *testing.B) {
	body, hdr := benchDelivery(b)
	wh, err := svix.NewWebhook(testSecret)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if err := wh.Verify(body, hdr); err != nil {
			b.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSvixVerifyUnmarshalStruct is the typed baseline: svix's Verify,
// then one encoding/json pass into an envelope holding a clerk.User.
func BenchmarkSvixVerifyUnmarshalStruct(b *testing.B) {
	body, hdr := benchDelivery(b)
	wh, err := svix.NewWebhook(testSecret)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if err := wh.Verify(body, hdr); err != nil {
			b.Fatal(err)
		}
		var ev struct {
			Type string     `json:"type"`
			Data clerk.User `json:"data"`
		}
		if err := json.Unmarshal(body, &ev); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkClerkkitVerifyUser is clerkkit's full path: header checks,
// tolerance, signature, envelope, then the typed Payload[*clerk.User](ev).
func BenchmarkClerkkitVerifyUser(b *testing.B) {
	body, hdr := benchDelivery(b)
	v, err := NewVerifier(Config{SigningSecret: testSecret})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		ev, err := v.Verify(hdr, body)
		if err != nil {
			b.Fatal(err)
		}
		u, err := Payload[*clerk.User](ev)
		if err != nil || !strings.HasPrefix(u.ID, "user_") {
			b.Fatal(u, err)
		}
	}
}
