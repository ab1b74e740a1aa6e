package emulator

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/clerkkit/clerkkit/clerktest"
	"github.com/clerkkit/clerkkit/webhooks"
)

// Webhook delivery defaults.
const (
	// DefaultWebhookAttempts is how many times a Server tries to deliver a
	// webhook message to an endpoint before it gives up (Svix, too, makes
	// 8 attempts).
	DefaultWebhookAttempts = 8
	// WebhookAttemptTimeout bounds one delivery attempt: an endpoint that
	// has not answered by then has failed the attempt (Svix waits 15 s).
	WebhookAttemptTimeout = 10 * time.Second
)

// DefaultWebhookBackoff is the default retry schedule: the wait before the
// next attempt after attempt failed ones (attempt counts from 1). It is
// Svix's schedule (immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h)
// compressed for local use: immediately, then 1 s, 2 s, 5 s, 10 s, 30 s,
// 1 min and 5 min, about 7 minutes in all with DefaultWebhookAttempts.
func DefaultWebhookBackoff(attempt int) time.Duration {
	schedule := [...]time.Duration{time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second,
		30 * time.Second, time.Minute, 5 * time.Minute}
	switch {
	case attempt < 1:
		return 0
	case attempt > len(schedule):
		return schedule[len(schedule)-1]
	}
	return schedule[attempt-1]
}

// WebhookEndpoint is an endpoint the Server delivers webhooks to, from
// its start (see Options.Webhooks). StartServer fails on a URL that is not
// an absolute http or https URL or a secret that webhooks.NewVerifier
// refuses.
type WebhookEndpoint struct {
	// URL is where the messages are posted.
	URL string
	// Secret is the signing secret, whsec_….
	Secret string
}

// WebhookRetry is the retry schedule of webhook deliveries. Tests use
// short waits, e.g.
//
//	emulator.WebhookRetry{Attempts: 5, Backoff: func(int) time.Duration { return 10 * time.Millisecond }}
type WebhookRetry struct {
	// Attempts is the most attempts per message and endpoint; 0 means
	// DefaultWebhookAttempts. StartServer fails on a negative one.
	Attempts int
	// Backoff(n) is the wait after the nth failed attempt before the next
	// one; nil means DefaultWebhookBackoff.
	Backoff func(attempt int) time.Duration
}

// Delivery is one webhook message to one endpoint, as Deliveries reports
// it.
type Delivery struct {
	// MessageID is the svix-id header: "msg_…", the same on every attempt
	// and for every endpoint the message goes to.
	MessageID string
	// EventType is the event's type, e.g. "user.created".
	EventType string
	// Endpoint is the URL the message is posted to.
	Endpoint string
	// Payload is the body posted: the event envelope, {"data": …,
	// "event_attributes": …, "instance_id": …, "object": "event",
	// "timestamp": …, "type": …}.
	Payload []byte
	// Attempts are the attempts made so far, oldest first.
	Attempts []DeliveryAttempt
	// Delivered reports that an attempt got a 2xx answer.
	Delivered bool
	// Failed reports that every attempt failed: the Server gave up.
	Failed bool
	// NextAttempt is when the next attempt is due, on the Server's clock,
	// once an attempt has failed and another is scheduled; zero otherwise.
	NextAttempt time.Time
}

// Pending reports whether the delivery is neither delivered nor given up
// (a Server closed meanwhile has abandoned it).
func (d Delivery) Pending() bool { return !d.Delivered && !d.Failed }

// DeliveryAttempt is one POST of a webhook message to an endpoint.
type DeliveryAttempt struct {
	// At is when the attempt was made, on the Server's clock; the
	// svix-timestamp header carries it in seconds.
	At time.Time
	// Duration is how long the attempt took.
	Duration time.Duration
	// Status is the HTTP status of the answer; 0 when there was none.
	Status int
	// Error says why the attempt failed: the transport error (connection
	// refused, timeout…) or the non-2xx status with the start of the
	// answer's body. It is empty for a 2xx answer.
	Error string
}

// AddWebhookEndpoint makes the Server deliver webhooks to url, signed
// with secret (whsec_…), for the changes it makes from now on. It fails
// on a URL that is not an absolute http or https URL, on a secret that
// webhooks.NewVerifier refuses, and on a closed Server.
//
// The Server sends, as Clerk does through Svix, one message per change:
// user.created, user.updated and user.deleted, organization.created,
// .updated and .deleted, organizationMembership.created, .updated and
// .deleted, organizationInvitation.created, .accepted and .revoked,
// organizationDomain.created, .updated and .deleted, role.created,
// .updated and .deleted, permission.created, .updated and .deleted,
// waitlistEntry.created and .updated, subscriptionItem.canceled, .ended,
// .updated, .active and .upcoming (Billing: cancel, extend_free_trial,
// price_transition), email.created and sms.created (the
// verification codes of prepare_verification, which the Server sends
// nowhere else: delivered_by_clerk false, the code in data.otp_code), and
// session.created, .ended, .removed and .revoked, for the changes made
// through its Backend API and through Seed, SessionToken,
// AcceptInvitation, EndSession and RemoveSession. Each message's data is
// the object the Backend API answers for it (a deleted user or
// organization is {object, id, deleted: true} plus the user's
// external_id or the organization's slug; a deleted membership is the
// whole membership; session events embed the user; an accepted
// invitation carries the user_id that accepted it). The envelope's
// timestamp is the time of the change in Unix milliseconds (Clerk's
// documented unit; its spec's examples show seconds), and
// event_attributes.http_request carries the client IP and User-Agent of
// the request that made the change; changes made by the Server's methods
// (Seed…) have no event_attributes.
//
// Which change sends what: creating, updating (PATCH, metadata, ban,
// unban, lock, unlock; a user's email addresses, phone numbers, TOTP and
// backup codes) and deleting a user, an organization or a
// membership send the matching .created, .updated and .deleted (creating
// an organization with created_by also sends the creator's
// organizationMembership.created); creating and revoking an invitation
// send organizationInvitation.created and .revoked; AcceptInvitation
// sends organizationMembership.created then organizationInvitation.accepted;
// a new session (POST /v1/sessions, SessionToken) sends session.created;
// revoking a session, banning its user, or changing the user's password
// with sign_out_of_other_sessions sends session.revoked per active
// session; EndSession and RemoveSession send session.ended and
// session.removed. A deletion sends only its own event, not one per
// membership, session or invitation that goes with it: a receiver must
// cascade. Reads, session tokens, SetActiveOrganization and seeded roles
// send nothing.
//
// Deliveries never hold up the API. Each endpoint has one delivery
// goroutine that posts messages in the order of the changes, with the
// headers svix-id (the message id, the same on every attempt),
// svix-timestamp (the attempt's time on the Server's clock: with a clock
// of Options.Clock that does not run, verify with webhooks.Config.Now set to
// Clock().Now) and svix-signature (webhooks.Sign). Any 2xx answer delivers the message;
// anything else, or no answer within WebhookAttemptTimeout, fails the
// attempt, and the message is tried again after the backoff (see
// Options.WebhookRetry) while later messages go ahead, so a receiver sees
// messages out of order after a failure, as with Svix. Close abandons
// pending deliveries.
func (s *Server) AddWebhookEndpoint(url, secret string) error {
	if err := validateWebhookEndpoint(url, secret); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.wh.addEndpoint(url, secret); err != nil {
		return err
	}
	s.st.hooks = true
	return nil
}

// Deliveries returns every webhook delivery so far, in the order the
// messages were created (for one message, in the order the endpoints
// were added). They are copies: they do not change afterwards. The
// Server keeps every delivery, payload included, until it is closed.
func (s *Server) Deliveries() []Delivery {
	return s.wh.deliveries()
}

// WaitForDeliveries blocks until no webhook delivery is pending (each one
// was delivered or given up), and returns nil then. It returns ctx's
// error when ctx ends first, and an error when the Server is closed with
// deliveries pending. A change made through the Backend API is queued
// before the API answers, so WaitForDeliveries after an API call waits
// for its messages too.
func (s *Server) WaitForDeliveries(ctx context.Context) error {
	return s.wh.wait(ctx)
}

// validateWebhookEndpoint checks an endpoint's URL and secret. Its errors
// never include the secret.
func validateWebhookEndpoint(rawURL, secret string) error {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("emulator: webhook endpoint %q is not an absolute http or https URL", rawURL)
	}
	if _, err := webhooks.NewVerifier(webhooks.Config{SigningSecret: secret}); err != nil {
		return fmt.Errorf("emulator: webhook endpoint %s: %w", rawURL, err)
	}
	return nil
}

// ---- the hub: queues and delivery goroutines ----

// webhookHub delivers the messages of one Server. Lock order: Server.mu,
// then webhookHub.mu.
type webhookHub struct {
	clock    *clerktest.Clock
	attempts int
	backoff  func(int) time.Duration
	observer func(Delivery)
	client   *http.Client
	ctx      context.Context // cancelled by close
	cancel   context.CancelFunc
	wg       sync.WaitGroup

	mu        sync.Mutex
	endpoints []*webhookEndpoint
	log       []*webhookDelivery
	pending   int
	closed    bool
	changed   chan struct{} // closed and replaced on every change of log
}

type webhookEndpoint struct {
	url, secret string
	queue       []*webhookDelivery // pending, in publish order
	wake        chan struct{}      // a new message was queued
}

type webhookDelivery struct {
	msgID, typ string
	ep         *webhookEndpoint
	payload    []byte
	attempts   []DeliveryAttempt
	delivered  bool
	failed     bool
	due        time.Time // when the next attempt may start (system clock)
	next       time.Time // the same on the Server's clock, once a retry is scheduled
}

// newWebhookHub validates the webhook options of o and starts a delivery
// goroutine per endpoint.
func newWebhookHub(o Options, clock *clerktest.Clock) (*webhookHub, error) {
	for _, ep := range o.Webhooks {
		if err := validateWebhookEndpoint(ep.URL, ep.Secret); err != nil {
			return nil, err
		}
	}
	if o.WebhookRetry.Attempts < 0 {
		return nil, errors.New("emulator: Options.WebhookRetry needs Attempts >= 0")
	}
	h := &webhookHub{clock: clock, attempts: cmp.Or(o.WebhookRetry.Attempts, DefaultWebhookAttempts),
		backoff: o.WebhookRetry.Backoff, observer: o.WebhookObserver, changed: make(chan struct{})}
	if h.backoff == nil {
		h.backoff = DefaultWebhookBackoff
	}
	h.client = &http.Client{
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: WebhookAttemptTimeout}).DialContext,
			MaxIdleConnsPerHost: 4,
			IdleConnTimeout:     30 * time.Second,
		},
		// Svix does not follow redirects: a 3xx fails the attempt.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	for _, ep := range o.Webhooks {
		if err := h.addEndpoint(ep.URL, ep.Secret); err != nil {
			h.close()
			return nil, err
		}
	}
	return h, nil
}

func (h *webhookHub) addEndpoint(url, secret string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return errors.New("emulator: the Server is closed")
	}
	ep := &webhookEndpoint{url: url, secret: secret, wake: make(chan struct{}, 1)}
	h.endpoints = append(h.endpoints, ep)
	h.wg.Add(1)
	go h.work(ep)
	return nil
}

// close stops every delivery goroutine, interrupting attempts in flight,
// and waits for them.
func (h *webhookHub) close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	h.notify()
	h.mu.Unlock()
	h.cancel()
	h.wg.Wait()
	h.client.Transport.(*http.Transport).CloseIdleConnections()
}

// notify wakes WaitForDeliveries; h.mu must be held.
func (h *webhookHub) notify() {
	close(h.changed)
	h.changed = make(chan struct{})
}

// webhookEnvelope is the body of a webhook message, members in the order
// Clerk sends them.
type webhookEnvelope struct {
	Data            json.RawMessage  `json:"data"`
	EventAttributes *eventAttributes `json:"event_attributes,omitempty"`
	InstanceID      string           `json:"instance_id"`
	Object          string           `json:"object"`
	Timestamp       int64            `json:"timestamp"`
	Type            string           `json:"type"`
}

type eventAttributes struct {
	HTTPRequest httpRequestAttributes `json:"http_request"`
}

type httpRequestAttributes struct {
	ClientIP  string `json:"client_ip"`
	UserAgent string `json:"user_agent"`
}

// requestAttributes describes the request that made a change; nil for
// changes made by the Server's methods.
func requestAttributes(r *http.Request) *eventAttributes {
	if r == nil {
		return nil
	}
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	return &eventAttributes{HTTPRequest: httpRequestAttributes{ClientIP: ip, UserAgent: r.UserAgent()}}
}

// publish queues one message per event for every endpoint. It never
// blocks on delivery.
func (h *webhookHub) publish(evs []webhookEvent, attrs *eventAttributes, instanceID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed || len(h.endpoints) == 0 {
		return
	}
	now := time.Now()
	for _, ev := range evs {
		body, err := json.Marshal(webhookEnvelope{Data: ev.data, EventAttributes: attrs, InstanceID: instanceID,
			Object: "event", Timestamp: ev.at.UnixMilli(), Type: ev.typ})
		if err != nil {
			panic("emulator: webhook envelope: " + err.Error()) // data is JSON the Server rendered
		}
		id := randomID("msg_")
		for _, ep := range h.endpoints {
			d := &webhookDelivery{msgID: id, typ: ev.typ, ep: ep, payload: body, due: now}
			h.log = append(h.log, d)
			ep.queue = append(ep.queue, d)
			h.pending++
		}
	}
	for _, ep := range h.endpoints {
		select {
		case ep.wake <- struct{}{}:
		default:
		}
	}
	h.notify()
}

// next returns the delivery the endpoint should attempt now: of those
// due, the one due first (the oldest message when several are). When
// none is due it returns how long until one is, or 0 when the queue is
// empty. h.mu must be held.
func (ep *webhookEndpoint) next(now time.Time) (*webhookDelivery, time.Duration) {
	var best *webhookDelivery
	var soonest time.Time
	for _, d := range ep.queue {
		if !d.due.After(now) {
			if best == nil || d.due.Before(best.due) {
				best = d
			}
			continue
		}
		if soonest.IsZero() || d.due.Before(soonest) {
			soonest = d.due
		}
	}
	if best != nil || soonest.IsZero() {
		return best, 0
	}
	return nil, soonest.Sub(now)
}

// work is an endpoint's delivery goroutine.
func (h *webhookHub) work(ep *webhookEndpoint) {
	defer h.wg.Done()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		if h.ctx.Err() != nil {
			return
		}
		h.mu.Lock()
		d, wait := ep.next(time.Now())
		h.mu.Unlock()
		if d != nil {
			h.attempt(d)
			continue
		}
		var tick <-chan time.Time
		if wait > 0 {
			timer.Reset(wait)
			tick = timer.C
		}
		select {
		case <-ep.wake:
		case <-tick:
		case <-h.ctx.Done():
			return
		}
		timer.Stop()
	}
}

// attempt posts d once and records the outcome.
func (h *webhookHub) attempt(d *webhookDelivery) {
	at := h.clock.Now()
	start := time.Now()
	status, errText := h.post(d, at)
	a := DeliveryAttempt{At: at, Duration: time.Since(start), Status: status, Error: errText}

	h.mu.Lock()
	d.attempts = append(d.attempts, a)
	d.next = time.Time{}
	closed := h.closed
	switch {
	case errText == "":
		d.delivered = true
		h.finish(d)
	case closed: // abandoned
	case len(d.attempts) >= h.attempts:
		d.failed = true
		h.finish(d)
	default:
		wait := max(h.backoff(len(d.attempts)), 0)
		d.due, d.next = time.Now().Add(wait), h.clock.Now().Add(wait)
	}
	snap := d.snapshot()
	h.notify()
	h.mu.Unlock()
	if h.observer != nil && !closed {
		h.observer(snap)
	}
}

// finish takes a delivered or failed d off its queue; h.mu must be held.
func (h *webhookHub) finish(d *webhookDelivery) {
	d.ep.queue = slices.DeleteFunc(d.ep.queue, func(q *webhookDelivery) bool { return q == d })
	h.pending--
}

// post sends one attempt and returns the answer's status and, for a
// failure, why.
func (h *webhookHub) post(d *webhookDelivery, at time.Time) (int, string) {
	header, err := webhooks.Sign(d.ep.secret, d.msgID, at, d.payload)
	if err != nil {
		return 0, err.Error()
	}
	ctx, cancel := context.WithTimeout(h.ctx, WebhookAttemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.ep.url, bytes.NewReader(d.payload))
	if err != nil {
		return 0, err.Error()
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Svix-Webhooks/1.0 (clerkkit emulator)")
	resp, err := h.client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp.StatusCode, ""
	}
	return resp.StatusCode, fmt.Sprintf("status %d: %s", resp.StatusCode, snippet(body, 200))
}

// snippet returns the start of b as one line of at most n bytes.
func snippet(b []byte, n int) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > n {
		s = s[:n]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		s += "…"
	}
	return s
}

func (d *webhookDelivery) snapshot() Delivery {
	return Delivery{
		MessageID: d.msgID, EventType: d.typ, Endpoint: d.ep.url, Payload: slices.Clone(d.payload),
		Attempts: slices.Clone(d.attempts), Delivered: d.delivered, Failed: d.failed, NextAttempt: d.next,
	}
}

func (h *webhookHub) deliveries() []Delivery {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]Delivery, len(h.log))
	for i, d := range h.log {
		out[i] = d.snapshot()
	}
	return out
}

func (h *webhookHub) wait(ctx context.Context) error {
	for {
		h.mu.Lock()
		pending, closed, changed := h.pending, h.closed, h.changed
		h.mu.Unlock()
		switch {
		case pending == 0:
			return nil
		case closed:
			return fmt.Errorf("emulator: the Server was closed with %d webhook deliveries pending", pending)
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
