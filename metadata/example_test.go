package metadata_test

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/clerkkit/clerkkit/metadata"
)

func ExampleGet() {
	public := json.RawMessage(`{"plan":"pro","seats":5,"prefs":{"theme":"dark"}}`)

	plan, err := metadata.Get[string](public, "plan")
	fmt.Println(plan, err)

	type prefs struct {
		Theme string `json:"theme"`
	}
	p, err := metadata.Get[prefs](public, "prefs")
	fmt.Println(p.Theme, err)

	_, err = metadata.Get[int](public, "trial_days")
	fmt.Println(errors.Is(err, metadata.ErrNotFound))
	// Output:
	// pro <nil>
	// dark <nil>
	// true
}

func ExampleDecode() {
	type billing struct {
		Plan  string `json:"plan"`
		Seats int    `json:"seats"`
	}
	b, err := metadata.Decode[billing](json.RawMessage(`{"plan":"pro","seats":5}`))
	fmt.Printf("%+v %v\n", b, err)

	// Users without metadata decode to the zero value.
	b, err = metadata.Decode[billing](nil)
	fmt.Printf("%+v %v\n", b, err)
	// Output:
	// {Plan:pro Seats:5} <nil>
	// {Plan: Seats:0} <nil>
}

func ExampleMerge() {
	current := json.RawMessage(`{"plan":"free","prefs":{"theme":"light","lang":"en"},"tags":["a","b"],"legacy":true}`)
	patch := json.RawMessage(`{"plan":"pro","prefs":{"theme":"dark"},"tags":["c"],"legacy":null}`)

	merged, err := metadata.Merge(current, patch)
	fmt.Println(string(merged), err)
	// Output:
	// {"plan":"pro","prefs":{"lang":"en","theme":"dark"},"tags":["c"]} <nil>
}

func ExamplePatch() {
	p := metadata.NewPatch().
		Set("dark", "prefs", "theme").
		Set([]string{"beta"}, "flags").
		Remove("legacy")
	body, err := json.Marshal(p) // the body of PATCH /v1/users/{user_id}/metadata
	fmt.Println(string(body), err)
	// Output:
	// {"flags":["beta"],"legacy":null,"prefs":{"theme":"dark"}} <nil>
}

func ExamplePatch_zeroValue() {
	var p metadata.Patch
	p.Set(3, "limits", "projects")
	p.Remove("limits", "seats")
	body, err := json.Marshal(p)
	fmt.Println(string(body), err)
	// Output:
	// {"limits":{"projects":3,"seats":null}} <nil>
}

func ExamplePatch_Apply() {
	current := json.RawMessage(`{"limits":{"projects":1,"seats":5},"plan":"free"}`)
	p := metadata.NewPatch().Set(3, "limits", "projects").Remove("limits", "seats")
	after, err := p.Apply(current)
	fmt.Println(string(after), err)
	// Output:
	// {"limits":{"projects":3},"plan":"free"} <nil>
}
