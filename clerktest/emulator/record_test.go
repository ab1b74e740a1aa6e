package emulator_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sync"
	"testing"

	"github.com/clerkkit/clerkkit/clerktest/emulator"
)

// envSpecRecord names the variable that makes this package's tests record
// what their Servers send: set to a file, every Server started through
// newServer (or newAPI) appends to it one JSON line (a specRecord) per
// response it writes and, once it is closed, one per webhook delivery it
// made. The conformance module (../../conformance/emulatorspec) runs
// these tests so and validates each line against Clerk's Backend API and
// webhook specs; unset, the tests record nothing.
const envSpecRecord = "CLERKKIT_SPEC_RECORD"

// specRecord is one line of the record. The conformance module decodes
// the same fields.
type specRecord struct {
	// Kind is "response" or "webhook".
	Kind string `json:"kind"`
	// Test is the name of the test that started the Server.
	Test string `json:"test"`

	// A response: the request's method and path with query, and the
	// status, header and body written.
	Method string      `json:"method,omitempty"`
	Target string      `json:"target,omitempty"`
	Status int         `json:"status,omitempty"`
	Header http.Header `json:"header,omitempty"`
	Body   []byte      `json:"body,omitempty"`

	// A webhook delivery: its svix-id, event type, endpoint and payload.
	MessageID string `json:"message_id,omitempty"`
	EventType string `json:"event_type,omitempty"`
	Endpoint  string `json:"endpoint,omitempty"`
	Payload   []byte `json:"payload,omitempty"`
}

// specRecorder appends one test's records to the record file.
type specRecorder struct {
	test, path string

	mu   sync.Mutex
	errs []error
}

// record appends rec as one line. It runs on the Server's goroutines, so
// it keeps errors for report instead of failing the test there.
func (r *specRecorder) record(rec specRecord) {
	rec.Test = r.test
	line, err := json.Marshal(rec)
	if err == nil {
		err = appendLine(r.path, append(line, '\n'))
	}
	if err != nil {
		r.mu.Lock()
		r.errs = append(r.errs, fmt.Errorf("record %s %s%s: %w", rec.Kind, rec.Method, rec.Target, err))
		r.mu.Unlock()
	}
}

// appendLine writes line at the end of the file path with one write, so
// that the lines of concurrent tests do not interleave.
func appendLine(path string, line []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(line); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// observe records one response of the Server.
func (r *specRecorder) observe(req *http.Request, status int, header http.Header, body []byte) {
	r.record(specRecord{Kind: "response", Method: req.Method, Target: req.URL.RequestURI(),
		Status: status, Header: header, Body: body})
}

// deliveries records every webhook delivery of srv.
func (r *specRecorder) deliveries(srv *emulator.Server) {
	for _, d := range srv.Deliveries() {
		r.record(specRecord{Kind: "webhook", MessageID: d.MessageID, EventType: d.EventType,
			Endpoint: d.Endpoint, Payload: d.Payload})
	}
}

// report fails t with the errors met while recording.
func (r *specRecorder) report(t testing.TB) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, err := range r.errs {
		t.Errorf("%s: %v", envSpecRecord, err)
	}
}

// newServer starts a Server for t (see emulator.NewServer). With
// CLERKKIT_SPEC_RECORD set, it records the Server's responses and, once
// the Server is closed, its webhook deliveries (see envSpecRecord).
func newServer(t testing.TB, opts ...emulator.Options) *emulator.Server {
	t.Helper()
	path := os.Getenv(envSpecRecord)
	if path == "" || len(opts) > 1 { // more than one: NewServer fails t
		return emulator.NewServer(t, opts...)
	}
	var o emulator.Options
	if len(opts) == 1 {
		o = opts[0]
	}
	r := &specRecorder{test: t.Name(), path: path}
	var srv *emulator.Server
	t.Cleanup(func() { // runs after NewServer's Close
		if srv != nil {
			r.deliveries(srv)
		}
		r.report(t)
	})
	srv = emulator.NewServer(t, emulator.WithResponseObserver(o, r.observe))
	return srv
}
