package auth

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"os"
	"testing"
	"time"
)

// fuzzKey is a fixed, test-only key committed in testdata, so that the
// signed tokens of the committed seed corpus stay valid across runs.
var fuzzKey = func() *rsa.PrivateKey {
	b, err := os.ReadFile("testdata/fuzz-only-rsa-key.pem")
	if err != nil {
		panic(err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		panic("testdata/fuzz-only-rsa-key.pem: no PEM block")
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		panic(err)
	}
	return k.(*rsa.PrivateKey)
}()

func fuzzSign(header, payload string) string {
	in := base64.RawURLEncoding.EncodeToString([]byte(header)) + "." + base64.RawURLEncoding.EncodeToString([]byte(payload))
	h := sha256.Sum256([]byte(in))
	sig, err := rsa.SignPKCS1v15(rand.Reader, fuzzKey, crypto.SHA256, h[:])
	if err != nil {
		panic(err)
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func fuzzVerifier(t testing.TB) *Verifier {
	der, _ := x509.MarshalPKIXPublicKey(&fuzzKey.PublicKey)
	v, err := NewVerifier(Config{
		JWTKey: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})),
		Issuer: "https://clerk.example.com",
		Now:    func() time.Time { return time.Unix(1732629566, 0) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// FuzzVerify feeds arbitrary tokens to Verify: it must never panic, every
// error must be one of the package's *Error sentinels without the token in
// its text, and anything accepted must carry a user.
func FuzzVerify(f *testing.F) {
	hdr := `{"alg":"RS256","kid":"ins_1","typ":"JWT","cat":"cl_B7d4PD111AAA"}`
	f.Add(fuzzSign(hdr, `{"sub":"user_1","sid":"sess_1","iss":"https://clerk.example.com","exp":1732629626,"iat":1732629566,"nbf":1732629556,"v":2,"o":{"id":"org_1","slg":"acme","rol":"admin","per":"manage,read","fpm":"3,2"},"fea":"o:dashboard,o:teams"}`))
	f.Add(fuzzSign(hdr, `{"sub":"user_1","iss":"https://clerk.example.com","exp":1732629626,"org_id":"org_1","org_role":"admin","org_permissions":["org:a:b"]}`))
	f.Add(fuzzSign(hdr, `{"sub":"user_1","sub":"user_2","iss":"https://clerk.example.com","exp":1732629626}`))
	f.Add(fuzzSign(`{"alg":"RS512"}`, `{}`))
	f.Add("a.b.c")
	f.Add("")
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	v := fuzzVerifier(f)
	f.Fuzz(func(t *testing.T, token string) {
		s, err := v.Verify(context.Background(), token)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error is not an *auth.Error: %v", err)
			}
			if len(token) >= 8 && bytes.Contains([]byte(err.Error()), []byte(token)) {
				t.Fatalf("error text contains the token")
			}
			return
		}
		if s.UserID == "" || s.ExpiresAt.IsZero() {
			t.Fatalf("accepted a session without user or expiry: %+v", s)
		}
	})
}

// FuzzParseJWKS feeds arbitrary key-set and domain-list bodies to the
// parsers of what the key endpoints answer: no panic, and every key kept is
// a usable RSA signing key.
func FuzzParseJWKS(f *testing.F) {
	f.Add([]byte(`{"keys":[{"use":"sig","kty":"RSA","kid":"ins_1","alg":"RS256","n":"` + base64.RawURLEncoding.EncodeToString(fuzzKey.N.Bytes()) + `","e":"AQAB"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"}]}`))
	f.Add([]byte(`{"keys":[]}`))
	f.Add([]byte(`{"data":[{"frontend_api_url":"https://clerk.example.com","proxy_url":null}],"total_count":1}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if keys, err := parseJWKS(b); err == nil {
			if len(keys) == 0 {
				t.Fatal("no error and no key")
			}
			for kid, k := range keys {
				if kid == "" || k.key == nil || k.key.N.BitLen() < minRSABits {
					t.Fatalf("unusable key kept: %q", kid)
				}
			}
		}
		if iss, err := parseDomains(b); err == nil && len(iss) == 0 {
			t.Fatal("no error and no issuer")
		}
	})
}

// FuzzVerifyToken feeds arbitrary tokens to VerifyToken accepting every
// kind (networkless: opaque tokens fail for want of a secret key): no
// panic, errors are *Error without the token, and a principal is exactly
// one of a session with a user or a machine of a machine kind with a
// subject that fits it.
func FuzzVerifyToken(f *testing.F) {
	m2mHdr := `{"alg":"RS256","kid":"ins_1","typ":"JWT","cat":"cl_B7d4PD333AAA"}`
	f.Add(fuzzSign(m2mHdr, `{"sub":"mch_1","iss":"https://clerk.example.com","exp":1732629626,"iat":1732629566,"jti":"mt_1","scopes":"mch_2 mch_3","x":{"y":[1]}}`))
	f.Add(fuzzSign(`{"alg":"RS256","kid":"ins_1"}`, `{"sub":"mch_1","iss":"https://clerk.example.com","exp":1732629626,"aud":["mch_2"]}`))
	f.Add(fuzzSign(`{"alg":"RS256","typ":"at+jwt"}`, `{"sub":"user_1","iss":"https://clerk.example.com","exp":1732629626,"client_id":"c","scp":["a"],"aud":"https://api.example.com"}`))
	f.Add(fuzzSign(`{"alg":"RS256","typ":"application/at+jwt","cat":"cl_B7d4PD111AAA"}`, `{"sub":"user_1","iss":"https://clerk.example.com","exp":1732629626}`))
	f.Add(fuzzSign(`{"alg":"RS256","typ":"at+jwt"}`, `{"sub":"mch_1","iss":"https://clerk.example.com","exp":1732629626}`))
	f.Add(fuzzSign(m2mHdr, `{"sub":"user_1","iss":"https://clerk.example.com","exp":1732629626}`))
	f.Add(fuzzSign(`{"alg":"RS256","cat":"cl_B7d4PD222AAA"}`, `{"sub":"mch_1","iss":"https://clerk.example.com","exp":1732629626}`))
	f.Add(fuzzSign(`{"alg":"RS256","kid":"ins_1","typ":"JWT"}`, `{"sub":"user_1","sid":"sess_1","iss":"https://clerk.example.com","exp":1732629626}`))
	f.Add("ak_123")
	f.Add("mt_")
	f.Add("oat_x.y.z")
	v := fuzzVerifier(f)
	f.Fuzz(func(t *testing.T, token string) {
		p, err := v.VerifyToken(context.Background(), token, AnyToken)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error is not an *auth.Error: %v", err)
			}
			if len(token) >= 8 && bytes.Contains([]byte(err.Error()), []byte(token)) {
				t.Fatalf("error text contains the token")
			}
			return
		}
		switch {
		case p.Kind == SessionToken:
			if p.Session == nil || p.Machine != nil || p.Session.UserID == "" || bytes.HasPrefix([]byte(p.Session.UserID), []byte("mch_")) {
				t.Fatalf("bad session principal: %+v", p)
			}
		case p.Kind == M2MToken:
			if p.Session != nil || p.Machine == nil || p.Machine.MachineID() == "" || !p.Machine.JWT {
				t.Fatalf("bad M2M principal: %+v", p)
			}
		case p.Kind == OAuthToken:
			if p.Session != nil || p.Machine == nil || p.Machine.Subject == "" || p.Machine.MachineID() != "" {
				t.Fatalf("bad OAuth principal: %+v", p)
			}
		default:
			t.Fatalf("accepted kind %q networkless", p.Kind)
		}
		// The same token is never accepted as a kind it is not.
		for _, k := range MachineKinds() {
			if k == p.Kind {
				continue
			}
			if _, err := v.VerifyToken(context.Background(), token, k); err == nil {
				t.Fatalf("a %s token also verifies as %s", p.Kind, k)
			}
		}
	})
}

// FuzzParseVerification feeds arbitrary Backend API answers to the parser
// of the machine-token verify endpoints and the shared-cache decoder: no
// panic, and whatever is accepted has an id and a subject of its kind.
func FuzzParseVerification(f *testing.F) {
	f.Add([]byte(`{"object":"api_key","id":"ak_1","subject":"org_1","name":"n","scopes":["a"],"claims":{"k":1},"revoked":false,"expired":false,"expiration":null}`))
	f.Add([]byte(`{"object":"machine_to_machine_token","id":"mt_1","subject":"mch_1","scopes":["mch_2"],"claims":null,"revoked":false,"expired":false,"expiration":1716883200000}`))
	f.Add([]byte(`{"object":"clerk_idp_oauth_access_token","id":"oat_1","client_id":"c","subject":"user_1","scopes":[],"aud":"x","revoked":true}`))
	f.Add([]byte(`{"active":false}`))
	f.Add([]byte(`{"v":1,"valid":true,"until":1732629626000,"kind":"api_key","id":"ak_1","subject":"user_1"}`))
	f.Add([]byte(`{"v":1,"valid":false,"until":1732629626000,"kind":"m2m_token","reason":"token-invalid"}`))
	now := time.Unix(1732629566, 0)
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, k := range MachineKinds() {
			ep := endpointFor(k)
			if m, err := parseVerification(b, k, ep); err == nil {
				ok := false
				for _, p := range ep.subjects {
					ok = ok || len(m.Subject) > len(p) && m.Subject[:len(p)] == p
				}
				if m.ID == "" || !ok || m.Kind != k {
					t.Fatalf("accepted %+v as %s", m, k)
				}
			}
			if r, err := decodeStored(b, k, now, DefaultMachineCacheTTL, DefaultMachineNegativeTTL); err == nil {
				if r.m != nil && (r.m.ID == "" || r.m.Subject == "" || r.m.Kind != k) || r.m == nil && r.err == nil {
					t.Fatalf("decoded %+v as %s", r, k)
				}
				if r.until.After(now.Add(DefaultMachineCacheTTL)) {
					t.Fatal("a stored result trusted beyond the local TTL")
				}
			}
		}
	})
}
