package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheck(t *testing.T) {
	many := func(last string) string {
		var b strings.Builder
		b.WriteString(`{`)
		for i := range 20 {
			b.WriteString(`"k` + string(rune('a'+i)) + `":0,`)
		}
		b.WriteString(`"` + last + `":1}`)
		return b.String()
	}
	ok := []string{
		`{}`, ` {"a":1} `, `{"a":{"a":1},"b":[{"a":1},{"a":2}]}`, `{"a":"x\"y","b":null,"c":true,"d":-1.5e3,"e":false,"f":0,"g":[]}`,
		`{"a":"\u00e9\n\t\\\/"}`, `{"sub":1,"sid":2}`, `{"a":"` + "\xff" + `"}`, many("z"),
		`{"a":1e+5,"b":-0.0,"c":1E-2}`,
	}
	for _, s := range ok {
		assert.NoError(t, Check([]byte(s), 32), s)
	}
	bad := map[string]error{
		`{"a":1,"a":2}`:                   ErrDuplicateName,
		`{"a":1,"\u0061":2}`:              ErrDuplicateName,
		`{"o":{"rol":"admin","rol":"x"}}`: ErrDuplicateName,
		`{"sub":"a","SUB":"b"}`:           ErrDuplicateName,
		`{"sub":"a","ſub":"b"}`:           ErrDuplicateName, // U+017F folds to s
		`{"kid":"a","Kid":"b"}`:           ErrDuplicateName, // U+212A KELVIN SIGN folds to k
		`{"a":[{"Org_ID":1,"org_id":2}]}`: ErrDuplicateName,
		many("KA"):                        ErrDuplicateName, // the map path
		many("ſ"):                         nil,
		`[{"a":1}]`:                       ErrNotObject,
		`"x"`:                             ErrNotObject,
		``:                                ErrNotObject,
		`{"a":1}x`:                        ErrNotObject,
		`{"a":1}{}`:                       ErrNotObject,
		`{"a" 1}`:                         ErrSyntax,
		`{"a":1,}`:                        ErrSyntax,
		`{"a":[1,}`:                       ErrSyntax,
		`{"a":"unterminated}`:             ErrSyntax,
		`{1:2}`:                           ErrSyntax,
		`{"a":tru}`:                       ErrSyntax,
		`{"a":nul}`:                       ErrSyntax,
		`{"a":01}`:                        ErrSyntax,
		`{"a":1.}`:                        ErrSyntax,
		`{"a":-}`:                         ErrSyntax,
		`{"a":1e}`:                        ErrSyntax,
		`{"a":+1}`:                        ErrSyntax,
		`{"a":.5}`:                        ErrSyntax,
		`{"a":"\x"}`:                      ErrSyntax,
		`{"a":"\u12"}`:                    ErrSyntax,
		"{\"a\":\"\x01\"}":                ErrSyntax,
		`{"a":NaN}`:                       ErrSyntax,
		"{\"\xff\":1}":                    ErrBadName,
		strings.Repeat(`{"a":`, 40) + "1" + strings.Repeat("}", 40):       ErrTooDeep,
		`{"a":` + strings.Repeat(`[`, 40) + strings.Repeat(`]`, 40) + `}`: ErrTooDeep,
	}
	for s, want := range bad {
		err := Check([]byte(s), 32)
		if want == nil {
			assert.NoError(t, err, s)
			continue
		}
		assert.ErrorIs(t, err, want, s)
		if s != "" {
			assert.NotContains(t, err.Error(), s)
		}
	}
}

func TestWalk(t *testing.T) {
	type member struct{ name, value string }
	var got []member
	err := Walk([]byte(` { "a" : 1 , "b\u0063":{"x":[1,"}",{"y":"]"}]}, "d":"q\"s" ,"e":[ ] } `), 8, func(name, value []byte) error {
		got = append(got, member{string(name), string(value)})
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, []member{{"a", "1"}, {"bc", `{"x":[1,"}",{"y":"]"}]}`}, {"d", `"q\"s"`}, {"e", "[ ]"}}, got)

	// The whole document is checked before the first callback.
	called := false
	err = Walk([]byte(`{"a":1,"a":2}`), 8, func(_, _ []byte) error { called = true; return nil })
	assert.ErrorIs(t, err, ErrDuplicateName)
	assert.False(t, called)

	// A callback error stops the walk.
	stop := errors.New("stop")
	n := 0
	err = Walk([]byte(`{"a":1,"b":2}`), 8, func(_, _ []byte) error { n++; return stop })
	assert.Same(t, stop, err)
	assert.Equal(t, 1, n)

	assert.True(t, Object([]byte(`{}`)))
	assert.False(t, Object([]byte(`[]`)))
	assert.False(t, Object(nil))
}

// FuzzCheck compares Check with references built on encoding/json: its
// validator for syntax, and its tokenizer with bytes.EqualFold (the
// equivalence encoding/json uses to match names to fields) for duplicate
// names. Walk must hand out exactly the top-level members the tokenizer
// sees.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1,"a":2}`, `{"a":{"b":[1,{"c":1,"c":2}]}}`, `{"\u0061":1,"a":2}`, `{"a":"\"","b":[]}`, `{"sub":1,"ſub":2}`, `{"a":1e5}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		err := Check(b, 16)
		trimmed := bytes.TrimSpace(b)
		isObject := json.Valid(b) && len(trimmed) > 0 && trimmed[0] == '{'
		if err == nil && !isObject {
			t.Fatalf("Check(%q) = nil, but encoding/json says it is not a valid object", b)
		}
		if !isObject || !utf8.Valid(b) {
			// The tokenizer replaces invalid UTF-8, so the reference can't
			// tell names apart there; ErrBadName is covered by TestCheck.
			return
		}
		dup, deep := reference(b, 16)
		if want := dup || deep; want != (err != nil) {
			t.Fatalf("Check(%q) = %v, reference: duplicate %v, too deep %v", b, err, dup, deep)
		}
		if err != nil {
			return
		}
		var top map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(b, &top))
		seen := 0
		require.NoError(t, Walk(b, 16, func(name, value []byte) error {
			seen++
			want, ok := top[string(name)]
			if !ok {
				t.Fatalf("Walk(%q): member %q not in the document", b, name)
			}
			if !bytes.Equal(bytes.TrimSpace(want), value) {
				t.Fatalf("Walk(%q): member %q = %q, want %q", b, name, value, want)
			}
			return nil
		}))
		if seen != len(top) {
			t.Fatalf("Walk(%q) saw %d members, want %d", b, seen, len(top))
		}
	})
}

// reference reports whether any object in the valid JSON document b has two
// names equal under strings.EqualFold, or nests deeper than maxDepth.
func reference(b []byte, maxDepth int) (dup, deep bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	type frame struct {
		obj    bool
		names  []string
		expect bool // the next string token is a name
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err == io.EOF || err != nil {
			return
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{', '[':
				if top != nil && top.obj {
					top.expect = true
				}
				stack = append(stack, &frame{obj: v == '{', expect: v == '{'})
				if len(stack) > maxDepth+1 {
					deep = true
					return
				}
			default:
				stack = stack[:len(stack)-1]
			}
			continue
		case string:
			if top != nil && top.obj && top.expect {
				for _, x := range top.names {
					if strings.EqualFold(x, v) {
						dup = true
						return
					}
				}
				top.names = append(top.names, v)
				top.expect = false
				continue
			}
		}
		if top != nil && top.obj {
			top.expect = true
		}
	}
}
