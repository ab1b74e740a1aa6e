package store

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
