package bapitest

import (
	"bytes"
	"io"
	"net/http"
	"sync"
)

// Hold is an http.RoundTripper over Base that can hold back one response:
// the request matching an armed predicate is sent and answered by Base at
// once (so the answer reflects the server's state at that moment), and is
// handed to the caller only when released. It makes "a lookup in flight
// while something changes" deterministic.
type Hold struct {
	// Base sends the requests; nil means http.DefaultTransport.
	Base http.RoundTripper

	mu    sync.Mutex
	armed *Held
}

// Held is one held-back response.
type Held struct {
	match    func(*http.Request) bool
	answered chan struct{}
	release  chan struct{}
	once     sync.Once
}

// Arm holds the next request for which match returns true.
func (h *Hold) Arm(match func(*http.Request) bool) *Held {
	h.mu.Lock()
	defer h.mu.Unlock()
	hd := &Held{match: match, answered: make(chan struct{}), release: make(chan struct{})}
	h.armed = hd
	return hd
}

// Answered is closed once the server has answered the held request.
func (hd *Held) Answered() <-chan struct{} { return hd.answered }

// Release lets the held response through. It may be called more than once.
func (hd *Held) Release() { hd.once.Do(func() { close(hd.release) }) }

// RoundTrip implements http.RoundTripper.
func (h *Hold) RoundTrip(r *http.Request) (*http.Response, error) {
	base := h.Base
	if base == nil {
		base = http.DefaultTransport
	}
	h.mu.Lock()
	hd := h.armed
	if hd != nil && hd.match(r) {
		h.armed = nil
	} else {
		hd = nil
	}
	h.mu.Unlock()
	resp, err := base.RoundTrip(r)
	if hd == nil {
		return resp, err
	}
	if err == nil {
		body, rerr := io.ReadAll(resp.Body)
		resp.Body.Close()
		if rerr != nil {
			err, resp = rerr, nil
		} else {
			resp.Body = io.NopCloser(bytes.NewReader(body))
		}
	}
	close(hd.answered)
	select {
	case <-hd.release:
	case <-r.Context().Done():
		if resp != nil {
			resp.Body.Close()
		}
		return nil, r.Context().Err()
	}
	return resp, err
}

// Route matches requests with this method and path.
func Route(method, path string) func(*http.Request) bool {
	return func(r *http.Request) bool { return r.Method == method && r.URL.Path == path }
}
