package clerktest

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// FaultKind is how a Fault breaks the answer to a request.
type FaultKind int

// The kinds of fault.
const (
	// FaultNone breaks nothing by itself: the request is answered
	// normally after the Fault's Latency, or with its Status.
	FaultNone FaultKind = iota
	// FaultDown closes the connection without an answer, as when the
	// service is down; clients see a transport error. Go's http.Transport
	// retries an idempotent request (GET, DELETE…) once when a kept-alive
	// connection closes before any answer, so to make one such request
	// fail, let the fault apply twice (Times: 2).
	FaultDown
	// FaultGarbage answers 200 OK with an HTML body that is not JSON.
	FaultGarbage
	// FaultEmptySet answers 200 OK with an empty set: {"keys":[]} from the
	// JWKS routes (and any other path of an Issuer),
	// {"data":[],"total_count":0} from GET /v1/domains. An emulator Server
	// takes it only for the Issuer's routes.
	FaultEmptySet
)

// String returns the name of the constant, e.g. "FaultDown".
func (k FaultKind) String() string {
	switch k {
	case FaultNone:
		return "FaultNone"
	case FaultDown:
		return "FaultDown"
	case FaultGarbage:
		return "FaultGarbage"
	case FaultEmptySet:
		return "FaultEmptySet"
	}
	return "FaultKind(" + strconv.Itoa(int(k)) + ")"
}

// Fault is a misbehaviour that InjectFault (of an Issuer, or of an
// emulator Server) applies to matching requests, after counting them and
// before checking the secret key. It waits Latency, then breaks the answer
// as Kind says, or answers Status; a Fault with neither Kind nor Status
// only delays.
type Fault struct {
	// Route limits the fault to one route, "METHOD /path/template" as the
	// Backend API spec writes it, e.g. "GET /v1/jwks" (see Issuer.Routes);
	// "" matches every request.
	Route string
	// Kind is how the answer breaks. It cannot be combined with Status.
	Kind FaultKind
	// Status, when not 0, is answered instead of the real response, with
	// a Clerk error body (e.g. 429, 500, 503).
	Status int
	// RetryAfter, when positive, is sent with Status as the Retry-After
	// header, in whole seconds rounded up (Clerk sends it with 429).
	RetryAfter time.Duration
	// Latency delays the answer (or the hang-up). A request whose client
	// gives up meanwhile is dropped; Close ends the wait, dropping the
	// request without an answer.
	Latency time.Duration
	// Times is how many matching requests the fault affects; 0 means every
	// one until ClearFaults.
	Times int
}

// check reports what is wrong with f, ignoring its Route.
func (f Fault) check() error {
	switch {
	case f.Kind < FaultNone || f.Kind > FaultEmptySet:
		return fmt.Errorf("unknown Kind %v", f.Kind)
	case f.Status != 0 && (f.Status < 100 || f.Status > 599):
		return fmt.Errorf("Status %d outside 100..599", f.Status)
	case f.Status != 0 && f.Kind != FaultNone:
		return fmt.Errorf("both Kind %v and Status %d", f.Kind, f.Status)
	case f.RetryAfter != 0 && f.Status == 0:
		return fmt.Errorf("RetryAfter without Status")
	case f.Times < 0 || f.Latency < 0 || f.RetryAfter < 0:
		return fmt.Errorf("negative Times, Latency or RetryAfter")
	}
	return nil
}

// faultList is the faults of an Issuer; Issuer.mu guards it.
type faultList []*activeFault

type activeFault struct {
	Fault
	left int // remaining uses when Times > 0
}

// take returns the fault that applies to a request for route, using one
// of its uses, or nil.
func (l *faultList) take(route string) *Fault {
	for i, f := range *l {
		if f.Route != "" && f.Route != route {
			continue
		}
		out := f.Fault
		if f.Times > 0 {
			f.left--
			if f.left == 0 {
				*l = slices.Delete(*l, i, i+1)
			}
		}
		return &out
	}
	return nil
}

// InjectFault adds f. Faults apply in the order they were added: a
// request meets the first one whose Route matches and that has uses left.
// It panics on a Route the Issuer does not serve (see Routes), on Kind
// combined with Status, on
// RetryAfter without Status, on a negative Times, Latency or RetryAfter,
// and on a Status outside 100..599. Requests already being answered are
// not affected.
func (iss *Issuer) InjectFault(f Fault) {
	if err := f.check(); err != nil {
		panic("clerktest: InjectFault: " + err.Error())
	}
	if routes := iss.Routes(); f.Route != "" && !slices.Contains(routes, f.Route) {
		panic(fmt.Sprintf("clerktest: InjectFault: the Issuer has no route %q; its routes are %s", f.Route, strings.Join(routes, ", ")))
	}
	iss.mu.Lock()
	defer iss.mu.Unlock()
	iss.faults = append(iss.faults, &activeFault{Fault: f, left: f.Times})
}

// ClearFaults removes every fault InjectFault added.
func (iss *Issuer) ClearFaults() {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	iss.faults = nil
}

// Server paths.
const (
	pathFrontendJWKS = "/.well-known/jwks.json"
	pathBackendJWKS  = "/v1/jwks"
	pathDomains      = "/v1/domains"
)

// Routes returns the routes the Issuer serves, sorted, in the form
// Fault.Route takes: "GET /.well-known/jwks.json", "GET /v1/domains" and
// "GET /v1/jwks".
func (iss *Issuer) Routes() []string {
	return []string{"GET " + pathFrontendJWKS, "GET " + pathDomains, "GET " + pathBackendJWKS}
}

// Handler returns the handler of the Issuer's server: the Backend API's
// GET /v1/jwks and GET /v1/domains, which demand "Authorization: Bearer
// <SecretKey>", the Frontend API's GET /.well-known/jwks.json, and Clerk's
// 404 for anything else. It counts fetches (JWKSFetches, DomainsFetches)
// and applies the faults of InjectFault, so that a server of its own, such
// as the emulator's, can serve these routes as the Issuer does at URL().
func (iss *Issuer) Handler() http.Handler { return iss.handler }

func (iss *Issuer) newHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+pathFrontendJWKS, iss.serveJWKS)
	mux.HandleFunc("GET "+pathBackendJWKS, iss.requireSecret(iss.serveJWKS))
	mux.HandleFunc("GET "+pathDomains, iss.requireSecret(iss.serveDomains))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeClerkError(w, http.StatusNotFound, "resource_not_found", "not found",
			"The requested resource "+r.URL.Path+" was not found")
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pattern := mux.Handler(r)
		switch r.URL.Path {
		case pathFrontendJWKS, pathBackendJWKS:
			iss.jwksFetches.Add(1)
		case pathDomains:
			iss.domainsFetches.Add(1)
		}
		iss.mu.Lock()
		f := iss.faults.take(pattern)
		iss.mu.Unlock()
		if f != nil && iss.applyFault(w, r, f) {
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// applyFault carries out f and reports whether the request is finished.
func (iss *Issuer) applyFault(w http.ResponseWriter, r *http.Request, f *Fault) bool {
	if f.Latency > 0 {
		t := time.NewTimer(f.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return true
		case <-iss.done:
			t.Stop()
			hangUp(w)
			return true
		}
	}
	switch {
	case f.Kind == FaultDown:
		hangUp(w)
	case f.Kind == FaultGarbage:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		w.Write([]byte("<html><body>502 Bad Gateway</body></html>\n"))
	case f.Kind == FaultEmptySet && r.URL.Path == pathDomains:
		writeJSON(w, http.StatusOK, map[string]any{"data": []any{}, "total_count": 0})
	case f.Kind == FaultEmptySet:
		writeJSON(w, http.StatusOK, map[string]any{"keys": []any{}})
	case f.Status != 0:
		if f.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(f.RetryAfter.Seconds()))))
		}
		code, msg, long := faultError(f.Status)
		writeClerkError(w, f.Status, code, msg, long)
	default:
		return false
	}
	return true
}

// faultError is the Clerk error answered for an injected status: its
// code, message and long message. The emulator answers the same.
func faultError(status int) (code, msg, long string) {
	switch status {
	case http.StatusTooManyRequests:
		return "too_many_requests", "Too Many Requests", "Too many requests, retry later"
	case http.StatusUnauthorized:
		return "authentication_invalid", "Invalid authentication", "Unable to authenticate the request."
	case http.StatusForbidden:
		return "authorization_invalid", "Unauthorized request", "You are not authorized to perform this request."
	case http.StatusNotFound:
		return "resource_not_found", "not found", "Resource not found"
	}
	if status >= 500 {
		return "internal_clerk_error", "Oops, an unexpected error occurred",
			"There was an internal error on our servers. We've been notified and are working on fixing it."
	}
	text := http.StatusText(status)
	if text == "" {
		text = "Status " + strconv.Itoa(status)
	}
	return strings.ToLower(strings.ReplaceAll(text, " ", "_")), text, text
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
