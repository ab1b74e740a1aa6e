package bapi

import (
	"net/url"
	"path"
	"strings"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
)

// FuzzID: whatever ID accepts stays one path segment once clerk-sdk-go
// joins it into a URL, with no query or fragment, and is not rewritten.
func FuzzID(f *testing.F) {
	for _, s := range []string{"user_2abc", "org_x", "acme-inc", "..", "a/b", "a?b", "a#b", "%2F", "a b", "-x", "a\\b", "é", "a.b", "~", "...", "a..b", ".", "a\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		if ID("op", "id", id) != nil {
			return
		}
		full, err := clerk.JoinPath("https://api.clerk.com/v1", "/users", id, "/ban")
		if err != nil {
			t.Fatalf("%q accepted but JoinPath fails: %v", id, err)
		}
		u, err := url.Parse(full)
		if err != nil {
			t.Fatal(err)
		}
		if u.RawQuery != "" || u.Fragment != "" || u.Host != "api.clerk.com" {
			t.Fatalf("%q changes the URL: %s", id, full)
		}
		segs := strings.Split(u.EscapedPath(), "/")
		if len(segs) != 5 || segs[3] != id || segs[4] != "ban" {
			t.Fatalf("%q is not exactly one segment: %s", id, u.EscapedPath())
		}
		if u.Path != "/v1/users/"+id+"/ban" || path.Clean(u.Path) != u.Path {
			t.Fatalf("%q is rewritten: %s", id, u.Path)
		}
	})
}
