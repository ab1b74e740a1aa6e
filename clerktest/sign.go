package clerktest

import (
	"crypto"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	_ "crypto/sha512" // RS384, RS512
	"encoding/base64"
	"encoding/json"
)

// SignRaw signs header and payload, taken as they are (they need not be
// valid JSON), with the current key: it returns base64url(header) + "." +
// base64url(payload) + "." + signature. The signature uses RS384 or RS512
// when the header's alg says so, and RS256 otherwise.
func (iss *Issuer) SignRaw(header, payload []byte) string {
	return SignWith(iss.PrivateKey(), headerAlg(header), header, payload)
}

// SignWith is SignRaw with any RSA key (for example one the verifier does
// not know) and an explicit algorithm, "RS256", "RS384" or "RS512",
// whatever the header says. It panics on another algorithm.
func SignWith(key *rsa.PrivateKey, alg string, header, payload []byte) string {
	var h crypto.Hash
	switch alg {
	case "RS256":
		h = crypto.SHA256
	case "RS384":
		h = crypto.SHA384
	case "RS512":
		h = crypto.SHA512
	default:
		panic("clerktest: SignWith: unsupported algorithm " + alg)
	}
	input := signingInput(header, payload)
	d := h.New()
	d.Write([]byte(input))
	sig, err := rsa.SignPKCS1v15(nil, key, h, d.Sum(nil))
	if err != nil {
		panic("clerktest: sign: " + err.Error())
	}
	return input + "." + b64(sig)
}

// Unsigned returns header and payload as an unsecured JWS: the two
// segments and an empty signature ("h.p."), the shape of an alg "none"
// token.
func Unsigned(header, payload []byte) string {
	return signingInput(header, payload) + "."
}

// SignHS256 signs header and payload with HMAC-SHA256 under key, for
// algorithm-confusion tests (key being, say, the PEM of the RSA public
// key).
func SignHS256(key, header, payload []byte) string {
	input := signingInput(header, payload)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(input))
	return input + "." + b64(m.Sum(nil))
}

func signingInput(header, payload []byte) string {
	return b64(header) + "." + b64(payload)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// headerAlg returns the RSA algorithm a header asks for: RS384 or RS512
// when its alg says so, RS256 otherwise.
func headerAlg(header []byte) string {
	var h struct {
		Alg any `json:"alg"`
	}
	json.Unmarshal(header, &h)
	if h.Alg == "RS384" || h.Alg == "RS512" {
		return h.Alg.(string)
	}
	return "RS256"
}
