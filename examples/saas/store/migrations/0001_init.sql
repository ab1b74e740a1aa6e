-- The initial schema. Portable between SQLite (3.35 or later) and
-- PostgreSQL: TEXT ids, BIGINT Unix-millisecond timestamps, JSON as TEXT.
-- One statement per semicolon; comments must not hold semicolons.

-- users mirrors Clerk users; updated_at is Clerk's, in milliseconds.
CREATE TABLE users (
	id              TEXT   NOT NULL PRIMARY KEY,
	email           TEXT   NOT NULL DEFAULT '',
	first_name      TEXT   NOT NULL DEFAULT '',
	last_name       TEXT   NOT NULL DEFAULT '',
	image_url       TEXT   NOT NULL DEFAULT '',
	public_metadata TEXT   NOT NULL DEFAULT '{}',
	created_at      BIGINT NOT NULL,
	updated_at      BIGINT NOT NULL
);

-- organizations mirrors Clerk organizations. slug is NULL when the
-- organization has none (several NULLs do not collide).
CREATE TABLE organizations (
	id              TEXT   NOT NULL PRIMARY KEY,
	name            TEXT   NOT NULL DEFAULT '',
	slug            TEXT   UNIQUE,
	image_url       TEXT   NOT NULL DEFAULT '',
	public_metadata TEXT   NOT NULL DEFAULT '{}',
	created_by      TEXT   NOT NULL DEFAULT '',
	created_at      BIGINT NOT NULL,
	updated_at      BIGINT NOT NULL
);

-- organization_members mirrors Clerk organization memberships.
CREATE TABLE organization_members (
	id              TEXT   NOT NULL PRIMARY KEY,
	organization_id TEXT   NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	user_id         TEXT   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	role            TEXT   NOT NULL,
	created_at      BIGINT NOT NULL,
	updated_at      BIGINT NOT NULL,
	UNIQUE (organization_id, user_id)
);

CREATE INDEX organization_members_user_id ON organization_members (user_id);

-- projects belong to the application: a personal project has no
-- organization_id, a team project has one.
CREATE TABLE projects (
	id              TEXT   NOT NULL PRIMARY KEY,
	title           TEXT   NOT NULL,
	description     TEXT   NOT NULL DEFAULT '',
	owner_id        TEXT   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	organization_id TEXT   REFERENCES organizations (id) ON DELETE CASCADE,
	created_at      BIGINT NOT NULL,
	updated_at      BIGINT NOT NULL
);

CREATE INDEX projects_owner_id ON projects (owner_id);

CREATE INDEX projects_organization_id ON projects (organization_id);

-- clerk_objects has one row per Clerk object (kind: user, organization,
-- membership) the store has written or deleted. Upserts and deletes of an
-- object lock its row first, so they serialize; deleted_at (milliseconds,
-- local clock) is set once the object was deleted: the tombstone.
CREATE TABLE clerk_objects (
	kind       TEXT   NOT NULL,
	id         TEXT   NOT NULL,
	deleted_at BIGINT,
	PRIMARY KEY (kind, id)
);

CREATE INDEX clerk_objects_deleted_at ON clerk_objects (deleted_at);
