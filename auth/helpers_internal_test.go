package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"net/http"
	"strings"
	"testing"
)

func b64e(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func mkCookie(name, value string) *http.Cookie { return &http.Cookie{Name: name, Value: value} }

func pemOf(t *testing.T, bits int) string {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

func testPEM(t *testing.T) string  { return pemOf(t, 2048) }
func smallPEM(t *testing.T) string { return pemOf(t, 1024) }

// bareKey strips the BEGIN/END lines, as Clerk's dashboard shows the key.
func bareKey(p string) string {
	var lines []string
	for _, l := range strings.Split(p, "\n") {
		if !strings.HasPrefix(l, "-----") {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "")
}
