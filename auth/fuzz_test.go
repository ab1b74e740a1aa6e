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
