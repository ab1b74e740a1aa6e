package bapi

import (
	"bytes"
	"context"
	"fmt"
	"github.com/clerkkit/clerkkit/clerkerr"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// RetryPolicy says how failed Backend API requests are retried.
// The zero value is the default policy.
type RetryPolicy struct {
	// Disabled turns retries off: every request is sent once.
	Disabled bool
	// MaxAttempts bounds the attempts per call, the first included.
	// Default 4.
	MaxAttempts int
	// MaxWait bounds the total time spent waiting between attempts of one
	// call. A Retry-After longer than what is left ends the call at once.
	// Default 30s.
	MaxWait time.Duration
	// BaseDelay is the backoff before the second attempt; it doubles for
	// each later one, up to MaxDelay, with full jitter. Default 250ms.
	BaseDelay time.Duration
	// MaxDelay caps one backoff delay. Default 5s.
	MaxDelay time.Duration
}

// Defaults.
const (
	DefaultMaxAttempts    = 4
	DefaultMaxWait        = 30 * time.Second
	DefaultBaseDelay      = 250 * time.Millisecond
	DefaultMaxDelay       = 5 * time.Second
	DefaultRequestTimeout = 15 * time.Second
	maxErrorBody          = 64 << 10
	maxDrain              = 64 << 10
)

func (p RetryPolicy) resolve() RetryPolicy {
	if p.MaxAttempts == 0 {
		p.MaxAttempts = DefaultMaxAttempts
	}
	if p.Disabled {
		p.MaxAttempts = 1
	}
	if p.MaxWait == 0 {
		p.MaxWait = DefaultMaxWait
	}
	if p.BaseDelay == 0 {
		p.BaseDelay = DefaultBaseDelay
	}
	if p.MaxDelay == 0 {
		p.MaxDelay = DefaultMaxDelay
	}
	if p.MaxDelay < p.BaseDelay {
		p.MaxDelay = p.BaseDelay
	}
	return p
}

// origin is a URL's scheme, host and port, compared exactly (the host
// case-insensitively); the port is explicit (80 or 443 by default).
type origin struct{ scheme, host, port string }

func originOf(u *url.URL) origin {
	o := origin{scheme: strings.ToLower(u.Scheme), host: strings.ToLower(u.Hostname()), port: u.Port()}
	if o.port == "" {
		switch o.scheme {
		case "http":
			o.port = "80"
		case "https":
			o.port = "443"
		}
	}
	return o
}

// String is the origin as scheme://host:port, with no path or query (a
// redirect target's could carry anything).
func (o origin) String() string {
	host := o.host
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return o.scheme + "://" + host + ":" + o.port
}

// refuseRedirects is the CheckRedirect of the Backend's http.Client: it
// follows no redirect, and says where it pointed (origin only).
func refuseRedirects(req *http.Request, _ []*http.Request) error {
	code := 0
	if req.Response != nil {
		code = req.Response.StatusCode
	}
	return fmt.Errorf("%w (%d to %s)", clerkerr.ErrRedirect, code, originOf(req.URL))
}

// Transport is the http.RoundTripper installed under clerk-sdk-go's
// backend. It sets the authentication and version headers, bounds each
// attempt, retries what is safe to retry, and records the final error
// response for the clerkerr.APIError. It sends requests to the API's origin only:
// any other is refused, so the secret key goes nowhere else.
type Transport struct {
	base           http.RoundTripper
	origin         origin
	key            string
	apiVersion     string
	userAgent      string
	policy         RetryPolicy
	requestTimeout time.Duration
	sleep          func(context.Context, time.Duration) error
	now            func() time.Time
	jitter         func(n int64) int64
}

// capture is where the transport leaves the final response of one
// Backend.Call, found through the request context.
type capture struct {
	mu       sync.Mutex
	status   int
	header   http.Header
	body     []byte
	attempts int
}

type captureKey struct{}

func (c *capture) record(status int, h http.Header, body []byte, attempts int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.status, c.header, c.body, c.attempts = status, h, body, attempts
}

func (c *capture) get() (int, http.Header, []byte, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status, c.header, c.body, c.attempts
}

// idempotent reports whether a request with this method may be repeated
// after a failure that might have happened after it was processed.
func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	capt, _ := ctx.Value(captureKey{}).(*capture)
	if got := originOf(req.URL); got != t.origin {
		// Fail closed: whatever built this request (a redirect followed
		// by a client that should not, a bug), the key stays home.
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, fmt.Errorf("%w (%s)", clerkerr.ErrOffOrigin, got)
	}
	r := req.Clone(ctx)
	r.Header.Set("Authorization", "Bearer "+t.key)
	r.Header.Set("Clerk-API-Version", t.apiVersion)
	r.Header.Set("User-Agent", t.userAgent)
	hasBody := req.Body != nil && req.Body != http.NoBody

	var waited time.Duration
	for attempt := 1; ; attempt++ {
		if attempt > 1 && hasBody {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			r.Body = body
		}
		resp, err := t.once(ctx, r)
		last := attempt >= t.policy.MaxAttempts || (hasBody && req.GetBody == nil)

		var delay time.Duration
		if err != nil {
			if ctx.Err() != nil || last || !idempotent(r.Method) {
				return nil, err
			}
			delay = t.backoff(attempt)
		} else {
			retry := resp.StatusCode == http.StatusTooManyRequests ||
				(idempotent(r.Method) && (resp.StatusCode == http.StatusBadGateway ||
					resp.StatusCode == http.StatusServiceUnavailable ||
					resp.StatusCode == http.StatusGatewayTimeout))
			if !retry || last {
				return t.finish(resp, capt, attempt), nil
			}
			if ra, ok := parseRetryAfter(resp.Header.Get("Retry-After"), t.now()); ok {
				if waited+ra > t.policy.MaxWait {
					// The server asked for more than the budget allows:
					// give up now rather than wait for nothing.
					return t.finish(resp, capt, attempt), nil
				}
				delay = ra
			} else {
				delay = t.backoff(attempt)
			}
		}
		if waited+delay > t.policy.MaxWait {
			delay = t.policy.MaxWait - waited
			if delay <= 0 {
				if err != nil {
					return nil, err
				}
				return t.finish(resp, capt, attempt), nil
			}
		}
		if resp != nil {
			drain(resp.Body)
		}
		if err := t.sleep(ctx, delay); err != nil {
			return nil, err
		}
		waited += delay
	}
}

// once sends one attempt, bounded by the request timeout; the bound also
// covers reading the body, and is released when the body is closed.
func (t *Transport) once(ctx context.Context, r *http.Request) (*http.Response, error) {
	if t.requestTimeout <= 0 {
		return t.base.RoundTrip(r)
	}
	actx, cancel := context.WithTimeout(ctx, t.requestTimeout)
	resp, err := t.base.RoundTrip(r.WithContext(actx))
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = &cancelBody{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// finish hands resp to the caller, after recording an error response (its
// body read, bounded, and replaced so clerk-sdk-go can still read it).
func (t *Transport) finish(resp *http.Response, capt *capture, attempts int) *http.Response {
	if capt == nil {
		return resp
	}
	if resp.StatusCode < 400 {
		capt.record(resp.StatusCode, resp.Header, nil, attempts)
		return resp
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	drain(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	capt.record(resp.StatusCode, resp.Header, body, attempts)
	return resp
}

// backoff returns the full-jitter delay before attempt+1.
func (t *Transport) backoff(attempt int) time.Duration {
	d := t.policy.BaseDelay
	for i := 1; i < attempt && d < t.policy.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, t.policy.MaxDelay)
	if d <= 0 {
		return 0
	}
	return time.Duration(t.jitter(int64(d) + 1))
}

// drain reads a little of body, so the connection can be reused, and
// closes it.
func drain(body io.ReadCloser) {
	io.Copy(io.Discard, io.LimitReader(body, maxDrain))
	body.Close()
}

type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// parseRetryAfter reads a Retry-After value: delay seconds or an
// HTTP-date. A date in the past gives 0.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if v[0] >= '0' && v[0] <= '9' {
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return 0, false
		}
		return time.Duration(n) * time.Second, true
	}
	at, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	if d := at.Sub(now); d > 0 {
		return d, true
	}
	return 0, true
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}

func randInt64N(n int64) int64 { return rand.Int64N(n) }
