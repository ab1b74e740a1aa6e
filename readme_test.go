package clerkkit_test

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestREADMESnippets compiles every ```go block of README.md (with go
// vet, which type-checks it and runs vet's checks), so that the README
// cannot show code that does not build. See snippetFile for how a block
// becomes a file.
func TestREADMESnippets(t *testing.T) {
	md, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	snippets := goSnippets(md)
	if len(snippets) < 5 {
		t.Fatalf("found %d Go snippets in README.md", len(snippets))
	}
	if out, err := vetSnippets(t, "README.md", snippets); err != nil {
		t.Fatalf("README.md snippets do not compile (positions are README.md lines):\n%s", out)
	}
}

// TestREADMESnippetsCheckFails shows that the check above catches a
// snippet that does not compile, and says where it is: a plain function
// where an http.Handler is wanted (the README once had exactly this), an
// undefined name, a syntax error. The good snippets around them pass.
func TestREADMESnippetsCheckFails(t *testing.T) {
	md := strings.Join([]string{
		"# Doc", // 1
		"```go", // 2
		"m := middleware.New(v)",
		"mux.Handle(\"GET /ok\", m.RequireAuth(http.HandlerFunc(meHandler)))", // 4: fine
		"",
		"func meHandler(w http.ResponseWriter, r *http.Request) {}",
		"```",
		"```go", // 8
		"m := middleware.New(v)",
		"mux.Handle(\"GET /bad\", m.RequireAuth(meHandler))", // 10: a func is no http.Handler
		"",
		"func meHandler(w http.ResponseWriter, r *http.Request) {}",
		"```",
		"```go",                      // 14
		"fmt.Println(undefinedName)", // 15
		"```",
		"```go",              // 17
		"if x := 1; x > 0 {", // 18: never closed
		"```",
		"```go", // 20: a whole file
		"package main",
		"",
		"func main() { var unused int }", // 23
		"```",
	}, "\n")
	out, err := vetSnippets(t, "DOC.md", goSnippets([]byte(md)))
	if err == nil {
		t.Fatal("broken snippets passed")
	}
	for _, want := range []string{`/DOC\.md:10: cannot use meHandler`, `/DOC\.md:15: undefined: undefinedName`,
		`/DOC\.md:\d+: expected '}'`, `/DOC\.md:23: declared and not used: unused`} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("output does not match %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "DOC.md:4:") {
		t.Errorf("the good snippet was reported:\n%s", out)
	}
}

// snippet is one ```go block: its text and the line of its first line.
type snippet struct {
	code string
	line int
}

// goSnippets returns the ```go blocks of a Markdown document.
func goSnippets(md []byte) []snippet {
	var out []snippet
	var cur *snippet
	var b strings.Builder
	for i, line := range strings.Split(string(md), "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case cur == nil && trimmed == "```go":
			cur = &snippet{line: i + 2}
			b.Reset()
		case cur != nil && trimmed == "```":
			cur.code = b.String()
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			b.WriteString(line + "\n")
		}
	}
	if cur != nil { // unterminated: still checked
		cur.code = b.String()
		out = append(out, *cur)
	}
	return out
}

// snippetImports are the packages a function-body snippet may use without
// importing them, each with a use that keeps an unused import legal.
var snippetImports = []struct{ path, use string }{
	{"context", "context.Background"},
	{"encoding/json", "json.Marshal"},
	{"errors", "errors.New"},
	{"fmt", "fmt.Sprint"},
	{"log", "log.Print"},
	{"net/http", "http.NewServeMux"},
	{"os", "os.Getenv"},
	{"testing", "testing.Short"},
	{"time", "time.Now"},
	{"github.com/clerk/clerk-sdk-go/v2", "clerk.String"},
	{"github.com/go-chi/chi/v5", "chi.NewRouter"},
	{"github.com/clerkkit/clerkkit", "clerkkit.New"},
	{"github.com/clerkkit/clerkkit/auth", "auth.NewVerifier"},
	{"github.com/clerkkit/clerkkit/clerktest", "clerktest.NewIssuer"},
	{"github.com/clerkkit/clerkkit/clerktest/emulator", "emulator.NewServer"},
	{"github.com/clerkkit/clerkkit/clerkerr", "clerkerr.ErrForbidden"},
	{"github.com/clerkkit/clerkkit/memberships", "memberships.New"},
	{"github.com/clerkkit/clerkkit/metadata", "metadata.NewPatch"},
	{"github.com/clerkkit/clerkkit/middleware", "middleware.New"},
	{"github.com/clerkkit/clerkkit/organizations", "organizations.New"},
	{"github.com/clerkkit/clerkkit/users", "users.New"},
	{"github.com/clerkkit/clerkkit/webhooks", "webhooks.NewHandler"},
}

// snippetVars are the variables a function-body snippet may use without
// declaring them (it may declare its own of the same names).
const snippetVars = `ctx context.Context, t *testing.T, t0 time.Time,
	v *auth.Verifier, m *middleware.Middleware, c *clerkkit.Client, mux *http.ServeMux,
	w http.ResponseWriter, r *http.Request,
	addr, token, secret, userID, orgID string, u *clerk.User,
	invite, create, del, org, members, remove http.HandlerFunc,
	sqlStore webhooks.Store, db snippetDB`

// snippetTypes are the types a function-body snippet may use.
const snippetTypes = `// snippetDB is the application's own database in the snippets.
type snippetDB interface {
	InsertUser(ctx context.Context, u *clerk.User) error
	DeleteMembership(ctx context.Context, id string) error
}

// Prefs is an application type stored in metadata.
type Prefs struct {
	Theme string ` + "`json:\"theme\"`" + `
}
`

// ginStub stands in for github.com/gin-gonic/gin, which is no dependency
// of this module, with the real signatures of what the README uses.
const ginStub = `// Package gin has the signatures of github.com/gin-gonic/gin that the
// README uses.
package gin

import "net/http"

type H map[string]any

type HandlerFunc func(*Context)

type Context struct{ Request *http.Request }

func (c *Context) AbortWithStatusJSON(code int, jsonObj any) {}
func (c *Context) Next()                                     {}

type IRoutes interface{ Use(...HandlerFunc) IRoutes }

type Engine struct{}

func Default() *Engine                               { return &Engine{} }
func New() *Engine                                   { return &Engine{} }
func (e *Engine) Use(middleware ...HandlerFunc) IRoutes { return e }
`

// topLevel starts the declarations part of a snippet.
var topLevel = regexp.MustCompile(`(?m)^(func|type) `)

// snippetFile returns the Go file for s, with //line directives so that
// compiler positions are lines of doc. A snippet is one of:
//
//   - a whole file, when it starts with a package clause: used as it is;
//   - statements, optionally followed by top-level declarations (from the
//     first line starting with "func " or "type "): the statements become
//     the body of a function whose parameters are snippetVars, in a file
//     that imports snippetImports (gin is a stub with gin's signatures)
//     and declares snippetTypes. A variable the statements declare at
//     their top level may be left unused, as a snippet ends where the
//     reader's code goes on; every other compile error counts.
func snippetFile(doc, pkg string, s snippet, ginPath string) ([]byte, error) {
	if abs, err := filepath.Abs(doc); err == nil {
		doc = abs
	}
	if strings.HasPrefix(strings.TrimSpace(s.code), "package ") {
		return fmt.Appendf(nil, "//line %s:%d\n%s", doc, s.line, s.code), nil
	}
	body, decls := s.code, ""
	declLine := 0
	if loc := topLevel.FindStringIndex(s.code); loc != nil {
		body, decls = s.code[:loc[0]], s.code[loc[0]:]
		declLine = s.line + strings.Count(body, "\n")
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "package %s\n\nimport (\n", pkg)
	for _, imp := range snippetImports {
		fmt.Fprintf(&b, "\t%q\n", imp.path)
	}
	fmt.Fprintf(&b, "\tgin %q\n)\n\nvar (\n\t_ = gin.Default\n", ginPath)
	for _, imp := range snippetImports {
		fmt.Fprintf(&b, "\t_ = %s\n", imp.use)
	}
	fmt.Fprintf(&b, ")\n\n%s\nfunc snippet(%s) {\n\t{\n//line %s:%d\n", snippetTypes, snippetVars, doc, s.line)
	bodyStart := b.Len()
	b.WriteString(body)
	bodyEnd := b.Len()
	b.WriteString("\n\t}\n}\n")
	if decls != "" {
		fmt.Fprintf(&b, "\n//line %s:%d\n%s", doc, declLine, decls)
	}
	return allowUnusedTopLevel(b.Bytes(), bodyStart, bodyEnd)
}

// allowUnusedTopLevel adds "; _ = x" after each statement between offsets
// start and end (the snippet's statements) that declares x at the top
// level of the block. A file that does not parse is returned as it is,
// for the compiler to report.
func allowUnusedTopLevel(src []byte, start, end int) ([]byte, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", src, parser.SkipObjectResolution)
	if err != nil {
		return src, nil
	}
	type insert struct {
		at   int
		text string
	}
	var ins []insert
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Name.Name != "snippet" || len(fn.Body.List) != 1 {
			continue
		}
		block := fn.Body.List[0].(*ast.BlockStmt)
		for _, st := range block.List {
			var names []*ast.Ident
			switch st := st.(type) {
			case *ast.AssignStmt:
				if st.Tok == token.DEFINE {
					for _, e := range st.Lhs {
						if id, ok := e.(*ast.Ident); ok {
							names = append(names, id)
						}
					}
				}
			case *ast.DeclStmt:
				if g, ok := st.Decl.(*ast.GenDecl); ok && g.Tok == token.VAR {
					for _, sp := range g.Specs {
						names = append(names, sp.(*ast.ValueSpec).Names...)
					}
				}
			}
			var text strings.Builder
			for _, id := range names {
				if id.Name != "_" {
					text.WriteString("; _ = " + id.Name)
				}
			}
			at := fset.File(st.End()).Offset(st.End())
			if text.Len() > 0 && at >= start && at <= end {
				ins = append(ins, insert{at, text.String()})
			}
		}
	}
	slices.SortFunc(ins, func(a, b insert) int { return b.at - a.at })
	out := slices.Clone(src)
	for _, in := range ins {
		out = slices.Insert(out, in.at, []byte(in.text)...)
	}
	return out, nil
}

// vetSnippets writes each snippet as its own package in a temporary
// directory inside the module (its name starts with "_", so ./... never
// includes it; the packages are named one by one) and runs go vet on
// them all. It returns go vet's output
// and its error.
func vetSnippets(t *testing.T, doc string, snippets []snippet) (string, error) {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to compile the snippets: %v", err)
	}
	dir, err := os.MkdirTemp(".", "_snippets")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	ginPath := "github.com/clerkkit/clerkkit/" + filepath.ToSlash(filepath.Clean(dir)) + "/gin"
	write := func(rel string, src []byte) {
		t.Helper()
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("gin/gin.go", []byte(ginStub))
	args := []string{"vet"}
	for i, s := range snippets {
		pkg := fmt.Sprintf("s%02d", i+1)
		src, err := snippetFile(doc, pkg, s, ginPath)
		if err != nil {
			t.Fatal(err)
		}
		write(filepath.Join(pkg, "snippet.go"), src)
		args = append(args, "./"+filepath.ToSlash(filepath.Join(dir, pkg)))
	}
	cmd := exec.Command(goBin, args...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
