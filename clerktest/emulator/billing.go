// Billing (Clerk Billing, "commerce" in the spec): the instance's plans
// and its payers' subscriptions, which only Seed creates (Clerk's
// checkout is a Frontend API flow the Server does not emulate), read
// through GET /v1/commerce/plans, /v1/commerce/subscription_items and
// /v1/{users,organizations}/{id}/billing/subscription. Subscription items
// are canceled with DELETE /v1/commerce/subscription_items/{id}; under
// /v1/billing/subscription_items/{id}, their free trials are extended
// (extend_free_trial), their prices changed (price_transition) and seeded
// discounts applied and removed (discounts). Payers' credit balances are
// read and adjusted through /v1/{users,organizations}/{id}/billing/credits.
//
// clerk-sdk-go v2.4.2 (package billing) and @clerk/backend 3.25.0
// (clerkClient.billing) call the plans, subscription items and cancel
// operations under /v1/billing instead of /v1/commerce, as Clerk also
// serves them: the Server answers both paths alike.
//
// An instance without plans (no billing seed) answers empty lists, and
// 404 for a payer's subscription, as Clerk answers for an instance
// without Billing; with a default plan, a payer without a seeded
// subscription has one on it (no webhook is sent for it). Amounts are in cents of USD, formatted "49.99" with
// currency_symbol "$".

package emulator

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// billingStore is the instance's plans, subscriptions and payers, in
// extStore (Server.mu guards it).
type billingStore struct {
	plans  map[string]*planRec         // by id
	subs   map[string]*subscriptionRec // by id
	payers map[string]*payerRec        // by user or organization id
	ledger map[string]*creditEntryRec  // by payer id + "/" + idempotency key
	// discounts by id (seeded), and their redemptions by item id, the
	// last one the item's current (active or removed).
	discounts   map[string]*discountRec
	redemptions map[string]*redemptionRec
}

// discountRec is a discount that can be applied to subscription items.
type discountRec struct {
	id, name   string
	percentOff float64 // 0: a fixed amount
	amountOff  int64   // cents
	cycles     *int    // nil: forever
}

// redemptionRec is a discount applied to an item.
type redemptionRec struct {
	id, itemID, discountID string
	status                 string // active or removed
	redeemedAt             time.Time
}

func newBillingStore() *billingStore {
	return &billingStore{plans: map[string]*planRec{}, subs: map[string]*subscriptionRec{},
		payers: map[string]*payerRec{}, ledger: map[string]*creditEntryRec{},
		discounts: map[string]*discountRec{}, redemptions: map[string]*redemptionRec{}}
}

// clone returns a deep copy of b, for Seed.
func (b *billingStore) clone() *billingStore {
	c := &billingStore{plans: map[string]*planRec{}, subs: map[string]*subscriptionRec{},
		payers: cloneRecs(b.payers), ledger: cloneRecs(b.ledger),
		discounts: cloneRecs(b.discounts), redemptions: cloneRecs(b.redemptions)}
	for id, p := range b.plans {
		cp := *p
		cp.features = slices.Clone(p.features)
		c.plans[id] = &cp
	}
	for id, s := range b.subs {
		cs := *s
		cs.items = make([]*subItemRec, len(s.items))
		for i, it := range s.items {
			ci := *it
			cs.items[i] = &ci
		}
		c.subs[id] = &cs
	}
	return c
}

// planRec is a plan.
type planRec struct {
	seq                 int64
	id, name, slug      string
	description         string
	productID           string
	priceID             string
	forPayer            string // "user" or "org"
	amount, annualMonth int64  // cents per month, billed monthly and annually (0: no annual price)
	isDefault, visible  bool
	freeTrialDays       int // 0: no free trial
	features            []featureRec
	createdAt           time.Time
}

type featureRec struct{ id, name, slug, description string }

func (p *planRec) free() bool { return p.amount == 0 }

// subscriptionRec is a payer's subscription.
type subscriptionRec struct {
	seq       int64
	id        string
	auto      bool   // made by syncBilling on the default plan: a seed may replace it
	payer     string // user or organization id
	items     []*subItemRec
	createdAt time.Time
	updatedAt time.Time
}

// subItemRec is one plan of a subscription.
type subItemRec struct {
	seq         int64
	id          string
	subID       string
	planID      string
	period      string // "month" or "annual"
	status      string // active, ended, past_due, upcoming, incomplete, abandoned
	freeTrial   bool
	periodStart time.Time
	periodEnd   time.Time // zero: none (free plans)
	canceledAt  time.Time
	pastDueAt   time.Time
	endedAt     time.Time
	createdAt   time.Time
	updatedAt   time.Time
}

// payerRec is a user or an organization as a billing payer.
type payerRec struct {
	id        string // cpayer_…
	owner     string // user or organization id
	credits   int64  // cents
	hasCredit bool   // ever had credits: the balance is not null
	createdAt time.Time
	updatedAt time.Time
}

// creditEntryRec is a credit ledger entry, kept by idempotency key.
type creditEntryRec struct {
	id, payerID, note string
	hasNote           bool
	amount            int64 // signed cents
	action            string
	sourceID          string
	createdAt         time.Time
}

// ---- JSON ----

type moneyJSON struct {
	Amount          int64  `json:"amount"`
	AmountFormatted string `json:"amount_formatted"`
	Currency        string `json:"currency"`
	CurrencySymbol  string `json:"currency_symbol"`
}

func money(cents int64) moneyJSON {
	return moneyJSON{Amount: cents, AmountFormatted: formatCents(cents), Currency: "USD", CurrencySymbol: "$"}
}

func moneyPtr(cents int64) *moneyJSON { m := money(cents); return &m }

// formatCents formats 4999 as "49.99".
func formatCents(c int64) string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%s%d.%02d", sign, c/100, c%100)
}

type featureJSON struct {
	Object      string `json:"object"`
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Slug        string `json:"slug"`
	AvatarURL   string `json:"avatar_url"`
}

type planJSON struct {
	Object                       string        `json:"object"`
	ID                           string        `json:"id"`
	Name                         string        `json:"name"`
	Fee                          *moneyJSON    `json:"fee"`
	AnnualMonthlyFee             *moneyJSON    `json:"annual_monthly_fee"`
	AnnualFee                    *moneyJSON    `json:"annual_fee"`
	Amount                       int64         `json:"amount"`
	AmountFormatted              string        `json:"amount_formatted"`
	AnnualMonthlyAmount          int64         `json:"annual_monthly_amount"`
	AnnualMonthlyAmountFormatted string        `json:"annual_monthly_amount_formatted"`
	AnnualAmount                 int64         `json:"annual_amount"`
	AnnualAmountFormatted        string        `json:"annual_amount_formatted"`
	CurrencySymbol               string        `json:"currency_symbol"`
	Currency                     string        `json:"currency"`
	Description                  string        `json:"description"`
	ProductID                    string        `json:"product_id"`
	IsDefault                    bool          `json:"is_default"`
	IsRecurring                  bool          `json:"is_recurring"`
	PubliclyVisible              bool          `json:"publicly_visible"`
	HasBaseFee                   bool          `json:"has_base_fee"`
	PayerType                    []string      `json:"payer_type"`
	ForPayerType                 string        `json:"for_payer_type"`
	Slug                         string        `json:"slug"`
	AvatarURL                    string        `json:"avatar_url"`
	Period                       string        `json:"period"`
	Interval                     int64         `json:"interval"`
	Features                     []featureJSON `json:"features"`
	FreeTrialEnabled             bool          `json:"free_trial_enabled"`
	FreeTrialDays                *int          `json:"free_trial_days"`
}

func planToJSON(p *planRec) planJSON {
	j := planJSON{
		Object: "commerce_plan", ID: p.id, Name: p.name, Fee: moneyPtr(p.amount),
		Amount: p.amount, AmountFormatted: formatCents(p.amount),
		AnnualMonthlyAmount: p.annualMonth, AnnualMonthlyAmountFormatted: formatCents(p.annualMonth),
		AnnualAmount: 12 * p.annualMonth, AnnualAmountFormatted: formatCents(12 * p.annualMonth),
		CurrencySymbol: "$", Currency: "USD", Description: p.description, ProductID: p.productID,
		IsDefault: p.isDefault, IsRecurring: true, PubliclyVisible: p.visible, HasBaseFee: !p.free(),
		PayerType: []string{p.forPayer}, ForPayerType: p.forPayer, Slug: p.slug, Period: "month", Interval: 1,
		Features: []featureJSON{}, FreeTrialEnabled: p.freeTrialDays > 0,
	}
	if p.annualMonth > 0 || p.free() {
		j.AnnualMonthlyFee, j.AnnualFee = moneyPtr(p.annualMonth), moneyPtr(12*p.annualMonth)
	}
	if p.freeTrialDays > 0 {
		d := p.freeTrialDays
		j.FreeTrialDays = &d
	}
	for _, f := range p.features {
		j.Features = append(j.Features, featureJSON{Object: "feature", ID: f.id, Name: f.name, Description: f.description, Slug: f.slug})
	}
	return j
}

type payerJSON struct {
	Object           string     `json:"object"`
	ID               string     `json:"id"`
	InstanceID       string     `json:"instance_id"`
	UserID           string     `json:"user_id,omitempty"`
	FirstName        string     `json:"first_name"`
	LastName         string     `json:"last_name"`
	Email            string     `json:"email"`
	OrganizationID   string     `json:"organization_id,omitempty"`
	OrganizationName string     `json:"organization_name,omitempty"`
	ImageURL         string     `json:"image_url"`
	CreditsBalance   *moneyJSON `json:"credits_balance,omitempty"`
	CreatedAt        int64      `json:"created_at"`
	UpdatedAt        int64      `json:"updated_at"`
}

// payerJSON is p as a payer: for an organization, its name and the email
// address of its creator.
func (st *state) payerJSON(p *payerRec) payerJSON {
	j := payerJSON{Object: "commerce_payer", ID: p.id, InstanceID: st.instanceID, CreatedAt: ms(p.createdAt), UpdatedAt: ms(p.updatedAt)}
	if p.hasCredit {
		j.CreditsBalance = moneyPtr(p.credits)
	}
	if u := st.users[p.owner]; u != nil {
		j.UserID, j.Email, j.ImageURL = u.id, u.primaryEmail(), st.userImageURL(u)
		if u.firstName != nil {
			j.FirstName = *u.firstName
		}
		if u.lastName != nil {
			j.LastName = *u.lastName
		}
	} else if o := st.orgs[p.owner]; o != nil {
		j.OrganizationID, j.OrganizationName, j.ImageURL = o.id, o.name, o.logoURL
		if j.ImageURL == "" {
			j.ImageURL = st.imageURL(o.id)
		}
		if c := st.users[o.createdBy]; c != nil {
			j.Email = c.primaryEmail()
		}
	}
	return j
}

type nextPaymentJSON struct {
	Amount *moneyJSON `json:"amount"`
	Date   *int64     `json:"date"`
}

type subItemJSON struct {
	Object          string           `json:"object"`
	ID              string           `json:"id"`
	InstanceID      string           `json:"instance_id"`
	Status          string           `json:"status"`
	PlanID          string           `json:"plan_id"`
	PriceID         string           `json:"price_id"`
	Plan            *planJSON        `json:"plan"`
	PlanPeriod      string           `json:"plan_period"`
	PaymentSourceID string           `json:"payment_source_id"`
	PaymentSource   *struct{}        `json:"payment_source"`
	LifetimePaid    *moneyJSON       `json:"lifetime_paid"`
	Amount          *moneyJSON       `json:"amount"`
	NextPayment     *nextPaymentJSON `json:"next_payment"`
	PayerID         string           `json:"payer_id"`
	Payer           *payerJSON       `json:"payer"`
	IsFreeTrial     bool             `json:"is_free_trial"`
	PeriodStart     *int64           `json:"period_start"`
	PeriodEnd       *int64           `json:"period_end"`
	ProrationDate   string           `json:"proration_date"`
	CanceledAt      *int64           `json:"canceled_at"`
	PastDueAt       *int64           `json:"past_due_at"`
	EndedAt         *int64           `json:"ended_at"`
	CreatedAt       int64            `json:"created_at"`
	UpdatedAt       int64            `json:"updated_at"`
}

// optMS is t in Unix milliseconds, nil for the zero time.
func optMS(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	v := ms(t)
	return &v
}

// itemAmount is what a period of it costs.
func itemAmount(it *subItemRec, p *planRec) int64 {
	if it.period == "annual" {
		return 12 * p.annualMonth
	}
	return p.amount
}

// nextPayment is it's next charge: at the end of its period, unless it is
// free, canceled or over.
func nextPayment(it *subItemRec, p *planRec) *nextPaymentJSON {
	if p.free() || it.periodEnd.IsZero() || !it.canceledAt.IsZero() || (it.status != "active" && it.status != "past_due") {
		return nil
	}
	return &nextPaymentJSON{Amount: moneyPtr(itemAmount(it, p)), Date: optMS(it.periodEnd)}
}

func (s *Server) subItemJSON(st *state, it *subItemRec) subItemJSON {
	b := s.ext.bill
	sub := b.subs[it.subID]
	p := b.plans[it.planID]
	payer := b.payers[sub.payer]
	pj, py := planToJSON(p), st.payerJSON(payer)
	return subItemJSON{
		Object: "commerce_subscription_item", ID: it.id, InstanceID: st.instanceID, Status: it.status,
		PlanID: p.id, PriceID: p.priceID, Plan: &pj, PlanPeriod: it.period, LifetimePaid: moneyPtr(0),
		Amount: moneyPtr(itemAmount(it, p)), NextPayment: nextPayment(it, p), PayerID: payer.id, Payer: &py,
		IsFreeTrial: it.freeTrial, PeriodStart: optMS(it.periodStart), PeriodEnd: optMS(it.periodEnd),
		ProrationDate: it.periodStart.UTC().Format(time.DateOnly),
		CanceledAt:    optMS(it.canceledAt), PastDueAt: optMS(it.pastDueAt), EndedAt: optMS(it.endedAt),
		CreatedAt: ms(it.createdAt), UpdatedAt: ms(it.updatedAt),
	}
}

type subNextPaymentJSON struct {
	Time   int64     `json:"time"`
	Date   int64     `json:"date"`
	Amount moneyJSON `json:"amount"`
}

type subscriptionJSON struct {
	Object               string              `json:"object"`
	ID                   string              `json:"id"`
	InstanceID           string              `json:"instance_id"`
	Status               string              `json:"status"`
	PayerID              string              `json:"payer_id"`
	CreatedAt            int64               `json:"created_at"`
	UpdatedAt            int64               `json:"updated_at"`
	ActiveAt             *int64              `json:"active_at"`
	PastDueAt            *int64              `json:"past_due_at"`
	SubscriptionItems    []subItemJSON       `json:"subscription_items"`
	NextPayment          *subNextPaymentJSON `json:"next_payment,omitempty"` // absent, not null: the spec's $ref has no nullable
	EligibleForFreeTrial bool                `json:"eligible_for_free_trial"`
}

// subStatus is a subscription's status, from its items': past_due when
// one is, active when one is active or upcoming, else ended.
func subStatus(sub *subscriptionRec) string {
	status := "ended"
	for _, it := range sub.items {
		switch it.status {
		case "past_due":
			return "past_due"
		case "active", "upcoming":
			status = "active"
		}
	}
	return status
}

func (s *Server) subscriptionJSON(st *state, sub *subscriptionRec) subscriptionJSON {
	b := s.ext.bill
	j := subscriptionJSON{Object: "commerce_subscription", ID: sub.id, InstanceID: st.instanceID, Status: subStatus(sub),
		PayerID: b.payers[sub.payer].id, CreatedAt: ms(sub.createdAt), UpdatedAt: ms(sub.updatedAt),
		SubscriptionItems: []subItemJSON{}, EligibleForFreeTrial: true}
	for _, it := range sub.items {
		j.SubscriptionItems = append(j.SubscriptionItems, s.subItemJSON(st, it))
		if it.status == "active" || it.status == "past_due" {
			if j.ActiveAt == nil || ms(it.periodStart) < *j.ActiveAt {
				j.ActiveAt = optMS(it.periodStart)
			}
		}
		if !it.pastDueAt.IsZero() && j.PastDueAt == nil {
			j.PastDueAt = optMS(it.pastDueAt)
		}
		if it.freeTrial || !b.plans[it.planID].free() {
			j.EligibleForFreeTrial = false // a payer has one free trial, none after paying
		}
		if np := nextPayment(it, b.plans[it.planID]); np != nil && (j.NextPayment == nil || *np.Date < j.NextPayment.Date) {
			j.NextPayment = &subNextPaymentJSON{Time: *np.Date, Date: *np.Date, Amount: *np.Amount}
		}
	}
	return j
}

// ---- routes ----

func (s *Server) registerBillingRoutes() {
	for _, prefix := range []string{"/v1/commerce", "/v1/billing"} {
		s.handle("GET "+prefix+"/plans", s.listPlans)
		s.handle("GET "+prefix+"/subscription_items", s.listSubItems)
		s.handle("DELETE "+prefix+"/subscription_items/{subscription_item_id}", s.cancelSubItem)
	}
	handleBody(s, "POST /v1/billing/subscription_items/{subscription_item_id}/extend_free_trial", s.extendFreeTrial)
	handleBody(s, "POST /v1/billing/subscription_items/{subscription_item_id}/price_transition", s.priceTransition)
	handleBody(s, "POST /v1/billing/subscription_items/{subscription_item_id}/discounts", s.applyDiscount)
	s.handle("DELETE /v1/billing/subscription_items/{subscription_item_id}/discounts/{discount_id}", s.removeDiscount)
	s.handle("GET /v1/users/{user_id}/billing/subscription", s.payerSubscription(false))
	s.handle("GET /v1/organizations/{organization_id}/billing/subscription", s.payerSubscription(true))
	s.handle("GET /v1/users/{user_id}/billing/credits", s.creditBalance(false))
	s.handle("GET /v1/organizations/{organization_id}/billing/credits", s.creditBalance(true))
	handleBody(s, "POST /v1/users/{user_id}/billing/credits", s.adjustCredits(false))
	handleBody(s, "POST /v1/organizations/{organization_id}/billing/credits", s.adjustCredits(true))
}

// prune drops the subscriptions and payers of deleted users and
// organizations, as Clerk ends them with their payer.
func (b *billingStore) prune(st *state) {
	gone := func(owner string) bool { return st.users[owner] == nil && st.orgs[owner] == nil }
	for id, sub := range b.subs {
		if gone(sub.payer) {
			delete(b.subs, id)
		}
	}
	for owner, p := range b.payers {
		if gone(owner) {
			delete(b.payers, owner)
			for k, e := range b.ledger {
				if e.payerID == p.id {
					delete(b.ledger, k)
				}
			}
		}
	}
}

// syncBilling prunes the store (prune) and subscribes every user and
// organization without a subscription to its payer type's default plan,
// if there is one, as Clerk subscribes payers to it on creation: an
// active item on the free plan from the payer's creation, without a
// period end. Such a subscription is made when first needed, with the
// payer's creation time.
func (s *Server) syncBilling(st *state, now time.Time) {
	b := s.ext.bill
	b.prune(st)
	var defUser, defOrg *planRec
	for _, p := range b.plans {
		switch {
		case p.isDefault && p.forPayer == "user":
			defUser = p
		case p.isDefault && p.forPayer == "org":
			defOrg = p
		}
	}
	if defUser == nil && defOrg == nil {
		return
	}
	has := map[string]bool{}
	for _, sub := range b.subs {
		has[sub.payer] = true
	}
	add := func(owner string, p *planRec, created time.Time) {
		sub := &subscriptionRec{seq: s.ext.next(), id: randomID("csub_"), payer: owner, auto: true, createdAt: created, updatedAt: created}
		sub.items = []*subItemRec{{seq: s.ext.next(), id: randomID("csubi_"), subID: sub.id, planID: p.id, period: "month",
			status: "active", periodStart: created, createdAt: created, updatedAt: created}}
		b.subs[sub.id] = sub
		b.payer(owner, created)
	}
	if defUser != nil {
		for id, u := range st.users {
			if !has[id] {
				add(id, defUser, u.createdAt)
			}
		}
	}
	if defOrg != nil {
		for id, o := range st.orgs {
			if !has[id] {
				add(id, defOrg, o.createdAt)
			}
		}
	}
}

// paginatedParam checks the paginated query parameter, a boolean; the
// lists are paginated either way, as the spec answers them.
func paginatedParam(q url.Values) *apiError {
	_, e := parseBool(q, "paginated")
	return e
}

func payerTypeParam(q url.Values) (string, *apiError) {
	v := q.Get("payer_type")
	if v != "" && v != "user" && v != "org" {
		return "", errValue("payer_type", "payer_type must be one of user, org.")
	}
	return v, nil
}

// listPlans is GET /v1/commerce/plans: newest first, payer_type user or
// org, limit and offset.
func (s *Server) listPlans(c *call) (any, *apiError) {
	q := c.r.URL.Query()
	p, e := pageParams(q)
	if e != nil {
		return nil, e
	}
	if e := paginatedParam(q); e != nil {
		return nil, e
	}
	pt, e := payerTypeParam(q)
	if e != nil {
		return nil, e
	}
	var list []*planRec
	for _, pl := range s.ext.bill.plans {
		if pt == "" || pl.forPayer == pt {
			list = append(list, pl)
		}
	}
	sortBy(list, true, func(pl *planRec) sortKey { return timeKey(pl.createdAt) }, func(pl *planRec) int64 { return pl.seq })
	return listPage(list, p, planToJSON), nil
}

// subItemStatuses are the status filters of GET
// /v1/commerce/subscription_items.
var subItemStatuses = []string{"active", "ended", "past_due", "upcoming", "free_trial"}

// listSubItems is GET /v1/commerce/subscription_items: every payer's
// items, newest first, filtered by status (free_trial: items in a free
// trial), payer_type, plan_id, user_id, organization_id and query (a
// part of the user's email address, first or last name, or the
// organization's name, case-insensitive); items of free plans only with
// include_free=true.
func (s *Server) listSubItems(c *call) (any, *apiError) {
	q := c.r.URL.Query()
	p, e := pageParams(q)
	if e != nil {
		return nil, e
	}
	if e := paginatedParam(q); e != nil {
		return nil, e
	}
	pt, e := payerTypeParam(q)
	if e != nil {
		return nil, e
	}
	status := q.Get("status")
	if status != "" && !slices.Contains(subItemStatuses, status) {
		return nil, errValue("status", "status must be one of "+strings.Join(subItemStatuses, ", ")+".")
	}
	includeFree, e := parseBool(q, "include_free")
	if e != nil {
		return nil, e
	}
	planID, userID, orgID, query := q.Get("plan_id"), q.Get("user_id"), q.Get("organization_id"), q.Get("query")
	b := s.ext.bill
	s.syncBilling(c.st, c.now)
	var list []*subItemRec
	for _, sub := range b.subs {
		isOrg := c.st.orgs[sub.payer] != nil
		switch {
		case pt == "user" && isOrg, pt == "org" && !isOrg,
			userID != "" && sub.payer != userID, orgID != "" && sub.payer != orgID,
			query != "" && !c.st.payerMatches(sub.payer, query):
			continue
		}
		for _, it := range sub.items {
			pl := b.plans[it.planID]
			switch {
			case status == "free_trial" && !it.freeTrial, status != "" && status != "free_trial" && it.status != status,
				planID != "" && it.planID != planID, !includeFree && pl.free():
				continue
			}
			list = append(list, it)
		}
	}
	sortBy(list, true, func(it *subItemRec) sortKey { return timeKey(it.createdAt) }, func(it *subItemRec) int64 { return it.seq })
	return listPage(list, p, func(it *subItemRec) subItemJSON { return s.subItemJSON(c.st, it) }), nil
}

// payerMatches reports whether query is a part of the payer's email
// address, first or last name (a user) or name (an organization).
func (st *state) payerMatches(owner, query string) bool {
	if u := st.users[owner]; u != nil {
		for _, e := range u.emails {
			if containsFold(e.address, query) {
				return true
			}
		}
		return (u.firstName != nil && containsFold(*u.firstName, query)) || (u.lastName != nil && containsFold(*u.lastName, query))
	}
	o := st.orgs[owner]
	return o != nil && containsFold(o.name, query)
}

// payerOwner is the user or organization of the path.
func (c *call) payerOwner(org bool) (string, *apiError) {
	if org {
		o, e := c.org()
		if e != nil {
			return "", e
		}
		return o.id, nil
	}
	u, e := c.user()
	if e != nil {
		return "", e
	}
	return u.id, nil
}

// payerSubscription is GET /v1/users/{id}/billing/subscription and its
// organization twin: the payer's subscription, or 404 when it has none.
func (s *Server) payerSubscription(org bool) func(*call) (any, *apiError) {
	return func(c *call) (any, *apiError) {
		owner, e := c.payerOwner(org)
		if e != nil {
			return nil, e
		}
		b := s.ext.bill
		s.syncBilling(c.st, c.now)
		for _, sub := range b.subs {
			if sub.payer == owner {
				return s.subscriptionJSON(c.st, sub), nil
			}
		}
		return nil, errNotFound("subscription", "for payer "+owner)
	}
}

// subItem is the subscription item of the path.
func (s *Server) subItem(c *call) (*subItemRec, *apiError) {
	id := c.r.PathValue("subscription_item_id")
	b := s.ext.bill
	s.syncBilling(c.st, c.now)
	for _, sub := range b.subs {
		for _, it := range sub.items {
			if it.id == id {
				return it, nil
			}
		}
	}
	return nil, errNotFound("subscription item", id)
}

// cancelSubItem is DELETE /v1/commerce/subscription_items/{id}:
// end_now=true ends the item now (status ended, subscriptionItem.ended);
// otherwise it is canceled at the end of its period (canceled_at set; it
// stays active until then, the status the spec's enum of subscription
// items has, and subscriptionItem.canceled carries status canceled, as
// Clerk's webhooks describe it). Canceling an item canceled at period end
// again answers it as it is; an ended or abandoned item cannot be
// canceled (400).
func (s *Server) cancelSubItem(c *call) (any, *apiError) {
	endNow, e := parseBool(c.r.URL.Query(), "end_now")
	if e != nil {
		return nil, e
	}
	it, e := s.subItem(c)
	if e != nil {
		return nil, e
	}
	if it.status == "ended" || it.status == "abandoned" {
		return nil, &apiError{status: http.StatusBadRequest, code: "bad_request", msg: "Bad Request",
			long: "Subscription item " + it.id + " is " + it.status + " and cannot be canceled."}
	}
	switch {
	case endNow:
		if it.canceledAt.IsZero() {
			it.canceledAt = c.now
		}
		it.status, it.endedAt, it.updatedAt = "ended", c.now, c.now
		s.emitSubItem(c.st, "subscriptionItem.ended", it, c.now)
	case it.canceledAt.IsZero():
		it.canceledAt, it.updatedAt = c.now, c.now
		s.emitSubItem(c.st, "subscriptionItem.canceled", it, c.now)
	}
	s.ext.bill.subs[it.subID].updatedAt = c.now
	return s.subItemJSON(c.st, it), nil
}

// extendFreeTrialBody is the body of POST
// /v1/billing/subscription_items/{id}/extend_free_trial.
type extendFreeTrialBody struct {
	ExtendTo *string `json:"extend_to"`
}

// extendFreeTrial is POST
// /v1/billing/subscription_items/{id}/extend_free_trial: extend_to, an
// RFC 3339 time in the future, at most 365 days from now and not before
// the trial's current end, becomes the end of the item's free trial (its
// period_end; subscriptionItem.updated). The same time again changes
// nothing. An item that is not in an active free trial is refused (400).
func (s *Server) extendFreeTrial(c *call, b *extendFreeTrialBody) (any, *apiError) {
	it, e := s.subItem(c)
	if e != nil {
		return nil, e
	}
	if b.ExtendTo == nil || *b.ExtendTo == "" {
		return nil, errMissing("extend_to")
	}
	to, err := time.Parse(time.RFC3339, *b.ExtendTo)
	if err != nil {
		return nil, errFormat("extend_to", "extend_to must be an RFC 3339 timestamp, e.g. 2026-01-08T00:00:00Z.")
	}
	if !it.freeTrial || it.status != "active" || !it.canceledAt.IsZero() {
		return nil, &apiError{status: http.StatusBadRequest, code: "bad_request", msg: "Bad Request",
			long: "Subscription item " + it.id + " is not in an active free trial."}
	}
	switch {
	case !to.After(c.now):
		return nil, errValue("extend_to", "extend_to must be in the future.")
	case to.After(c.now.AddDate(0, 0, 365)):
		return nil, errValue("extend_to", "extend_to must be at most 365 days from now.")
	case to.Before(it.periodEnd):
		return nil, errValue("extend_to", "extend_to must not be before the free trial's current end.")
	}
	if !to.Equal(it.periodEnd) {
		it.periodEnd, it.updatedAt = to, c.now
		s.ext.bill.subs[it.subID].updatedAt = c.now
		s.emitSubItem(c.st, "subscriptionItem.updated", it, c.now)
	}
	return s.subItemJSON(c.st, it), nil
}

// priceTransitionBody is the body of POST
// /v1/billing/subscription_items/{id}/price_transition.
type priceTransitionBody struct {
	FromPriceID *string `json:"from_price_id"`
	ToPriceID   *string `json:"to_price_id"`
}

type priceJSON struct {
	Object                  string     `json:"object"`
	ID                      string     `json:"id"`
	PlanID                  string     `json:"plan_id"`
	InstanceID              string     `json:"instance_id"`
	Currency                string     `json:"currency"`
	CurrencySymbol          string     `json:"currency_symbol"`
	Amount                  int64      `json:"amount"`
	AnnualMonthlyAmount     int64      `json:"annual_monthly_amount"`
	Fee                     *moneyJSON `json:"fee"`
	AnnualMonthlyFee        *moneyJSON `json:"annual_monthly_fee"`
	Description             *string    `json:"description"`
	IsDefault               bool       `json:"is_default"`
	CreatedAt               int64      `json:"created_at"`
	SupportedBillingPeriods string     `json:"supported_billing_periods"`
}

// priceToJSON is p's one price (a plan of the Server has one, its
// monthly and annual amounts).
func priceToJSON(st *state, p *planRec) priceJSON {
	j := priceJSON{Object: "commerce_price", ID: p.priceID, PlanID: p.id, InstanceID: st.instanceID, Currency: "USD",
		CurrencySymbol: "$", Amount: p.amount, AnnualMonthlyAmount: p.annualMonth, Fee: moneyPtr(p.amount),
		IsDefault: true, CreatedAt: ms(p.createdAt), SupportedBillingPeriods: "month"}
	if p.annualMonth > 0 || p.free() {
		j.AnnualMonthlyFee, j.SupportedBillingPeriods = moneyPtr(p.annualMonth), "both"
	}
	return j
}

type transitionJSON struct {
	PreviousPlan       planJSON   `json:"previous_plan"`
	PreviousPrice      priceJSON  `json:"previous_price"`
	EffectiveAt        int64      `json:"effective_at"`
	EffectiveMode      string     `json:"effective_mode"`
	NextBillingDate    *int64     `json:"next_billing_date"`
	ChargedImmediately bool       `json:"charged_immediately"`
	ImmediateCharge    *moneyJSON `json:"immediate_charge"`
	PreviousItemStatus string     `json:"previous_subscription_item_status"`
	PreviousItemID     string     `json:"previous_subscription_item_id"`
}

type priceTransitionJSON struct {
	Object           string         `json:"object"`
	SubscriptionItem subItemJSON    `json:"subscription_item"`
	Transition       transitionJSON `json:"transition"`
}

// periodAfter is the end of a period of it starting at start: none for a
// free plan.
func periodAfter(start time.Time, period string, p *planRec) time.Time {
	switch {
	case p.free():
		return time.Time{}
	case period == "annual":
		return start.AddDate(1, 0, 0)
	}
	return start.AddDate(0, 1, 0)
}

// priceTransition is POST
// /v1/billing/subscription_items/{id}/price_transition: from_price_id
// must be the item's current price and to_price_id another plan's price
// for the same payer type (and billing period). A dearer price takes
// effect now (immediate): the item ends and a new active one starts, its
// first period charged in full (the Server does not prorate); a cheaper
// or equal one at the end of the period (end_of_period): the item is
// canceled and a new upcoming one starts when it ends. The webhooks are
// subscriptionItem.ended and .active, or .canceled and .upcoming. Only
// an active or past-due item that is not canceled can transition (400).
func (s *Server) priceTransition(c *call, b *priceTransitionBody) (any, *apiError) {
	it, e := s.subItem(c)
	if e != nil {
		return nil, e
	}
	switch {
	case b.FromPriceID == nil || *b.FromPriceID == "":
		return nil, errMissing("from_price_id")
	case b.ToPriceID == nil || *b.ToPriceID == "":
		return nil, errMissing("to_price_id")
	}
	if (it.status != "active" && it.status != "past_due") || !it.canceledAt.IsZero() {
		return nil, &apiError{status: http.StatusBadRequest, code: "bad_request", msg: "Bad Request",
			long: "Subscription item " + it.id + " is " + it.status + " or canceled: its price cannot change."}
	}
	bill := s.ext.bill
	from := bill.plans[it.planID]
	if *b.FromPriceID != from.priceID {
		return nil, errValue("from_price_id", "from_price_id must be the subscription item's current price, "+from.priceID+".")
	}
	var to *planRec
	for _, p := range bill.plans {
		if p.priceID == *b.ToPriceID {
			to = p
		}
	}
	switch {
	case to == nil:
		return nil, errNotFound("price", *b.ToPriceID)
	case to == from:
		return nil, &apiError{status: http.StatusConflict, code: "conflict", msg: "Conflict",
			long: "The subscription item already has price " + to.priceID + "."}
	case to.forPayer != from.forPayer:
		return nil, errValue("to_price_id", "to_price_id must be a price of a "+from.forPayer+" plan.")
	case it.period == "annual" && to.annualMonth == 0 && !to.free():
		return nil, errValue("to_price_id", "Plan "+to.id+" has no annual price.")
	}
	sub := bill.subs[it.subID]
	next := &subItemRec{seq: s.ext.next(), id: randomID("csubi_"), subID: sub.id, planID: to.id, period: it.period,
		createdAt: c.now, updatedAt: c.now}
	tr := transitionJSON{PreviousPlan: planToJSON(from), PreviousPrice: priceToJSON(c.st, from), PreviousItemID: it.id}
	if itemAmount(next, to) > itemAmount(it, from) || it.periodEnd.IsZero() {
		it.status, it.endedAt, it.updatedAt = "ended", c.now, c.now
		next.status, next.periodStart = "active", c.now
		next.periodEnd = periodAfter(c.now, next.period, to)
		tr.EffectiveMode, tr.EffectiveAt, tr.PreviousItemStatus = "immediate", ms(c.now), "ended"
		if amount := itemAmount(next, to); amount > 0 {
			tr.ChargedImmediately, tr.ImmediateCharge = true, moneyPtr(amount)
		}
		tr.NextBillingDate = optMS(next.periodEnd)
	} else {
		it.canceledAt, it.updatedAt = c.now, c.now
		next.status, next.periodStart = "upcoming", it.periodEnd
		next.periodEnd = periodAfter(it.periodEnd, next.period, to)
		tr.EffectiveMode, tr.EffectiveAt, tr.PreviousItemStatus = "end_of_period", ms(it.periodEnd), "canceled"
		if !to.free() {
			tr.NextBillingDate = optMS(it.periodEnd)
		}
	}
	sub.items = append(sub.items, next)
	sub.updatedAt = c.now
	if next.status == "active" {
		s.emitSubItem(c.st, "subscriptionItem.ended", it, c.now)
		s.emitSubItem(c.st, "subscriptionItem.active", next, c.now)
	} else {
		s.emitSubItem(c.st, "subscriptionItem.canceled", it, c.now)
		s.emitSubItem(c.st, "subscriptionItem.upcoming", next, c.now)
	}
	return priceTransitionJSON{Object: "commerce_price_transition", SubscriptionItem: s.subItemJSON(c.st, next), Transition: tr}, nil
}

// ---- discounts ----

type redemptionJSON struct {
	Object          string     `json:"object"`
	ID              string     `json:"id"`
	ItemID          string     `json:"subscription_item_id"`
	DiscountID      string     `json:"discount_id"`
	Name            string     `json:"name"`
	Source          string     `json:"source"`
	Effect          string     `json:"effect"`
	PercentOff      *float64   `json:"percent_off"`
	AmountOff       *moneyJSON `json:"amount_off"`
	Amount          *moneyJSON `json:"amount"`
	CyclesRemaining *int       `json:"cycles_remaining"`
	CyclesApplied   int        `json:"cycles_applied"`
	Status          string     `json:"status"`
	RedeemedAt      int64      `json:"redeemed_at"`
	RedeemedBy      *string    `json:"redeemed_by"`
}

// redemptionToJSON is r; amount is what it takes off the item's next
// renewal (none for an item without one).
func (s *Server) redemptionToJSON(r *redemptionRec) redemptionJSON {
	b := s.ext.bill
	d, it := b.discounts[r.discountID], s.itemByID(r.itemID)
	j := redemptionJSON{Object: "commerce_discount_redemption", ID: r.id, ItemID: r.itemID, DiscountID: d.id, Name: d.name,
		Source: "manual", CyclesRemaining: d.cycles, Status: r.status, RedeemedAt: ms(r.redeemedAt)}
	renewal := int64(0)
	if it != nil {
		if np := nextPayment(it, b.plans[it.planID]); np != nil {
			renewal = np.Amount.Amount
		}
	}
	off := min(d.amountOff, renewal)
	if d.percentOff > 0 {
		pct := d.percentOff
		j.Effect, j.PercentOff = "percentage", &pct
		off = int64(float64(renewal)*pct/100 + 0.5)
	} else {
		j.Effect, j.AmountOff = "fixed_amount", moneyPtr(d.amountOff)
	}
	if renewal > 0 && r.status == "active" {
		j.Amount = moneyPtr(off)
	}
	return j
}

// itemByID is the subscription item id, or nil.
func (s *Server) itemByID(id string) *subItemRec {
	for _, sub := range s.ext.bill.subs {
		for _, it := range sub.items {
			if it.id == id {
				return it
			}
		}
	}
	return nil
}

// applyDiscountBody is the body of POST
// /v1/billing/subscription_items/{id}/discounts.
type applyDiscountBody struct {
	DiscountID *string `json:"discount_id"`
}

// applyDiscount is POST /v1/billing/subscription_items/{id}/discounts: a
// seeded discount (SeedData.Discounts) applied to an item that has not
// ended, replacing its active one; the same active discount again is a
// 409. The Server does not take discounts off the amounts it answers for
// the item; the redemption's amount says what it takes off the next
// renewal.
func (s *Server) applyDiscount(c *call, b *applyDiscountBody) (any, *apiError) {
	it, e := s.subItem(c)
	if e != nil {
		return nil, e
	}
	if b.DiscountID == nil || *b.DiscountID == "" {
		return nil, errMissing("discount_id")
	}
	bill := s.ext.bill
	d := bill.discounts[*b.DiscountID]
	if d == nil {
		return nil, errNotFound("discount", *b.DiscountID)
	}
	if it.status == "ended" || it.status == "abandoned" {
		return nil, &apiError{status: http.StatusBadRequest, code: "bad_request", msg: "Bad Request",
			long: "Subscription item " + it.id + " is " + it.status + ": no discount can be applied."}
	}
	if cur := bill.redemptions[it.id]; cur != nil && cur.status == "active" {
		if cur.discountID == d.id {
			return nil, &apiError{status: http.StatusConflict, code: "conflict", msg: "Conflict",
				long: "Discount " + d.id + " is already applied to subscription item " + it.id + "."}
		}
		cur.status = "removed"
	}
	r := &redemptionRec{id: randomID("cdred_"), itemID: it.id, discountID: d.id, status: "active", redeemedAt: c.now}
	bill.redemptions[it.id] = r
	return s.redemptionToJSON(r), nil
}

// removeDiscount is DELETE
// /v1/billing/subscription_items/{id}/discounts/{discount_id}: the item's
// active discount, which must be discount_id (404 otherwise), is removed.
func (s *Server) removeDiscount(c *call) (any, *apiError) {
	it, e := s.subItem(c)
	if e != nil {
		return nil, e
	}
	id := c.r.PathValue("discount_id")
	r := s.ext.bill.redemptions[it.id]
	if r == nil || r.status != "active" || r.discountID != id {
		return nil, errNotFound("active discount", id+" on subscription item "+it.id)
	}
	r.status = "removed"
	return s.redemptionToJSON(r), nil
}

// ---- webhooks ----

type subItemEventPlanJSON struct {
	ID          string `json:"id"`
	Slug        string `json:"slug"`
	Name        string `json:"name"`
	IsRecurring bool   `json:"is_recurring"`
	Amount      int64  `json:"amount"`
	Currency    string `json:"currency"`
}

type subItemEventPayerJSON struct {
	Object           string `json:"object"`
	ID               string `json:"id"`
	UserID           string `json:"user_id"`
	FirstName        string `json:"first_name"`
	LastName         string `json:"last_name"`
	Email            string `json:"email"`
	OrganizationID   string `json:"organization_id"`
	OrganizationName string `json:"organization_name"`
	ImageURL         string `json:"image_url"`
	CreatedAt        int64  `json:"created_at"`
	UpdatedAt        int64  `json:"updated_at"`
}

// subItemEventJSON is the data of subscriptionItem.* events.
type subItemEventJSON struct {
	Object         string                `json:"object"`
	ID             string                `json:"id"`
	Status         string                `json:"status"`
	IsFreeTrial    bool                  `json:"is_free_trial"`
	CreatedAt      int64                 `json:"created_at"`
	UpdatedAt      int64                 `json:"updated_at"`
	PeriodStart    int64                 `json:"period_start"`
	PeriodEnd      *int64                `json:"period_end"`
	Interval       string                `json:"interval"`
	PlanID         string                `json:"plan_id"`
	Plan           subItemEventPlanJSON  `json:"plan"`
	Payer          subItemEventPayerJSON `json:"payer"`
	SubscriptionID string                `json:"subscription_id"`
}

// emitSubItem records a subscriptionItem.* event for it; a canceled item
// that is still active is "canceled" there.
func (s *Server) emitSubItem(st *state, typ string, it *subItemRec, now time.Time) {
	if !st.hooks {
		return
	}
	b := s.ext.bill
	p, sub := b.plans[it.planID], b.subs[it.subID]
	py := st.payerJSON(b.payers[sub.payer])
	status := it.status
	if status == "active" && !it.canceledAt.IsZero() {
		status = "canceled"
	}
	st.emit(typ, subItemEventJSON{
		Object: "commerce_subscription_item", ID: it.id, Status: status, IsFreeTrial: it.freeTrial,
		CreatedAt: ms(it.createdAt), UpdatedAt: ms(it.updatedAt), PeriodStart: ms(it.periodStart), PeriodEnd: optMS(it.periodEnd),
		Interval: it.period, PlanID: p.id,
		Plan: subItemEventPlanJSON{ID: p.id, Slug: p.slug, Name: p.name, IsRecurring: true, Amount: p.amount, Currency: "USD"},
		Payer: subItemEventPayerJSON{Object: "commerce_payer", ID: py.ID, UserID: py.UserID, FirstName: py.FirstName,
			LastName: py.LastName, Email: py.Email, OrganizationID: py.OrganizationID, OrganizationName: py.OrganizationName,
			ImageURL: py.ImageURL, CreatedAt: py.CreatedAt, UpdatedAt: py.UpdatedAt},
		SubscriptionID: sub.id,
	}, now)
}

// ---- credits ----

type creditBalanceJSON struct {
	Object  string     `json:"object"`
	Balance *moneyJSON `json:"balance"`
}

// creditBalance is GET /v1/users/{id}/billing/credits and its
// organization twin: null until the payer's first credits.
func (s *Server) creditBalance(org bool) func(*call) (any, *apiError) {
	return func(c *call) (any, *apiError) {
		owner, e := c.payerOwner(org)
		if e != nil {
			return nil, e
		}
		s.ext.bill.prune(c.st)
		j := creditBalanceJSON{Object: "commerce_credit_balance"}
		if p := s.ext.bill.payers[owner]; p != nil && p.hasCredit {
			j.Balance = moneyPtr(p.credits)
		}
		return j, nil
	}
}

// creditBody is the body of POST …/billing/credits.
type creditBody struct {
	Amount         *int64  `json:"amount"`
	Action         *string `json:"action"`
	Currency       *string `json:"currency"`
	IdempotencyKey *string `json:"idempotency_key"`
	Note           *string `json:"note"`
}

type creditLedgerJSON struct {
	Object     string    `json:"object"`
	ID         string    `json:"id"`
	PayerID    string    `json:"payer_id"`
	Amount     moneyJSON `json:"amount"`
	SourceType string    `json:"source_type"`
	SourceID   string    `json:"source_id"`
	Note       *string   `json:"note"`
	CreatedAt  string    `json:"created_at"`
}

func creditEntryJSON(e *creditEntryRec) creditLedgerJSON {
	j := creditLedgerJSON{Object: "commerce_credit_ledger", ID: e.id, PayerID: e.payerID, Amount: money(e.amount),
		SourceType: "grant", SourceID: e.sourceID, CreatedAt: e.createdAt.UTC().Format(time.RFC3339Nano)}
	if e.hasNote {
		n := e.note
		j.Note = &n
	}
	return j
}

// adjustCredits is POST /v1/users/{id}/billing/credits and its
// organization twin: amount (cents, > 0), action increase or decrease
// (not below zero: 422), currency USD (the default), idempotency_key (a
// key used before answers its entry again; with other parameters, 409)
// and note.
func (s *Server) adjustCredits(org bool) func(*call, *creditBody) (any, *apiError) {
	return func(c *call, b *creditBody) (any, *apiError) {
		owner, e := c.payerOwner(org)
		if e != nil {
			return nil, e
		}
		switch {
		case b.Amount == nil:
			return nil, errMissing("amount")
		case b.Action == nil:
			return nil, errMissing("action")
		case b.IdempotencyKey == nil || *b.IdempotencyKey == "":
			return nil, errMissing("idempotency_key")
		case *b.Amount <= 0:
			return nil, errValue("amount", "amount must be greater than zero.")
		case *b.Action != "increase" && *b.Action != "decrease":
			return nil, errValue("action", "action must be one of increase, decrease.")
		case b.Currency != nil && !strings.EqualFold(*b.Currency, "USD"):
			return nil, errValue("currency", "currency must be USD, the instance's currency.")
		}
		bill := s.ext.bill
		bill.prune(c.st)
		payer := bill.payer(owner, c.now)
		signed := *b.Amount
		if *b.Action == "decrease" {
			signed = -signed
		}
		key := payer.id + "/" + *b.IdempotencyKey
		if prev := bill.ledger[key]; prev != nil {
			if prev.amount != signed || (b.Note != nil) != prev.hasNote || (b.Note != nil && *b.Note != prev.note) {
				return nil, &apiError{status: http.StatusConflict, code: "idempotency_key_reused", msg: "Conflict",
					long: "The idempotency_key was already used for a different credit adjustment."}
			}
			return creditEntryJSON(prev), nil
		}
		if payer.credits+signed < 0 {
			return nil, errValue("amount", "The credit balance cannot go below zero (it is "+formatCents(payer.credits)+").")
		}
		entry := &creditEntryRec{id: randomID("ccl_"), payerID: payer.id, amount: signed, action: *b.Action,
			sourceID: randomID("cgrant_"), createdAt: c.now}
		if b.Note != nil {
			entry.note, entry.hasNote = *b.Note, true
		}
		bill.ledger[key] = entry
		payer.credits += signed
		payer.hasCredit, payer.updatedAt = true, c.now
		return creditEntryJSON(entry), nil
	}
}

// payer is owner's payer, created on first use.
func (b *billingStore) payer(owner string, now time.Time) *payerRec {
	p := b.payers[owner]
	if p == nil {
		p = &payerRec{id: randomID("cpayer_"), owner: owner, createdAt: now, updatedAt: now}
		b.payers[owner] = p
	}
	return p
}

// ---- seed ----

// SeedPlan is a Billing plan (see GET /v1/commerce/plans), in USD.
type SeedPlan struct {
	// ID is the plan's id, which must start with "cplan_". Default: a
	// random one.
	ID string `json:"id,omitempty"`
	// Name is required, e.g. "Pro".
	Name string `json:"name"`
	// Slug is unique among the plans of its payer type; default: Name in
	// lower case, with "-" for spaces. Subscription items name their plan
	// by id or slug.
	Slug string `json:"slug,omitempty"`
	// Description is free text.
	Description string `json:"description,omitempty"`
	// PayerType is who subscribes to it, "user" or "org"; required.
	PayerType string `json:"payer_type"`
	// Amount is the monthly fee in cents (0: a free plan).
	Amount int64 `json:"amount,omitempty"`
	// AnnualMonthlyAmount is the monthly fee in cents when billed
	// annually; 0: the plan has no annual price (a free plan has).
	AnnualMonthlyAmount int64 `json:"annual_monthly_amount,omitempty"`
	// IsDefault makes it the payer type's default plan (at most one each;
	// a free one): every user (or organization) without a subscription
	// is subscribed to it, as Clerk subscribes new payers.
	IsDefault bool `json:"is_default,omitempty"`
	// PubliclyVisible shows it in the pricing table; default true.
	PubliclyVisible *bool `json:"publicly_visible,omitempty"`
	// FreeTrialDays enables a free trial of that many days.
	FreeTrialDays int `json:"free_trial_days,omitempty"`
	// Features are what the plan includes.
	Features []SeedFeature `json:"features,omitempty"`
}

// SeedFeature is a feature of a SeedPlan.
type SeedFeature struct {
	// ID is the feature's id, which must start with "feat_". Default: a
	// random one.
	ID string `json:"id,omitempty"`
	// Name is required, e.g. "Dashboards".
	Name string `json:"name"`
	// Slug defaults to one derived from Name; it is unique in its plan.
	Slug string `json:"slug,omitempty"`
	// Description is free text.
	Description string `json:"description,omitempty"`
}

// SeedSubscription is a payer's Billing subscription (see GET
// /v1/users/{id}/billing/subscription). A payer has at most one.
type SeedSubscription struct {
	// ID is the subscription's id, which must start with "csub_".
	// Default: a random one.
	ID string `json:"id,omitempty"`
	// Payer is the id of the user (user_…) or organization (org_…) that
	// pays, seeded before it or already there; required.
	Payer string `json:"payer"`
	// Items are the subscription's plans, at least one.
	Items []SeedSubscriptionItem `json:"items"`
}

// SeedSubscriptionItem is one plan of a SeedSubscription.
type SeedSubscriptionItem struct {
	// ID is the item's id, which must start with "csubi_". Default: a
	// random one.
	ID string `json:"id,omitempty"`
	// Plan is the id or slug of a plan for the payer's type; required.
	Plan string `json:"plan"`
	// PlanPeriod is "month" (the default) or "annual" (for a plan with an
	// annual price).
	PlanPeriod string `json:"plan_period,omitempty"`
	// Status is active (the default), past_due, upcoming, ended,
	// incomplete or abandoned.
	Status string `json:"status,omitempty"`
	// FreeTrial puts the item in its plan's free trial (the plan must
	// have one; the period then lasts free_trial_days by default).
	FreeTrial bool `json:"free_trial,omitempty"`
	// PeriodStart is when the current period started (RFC 3339);
	// default: now.
	PeriodStart *time.Time `json:"period_start,omitempty"`
	// PeriodEnd is when it ends, after PeriodStart; default a month or a
	// year later, none for a free plan.
	PeriodEnd *time.Time `json:"period_end,omitempty"`
	// Canceled cancels the item at the end of its period (canceled_at is
	// the seeding time).
	Canceled bool `json:"canceled,omitempty"`
}

// SeedDiscount is a discount that POST
// /v1/billing/subscription_items/{id}/discounts can apply.
type SeedDiscount struct {
	// ID is the discount's id, which must start with "cdisc_"; required.
	ID string `json:"id"`
	// Name is its display name; required.
	Name string `json:"name"`
	// PercentOff (0 < p <= 100) or AmountOff (cents, > 0): exactly one.
	PercentOff float64 `json:"percent_off,omitempty"`
	AmountOff  int64   `json:"amount_off,omitempty"`
	// Cycles is how many billing cycles it applies to; absent: forever.
	Cycles *int `json:"cycles,omitempty"`
}

var (
	seedSlugPattern    = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	seedItemStatuses   = []string{"active", "past_due", "upcoming", "ended", "incomplete", "abandoned"}
	nonSlugCharPattern = regexp.MustCompile(`[^a-z0-9]+`)
)

// slugOf derives a slug from a name: "Pro Plan" -> "pro-plan".
func slugOf(name string) string {
	return strings.Trim(nonSlugCharPattern.ReplaceAllString(strings.ToLower(name), "-"), "-")
}

// seedID checks a seeded id (or makes one): it must start with prefix and
// be new (taken reports whether it is already used).
func seedID(given, prefix string, taken func(string) bool) (string, error) {
	if given == "" {
		return randomID(prefix), nil
	}
	if !strings.HasPrefix(given, prefix) || len(given) == len(prefix) || taken(given) {
		return "", fmt.Errorf("id %q must be new and start with %s", given, prefix)
	}
	return given, nil
}

// seedPlan adds sp to b.
func (b *billingStore) seedPlan(sp SeedPlan, seq int64, now time.Time) error {
	id, err := seedID(sp.ID, "cplan_", func(id string) bool { return b.plans[id] != nil })
	if err != nil {
		return err
	}
	if strings.TrimSpace(sp.Name) == "" {
		return fmt.Errorf("name is required")
	}
	if sp.PayerType != "user" && sp.PayerType != "org" {
		return fmt.Errorf("payer_type %q must be user or org", sp.PayerType)
	}
	slug := sp.Slug
	if slug == "" {
		slug = slugOf(sp.Name)
	}
	if !seedSlugPattern.MatchString(slug) {
		return fmt.Errorf("slug %q must be lower-case letters, digits, - and _", slug)
	}
	if sp.Amount < 0 || sp.AnnualMonthlyAmount < 0 || sp.FreeTrialDays < 0 {
		return fmt.Errorf("amount, annual_monthly_amount and free_trial_days cannot be negative")
	}
	if sp.Amount == 0 && (sp.AnnualMonthlyAmount != 0 || sp.FreeTrialDays != 0) {
		return fmt.Errorf("a free plan (amount 0) has no annual_monthly_amount or free_trial_days")
	}
	if sp.IsDefault && sp.Amount != 0 {
		return fmt.Errorf("a default plan must be free (amount 0)")
	}
	for _, p := range b.plans {
		if p.forPayer == sp.PayerType && p.slug == slug {
			return fmt.Errorf("slug %q is already plan %s's", slug, p.id)
		}
		if p.forPayer == sp.PayerType && p.isDefault && sp.IsDefault {
			return fmt.Errorf("plan %s is already the default %s plan", p.id, sp.PayerType)
		}
	}
	p := &planRec{seq: seq, id: id, name: sp.Name, slug: slug, description: sp.Description,
		productID: "cprod_" + strings.TrimPrefix(id, "cplan_"), priceID: "cprice_" + strings.TrimPrefix(id, "cplan_"),
		forPayer: sp.PayerType, amount: sp.Amount, annualMonth: sp.AnnualMonthlyAmount, isDefault: sp.IsDefault,
		visible: sp.PubliclyVisible == nil || *sp.PubliclyVisible, freeTrialDays: sp.FreeTrialDays, createdAt: now}
	slugs := map[string]bool{}
	ids := map[string]bool{}
	for j, f := range sp.Features {
		if strings.TrimSpace(f.Name) == "" {
			return fmt.Errorf("features[%d]: name is required", j)
		}
		fid, err := seedID(f.ID, "feat_", func(id string) bool { return ids[id] })
		if err != nil {
			return fmt.Errorf("features[%d]: %w", j, err)
		}
		fs := f.Slug
		if fs == "" {
			fs = slugOf(f.Name)
		}
		if !seedSlugPattern.MatchString(fs) || slugs[fs] {
			return fmt.Errorf("features[%d]: slug %q must be unique, lower-case letters, digits, - and _", j, fs)
		}
		ids[fid], slugs[fs] = true, true
		p.features = append(p.features, featureRec{id: fid, name: f.Name, slug: fs, description: f.Description})
	}
	b.plans[id] = p
	return nil
}

// seedSubscription adds ss to b, for a payer of st.
func (b *billingStore) seedSubscription(st *state, ss SeedSubscription, seq func() int64, now time.Time) error {
	b.prune(st)
	id, err := seedID(ss.ID, "csub_", func(id string) bool { return b.subs[id] != nil })
	if err != nil {
		return err
	}
	var payerType string
	switch {
	case strings.HasPrefix(ss.Payer, "user_") && st.users[ss.Payer] != nil:
		payerType = "user"
	case strings.HasPrefix(ss.Payer, "org_") && st.orgs[ss.Payer] != nil:
		payerType = "org"
	default:
		return fmt.Errorf("payer %q must be the id of a user (user_…) or organization (org_…)", ss.Payer)
	}
	for id, s := range b.subs {
		switch {
		case s.payer == ss.Payer && s.auto:
			delete(b.subs, id) // the default plan's, until now
		case s.payer == ss.Payer:
			return fmt.Errorf("payer %s already has subscription %s", ss.Payer, s.id)
		}
	}
	if len(ss.Items) == 0 {
		return fmt.Errorf("items: at least one is required")
	}
	sub := &subscriptionRec{seq: seq(), id: id, payer: ss.Payer, createdAt: now, updatedAt: now}
	itemIDs := map[string]bool{}
	for _, s := range b.subs {
		for _, it := range s.items {
			itemIDs[it.id] = true
		}
	}
	for j, si := range ss.Items {
		it, err := b.seedItem(si, sub, payerType, itemIDs, now)
		if err != nil {
			return fmt.Errorf("items[%d]: %w", j, err)
		}
		it.seq = seq()
		itemIDs[it.id] = true
		sub.items = append(sub.items, it)
	}
	b.payer(ss.Payer, now)
	b.subs[id] = sub
	return nil
}

func (b *billingStore) seedItem(si SeedSubscriptionItem, sub *subscriptionRec, payerType string, taken map[string]bool, now time.Time) (*subItemRec, error) {
	iid, err := seedID(si.ID, "csubi_", func(id string) bool { return taken[id] })
	if err != nil {
		return nil, err
	}
	plan := b.plans[si.Plan]
	if plan == nil || plan.forPayer != payerType {
		plan = nil
		for _, p := range b.plans {
			if p.forPayer == payerType && p.slug == si.Plan {
				plan = p
			}
		}
	}
	if plan == nil {
		return nil, fmt.Errorf("plan %q is no %s plan's id or slug", si.Plan, payerType)
	}
	period := si.PlanPeriod
	switch {
	case period == "":
		period = "month"
	case period != "month" && period != "annual":
		return nil, fmt.Errorf("plan_period %q must be month or annual", period)
	case period == "annual" && plan.annualMonth == 0 && !plan.free():
		return nil, fmt.Errorf("plan %s has no annual price", plan.id)
	}
	status := si.Status
	if status == "" {
		status = "active"
	}
	if !slices.Contains(seedItemStatuses, status) {
		return nil, fmt.Errorf("status %q must be one of %s", status, strings.Join(seedItemStatuses, ", "))
	}
	if si.FreeTrial && plan.freeTrialDays == 0 {
		return nil, fmt.Errorf("plan %s has no free trial", plan.id)
	}
	start := now
	if si.PeriodStart != nil {
		start = *si.PeriodStart
	}
	var end time.Time
	switch {
	case si.PeriodEnd != nil:
		end = *si.PeriodEnd
		if !end.After(start) {
			return nil, fmt.Errorf("period_end must be after period_start")
		}
	case si.FreeTrial:
		end = start.AddDate(0, 0, plan.freeTrialDays)
	case plan.free():
	case period == "annual":
		end = start.AddDate(1, 0, 0)
	default:
		end = start.AddDate(0, 1, 0)
	}
	it := &subItemRec{id: iid, subID: sub.id, planID: plan.id, period: period, status: status, freeTrial: si.FreeTrial,
		periodStart: start, periodEnd: end, createdAt: now, updatedAt: now}
	if si.Canceled {
		if status != "active" && status != "past_due" {
			return nil, fmt.Errorf("only an active or past_due item can be canceled")
		}
		it.canceledAt = now
	}
	switch status {
	case "past_due":
		it.pastDueAt = now
	case "ended":
		it.endedAt = now
		if !end.IsZero() && end.Before(now) {
			it.endedAt = end
		}
	}
	return it, nil
}

// seedBilling adds d's plans, then its subscriptions, to x's billing.
func (x *extStore) seedBilling(st *state, d SeedData, now time.Time) error {
	for i, sp := range d.Plans {
		if err := x.bill.seedPlan(sp, x.next(), now); err != nil {
			return fmt.Errorf("plans[%d]: %w", i, err)
		}
	}
	for i, sd := range d.Discounts {
		if err := x.bill.seedDiscount(sd); err != nil {
			return fmt.Errorf("discounts[%d]: %w", i, err)
		}
	}
	for i, ss := range d.Subscriptions {
		if err := x.bill.seedSubscription(st, ss, x.next, now); err != nil {
			return fmt.Errorf("subscriptions[%d]: %w", i, err)
		}
	}
	return nil
}

func (b *billingStore) seedDiscount(sd SeedDiscount) error {
	if !strings.HasPrefix(sd.ID, "cdisc_") || len(sd.ID) == len("cdisc_") || b.discounts[sd.ID] != nil {
		return fmt.Errorf("id %q is required, new and starts with cdisc_", sd.ID)
	}
	if strings.TrimSpace(sd.Name) == "" {
		return fmt.Errorf("name is required")
	}
	if (sd.PercentOff > 0) == (sd.AmountOff > 0) || sd.PercentOff < 0 || sd.PercentOff > 100 || sd.AmountOff < 0 {
		return fmt.Errorf("exactly one of percent_off (0 < p <= 100) and amount_off (> 0) is required")
	}
	if sd.Cycles != nil && *sd.Cycles < 1 {
		return fmt.Errorf("cycles must be at least 1 (absent: forever)")
	}
	d := &discountRec{id: sd.ID, name: sd.Name, percentOff: sd.PercentOff, amountOff: sd.AmountOff}
	if sd.Cycles != nil {
		n := *sd.Cycles
		d.cycles = &n
	}
	b.discounts[sd.ID] = d
	return nil
}
