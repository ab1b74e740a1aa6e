package emulator_test

import (
	"context"
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"

	"github.com/clerkkit/clerkkit/clerktest/emulator"
)

// seedDocExample returns the JSON example in SeedData's doc comment.
func seedDocExample(t *testing.T) string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "seed.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.TYPE || g.Specs[0].(*ast.TypeSpec).Name.Name != "SeedData" {
			continue
		}
		var b strings.Builder
		for _, line := range strings.Split(g.Doc.Text(), "\n") {
			if code, ok := strings.CutPrefix(line, "\t"); ok {
				b.WriteString(code + "\n")
			}
		}
		return b.String()
	}
	t.Fatal("no SeedData doc comment")
	return ""
}

func TestSeedDocExampleLoads(t *testing.T) {
	example := seedDocExample(t)
	if !strings.Contains(example, `"memberships"`) {
		t.Fatalf("doc example not found:\n%s", example)
	}
	var d emulator.SeedData
	if err := json.Unmarshal([]byte(example), &d); err != nil {
		t.Fatal(err)
	}
	srv := emulator.NewServer(t)
	if err := srv.Seed(d); err != nil {
		t.Fatal(err)
	}
	// Every membership of the example works: its user signs in to it.
	v := mustVerifierFor(t, srv)
	for _, m := range d.Memberships {
		tok, err := srv.SessionToken(m.UserID, "org_acme")
		if err != nil {
			t.Fatal(err)
		}
		s, err := v.Verify(context.Background(), tok)
		if err != nil || s.OrgRole != m.Role || len(s.OrgPermissions) == 0 {
			t.Fatalf("%s: %+v, %v", m.UserID, s, err)
		}
	}
}

func TestSeedUnknownKeys(t *testing.T) {
	for _, tc := range []struct{ json, key, path string }{
		{`{"user":[]}`, "user", ""},
		{`{"users":[{"id":"user_a"},{"id":"user_b","email":"b@example.com"}]}`, "email", "users[1]"},
		{`{"users":[{"ID":"user_a"}]}`, "ID", "users[0]"}, // encoding/json would take it case-insensitively
		{`{"roles":[{"key":"org:x","perms":["org:a:b"]}]}`, "perms", "roles[0]"},
		{`{"organizations":[{"name":"A","createdBy":"user_a"}]}`, "createdBy", "organizations[0]"},
		{`{"memberships":[{"organization_id":"a","user_id":"u","org_role":"org:admin"}]}`, "org_role", "memberships[0]"},
	} {
		var d emulator.SeedData
		err := json.Unmarshal([]byte(tc.json), &d)
		var ke *emulator.SeedKeyError
		if !errors.As(err, &ke) || ke.Key != tc.key || ke.Path != tc.path || len(ke.Known) == 0 {
			t.Errorf("%s: %v", tc.json, err)
			continue
		}
		if !strings.Contains(err.Error(), `unknown key "`+tc.key+`"`) {
			t.Errorf("%s: %q does not name the key", tc.json, err)
		}
		if tc.path != "" && !strings.Contains(err.Error(), "in "+tc.path+" ") {
			t.Errorf("%s: %q does not say where", tc.json, err)
		}
	}
	// Metadata is free-form; malformed JSON and wrong types still fail as
	// encoding/json reports them.
	var d emulator.SeedData
	if err := json.Unmarshal([]byte(`{"users":[{"id":"user_a","public_metadata":{"anything":{"goes":[1]}}}]}`), &d); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{`{"users":[{"id":1}]}`, `{"users":`, `[]`, `{"users":{}}`} {
		if err := json.Unmarshal([]byte(bad), &d); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
	// The testdata file is valid as it is.
	raw, err := os.ReadFile("testdata/seed.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
}
