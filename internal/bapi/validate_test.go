package bapi

import (
	"context"
	"errors"
	"github.com/clerkkit/clerkkit/clerkerr"
	"strings"
	"testing"
)

func TestID(t *testing.T) {
	for _, ok := range []string{"user_2abc", "org_XYZ", "acme-inc", "a.b", "x~y", strings.Repeat("a", 256)} {
		if err := ID("op", "id", ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{
		"", ".", "a/b", "../admin", "..", "a..b", "a?b", "a#b", "a%2Fb", "%2e%2e", "a b", " a", "a\t", "a\nb", "a\x00",
		"a\x7f", "a\\b", "-user_1", "+user_1", "a&b=c", "a;b", "é", "user_1\u2028", strings.Repeat("a", 257),
	} {
		err := ID("users.Get", "userID", bad)
		if !errors.Is(err, clerkerr.ErrInvalidInput) {
			t.Errorf("%q accepted", bad)
			continue
		}
		if len(bad) > 2 && strings.Contains(err.Error(), bad) {
			t.Errorf("%q echoed in %q", bad, err)
		}
		if !strings.HasPrefix(err.Error(), "clerkkit: invalid input: users.Get: userID ") {
			t.Errorf("message %q", err)
		}
	}
}

func TestIDsAndTexts(t *testing.T) {
	if err := IDs("op", "UserIDs", make([]string, 101), 100); !errors.Is(err, clerkerr.ErrInvalidInput) {
		t.Error("101 ids accepted")
	}
	if err := IDs("op", "UserIDs", []string{"user_1", "a/b"}, 100); !errors.Is(err, clerkerr.ErrInvalidInput) {
		t.Error("bad id in list accepted")
	}
	if err := IDs("op", "UserIDs", []string{"user_1", "user_2"}, 100); err != nil {
		t.Error(err)
	}
	if err := Texts("op", "Emails", []string{"a@b.c", ""}, 100); !errors.Is(err, clerkerr.ErrInvalidInput) {
		t.Error("empty entry accepted")
	}
	if err := Text("op", "Query", "ann\x00", false, 0); !errors.Is(err, clerkerr.ErrInvalidInput) {
		t.Error("control char accepted")
	}
	if err := Text("op", "Name", "  ", true, 0); !errors.Is(err, clerkerr.ErrInvalidInput) {
		t.Error("blank accepted")
	}
	if err := Text("op", "Name", "Acme Inc.", true, 0); err != nil {
		t.Error(err)
	}
	if err := Text("op", "Name", "abc", true, 2); !errors.Is(err, clerkerr.ErrInvalidInput) {
		t.Error("too long accepted")
	}
}

func TestEmail(t *testing.T) {
	for _, ok := range []string{"ann@example.com", "a+b@x.io"} {
		if err := Email("op", "email", ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "ann", "@x", "a@", "a b@x", "a@b@c", "a@x\r\n", strings.Repeat("a", 320) + "@x"} {
		if err := Email("op", "email", bad); !errors.Is(err, clerkerr.ErrInvalidInput) {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestRole(t *testing.T) {
	for in, want := range map[string]string{"admin": "org:admin", "org:admin": "org:admin", "org:billing_manager": "org:billing_manager", "member": "org:member"} {
		if got, err := Role("op", "role", in); err != nil || got != want {
			t.Errorf("%q: %q %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "org:", "ad min", "a/b", "a?b", "r\n"} {
		if _, err := Role("op", "role", bad); !errors.Is(err, clerkerr.ErrInvalidInput) {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestPage(t *testing.T) {
	for _, ok := range [][2]int{{0, 0}, {1, 0}, {500, 10}, {10, 1000000}} {
		if err := Page("op", ok[0], ok[1]); err != nil {
			t.Errorf("%v: %v", ok, err)
		}
	}
	for _, bad := range [][2]int{{-1, 0}, {501, 0}, {1000, 0}, {10, -1}} {
		if err := Page("op", bad[0], bad[1]); !errors.Is(err, clerkerr.ErrInvalidInput) {
			t.Errorf("%v accepted", bad)
		}
	}
}

func TestObject(t *testing.T) {
	type S struct {
		Role string `json:"role"`
	}
	var nilMap map[string]any
	for _, tc := range []struct {
		in   any
		want string
		bad  bool
	}{
		{nil, "", false},
		{nilMap, "", false},
		{map[string]any{"a": nil}, `{"a":null}`, false},
		{S{"admin"}, `{"role":"admin"}`, false},
		{[]byte(`{}`), "", true}, // []byte encodes as a base64 string
		{"x", "", true},
		{[]int{1}, "", true},
		{func() {}, "", true},
	} {
		got, err := Object("op", "PublicMetadata", tc.in)
		if tc.bad {
			if !errors.Is(err, clerkerr.ErrInvalidInput) {
				t.Errorf("%v accepted", tc.in)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", tc.in, err)
			continue
		}
		if (got == nil) != (tc.want == "") || (got != nil && string(*got) != tc.want) {
			t.Errorf("%v: got %v", tc.in, got)
		}
	}
}

func TestAllPages(t *testing.T) {
	data := make([]int, 1234)
	for i := range data {
		data[i] = i
	}
	var calls [][2]int
	fetch := func(withTotal bool) PageFunc[int] {
		return func(ctx context.Context, limit, offset int) ([]int, int64, error) {
			calls = append(calls, [2]int{limit, offset})
			end := min(offset+limit, len(data))
			total := int64(-1)
			if withTotal {
				total = int64(len(data))
			}
			if offset >= len(data) {
				return nil, total, nil
			}
			return data[offset:end], total, nil
		}
	}
	for _, withTotal := range []bool{false, true} {
		calls = nil
		n := 0
		for v, err := range All(context.Background(), 0, 0, fetch(withTotal)) {
			if err != nil || v != n {
				t.Fatalf("item %d: %v %v", n, v, err)
			}
			n++
		}
		if n != 1234 || len(calls) != 3 || calls[2] != [2]int{500, 1000} {
			t.Fatalf("withTotal=%v: %d items over calls %v", withTotal, n, calls)
		}
	}
	// An exact multiple of the page size: one empty page without a total.
	data = data[:1000]
	calls = nil
	n := 0
	for range All(context.Background(), 500, 0, fetch(false)) {
		n++
	}
	if n != 1000 || len(calls) != 3 {
		t.Fatalf("%d items, %d calls", n, len(calls))
	}
	calls = nil
	for range All(context.Background(), 500, 0, fetch(true)) {
	}
	if len(calls) != 2 {
		t.Fatalf("with a total: %d calls", len(calls))
	}
	// Break stops fetching.
	calls = nil
	for v := range All(context.Background(), 10, 5, fetch(false)) {
		if v == 7 {
			break
		}
	}
	if len(calls) != 1 || calls[0] != [2]int{10, 5} {
		t.Fatalf("calls %v", calls)
	}
}

func TestAllStopsOnError(t *testing.T) {
	boom := errors.New("boom")
	calls := 0
	fetch := func(ctx context.Context, limit, offset int) ([]int, int64, error) {
		calls++
		if offset > 0 {
			return nil, -1, boom
		}
		return make([]int, limit), -1, nil
	}
	var errs []error
	n := 0
	for _, err := range All(context.Background(), 5, 0, fetch) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	if n != 5 || len(errs) != 1 || !errors.Is(errs[0], boom) || calls != 2 {
		t.Fatalf("n=%d errs=%v calls=%d", n, errs, calls)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, err := range All(ctx, 5, 0, fetch) {
		if !errors.Is(err, context.Canceled) {
			t.Fatal(err)
		}
	}
	for _, err := range Fail[int](boom) {
		if err != boom {
			t.Fatal(err)
		}
	}
}
