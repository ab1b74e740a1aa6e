// Package syncer keeps the store's users, organizations and memberships in
// step with Clerk by handling Clerk's webhooks.
//
// Wire it once at start-up:
//
//	h, err := syncer.NewHandler(ctx, webhooks.ConfigFromEnv(), st, logger)
//	if err != nil {
//		return err
//	}
//	mux.Handle("POST /api/webhooks/clerk", h)
//
// and subscribe the Clerk endpoint to user.*, organization.* and
// organizationMembership.* events.
//
// # Guarantees
//
// The webhooks.Handler verifies each delivery and decodes its data; the
// sync function then applies it with store.ApplyOnce (or, for user and
// organization upserts, store.UpsertUserOnce and UpsertOrganizationOnce):
// one transaction records the svix-id in the store's own database (so
// every replica shares it) and makes the event's writes, so an id is
// recorded exactly when its writes are committed. A redelivery of an applied svix-id finds the id and
// is answered 200 without being applied again. Concurrent copies of one
// delivery serialize on the id (its unique key in PostgreSQL, the write
// lock in SQLite): the first applies it and the others, once it commits,
// find the id and are answered 200; if it fails, the transaction rolls back
// the id with the writes, and the next copy or Svix's retry applies the
// event. (The Handler's own 409 for a delivery in flight is not used.)
//
// Deliveries still arrive out of order and, across svix-ids, more than
// once; the store makes that harmless: an older updated_at never
// overwrites a newer one and a deletion is final (see the store package).
// A function returns an error, so that Svix retries the delivery later,
// when the store failed or a membership arrived before its user
// (store.ErrMissingParent) or an organization's slug is still held by
// another organization (store.ErrConflict). A membership that arrives
// before its organization stores the copy of the organization the event
// carries (when that copy has an updated_at), in a transaction of its own.
// Events that can never be stored (store.ErrInvalid, e.g. no id) are logged
// and acknowledged, their svix-id recorded: retrying them cannot help.
package syncer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"

	"github.com/clerkkit/clerkkit/examples/saas/store"
	"github.com/clerkkit/clerkkit/webhooks"
)

// NewHandler returns a webhooks.Handler configured by cfg with the sync
// functions registered. When cfg.Store is nil (the usual case) the Handler
// keeps no delivery ids of its own: the sync functions record them in s's
// database, in the transaction of their writes (see Guarantees); a
// non-nil cfg.Store is used in addition. When cfg.Logger is nil the
// handler logs to logger. ctx bounds the set-up, which has no database
// work at present: store.Open's migrations create the ids' table.
func NewHandler(ctx context.Context, cfg webhooks.Config, s *store.Store, logger *slog.Logger) (*webhooks.Handler, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("syncer: %w", err)
	}
	if cfg.Store == nil {
		cfg.Store = txStore{}
	}
	if cfg.Logger == nil {
		cfg.Logger = logger
	}
	h, err := webhooks.NewHandler(cfg)
	if err != nil {
		return nil, fmt.Errorf("syncer: %w", err)
	}
	Register(h, s, logger)
	return h, nil
}

// txStore is the Handler's webhooks.Store when the sync functions record
// delivery ids themselves: every claim succeeds, and store.ApplyOnce, in
// the transaction of the event's writes, finds out whether the id is new.
type txStore struct{}

func (txStore) Claim(context.Context, string, string, time.Duration) (webhooks.ClaimState, error) {
	return webhooks.Claimed, nil
}
func (txStore) Complete(context.Context, string) error        { return nil }
func (txStore) Release(context.Context, string, string) error { return nil }

// Register registers on h the functions for user.created, .updated and
// .deleted, organization.created, .updated and .deleted, and
// organizationMembership.created, .updated and .deleted, which write to s,
// each delivery at most once per svix-id whatever h's Store (see
// Guarantees). A nil logger discards the logs. It panics, like h, when one
// of these types already has a function.
func Register(h *webhooks.Handler, s *store.Store, logger *slog.Logger) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	sy := &syncer{s: s, log: logger}
	webhooks.On(h, webhooks.UserCreated, sy.upsertUser)
	webhooks.On(h, webhooks.UserUpdated, sy.upsertUser)
	webhooks.On(h, webhooks.UserDeleted, sy.deleteUser)
	webhooks.On(h, webhooks.OrganizationCreated, sy.upsertOrganization)
	webhooks.On(h, webhooks.OrganizationUpdated, sy.upsertOrganization)
	webhooks.On(h, webhooks.OrganizationDeleted, sy.deleteOrganization)
	webhooks.On(h, webhooks.OrganizationMembershipCreated, sy.upsertMembership)
	webhooks.On(h, webhooks.OrganizationMembershipUpdated, sy.upsertMembership)
	webhooks.On(h, webhooks.OrganizationMembershipDeleted, sy.deleteMembership)
}

type syncer struct {
	s   *store.Store
	log *slog.Logger
}

func (sy *syncer) upsertUser(ctx context.Context, u *clerk.User, ev *webhooks.Event) error {
	dup, applied, err := sy.s.UpsertUserOnce(ctx, ev.ID, UserFromClerk(u))
	return sy.done(ctx, ev, u.ID, "upsert", dup, applied, err)
}

func (sy *syncer) deleteUser(ctx context.Context, d *webhooks.DeletedObject, ev *webhooks.Event) error {
	return sy.sync(ctx, ev, d.ID, "delete", func(tx *store.Tx) (bool, error) { return tx.DeleteUser(ctx, d.ID) })
}

func (sy *syncer) upsertOrganization(ctx context.Context, o *clerk.Organization, ev *webhooks.Event) error {
	dup, applied, err := sy.s.UpsertOrganizationOnce(ctx, ev.ID, OrganizationFromClerk(o))
	return sy.done(ctx, ev, o.ID, "upsert", dup, applied, err)
}

func (sy *syncer) deleteOrganization(ctx context.Context, d *webhooks.DeletedObject, ev *webhooks.Event) error {
	return sy.sync(ctx, ev, d.ID, "delete", func(tx *store.Tx) (bool, error) { return tx.DeleteOrganization(ctx, d.ID) })
}

func (sy *syncer) upsertMembership(ctx context.Context, m *clerk.OrganizationMembership, ev *webhooks.Event) error {
	row := MembershipFromClerk(m)
	write := func(tx *store.Tx) (bool, error) { return tx.UpsertMembership(ctx, row) }
	dup, applied, err := sy.apply(ctx, ev, write)
	if errors.Is(err, store.ErrMissingParent) && m.Organization != nil && m.Organization.UpdatedAt > 0 {
		// The membership overtook its organization.created: store the
		// organization from the full copy in the event (the newest-wins
		// rule still applies), in its own transaction so that it stays
		// when the user is missing too, and apply the delivery again. A
		// missing user stays an error, and so does an organization
		// without a dated copy.
		if _, oerr := sy.s.UpsertOrganization(ctx, OrganizationFromClerk(m.Organization)); oerr != nil {
			return sy.done(ctx, ev, m.ID, "upsert", false, false, oerr)
		}
		dup, applied, err = sy.apply(ctx, ev, write)
	}
	return sy.done(ctx, ev, m.ID, "upsert", dup, applied, err)
}

func (sy *syncer) deleteMembership(ctx context.Context, m *clerk.OrganizationMembership, ev *webhooks.Event) error {
	return sy.sync(ctx, ev, m.ID, "delete", func(tx *store.Tx) (bool, error) { return tx.DeleteMembership(ctx, m.ID) })
}

// sync applies write once for the delivery and logs the outcome; see done
// for the error it returns.
func (sy *syncer) sync(ctx context.Context, ev *webhooks.Event, id, op string, write func(*store.Tx) (bool, error)) error {
	dup, changed, err := sy.apply(ctx, ev, write)
	return sy.done(ctx, ev, id, op, dup, changed, err)
}

// apply runs write in the delivery's transaction unless the svix-id was
// applied before (dup).
func (sy *syncer) apply(ctx context.Context, ev *webhooks.Event, write func(*store.Tx) (bool, error)) (dup, changed bool, err error) {
	dup, err = sy.s.ApplyOnce(ctx, ev.ID, func(tx *store.Tx) error {
		var err error
		changed, err = write(tx)
		return err
	})
	return dup, changed && err == nil, err
}

// done logs the outcome of one event and returns the error the Handler
// should see: nil to acknowledge, non-nil to have Svix retry.
func (sy *syncer) done(ctx context.Context, ev *webhooks.Event, id, op string, dup, changed bool, err error) error {
	attrs := []slog.Attr{slog.String("svix_id", ev.ID), slog.String("type", ev.Type), slog.String("id", id)}
	switch {
	case errors.Is(err, store.ErrInvalid):
		// Retrying cannot help: record the id, so that a redelivery is a
		// duplicate, and acknowledge.
		dup, rerr := sy.s.ApplyOnce(ctx, ev.ID, func(*store.Tx) error { return nil })
		switch {
		case rerr != nil:
			sy.log.LogAttrs(ctx, slog.LevelError, "syncer: unusable event not recorded, Svix will retry", append(attrs, slog.Any("error", rerr))...)
			return rerr
		case dup:
			sy.log.LogAttrs(ctx, slog.LevelInfo, msgDuplicate, attrs...)
			return nil
		}
		sy.log.LogAttrs(ctx, slog.LevelError, "syncer: unusable event acknowledged", append(attrs, slog.Any("error", err))...)
		return nil
	case err != nil:
		level := slog.LevelError
		if errors.Is(err, store.ErrMissingParent) || errors.Is(err, store.ErrConflict) {
			level = slog.LevelWarn // expected while related events are in flight
		}
		sy.log.LogAttrs(ctx, level, "syncer: event not stored, Svix will retry", append(attrs, slog.Any("error", err))...)
		return err
	case dup:
		sy.log.LogAttrs(ctx, slog.LevelInfo, msgDuplicate, attrs...)
	case changed:
		sy.log.LogAttrs(ctx, slog.LevelInfo, "syncer: "+op+" applied", attrs...)
	default:
		sy.log.LogAttrs(ctx, slog.LevelInfo, "syncer: "+op+" had no effect (stale, deleted or absent)", attrs...)
	}
	return nil
}

// msgDuplicate is the log message of a delivery whose svix-id was applied
// before.
const msgDuplicate = "syncer: delivery applied before, acknowledged"

// UserFromClerk maps a Clerk user to a store row: the primary email
// address (the entry of EmailAddresses whose id is PrimaryEmailAddressID,
// "" when none matches), names, image and public metadata.
func UserFromClerk(u *clerk.User) store.User {
	out := store.User{
		ID:             u.ID,
		FirstName:      deref(u.FirstName),
		LastName:       deref(u.LastName),
		ImageURL:       deref(u.ImageURL),
		PublicMetadata: u.PublicMetadata,
		CreatedAt:      fromMS(u.CreatedAt),
		UpdatedAt:      fromMS(u.UpdatedAt),
	}
	if u.PrimaryEmailAddressID != nil {
		for _, e := range u.EmailAddresses {
			if e != nil && e.ID == *u.PrimaryEmailAddressID {
				out.Email = e.EmailAddress
				break
			}
		}
	}
	return out
}

// OrganizationFromClerk maps a Clerk organization to a store row.
func OrganizationFromClerk(o *clerk.Organization) store.Organization {
	return store.Organization{
		ID:             o.ID,
		Name:           o.Name,
		Slug:           o.Slug,
		ImageURL:       deref(o.ImageURL),
		PublicMetadata: o.PublicMetadata,
		CreatedBy:      o.CreatedBy,
		CreatedAt:      fromMS(o.CreatedAt),
		UpdatedAt:      fromMS(o.UpdatedAt),
	}
}

// MembershipFromClerk maps a Clerk organization membership to a store row;
// the organization and user ids come from its Organization and
// PublicUserData.
func MembershipFromClerk(m *clerk.OrganizationMembership) store.Membership {
	out := store.Membership{
		ID:        m.ID,
		Role:      m.Role,
		CreatedAt: fromMS(m.CreatedAt),
		UpdatedAt: fromMS(m.UpdatedAt),
	}
	if m.Organization != nil {
		out.OrganizationID = m.Organization.ID
	}
	if m.PublicUserData != nil {
		out.UserID = m.PublicUserData.UserID
	}
	return out
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// fromMS converts Clerk's Unix milliseconds; 0 stays the zero time.
func fromMS(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
