package metadata

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Patch is a set of changes to a metadata object, which marshals to the
// body of Clerk's PATCH …/metadata endpoints: a JSON object that Clerk's
// deep merge (see Merge) turns into exactly those changes. Set writes
// nested objects along a path; Remove writes null, which removes the key.
//
// The zero value is an empty patch, ready to use; NewPatch returns one
// for chaining. When two operations touch the same path, the later one
// wins; an operation below a path replaces an earlier operation on the
// path itself (Set("x", "a") then Set(1, "a", "b") gives {"a":{"b":1}}).
//
// Two limits come from the merge itself. Setting an object value merges
// it into an object already stored at that path instead of replacing it
// (to replace metadata whole, send it as public_metadata etc. in
// PATCH /v1/users/{id}); and null members of such an object remove keys
// as well. A Set below a path removed earlier cancels the removal: the
// removed object's other keys survive.
//
// The first error (an empty path, a value encoding/json rejects) is kept,
// later operations are ignored, and MarshalJSON returns it; Err reports
// it too. A Patch is not safe for concurrent modification.
type Patch struct {
	root *node
	err  error
}

// node is one object in the patch: its keys map to a value (leaf) or to
// a nested object.
type node struct {
	children map[string]*entry
}

type entry struct {
	leaf json.RawMessage // set: the value (or null for a removal)
	obj  *node           // set when the entry is a nested object
}

// NewPatch returns an empty Patch.
func NewPatch() *Patch { return &Patch{} }

// Set sets the key at path (top-level key first) to value, which is
// encoded with encoding/json when Set is called. A nil value (or one that
// encodes to null) removes the key, like Remove. It returns p.
func (p *Patch) Set(value any, path ...string) *Patch {
	if p.err != nil {
		return p
	}
	if len(path) == 0 {
		p.err = errors.New("metadata: Patch.Set: empty path")
		return p
	}
	b, err := encode(value)
	if err != nil {
		p.err = fmt.Errorf("metadata: Patch.Set %q: %w", path, errors.Unwrap(err))
		return p
	}
	p.put(path, b)
	return p
}

// Remove removes the key at path (top-level key first): it sets it to
// null, which Clerk's merge treats as a removal. Removing a key that does
// not exist changes nothing, except that the objects on the way to it are
// created empty when missing, as Clerk's merge creates them (Remove("a",
// "b") on {} gives {"a":{}}). It returns p.
func (p *Patch) Remove(path ...string) *Patch {
	if p.err != nil {
		return p
	}
	if len(path) == 0 {
		p.err = errors.New("metadata: Patch.Remove: empty path")
		return p
	}
	p.put(path, json.RawMessage("null"))
	return p
}

func (p *Patch) put(path []string, v json.RawMessage) {
	if p.root == nil {
		p.root = &node{}
	}
	n := p.root
	for i, k := range path {
		e := n.get(k)
		if i == len(path)-1 {
			e.leaf, e.obj = v, nil
			return
		}
		if e.obj == nil {
			e.leaf, e.obj = nil, &node{}
		}
		n = e.obj
	}
}

func (n *node) get(k string) *entry {
	if n.children == nil {
		n.children = map[string]*entry{}
	}
	e, ok := n.children[k]
	if !ok {
		e = &entry{}
		n.children[k] = e
	}
	return e
}

// Err returns the first error met while building p, or nil.
func (p *Patch) Err() error {
	if p == nil {
		return nil
	}
	return p.err
}

// Empty reports whether p holds no operation.
func (p *Patch) Empty() bool {
	return p == nil || p.root == nil || len(p.root.children) == 0
}

// MarshalJSON returns the patch body, e.g.
// {"legacy":null,"prefs":{"theme":"dark"}}; {} for an empty patch. Keys
// are sorted. It fails with the first error met while building p.
func (p Patch) MarshalJSON() ([]byte, error) {
	if p.err != nil {
		return nil, p.err
	}
	return encode(p.root.value())
}

func (n *node) value() map[string]any {
	m := map[string]any{}
	if n == nil {
		return m
	}
	for k, e := range n.children {
		if e.obj != nil {
			m[k] = e.obj.value()
		} else {
			m[k] = e.leaf
		}
	}
	return m
}

// Apply returns current with p merged into it, as Clerk would store it
// after receiving p: Merge(current, p).
func (p *Patch) Apply(current json.RawMessage) (json.RawMessage, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	return Merge(current, b)
}
