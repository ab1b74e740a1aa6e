package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/clerkkit/clerkkit/webhooks"
)

// Object kinds in clerk_objects.
const (
	kindUser         = "user"
	kindOrganization = "organization"
	kindMembership   = "membership"
)

// User is a Clerk user as mirrored by the store.
type User struct {
	// ID is Clerk's user id ("user_…").
	ID string `json:"id"`
	// Email is the primary email address, or "" when the user has none.
	Email     string `json:"email"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	ImageURL  string `json:"image_url"`
	// PublicMetadata is the user's public metadata, a JSON object.
	PublicMetadata json.RawMessage `json:"public_metadata"`
	// CreatedAt and UpdatedAt are Clerk's timestamps (millisecond
	// precision); UpdatedAt orders the versions of the user.
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Organization is a Clerk organization as mirrored by the store.
type Organization struct {
	// ID is Clerk's organization id ("org_…").
	ID   string `json:"id"`
	Name string `json:"name"`
	// Slug is unique among organizations; "" when the organization has none.
	Slug     string `json:"slug"`
	ImageURL string `json:"image_url"`
	// PublicMetadata is the organization's public metadata, a JSON object.
	PublicMetadata json.RawMessage `json:"public_metadata"`
	// CreatedBy is the id of the user who created the organization.
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Membership is a Clerk organization membership: a user's role in an
// organization.
type Membership struct {
	// ID is Clerk's membership id ("orgmem_…").
	ID             string `json:"id"`
	OrganizationID string `json:"organization_id"`
	UserID         string `json:"user_id"`
	// Role is the role key, e.g. "org:admin" or "org:member".
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Member is a membership with its user, as listed by ListMembers.
type Member struct {
	Membership
	User User `json:"user"`
}

// UserOrganization is an organization a user belongs to, with the user's
// role, as listed by ListUserOrganizations.
type UserOrganization struct {
	Organization
	MembershipID string `json:"membership_id"`
	Role         string `json:"role"`
}

// UpsertUser stores u unless the stored row is newer or u's id is
// tombstoned, and reports whether it wrote u.
func (s *Store) UpsertUser(ctx context.Context, u User) (applied bool, err error) {
	return s.write(ctx, func(t *Tx) (bool, error) { return t.UpsertUser(ctx, u) })
}

// UpsertUser is Store.UpsertUser in the transaction.
func (t *Tx) UpsertUser(ctx context.Context, u User) (applied bool, err error) {
	args, err := userArgs(u)
	if err != nil {
		return false, err
	}
	applied, err = t.upsert(ctx, kindUser, u.ID, sqlUpsertUser, args...)
	if err != nil {
		return false, fmt.Errorf("store: upsert user %s: %w", u.ID, err)
	}
	return applied, nil
}

// DeleteUser deletes the user, its memberships and the projects it owns,
// tombstones its id, and reports whether a row was deleted.
func (s *Store) DeleteUser(ctx context.Context, id string) (deleted bool, err error) {
	return s.write(ctx, func(t *Tx) (bool, error) { return t.DeleteUser(ctx, id) })
}

// DeleteUser is Store.DeleteUser in the transaction.
func (t *Tx) DeleteUser(ctx context.Context, id string) (deleted bool, err error) {
	deleted, err = t.delete(ctx, kindUser, id, sqlDeleteUser)
	if err != nil {
		return false, fmt.Errorf("store: delete user %s: %w", id, err)
	}
	return deleted, nil
}

// GetUser returns the user with id, or ErrNotFound.
func (s *Store) GetUser(ctx context.Context, id string) (User, error) {
	u, err := scanUser(s.queryRow(ctx, s.db, sqlGetUser, id))
	if err != nil {
		return User{}, fmt.Errorf("store: get user %s: %w", id, notFound(err))
	}
	return u, nil
}

// UpsertOrganization stores o unless the stored row is newer or o's id is
// tombstoned, and reports whether it wrote o. It fails with ErrConflict
// when another organization holds o's slug.
func (s *Store) UpsertOrganization(ctx context.Context, o Organization) (applied bool, err error) {
	return s.write(ctx, func(t *Tx) (bool, error) { return t.UpsertOrganization(ctx, o) })
}

// UpsertOrganization is Store.UpsertOrganization in the transaction.
func (t *Tx) UpsertOrganization(ctx context.Context, o Organization) (applied bool, err error) {
	args, err := orgArgs(o)
	if err != nil {
		return false, err
	}
	applied, err = t.upsert(ctx, kindOrganization, o.ID, sqlUpsertOrg, args...)
	if err != nil {
		return false, fmt.Errorf("store: upsert organization %s: %w", o.ID, err)
	}
	return applied, nil
}

// DeleteOrganization deletes the organization, its memberships and its
// projects, tombstones its id, and reports whether a row was deleted.
func (s *Store) DeleteOrganization(ctx context.Context, id string) (deleted bool, err error) {
	return s.write(ctx, func(t *Tx) (bool, error) { return t.DeleteOrganization(ctx, id) })
}

// DeleteOrganization is Store.DeleteOrganization in the transaction.
func (t *Tx) DeleteOrganization(ctx context.Context, id string) (deleted bool, err error) {
	deleted, err = t.delete(ctx, kindOrganization, id, sqlDeleteOrg)
	if err != nil {
		return false, fmt.Errorf("store: delete organization %s: %w", id, err)
	}
	return deleted, nil
}

// GetOrganization returns the organization with id, or ErrNotFound.
func (s *Store) GetOrganization(ctx context.Context, id string) (Organization, error) {
	o, err := scanOrg(s.queryRow(ctx, s.db, sqlGetOrg, id))
	if err != nil {
		return Organization{}, fmt.Errorf("store: get organization %s: %w", id, notFound(err))
	}
	return o, nil
}

// GetOrganizationBySlug returns the organization with slug, or ErrNotFound.
func (s *Store) GetOrganizationBySlug(ctx context.Context, slug string) (Organization, error) {
	if slug == "" {
		return Organization{}, fmt.Errorf("store: get organization by slug: %w", ErrNotFound)
	}
	o, err := scanOrg(s.queryRow(ctx, s.db, sqlGetOrgBySlug, slug))
	if err != nil {
		return Organization{}, fmt.Errorf("store: get organization by slug %q: %w", slug, notFound(err))
	}
	return o, nil
}

// UpsertMembership stores m unless the stored membership of the same user
// in the same organization is newer or m's id is tombstoned, and reports
// whether it wrote m. A membership of a deleted user or organization is
// ignored. When the user or the organization is not stored yet it fails
// with ErrMissingParent, which is retryable (see the package
// documentation).
func (s *Store) UpsertMembership(ctx context.Context, m Membership) (applied bool, err error) {
	return s.write(ctx, func(t *Tx) (bool, error) { return t.UpsertMembership(ctx, m) })
}

// UpsertMembership is Store.UpsertMembership in the transaction.
func (t *Tx) UpsertMembership(ctx context.Context, m Membership) (applied bool, err error) {
	if m.ID == "" || m.OrganizationID == "" || m.UserID == "" || m.Role == "" {
		return false, fmt.Errorf("%w: membership needs an id, an organization id, a user id and a role", ErrInvalid)
	}
	applied, err = t.upsertMembership(ctx, m)
	if err != nil {
		return false, fmt.Errorf("store: upsert membership %s: %w", m.ID, err)
	}
	return applied, nil
}

func (t *Tx) upsertMembership(ctx context.Context, m Membership) (applied bool, err error) {
	s, tx := t.s, t.tx
	deleted, err := t.lockObject(ctx, kindMembership, m.ID)
	if err != nil || deleted {
		return false, err
	}
	var gone int
	err = s.queryRow(ctx, tx, sqlDeletedParents, kindUser, m.UserID, kindOrganization, m.OrganizationID).Scan(&gone)
	if err != nil || gone > 0 {
		return false, err
	}
	var users, orgs int
	if err := s.queryRow(ctx, tx, sqlStoredParents, m.UserID, m.OrganizationID).Scan(&users, &orgs); err != nil {
		return false, err
	}
	if users == 0 || orgs == 0 {
		return false, fmt.Errorf("%w: user stored: %t, organization stored: %t", ErrMissingParent, users > 0, orgs > 0)
	}
	n, err := s.exec(ctx, tx, sqlUpsertMembership,
		m.ID, m.OrganizationID, m.UserID, m.Role, ms(m.CreatedAt), ms(m.UpdatedAt))
	return n > 0, err
}

// DeleteMembership deletes the membership with id, tombstones the id, and
// reports whether a row was deleted.
func (s *Store) DeleteMembership(ctx context.Context, id string) (deleted bool, err error) {
	return s.write(ctx, func(t *Tx) (bool, error) { return t.DeleteMembership(ctx, id) })
}

// DeleteMembership is Store.DeleteMembership in the transaction.
func (t *Tx) DeleteMembership(ctx context.Context, id string) (deleted bool, err error) {
	deleted, err = t.delete(ctx, kindMembership, id, sqlDeleteMembership)
	if err != nil {
		return false, fmt.Errorf("store: delete membership %s: %w", id, err)
	}
	return deleted, nil
}

// DeleteMembershipOf deletes the membership of userID in orgID, tombstones
// its id, and reports whether a row was deleted.
func (s *Store) DeleteMembershipOf(ctx context.Context, orgID, userID string) (deleted bool, err error) {
	var id string
	err = s.queryRow(ctx, s.db, sqlMembershipIDByPair, orgID, userID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: delete membership of %s in %s: %w", userID, orgID, err)
	}
	return s.DeleteMembership(ctx, id)
}

// GetMembership returns the membership of userID in orgID, or ErrNotFound.
func (s *Store) GetMembership(ctx context.Context, orgID, userID string) (Membership, error) {
	m, err := scanMembership(s.queryRow(ctx, s.db, sqlGetMembership, orgID, userID))
	if err != nil {
		return Membership{}, fmt.Errorf("store: get membership of %s in %s: %w", userID, orgID, notFound(err))
	}
	return m, nil
}

// ListMembers returns the members of the organization with their users,
// oldest membership first.
func (s *Store) ListMembers(ctx context.Context, orgID string) ([]Member, error) {
	rows, err := s.query(ctx, s.db, sqlListMembers, orgID)
	if err != nil {
		return nil, fmt.Errorf("store: list members of %s: %w", orgID, err)
	}
	defer rows.Close()
	var out []Member
	for rows.Next() {
		var m Member
		var created, updated, uCreated, uUpdated int64
		var md string
		err := rows.Scan(&m.ID, &m.OrganizationID, &m.UserID, &m.Role, &created, &updated,
			&m.User.ID, &m.User.Email, &m.User.FirstName, &m.User.LastName, &m.User.ImageURL, &md, &uCreated, &uUpdated)
		if err != nil {
			return nil, fmt.Errorf("store: list members of %s: %w", orgID, err)
		}
		m.CreatedAt, m.UpdatedAt = fromMS(created), fromMS(updated)
		m.User.PublicMetadata, m.User.CreatedAt, m.User.UpdatedAt = json.RawMessage(md), fromMS(uCreated), fromMS(uUpdated)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list members of %s: %w", orgID, err)
	}
	return out, nil
}

// ListUserOrganizations returns the organizations the user belongs to, with
// the user's role, by name.
func (s *Store) ListUserOrganizations(ctx context.Context, userID string) ([]UserOrganization, error) {
	rows, err := s.query(ctx, s.db, sqlListUserOrgs, userID)
	if err != nil {
		return nil, fmt.Errorf("store: list organizations of %s: %w", userID, err)
	}
	defer rows.Close()
	var out []UserOrganization
	for rows.Next() {
		var uo UserOrganization
		o, err := scanOrg(rows, &uo.MembershipID, &uo.Role)
		if err != nil {
			return nil, fmt.Errorf("store: list organizations of %s: %w", userID, err)
		}
		uo.Organization = o
		out = append(out, uo)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list organizations of %s: %w", userID, err)
	}
	return out, nil
}

// PruneTombstones deletes the tombstones recorded before before, and the
// lock rows of memberships no longer stored, and returns how many rows it
// deleted. A tombstone must outlive every late delivery of its object: Svix
// retries for about three days, so prune with before a month ago, e.g.
// daily.
func (s *Store) PruneTombstones(ctx context.Context, before time.Time) (int64, error) {
	n, err := s.exec(ctx, s.db, sqlPruneObjects, before.UnixMilli(), kindMembership)
	if err != nil {
		return 0, fmt.Errorf("store: prune tombstones: %w", err)
	}
	return n, nil
}

// upsert runs the upsert q of the object (kind, id) unless the object is
// tombstoned, and reports whether it changed a row.
func (t *Tx) upsert(ctx context.Context, kind, id, q string, args ...any) (applied bool, err error) {
	deleted, err := t.lockObject(ctx, kind, id)
	if err != nil || deleted {
		return false, err
	}
	n, err := t.s.exec(ctx, t.tx, q, args...)
	return n > 0, err
}

// delete tombstones the object (kind, id) and runs the delete q, and
// reports whether it deleted a row.
func (t *Tx) delete(ctx context.Context, kind, id, q string) (deleted bool, err error) {
	if id == "" {
		return false, fmt.Errorf("%w: empty id", ErrInvalid)
	}
	if _, err := t.s.exec(ctx, t.tx, sqlTombstone, kind, id, time.Now().UnixMilli()); err != nil {
		return false, err
	}
	n, err := t.s.exec(ctx, t.tx, q, id)
	return n > 0, err
}

// lockObject locks the object's row in clerk_objects for the transaction
// and reports whether the object is tombstoned. In PostgreSQL it creates
// or touches the row, whose lock a concurrent delete's tombstone waits
// for. SQLite transactions are serializable (one writer at a time, and the
// store's take the write lock at BEGIN): reading the tombstone suffices.
func (t *Tx) lockObject(ctx context.Context, kind, id string) (deleted bool, err error) {
	q := sqlLockObject
	if t.s.dialect == webhooks.SQLite {
		q = sqlTombstoneOf
	}
	var at sql.NullInt64
	err = t.s.queryRow(ctx, t.tx, q, kind, id).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) { // SQLite: never written nor deleted
		return false, nil
	}
	if err != nil {
		return false, classify(err)
	}
	return at.Valid, nil
}

// userArgs validates u and returns the arguments of sqlUpsertUser.
func userArgs(u User) ([]any, error) {
	if u.ID == "" {
		return nil, fmt.Errorf("%w: user without id", ErrInvalid)
	}
	md, err := metadata(u.PublicMetadata)
	if err != nil {
		return nil, err
	}
	return []any{u.ID, u.Email, u.FirstName, u.LastName, u.ImageURL, md, ms(u.CreatedAt), ms(u.UpdatedAt)}, nil
}

// orgArgs validates o and returns the arguments of sqlUpsertOrg.
func orgArgs(o Organization) ([]any, error) {
	if o.ID == "" {
		return nil, fmt.Errorf("%w: organization without id", ErrInvalid)
	}
	md, err := metadata(o.PublicMetadata)
	if err != nil {
		return nil, err
	}
	return []any{o.ID, o.Name, nullString(o.Slug), o.ImageURL, md, o.CreatedBy, ms(o.CreatedAt), ms(o.UpdatedAt)}, nil
}

// metadata returns raw as the text stored in a public_metadata column: a
// JSON object, "{}" for none.
func metadata(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "{}", nil
	}
	if !json.Valid(raw) {
		return "", fmt.Errorf("%w: public metadata is not valid JSON", ErrInvalid)
	}
	return string(raw), nil
}

// nullString maps "" to NULL.
func nullString(v string) sql.NullString { return sql.NullString{String: v, Valid: v != ""} }

// notFound maps sql.ErrNoRows to ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

func scanUser(row *sql.Row) (User, error) {
	var u User
	var md string
	var created, updated int64
	if err := row.Scan(&u.ID, &u.Email, &u.FirstName, &u.LastName, &u.ImageURL, &md, &created, &updated); err != nil {
		return User{}, err
	}
	u.PublicMetadata, u.CreatedAt, u.UpdatedAt = json.RawMessage(md), fromMS(created), fromMS(updated)
	return u, nil
}

// scanOrg scans the columns of orgColumns, then into extra the row's
// further columns; row is a *sql.Row or *sql.Rows.
func scanOrg(row interface{ Scan(dest ...any) error }, extra ...any) (Organization, error) {
	var o Organization
	var slug sql.NullString
	var md string
	var created, updated int64
	if err := row.Scan(append([]any{&o.ID, &o.Name, &slug, &o.ImageURL, &md, &o.CreatedBy, &created, &updated}, extra...)...); err != nil {
		return Organization{}, err
	}
	o.Slug, o.PublicMetadata, o.CreatedAt, o.UpdatedAt = slug.String, json.RawMessage(md), fromMS(created), fromMS(updated)
	return o, nil
}

func scanMembership(row *sql.Row) (Membership, error) {
	var m Membership
	var created, updated int64
	if err := row.Scan(&m.ID, &m.OrganizationID, &m.UserID, &m.Role, &created, &updated); err != nil {
		return Membership{}, err
	}
	m.CreatedAt, m.UpdatedAt = fromMS(created), fromMS(updated)
	return m, nil
}
