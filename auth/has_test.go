package auth

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestOrgPermissionsV2WorkedExample(t *testing.T) {
	got, err := orgPermissionsV2("o:dashboard,o:teams", "manage,read", "3,2")
	assert.NoError(t, err)
	assert.Equal(t, []string{"org:dashboard:manage", "org:dashboard:read", "org:teams:read"}, got)
}

func TestOrgPermissionsV2(t *testing.T) {
	// 70 permission names; the mask for "big" sets bits 0 and 69.
	var per []string
	for i := range 70 {
		per = append(per, fmt.Sprintf("p%d", i))
	}
	perStr := ""
	for i, p := range per {
		if i > 0 {
			perStr += ","
		}
		perStr += p
	}
	// 2^69 + 1 = 590295810358705651713. The masks belong to the org-scoped
	// entries only (big, both), as in Clerk's parser; the third is extra.
	got, err := orgPermissionsV2("o:big,u:export,ou:both", perStr, "590295810358705651713,1,2")
	assert.NoError(t, err)
	assert.Equal(t, []string{"org:big:p0", "org:big:p69", "org:both:p0"}, got)
	got, err = orgPermissionsV2("u:x,o:a,uo:b", "read,write", "3,2")
	assert.NoError(t, err)
	assert.Equal(t, []string{"org:a:read", "org:a:write", "org:b:write"}, got)
	got, err = orgPermissionsV2("o:a,u:x", "read,write", "3")
	assert.NoError(t, err)
	assert.Equal(t, []string{"org:a:read", "org:a:write"}, got)
	// Unknown scopes are not org-scoped ("foo" contains an o).
	got, err = orgPermissionsV2("foo:x,o:a", "read", "1")
	assert.NoError(t, err)
	assert.Equal(t, []string{"org:a:read"}, got)
	// Entries are trimmed; the name after the first colon is kept whole.
	got, err = orgPermissionsV2(" o:a:b , o:", " read , write ", " 3 , 2 ")
	assert.NoError(t, err)
	assert.Equal(t, []string{"org:a:b:read", "org:a:b:write", "org::write"}, got)

	// What Clerk's parser ignores grants nothing and is not an error.
	for name, tc := range map[string]struct {
		fea, per, fpm string
		want          []string
	}{
		"mask beyond per":    {"o:a", "read", "2", nil},
		"bits beyond per":    {"o:a", "read", "7", []string{"org:a:read"}},
		"fewer masks":        {"o:a,o:b", "read", "1", []string{"org:a:read"}},
		"masks for neither":  {"o:a,u:b,u:c", "read", "1,1", []string{"org:a:read"}},
		"more masks":         {"o:a", "read", "1,1", []string{"org:a:read"}},
		"negative mask":      {"o:a,o:b", "read", "-1,1", []string{"org:b:read"}},
		"hex mask":           {"o:a", "read", "0x1", nil},
		"empty mask":         {"o:a,o:b", "read", "1,", []string{"org:a:read"}},
		"masks but no fea":   {"", "read", "1", nil},
		"float mask":         {"o:a", "read", "1.0", nil},
		"mask with exponent": {"o:a", "read", "1e2", nil},
		"no per":             {"o:a", "", "1", nil},
		"no fpm":             {"o:a", "read", "", nil},
		"zero masks":         {"o:a,o:b", "read,write", "0,0", nil},
	} {
		got, err := orgPermissionsV2(tc.fea, tc.per, tc.fpm)
		assert.NoError(t, err, name)
		assert.Equal(t, tc.want, got, name)
	}
	// A fea entry without a scope makes Clerk's parser throw.
	for _, fea := range []string{"dashboard", "o:a,", "o:a,,o:b", ","} {
		_, err := orgPermissionsV2(fea, "read", "1")
		assert.Error(t, err, fea)
		_, err = orgPermissionsV2(fea, "", "")
		assert.Error(t, err, fea+" without permissions")
	}
}

func TestHas(t *testing.T) {
	admin := &Session{
		UserID: "user_1", OrgID: "org_1", OrgRole: "org:admin",
		OrgPermissions: []string{"org:invoices:create", "org:sys_memberships:manage"},
		Features:       []string{"o:dashboard", "u:export", "ou:sso"},
		Plans:          []string{"o:pro", "u:free"},
	}
	noOrg := &Session{UserID: "user_1", Features: []string{"u:export"}, Plans: []string{"u:free"}}
	cases := []struct {
		name string
		s    *Session
		c    Check
		want bool
	}{
		{"nothing asked", admin, Check{}, false},
		{"nil session", nil, Check{Role: "admin"}, false},
		{"no user", &Session{OrgID: "org_1", OrgRole: "org:admin"}, Check{Role: "admin"}, false},
		{"role prefixed", admin, Check{Role: "org:admin"}, true},
		{"role unprefixed", admin, Check{Role: "admin"}, true},
		{"role double prefix", admin, Check{Role: "org:org:admin"}, true},
		{"other role", admin, Check{Role: "org:member"}, false},
		{"role without org", noOrg, Check{Role: "admin"}, false},
		{"permission", admin, Check{Permission: "org:invoices:create"}, true},
		{"permission unprefixed", admin, Check{Permission: "invoices:create"}, true},
		{"missing permission", admin, Check{Permission: "org:invoices:delete"}, false},
		{"permission without org", noOrg, Check{Permission: "org:invoices:create"}, false},
		{"role and permission both", admin, Check{Role: "admin", Permission: "org:invoices:create"}, true},
		{"role ok permission not", admin, Check{Role: "admin", Permission: "org:x:y"}, false},
		{"feature org scope", admin, Check{Feature: "org:dashboard"}, true},
		{"feature o scope", admin, Check{Feature: "o:dashboard"}, true},
		{"feature organization scope", admin, Check{Feature: "organization:dashboard"}, true},
		{"feature wrong scope", admin, Check{Feature: "user:dashboard"}, false},
		{"feature user scope", admin, Check{Feature: "user:export"}, true},
		{"feature unscoped org", admin, Check{Feature: "dashboard"}, true},
		{"feature unscoped user", noOrg, Check{Feature: "export"}, true},
		{"feature both scopes", admin, Check{Feature: "u:sso"}, true},
		{"feature bad scope", admin, Check{Feature: "team:dashboard"}, false},
		{"feature empty name", admin, Check{Feature: "org:"}, false},
		{"plan", admin, Check{Plan: "org:pro"}, true},
		{"plan unscoped", noOrg, Check{Plan: "free"}, true},
		{"plan missing", noOrg, Check{Plan: "pro"}, false},
		{"feature and plan", admin, Check{Feature: "dashboard", Plan: "user:free"}, true},
		{"feature ok plan not", admin, Check{Feature: "dashboard", Plan: "enterprise"}, false},
		{"malformed feature claim", &Session{UserID: "u", Features: []string{"dashboard", "o:x"}}, Check{Feature: "x"}, false},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, tc.s.Has(tc.c), tc.name)
	}
}

func TestHasReverification(t *testing.T) {
	fva := func(a, b int) *Session { return &Session{UserID: "u", FactorVerificationAge: &[2]int{a, b}} }
	cases := []struct {
		name string
		s    *Session
		r    Reverification
		want bool
	}{
		{"strict fresh 2fa", fva(0, 5), Reverify(Strict), true},
		{"strict stale 2fa", fva(0, 10), Reverify(Strict), false},
		{"strict no 2fa falls back to 1fa", fva(3, -1), Reverify(Strict), true},
		{"strict no 2fa stale 1fa", fva(30, -1), Reverify(Strict), false},
		{"strict_mfa without 2fa enrolled falls back to 1fa", fva(1, -1), Reverify(StrictMFA), true},
		{"strict_mfa without 2fa enrolled stale 1fa", fva(10, -1), Reverify(StrictMFA), false},
		{"strict_mfa no 1fa", fva(-1, 1), Reverify(StrictMFA), false},
		{"strict_mfa both fresh", fva(1, 2), Reverify(StrictMFA), true},
		{"strict_mfa stale 1fa", fva(11, 2), Reverify(StrictMFA), false},
		{"moderate", fva(100, 59), Reverify(Moderate), true},
		{"moderate stale", fva(0, 60), Reverify(Moderate), false},
		{"lax", fva(5000, 1439), Reverify(Lax), true},
		{"no 1fa, fresh 2fa passes second_factor", fva(-1, 0), Reverify(Lax), true},
		{"no 1fa, fresh 2fa passes strict", fva(-1, 9), Reverify(Strict), true},
		{"no 1fa, stale 2fa", fva(-1, 10), Reverify(Strict), false},
		{"no 1fa fails first_factor", fva(-1, 0), Reverification{Level: FirstFactor, AfterMinutes: 5}, false},
		{"no factor enrolled", fva(-1, -1), Reverify(Lax), false},
		{"invalid age", fva(0, -2), Reverify(Lax), false},
		{"no fva", &Session{UserID: "u"}, Reverify(Lax), false},
		{"unknown preset", fva(0, 0), Reverify("extreme"), false},
		{"custom first factor", fva(4, 100), Reverification{Level: FirstFactor, AfterMinutes: 5}, true},
		{"custom zero minutes", fva(0, 0), Reverification{Level: FirstFactor}, false},
		{"custom bad level", fva(0, 0), Reverification{Level: "third_factor", AfterMinutes: 5}, false},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, tc.s.Has(Check{Reverification: tc.r}), tc.name)
	}
}
