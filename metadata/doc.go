// Package metadata reads and changes Clerk metadata: the public, private
// and unsafe metadata of users, and the public and private metadata of
// organizations and memberships. Clerk hands metadata out as raw JSON
// objects (json.RawMessage in clerk-sdk-go and in clerkkit).
//
// Reading: Get decodes one top-level key into a Go type, Decode the whole
// object.
//
// Changing: Clerk's PATCH …/metadata endpoints deep-merge the body into
// the stored object, and a key set to null is removed, at any depth. Merge
// implements exactly that merge (clerktest's Backend API emulator uses it),
// and Patch builds such a body from a list of Set and Remove operations:
//
//	p := metadata.NewPatch().Set("dark", "prefs", "theme").Remove("legacy")
//	body, err := json.Marshal(p) // {"legacy":null,"prefs":{"theme":"dark"}}
package metadata
