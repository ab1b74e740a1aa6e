package clerktest

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Failure is a way for the Issuer's server to misbehave, set with
// SetFailure. It applies to every endpoint, before the secret key is
// checked, and after any latency set with SetLatency.
type Failure int

// The failure modes.
const (
	// FailureNone: the server answers normally.
	FailureNone Failure = iota
	// FailureDown: every connection is closed without an answer, as when
	// the service is down; clients see a transport error.
	FailureDown
	// Failure500: 500 Internal Server Error with a Clerk error body.
	Failure500
	// FailureGarbage: 200 OK with an HTML body that is not JSON.
	FailureGarbage
	// FailureEmptySet: 200 OK with an empty set: {"keys":[]} from the JWKS
	// endpoints, {"data":[],"total_count":0} from /v1/domains.
	FailureEmptySet
)

// String returns the name of the constant, e.g. "FailureDown".
func (f Failure) String() string {
	switch f {
	case FailureNone:
		return "FailureNone"
	case FailureDown:
		return "FailureDown"
	case Failure500:
		return "Failure500"
	case FailureGarbage:
		return "FailureGarbage"
	case FailureEmptySet:
		return "FailureEmptySet"
	}
	return "Failure(" + strconv.Itoa(int(f)) + ")"
}

// SetFailure makes every later request fail in mode f; FailureNone
// restores normal service. Requests already being answered are not
// affected.
func (iss *Issuer) SetFailure(f Failure) {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	iss.failure = f
}

// SetLatency delays every later request by d before it is answered (or
// failed); 0 removes the delay. A request whose client gives up, or that
// is still waiting when the Issuer is closed, is dropped without an answer.
func (iss *Issuer) SetLatency(d time.Duration) {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	iss.latency = d
}

// Server paths.
const (
	pathFrontendJWKS = "/.well-known/jwks.json"
	pathBackendJWKS  = "/v1/jwks"
	pathDomains      = "/v1/domains"
)

func (iss *Issuer) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+pathFrontendJWKS, iss.serveJWKS)
	mux.HandleFunc("GET "+pathBackendJWKS, iss.requireSecret(iss.serveJWKS))
	mux.HandleFunc("GET "+pathDomains, iss.requireSecret(iss.serveDomains))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeClerkError(w, http.StatusNotFound, "resource_not_found", "not found",
			"The requested resource "+r.URL.Path+" was not found")
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case pathFrontendJWKS, pathBackendJWKS:
			iss.jwksFetches.Add(1)
		case pathDomains:
			iss.domainsFetches.Add(1)
		}
		iss.mu.RLock()
		failure, latency := iss.failure, iss.latency
		iss.mu.RUnlock()
		if latency > 0 {
			t := time.NewTimer(latency)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			case <-iss.done:
				t.Stop()
				hangUp(w)
				return
			}
		}
		switch failure {
		case FailureDown:
			hangUp(w)
		case Failure500:
			writeClerkError(w, http.StatusInternalServerError, "internal_clerk_error",
				"Oops, an unexpected error occurred", "There was an internal error on our servers. We've been notified and are working on fixing it.")
		case FailureGarbage:
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusOK)
			w.Write([]byte("<html><body>502 Bad Gateway</body></html>\n"))
		case FailureEmptySet:
			if r.URL.Path == pathDomains {
				writeJSON(w, http.StatusOK, map[string]any{"data": []any{}, "total_count": 0})
			} else {
				writeJSON(w, http.StatusOK, map[string]any{"keys": []any{}})
			}
		default:
			mux.ServeHTTP(w, r)
		}
	})
}

// hangUp closes the connection without writing a response.
func hangUp(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // the server drops the connection
	}
	conn.Close()
}

// requireSecret answers 401 unless the request carries
// "Authorization: Bearer <secret key>".
func (iss *Issuer) requireSecret(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		if h == "" {
			writeClerkError(w, http.StatusUnauthorized, "authentication_invalid", "Invalid authentication",
				"The Authorization header is missing. Send your secret key as \"Authorization: Bearer sk_…\".")
			return
		}
		scheme, key, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(key)), []byte(iss.secretKey)) != 1 {
			writeClerkError(w, http.StatusUnauthorized, "authentication_invalid", "Invalid authentication",
				"The secret key in the Authorization header is not valid for this instance.")
			return
		}
		next(w, r)
	}
}

// jwk is one published key, in the shape Clerk serves.
type jwk struct {
	Use string `json:"use"`
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	N   string `json:"n"`
	E   string `json:"e"`
}

func (iss *Issuer) serveJWKS(w http.ResponseWriter, r *http.Request) {
	iss.mu.RLock()
	keys := make([]jwk, len(iss.published))
	for i, k := range iss.published {
		pub := k.key.PublicKey
		keys[i] = jwk{
			Use: "sig",
			Kty: "RSA",
			Kid: k.kid,
			Alg: "RS256",
			N:   base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
			E:   base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
		}
	}
	iss.mu.RUnlock()
	writeJSON(w, http.StatusOK, map[string]any{"keys": keys})
}

func (iss *Issuer) serveDomains(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(iss.host, "clerk.")
	portal := "https://accounts." + name
	if slug, ok := strings.CutSuffix(iss.host, ".clerk.accounts.dev"); ok {
		portal = "https://" + slug + ".accounts.dev"
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"data": []map[string]any{{
			"object":              "domain",
			"id":                  iss.domainID,
			"name":                name,
			"is_satellite":        false,
			"frontend_api_url":    iss.IssuerURL(),
			"accounts_portal_url": portal,
			"proxy_url":           nil,
			"development_origin":  "",
			"cname_targets":       nil,
		}},
		"total_count": 1,
	})
}

// writeClerkError writes Clerk's Backend API error shape.
func writeClerkError(w http.ResponseWriter, status int, code, msg, long string) {
	writeJSON(w, status, map[string]any{
		"errors": []map[string]any{{
			"code":         code,
			"message":      msg,
			"long_message": long,
			"meta":         map[string]any{},
		}},
		"clerk_trace_id": strings.ToLower(randomString(32)),
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic("clerktest: encode response: " + err.Error()) // only our own values are encoded
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}
