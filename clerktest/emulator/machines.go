// Machine authentication: the records of machines, API keys, M2M tokens
// and OAuth access tokens, how their routes authenticate, and the
// machines endpoints. Clerk's JS SDK calls the API key, M2M token and OAuth
// access token endpoints without the /v1 prefix (clerk-sdk-go with it), so
// every route of this file is served under both paths.

package emulator

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"
)

// machineStore holds the machine-authentication records of a state.
type machineStore struct {
	machines map[string]*machineRec
	apiKeys  map[string]*apiKeyRec // by id
	m2m      map[string]*m2mRec    // by id
	oauth    map[string]*oauthRec  // by id
}

func newMachineStore() machineStore {
	return machineStore{
		machines: map[string]*machineRec{}, apiKeys: map[string]*apiKeyRec{},
		m2m: map[string]*m2mRec{}, oauth: map[string]*oauthRec{},
	}
}

// clone returns a deep copy of ms (see state.clone).
func (ms machineStore) clone() machineStore {
	c := machineStore{machines: make(map[string]*machineRec, len(ms.machines)), apiKeys: cloneRecs(ms.apiKeys),
		m2m: cloneRecs(ms.m2m), oauth: cloneRecs(ms.oauth)}
	for id, m := range ms.machines {
		cm := *m
		cm.scoped = slices.Clone(m.scoped)
		c.machines[id] = &cm
	}
	for _, k := range c.apiKeys {
		k.scopes = slices.Clone(k.scopes)
	}
	for _, t := range c.m2m {
		t.scopes = slices.Clone(t.scopes)
	}
	for _, t := range c.oauth {
		t.scopes = slices.Clone(t.scopes)
	}
	return c
}

// machineRec is a machine: a service that calls others with M2M tokens.
type machineRec struct {
	seq        int64
	id         string
	name       string
	ttl        int64 // default_token_ttl, seconds
	secret     string
	prevSecret string    // the secret before the last rotation
	prevUntil  time.Time // until when prevSecret still authenticates
	scoped     []scopeRec
	createdAt  time.Time
	updatedAt  time.Time
}

// scopeRec lets a machine reach another one.
type scopeRec struct {
	to        string
	createdAt time.Time
}

func (m *machineRec) scopedIDs() []string {
	out := make([]string, 0, len(m.scoped))
	for _, sc := range m.scoped {
		out = append(out, sc.to)
	}
	return out
}

// authenticates reports whether key is one of m's secret keys at now.
func (m *machineRec) authenticates(key string, now time.Time) bool {
	if equalSecret(key, m.secret) {
		return true
	}
	return m.prevSecret != "" && now.Before(m.prevUntil) && equalSecret(key, m.prevSecret)
}

// equalSecret compares a presented secret with a stored one in constant
// time (for equal lengths).
func equalSecret(presented, stored string) bool {
	return stored != "" && subtle.ConstantTimeCompare([]byte(presented), []byte(stored)) == 1
}

// Machine defaults and limits of the Backend API spec.
const (
	defaultMachineTTL = 3600
	maxMachineTTL     = 315360000
	maxMachineScopes  = 150
	maxPreviousTTL    = 28800
)

// newSecret returns a new secret with prefix and 32 base62 characters,
// the shape of Clerk's API key and machine secret keys (ak_…), opaque M2M
// tokens (mt_…) and OAuth access tokens (oat_…).
func newSecret(prefix string) string { return prefix + randomString(32) }

// hexID returns prefix and 32 random lowercase hex digits, the ids of API
// keys (ak_), M2M tokens (mt_) and OAuth access tokens (oat_).
func hexID(prefix string) string {
	b := make([]byte, 16)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// authMode is who may call a machine-authentication route.
type authMode int

const (
	authInstance          authMode = iota // the instance's secret key
	authMachine                           // a machine secret key
	authMachineOrInstance                 // either
)

// caller is who a request authenticated as: the instance (machine nil) or
// a machine.
type caller struct{ machine *machineRec }

// authenticate checks the bearer key of c's request for mode. It runs
// with the state locked, so a machine deleted or rotated a moment ago no
// longer authenticates.
func (c *call) authenticate(s *Server, mode authMode) (*caller, *apiError) {
	h := c.r.Header.Get("Authorization")
	scheme, key, _ := strings.Cut(h, " ")
	key = strings.TrimSpace(key)
	if h == "" {
		return nil, errAuthMissing()
	}
	if !strings.EqualFold(scheme, "Bearer") {
		return nil, errAuthInvalid("The Authorization header must be \"Bearer <key>\".")
	}
	if mode != authMachine && equalSecret(key, s.SecretKey()) {
		return &caller{}, nil
	}
	if mode != authInstance {
		for _, m := range c.st.mach.machines {
			if m.authenticates(key, c.now) {
				return &caller{machine: m}, nil
			}
		}
	}
	switch mode {
	case authMachine:
		return nil, errAuthInvalid("This endpoint must be authenticated with a machine secret key (ak_…) of this instance.")
	case authMachineOrInstance:
		return nil, errAuthInvalid("The key in the Authorization header is neither a machine secret key nor the secret key of this instance.")
	}
	return nil, errAuthInvalid("The secret key in the Authorization header is not valid for this instance.")
}

func errAuthMissing() *apiError {
	return &apiError{status: http.StatusUnauthorized, code: "authentication_invalid", msg: "Invalid authentication",
		long: "The Authorization header is missing. Send your secret key as \"Authorization: Bearer sk_…\"."}
}

func errAuthInvalid(long string) *apiError {
	return &apiError{status: http.StatusUnauthorized, code: "authentication_invalid", msg: "Invalid authentication", long: long}
}

// errBadRequest is the 400 the API key, M2M token and OAuth access token
// endpoints answer for an invalid parameter (those endpoints list 400,
// not 422, for it).
func errBadRequest(param, long string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "bad_request", msg: "Bad Request", long: long, param: param}
}

// machineHandler answers a machine-authentication request: a value and
// its status (0: 200), or an error.
type machineHandler[B any] func(c *call, who *caller, b *B) (any, int, *apiError)

// machineRoute registers h for method and path under both /v1+path and
// path. The request's body, when B is not struct{}, is decoded strictly
// before the state is locked; the bearer key is checked for mode first,
// with the state locked, so that a request with a wrong key gets 401
// whatever its body. serveHTTP leaves the key check of these routes to
// it (Server.selfAuth).
func machineRoute[B any](s *Server, method, path string, mode authMode, h machineHandler[B]) {
	for _, route := range []string{method + " /v1" + path, method + " " + path} {
		s.routes[route] = true
		s.selfAuth[route] = true
		s.mux.HandleFunc(route, func(w http.ResponseWriter, r *http.Request) {
			b := new(B)
			var bodyErr *apiError
			if method != http.MethodGet && method != http.MethodDelete {
				bodyErr = decodeBody(r, b)
			}
			v, status, e := func() (any, int, *apiError) {
				s.mu.Lock()
				defer s.unlock(r)
				c := &call{r: r, st: s.st, now: s.clock.Now()}
				who, e := c.authenticate(s, mode)
				if e != nil {
					return nil, 0, e
				}
				if bodyErr != nil {
					return nil, 0, bodyErr
				}
				return h(c, who, b)
			}()
			if e != nil {
				s.writeError(w, e)
				return
			}
			if status == 0 {
				status = http.StatusOK
			}
			writeJSON(w, status, v)
		})
	}
}

// noBody is the body type of routes without one.
type noBody struct{}

func (s *Server) registerMachineRoutes() {
	machineRoute(s, "GET", "/machines", authInstance, s.listMachines)
	machineRoute(s, "POST", "/machines", authInstance, s.createMachine)
	machineRoute(s, "GET", "/machines/{machine_id}", authInstance, s.getMachine)
	machineRoute(s, "PATCH", "/machines/{machine_id}", authInstance, s.updateMachine)
	machineRoute(s, "DELETE", "/machines/{machine_id}", authInstance, s.deleteMachine)
	machineRoute(s, "GET", "/machines/{machine_id}/secret_key", authInstance, s.getMachineSecret)
	machineRoute(s, "POST", "/machines/{machine_id}/secret_key/rotate", authInstance, s.rotateMachineSecret)
	machineRoute(s, "POST", "/machines/{machine_id}/scopes", authInstance, s.createMachineScope)
	machineRoute(s, "DELETE", "/machines/{machine_id}/scopes/{other_machine_id}", authInstance, s.deleteMachineScope)

	machineRoute(s, "POST", "/api_keys", authInstance, s.createAPIKey)
	machineRoute(s, "GET", "/api_keys", authInstance, s.listAPIKeys)
	machineRoute(s, "GET", "/api_keys/{apiKeyID}", authInstance, s.getAPIKey)
	machineRoute(s, "PATCH", "/api_keys/{apiKeyID}", authInstance, s.updateAPIKey)
	machineRoute(s, "DELETE", "/api_keys/{apiKeyID}", authInstance, s.deleteAPIKey)
	machineRoute(s, "GET", "/api_keys/{apiKeyID}/secret", authInstance, s.getAPIKeySecret)
	machineRoute(s, "POST", "/api_keys/{apiKeyID}/revoke", authInstance, s.revokeAPIKey)
	machineRoute(s, "POST", "/api_keys/verify", authInstance, s.verifyAPIKey)

	machineRoute(s, "POST", "/m2m_tokens", authMachine, s.createM2MToken)
	machineRoute(s, "GET", "/m2m_tokens", authMachineOrInstance, s.listM2MTokens)
	machineRoute(s, "POST", "/m2m_tokens/{m2m_token_id}/revoke", authMachineOrInstance, s.revokeM2MToken)
	machineRoute(s, "POST", "/m2m_tokens/verify", authMachineOrInstance, s.verifyM2MToken)

	machineRoute(s, "POST", "/oauth_applications/access_tokens/verify", authInstance, s.verifyOAuthToken)
}

// ---- machines ----

type machineBaseJSON struct {
	Object          string `json:"object"`
	ID              string `json:"id"`
	Name            string `json:"name"`
	InstanceID      string `json:"instance_id"`
	CreatedAt       int64  `json:"created_at"`
	UpdatedAt       int64  `json:"updated_at"`
	DefaultTokenTTL int64  `json:"default_token_ttl"`
}

type machineJSON struct {
	machineBaseJSON
	ScopedMachines []machineBaseJSON `json:"scoped_machines"`
}

type machineCreatedJSON struct {
	machineJSON
	SecretKey string `json:"secret_key"`
}

type machineSecretJSON struct {
	Object string `json:"object"`
	Secret string `json:"secret"`
}

type machineScopeJSON struct {
	Object        string `json:"object"`
	FromMachineID string `json:"from_machine_id"`
	ToMachineID   string `json:"to_machine_id"`
	CreatedAt     int64  `json:"created_at,omitempty"`
	Deleted       bool   `json:"deleted,omitempty"`
}

func (st *state) machineBase(m *machineRec) machineBaseJSON {
	return machineBaseJSON{Object: "machine", ID: m.id, Name: m.name, InstanceID: st.instanceID,
		CreatedAt: ms(m.createdAt), UpdatedAt: ms(m.updatedAt), DefaultTokenTTL: m.ttl}
}

func (st *state) machineJSON(m *machineRec) machineJSON {
	out := machineJSON{machineBaseJSON: st.machineBase(m), ScopedMachines: []machineBaseJSON{}}
	for _, sc := range m.scoped {
		if o := st.mach.machines[sc.to]; o != nil {
			out.ScopedMachines = append(out.ScopedMachines, st.machineBase(o))
		}
	}
	return out
}

// machine is the machine of the path's {machine_id}.
func (c *call) machine() (*machineRec, *apiError) { return c.st.machine(c.r.PathValue("machine_id")) }

func (st *state) machine(id string) (*machineRec, *apiError) {
	m := st.mach.machines[id]
	if m == nil {
		return nil, errNotFound("machine", id)
	}
	return m, nil
}

type createMachineBody struct {
	Name            *string  `json:"name"`
	ScopedMachines  []string `json:"scoped_machines"`
	DefaultTokenTTL *int64   `json:"default_token_ttl"`

	id     string // set by Seed
	secret string // set by Seed
}

// addMachine creates a machine with the checks of POST /machines.
func (st *state) addMachine(b *createMachineBody, now time.Time) (*machineRec, *apiError) {
	if b.Name == nil {
		return nil, errMissing("name")
	}
	if e := checkMachineName(*b.Name); e != nil {
		return nil, e
	}
	ttl := int64(defaultMachineTTL)
	if b.DefaultTokenTTL != nil {
		if e := checkMachineTTL(*b.DefaultTokenTTL); e != nil {
			return nil, e
		}
		ttl = *b.DefaultTokenTTL
	}
	if len(b.ScopedMachines) > maxMachineScopes {
		return nil, errValue("scoped_machines", "A machine can have at most 150 scoped machines.")
	}
	m := &machineRec{seq: st.next(), id: b.id, name: *b.Name, ttl: ttl, secret: b.secret, createdAt: now, updatedAt: now}
	if m.id == "" {
		m.id = randomID("mch_")
	}
	if m.secret == "" {
		m.secret = newSecret("ak_")
	}
	for _, to := range b.ScopedMachines {
		if _, e := st.machine(to); e != nil {
			return nil, e
		}
		if !slices.ContainsFunc(m.scoped, func(sc scopeRec) bool { return sc.to == to }) {
			m.scoped = append(m.scoped, scopeRec{to: to, createdAt: now})
		}
	}
	st.mach.machines[m.id] = m
	return m, nil
}

func checkMachineName(name string) *apiError {
	if n := len([]rune(name)); n < 1 || n > 255 {
		return errValue("name", "name must be between 1 and 255 characters long.")
	}
	return nil
}

func checkMachineTTL(ttl int64) *apiError {
	if ttl < 1 || ttl > maxMachineTTL {
		return errValue("default_token_ttl", "default_token_ttl must be between 1 and 315360000 seconds.")
	}
	return nil
}

func (s *Server) createMachine(c *call, _ *caller, b *createMachineBody) (any, int, *apiError) {
	m, e := c.st.addMachine(b, c.now)
	if e != nil {
		return nil, 0, e
	}
	return machineCreatedJSON{machineJSON: c.st.machineJSON(m), SecretKey: m.secret}, 0, nil
}

func (s *Server) listMachines(c *call, _ *caller, _ *noBody) (any, int, *apiError) {
	q := c.r.URL.Query()
	p, e := pageParams(q)
	if e != nil {
		return nil, 0, e
	}
	field, desc, e := orderBy(q, "-created_at", "created_at", "name")
	if e != nil {
		return nil, 0, e
	}
	query := q.Get("query")
	var items []*machineRec
	for _, m := range c.st.mach.machines {
		if query == "" || m.id == query || containsFold(m.name, query) {
			items = append(items, m)
		}
	}
	key := func(m *machineRec) sortKey { return timeKey(m.createdAt) }
	if field == "name" {
		key = func(m *machineRec) sortKey { return strKey(&m.name) }
	}
	sortBy(items, desc, key, func(m *machineRec) int64 { return m.seq })
	return listPage(items, p, c.st.machineJSON), 0, nil
}

func (s *Server) getMachine(c *call, _ *caller, _ *noBody) (any, int, *apiError) {
	m, e := c.machine()
	if e != nil {
		return nil, 0, e
	}
	return c.st.machineJSON(m), 0, nil
}

type updateMachineBody struct {
	Name            *string `json:"name"`
	DefaultTokenTTL *int64  `json:"default_token_ttl"`
}

func (s *Server) updateMachine(c *call, _ *caller, b *updateMachineBody) (any, int, *apiError) {
	m, e := c.machine()
	if e != nil {
		return nil, 0, e
	}
	if b.Name != nil {
		if e := checkMachineName(*b.Name); e != nil {
			return nil, 0, e
		}
	}
	if b.DefaultTokenTTL != nil {
		if e := checkMachineTTL(*b.DefaultTokenTTL); e != nil {
			return nil, 0, e
		}
	}
	if b.Name != nil {
		m.name = *b.Name
	}
	if b.DefaultTokenTTL != nil {
		m.ttl = *b.DefaultTokenTTL
	}
	m.updatedAt = c.now
	return c.st.machineJSON(m), 0, nil
}

type machineDeletedJSON struct {
	Object  string `json:"object"`
	ID      string `json:"id"`
	Deleted bool   `json:"deleted"`
}

// deleteMachine deletes a machine and every scope to it; its secret keys
// stop authenticating and its M2M tokens stop verifying.
func (s *Server) deleteMachine(c *call, _ *caller, _ *noBody) (any, int, *apiError) {
	m, e := c.machine()
	if e != nil {
		return nil, 0, e
	}
	delete(c.st.mach.machines, m.id)
	for _, o := range c.st.mach.machines {
		o.scoped = slices.DeleteFunc(o.scoped, func(sc scopeRec) bool { return sc.to == m.id })
	}
	return machineDeletedJSON{Object: "machine", ID: m.id, Deleted: true}, 0, nil
}

func (s *Server) getMachineSecret(c *call, _ *caller, _ *noBody) (any, int, *apiError) {
	m, e := c.machine()
	if e != nil {
		return nil, 0, e
	}
	return machineSecretJSON{Object: "machine_secret_key", Secret: m.secret}, 0, nil
}

type rotateMachineSecretBody struct {
	PreviousTokenTTL *int64 `json:"previous_token_ttl"`
}

// rotateMachineSecret gives the machine a new secret key; the previous one
// keeps authenticating for previous_token_ttl seconds (0: not at all).
func (s *Server) rotateMachineSecret(c *call, _ *caller, b *rotateMachineSecretBody) (any, int, *apiError) {
	m, e := c.machine()
	if e != nil {
		return nil, 0, e
	}
	if b.PreviousTokenTTL == nil {
		return nil, 0, errMissing("previous_token_ttl")
	}
	if ttl := *b.PreviousTokenTTL; ttl < 0 || ttl > maxPreviousTTL {
		return nil, 0, errValue("previous_token_ttl", "previous_token_ttl must be between 0 and 28800 seconds.")
	}
	m.prevSecret, m.prevUntil = m.secret, c.now.Add(time.Duration(*b.PreviousTokenTTL)*time.Second)
	m.secret = newSecret("ak_")
	m.updatedAt = c.now
	return machineSecretJSON{Object: "machine_secret_key", Secret: m.secret}, 0, nil
}

type createScopeBody struct {
	ToMachineID *string `json:"to_machine_id"`
}

func (s *Server) createMachineScope(c *call, _ *caller, b *createScopeBody) (any, int, *apiError) {
	m, e := c.machine()
	if e != nil {
		return nil, 0, e
	}
	if b.ToMachineID == nil || *b.ToMachineID == "" {
		return nil, 0, errMissing("to_machine_id")
	}
	to := *b.ToMachineID
	if to == m.id {
		return nil, 0, errValue("to_machine_id", "A machine cannot be scoped to itself.")
	}
	if _, e := c.st.machine(to); e != nil {
		return nil, 0, e
	}
	if slices.ContainsFunc(m.scoped, func(sc scopeRec) bool { return sc.to == to }) {
		return nil, 0, &apiError{status: http.StatusConflict, code: "duplicate_record", msg: "duplicate record",
			long: "Machine " + m.id + " already has access to machine " + to + ".", param: "to_machine_id"}
	}
	if len(m.scoped) >= maxMachineScopes {
		return nil, 0, errValue("to_machine_id", "A machine can have at most 150 scoped machines.")
	}
	m.scoped = append(m.scoped, scopeRec{to: to, createdAt: c.now})
	m.updatedAt = c.now
	return machineScopeJSON{Object: "machine_scope", FromMachineID: m.id, ToMachineID: to, CreatedAt: ms(c.now)}, 0, nil
}

func (s *Server) deleteMachineScope(c *call, _ *caller, _ *noBody) (any, int, *apiError) {
	m, e := c.machine()
	if e != nil {
		return nil, 0, e
	}
	to := c.r.PathValue("other_machine_id")
	i := slices.IndexFunc(m.scoped, func(sc scopeRec) bool { return sc.to == to })
	if i < 0 {
		return nil, 0, errNotFound("machine scope", m.id+" → "+to)
	}
	m.scoped = slices.Delete(m.scoped, i, i+1)
	m.updatedAt = c.now
	return machineScopeJSON{Object: "machine_scope", FromMachineID: m.id, ToMachineID: to, Deleted: true}, 0, nil
}

// rawOrNull is raw, or JSON null when absent.
func rawOrNull(raw json.RawMessage) json.RawMessage {
	if raw == nil {
		return json.RawMessage("null")
	}
	return raw
}
