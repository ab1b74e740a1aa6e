package metadata_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/clerkkit/clerkkit/metadata"
)

// FuzzMerge checks Merge's invariants on arbitrary input. The seed corpus
// is in testdata/fuzz/FuzzMerge; run longer with
//
//	go test -run='^$' -fuzz=FuzzMerge ./metadata/
func FuzzMerge(f *testing.F) {
	f.Fuzz(func(t *testing.T, current, patch []byte) {
		got, err := metadata.Merge(current, patch)
		if err != nil {
			if got != nil {
				t.Fatalf("error %v with a result %s", err, got)
			}
			return
		}
		// The result is one valid JSON object.
		var res map[string]any
		d := json.NewDecoder(bytes.NewReader(got))
		d.UseNumber()
		if err := d.Decode(&res); err != nil || res == nil || d.More() {
			t.Fatalf("result %s is not a JSON object: %v", got, err)
		}
		// Merging the same patch again changes nothing.
		again, err := metadata.Merge(got, patch)
		if err != nil {
			t.Fatalf("second merge: %v", err)
		}
		if !bytes.Equal(again, got) {
			t.Fatalf("merging twice differs:\nonce  %s\ntwice %s", got, again)
		}
		// The result is stable under a merge with {}, i.e. canonical.
		if same, err := metadata.Merge(got, []byte("{}")); err != nil || !bytes.Equal(same, got) {
			t.Fatalf("Merge(result, {}) = %s, %v; want %s", same, err, got)
		}
		var cur, p map[string]any
		mustDecode(t, current, &cur)
		mustDecode(t, patch, &p)
		checkPatched(t, cur, p, res, "")
	})
}

// checkPatched checks, at every depth of the patch, that null members are
// absent from the result, that other non-object values are in it as the
// patch has them, and that members of current the patch does not mention
// are unchanged.
func checkPatched(t *testing.T, cur, patch, res map[string]any, at string) {
	t.Helper()
	for k, pv := range patch {
		rv, inRes := res[k]
		switch pv := pv.(type) {
		case nil:
			if inRes {
				t.Fatalf("%s/%q: removed by the patch, but the result has %v", at, k, rv)
			}
		case map[string]any:
			ro, ok := rv.(map[string]any)
			if !ok {
				t.Fatalf("%s/%q: the patch has an object, the result %v", at, k, rv)
			}
			co, _ := cur[k].(map[string]any)
			checkPatched(t, co, pv, ro, at+"/"+k)
		default:
			if !reflect.DeepEqual(rv, pv) {
				t.Fatalf("%s/%q: the patch sets %v, the result has %v", at, k, pv, rv)
			}
		}
	}
	for k, cv := range cur {
		if _, touched := patch[k]; touched {
			continue
		}
		if rv, ok := res[k]; !ok || !reflect.DeepEqual(rv, cv) {
			t.Fatalf("%s/%q: untouched by the patch, but changed from %v to %v", at, k, cv, rv)
		}
	}
	if cur == nil {
		for k, rv := range res {
			if _, ok := patch[k]; !ok {
				t.Fatalf("%s/%q: not in current nor in the patch, but the result has %v", at, k, rv)
			}
		}
	}
}

func mustDecode(t *testing.T, raw []byte, v *map[string]any) {
	t.Helper()
	if len(bytes.TrimSpace(raw)) == 0 {
		return
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		t.Fatalf("Merge accepted %q, which encoding/json rejects: %v", raw, err)
	}
}
