package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// MachineCache is a store shared by Verifiers (typically the replicas of
// one service, for example through Redis) in which they keep the outcome of
// verifying opaque machine tokens through the Backend API, so that one
// token costs one Backend API call per Config.MachineCacheTTL across all
// of them, not one per replica.
//
// The contract (authtest.RunMachineCacheContract, in package
// github.com/clerkkit/clerkkit/auth/authtest, checks it from an
// implementation's own tests):
//
//   - Keys are printable ASCII strings of at most 128 bytes, derived from a
//     hash of the instance's secret key and the token; they never contain a
//     token. Values are opaque bytes of at most 64 KiB, to be stored and
//     returned unchanged.
//   - Get returns the value most recently Set for key and ok true, or ok
//     false (and no error) when there is none or its ttl has passed. It
//     never returns a value after its ttl: a late expiry would lengthen the
//     delay before a revoked token is refused.
//   - Set stores value for ttl (> 0), replacing any value for key.
//   - Lease claims key's lease for owner for ttl and reports whether it
//     did: while a lease is held (until it expires or its owner releases
//     it) every other Lease of that key, by any owner in any process,
//     returns false. It is atomic: of concurrent claims at most one wins.
//     A lease is separate from the value: Set neither takes nor ends one,
//     and Lease never creates a value.
//   - Release ends key's lease if owner holds it, and does nothing (no
//     error) otherwise: an owner whose lease expired and was claimed by
//     another never ends the other's lease.
//   - Every method honours ctx, returning promptly with an error once it is
//     done, and is safe for concurrent use.
//
// The Verifier calls the store with a short timeout
// (Config.MachineCacheTimeout) and treats any error, timeout or
// undecodable value as a miss: it then verifies the token with the Backend
// API itself, never accepting a token because the store failed. A lost
// Lease means another Verifier is calling the Backend API: the loser polls
// Get (and retries Lease, in case the winner gave up) until the result
// appears, for at most Config.FetchTimeout plus a second, then verifies
// directly.
//
// Whoever can write to the store can make any token valid: protect it as
// the secret key is protected.
type MachineCache interface {
	Get(ctx context.Context, key string) (value []byte, ok bool, err error)
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error
	Lease(ctx context.Context, key, owner string, ttl time.Duration) (won bool, err error)
	Release(ctx context.Context, key, owner string) error
}

// MemoryMachineCache is an in-process MachineCache: the reference
// implementation of the contract, and a way for several Verifiers in one
// process (for example in tests) to share verifications. A Verifier
// without a Config.MachineCache needs none: it caches in process anyway.
type MemoryMachineCache struct {
	now func() time.Time
	max int

	mu     sync.Mutex
	values map[string]memValue
	leases map[string]memLease
}

type memValue struct {
	b   []byte
	exp time.Time
}

type memLease struct {
	owner string
	exp   time.Time
}

// NewMemoryMachineCache returns a MemoryMachineCache holding at most max
// values (<= 0: DefaultMachineCacheSize); when full, expired values and
// then arbitrary ones are dropped. now is its clock (nil: time.Now).
func NewMemoryMachineCache(max int, now func() time.Time) *MemoryMachineCache {
	if max <= 0 {
		max = DefaultMachineCacheSize
	}
	if now == nil {
		now = time.Now
	}
	return &MemoryMachineCache{now: now, max: max, values: map[string]memValue{}, leases: map[string]memLease{}}
}

// Get implements MachineCache.
func (c *MemoryMachineCache) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.values[key]
	if !ok {
		return nil, false, nil
	}
	if !c.now().Before(v.exp) {
		delete(c.values, key)
		return nil, false, nil
	}
	return append([]byte(nil), v.b...), true, nil
}

// Set implements MachineCache.
func (c *MemoryMachineCache) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if ttl <= 0 {
		return errors.New("clerkkit/auth: MemoryMachineCache.Set with a ttl <= 0")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if _, ok := c.values[key]; !ok && len(c.values) >= c.max {
		c.evictLocked(now)
	}
	c.values[key] = memValue{b: append([]byte(nil), value...), exp: now.Add(ttl)}
	return nil
}

func (c *MemoryMachineCache) evictLocked(now time.Time) {
	for k, v := range c.values {
		if !now.Before(v.exp) {
			delete(c.values, k)
		}
	}
	for k := range c.values {
		if len(c.values) < c.max*9/10 {
			break
		}
		delete(c.values, k)
	}
	for k, l := range c.leases {
		if !now.Before(l.exp) {
			delete(c.leases, k)
		}
	}
}

// Lease implements MachineCache.
func (c *MemoryMachineCache) Lease(ctx context.Context, key, owner string, ttl time.Duration) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if ttl <= 0 || owner == "" {
		return false, errors.New("clerkkit/auth: MemoryMachineCache.Lease with a ttl <= 0 or no owner")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if l, ok := c.leases[key]; ok && now.Before(l.exp) {
		return false, nil
	}
	if len(c.leases) >= c.max {
		c.evictLocked(now)
	}
	c.leases[key] = memLease{owner: owner, exp: now.Add(ttl)}
	return true, nil
}

// Release implements MachineCache.
func (c *MemoryMachineCache) Release(ctx context.Context, key, owner string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if l, ok := c.leases[key]; ok && l.owner == owner {
		delete(c.leases, key)
	}
	return nil
}

// Len reports the number of values held, expired or not.
func (c *MemoryMachineCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.values)
}

// machineResult is the outcome of verifying an opaque token.
type machineResult struct {
	m     *Machine  // valid, or
	err   error     // invalid (final) or a failure (not final)
	final bool      // cacheable: valid or invalid, not a failure
	until time.Time // when a final result stops being trusted
}

// machineCall is one verification in flight; done is closed once res is
// set.
type machineCall struct {
	done  chan struct{}
	res   machineResult
	kind  TokenKind
	token string
	sum   [32]byte
}

// machineState is a Verifier's opaque-token verification machinery: the
// in-process caches, the flights, the bounds and the shared store.
type machineState struct {
	cfg     *resolved
	ns      [32]byte // hash of the secret key: the namespace of cache keys
	valid   *localCache
	invalid *localCache
	store   MachineCache
	sem     chan struct{}
	bucket  tokenBucket

	mu      sync.Mutex
	flights map[[32]byte]*machineCall

	calls atomic.Int64 // Backend API verifications made
}

func newMachineState(cfg *resolved) *machineState {
	ms := &machineState{
		cfg:     cfg,
		ns:      sha256.Sum256([]byte("clerkkit/auth machine cache v1\x00" + cfg.SecretKey)),
		valid:   newLocalCache(cfg.MachineCacheSize),
		invalid: newLocalCache(cfg.MachineCacheSize),
		store:   cfg.MachineCache,
		sem:     make(chan struct{}, cfg.MaxMachineVerifications),
		flights: map[[32]byte]*machineCall{},
	}
	ms.bucket.init(float64(cfg.MachineVerificationsPerSecond), cfg.Now())
	return ms
}

// hash is the cache identity of (kind, token) for this instance. The
// token itself is never a key.
func (ms *machineState) hash(kind TokenKind, token string) [32]byte {
	var buf [160]byte
	b := append(buf[:0], ms.ns[:]...)
	b = append(b, byte(kindBit(kind)))
	b = append(b, token...)
	return sha256.Sum256(b)
}

// storeKey is the MachineCache key of a hash.
func storeKey(sum [32]byte) string {
	return "clerkkit:machine:v1:" + hex.EncodeToString(sum[:])
}

// lookup returns a cached result for sum.
func (ms *machineState) lookup(sum [32]byte, now time.Time) (machineResult, bool) {
	if e, ok := ms.valid.get(sum, now); ok {
		return e, true
	}
	return ms.invalid.get(sum, now)
}

func (ms *machineState) remember(sum [32]byte, r machineResult) {
	if !r.final {
		return
	}
	if r.m != nil {
		ms.valid.put(sum, r, ms.cfg.Now())
	} else {
		ms.invalid.put(sum, r, ms.cfg.Now())
	}
}

// verifyOpaque verifies an opaque machine token of an accepted kind.
func (v *Verifier) verifyOpaque(ctx context.Context, kind TokenKind, token string) (*Machine, error) {
	if v.cfg.SecretKey == "" {
		return nil, fail(ErrVerificationUnavailable, "no secret key configured")
	}
	ms := v.machines
	sum := ms.hash(kind, token)
	now := v.cfg.Now()
	r, ok := ms.lookup(sum, now)
	if !ok && ms.store == nil && ms.saturated(now) {
		// Fail fast, without starting a flight, while the bounds are
		// reached: a flood of new tokens costs a hash and a lookup each.
		return nil, fail(ErrVerificationBusy, "verification bounds reached")
	}
	if !ok {
		call := ms.join(sum, kind, token)
		select {
		case <-call.done:
		case <-ctx.Done():
			return nil, failCause(ErrVerificationUnavailable, "waiting for verification", ctx.Err())
		}
		r = call.res
	}
	if r.err != nil {
		return nil, r.err
	}
	if err := v.checkMachineTimes(r.m, now); err != nil {
		return nil, err
	}
	if kind == OAuthToken {
		if err := v.checkAudience(r.m.Audience, r.m.Audience != nil); err != nil {
			return nil, err
		}
	}
	return r.m, nil
}

// saturated reports whether a Backend API call would be refused now by
// the bounds in flight or per second. It takes nothing.
func (ms *machineState) saturated(now time.Time) bool {
	return len(ms.sem) == cap(ms.sem) || !ms.bucket.ready(now)
}

// join returns the flight for sum, starting it when there is none.
func (ms *machineState) join(sum [32]byte, kind TokenKind, token string) *machineCall {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if c, ok := ms.flights[sum]; ok {
		return c
	}
	// A flight may have ended between lookup and here.
	if r, ok := ms.lookup(sum, ms.cfg.Now()); ok {
		c := &machineCall{done: make(chan struct{}), res: r}
		close(c.done)
		return c
	}
	c := &machineCall{done: make(chan struct{}), kind: kind, token: token, sum: sum}
	ms.flights[sum] = c
	go ms.run(c)
	return c
}

// run resolves a flight on behalf of every request waiting on it, on a
// context of its own: one waiter giving up does not fail the others.
func (ms *machineState) run(c *machineCall) {
	ctx, cancel := context.WithTimeout(context.Background(), ms.leaseTTL())
	defer cancel()
	r := ms.resolve(ctx, c)
	ms.remember(c.sum, r) // before the flight ends: later requests hit the cache
	ms.mu.Lock()
	delete(ms.flights, c.sum)
	ms.mu.Unlock()
	c.res = r
	close(c.done)
}

// leaseTTL is how long a lease lasts and a loser waits: one Backend API
// call and a margin.
func (ms *machineState) leaseTTL() time.Duration { return ms.cfg.FetchTimeout + time.Second }

// resolve finds the result in the shared store, or becomes the one
// Verifier that asks the Backend API and publishes the answer, or waits
// for the one that does. Any store failure means verifying directly.
func (ms *machineState) resolve(ctx context.Context, c *machineCall) machineResult {
	if ms.store == nil {
		return ms.callAPI(ctx, c.kind, c.token)
	}
	key := storeKey(c.sum)
	owner := randomOwner()
	start := ms.cfg.Now()
	delay := 2 * time.Millisecond
	for {
		if r, ok, err := ms.storeGet(ctx, key, c.kind); err != nil {
			return ms.callAPI(ctx, c.kind, c.token)
		} else if ok {
			return r
		}
		won, err := ms.storeLease(ctx, key, owner)
		if err != nil {
			return ms.callAPI(ctx, c.kind, c.token)
		}
		if won {
			// The result may have been published between Get and Lease.
			if r, ok, err := ms.storeGet(ctx, key, c.kind); err == nil && ok {
				ms.storeRelease(key, owner)
				return r
			}
			r := ms.callAPI(ctx, c.kind, c.token)
			if r.final {
				ms.storeSet(ctx, key, c.kind, r)
			}
			ms.storeRelease(key, owner)
			return r
		}
		if ms.cfg.Now().Sub(start) >= ms.leaseTTL() {
			return ms.callAPI(ctx, c.kind, c.token)
		}
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return machineResult{err: failCause(ErrVerificationUnavailable, "waiting for another verifier", ctx.Err())}
		}
		delay = min(2*delay, 50*time.Millisecond)
	}
}

func randomOwner() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (ms *machineState) storeCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, ms.cfg.MachineCacheTimeout)
}

func (ms *machineState) storeGet(ctx context.Context, key string, kind TokenKind) (machineResult, bool, error) {
	sctx, cancel := ms.storeCtx(ctx)
	defer cancel()
	b, ok, err := ms.store.Get(sctx, key)
	if err != nil || !ok {
		return machineResult{}, false, err
	}
	r, err := decodeStored(b, kind, ms.cfg.Now(), ms.cfg.MachineCacheTTL, ms.cfg.MachineNegativeTTL)
	if err != nil {
		return machineResult{}, false, err
	}
	return r, true, nil
}

func (ms *machineState) storeLease(ctx context.Context, key, owner string) (bool, error) {
	sctx, cancel := ms.storeCtx(ctx)
	defer cancel()
	return ms.store.Lease(sctx, key, owner, ms.leaseTTL())
}

func (ms *machineState) storeSet(ctx context.Context, key string, kind TokenKind, r machineResult) {
	ttl := r.until.Sub(ms.cfg.Now())
	if ttl <= 0 {
		return
	}
	b, err := encodeStored(r, kind)
	if err != nil {
		return
	}
	sctx, cancel := ms.storeCtx(ctx)
	defer cancel()
	if err := ms.store.Set(sctx, key, b, ttl); err != nil {
		ms.cfg.Logger.Warn("clerkkit: machine cache store failed; verifying without it", "op", "set", "error", err.Error())
	}
}

// storeRelease ends the lease on a context of its own, so that it happens
// even when the flight's context is done.
func (ms *machineState) storeRelease(key, owner string) {
	ctx, cancel := context.WithTimeout(context.Background(), ms.cfg.MachineCacheTimeout)
	defer cancel()
	ms.store.Release(ctx, key, owner)
}

// storedResult is the MachineCache encoding of a final result.
type storedResult struct {
	V        int            `json:"v"`
	Valid    bool           `json:"valid"`
	Reason   string         `json:"reason,omitempty"`
	Until    int64          `json:"until"` // Unix ms
	Kind     TokenKind      `json:"kind"`
	ID       string         `json:"id,omitempty"`
	Subject  string         `json:"subject,omitempty"`
	Scopes   []string       `json:"scopes,omitempty"`
	Claims   map[string]any `json:"claims,omitempty"`
	Name     string         `json:"name,omitempty"`
	ClientID string         `json:"client_id,omitempty"`
	Audience []string       `json:"aud,omitempty"`
	Expires  int64          `json:"expires,omitempty"` // Unix ms
}

func encodeStored(r machineResult, kind TokenKind) ([]byte, error) {
	s := storedResult{V: 1, Until: r.until.UnixMilli(), Kind: kind}
	if r.m == nil {
		s.Reason = Reason(r.err)
		return json.Marshal(s)
	}
	m := r.m
	s.Valid, s.ID, s.Subject, s.Scopes, s.Claims = true, m.ID, m.Subject, m.Scopes, m.Claims
	s.Name, s.ClientID, s.Audience = m.Name, m.ClientID, m.Audience
	if !m.ExpiresAt.IsZero() {
		s.Expires = m.ExpiresAt.UnixMilli()
	}
	return json.Marshal(s)
}

var errBadStored = errors.New("machine cache value is not a verification result")

// decodeStored decodes a store value for kind. Its trust ends at the
// earlier of its own until and now plus the local TTL.
func decodeStored(b []byte, kind TokenKind, now time.Time, ttl, negTTL time.Duration) (machineResult, error) {
	var s storedResult
	if err := json.Unmarshal(b, &s); err != nil || s.V != 1 || s.Kind != kind {
		return machineResult{}, errBadStored
	}
	until := time.UnixMilli(s.Until)
	if !s.Valid {
		until = minTime(until, now.Add(negTTL))
		var err error
		switch s.Reason {
		case ErrExpired.reason:
			err = fail(ErrExpired, "token expired (shared cache)")
		case ErrTokenInvalid.reason:
			err = fail(ErrTokenInvalid, "token not valid (shared cache)")
		default:
			return machineResult{}, errBadStored
		}
		return machineResult{err: err, final: true, until: until}, nil
	}
	if s.Subject == "" || s.ID == "" {
		return machineResult{}, errBadStored
	}
	m := &Machine{Kind: kind, ID: s.ID, Subject: s.Subject, Scopes: s.Scopes, Claims: s.Claims, Name: s.Name, ClientID: s.ClientID, Audience: s.Audience}
	if s.Expires != 0 {
		m.ExpiresAt = time.UnixMilli(s.Expires)
		until = minTime(until, m.ExpiresAt)
	}
	return machineResult{m: m, final: true, until: minTime(until, now.Add(ttl))}, nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// localCache is a bounded in-process map from token hash to result,
// sharded so that lookups of different tokens rarely share a lock.
type localCache struct {
	shards [16]localShard
	max    int // per shard
}

type localShard struct {
	mu sync.RWMutex
	m  map[[32]byte]machineResult
}

func newLocalCache(max int) *localCache {
	c := &localCache{max: max/16 + 1}
	for i := range c.shards {
		c.shards[i].m = map[[32]byte]machineResult{}
	}
	return c
}

func (c *localCache) get(k [32]byte, now time.Time) (machineResult, bool) {
	s := &c.shards[k[0]&15]
	s.mu.RLock()
	r, ok := s.m[k]
	s.mu.RUnlock()
	if !ok || !now.Before(r.until) {
		return machineResult{}, false
	}
	return r, true
}

func (c *localCache) put(k [32]byte, r machineResult, now time.Time) {
	if !now.Before(r.until) {
		return
	}
	s := &c.shards[k[0]&15]
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[k]; !ok && len(s.m) >= c.max {
		for k2, r2 := range s.m {
			if !now.Before(r2.until) {
				delete(s.m, k2)
			}
		}
		for k2 := range s.m {
			if len(s.m) < c.max*9/10 {
				break
			}
			delete(s.m, k2)
		}
	}
	s.m[k] = r
}

func (c *localCache) len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.RLock()
		n += len(s.m)
		s.mu.RUnlock()
	}
	return n
}

// tokenBucket bounds the rate of Backend API verifications.
type tokenBucket struct {
	mu     sync.Mutex
	rate   float64 // tokens per second, and the bucket's size
	tokens float64
	last   time.Time
}

func (b *tokenBucket) init(rate float64, now time.Time) {
	b.rate, b.tokens, b.last = rate, rate, now
}

// ready reports whether take would succeed now, without taking.
func (b *tokenBucket) ready(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.tokens+max(now.Sub(b.last).Seconds(), 0)*b.rate >= 1
}

func (b *tokenBucket) take(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if d := now.Sub(b.last); d > 0 {
		b.tokens = min(b.rate, b.tokens+d.Seconds()*b.rate)
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
