// Package bapitest is a scriptable fake Backend API for clerkkit's own unit
// tests: handlers per route pattern, request counting and recording. The
// full emulator for users of clerkkit is package clerktest.
package bapitest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"

	"github.com/clerkkit/clerkkit/internal/bapi"
	"github.com/clerkkit/clerkkit/metadata"
)

// Key is the secret key the fake expects.
const Key = "sk_test_bapitestbapitestbapitest0000"

// Request is a recorded request.
type Request struct {
	Method, Path string
	Query        url.Values
	Body         string
}

// Server is the fake.
type Server struct {
	*httptest.Server
	t     testing.TB
	mux   *http.ServeMux
	calls atomic.Int64
	mu    sync.Mutex
	reqs  []Request
}

// New starts a fake whose unknown routes answer Clerk's 404.
func New(t testing.TB) *Server {
	s := &Server{t: t, mux: http.NewServeMux()}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		Error(w, 404, "resource_not_found")
	})
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.calls.Add(1)
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.reqs = append(s.reqs, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Body: string(b)})
		s.mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer "+Key {
			Error(w, 401, "authentication_invalid")
			return
		}
		s.mux.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// Handle routes pattern ("GET /v1/users/{user_id}") to h.
func (s *Server) Handle(pattern string, h http.HandlerFunc) { s.mux.HandleFunc(pattern, h) }

// JSON routes pattern to a fixed JSON answer.
func (s *Server) JSON(pattern string, v any) {
	s.Handle(pattern, func(w http.ResponseWriter, r *http.Request) { JSON(w, 200, v) })
}

// Calls returns the number of requests received.
func (s *Server) Calls() int64 { return s.calls.Load() }

// Requests returns the recorded requests.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// Last returns the last recorded request.
func (s *Server) Last() Request {
	r := s.Requests()
	if len(r) == 0 {
		s.t.Fatal("bapitest: no request")
	}
	return r[len(r)-1]
}

// Backend returns a Backend for the fake whose retries do not sleep.
func (s *Server) Backend() clerk.Backend {
	b, err := bapi.NewBackend(bapi.Config{
		SecretKey: Key,
		APIURL:    s.URL,
		Sleep:     func(ctx context.Context, d time.Duration) error { return ctx.Err() },
	})
	if err != nil {
		s.t.Fatal(err)
	}
	return b
}

// JSON writes v with status.
func JSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// Error writes a Clerk error body.
func Error(w http.ResponseWriter, status int, code string) {
	JSON(w, status, map[string]any{
		"errors":         []map[string]any{{"code": code, "message": code, "long_message": code}},
		"clerk_trace_id": "trace-" + code,
	})
}

// Clock is a settable clock for the Now options of caches: it stands
// still until Add moves it.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a Clock at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the Clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the Clock forward by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Normalized returns the metadata raw in metadata.Normalize's form, for
// comparing what a call returned with a literal; it fails t when raw is
// not a JSON object.
func Normalized(t testing.TB, raw json.RawMessage) string {
	t.Helper()
	n, err := metadata.Normalize(raw)
	if err != nil {
		t.Fatalf("metadata %s: %v", raw, err)
	}
	return string(n)
}

// Pages answers a paged list endpoint as the Backend API does: the items
// item(offset) … item(offset+limit-1) of total, under key ("data", or
// e.g. "m2m_tokens"), with "total_count": total.
func Pages(key string, total int, item func(i int) any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		var data []any
		for i := offset; i < min(total, offset+limit); i++ {
			data = append(data, item(i))
		}
		JSON(w, 200, map[string]any{key: data, "total_count": total})
	}
}
