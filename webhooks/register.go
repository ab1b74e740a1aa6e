package webhooks

import (
	"context"
	"fmt"
	"reflect"
)

// On registers fn for the event type t. fn receives the event's data
// decoded as T (see [Payload]) and the Event; data that does not decode
// into T is answered 400 before fn runs. T comes from t, so a function for
// another payload type does not compile:
//
//	webhooks.On(h, webhooks.UserCreated, func(ctx context.Context, u *clerk.User, ev *webhooks.Event) error { … })
//
// On panics, like http.ServeMux, when t is already registered (here or with
// Handler.On), when fn is nil or t is empty, and when t names a type this
// package knows with another payload type (e.g.
// EventType[*Session]("user.created")). Register before serving.
func On[T any](h *Handler, t EventType[T], fn func(ctx context.Context, payload T, ev *Event) error) {
	name := string(t)
	if fn == nil {
		panic("clerkkit/webhooks: On: nil function for " + name)
	}
	if want := nilPayload(kindOf(name)); want != nil {
		if _, ok := want.(T); !ok {
			panic(fmt.Sprintf("clerkkit/webhooks: On: %s carries %T, not %v", name, want, reflect.TypeFor[T]()))
		}
	}
	h.register(name, func(ev *Event) (func(context.Context) error, error) {
		v, err := Payload[T](ev)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) error { return fn(ctx, v, ev) }, nil
	})
}

// On registers fn for eventType, any type including ones this package does
// not know; fn reads the raw Event (Event.Data, or [Payload]). It panics as
// [On] does.
func (h *Handler) On(eventType string, fn func(ctx context.Context, ev *Event) error) {
	if fn == nil {
		panic("clerkkit/webhooks: On: nil function for " + eventType)
	}
	h.register(eventType, func(ev *Event) (func(context.Context) error, error) {
		return func(ctx context.Context) error { return fn(ctx, ev) }, nil
	})
}

func (h *Handler) register(eventType string, r route) {
	if eventType == "" {
		panic("clerkkit/webhooks: On: empty event type")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, dup := h.routes[eventType]; dup {
		panic("clerkkit/webhooks: On: a function is already registered for " + eventType)
	}
	h.routes[eventType] = r
}
