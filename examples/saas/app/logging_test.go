package app

import "testing"

func TestLogPathRedactsSecrets(t *testing.T) {
	id := "ak_0123456789abcdef0123456789abcdef"
	for in, want := range map[string]string{
		"/api/projects": "/api/projects",
		"/api/orgs/org_demo_acme/api-keys/" + id + "/revoke":                 "/api/orgs/org_demo_acme/api-keys/" + id + "/revoke",
		"/api/orgs/org_demo_acme/api-keys/ak_q35NBn0ZwnKTJOIvo7uVPO5oUs7f/x": "/api/orgs/org_demo_acme/api-keys/[redacted]/x",
		"/api/orgs/org_demo_acme/api-keys/" + id + "0/revoke":                "/api/orgs/org_demo_acme/api-keys/[redacted]/revoke",
		"/orgs/mt_secret/oat_secret":                                         "/orgs/[redacted]/[redacted]",
		"/x/eyJhbGciOiJSUzI1NiJ9.e30.sig":                                    "/x/[redacted]",
		"/orgs/ak_":                                                          "/orgs/[redacted]",
		"/orgs/user_demo_admin/members":                                      "/orgs/user_demo_admin/members",
	} {
		if got := logPath(in); got != want {
			t.Errorf("logPath(%q) = %q, want %q", in, got, want)
		}
	}
}
