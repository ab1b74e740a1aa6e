// Session refresh: POST /v1/sessions/{session_id}/refresh, which Clerk's
// JS SDK calls with an expired session token and the __refresh cookie.

package emulator

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerktest"
)

type refreshSessionBody struct {
	ExpiredToken  *string          `json:"expired_token"`
	RefreshToken  *string          `json:"refresh_token"`
	RequestOrigin *string          `json:"request_origin"`
	Format        nullable[string] `json:"format"`
}

type cookiesJSON struct {
	Object  string   `json:"object"`
	Cookies []string `json:"cookies"`
}

// refreshSession is POST /v1/sessions/{session_id}/refresh, which Clerk's
// JS SDK calls when a request brings an expired session token and the
// __refresh cookie: the expired token must be one the Issuer signed with
// its current key for this session (its expiry does not matter) and the
// refresh token the session's (see SessionRefreshToken). It answers a new
// session token as {"object":"token","jwt":…}, or with format "cookie"
// as Set-Cookie values for __session and, with ?suffixed_cookies=true,
// __session_<suffix> too. A wrong token is 400 (expired_token_invalid or
// refresh_token_invalid), a session that is not active 404.
func (s *Server) refreshSession(c *call, b *refreshSessionBody) (any, *apiError) {
	for _, p := range []struct {
		name string
		v    *string
	}{{"expired_token", b.ExpiredToken}, {"refresh_token", b.RefreshToken}, {"request_origin", b.RequestOrigin}} {
		if p.v == nil || *p.v == "" {
			return nil, errMissing(p.name)
		}
	}
	format := "token"
	if b.Format.set && !b.Format.null {
		format = b.Format.v
	}
	if format != "token" && format != "cookie" {
		return nil, errValue("format", "format must be token or cookie.")
	}
	suffixed, e := parseBool(c.r.URL.Query(), "suffixed_cookies")
	if e != nil {
		return nil, e
	}
	se, e := c.session()
	if e != nil {
		return nil, e
	}
	if !s.ownSessionToken(*b.ExpiredToken, se.id) {
		return nil, &apiError{status: http.StatusBadRequest, code: "expired_token_invalid", msg: "Invalid expired token",
			long: "expired_token is not a session token of session " + se.id + " signed by this instance.", param: "expired_token"}
	}
	if subtle.ConstantTimeCompare([]byte(*b.RefreshToken), []byte(se.refreshToken)) != 1 {
		return nil, &apiError{status: http.StatusBadRequest, code: "refresh_token_invalid", msg: "Invalid refresh token",
			long: "refresh_token is not the refresh token of session " + se.id + ".", param: "refresh_token"}
	}
	jwt, e := s.mintToken(se, clerktest.TokenLifetime)
	if e != nil {
		return nil, e
	}
	if format == "token" {
		return tokenJSON{Object: "token", JWT: jwt}, nil
	}
	cookie := func(name string) string { return name + "=" + jwt + "; Path=/; SameSite=Lax" }
	out := cookiesJSON{Object: "cookies", Cookies: []string{cookie(auth.SessionCookie)}}
	if suffixed {
		out.Cookies = append(out.Cookies, cookie(auth.SessionCookie+"_"+auth.CookieSuffix(s.PublishableKey())))
	}
	return out, nil
}

// ownSessionToken reports whether token is a session token for sessionID
// signed with the Issuer's current key, whatever its expiry.
func (s *Server) ownSessionToken(token, sessionID string) bool {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return false
	}
	hb, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	pb, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	sig, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil {
		return false
	}
	var h struct {
		Alg string `json:"alg"`
		Cat string `json:"cat"`
	}
	var p struct {
		Sid string `json:"sid"`
	}
	if json.Unmarshal(hb, &h) != nil || json.Unmarshal(pb, &p) != nil || h.Alg != "RS256" ||
		(h.Cat != "" && h.Cat != clerktest.CategorySession) || p.Sid != sessionID {
		return false
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	return rsa.VerifyPKCS1v15(&s.iss.PrivateKey().PublicKey, crypto.SHA256, sum[:], sig) == nil
}

// SessionRefreshToken returns the refresh token of a session, the value
// Clerk's Frontend API keeps in the __refresh cookie and POST
// /v1/sessions/{session_id}/refresh demands.
func (s *Server) SessionRefreshToken(sessionID string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	se, e := s.st.session(sessionID)
	if e != nil {
		return "", e.err()
	}
	return se.refreshToken, nil
}
