package clerktest_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerktest"
)

func num(n int64) json.Number { return json.Number(fmt.Sprint(n)) }

func TestTokenDefaults(t *testing.T) {
	iss := clerktest.NewIssuer(t, clerktest.IssuerOptions{Clock: clerktest.NewClock(t0)})
	tok := iss.Token(clerktest.Claims{UserID: "user_1"})

	h := headerOf(t, tok)
	wantH := map[string]any{"alg": "RS256", "kid": iss.KeyID(), "typ": "JWT", "cat": "cl_B7d4PD111AAA"}
	if !reflect.DeepEqual(h, wantH) {
		t.Errorf("header %v, want %v", h, wantH)
	}
	p := payloadOf(t, tok)
	sid, _ := p["sid"].(string)
	if !strings.HasPrefix(sid, "sess_") || len(sid) < 20 {
		t.Errorf("sid %q, want a random sess_…", sid)
	}
	wantP := map[string]any{
		"sub": "user_1",
		"sid": sid,
		"iss": iss.IssuerURL(),
		"iat": num(t0.Unix()),
		"nbf": num(t0.Unix() - 10),
		"exp": num(t0.Unix() + 60),
		"v":   num(2),
	}
	if !reflect.DeepEqual(p, wantP) {
		t.Errorf("payload %v, want %v", p, wantP)
	}
	if other := payloadOf(t, iss.Token(clerktest.Claims{UserID: "user_1"}))["sid"]; other == sid {
		t.Error("two tokens share a random sid")
	}

	// Times follow the clock, and nbf and exp follow an explicit iat.
	iss.Clock().Advance(time.Hour)
	p = payloadOf(t, iss.Token(clerktest.Claims{}))
	if p["iat"] != num(t0.Unix()+3600) {
		t.Errorf("iat %v after Advance", p["iat"])
	}
	if _, ok := p["sub"]; ok {
		t.Error("empty UserID produced a sub claim")
	}
	iat := t0.Add(-time.Minute)
	p = payloadOf(t, iss.Token(clerktest.Claims{UserID: "u", IssuedAt: iat}))
	if p["iat"] != num(iat.Unix()) || p["nbf"] != num(iat.Unix()-10) || p["exp"] != num(iat.Unix()+60) {
		t.Errorf("explicit iat: %v", p)
	}
	p = payloadOf(t, iss.Token(clerktest.Claims{UserID: "u", NotBefore: t0, ExpiresAt: t0.Add(time.Hour)}))
	if p["nbf"] != num(t0.Unix()) || p["exp"] != num(t0.Unix()+3600) {
		t.Errorf("explicit nbf, exp: %v", p)
	}
}

func TestTokenAllClaims(t *testing.T) {
	iss := clerktest.NewIssuer(t)
	fva := [2]int{3, -1}
	c := clerktest.Claims{
		UserID:    "user_1",
		SessionID: "sess_1",
		Org:       &clerktest.Org{ID: "org_1", Slug: "acme", Role: "org:admin", Permissions: []string{"org:invoices:create"}},
		Features:  []string{"u:export"},
		Plans:     []string{"u:free", "o:pro"},
		Actor:     &clerktest.Actor{Subject: "user_admin", SessionID: "sess_admin", Issuer: "https://dashboard.clerk.com"},
		FVA:       &fva,
		Status:    "active",
		AZP:       "https://app.example.com",
		Extra:     map[string]any{"metadata": map[string]any{"plan": "gold"}},
	}
	tok := iss.Token(c)
	cfg := iss.AuthConfig()
	cfg.AuthorizedParties = []string{"https://app.example.com"}
	s := mustVerify(t, newVerifier(t, cfg), tok)
	want := auth.Session{
		UserID:                "user_1",
		SessionID:             "sess_1",
		Issuer:                iss.IssuerURL(),
		AuthorizedParty:       "https://app.example.com",
		IssuedAt:              s.IssuedAt,
		NotBefore:             s.NotBefore,
		ExpiresAt:             s.ExpiresAt,
		Version:               2,
		OrgID:                 "org_1",
		OrgSlug:               "acme",
		OrgRole:               "org:admin",
		OrgPermissions:        []string{"org:invoices:create"},
		Features:              []string{"o:invoices", "u:export"},
		Plans:                 []string{"u:free", "o:pro"},
		Actor:                 &auth.Actor{Issuer: "https://dashboard.clerk.com", SessionID: "sess_admin", Subject: "user_admin"},
		Status:                "active",
		FactorVerificationAge: &fva,
	}
	got := *s
	got = auth.Session{
		UserID: got.UserID, SessionID: got.SessionID, Issuer: got.Issuer, AuthorizedParty: got.AuthorizedParty,
		IssuedAt: got.IssuedAt, NotBefore: got.NotBefore, ExpiresAt: got.ExpiresAt, Version: got.Version,
		OrgID: got.OrgID, OrgSlug: got.OrgSlug, OrgRole: got.OrgRole, OrgPermissions: got.OrgPermissions,
		Features: got.Features, Plans: got.Plans, Actor: got.Actor, Status: got.Status, FactorVerificationAge: got.FactorVerificationAge,
	} // drop the unexported raw claims
	if !reflect.DeepEqual(got, want) {
		t.Errorf("session\n got %+v\nwant %+v", got, want)
	}
	if s.ExpiresAt.Sub(s.IssuedAt) != time.Minute || s.IssuedAt.Sub(s.NotBefore) != 10*time.Second {
		t.Errorf("times iat %v nbf %v exp %v", s.IssuedAt, s.NotBefore, s.ExpiresAt)
	}
	md, err := auth.Claim[map[string]string](s, "metadata")
	if err != nil || md["plan"] != "gold" {
		t.Errorf("metadata claim: %v %v", md, err)
	}
	for _, ch := range []auth.Check{
		{Role: "admin"}, {Permission: "org:invoices:create"}, {Feature: "export"}, {Feature: "u:export"},
		{Feature: "o:invoices"}, {Plan: "pro"}, {Plan: "user:free"}, {Reverification: auth.Reverify(auth.Strict)},
	} {
		if !s.Has(ch) {
			t.Errorf("Has(%+v) = false", ch)
		}
	}
	if s.Has(auth.Check{Feature: "o:export"}) || s.Has(auth.Check{Permission: "org:invoices:delete"}) {
		t.Error("Has grants what the token does not carry")
	}
}

// Version 1 and version 2 tokens for the same org give the same session.
func TestVersionsAgree(t *testing.T) {
	iss := clerktest.NewIssuer(t)
	v := newVerifier(t, iss.AuthConfig())
	orgs := []*clerktest.Org{
		nil,
		{ID: "org_1", Slug: "acme", Role: "admin"},
		{ID: "org_1", Slug: "acme", Role: "org:member", Permissions: []string{"org:invoices:read"}},
		{ID: "org_2", Slug: "beta", Role: "org:billing_manager", Permissions: []string{
			"org:teams:read", "org:dashboard:manage", "org:dashboard:read", "org:teams:manage", "org:billing:export",
		}},
	}
	for _, org := range orgs {
		var s [2]*auth.Session
		for i, version := range []int{1, 2} {
			tok := iss.Token(clerktest.Claims{UserID: "user_1", Version: version, Org: org})
			p := payloadOf(t, tok)
			if _, hasV := p["v"]; hasV != (version == 2) {
				t.Errorf("version %d: v claim present = %v", version, hasV)
			}
			_, hasO := p["o"]
			_, hasOrgID := p["org_id"]
			if hasO != (version == 2 && org != nil) || hasOrgID != (version == 1 && org != nil) {
				t.Errorf("version %d: o present %v, org_id present %v", version, hasO, hasOrgID)
			}
			s[i] = mustVerify(t, v, tok)
			if s[i].Version != version {
				t.Errorf("Session.Version = %d, want %d", s[i].Version, version)
			}
		}
		v1, v2 := s[0], s[1]
		if v1.OrgID != v2.OrgID || v1.OrgSlug != v2.OrgSlug || v1.OrgRole != v2.OrgRole ||
			!slices.Equal(sorted(v1.OrgPermissions), sorted(v2.OrgPermissions)) {
			t.Errorf("org %+v: v1 %q %q %q %v, v2 %q %q %q %v", org,
				v1.OrgID, v1.OrgSlug, v1.OrgRole, v1.OrgPermissions, v2.OrgID, v2.OrgSlug, v2.OrgRole, v2.OrgPermissions)
		}
		if org != nil {
			if want := "org:" + strings.TrimPrefix(org.Role, "org:"); v2.OrgRole != want {
				t.Errorf("OrgRole %q, want %q", v2.OrgRole, want)
			}
			if !slices.Equal(sorted(v2.OrgPermissions), sorted(org.Permissions)) {
				t.Errorf("OrgPermissions %v, want %v", v2.OrgPermissions, org.Permissions)
			}
		}
	}
}

func TestVersion1Layout(t *testing.T) {
	iss := clerktest.NewIssuer(t)
	p := payloadOf(t, iss.Token(clerktest.Claims{
		UserID: "user_1", Version: 1, Features: []string{"u:export"}, Plans: []string{"u:free"},
		Org: &clerktest.Org{ID: "org_1", Slug: "acme", Role: "admin", Permissions: []string{"org:a:b", "org:c:d"}},
	}))
	if p["org_id"] != "org_1" || p["org_slug"] != "acme" || p["org_role"] != "org:admin" ||
		!reflect.DeepEqual(p["org_permissions"], []any{"org:a:b", "org:c:d"}) || p["fea"] != "u:export" || p["pla"] != "u:free" {
		t.Errorf("v1 payload %v", p)
	}
	p = payloadOf(t, iss.Token(clerktest.Claims{UserID: "user_1", Version: 1, Org: &clerktest.Org{ID: "org_1"}}))
	if !reflect.DeepEqual(p["org_permissions"], []any{}) {
		t.Errorf("org without permissions: org_permissions %v, want []", p["org_permissions"])
	}
}

// The worked example of CLERK-FACTS section 2.
func TestWorkedFPMExample(t *testing.T) {
	iss := clerktest.NewIssuer(t)
	perms := []string{"org:dashboard:manage", "org:dashboard:read", "org:teams:read"}
	tok := iss.Token(clerktest.Claims{UserID: "user_1", Org: &clerktest.Org{ID: "org_1", Slug: "acme", Role: "org:admin", Permissions: perms}})
	p := payloadOf(t, tok)
	wantO := map[string]any{"id": "org_1", "slg": "acme", "rol": "admin", "per": "manage,read", "fpm": "3,2"}
	if !reflect.DeepEqual(p["o"], wantO) || p["fea"] != "o:dashboard,o:teams" {
		t.Errorf("o = %v, fea = %v; want %v, o:dashboard,o:teams", p["o"], p["fea"], wantO)
	}
	s := mustVerify(t, newVerifier(t, iss.AuthConfig()), tok)
	if !slices.Equal(s.OrgPermissions, perms) {
		t.Errorf("OrgPermissions %v, want %v", s.OrgPermissions, perms)
	}
}

func TestFeaturesAfterPermissionFeatures(t *testing.T) {
	iss := clerktest.NewIssuer(t)
	perms := []string{"org:dashboard:read", "org:teams:manage"}
	tok := iss.Token(clerktest.Claims{
		UserID:   "user_1",
		Org:      &clerktest.Org{ID: "org_1", Permissions: perms},
		Features: []string{"u:export", "o:dashboard", "o:sso"}, // o:dashboard is already implied
	})
	p := payloadOf(t, tok)
	o := p["o"].(map[string]any)
	if p["fea"] != "o:dashboard,o:teams,u:export,o:sso" || o["per"] != "read,manage" || o["fpm"] != "1,2,0,0" {
		t.Errorf("fea %v per %v fpm %v", p["fea"], o["per"], o["fpm"])
	}
	s := mustVerify(t, newVerifier(t, iss.AuthConfig()), tok)
	if !slices.Equal(s.OrgPermissions, perms) || !slices.Equal(s.Features, []string{"o:dashboard", "o:teams", "u:export", "o:sso"}) {
		t.Errorf("OrgPermissions %v, Features %v", s.OrgPermissions, s.Features)
	}

	// Features without an org, and an org without permissions.
	for _, c := range []clerktest.Claims{
		{UserID: "user_1", Features: []string{"u:export", "u:export"}},
		{UserID: "user_1", Org: &clerktest.Org{ID: "org_1"}, Features: []string{"u:export"}},
	} {
		p := payloadOf(t, iss.Token(c))
		if p["fea"] != "u:export" {
			t.Errorf("fea %v, want u:export", p["fea"])
		}
		if o, ok := p["o"].(map[string]any); ok && (o["per"] != nil || o["fpm"] != nil) {
			t.Errorf("org without permissions: o = %v", o)
		}
	}
}

// More than 64 distinct permission names: masks beyond uint64.
func TestManyPermissionNames(t *testing.T) {
	iss := clerktest.NewIssuer(t)
	var perms []string
	for i := range 70 {
		perms = append(perms, fmt.Sprintf("org:reports:p%02d", i))
		if i%3 == 0 {
			perms = append(perms, fmt.Sprintf("org:teams:p%02d", i))
		}
	}
	// The 64-bit boundary: a mask of exactly bit 63 fits a uint64, bit 64
	// does not.
	perms = append(perms, "org:billing:p69", "org:billing:p00", "org:edge:p63", "org:edge:p64", "org:top:p63")
	tok := iss.Token(clerktest.Claims{UserID: "user_1", Org: &clerktest.Org{ID: "org_1", Permissions: perms}})
	o := payloadOf(t, tok)["o"].(map[string]any)
	masks := strings.Split(o["fpm"].(string), ",")
	if len(masks) != 5 || len(strings.Split(o["per"].(string), ",")) != 70 {
		t.Fatalf("per %v fpm %v", o["per"], o["fpm"])
	}
	reports, _ := new(big.Int).SetString(masks[0], 10)
	if want := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 70), big.NewInt(1)); reports.Cmp(want) != 0 {
		t.Errorf("reports mask %v, want 2^70-1", reports)
	}
	if masks[2] != new(big.Int).SetBit(big.NewInt(1), 69, 1).String() {
		t.Errorf("billing mask %v, want bits 0 and 69", masks[2])
	}
	if want := new(big.Int).SetBit(new(big.Int).SetBit(new(big.Int), 63, 1), 64, 1).String(); masks[3] != want {
		t.Errorf("edge mask %v, want %v", masks[3], want)
	}
	if masks[4] != "9223372036854775808" {
		t.Errorf("top mask %v, want 2^63", masks[4])
	}
	s := mustVerify(t, newVerifier(t, iss.AuthConfig()), tok)
	if !slices.Equal(sorted(s.OrgPermissions), sorted(perms)) {
		t.Errorf("OrgPermissions (%d) differ from the input (%d)", len(s.OrgPermissions), len(perms))
	}
	if !s.Has(auth.Check{Permission: "org:reports:p69"}) || !s.Has(auth.Check{Permission: "org:teams:p66"}) || s.Has(auth.Check{Permission: "org:teams:p65"}) {
		t.Error("Has disagrees with the permissions")
	}
}

func TestTokenPanicsOnBadPermission(t *testing.T) {
	iss := clerktest.NewIssuer(t)
	for _, p := range []string{"invoices:create", "org:invoices", "org::create", "org:invoices:", "org:a:b:c", "org:a,b:c", "org:a:b,c"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("permission %q: no panic", p)
				}
			}()
			iss.Token(clerktest.Claims{UserID: "u", Org: &clerktest.Org{ID: "org_1", Permissions: []string{p}}})
		}()
		// Version 1 writes permissions as given.
		tok := iss.Token(clerktest.Claims{UserID: "u", Version: 1, Org: &clerktest.Org{ID: "org_1", Permissions: []string{p}}})
		if got := payloadOf(t, tok)["org_permissions"]; !reflect.DeepEqual(got, []any{p}) {
			t.Errorf("v1 org_permissions %v", got)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("unencodable Extra: no panic")
		}
	}()
	iss.Token(clerktest.Claims{UserID: "u", Extra: map[string]any{"bad": make(chan int)}})
}

// Broken tokens fail in auth with the expected error.
func TestHostileTokens(t *testing.T) {
	iss := clerktest.NewIssuer(t, clerktest.IssuerOptions{Clock: clerktest.NewClock(t0)})
	foreign, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	good := clerktest.Claims{UserID: "user_1"}
	h, p := iss.Encode(good)
	with := func(c clerktest.Claims, extra, header map[string]any) clerktest.Claims {
		c.Extra, c.Header = extra, header
		return c
	}
	pem := []byte(iss.PublicKeyPEM())
	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"no sub", iss.Token(clerktest.Claims{}), auth.ErrMalformed},
		{"sub omitted", iss.Token(with(good, map[string]any{"sub": clerktest.Omit}, nil)), auth.ErrMalformed},
		{"sub not a string", iss.Token(with(good, map[string]any{"sub": 42}, nil)), auth.ErrMalformed},
		{"machine subject", iss.Token(clerktest.Claims{UserID: "mch_1"}), auth.ErrTokenType},
		{"no exp", iss.Token(with(good, map[string]any{"exp": clerktest.Omit}, nil)), auth.ErrMalformed},
		{"exp as string", iss.Token(with(good, map[string]any{"exp": "soon"}, nil)), auth.ErrMalformed},
		{"expired", iss.Token(clerktest.Claims{UserID: "u", IssuedAt: t0.Add(-2 * time.Minute)}), auth.ErrExpired},
		{"not yet valid", iss.Token(clerktest.Claims{UserID: "u", NotBefore: t0.Add(time.Minute)}), auth.ErrNotYetValid},
		{"issued in the future", iss.Token(clerktest.Claims{UserID: "u", IssuedAt: t0.Add(time.Minute), NotBefore: t0}), auth.ErrIssuedInFuture},
		{"other issuer", iss.Token(clerktest.Claims{UserID: "u", Issuer: "https://clerk.attacker.example"}), auth.ErrInvalidIssuer},
		{"issuer prefix", iss.Token(clerktest.Claims{UserID: "u", Issuer: iss.IssuerURL() + ".attacker.example"}), auth.ErrInvalidIssuer},
		{"pending", iss.Token(clerktest.Claims{UserID: "u", Status: "pending"}), auth.ErrSessionPending},
		{"template token", iss.Token(with(good, nil, map[string]any{"cat": clerktest.CategoryTemplate})), auth.ErrTokenType},
		{"machine token", iss.Token(with(good, nil, map[string]any{"cat": clerktest.CategoryMachine})), auth.ErrTokenType},
		{"typ", iss.Token(with(good, nil, map[string]any{"typ": "at+jwt"})), auth.ErrTokenType},
		{"crit", iss.Token(with(good, nil, map[string]any{"crit": []string{"exp"}})), auth.ErrMalformed},
		{"alg none", clerktest.Unsigned([]byte(`{"alg":"none","kid":"`+iss.KeyID()+`"}`), p), auth.ErrMalformed},
		{"alg none signed", iss.Token(with(good, nil, map[string]any{"alg": "none"})), auth.ErrAlgorithm},
		{"HS256 with the public key", clerktest.SignHS256(pem, []byte(`{"alg":"HS256","kid":"`+iss.KeyID()+`"}`), p), auth.ErrAlgorithm},
		{"foreign key", clerktest.SignWith(foreign, "RS256", h, p), auth.ErrSignature},
		{"hash differs from alg", clerktest.SignWith(iss.PrivateKey(), "RS512", h, p), auth.ErrSignature},
		{"unknown kid", iss.Token(with(good, nil, map[string]any{"kid": "ins_unknown"})), auth.ErrUnknownKey},
		{"duplicate claim", iss.SignRaw(h, []byte(`{"sub":"user_1","sub":"user_2","exp":9999999999}`)), auth.ErrMalformed},
		{"duplicate escaped claim", iss.SignRaw(h, []byte(`{"sub":"user_1","s\u0075b":"user_2","exp":9999999999}`)), auth.ErrMalformed},
		{"duplicate header member", iss.SignRaw([]byte(`{"alg":"RS256","kid":"`+iss.KeyID()+`","alg":"none"}`), p), auth.ErrMalformed},
		{"payload not JSON", iss.SignRaw(h, []byte(`not json`)), auth.ErrMalformed},
	}
	v := newVerifier(t, iss.AuthConfig())
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := v.Verify(context.Background(), tc.token); !errors.Is(err, tc.want) {
				t.Errorf("Verify: %v, want %v", err, tc.want)
			}
		})
	}

	// Oddities that Clerk's own parser (@clerk/shared) reads rather than
	// refuses, and the verifier with it: an unknown v is version 1, masks
	// without an org-scoped feature or bits beyond o.per give nothing.
	for _, tc := range []struct {
		name  string
		token string
		check func(s *auth.Session) bool
	}{
		{"unknown version", iss.Token(clerktest.Claims{UserID: "u", Version: 3}), func(s *auth.Session) bool { return s.Version == 1 }},
		{"fpm without fea", iss.Token(with(good, map[string]any{"v": 2, "o": map[string]any{"id": "org_1", "rol": "admin", "per": "read", "fpm": "1"}}, nil)),
			func(s *auth.Session) bool { return s.OrgID == "org_1" && len(s.OrgPermissions) == 0 }},
		{"fpm beyond per", iss.Token(with(good, map[string]any{"v": 2, "fea": "o:a", "o": map[string]any{"id": "org_1", "rol": "admin", "per": "read", "fpm": "2"}}, nil)),
			func(s *auth.Session) bool { return s.OrgID == "org_1" && len(s.OrgPermissions) == 0 }},
	} {
		if s, err := v.Verify(context.Background(), tc.token); err != nil || !tc.check(s) {
			t.Errorf("%s: %+v, %v", tc.name, s, err)
		}
	}

	// The controls: the same tools produce valid tokens.
	for name, tok := range map[string]string{
		"Encode+SignRaw": iss.SignRaw(h, p),
		"SignWith":       clerktest.SignWith(iss.PrivateKey(), "RS256", h, p),
		"Token":          iss.Token(good),
	} {
		if _, err := v.Verify(context.Background(), tok); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if got := strings.Count(clerktest.Unsigned(h, p), "."); got != 2 || !strings.HasSuffix(clerktest.Unsigned(h, p), ".") {
		t.Error("Unsigned is not h.p.")
	}

	// RS384 and RS512, chosen by the header: the PEM key (no alg) takes
	// them; the JWKS key is published for RS256 only.
	networkless := newVerifier(t, auth.Config{JWTKey: iss.PublicKeyPEM(), Issuer: iss.IssuerURL(), Now: iss.Clock().Now})
	for _, alg := range []string{"RS384", "RS512"} {
		tok := iss.Token(with(good, nil, map[string]any{"alg": alg}))
		if headerOf(t, tok)["alg"] != alg {
			t.Fatalf("alg %v", headerOf(t, tok)["alg"])
		}
		mustVerify(t, networkless, tok)
		if _, err := v.Verify(context.Background(), tok); !errors.Is(err, auth.ErrSignature) {
			t.Errorf("%s against an RS256 JWK: %v, want ErrSignature", alg, err)
		}
	}
}

func TestTokenExpiresWithClock(t *testing.T) {
	iss := clerktest.NewIssuer(t, clerktest.IssuerOptions{Clock: clerktest.NewClock(t0)})
	v := newVerifier(t, iss.AuthConfig())
	tok := iss.Token(clerktest.Claims{UserID: "user_1"})
	mustVerify(t, v, tok)
	iss.Clock().Advance(clerktest.TokenLifetime + auth.DefaultClockSkew - time.Second)
	mustVerify(t, v, tok)
	iss.Clock().Advance(time.Second)
	if _, err := v.Verify(context.Background(), tok); !errors.Is(err, auth.ErrExpired) {
		t.Errorf("Verify after exp + skew: %v, want ErrExpired", err)
	}
}
