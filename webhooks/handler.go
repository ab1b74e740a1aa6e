package webhooks

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"github.com/clerkkit/clerkkit/clerkerr"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync"
	"time"
)

// Handler is an http.Handler receiving Clerk webhooks: it verifies each
// delivery, runs the function registered for its event type at most once
// per svix-id (through its Store) and answers so that Svix retries exactly
// the deliveries that were not handled. Register functions before serving;
// registering a type twice panics, like http.ServeMux.
type Handler struct {
	verifier *Verifier
	store    Store
	lease    time.Duration
	log      *slog.Logger

	mu     sync.RWMutex
	routes map[string]route
}

// storeTimeout bounds Complete and Release, which run even when the
// request's context has ended.
const storeTimeout = 5 * time.Second

// route is a registered function. It decodes the event's data for the
// function, before the delivery is claimed, and returns the call to run;
// an error answers 400.
type route func(*Event) (func(context.Context) error, error)

// NewHandler validates cfg and returns a Handler with no registered
// functions; register them with [On] and [Handler.On]. It fails with
// ErrInvalidSecret on a missing or invalid secret and with clerkerr.ErrInvalidConfig
// on negative limits: a misconfigured endpoint never accepts deliveries.
func NewHandler(cfg Config) (*Handler, error) {
	v, err := NewVerifier(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.Lease < 0 {
		return nil, fmt.Errorf("%w: webhooks.Config.Lease must not be negative", clerkerr.ErrInvalidConfig)
	}
	h := &Handler{verifier: v, store: cfg.Store, lease: cfg.Lease, log: cfg.Logger, routes: make(map[string]route)}
	if h.store == nil {
		h.store = NewMemoryStore(MemoryStoreOptions{})
	}
	if h.lease == 0 {
		h.lease = DefaultLease
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	return h, nil
}

// ServeHTTP answers a delivery:
//
//	405 (Allow: POST)  method is not POST
//	413                body larger than MaxBodyBytes
//	400                missing or invalid svix headers, bad signature,
//	                   timestamp outside the tolerance, malformed envelope,
//	                   or data that does not decode into the registered
//	                   function's type
//	200                the registered function returned nil; or no function
//	                   is registered for the type (ignored, logged at debug);
//	                   or the svix-id was completed before (not run again)
//	409 (Retry-After)  another delivery of the same svix-id is being handled
//	                   right now; it may still fail, so this copy must not be
//	                   acknowledged: Svix retries it later
//	500                the function returned an error or panicked: the claim
//	                   is released and Svix's retry runs it again
//	503 (Retry-After)  the Store failed
//
// The function's context is the request's, cancelled when the lease ends.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	status, err := h.serve(w, r)
	switch {
	case status < 400:
		w.WriteHeader(status)
		return
	case status == http.StatusConflict || status == http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", "5")
	}
	msg := http.StatusText(status)
	if status < 500 && err != nil {
		msg = err.Error() // verification errors name no secret and no body
	}
	http.Error(w, msg, status)
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request) (int, error) {
	ctx := r.Context()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return http.StatusMethodNotAllowed, nil
	}
	body, err := h.verifier.readBody(w, r)
	var ev *Event
	if err == nil {
		ev, err = h.verifier.Verify(r.Header, body)
	}
	if err != nil {
		h.log.LogAttrs(ctx, slog.LevelWarn, "clerkkit/webhooks: delivery rejected", slog.Any("error", err))
		if errors.Is(err, ErrTooLarge) {
			return http.StatusRequestEntityTooLarge, err
		}
		return http.StatusBadRequest, err
	}
	log := h.log.With(slog.String("svix_id", ev.ID), slog.String("type", ev.Type))

	h.mu.RLock()
	rt, ok := h.routes[ev.Type]
	h.mu.RUnlock()
	if !ok {
		log.DebugContext(ctx, "clerkkit/webhooks: no handler for event type, ignored")
		return http.StatusOK, nil
	}
	call, err := rt(ev)
	if err != nil {
		log.WarnContext(ctx, "clerkkit/webhooks: event data rejected", slog.Any("error", err))
		return http.StatusBadRequest, err
	}

	owner := rand.Text()
	state, err := h.store.Claim(ctx, ev.ID, owner, h.lease)
	switch {
	case err != nil:
		log.ErrorContext(ctx, "clerkkit/webhooks: store claim failed", slog.Any("error", err))
		return http.StatusServiceUnavailable, err
	case state == InFlight:
		log.InfoContext(ctx, "clerkkit/webhooks: delivery already in flight, asking Svix to retry")
		return http.StatusConflict, errors.New("clerkkit/webhooks: delivery in flight")
	case state == Completed:
		log.DebugContext(ctx, "clerkkit/webhooks: delivery already handled")
		return http.StatusOK, nil
	}

	if err := h.run(ctx, call); err != nil {
		log.ErrorContext(ctx, "clerkkit/webhooks: handler failed", slog.Any("error", err))
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
		defer cancel()
		if rerr := h.store.Release(rctx, ev.ID, owner); rerr != nil {
			log.ErrorContext(ctx, "clerkkit/webhooks: store release failed; the id stays claimed until its lease ends", slog.Any("error", rerr))
		}
		return http.StatusInternalServerError, err
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	if err := h.store.Complete(cctx, ev.ID); err != nil {
		// The event was handled: acknowledge it. Only a redelivery after the
		// lease ends could run it again.
		log.ErrorContext(ctx, "clerkkit/webhooks: store complete failed", slog.Any("error", err))
	}
	return http.StatusOK, nil
}

// run calls the registered function under the lease deadline, turning a
// panic into an error.
func (h *Handler) run(ctx context.Context, call func(context.Context) error) (err error) {
	ctx, cancel := context.WithTimeout(ctx, h.lease)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("clerkkit/webhooks: handler panicked: %v\n%s", p, debug.Stack())
		}
	}()
	return call(ctx)
}
