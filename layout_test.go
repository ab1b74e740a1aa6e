package clerkkit_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLightPackagesLinkNoSDK keeps the packages a service links for every
// request (token verification, the middleware, the shared errors) free of
// clerk-sdk-go and of everything but the standard library and go-jose.
func TestLightPackagesLinkNoSDK(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go tool")
	}
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}",
		"./auth", "./middleware", "./clerkerr").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		switch {
		case strings.HasPrefix(dep, "github.com/clerkkit/clerkkit/"),
			strings.HasPrefix(dep, "github.com/go-jose/go-jose/v4"):
		default:
			t.Errorf("auth, middleware or clerkerr depend on %s", dep)
		}
	}
	for _, forbidden := range []string{"clerkkit/internal/bapi", "clerkkit/memberships", "clerkkit/users"} {
		if strings.Contains(string(out), forbidden+"\n") {
			t.Errorf("auth, middleware or clerkerr depend on %s", forbidden)
		}
	}
}

// TestModuleGraphIsLean: the library's module, which every user of any of
// its packages inherits, requires none of the heavy modules that only the
// examples, the conformance tests and the Redis stores use (each in a
// module of its own).
func TestModuleGraphIsLean(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go tool")
	}
	cmd := exec.Command("go", "list", "-m", "all")
	cmd.Env = append(cmd.Environ(), "GOWORK=off")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list -m all: %v\n%s", err, out)
	}
	for _, heavy := range []string{"github.com/chromedp/", "github.com/jackc/pgx", "modernc.org/", "github.com/getkin/kin-openapi", "github.com/gorilla/mux", "github.com/redis/go-redis"} {
		if strings.Contains(string(out), heavy) {
			t.Errorf("the library's module graph contains %s", heavy)
		}
	}
}
