package store

import (
	"fmt"
	"strings"
)

// Every statement of the store, written with ? placeholders (rebound to $n
// on PostgreSQL). Literals must not contain '?'.

const (
	sqlCreateMigrations = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    TEXT   NOT NULL PRIMARY KEY,
	applied_at BIGINT NOT NULL
)`
	sqlAppliedMigrations = `SELECT version FROM schema_migrations`
	sqlRecordMigration   = `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`
)

// Object rows: locks and tombstones.
const (
	// sqlLockObject creates or touches the object's row, which locks it
	// until the transaction ends, and returns its tombstone.
	sqlLockObject = `INSERT INTO clerk_objects (kind, id, deleted_at) VALUES (?, ?, NULL)
ON CONFLICT (kind, id) DO UPDATE SET kind = excluded.kind
RETURNING deleted_at`
	// sqlTombstoneOf reads the object's tombstone, without locking.
	sqlTombstoneOf = `SELECT deleted_at FROM clerk_objects WHERE kind = ? AND id = ?`
	// sqlTombstone marks the object deleted, keeping the first deletion time.
	sqlTombstone = `INSERT INTO clerk_objects (kind, id, deleted_at) VALUES (?, ?, ?)
ON CONFLICT (kind, id) DO UPDATE SET deleted_at = COALESCE(clerk_objects.deleted_at, excluded.deleted_at)`
	sqlDeletedParents = `SELECT COUNT(*) FROM clerk_objects
WHERE deleted_at IS NOT NULL AND ((kind = ? AND id = ?) OR (kind = ? AND id = ?))`
	sqlStoredParents = `SELECT (SELECT COUNT(*) FROM users WHERE id = ?), (SELECT COUNT(*) FROM organizations WHERE id = ?)`
	sqlPruneObjects  = `DELETE FROM clerk_objects
WHERE (deleted_at IS NOT NULL AND deleted_at < ?)
   OR (deleted_at IS NULL AND kind = ? AND NOT EXISTS (SELECT 1 FROM organization_members m WHERE m.id = clerk_objects.id))`
)

// Webhook deliveries.
const (
	// sqlRecordDelivery records a delivery id; it changes no row when the
	// id is recorded, and waits for a concurrent transaction inserting the
	// same id to end.
	sqlRecordDelivery = `INSERT INTO webhook_deliveries (svix_id, applied_at) VALUES (?, ?)
ON CONFLICT (svix_id) DO NOTHING`
	// sqlPruneDeliveries deletes at most ? of the ids recorded before ?,
	// oldest first.
	sqlPruneDeliveries = `DELETE FROM webhook_deliveries WHERE svix_id IN (
	SELECT svix_id FROM webhook_deliveries WHERE applied_at < ? ORDER BY applied_at LIMIT ?)`
)

// Users.
const (
	userColumns   = `id, email, first_name, last_name, image_url, public_metadata, created_at, updated_at`
	sqlUpsertUser = `INSERT INTO users (` + userColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET email = excluded.email, first_name = excluded.first_name,
	last_name = excluded.last_name, image_url = excluded.image_url,
	public_metadata = excluded.public_metadata, created_at = excluded.created_at,
	updated_at = excluded.updated_at
WHERE excluded.updated_at >= users.updated_at`
	sqlDeleteUser = `DELETE FROM users WHERE id = ?`
	sqlGetUser    = `SELECT ` + userColumns + ` FROM users WHERE id = ?`
)

// Organizations.
const (
	orgColumns   = `id, name, slug, image_url, public_metadata, created_by, created_at, updated_at`
	sqlUpsertOrg = `INSERT INTO organizations (` + orgColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET name = excluded.name, slug = excluded.slug,
	image_url = excluded.image_url, public_metadata = excluded.public_metadata,
	created_by = excluded.created_by, created_at = excluded.created_at,
	updated_at = excluded.updated_at
WHERE excluded.updated_at >= organizations.updated_at`
	sqlDeleteOrg    = `DELETE FROM organizations WHERE id = ?`
	sqlGetOrg       = `SELECT ` + orgColumns + ` FROM organizations WHERE id = ?`
	sqlGetOrgBySlug = `SELECT ` + orgColumns + ` FROM organizations WHERE slug = ?`
)

// Memberships. The upsert's conflict target is (organization_id, user_id):
// a newer membership of the same user in the same organization (removed
// and invited again: a new id) replaces the older row.
const (
	memberColumns       = `id, organization_id, user_id, role, created_at, updated_at`
	sqlUpsertMembership = `INSERT INTO organization_members (` + memberColumns + `) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (organization_id, user_id) DO UPDATE SET id = excluded.id, role = excluded.role,
	created_at = excluded.created_at, updated_at = excluded.updated_at
WHERE excluded.updated_at >= organization_members.updated_at`
	sqlDeleteMembership   = `DELETE FROM organization_members WHERE id = ?`
	sqlMembershipIDByPair = `SELECT id FROM organization_members WHERE organization_id = ? AND user_id = ?`
	sqlGetMembership      = `SELECT ` + memberColumns + ` FROM organization_members WHERE organization_id = ? AND user_id = ?`
	sqlListMembers        = `SELECT m.id, m.organization_id, m.user_id, m.role, m.created_at, m.updated_at,
	u.id, u.email, u.first_name, u.last_name, u.image_url, u.public_metadata, u.created_at, u.updated_at
FROM organization_members m JOIN users u ON u.id = m.user_id
WHERE m.organization_id = ?
ORDER BY m.created_at, m.id`
	sqlListUserOrgs = `SELECT o.id, o.name, o.slug, o.image_url, o.public_metadata, o.created_by, o.created_at, o.updated_at,
	m.id, m.role
FROM organization_members m JOIN organizations o ON o.id = m.organization_id
WHERE m.user_id = ?
ORDER BY o.name, o.id`
)

// Projects.
const (
	projectColumns   = `id, title, description, owner_id, organization_id, created_at, updated_at`
	sqlInsertProject = `INSERT INTO projects (` + projectColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?)`
	sqlGetProject    = `SELECT ` + projectColumns + ` FROM projects WHERE id = ?`
	sqlListProjects  = `SELECT ` + projectColumns + ` FROM projects
WHERE (owner_id = ? AND organization_id IS NULL) OR organization_id = ?
ORDER BY created_at DESC, id DESC`
)

// PostgreSQL statements applying a user or organization upsert as one
// webhook delivery: a single statement, hence a single transaction and a
// single round trip, with the steps of ApplyOnce and Tx.upsert as
// data-modifying CTEs: d records the delivery id (no row for a duplicate),
// o locks the object's row and returns its tombstone (only when d
// recorded), u runs the upsert (only when o found no tombstone), with the
// same ON CONFLICT clause as sqlUpsertUser and sqlUpsertOrg. The first
// column of the result counts d's rows, the second u's. Arguments: $1 the
// delivery id, $2 now (ms), $3 kind, $4 object id, $5 to $12 the
// upsert's; the variants ending in Prune also delete up to $14 ids
// recorded before $13.
var (
	pgUpsertUserOnce      = pgUpsertOnce(sqlUpsertUser, false, "text", "text", "text", "text", "text", "text", "bigint", "bigint")
	pgUpsertUserOncePrune = pgUpsertOnce(sqlUpsertUser, true, "text", "text", "text", "text", "text", "text", "bigint", "bigint")
	pgUpsertOrgOnce       = pgUpsertOnce(sqlUpsertOrg, false, "text", "text", "text", "text", "text", "text", "bigint", "bigint")
	pgUpsertOrgOncePrune  = pgUpsertOnce(sqlUpsertOrg, true, "text", "text", "text", "text", "text", "text", "bigint", "bigint")
)

// pgUpsertOnce builds a statement described above from an upsert of the
// form "INSERT INTO t (columns) VALUES (?, …)\nON CONFLICT …" and the SQL
// types of its arguments.
func pgUpsertOnce(upsert string, prune bool, types ...string) string {
	insert, rest, ok1 := strings.Cut(upsert, " VALUES (")
	_, conflict, ok2 := strings.Cut(rest, "\nON CONFLICT ")
	if !ok1 || !ok2 {
		panic("store: unexpected upsert statement: " + upsert)
	}
	values := make([]string, len(types))
	for i, typ := range types {
		values[i] = fmt.Sprintf("$%d::%s", i+5, typ)
	}
	var b strings.Builder
	b.WriteString(`WITH d AS (
	INSERT INTO webhook_deliveries (svix_id, applied_at) VALUES ($1, $2)
	ON CONFLICT (svix_id) DO NOTHING RETURNING 1
), `)
	if prune {
		b.WriteString(`p AS (
	DELETE FROM webhook_deliveries WHERE svix_id IN (
		SELECT svix_id FROM webhook_deliveries WHERE applied_at < $13 ORDER BY applied_at LIMIT $14)
), `)
	}
	b.WriteString(`o AS (
	INSERT INTO clerk_objects (kind, id, deleted_at) SELECT $3, $4, NULL FROM d
	ON CONFLICT (kind, id) DO UPDATE SET kind = excluded.kind RETURNING deleted_at
), u AS (
	` + insert + `
	SELECT ` + strings.Join(values, ", ") + ` FROM o WHERE o.deleted_at IS NULL
	ON CONFLICT ` + conflict + `
	RETURNING 1
)
SELECT (SELECT COUNT(*) FROM d), (SELECT COUNT(*) FROM u)`)
	return b.String()
}
