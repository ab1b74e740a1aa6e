package auth

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clerkkit/clerkkit/clerkerr"
	"github.com/clerkkit/clerkkit/internal/strictjson"
)

// Defaults of SessionCheckOptions.
const (
	// DefaultSessionCheckTTL is how long a session the Backend API
	// reported active is trusted without asking again: the longest a
	// revoked or ended session is still accepted by a SessionChecker.
	DefaultSessionCheckTTL = 10 * time.Second
	// DefaultSessionCheckNegativeTTL is how long a session the Backend
	// API reported revoked, ended or unknown is refused without asking
	// again. Those states are final, so it can be long.
	DefaultSessionCheckNegativeTTL = 10 * time.Minute
	// DefaultSessionCheckCacheSize bounds the active and the refused
	// sessions a SessionChecker remembers (each bound apart).
	DefaultSessionCheckCacheSize = 10_000
	// DefaultMaxSessionLookups bounds the Backend API session lookups
	// of a SessionChecker in flight at once; further lookups wait for a
	// slot.
	DefaultMaxSessionLookups = 10
)

// Errors of a SessionChecker.
var (
	// ErrSessionRevoked: the token verified, but the Backend API reports
	// its session no longer active (revoked, ended, removed, expired,
	// abandoned or replaced) or does not know it. Its reason,
	// "session-revoked", is clerkkit's own. The middleware answers 401.
	ErrSessionRevoked = &Error{"session-revoked", "session is no longer active"}
	// ErrSessionCheckUnavailable: the session's status could not be
	// obtained (the Backend API failed, timed out, rate limited or
	// answered what is not a session). The session is refused, fail
	// closed, but it is not known to be revoked: Unavailable reports it
	// and the middleware answers 503. Its reason is
	// "clerk-api-unavailable", as the middleware's other failed lookups.
	// Never cached.
	ErrSessionCheckUnavailable = &Error{"clerk-api-unavailable", "session status unavailable"}
)

// SessionCheckOptions tunes a SessionChecker. The zero value is ready to
// use.
type SessionCheckOptions struct {
	// TTL is how long an active session is trusted before the Backend
	// API is asked again: a session revoked or ended is refused at most
	// TTL (plus one lookup) after it happened, and each session costs at
	// most one Backend API call per TTL. Default 10s.
	TTL time.Duration
	// NegativeTTL is how long a session found revoked, ended or unknown
	// is refused without asking again. Default 10 min.
	NegativeTTL time.Duration
	// CacheSize bounds the active sessions remembered, and apart from
	// them the refused ones, so that refused sessions cannot evict active
	// ones. When more sessions than that are seen within a TTL, some are
	// looked up again before their TTL ends. Default 10 000 each.
	CacheSize int
	// MaxLookups bounds the Backend API lookups in flight; further ones
	// wait for a slot (within the Verifier's FetchTimeout). Default 10.
	MaxLookups int
}

// SessionChecker confirms, after a session token verified, that its
// session is still active, by asking the Backend API (GET
// /v1/sessions/{session_id}) — the counterpart of Firebase's
// VerifyIDTokenAndCheckRevoked. A session token stays valid until it
// expires (up to 60 s, or longer for tokens minted with a longer
// lifetime) even after its session is revoked; a SessionChecker narrows
// that window to its TTL.
//
// Answers are cached: an active session for TTL, a refused one for
// NegativeTTL. Concurrent checks of one session share one lookup. A
// lookup that fails refuses the session with ErrSessionCheckUnavailable
// (fail closed) and is not cached. Forget drops a session's answer, e.g.
// from a session.revoked or session.ended webhook handler, so that the
// next check asks again at once.
//
// It is safe for concurrent use.
type SessionChecker struct {
	v      *Verifier
	cfg    *resolved
	ttl    time.Duration
	negTTL time.Duration
	max    int
	sem    chan struct{}

	mu      sync.RWMutex
	active  map[string]time.Time     // session id -> trusted until
	refused map[string]refusedEntry  // session id -> why, until when
	flights map[string]*sessionCheck // lookups in flight

	calls atomic.Int64
}

type refusedEntry struct {
	status string
	until  time.Time
}

type sessionCheck struct {
	done chan struct{}
	res  sessionStatus
}

// sessionStatus is the outcome of one lookup.
type sessionStatus struct {
	active bool
	status string // the API's status, "not found", …
	err    error  // set when the lookup failed (not cached)
	final  bool   // the refusal is final: cache it for NegativeTTL
}

// NewSessionChecker returns a SessionChecker for the sessions of v's
// instance. It calls the Backend API at v's APIURL with v's SecretKey and
// HTTPClient, bounds each lookup by v's FetchTimeout and reads v's clock.
// It fails with an error wrapping clerkerr.ErrInvalidConfig when v has no
// SecretKey or an option is negative.
func NewSessionChecker(v *Verifier, o SessionCheckOptions) (*SessionChecker, error) {
	if v == nil {
		return nil, fmt.Errorf("%w: NewSessionChecker with a nil Verifier", clerkerr.ErrInvalidConfig)
	}
	if v.cfg.SecretKey == "" {
		return nil, fmt.Errorf("%w: a session check needs the Verifier's SecretKey", clerkerr.ErrInvalidConfig)
	}
	if o.TTL < 0 || o.NegativeTTL < 0 || o.CacheSize < 0 || o.MaxLookups < 0 {
		return nil, fmt.Errorf("%w: SessionCheckOptions must not be negative", clerkerr.ErrInvalidConfig)
	}
	c := &SessionChecker{
		v: v, cfg: v.cfg,
		ttl:     cmp.Or(o.TTL, DefaultSessionCheckTTL),
		negTTL:  cmp.Or(o.NegativeTTL, DefaultSessionCheckNegativeTTL),
		max:     cmp.Or(o.CacheSize, DefaultSessionCheckCacheSize),
		sem:     make(chan struct{}, cmp.Or(o.MaxLookups, DefaultMaxSessionLookups)),
		active:  make(map[string]time.Time),
		refused: make(map[string]refusedEntry),
		flights: make(map[string]*sessionCheck),
	}
	return c, nil
}

// TTL reports how long an active session is trusted without a lookup:
// the bound on how long a revoked session is still accepted.
func (c *SessionChecker) TTL() time.Duration { return c.ttl }

// Lookups reports how many Backend API lookups the checker has made.
func (c *SessionChecker) Lookups() int64 { return c.calls.Load() }

// Verify verifies token with the Verifier (see Verifier.Verify), then
// checks its session (see Check).
func (c *SessionChecker) Verify(ctx context.Context, token string) (*Session, error) {
	s, err := c.v.Verify(ctx, token)
	if err != nil {
		return nil, err
	}
	if err := c.Check(ctx, s.SessionID); err != nil {
		return nil, err
	}
	return s, nil
}

// Check returns nil when the session sessionID (a verified token's sid)
// is active, an error wrapping ErrSessionRevoked when it is not (or a
// pending session and the Verifier does not allow pending sessions), and
// one wrapping ErrSessionCheckUnavailable or ErrSecretKeyInvalid when its
// status could not be obtained. An empty sessionID (a token without sid)
// cannot be confirmed and fails with ErrMalformed.
func (c *SessionChecker) Check(ctx context.Context, sessionID string) error {
	if !validSessionID(sessionID) {
		return fail(ErrMalformed, "sid must be a Clerk session id to check the session")
	}
	now := c.cfg.Now()
	c.mu.RLock()
	until, ok := c.active[sessionID]
	if ok && now.Before(until) {
		c.mu.RUnlock()
		return nil
	}
	ref, refused := c.refused[sessionID]
	c.mu.RUnlock()
	if refused && now.Before(ref.until) {
		return fail(ErrSessionRevoked, "session is "+ref.status)
	}
	c.mu.Lock()
	// Again under the write lock: another goroutine may have stored it.
	if until, ok := c.active[sessionID]; ok {
		if now.Before(until) {
			c.mu.Unlock()
			return nil
		}
		delete(c.active, sessionID)
	}
	if ref, ok := c.refused[sessionID]; ok {
		if now.Before(ref.until) {
			c.mu.Unlock()
			return fail(ErrSessionRevoked, "session is "+ref.status)
		}
		delete(c.refused, sessionID)
	}
	f, ok := c.flights[sessionID]
	if !ok {
		f = &sessionCheck{done: make(chan struct{})}
		c.flights[sessionID] = f
		go c.run(context.WithoutCancel(ctx), sessionID, f)
	}
	c.mu.Unlock()
	select {
	case <-f.done:
		return f.res.result()
	case <-ctx.Done():
		return failCause(ErrSessionCheckUnavailable, "waiting for the session lookup", ctx.Err())
	}
}

func (r sessionStatus) result() error {
	switch {
	case r.err != nil:
		return r.err
	case r.active:
		return nil
	default:
		return fail(ErrSessionRevoked, "session is "+r.status)
	}
}

// Forget drops what the checker knows of the session sessionID, and makes
// a lookup of it already in flight not store its answer: the next Check
// asks the Backend API.
func (c *SessionChecker) Forget(sessionID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.active, sessionID)
	delete(c.refused, sessionID)
	delete(c.flights, sessionID)
}

// run looks the session up and stores the answer, unless Forget came in
// the meantime.
func (c *SessionChecker) run(ctx context.Context, sid string, f *sessionCheck) {
	defer close(f.done)
	f.res = c.lookup(ctx, sid)
	now := c.cfg.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.flights[sid] != f {
		return
	}
	delete(c.flights, sid)
	switch {
	case f.res.err != nil:
	case f.res.active:
		evictOne(c.active, c.max, now, func(t time.Time) time.Time { return t })
		c.active[sid] = now.Add(c.ttl)
	default:
		ttl := c.ttl
		if f.res.final {
			ttl = c.negTTL
		}
		evictOne(c.refused, c.max, now, func(e refusedEntry) time.Time { return e.until })
		c.refused[sid] = refusedEntry{status: f.res.status, until: now.Add(ttl)}
	}
}

// evictOne makes room for one entry in m: expired entries go first, else
// an arbitrary one (map order is random, so this samples).
func evictOne[V any](m map[string]V, max int, now time.Time, until func(V) time.Time) {
	if len(m) < max {
		return
	}
	var victim string
	found, n := false, 0
	for k, v := range m {
		if !now.Before(until(v)) {
			delete(m, k)
			found = true
		} else if n == 0 {
			victim = k
		}
		if n++; n >= 64 {
			break
		}
	}
	if !found {
		delete(m, victim)
	}
}

// validSessionID reports whether sid can be put in a URL path as is: a
// non-empty id of letters, digits and underscores, as Clerk's are.
func validSessionID(sid string) bool {
	if sid == "" || len(sid) > 128 {
		return false
	}
	for i := 0; i < len(sid); i++ {
		ch := sid[i]
		if !('a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' || '0' <= ch && ch <= '9' || ch == '_') {
			return false
		}
	}
	return true
}

// endedStatuses are the final statuses of a Clerk session (bapi-2025-04-10
// Session.status).
var endedStatuses = map[string]bool{
	"revoked": true, "ended": true, "removed": true, "expired": true, "abandoned": true, "replaced": true,
}

// lookup asks the Backend API for the session's status.
func (c *SessionChecker) lookup(ctx context.Context, sid string) sessionStatus {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.FetchTimeout)
	defer cancel()
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return sessionStatus{err: failCause(ErrSessionCheckUnavailable, "waiting for a lookup slot", ctx.Err())}
	}
	defer func() { <-c.sem }()
	c.calls.Add(1)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.cfg.APIURL+"/v1/sessions/"+url.PathEscape(sid), nil)
	if err != nil {
		return sessionStatus{err: failCause(ErrSessionCheckUnavailable, "request", err)}
	}
	req.Header.Set("Authorization", "Bearer "+c.cfg.SecretKey)
	req.Header.Set("Clerk-API-Version", c.cfg.APIVersion)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "clerkkit")
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return sessionStatus{err: failCause(ErrSessionCheckUnavailable, "Backend API request failed", errors.Unwrap(err))}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxVerifyBody+1))
	if err != nil {
		return sessionStatus{err: failCause(ErrSessionCheckUnavailable, "read response", err)}
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound:
		return sessionStatus{status: "not found", final: true}
	case http.StatusUnauthorized, http.StatusForbidden:
		return sessionStatus{err: fail(ErrSecretKeyInvalid, fmt.Sprintf("Backend API answered %d", resp.StatusCode))}
	default:
		return sessionStatus{err: fail(ErrSessionCheckUnavailable, fmt.Sprintf("Backend API answered %d", resp.StatusCode))}
	}
	if len(b) > maxVerifyBody {
		return sessionStatus{err: fail(ErrSessionCheckUnavailable, "response too large")}
	}
	var object, id, status string
	err = strictjson.Walk(b, maxJSONDepth, func(name, v []byte) error {
		var err error
		switch string(name) {
		case "object":
			object, err = jsonString(v)
		case "id":
			id, err = jsonString(v)
		case "status":
			status, err = jsonString(v)
		}
		return err
	})
	if err != nil || object != "session" || id != sid || status == "" {
		return sessionStatus{err: fail(ErrSessionCheckUnavailable, "the Backend API did not answer the session")}
	}
	switch {
	case status == "active", status == "pending" && c.cfg.AllowPendingSessions:
		return sessionStatus{active: true, status: status}
	case endedStatuses[status]:
		return sessionStatus{status: status, final: true}
	default:
		// pending (not allowed) or a status this code does not know:
		// refused, but only for TTL, since it may change.
		return sessionStatus{status: status}
	}
}
