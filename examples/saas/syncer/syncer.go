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
// The webhooks.Handler verifies each delivery and runs its function at most
// once per svix-id, recording ids in the store's own database (so every
// replica shares them). Deliveries still arrive out of order and, across
// svix-ids, more than once; the store makes that harmless: an older
// updated_at never overwrites a newer one and a deletion is final (see the
// store package). A function returns an error, so that Svix retries the
// delivery later, when the store failed or a membership arrived before its
// user (store.ErrMissingParent) or an organization's slug is still held by
// another organization (store.ErrConflict). A membership that arrives before
// its organization stores the copy of the organization the event carries
// (when that copy has an updated_at).
// Events that can never be stored (store.ErrInvalid, e.g. no id) are logged
// and acknowledged: retrying them cannot help.
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
// functions registered. When cfg.Store is nil it records delivery ids in a
// webhooks.SQLStore on s's database, creating its table; when cfg.Logger is
// nil the handler logs to logger.
func NewHandler(ctx context.Context, cfg webhooks.Config, s *store.Store, logger *slog.Logger) (*webhooks.Handler, error) {
	if cfg.Store == nil {
		ws, err := webhooks.NewSQLStore(s.DB(), s.Dialect())
		if err != nil {
			return nil, fmt.Errorf("syncer: %w", err)
		}
		if err := ws.Migrate(ctx); err != nil {
			return nil, fmt.Errorf("syncer: %w", err)
		}
		cfg.Store = ws
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

// Register registers on h the functions for user.created, .updated and
// .deleted, organization.created, .updated and .deleted, and
// organizationMembership.created, .updated and .deleted, which write to s.
// A nil logger discards the logs. It panics, like h, when one of these
// types already has a function.
func Register(h *webhooks.Handler, s *store.Store, logger *slog.Logger) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	sy := &syncer{s: s, log: logger}
	h.OnUserCreated(sy.upsertUser)
	h.OnUserUpdated(sy.upsertUser)
	h.OnUserDeleted(sy.deleteUser)
	h.OnOrganizationCreated(sy.upsertOrganization)
	h.OnOrganizationUpdated(sy.upsertOrganization)
	h.OnOrganizationDeleted(sy.deleteOrganization)
	h.OnOrganizationMembershipCreated(sy.upsertMembership)
	h.OnOrganizationMembershipUpdated(sy.upsertMembership)
	h.OnOrganizationMembershipDeleted(sy.deleteMembership)
}

type syncer struct {
	s   *store.Store
	log *slog.Logger
}

func (sy *syncer) upsertUser(ctx context.Context, u *clerk.User, ev *webhooks.Event) error {
	applied, err := sy.s.UpsertUser(ctx, UserFromClerk(u))
	return sy.done(ctx, ev, u.ID, "upsert", applied, err)
}

func (sy *syncer) deleteUser(ctx context.Context, d *webhooks.DeletedObject, ev *webhooks.Event) error {
	deleted, err := sy.s.DeleteUser(ctx, d.ID)
	return sy.done(ctx, ev, d.ID, "delete", deleted, err)
}

func (sy *syncer) upsertOrganization(ctx context.Context, o *clerk.Organization, ev *webhooks.Event) error {
	applied, err := sy.s.UpsertOrganization(ctx, OrganizationFromClerk(o))
	return sy.done(ctx, ev, o.ID, "upsert", applied, err)
}

func (sy *syncer) deleteOrganization(ctx context.Context, d *webhooks.DeletedObject, ev *webhooks.Event) error {
	deleted, err := sy.s.DeleteOrganization(ctx, d.ID)
	return sy.done(ctx, ev, d.ID, "delete", deleted, err)
}

func (sy *syncer) upsertMembership(ctx context.Context, m *clerk.OrganizationMembership, ev *webhooks.Event) error {
	mem := MembershipFromClerk(m)
	applied, err := sy.s.UpsertMembership(ctx, mem)
	if errors.Is(err, store.ErrMissingParent) && m.Organization != nil && m.Organization.UpdatedAt > 0 {
		// The membership overtook its organization.created: store the
		// organization from the full copy in the event (the newest-wins
		// rule still applies) and try again. A missing user stays an
		// error, and so does an organization without a dated copy.
		if _, oerr := sy.s.UpsertOrganization(ctx, OrganizationFromClerk(m.Organization)); oerr != nil {
			return sy.done(ctx, ev, m.ID, "upsert", false, oerr)
		}
		applied, err = sy.s.UpsertMembership(ctx, mem)
	}
	return sy.done(ctx, ev, m.ID, "upsert", applied, err)
}

func (sy *syncer) deleteMembership(ctx context.Context, m *clerk.OrganizationMembership, ev *webhooks.Event) error {
	deleted, err := sy.s.DeleteMembership(ctx, m.ID)
	return sy.done(ctx, ev, m.ID, "delete", deleted, err)
}

// done logs the outcome of one event and returns the error the Handler
// should see: nil to acknowledge, non-nil to have Svix retry.
func (sy *syncer) done(ctx context.Context, ev *webhooks.Event, id, op string, changed bool, err error) error {
	attrs := []slog.Attr{slog.String("svix_id", ev.ID), slog.String("type", ev.Type), slog.String("id", id)}
	switch {
	case errors.Is(err, store.ErrInvalid):
		sy.log.LogAttrs(ctx, slog.LevelError, "syncer: unusable event acknowledged", append(attrs, slog.Any("error", err))...)
		return nil
	case err != nil:
		level := slog.LevelError
		if errors.Is(err, store.ErrMissingParent) || errors.Is(err, store.ErrConflict) {
			level = slog.LevelWarn // expected while related events are in flight
		}
		sy.log.LogAttrs(ctx, level, "syncer: event not stored, Svix will retry", append(attrs, slog.Any("error", err))...)
		return err
	case changed:
		sy.log.LogAttrs(ctx, slog.LevelInfo, "syncer: "+op+" applied", attrs...)
	default:
		sy.log.LogAttrs(ctx, slog.LevelInfo, "syncer: "+op+" had no effect (stale, deleted or absent)", attrs...)
	}
	return nil
}

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
