package metadata_test

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/clerkkit/clerkkit/metadata"
)

func TestGet(t *testing.T) {
	raw := json.RawMessage(`{"plan":"pro","seats":5,"big":12345678901234567890,"prefs":{"theme":"dark"},"tags":["a","b"],"gone":null,"ok":true}`)

	if s, err := metadata.Get[string](raw, "plan"); err != nil || s != "pro" {
		t.Errorf("plan = %q, %v", s, err)
	}
	if n, err := metadata.Get[int](raw, "seats"); err != nil || n != 5 {
		t.Errorf("seats = %d, %v", n, err)
	}
	if n, err := metadata.Get[uint64](raw, "big"); err != nil || n != 12345678901234567890 {
		t.Errorf("big = %d, %v (precision lost?)", n, err)
	}
	if b, err := metadata.Get[bool](raw, "ok"); err != nil || !b {
		t.Errorf("ok = %v, %v", b, err)
	}
	type prefs struct {
		Theme string `json:"theme"`
	}
	if p, err := metadata.Get[prefs](raw, "prefs"); err != nil || p.Theme != "dark" {
		t.Errorf("prefs = %+v, %v", p, err)
	}
	if tags, err := metadata.Get[[]string](raw, "tags"); err != nil || strings.Join(tags, ",") != "a,b" {
		t.Errorf("tags = %v, %v", tags, err)
	}
	if r, err := metadata.Get[json.RawMessage](raw, "prefs"); err != nil || string(r) != `{"theme":"dark"}` {
		t.Errorf("raw prefs = %s, %v", r, err)
	}

	for _, tc := range []struct {
		name string
		raw  string
		key  string
	}{
		{"absent", `{"a":1}`, "b"},
		{"null value", `{"gone":null}`, "gone"},
		{"empty raw", ``, "a"},
		{"null raw", `null`, "a"},
		{"empty object", `{}`, "a"},
		{"whitespace raw", " \n ", "a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := metadata.Get[string](json.RawMessage(tc.raw), tc.key)
			if !errors.Is(err, metadata.ErrNotFound) {
				t.Fatalf("err = %v, want ErrNotFound", err)
			}
			if v != "" {
				t.Errorf("value = %q, want zero", v)
			}
			if !strings.Contains(err.Error(), tc.key) {
				t.Errorf("error %q does not name the key", err)
			}
		})
	}

	for _, tc := range []struct {
		name, raw, want string
	}{
		{"wrong type", `{"a":"x"}`, "cannot unmarshal"},
		{"not an object", `[1,2]`, "must be a JSON object, got an array"},
		{"scalar", `"s"`, "must be a JSON object, got a string"},
		{"invalid", `{"a":`, "invalid JSON"},
		{"duplicate", `{"a":1,"a":2}`, `duplicate key "a"`},
		{"trailing", `{"a":1} {}`, "invalid JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := metadata.Get[int](json.RawMessage(tc.raw), "a")
			if err == nil || errors.Is(err, metadata.ErrNotFound) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestDecode(t *testing.T) {
	type meta struct {
		Plan  string         `json:"plan"`
		Prefs map[string]any `json:"prefs"`
	}
	for _, raw := range []string{"", "null", "  null  "} {
		m, err := metadata.Decode[meta](json.RawMessage(raw))
		if err != nil || m.Plan != "" || m.Prefs != nil {
			t.Errorf("Decode(%q) = %+v, %v; want zero, nil", raw, m, err)
		}
	}
	m, err := metadata.Decode[meta](json.RawMessage(`{"plan":"pro","prefs":{"x":1}}`))
	if err != nil || m.Plan != "pro" || m.Prefs["x"] != 1.0 {
		t.Errorf("Decode = %+v, %v", m, err)
	}
	if _, err := metadata.Decode[meta](json.RawMessage(`{"plan":1}`)); err == nil || !strings.HasPrefix(err.Error(), "metadata: ") {
		t.Errorf("Decode of a wrong type: err = %v", err)
	}
	mm, err := metadata.Decode[map[string]json.RawMessage](json.RawMessage(`{"a":[1]}`))
	if err != nil || string(mm["a"]) != "[1]" {
		t.Errorf("Decode into a map = %v, %v", mm, err)
	}
}

func TestMerge(t *testing.T) {
	for _, tc := range []struct {
		name, current, patch, want string
	}{
		{"empty current", ``, `{"a":1}`, `{"a":1}`},
		{"null current", `null`, `{"a":1}`, `{"a":1}`},
		{"empty patch", `{"a":1}`, `{}`, `{"a":1}`},
		{"add key", `{"a":1}`, `{"b":2}`, `{"a":1,"b":2}`},
		{"replace scalar", `{"a":1}`, `{"a":"x"}`, `{"a":"x"}`},
		{"remove top", `{"a":1,"b":2}`, `{"a":null}`, `{"b":2}`},
		{"remove absent", `{"a":1}`, `{"z":null}`, `{"a":1}`},
		{"null into empty", ``, `{"z":null}`, `{}`},
		{"deep merge depth 3", `{"a":{"b":{"c":1,"d":2},"e":3}}`, `{"a":{"b":{"c":10,"f":4}}}`, `{"a":{"b":{"c":10,"d":2,"f":4},"e":3}}`},
		{"remove at depth 3", `{"a":{"b":{"c":1,"d":2}}}`, `{"a":{"b":{"c":null}}}`, `{"a":{"b":{"d":2}}}`},
		{"remove at depth 4 leaves empty object", `{"a":{"b":{"c":{"d":1}}}}`, `{"a":{"b":{"c":{"d":null}}}}`, `{"a":{"b":{"c":{}}}}`},
		{"remove subtree", `{"a":{"b":{"c":1}},"x":1}`, `{"a":{"b":null}}`, `{"a":{},"x":1}`},
		{"arrays replaced, not merged", `{"a":[1,2,3]}`, `{"a":[4]}`, `{"a":[4]}`},
		{"array of objects replaced", `{"a":[{"x":1,"y":2}]}`, `{"a":[{"x":3}]}`, `{"a":[{"x":3}]}`},
		{"nulls inside arrays kept", `{}`, `{"a":[null,{"b":null}]}`, `{"a":[null,{"b":null}]}`},
		{"object replaces scalar", `{"a":1}`, `{"a":{"b":1}}`, `{"a":{"b":1}}`},
		{"scalar replaces object", `{"a":{"b":1}}`, `{"a":1}`, `{"a":1}`},
		{"array replaces object", `{"a":{"b":1}}`, `{"a":[]}`, `{"a":[]}`},
		{"object replaces array", `{"a":[1]}`, `{"a":{"b":1}}`, `{"a":{"b":1}}`},
		{"introduced object loses nulls", `{"a":1}`, `{"a":{"b":null,"c":{"d":null,"e":1}}}`, `{"a":{"c":{"e":1}}}`},
		{"new empty object", `{}`, `{"a":{}}`, `{"a":{}}`},
		{"empty object merges as no-op", `{"a":{"b":1}}`, `{"a":{}}`, `{"a":{"b":1}}`},
		{"existing nulls kept", `{"a":null,"b":{"c":null}}`, `{"d":1}`, `{"a":null,"b":{"c":null},"d":1}`},
		{"existing null replaced by object", `{"a":null}`, `{"a":{"b":1}}`, `{"a":{"b":1}}`},
		{"numbers keep their text", `{"a":1.50,"b":12345678901234567890123}`, `{"c":1e400}`, `{"a":1.50,"b":12345678901234567890123,"c":1e400}`},
		{"unicode and html unescaped", `{"a":"<&>"}`, `{"b":"é\u00e9\ud83d\ude00"}`, `{"a":"<&>","b":"éé😀"}`},
		{"empty key", `{"":1}`, `{"":{"":null}}`, `{"":{}}`},
		{"whitespace everywhere", " { \"a\" : { \"b\" : 1 } } ", "\n{\"a\":{\"c\":2}}\t", `{"a":{"b":1,"c":2}}`},
		{"sorted output", `{"b":1,"a":2}`, `{"c":3}`, `{"a":2,"b":1,"c":3}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := metadata.Merge(json.RawMessage(tc.current), json.RawMessage(tc.patch))
			if err != nil {
				t.Fatalf("Merge: %v", err)
			}
			if string(got) != tc.want {
				t.Fatalf("Merge(%s, %s)\n got %s\nwant %s", tc.current, tc.patch, got, tc.want)
			}
			again, err := metadata.Merge(got, json.RawMessage(tc.patch))
			if err != nil || string(again) != string(got) {
				t.Fatalf("merging twice: %s, %v; want %s", again, err, got)
			}
		})
	}
}

func TestMergeErrors(t *testing.T) {
	deep := strings.Repeat(`{"a":`, 1001) + "1" + strings.Repeat("}", 1001)
	for _, tc := range []struct {
		name, current, patch, want string
	}{
		{"patch empty", `{}`, ``, "patch must be a JSON object, got nothing"},
		{"patch null", `{}`, `null`, "patch must be a JSON object, got null"},
		{"patch array", `{}`, `[{"a":1}]`, "patch must be a JSON object, got an array"},
		{"patch string", `{}`, `"a"`, "patch must be a JSON object, got a string"},
		{"patch number", `{}`, `12`, "patch must be a JSON object, got a number"},
		{"patch bool", `{}`, `true`, "patch must be a JSON object, got a boolean"},
		{"current array", `[]`, `{}`, "current metadata must be a JSON object, got an array"},
		{"patch invalid", `{}`, `{"a":}`, "patch: invalid JSON"},
		{"current invalid", `{"a"`, `{}`, "current metadata: invalid JSON"},
		{"patch trailing comma", `{}`, `{"a":1,}`, "patch: invalid JSON"},
		{"patch two values", `{}`, `{} {}`, "patch: invalid JSON"},
		{"patch duplicate key", `{}`, `{"a":1,"a":2}`, `patch: duplicate key "a"`},
		{"patch nested duplicate", `{}`, `{"a":{"b":1,"b":null}}`, `patch: duplicate key "b"`},
		{"current duplicate", `{"x":[{"k":1,"k":1}]}`, `{}`, `current metadata: duplicate key "k"`},
		{"escaped duplicate", `{}`, `{"a":1,"\u0061":2}`, `duplicate key "a"`},
		{"invalid utf-8", `{}`, "{\"a\":\"\xff\"}", "invalid UTF-8"},
		{"too deep", `{}`, deep, "nesting deeper than 1000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := metadata.Merge(json.RawMessage(tc.current), json.RawMessage(tc.patch))
			if err == nil {
				t.Fatalf("Merge = %s, want an error", got)
			}
			if !strings.HasPrefix(err.Error(), "metadata: ") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %q, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestMergeDoesNotAlias checks that Merge neither modifies its inputs nor
// returns memory shared with them.
func TestMergeDoesNotAlias(t *testing.T) {
	cur := json.RawMessage(`{"a":{"b":1}}`)
	patch := json.RawMessage(`{"a":{"c":2}}`)
	got, err := metadata.Merge(cur, patch)
	if err != nil {
		t.Fatal(err)
	}
	if string(cur) != `{"a":{"b":1}}` || string(patch) != `{"a":{"c":2}}` {
		t.Fatalf("inputs changed: %s %s", cur, patch)
	}
	got[0] = 'X'
	if cur[0] != '{' || patch[0] != '{' {
		t.Fatal("result aliases an input")
	}
}

func TestPatch(t *testing.T) {
	for _, tc := range []struct {
		name  string
		build func(p *metadata.Patch)
		want  string
	}{
		{"empty", func(p *metadata.Patch) {}, `{}`},
		{"set top", func(p *metadata.Patch) { p.Set("pro", "plan") }, `{"plan":"pro"}`},
		{"set deep", func(p *metadata.Patch) { p.Set("dark", "prefs", "ui", "theme") }, `{"prefs":{"ui":{"theme":"dark"}}}`},
		{"remove", func(p *metadata.Patch) { p.Remove("legacy") }, `{"legacy":null}`},
		{"remove deep", func(p *metadata.Patch) { p.Remove("a", "b", "c") }, `{"a":{"b":{"c":null}}}`},
		{"siblings share parents", func(p *metadata.Patch) {
			p.Set(1, "a", "x").Set(2, "a", "y").Remove("a", "z", "w")
		}, `{"a":{"x":1,"y":2,"z":{"w":null}}}`},
		{"later set wins", func(p *metadata.Patch) { p.Set(1, "a").Set(2, "a") }, `{"a":2}`},
		{"remove after set", func(p *metadata.Patch) { p.Set(1, "a", "b").Remove("a", "b") }, `{"a":{"b":null}}`},
		{"set after remove", func(p *metadata.Patch) { p.Remove("a").Set(1, "a") }, `{"a":1}`},
		{"deeper op replaces leaf", func(p *metadata.Patch) { p.Set("x", "a").Set(1, "a", "b") }, `{"a":{"b":1}}`},
		{"shallower op replaces subtree", func(p *metadata.Patch) { p.Set(1, "a", "b").Remove("a") }, `{"a":null}`},
		{"nil value removes", func(p *metadata.Patch) { p.Set(nil, "a") }, `{"a":null}`},
		{"struct, slice and raw values", func(p *metadata.Patch) {
			p.Set(struct {
				N int `json:"n"`
			}{3}, "s").Set([]int{1, 2}, "l").Set(json.RawMessage(`{"r": true}`), "r")
		}, `{"l":[1,2],"r":{"r":true},"s":{"n":3}}`},
		{"html not escaped", func(p *metadata.Patch) { p.Set("<b>&", "h") }, `{"h":"<b>&"}`},
		{"odd keys", func(p *metadata.Patch) { p.Set(1, "", "a.b", "\"q\"") }, `{"":{"a.b":{"\"q\"":1}}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p metadata.Patch // the zero value is ready to use
			tc.build(&p)
			got, err := p.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
			// encoding/json re-escapes <, > and & in a Marshaler's output:
			// the same JSON value, spelled differently.
			for _, v := range []any{p, &p} {
				b, err := json.Marshal(v)
				if err != nil || !sameJSON(t, b, got) {
					t.Fatalf("json.Marshal(%T) = %s, %v; want %s", v, b, err, got)
				}
			}
			if p.Empty() != (tc.want == `{}`) {
				t.Fatalf("Empty() = %v", p.Empty())
			}
		})
	}
}

func TestPatchErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    *metadata.Patch
		want string
	}{
		{"set empty path", metadata.NewPatch().Set(1), "Patch.Set: empty path"},
		{"remove empty path", metadata.NewPatch().Remove(), "Patch.Remove: empty path"},
		{"unencodable", metadata.NewPatch().Set(math.Inf(1), "a"), "unsupported value"},
		{"channel", metadata.NewPatch().Set(make(chan int), "a"), "unsupported type"},
		{"first error kept", metadata.NewPatch().Set(1).Set(make(chan int), "a").Set(1, "b"), "Patch.Set: empty path"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.p.Err(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Err() = %v, want %q", err, tc.want)
			}
			if b, err := json.Marshal(tc.p); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Marshal = %s, %v; want error %q", b, err, tc.want)
			}
			if _, err := tc.p.Apply(nil); err == nil {
				t.Fatal("Apply succeeded")
			}
		})
	}
	var nilPatch *metadata.Patch
	if nilPatch.Err() != nil || !nilPatch.Empty() {
		t.Fatal("nil patch is not empty and error-free")
	}
}

// TestPatchApply checks that a patch, merged the way Clerk merges it,
// makes exactly the changes it describes.
func TestPatchApply(t *testing.T) {
	current := json.RawMessage(`{"plan":"free","legacy":{"x":1},"prefs":{"theme":"light","lang":"en","ui":{"dense":true,"old":1}},"tags":["a"]}`)
	p := metadata.NewPatch().
		Set("pro", "plan").
		Remove("legacy").
		Set("dark", "prefs", "theme").
		Remove("prefs", "ui", "old").
		Set(map[string]int{"n": 1}, "prefs", "ui", "new").
		Set([]string{"b"}, "tags").
		Remove("never", "existed")
	got, err := p.Apply(current)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"never":{},"plan":"pro","prefs":{"lang":"en","theme":"dark","ui":{"dense":true,"new":{"n":1}}},"tags":["b"]}`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return reflect.DeepEqual(va, vb)
}

func TestNormalize(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{``, `{}`},
		{`null`, `{}`},
		{` { "b" : [1, 2.50], "a" : {"y":null, "x":"<&>"} } `, `{"a":{"x":"<&>","y":null},"b":[1,2.50]}`},
	} {
		got, err := metadata.Normalize(json.RawMessage(tc.in))
		if err != nil || string(got) != tc.want {
			t.Errorf("Normalize(%q) = %s, %v; want %s", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{`[]`, `1`, `"x"`, `{"a":1,"a":2}`, `{`, `{} x`} {
		if got, err := metadata.Normalize(json.RawMessage(in)); err == nil {
			t.Errorf("Normalize(%q) = %s, want an error", in, got)
		}
	}
}
