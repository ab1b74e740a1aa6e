// Package store is the data layer of the saas example: Clerk users,
// organizations and memberships mirrored from webhooks, and the
// application's own projects, on SQLite or PostgreSQL.
//
// [Open] picks the database from a URL, applies the embedded migrations
// and returns a [Store]. The same SQL runs on both databases.
//
// # Mirroring Clerk
//
// Webhooks arrive late, twice and out of order, so every write of a Clerk
// object follows three rules, enforced in SQL inside one transaction:
//
//   - Newest wins. An upsert carries Clerk's updated_at (milliseconds) and
//     replaces the stored row only when it is not older than the row
//     (excluded.updated_at >= row.updated_at). A replayed event rewrites the
//     same values. Upserts report whether they were applied.
//   - Deletion is final. Deleting a user, organization or membership leaves
//     a tombstone for its id, and an upsert of a tombstoned id is ignored
//     (applied is false, the error nil), whatever its updated_at: Clerk never
//     reuses ids and a deleted object does not come back, so a late
//     user.updated cannot resurrect a deleted user. The tombstone and the
//     upsert take the same row lock, so a concurrent delete and upsert
//     serialize. Tombstones are kept until [Store.PruneTombstones].
//   - Memberships need their parents. [Store.UpsertMembership] answers
//     [ErrMissingParent] when its user or organization is not stored yet
//     (not yet received): the error is retryable, the webhook handler returns
//     it, answers 500 and Svix delivers the event again later, by when the
//     parent has usually arrived. No placeholder rows are invented. A
//     membership of a deleted (tombstoned) user or organization is ignored.
//
// Deleting a user removes its memberships and the projects it owns;
// deleting an organization removes its memberships and its projects
// (ON DELETE CASCADE).
//
// Two organizations cannot hold the same slug: an upsert that would
// duplicate one fails with [ErrConflict], which is also retryable (the
// other organization's rename or deletion is usually on its way).
//
// # Projects
//
// Projects are the application's data. A project has an owner and
// optionally an organization. The store does not authorize: callers check
// that the signed-in user may see or create a project (for example from the
// session's organization claims) before calling it.
package store
