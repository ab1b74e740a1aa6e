// Package store is the data layer of the saas example: Clerk users,
// organizations and memberships mirrored from webhooks, and the
// application's own projects, on SQLite or PostgreSQL.
//
// [Open] picks the database from a URL, applies the embedded migrations
// and returns a [Store]. The same SQL runs on both databases, but for two
// shortcuts: PostgreSQL applies a webhook delivery's user or organization
// upsert as one statement ([Store.UpsertUserOnce]), and SQLite reads a
// tombstone where PostgreSQL locks its row (SQLite has one writer at a
// time).
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
//     upsert take the same row lock (PostgreSQL) or the database's write
//     lock (SQLite), so a concurrent delete and upsert serialize.
//     Tombstones are kept until [Store.PruneTombstones].
//   - Memberships need their parents. [Store.UpsertMembership] answers
//     [ErrMissingParent] when its user or organization is not stored yet
//     (not yet received): the error is retryable, the webhook handler returns
//     it, answers 500 and Svix delivers the event again later, by when the
//     parent has usually arrived. No placeholder rows are invented. A
//     membership of a deleted (tombstoned) user or organization is ignored.
//
// # Webhook deliveries
//
// [Store.ApplyOnce] applies one webhook delivery at most once: the
// delivery id (svix-id) is recorded in webhook_deliveries in the same
// transaction as the delivery's writes, made through a [Tx]. A redelivery
// finds the id and writes nothing; a concurrent copy waits for the first
// one's transaction; a failure or a cancelled context rolls back the id
// with the writes, so that the redelivery applies the event.
// [Store.UpsertUserOnce] and [Store.UpsertOrganizationOnce] do the same for
// the most frequent events. Ids are kept for [DeliveryRetention], pruned
// as deliveries arrive.
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
