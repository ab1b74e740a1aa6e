// JWT templates: their records, the /v1/jwt_templates endpoints, and the
// tokens POST /v1/sessions/{session_id}/tokens/{template_name} mints from
// them.

package emulator

import (
	"bytes"
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"hash"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// tokenStore holds the JWT templates, actor tokens and sign-in tokens of a
// state.
type tokenStore struct {
	templates map[string]*jwtTemplateRec // by id
	actors    map[string]*actorTokenRec  // by id
	signIns   map[string]*signInTokenRec // by id
	testing   map[string]time.Time       // testing token -> expiry
}

func newTokenStore() tokenStore {
	return tokenStore{templates: map[string]*jwtTemplateRec{}, actors: map[string]*actorTokenRec{},
		signIns: map[string]*signInTokenRec{}, testing: map[string]time.Time{}}
}

// clone returns a deep copy of ts (see state.clone); claims and actors are
// never modified in place, so they are shared.
func (ts tokenStore) clone() tokenStore {
	return tokenStore{templates: cloneRecs(ts.templates), actors: cloneRecs(ts.actors), signIns: cloneRecs(ts.signIns),
		testing: maps.Clone(ts.testing)}
}

// jwtTemplateRec is a JWT template.
type jwtTemplateRec struct {
	seq        int64
	id         string
	name       string
	claims     json.RawMessage // a JSON object, possibly with shortcodes
	lifetime   int64           // seconds
	skew       int64           // allowed_clock_skew, seconds
	customKey  bool
	algorithm  string // signing_algorithm: RS256 unless a custom key says otherwise
	signingKey string // the custom signing key (PEM private key or HMAC secret)
	createdAt  time.Time
	updatedAt  time.Time
}

// Defaults and bounds of JWT templates, as Clerk has them.
const (
	templateLifetime    = 60
	templateSkew        = 5
	templateMaxLifetime = 315360000
	templateMaxSkew     = 300
	// templateCategory is the cat header of tokens minted from templates.
	templateCategory = "cl_B7d4PD222AAA"
)

// templateReserved are the claims every template token carries, which a
// template's claims may not set.
var templateReserved = []string{"azp", "exp", "iat", "iss", "jti", "nbf", "sid", "sub"}

// templateAlgorithms are the signing algorithms of custom signing keys.
var templateAlgorithms = []string{"HS256", "HS384", "HS512", "RS256", "RS384", "RS512"}

type jwtTemplateJSON struct {
	Object           string          `json:"object"`
	ID               string          `json:"id"`
	Name             string          `json:"name"`
	Claims           json.RawMessage `json:"claims"`
	Lifetime         int64           `json:"lifetime"`
	AllowedClockSkew int64           `json:"allowed_clock_skew"`
	CustomSigningKey bool            `json:"custom_signing_key"`
	SigningAlgorithm string          `json:"signing_algorithm"`
	CreatedAt        int64           `json:"created_at"`
	UpdatedAt        int64           `json:"updated_at"`
}

func (t *jwtTemplateRec) json() jwtTemplateJSON {
	return jwtTemplateJSON{
		Object: "jwt_template", ID: t.id, Name: t.name, Claims: t.claims, Lifetime: t.lifetime,
		AllowedClockSkew: t.skew, CustomSigningKey: t.customKey, SigningAlgorithm: t.algorithm,
		CreatedAt: ms(t.createdAt), UpdatedAt: ms(t.updatedAt),
	}
}

// jwtTemplateBody is the body of POST /v1/jwt_templates and PATCH
// /v1/jwt_templates/{template_id}.
type jwtTemplateBody struct {
	Name             *string          `json:"name"`
	Claims           json.RawMessage  `json:"claims"`
	Lifetime         nullable[int64]  `json:"lifetime"`
	AllowedClockSkew nullable[int64]  `json:"allowed_clock_skew"`
	CustomSigningKey *bool            `json:"custom_signing_key"`
	SigningAlgorithm nullable[string] `json:"signing_algorithm"`
	SigningKey       nullable[string] `json:"signing_key"`
	// The explicit id of a seeded template; not a Backend API parameter.
	id string
}

func (s *Server) registerTemplateRoutes() {
	s.handle("GET /v1/jwt_templates", s.listTemplates)
	handleBody(s, "POST /v1/jwt_templates", s.createTemplate)
	s.handle("GET /v1/jwt_templates/{template_id}", s.getTemplate)
	handleBody(s, "PATCH /v1/jwt_templates/{template_id}", s.updateTemplate)
	s.handle("DELETE /v1/jwt_templates/{template_id}", s.deleteTemplate)
	handleBody(s, "POST /v1/sessions/{session_id}/tokens/{template_name}", s.createTemplateToken)
	handleBody(s, "POST /v1/sessions/{session_id}/refresh", s.refreshSession, "request_headers", "request_originating_ip")
}

// template is the template of the path's {template_id}.
func (c *call) template() (*jwtTemplateRec, *apiError) {
	id := c.r.PathValue("template_id")
	t := c.st.tok.templates[id]
	if t == nil {
		return nil, errNotFound("JWT template", id)
	}
	return t, nil
}

// templateNamed is the template called name, or nil.
func (st *state) templateNamed(name string) *jwtTemplateRec {
	for _, t := range st.tok.templates {
		if t.name == name {
			return t
		}
	}
	return nil
}

// listTemplates is GET /v1/jwt_templates: a bare array, oldest first, or
// with paginated=true (as clerk-sdk-go sends) {"data":[…],"total_count":N}.
func (s *Server) listTemplates(c *call) (any, *apiError) {
	q := c.r.URL.Query()
	p, e := pageParams(q)
	if e != nil {
		return nil, e
	}
	paginated, e := parseBool(q, "paginated")
	if e != nil {
		return nil, e
	}
	var list []*jwtTemplateRec
	for _, t := range c.st.tok.templates {
		list = append(list, t)
	}
	sortBy(list, false, func(t *jwtTemplateRec) sortKey { return timeKey(t.createdAt) }, func(t *jwtTemplateRec) int64 { return t.seq })
	out := listPage(list, p, (*jwtTemplateRec).json)
	if paginated {
		return out, nil
	}
	return out.Data, nil
}

func (s *Server) createTemplate(c *call, b *jwtTemplateBody) (any, *apiError) {
	t, e := c.st.addTemplate(b, c.now)
	if e != nil {
		return nil, e
	}
	return t.json(), nil
}

// addTemplate validates b and stores a new template.
func (st *state) addTemplate(b *jwtTemplateBody, now time.Time) (*jwtTemplateRec, *apiError) {
	t := &jwtTemplateRec{lifetime: templateLifetime, skew: templateSkew, algorithm: "RS256"}
	if e := st.applyTemplate(t, b); e != nil {
		return nil, e
	}
	t.seq, t.id, t.createdAt, t.updatedAt = st.next(), b.id, now, now
	if t.id == "" {
		t.id = randomID("jtmp_")
	}
	st.tok.templates[t.id] = t
	return t, nil
}

func (s *Server) getTemplate(c *call) (any, *apiError) {
	t, e := c.template()
	if e != nil {
		return nil, e
	}
	return t.json(), nil
}

// updateTemplate is PATCH /v1/jwt_templates/{template_id}: name and
// claims are required, as at Clerk; what else is absent stays.
func (s *Server) updateTemplate(c *call, b *jwtTemplateBody) (any, *apiError) {
	t, e := c.template()
	if e != nil {
		return nil, e
	}
	next := *t
	if e := c.st.applyTemplate(&next, b); e != nil {
		return nil, e
	}
	next.updatedAt = c.now
	*t = next
	return t.json(), nil
}

func (s *Server) deleteTemplate(c *call) (any, *apiError) {
	t, e := c.template()
	if e != nil {
		return nil, e
	}
	delete(c.st.tok.templates, t.id)
	return deletedJSON{Object: "jwt_template", ID: t.id, Deleted: true}, nil
}

// applyTemplate validates b and applies it to t, a template being created
// or a copy of one being updated.
func (st *state) applyTemplate(t *jwtTemplateRec, b *jwtTemplateBody) *apiError {
	if b.Name == nil {
		return errMissing("name")
	}
	name := strings.TrimSpace(*b.Name)
	if name == "" || utf8.RuneCountInString(name) > 256 {
		return errValue("name", "name must be between 1 and 256 characters long.")
	}
	if other := st.templateNamed(name); other != nil && other.id != t.id {
		return errTaken("name", "name")
	}
	claims, e := templateClaims(b.Claims)
	if e != nil {
		return e
	}
	lifetime, skew := t.lifetime, t.skew
	if b.Lifetime.set {
		lifetime = templateLifetime
		if !b.Lifetime.null {
			lifetime = b.Lifetime.v
		}
	}
	if lifetime < 30 || lifetime > templateMaxLifetime {
		return errValue("lifetime", "lifetime must be between 30 and 315360000 seconds.")
	}
	if b.AllowedClockSkew.set {
		skew = templateSkew
		if !b.AllowedClockSkew.null {
			skew = b.AllowedClockSkew.v
		}
	}
	if skew < 0 || skew > templateMaxSkew {
		return errValue("allowed_clock_skew", "allowed_clock_skew must be between 0 and 300 seconds.")
	}
	custom, alg, key := t.customKey, t.algorithm, t.signingKey
	if b.CustomSigningKey != nil {
		custom = *b.CustomSigningKey
	}
	if custom {
		if b.SigningAlgorithm.set && !b.SigningAlgorithm.null {
			alg = b.SigningAlgorithm.v
		}
		if b.SigningKey.set && !b.SigningKey.null {
			key = b.SigningKey.v
		}
		if !t.customKey && (!b.SigningAlgorithm.set || b.SigningAlgorithm.null) {
			return errMissing("signing_algorithm")
		}
		if !t.customKey && (!b.SigningKey.set || b.SigningKey.null || b.SigningKey.v == "") {
			return errMissing("signing_key")
		}
		if !slices.Contains(templateAlgorithms, alg) {
			return errValue("signing_algorithm", "signing_algorithm must be one of "+strings.Join(templateAlgorithms, ", ")+".")
		}
		if _, err := parseSigningKey(alg, key); err != nil {
			return errValue("signing_key", "signing_key is not a valid key for "+alg+": "+err.Error())
		}
	} else {
		alg, key = "RS256", ""
	}
	t.name, t.claims, t.lifetime, t.skew, t.customKey, t.algorithm, t.signingKey = name, claims, lifetime, skew, custom, alg, key
	return nil
}

// templateClaims validates the claims member: a JSON object without the
// reserved claims, returned compact.
func templateClaims(raw json.RawMessage) (json.RawMessage, *apiError) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || string(t) == "null" {
		return nil, errMissing("claims")
	}
	var obj map[string]json.RawMessage
	if t[0] != '{' || json.Unmarshal(t, &obj) != nil {
		return nil, errFormat("claims", "claims must be a JSON object.")
	}
	for _, k := range templateReserved {
		if _, ok := obj[k]; ok {
			return nil, errValue("claims", "claims must not set the reserved claim "+k+
				" (reserved: "+strings.Join(templateReserved, ", ")+").")
		}
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, t); err != nil {
		return nil, errFormat("claims", "claims must be a JSON object.")
	}
	return buf.Bytes(), nil
}

// createTemplateToken is POST /v1/sessions/{session_id}/tokens/{template_name}:
// a JWT with the template's claims, their shortcodes rendered for the
// session's user and active organization, and the standard claims (iss,
// sub, sid, iat, nbf = iat − allowed clock skew, exp = iat + lifetime or
// expires_in_seconds, jti, act for an impersonated session). Signed by
// the Issuer with header cat cl_B7d4PD222AAA, or by the template's custom
// key.
func (s *Server) createTemplateToken(c *call, b *createTokenBody) (any, *apiError) {
	if b.ExpiresInSeconds != nil {
		if n := *b.ExpiresInSeconds; n < 30 || n > templateMaxLifetime {
			return nil, errValue("expires_in_seconds", "expires_in_seconds must be between 30 and 315360000.")
		}
	}
	se, e := c.session()
	if e != nil {
		return nil, e
	}
	name := c.r.PathValue("template_name")
	t := c.st.templateNamed(name)
	if t == nil {
		return nil, &apiError{status: http.StatusNotFound, code: "resource_not_found", msg: "not found",
			long: "No JWT template exists with name: " + name}
	}
	if status := se.statusAt(c.now); status != "active" {
		return nil, errSessionNotActive(se, status)
	}
	lifetime := t.lifetime
	if b.ExpiresInSeconds != nil {
		lifetime = *b.ExpiresInSeconds
	}
	jwt, err := s.signTemplate(c.st, t, se, lifetime, c.now)
	if err != nil {
		return nil, &apiError{status: http.StatusUnprocessableEntity, code: "form_param_value_invalid", msg: "is invalid",
			long: "The JWT template's signing key cannot sign: " + err.Error(), param: "signing_key"}
	}
	return tokenJSON{Object: "token", JWT: jwt}, nil
}

func errSessionNotActive(se *sessRec, status string) *apiError {
	return &apiError{status: http.StatusNotFound, code: "resource_not_found", msg: "not found",
		long: "Session " + se.id + " is " + status + "; only active sessions have tokens."}
}

// signTemplate renders t for se and signs it.
func (s *Server) signTemplate(st *state, t *jwtTemplateRec, se *sessRec, lifetime int64, now time.Time) (string, error) {
	var claims map[string]any
	if err := json.Unmarshal(t.claims, &claims); err != nil {
		return "", err
	}
	ctx := st.shortcodeContext(se, now)
	payload := map[string]any{}
	for k, v := range claims {
		payload[k] = ctx.render(v)
	}
	payload["iss"] = s.iss.IssuerURL()
	payload["sub"] = se.userID
	payload["sid"] = se.id
	payload["iat"] = now.Unix()
	payload["nbf"] = now.Unix() - t.skew
	payload["exp"] = now.Unix() + lifetime
	payload["jti"] = randomHex(10)
	if se.actor != nil {
		payload["act"] = se.actor
	}
	se.lastActiveAt = now
	if !t.customKey {
		header := map[string]any{"alg": "RS256", "kid": s.iss.KeyID(), "typ": "JWT", "cat": templateCategory}
		return s.iss.SignRaw(mustMarshal(header), mustMarshal(payload)), nil
	}
	header := map[string]any{"alg": t.algorithm, "typ": "JWT", "cat": templateCategory}
	return signWithKey(t.algorithm, t.signingKey, mustMarshal(header), mustMarshal(payload))
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// parseSigningKey returns the key of a custom signing key: the secret
// bytes for HS*, an RSA private key (PEM, PKCS#1 or PKCS#8) for RS*.
func parseSigningKey(alg, key string) (any, error) {
	if strings.HasPrefix(alg, "HS") {
		if key == "" {
			return nil, errors.New("empty secret")
		}
		return []byte(key), nil
	}
	block, _ := pem.Decode([]byte(key))
	if block == nil {
		return nil, errors.New("not a PEM private key")
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, errors.New("not a PKCS#1 or PKCS#8 RSA private key")
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("not an RSA private key")
	}
	return rk, nil
}

// signWithKey signs a compact JWS with a custom signing key.
func signWithKey(alg, key string, header, payload []byte) (string, error) {
	k, err := parseSigningKey(alg, key)
	if err != nil {
		return "", err
	}
	input := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(payload)
	var newHash func() hash.Hash
	var ch crypto.Hash
	switch alg[2:] {
	case "384":
		newHash, ch = sha512.New384, crypto.SHA384
	case "512":
		newHash, ch = sha512.New, crypto.SHA512
	default:
		newHash, ch = sha256.New, crypto.SHA256
	}
	var sig []byte
	if secret, ok := k.([]byte); ok {
		m := hmac.New(newHash, secret)
		m.Write([]byte(input))
		sig = m.Sum(nil)
	} else {
		h := newHash()
		h.Write([]byte(input))
		if sig, err = rsa.SignPKCS1v15(rand.Reader, k.(*rsa.PrivateKey), ch, h.Sum(nil)); err != nil {
			return "", err
		}
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// shortcodes are the values a template's {{…}} shortcodes resolve to.
type shortcodes map[string]any

// shortcodeContext gathers the shortcode values of se: user.* for its
// user, org.* and org_membership.* for its active organization (null
// without one), session.actor.
func (st *state) shortcodeContext(se *sessRec, now time.Time) shortcodes {
	ctx := shortcodes{}
	decode := func(raw json.RawMessage) any {
		var v any
		if json.Unmarshal(orEmpty(raw), &v) != nil {
			return map[string]any{}
		}
		return v
	}
	str := func(p *string) any {
		if p == nil {
			return nil
		}
		return *p
	}
	if u := st.users[se.userID]; u != nil {
		full := strings.TrimSpace(deref(u.firstName) + " " + deref(u.lastName))
		var fullName any
		if full != "" {
			fullName = full
		}
		var email, phone any
		emailVerified, phoneVerified := false, false
		for _, em := range u.emails {
			if em.id == u.primaryEmailID {
				email, emailVerified = em.address, em.verified()
			}
		}
		for _, ph := range u.phones {
			if ph.id == u.primaryPhoneID {
				phone, phoneVerified = ph.number, ph.verified()
			}
		}
		ctx["user"] = map[string]any{
			"id": u.id, "external_id": str(u.externalID), "first_name": str(u.firstName), "last_name": str(u.lastName),
			"full_name": fullName, "username": str(u.username), "image_url": st.userImageURL(u), "has_image": u.imageURL != "",
			"primary_email_address": email, "email_verified": emailVerified,
			"primary_phone_number": phone, "phone_number_verified": phoneVerified,
			"public_metadata": decode(u.public), "unsafe_metadata": decode(u.unsafe),
			"two_factor_enabled": u.twoFactorEnabled(), "created_at": u.createdAt.Unix(), "updated_at": u.updatedAt.Unix(),
		}
	}
	if m := st.members[se.activeOrg][se.userID]; m != nil {
		o := st.orgs[se.activeOrg]
		perms := []any{}
		if role := st.roles[m.role]; role != nil {
			for _, p := range role.permissions() {
				perms = append(perms, p)
			}
		}
		ctx["org"] = map[string]any{
			"id": o.id, "name": o.name, "slug": o.slug, "image_url": st.imageURL(o.id), "has_image": false,
			"role": m.role, "public_metadata": decode(o.public),
		}
		ctx["org_membership"] = map[string]any{"permissions": perms, "public_metadata": decode(m.public)}
	}
	if se.actor != nil {
		ctx["session"] = map[string]any{"actor": decode(se.actor)}
	}
	return ctx
}

// render resolves the shortcodes of a claim value: a string that is one
// shortcode, "{{user.public_metadata}}", becomes that value with its JSON
// type (null when it has none); shortcodes within a longer string are
// interpolated as text (a null as ""). "{{a || b || 'literal'}}" takes the
// first alternative that is not null. Objects and arrays are rendered
// member by member; other values stay.
func (ctx shortcodes) render(v any) any {
	switch v := v.(type) {
	case string:
		if inner, ok := strings.CutPrefix(v, "{{"); ok {
			if expr, ok := strings.CutSuffix(inner, "}}"); ok && !strings.Contains(expr, "{{") && !strings.Contains(expr, "}}") {
				return ctx.eval(expr)
			}
		}
		if !strings.Contains(v, "{{") {
			return v
		}
		var out strings.Builder
		rest := v
		for {
			i := strings.Index(rest, "{{")
			if i < 0 {
				break
			}
			j := strings.Index(rest[i:], "}}")
			if j < 0 {
				break
			}
			out.WriteString(rest[:i])
			out.WriteString(shortcodeText(ctx.eval(rest[i+2 : i+j])))
			rest = rest[i+j+2:]
		}
		out.WriteString(rest)
		return out.String()
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, el := range v {
			out[k] = ctx.render(el)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, el := range v {
			out[i] = ctx.render(el)
		}
		return out
	}
	return v
}

// eval evaluates a shortcode expression: alternatives separated by ||,
// each a dotted path or a literal ('text', "text", a number, true, false,
// null).
func (ctx shortcodes) eval(expr string) any {
	for alt := range strings.SplitSeq(expr, "||") {
		if v := ctx.term(strings.TrimSpace(alt)); v != nil {
			return v
		}
	}
	return nil
}

func (ctx shortcodes) term(t string) any {
	if len(t) >= 2 && (t[0] == '\'' && t[len(t)-1] == '\'' || t[0] == '"' && t[len(t)-1] == '"') {
		return t[1 : len(t)-1]
	}
	switch t {
	case "", "null":
		return nil
	case "true":
		return true
	case "false":
		return false
	}
	if n, err := strconv.ParseFloat(t, 64); err == nil {
		return n
	}
	var cur any = map[string]any(ctx)
	for part := range strings.SplitSeq(t, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		if cur, ok = m[part]; !ok {
			return nil
		}
	}
	return cur
}

// shortcodeText is a value interpolated into a string.
func shortcodeText(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// seedTemplate adds a seeded JWT template (see SeedJWTTemplate).
func (st *state) seedTemplate(jt SeedJWTTemplate, now time.Time) error {
	if jt.ID != "" && (!strings.HasPrefix(jt.ID, "jtmp_") || len(jt.ID) == len("jtmp_") || st.tok.templates[jt.ID] != nil) {
		return errors.New("id " + strconv.Quote(jt.ID) + " must be new and start with jtmp_")
	}
	name := jt.Name
	b := &jwtTemplateBody{id: jt.ID, Name: &name, Claims: jt.Claims}
	if jt.Lifetime != 0 {
		b.Lifetime = nullable[int64]{set: true, v: jt.Lifetime}
	}
	if jt.AllowedClockSkew != nil {
		b.AllowedClockSkew = nullable[int64]{set: true, v: *jt.AllowedClockSkew}
	}
	if _, e := st.addTemplate(b, now); e != nil {
		return e.err()
	}
	return nil
}
