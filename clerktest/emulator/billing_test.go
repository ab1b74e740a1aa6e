package emulator_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/billing"

	"github.com/clerkkit/clerkkit/clerktest"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
)

// billingSeed is a seed with users, an organization, user and
// organization plans, and subscriptions.
const billingSeed = `{
  "users": [{"id": "user_ada", "email_addresses": ["ada@example.com"], "first_name": "Ada", "last_name": "Lovelace"},
            {"id": "user_max", "email_addresses": ["max@example.com"], "first_name": "Max"},
            {"id": "user_free", "email_addresses": ["free@example.com"]}],
  "organizations": [{"id": "org_acme", "name": "Acme Inc", "created_by": "user_ada"}],
  "plans": [
    {"id": "cplan_free", "name": "Free", "payer_type": "user", "is_default": true},
    {"id": "cplan_pro", "name": "Pro Plan", "payer_type": "user", "amount": 2000, "annual_monthly_amount": 1600,
     "description": "For professionals", "free_trial_days": 14,
     "features": [{"id": "feat_dash", "name": "Dashboards", "description": "Charts"}, {"name": "Exports"}]},
    {"id": "cplan_team", "name": "Team", "slug": "team", "payer_type": "org", "amount": 9900, "publicly_visible": false}
  ],
  "subscriptions": [
    {"id": "csub_ada", "payer": "user_ada", "items": [{"id": "csubi_ada", "plan": "pro-plan", "plan_period": "annual",
      "period_start": "2026-01-01T00:00:00Z"}]},
    {"id": "csub_max", "payer": "user_max", "items": [{"id": "csubi_max", "plan": "cplan_pro", "free_trial": true}]},
    {"id": "csub_free", "payer": "user_free", "items": [{"id": "csubi_free", "plan": "free"}]},
    {"id": "csub_acme", "payer": "org_acme", "items": [{"id": "csubi_acme", "plan": "team", "status": "past_due"}]}
  ]
}`

func seedBilling(t *testing.T, srv *emulator.Server) {
	t.Helper()
	var d emulator.SeedData
	if err := json.Unmarshal([]byte(billingSeed), &d); err != nil {
		t.Fatal(err)
	}
	if err := srv.Seed(d); err != nil {
		t.Fatal(err)
	}
}

// billingPage is a {data, total_count} answer.
type billingPage struct {
	Data       []map[string]any `json:"data"`
	TotalCount int              `json:"total_count"`
}

func (a *api) page(path string) billingPage {
	a.t.Helper()
	status, out := a.do("GET", path, nil)
	if status != http.StatusOK {
		a.t.Fatalf("GET %s: %d %s", path, status, out)
	}
	var p billingPage
	if err := json.Unmarshal(out, &p); err != nil {
		a.t.Fatalf("GET %s: %v in %s", path, err, out)
	}
	return p
}

func pageIDs(p billingPage) string {
	var out []string
	for _, d := range p.Data {
		out = append(out, d["id"].(string))
	}
	return strings.Join(out, ",")
}

// TestBillingWithoutPlans: an instance without a billing seed has no
// plans, no subscription items, no subscriptions (404) and no credits.
func TestBillingWithoutPlans(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	uid := a.createUser("ada@example.com", "Ada")["id"].(string)
	oid := a.ok("POST", "/v1/organizations", map[string]any{"name": "Acme", "created_by": uid})["id"].(string)
	for _, path := range []string{"/v1/commerce/plans", "/v1/commerce/subscription_items?include_free=true"} {
		if p := a.page(path); p.TotalCount != 0 || len(p.Data) != 0 {
			t.Fatalf("%s: %+v", path, p)
		}
	}
	a.fail("GET", "/v1/users/"+uid+"/billing/subscription", nil, 404, "resource_not_found")
	a.fail("GET", "/v1/organizations/"+oid+"/billing/subscription", nil, 404, "resource_not_found")
	a.fail("GET", "/v1/users/user_nobody/billing/subscription", nil, 404, "resource_not_found")
	a.fail("GET", "/v1/organizations/org_nobody/billing/subscription", nil, 404, "resource_not_found")
	if c := a.ok("GET", "/v1/users/"+uid+"/billing/credits", nil); c["object"] != "commerce_credit_balance" || c["balance"] != nil {
		t.Fatalf("credits: %v", c)
	}
	a.fail("DELETE", "/v1/commerce/subscription_items/csubi_nope", nil, 404, "resource_not_found")
}

// TestBillingPlans: the seeded plans, newest first, with their fees,
// features and payer types; payer_type filters, pages.
func TestBillingPlans(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	seedBilling(t, a.srv)
	p := a.page("/v1/commerce/plans")
	if p.TotalCount != 3 || pageIDs(p) != "cplan_team,cplan_pro,cplan_free" {
		t.Fatalf("plans: %s of %d", pageIDs(p), p.TotalCount)
	}
	pro := p.Data[1]
	fee, annual := pro["fee"].(map[string]any), pro["annual_fee"].(map[string]any)
	features := pro["features"].([]any)
	if pro["object"] != "commerce_plan" || pro["slug"] != "pro-plan" || pro["amount"] != float64(2000) || pro["amount_formatted"] != "20.00" ||
		fee["amount"] != float64(2000) || fee["currency"] != "USD" || fee["currency_symbol"] != "$" ||
		pro["annual_monthly_amount"] != float64(1600) || annual["amount"] != float64(19200) || annual["amount_formatted"] != "192.00" ||
		pro["for_payer_type"] != "user" || pro["has_base_fee"] != true || pro["is_default"] != false || pro["publicly_visible"] != true ||
		pro["free_trial_enabled"] != true || pro["free_trial_days"] != float64(14) || pro["description"] != "For professionals" ||
		len(features) != 2 || features[0].(map[string]any)["id"] != "feat_dash" || features[1].(map[string]any)["slug"] != "exports" {
		t.Fatalf("pro plan: %v", pro)
	}
	team, free := p.Data[0], p.Data[2]
	if team["for_payer_type"] != "org" || team["publicly_visible"] != false || team["annual_fee"] != nil ||
		free["is_default"] != true || free["has_base_fee"] != false || free["free_trial_days"] != nil {
		t.Fatalf("team %v, free %v", team, free)
	}
	if p := a.page("/v1/commerce/plans?payer_type=org"); pageIDs(p) != "cplan_team" || p.TotalCount != 1 {
		t.Fatalf("org plans: %s", pageIDs(p))
	}
	if p := a.page("/v1/commerce/plans?payer_type=user&limit=1&offset=1&paginated=true"); pageIDs(p) != "cplan_free" || p.TotalCount != 2 {
		t.Fatalf("page 2 of user plans: %s of %d", pageIDs(p), p.TotalCount)
	}
	a.fail("GET", "/v1/commerce/plans?payer_type=team", nil, 422, "form_param_value_invalid")
	a.fail("GET", "/v1/commerce/plans?paginated=maybe", nil, 422, "form_param_format_invalid")
	a.fail("GET", "/v1/commerce/plans?offset=-1", nil, 422, "form_param_value_invalid")
}

// TestBillingSubscriptions: a payer's subscription with its items, plan
// and payer; the instance's items filtered.
func TestBillingSubscriptions(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	seedBilling(t, a.srv)
	sub := a.ok("GET", "/v1/users/user_ada/billing/subscription", nil)
	items := sub["subscription_items"].([]any)
	if sub["object"] != "commerce_subscription" || sub["id"] != "csub_ada" || sub["status"] != "active" || len(items) != 1 ||
		sub["active_at"] != float64(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()) || sub["eligible_for_free_trial"] != false {
		t.Fatalf("subscription: %v", sub)
	}
	it := items[0].(map[string]any)
	payer := it["payer"].(map[string]any)
	end := float64(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli())
	if it["id"] != "csubi_ada" || it["status"] != "active" || it["plan_id"] != "cplan_pro" || it["plan"].(map[string]any)["slug"] != "pro-plan" ||
		it["plan_period"] != "annual" || it["period_end"] != end || it["amount"].(map[string]any)["amount"] != float64(19200) ||
		it["next_payment"].(map[string]any)["date"] != end || it["proration_date"] != "2026-01-01" || it["canceled_at"] != nil ||
		it["payer_id"] != sub["payer_id"] || payer["user_id"] != "user_ada" || payer["email"] != "ada@example.com" ||
		payer["first_name"] != "Ada" || payer["last_name"] != "Lovelace" || payer["object"] != "commerce_payer" ||
		!strings.HasPrefix(payer["id"].(string), "cpayer_") {
		t.Fatalf("item: %v", it)
	}
	if np := sub["next_payment"].(map[string]any); np["date"] != end || np["amount"].(map[string]any)["amount"] != float64(19200) {
		t.Fatalf("next payment: %v", np)
	}
	org := a.ok("GET", "/v1/organizations/org_acme/billing/subscription", nil)
	oi := org["subscription_items"].([]any)[0].(map[string]any)
	if org["status"] != "past_due" || org["past_due_at"] == nil || oi["status"] != "past_due" ||
		oi["payer"].(map[string]any)["organization_name"] != "Acme Inc" || oi["payer"].(map[string]any)["email"] != "ada@example.com" {
		t.Fatalf("org subscription: %v", org)
	}
	if max := a.ok("GET", "/v1/users/user_max/billing/subscription", nil)["subscription_items"].([]any)[0].(map[string]any); max["is_free_trial"] != true ||
		max["period_end"].(float64)-max["period_start"].(float64) != float64(14*24*time.Hour/time.Millisecond) {
		t.Fatalf("free trial: %v", max)
	}
	if free := a.ok("GET", "/v1/users/user_free/billing/subscription", nil); free["next_payment"] != nil || free["eligible_for_free_trial"] != true ||
		free["subscription_items"].([]any)[0].(map[string]any)["period_end"] != nil {
		t.Fatalf("free subscription: %v", free)
	}

	for path, want := range map[string]string{
		"/v1/commerce/subscription_items":                                 "csubi_acme,csubi_max,csubi_ada",
		"/v1/commerce/subscription_items?include_free=true":               "csubi_acme,csubi_free,csubi_max,csubi_ada",
		"/v1/commerce/subscription_items?payer_type=org":                  "csubi_acme",
		"/v1/commerce/subscription_items?payer_type=user&limit=1":         "csubi_max",
		"/v1/commerce/subscription_items?status=past_due":                 "csubi_acme",
		"/v1/commerce/subscription_items?status=free_trial":               "csubi_max",
		"/v1/commerce/subscription_items?status=ended":                    "",
		"/v1/commerce/subscription_items?plan_id=cplan_pro":               "csubi_max,csubi_ada",
		"/v1/commerce/subscription_items?user_id=user_ada":                "csubi_ada",
		"/v1/commerce/subscription_items?organization_id=org_acme":        "csubi_acme",
		"/v1/commerce/subscription_items?query=LOVE":                      "csubi_ada",
		"/v1/commerce/subscription_items?query=acme":                      "csubi_acme",
		"/v1/commerce/subscription_items?query=free%40&include_free=true": "csubi_free",
	} {
		if p := a.page(path); pageIDs(p) != want {
			t.Errorf("%s: %s, want %s", path, pageIDs(p), want)
		}
	}
	if p := a.page("/v1/commerce/subscription_items?payer_type=user&limit=1"); p.TotalCount != 2 {
		t.Errorf("total_count %d, want 2", p.TotalCount)
	}
	a.fail("GET", "/v1/commerce/subscription_items?status=canceled", nil, 422, "form_param_value_invalid")
	a.fail("GET", "/v1/commerce/subscription_items?include_free=yes", nil, 422, "form_param_format_invalid")

	// A deleted payer's subscription goes with it.
	a.ok("DELETE", "/v1/users/user_max", nil)
	if p := a.page("/v1/commerce/subscription_items?plan_id=cplan_pro"); pageIDs(p) != "csubi_ada" {
		t.Fatalf("after deleting user_max: %s", pageIDs(p))
	}
	a.fail("DELETE", "/v1/commerce/subscription_items/csubi_max", nil, 404, "resource_not_found")
}

// TestBillingDefaultPlan: with a default user plan, every user without a
// subscription has one on it (as Clerk subscribes new users), which a
// later seed can replace; organizations, without a default plan, have
// none.
func TestBillingDefaultPlan(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	seedBilling(t, a.srv)
	u := a.createUser("new@example.com", "New")
	uid := u["id"].(string)
	sub := a.ok("GET", "/v1/users/"+uid+"/billing/subscription", nil)
	it := sub["subscription_items"].([]any)[0].(map[string]any)
	if sub["status"] != "active" || it["plan_id"] != "cplan_free" || it["status"] != "active" || it["period_end"] != nil ||
		it["period_start"] != u["created_at"] || it["created_at"] != u["created_at"] || sub["next_payment"] != nil {
		t.Fatalf("default subscription: %v", sub)
	}
	if again := a.ok("GET", "/v1/users/"+uid+"/billing/subscription", nil); again["id"] != sub["id"] {
		t.Fatalf("a second default subscription: %v", again)
	}
	if p := a.page("/v1/commerce/subscription_items?include_free=true&user_id=" + uid); pageIDs(p) != it["id"] {
		t.Fatalf("listed: %s", pageIDs(p))
	}
	if p := a.page("/v1/commerce/subscription_items?user_id=" + uid); p.TotalCount != 0 {
		t.Fatalf("a free item without include_free: %s", pageIDs(p))
	}
	oid := a.ok("POST", "/v1/organizations", map[string]any{"name": "New Org"})["id"].(string)
	a.fail("GET", "/v1/organizations/"+oid+"/billing/subscription", nil, 404, "resource_not_found")

	var d emulator.SeedData
	if err := json.Unmarshal([]byte(`{"subscriptions":[{"id":"csub_new","payer":"`+uid+`","items":[{"plan":"pro-plan"}]}]}`), &d); err != nil {
		t.Fatal(err)
	}
	if err := a.srv.Seed(d); err != nil {
		t.Fatalf("a seed replacing the default subscription: %v", err)
	}
	if sub := a.ok("GET", "/v1/users/"+uid+"/billing/subscription", nil); sub["id"] != "csub_new" {
		t.Fatalf("after the seed: %v", sub)
	}
}

// TestBillingCancel: canceling at period end keeps the item active with
// canceled_at (subscriptionItem.canceled, status canceled); end_now ends
// it (subscriptionItem.ended); an ended item cannot be canceled.
func TestBillingCancel(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, hookSecret).start()
	a := newAPI(t, emulator.Options{Webhooks: hooks(rc.url()), Clock: clerktest.NewClock(time.Now())})
	seedBilling(t, a.srv)
	it := a.ok("DELETE", "/v1/commerce/subscription_items/csubi_ada", nil)
	if it["status"] != "active" || it["canceled_at"] == nil || it["ended_at"] != nil || it["next_payment"] != nil {
		t.Fatalf("canceled at period end: %v", it)
	}
	if again := a.ok("DELETE", "/v1/commerce/subscription_items/csubi_ada?end_now=false", nil); again["canceled_at"] != it["canceled_at"] {
		t.Fatalf("canceled again: %v", again)
	}
	a.srv.Clock().Advance(time.Minute)
	ended := a.ok("DELETE", "/v1/commerce/subscription_items/csubi_ada?end_now=true", nil)
	if ended["status"] != "ended" || ended["ended_at"] == nil || ended["canceled_at"] != it["canceled_at"] {
		t.Fatalf("ended: %v", ended)
	}
	if sub := a.ok("GET", "/v1/users/user_ada/billing/subscription", nil); sub["status"] != "ended" || sub["next_payment"] != nil {
		t.Fatalf("subscription after: %v", sub)
	}
	if p := a.page("/v1/commerce/subscription_items?status=ended"); pageIDs(p) != "csubi_ada" {
		t.Fatalf("ended items: %s", pageIDs(p))
	}
	a.fail("DELETE", "/v1/commerce/subscription_items/csubi_ada", nil, 400, "bad_request")
	a.fail("DELETE", "/v1/commerce/subscription_items/csubi_acme?end_now=soon", nil, 422, "form_param_format_invalid")
	a.ok("DELETE", "/v1/commerce/subscription_items/csubi_acme?end_now=true", nil)

	var got []string
	for _, d := range waitDeliveries(t, a.srv) {
		if !strings.HasPrefix(d.EventType, "subscriptionItem.") {
			continue
		}
		e := decodeEnvelope(t, d.Payload)
		var data struct {
			ID, Status, Interval string
			SubscriptionID       string `json:"subscription_id"`
			Payer                struct {
				User string `json:"user_id"`
				Org  string `json:"organization_id"`
			}
		}
		if err := json.Unmarshal(e.Data, &data); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s %s %s %s %s%s", d.EventType, data.ID, data.Status, data.SubscriptionID, data.Payer.User, data.Payer.Org))
	}
	want := []string{
		"subscriptionItem.canceled csubi_ada canceled csub_ada user_ada",
		"subscriptionItem.ended csubi_ada ended csub_ada user_ada",
		"subscriptionItem.ended csubi_acme ended csub_acme org_acme",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("events:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestBillingExtendFreeTrial: a free trial's end moves later
// (subscriptionItem.updated), idempotently, within Clerk's bounds.
func TestBillingExtendFreeTrial(t *testing.T) {
	t.Parallel()
	clock := clerktest.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	rc := newReceiver(t, hookSecret).start()
	a := newAPI(t, emulator.Options{Webhooks: hooks(rc.url()), Clock: clock})
	seedBilling(t, a.srv)
	path := "/v1/billing/subscription_items/csubi_max/extend_free_trial"
	to := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	it := a.ok("POST", path, map[string]any{"extend_to": to.Format(time.RFC3339)})
	if it["period_end"] != float64(to.UnixMilli()) || it["is_free_trial"] != true || it["status"] != "active" ||
		it["next_payment"].(map[string]any)["date"] != float64(to.UnixMilli()) {
		t.Fatalf("extended: %v", it)
	}
	if again := a.ok("POST", path, map[string]any{"extend_to": to.Format(time.RFC3339)}); again["updated_at"] != it["updated_at"] {
		t.Fatalf("the same time changed the item: %v", again)
	}
	a.fail("POST", path, map[string]any{"extend_to": "2026-03-20T00:00:00Z"}, 422, "form_param_value_invalid") // before the trial's end
	a.fail("POST", path, map[string]any{"extend_to": "2026-02-01T00:00:00Z"}, 422, "form_param_value_invalid") // past
	a.fail("POST", path, map[string]any{"extend_to": "2027-03-02T13:00:00Z"}, 422, "form_param_value_invalid") // > 365 days
	a.fail("POST", path, map[string]any{"extend_to": "next week"}, 422, "form_param_format_invalid")
	a.fail("POST", path, map[string]any{}, 422, "form_param_missing")
	a.fail("POST", "/v1/billing/subscription_items/csubi_ada/extend_free_trial", map[string]any{"extend_to": to.Format(time.RFC3339)}, 400, "bad_request")
	a.fail("POST", "/v1/billing/subscription_items/csubi_nope/extend_free_trial", map[string]any{"extend_to": to.Format(time.RFC3339)}, 404, "resource_not_found")
	n := 0
	for _, d := range a.srv.Deliveries() { // messages exist as soon as made; the receiver refuses this clock's timestamps

		if d.EventType == "subscriptionItem.updated" {
			n++
			if e := decodeEnvelope(t, d.Payload); !strings.Contains(string(e.Data), `"period_end":`+fmt.Sprint(to.UnixMilli())) {
				t.Fatalf("event data: %s", e.Data)
			}
		}
	}
	if n != 1 {
		t.Fatalf("%d subscriptionItem.updated events, want 1", n)
	}
}

// TestBillingPriceTransition: a dearer price takes effect now (the item
// ends, a new one is active and charged), a cheaper one at the end of the
// period (the item is canceled, a new one is upcoming); the refusals.
func TestBillingPriceTransition(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, hookSecret).start()
	a := newAPI(t, emulator.Options{Webhooks: hooks(rc.url())})
	seedBilling(t, a.srv)
	now := a.srv.Clock().Now()

	up := a.ok("POST", "/v1/billing/subscription_items/csubi_free/price_transition",
		map[string]any{"from_price_id": "cprice_free", "to_price_id": "cprice_pro"})
	it, tr := up["subscription_item"].(map[string]any), up["transition"].(map[string]any)
	if up["object"] != "commerce_price_transition" || it["status"] != "active" || it["plan_id"] != "cplan_pro" || it["id"] == "csubi_free" ||
		tr["effective_mode"] != "immediate" || tr["charged_immediately"] != true || tr["immediate_charge"].(map[string]any)["amount"] != float64(2000) ||
		tr["previous_subscription_item_status"] != "ended" || tr["previous_subscription_item_id"] != "csubi_free" ||
		tr["previous_plan"].(map[string]any)["id"] != "cplan_free" || tr["previous_price"].(map[string]any)["id"] != "cprice_free" ||
		tr["next_billing_date"] != it["period_end"] || it["period_end"].(float64) < float64(now.AddDate(0, 0, 27).UnixMilli()) {
		t.Fatalf("upgrade: %v", up)
	}
	sub := a.ok("GET", "/v1/users/user_free/billing/subscription", nil)
	items := sub["subscription_items"].([]any)
	if len(items) != 2 || items[0].(map[string]any)["status"] != "ended" || items[1].(map[string]any)["status"] != "active" || sub["status"] != "active" {
		t.Fatalf("after the upgrade: %v", sub)
	}

	down := a.ok("POST", "/v1/billing/subscription_items/csubi_ada/price_transition",
		map[string]any{"from_price_id": "cprice_pro", "to_price_id": "cprice_free"})
	it, tr = down["subscription_item"].(map[string]any), down["transition"].(map[string]any)
	end := float64(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli())
	if it["status"] != "upcoming" || it["period_start"] != end || it["period_end"] != nil || it["plan_period"] != "annual" ||
		tr["effective_mode"] != "end_of_period" || tr["effective_at"] != end || tr["charged_immediately"] != false ||
		tr["immediate_charge"] != nil || tr["previous_subscription_item_status"] != "canceled" || tr["next_billing_date"] != nil {
		t.Fatalf("downgrade: %v", down)
	}
	old := a.ok("GET", "/v1/users/user_ada/billing/subscription", nil)["subscription_items"].([]any)[0].(map[string]any)
	if old["status"] != "active" || old["canceled_at"] == nil {
		t.Fatalf("the downgraded item: %v", old)
	}
	if p := a.page("/v1/commerce/subscription_items?status=upcoming&include_free=true"); p.TotalCount != 1 {
		t.Fatalf("upcoming items: %v", p)
	}

	path := "/v1/billing/subscription_items/csubi_max/price_transition"
	a.fail("POST", path, map[string]any{"to_price_id": "cprice_free"}, 422, "form_param_missing")
	a.fail("POST", path, map[string]any{"from_price_id": "cprice_pro"}, 422, "form_param_missing")
	a.fail("POST", path, map[string]any{"from_price_id": "cprice_free", "to_price_id": "cprice_pro"}, 422, "form_param_value_invalid")
	a.fail("POST", path, map[string]any{"from_price_id": "cprice_pro", "to_price_id": "cprice_nope"}, 404, "resource_not_found")
	a.fail("POST", path, map[string]any{"from_price_id": "cprice_pro", "to_price_id": "cprice_pro"}, 409, "conflict")
	a.fail("POST", path, map[string]any{"from_price_id": "cprice_pro", "to_price_id": "cprice_team"}, 422, "form_param_value_invalid")
	a.fail("POST", "/v1/billing/subscription_items/csubi_ada/price_transition",
		map[string]any{"from_price_id": "cprice_pro", "to_price_id": "cprice_free"}, 400, "bad_request")
	a.fail("POST", "/v1/billing/subscription_items/csubi_nope/price_transition",
		map[string]any{"from_price_id": "cprice_pro", "to_price_id": "cprice_free"}, 404, "resource_not_found")

	var got []string
	for _, d := range waitDeliveries(t, a.srv) {
		if strings.HasPrefix(d.EventType, "subscriptionItem.") {
			var data struct{ ID, Status string }
			json.Unmarshal(decodeEnvelope(t, d.Payload).Data, &data)
			if strings.HasPrefix(data.ID, "csubi_") && data.ID != "csubi_free" && data.ID != "csubi_ada" {
				data.ID = "new"
			}
			got = append(got, d.EventType+" "+data.ID+" "+data.Status)
		}
	}
	want := "subscriptionItem.ended csubi_free ended,subscriptionItem.active new active," +
		"subscriptionItem.canceled csubi_ada canceled,subscriptionItem.upcoming new upcoming"
	if strings.Join(got, ",") != want {
		t.Fatalf("events %s, want %s", strings.Join(got, ","), want)
	}
}

// TestBillingDiscounts: seeded discounts applied to an item, replaced,
// refused when already active, removed.
func TestBillingDiscounts(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	seedBilling(t, a.srv)
	var d emulator.SeedData
	if err := json.Unmarshal([]byte(`{"discounts":[{"id":"cdisc_half","name":"Half off","percent_off":50,"cycles":3},
		{"id":"cdisc_five","name":"Five dollars","amount_off":500}]}`), &d); err != nil {
		t.Fatal(err)
	}
	if err := a.srv.Seed(d); err != nil {
		t.Fatal(err)
	}
	path := "/v1/billing/subscription_items/csubi_ada/discounts"
	r := a.ok("POST", path, map[string]any{"discount_id": "cdisc_half"})
	if r["object"] != "commerce_discount_redemption" || r["subscription_item_id"] != "csubi_ada" || r["discount_id"] != "cdisc_half" ||
		r["name"] != "Half off" || r["source"] != "manual" || r["effect"] != "percentage" || r["percent_off"] != float64(50) ||
		r["amount_off"] != nil || r["amount"].(map[string]any)["amount"] != float64(9600) || r["cycles_remaining"] != float64(3) ||
		r["cycles_applied"] != float64(0) || r["status"] != "active" || r["redeemed_by"] != nil {
		t.Fatalf("applied: %v", r)
	}
	a.fail("POST", path, map[string]any{"discount_id": "cdisc_half"}, 409, "conflict")
	f := a.ok("POST", path, map[string]any{"discount_id": "cdisc_five"})
	if f["effect"] != "fixed_amount" || f["amount_off"].(map[string]any)["amount"] != float64(500) || f["amount"].(map[string]any)["amount"] != float64(500) ||
		f["percent_off"] != nil || f["cycles_remaining"] != nil {
		t.Fatalf("replaced: %v", f)
	}
	a.fail("DELETE", path+"/cdisc_half", nil, 404, "resource_not_found") // replaced, no longer active
	if rm := a.ok("DELETE", path+"/cdisc_five", nil); rm["status"] != "removed" || rm["id"] != f["id"] || rm["amount"] != nil {
		t.Fatalf("removed: %v", rm)
	}
	a.fail("DELETE", path+"/cdisc_five", nil, 404, "resource_not_found")
	a.fail("POST", path, map[string]any{"discount_id": "cdisc_nope"}, 404, "resource_not_found")
	a.fail("POST", path, map[string]any{}, 422, "form_param_missing")
	a.fail("POST", "/v1/billing/subscription_items/csubi_nope/discounts", map[string]any{"discount_id": "cdisc_half"}, 404, "resource_not_found")
	a.ok("DELETE", "/v1/commerce/subscription_items/csubi_acme?end_now=true", nil)
	a.fail("POST", "/v1/billing/subscription_items/csubi_acme/discounts", map[string]any{"discount_id": "cdisc_half"}, 400, "bad_request")
	for _, bad := range []string{
		`{"discounts":[{"id":"disc_x","name":"X","percent_off":10}]}`,
		`{"discounts":[{"id":"cdisc_x","name":"X"}]}`,
		`{"discounts":[{"id":"cdisc_x","name":"X","percent_off":10,"amount_off":5}]}`,
		`{"discounts":[{"id":"cdisc_x","name":"X","percent_off":150}]}`,
		`{"discounts":[{"id":"cdisc_x","name":"","amount_off":5}]}`,
		`{"discounts":[{"id":"cdisc_x","name":"X","amount_off":5,"cycles":0}]}`,
		`{"discounts":[{"id":"cdisc_half","name":"X","amount_off":5}]}`,
	} {
		var d emulator.SeedData // fresh: Unmarshal would keep fields of reused slice elements
		json.Unmarshal([]byte(bad), &d)
		if err := a.srv.Seed(d); err == nil || !strings.Contains(err.Error(), "discounts[0]") {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

// TestBillingCredits: credit balances, null until the first adjustment;
// increases and decreases, idempotent by key, never below zero.
func TestBillingCredits(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	seedBilling(t, a.srv)
	for _, base := range []string{"/v1/users/user_ada", "/v1/organizations/org_acme"} {
		path := base + "/billing/credits"
		if c := a.ok("GET", path, nil); c["balance"] != nil {
			t.Fatalf("%s: %v", path, c)
		}
		e := a.ok("POST", path, map[string]any{"amount": 1500, "action": "increase", "idempotency_key": "k1", "note": "welcome"})
		if e["object"] != "commerce_credit_ledger" || e["amount"].(map[string]any)["amount"] != float64(1500) || e["note"] != "welcome" ||
			e["source_type"] != "grant" || e["payer_id"] == "" {
			t.Fatalf("%s: increase %v", path, e)
		}
		if _, err := time.Parse(time.RFC3339, e["created_at"].(string)); err != nil {
			t.Fatalf("created_at: %v", err)
		}
		if again := a.ok("POST", path, map[string]any{"amount": 1500, "action": "increase", "idempotency_key": "k1", "note": "welcome"}); again["id"] != e["id"] {
			t.Fatalf("%s: the same key made a new entry: %v", path, again)
		}
		a.fail("POST", path, map[string]any{"amount": 1, "action": "increase", "idempotency_key": "k1"}, 409, "idempotency_key_reused")
		d := a.ok("POST", path, map[string]any{"amount": 500, "action": "decrease", "currency": "usd", "idempotency_key": "k2"})
		if d["amount"].(map[string]any)["amount"] != float64(-500) || d["amount"].(map[string]any)["amount_formatted"] != "-5.00" || d["note"] != nil {
			t.Fatalf("%s: decrease %v", path, d)
		}
		if c := a.ok("GET", path, nil)["balance"].(map[string]any); c["amount"] != float64(1000) || c["amount_formatted"] != "10.00" {
			t.Fatalf("%s: balance %v", path, c)
		}
		a.fail("POST", path, map[string]any{"amount": 1001, "action": "decrease", "idempotency_key": "k3"}, 422, "form_param_value_invalid")
		a.fail("POST", path, map[string]any{"amount": 0, "action": "increase", "idempotency_key": "k4"}, 422, "form_param_value_invalid")
		a.fail("POST", path, map[string]any{"amount": 1, "action": "grant", "idempotency_key": "k4"}, 422, "form_param_value_invalid")
		a.fail("POST", path, map[string]any{"amount": 1, "action": "increase", "idempotency_key": "k4", "currency": "EUR"}, 422, "form_param_value_invalid")
		a.fail("POST", path, map[string]any{"amount": 1, "action": "increase"}, 422, "form_param_missing")
		a.fail("POST", path, map[string]any{"action": "increase", "idempotency_key": "k4"}, 422, "form_param_missing")
		a.fail("POST", path, map[string]any{"amount": 1, "idempotency_key": "k4"}, 422, "form_param_missing")
		a.fail("POST", path, map[string]any{"amount": 1, "action": "increase", "idempotency_key": "k4", "reason": "x"}, 422, "form_param_unknown")
	}
	if payer := a.ok("GET", "/v1/users/user_ada/billing/subscription", nil)["subscription_items"].([]any)[0].(map[string]any)["payer"].(map[string]any); payer["credits_balance"].(map[string]any)["amount"] != float64(1000) {
		t.Fatalf("payer's credits: %v", payer)
	}
	a.fail("POST", "/v1/users/user_nobody/billing/credits", map[string]any{"amount": 1, "action": "increase", "idempotency_key": "k"}, 404, "resource_not_found")
	a.fail("GET", "/v1/organizations/org_nobody/billing/credits", nil, 404, "resource_not_found")
}

// TestBillingSDKPaths: clerk-sdk-go v2.4.2's billing client, which calls
// the operations under /v1/billing (as @clerk/backend does), lists the
// plans and items, cancels one and extends a free trial. Its Server does not record: the spec
// has those operations under /v1/commerce only, and the answers are the
// same (compared here byte for byte).
func TestBillingSDKPaths(t *testing.T) {
	t.Parallel()
	srv := emulator.NewServer(t)
	seedBilling(t, srv)
	ctx := context.Background()
	c := billing.NewClient(sdkConfig(srv))
	plans, err := c.ListPlans(ctx, &billing.ListPlansParams{PayerType: clerk.String("user")})
	if err != nil || plans.TotalCount != 2 || plans.Data[0].ID != "cplan_pro" || plans.Data[0].Fee.Amount != 2000 ||
		len(plans.Data[0].Features) != 2 || plans.Data[0].ForPayerType != "user" || *plans.Data[0].FreeTrialDays != 14 {
		t.Fatalf("plans: %+v %v", plans, err)
	}
	items, err := c.ListSubscriptionItems(ctx, &billing.ListSubscriptionItemsParams{UserID: clerk.String("user_ada")})
	if err != nil || items.TotalCount != 1 || items.Data[0].ID != "csubi_ada" || *items.Data[0].PlanID != "cplan_pro" ||
		items.Data[0].Payer == nil || *items.Data[0].Payer.UserID != "user_ada" || items.Data[0].PeriodEnd == nil {
		t.Fatalf("items: %+v %v", items, err)
	}
	it, err := c.CancelSubscriptionItem(ctx, "csubi_ada", &billing.CancelSubscriptionItemParams{EndNow: clerk.Bool(true)})
	if err != nil || it.Status != "ended" || it.EndedAt == nil {
		t.Fatalf("cancel: %+v %v", it, err)
	}
	ext, err := c.ExtendFreeTrial(ctx, "csubi_max", &billing.ExtendFreeTrialParams{ExtendTo: time.Now().AddDate(0, 1, 0).UTC().Format(time.RFC3339)})
	if err != nil || !ext.IsFreeTrial || ext.PeriodEnd == nil || *ext.PeriodEnd < time.Now().AddDate(0, 0, 27).UnixMilli() {
		t.Fatalf("extend: %+v %v", ext, err)
	}
	_, err = c.CancelSubscriptionItem(ctx, "csubi_nope", nil)
	if apiErr, ok := err.(*clerk.APIErrorResponse); !ok || apiErr.HTTPStatusCode != 404 {
		t.Fatalf("cancel unknown: %v", err)
	}
	for _, q := range []string{"/plans", "/plans?payer_type=org", "/subscription_items?include_free=true&limit=2&offset=1"} {
		if b, c := rawBody(t, srv, "/v1/billing"+q), rawBody(t, srv, "/v1/commerce"+q); b != c {
			t.Errorf("%s: /v1/billing answers\n%s\n/v1/commerce answers\n%s", q, b, c)
		}
	}
}

func rawBody(t *testing.T, srv *emulator.Server, path string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL()+path, nil)
	req.Header.Set("Authorization", "Bearer "+srv.SecretKey())
	resp, err := srv.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	return string(b)
}

// TestSeedBillingRefused: a bad billing seed is refused whole, naming
// the key.
func TestSeedBillingRefused(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	seedBilling(t, a.srv)
	requireSeedsRefused(t, a.srv, []struct{ seed, want string }{
		{`{"plans":[{"name":"X","payer_type":"team"}]}`, "plans[0]: payer_type"},
		{`{"plans":[{"name":"","payer_type":"user"}]}`, "plans[0]: name"},
		{`{"plans":[{"id":"plan_x","name":"X","payer_type":"user"}]}`, "plans[0]: id"},
		{`{"plans":[{"name":"Pro Plan","payer_type":"user","amount":1}]}`, "plans[0]: slug \"pro-plan\""},
		{`{"plans":[{"name":"Basic","payer_type":"user","is_default":true}]}`, "plans[0]: plan cplan_free is already the default"},
		{`{"plans":[{"name":"Y","payer_type":"org","is_default":true,"amount":5}]}`, "plans[0]: a default plan must be free"},
		{`{"plans":[{"name":"Y","payer_type":"org","features":[{"name":"A"},{"name":"a"}]}]}`, "plans[0]: features[1]: slug"},
		{`{"subscriptions":[{"payer":"user_nobody","items":[{"plan":"pro-plan"}]}]}`, "subscriptions[0]: payer"},
		{`{"subscriptions":[{"payer":"user_ada","items":[{"plan":"pro-plan"}]}]}`, "subscriptions[0]: payer user_ada already has subscription csub_ada"},
		{`{"users":[{"id":"user_new"}],"subscriptions":[{"payer":"user_new","items":[{"plan":"team"}]}]}`, "subscriptions[0]: items[0]: plan \"team\""},
		{`{"users":[{"id":"user_new"}],"subscriptions":[{"payer":"user_new","items":[]}]}`, "subscriptions[0]: items"},
		{`{"users":[{"id":"user_new"}],"subscriptions":[{"payer":"user_new","items":[{"plan":"free","status":"canceled"}]}]}`, "subscriptions[0]: items[0]: status"},
		{`{"users":[{"id":"user_new"}],"subscriptions":[{"payer":"user_new","items":[{"plan":"free","free_trial":true}]}]}`, "subscriptions[0]: items[0]: plan cplan_free has no free trial"},
		{`{"users":[{"id":"user_new"}],"subscriptions":[{"payer":"user_new","items":[{"id":"csubi_ada","plan":"free"}]}]}`, "subscriptions[0]: items[0]: id"},
		{`{"users":[{"id":"user_new"}],"subscriptions":[{"payer":"user_new","items":[{"plan":"free","period_start":"2026-02-01T00:00:00Z","period_end":"2026-01-01T00:00:00Z"}]}]}`, "subscriptions[0]: items[0]: period_end"},
	})
	// Nothing of a refused seed stays, not even its users or valid plans.
	var d emulator.SeedData
	json.Unmarshal([]byte(`{"users":[{"id":"user_new"}],"plans":[{"id":"cplan_ok","name":"OK","payer_type":"org"}],
		"subscriptions":[{"payer":"user_new","items":[{"plan":"nope"}]}]}`), &d)
	if err := a.srv.Seed(d); err == nil {
		t.Fatal("seed with an unknown plan accepted")
	}
	a.fail("GET", "/v1/users/user_new", nil, 404, "resource_not_found")
	if p := a.page("/v1/commerce/plans"); p.TotalCount != 3 {
		t.Fatalf("plans after a refused seed: %s", pageIDs(p))
	}
	var key *emulator.SeedKeyError
	err := json.Unmarshal([]byte(`{"subscriptions":[{"payer":"user_ada","items":[{"plan":"free","period":"month"}]}]}`), &d)
	if !asSeedKeyError(err, &key) || key.Key != "period" || key.Path != "subscriptions[0].items[0]" {
		t.Fatalf("unknown key: %v", err)
	}
}

// exerciseBillingRoutes calls, once each, the routes of billing.go (for
// TestEveryRouteIsExercised). The /v1/billing paths are called with
// requests they refuse: the spec has them under /v1/commerce only, so the
// validator checks their answers as Clerk errors (TestBillingSDKPaths
// compares their successes with /v1/commerce's).
func exerciseBillingRoutes(t *testing.T, a *api) {
	t.Helper()
	var d emulator.SeedData
	err := json.Unmarshal([]byte(`{"users":[{"id":"user_billing","email_addresses":["billing@example.com"]}],
		"organizations":[{"id":"org_billing","name":"Billing Co"}],
		"plans":[{"id":"cplan_x_user","name":"Exercise","payer_type":"user","amount":500},
		         {"id":"cplan_x_org","name":"Exercise","payer_type":"org","amount":900},
		         {"id":"cplan_x_org2","name":"Exercise 2","payer_type":"org","amount":1900}],
		"subscriptions":[{"payer":"user_billing","items":[{"id":"csubi_x_user","plan":"cplan_x_user"}]},
		                 {"payer":"org_billing","items":[{"id":"csubi_x_org","plan":"exercise"}]}],
		"discounts":[{"id":"cdisc_x","name":"Exercise","percent_off":10}]}`), &d)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.srv.Seed(d); err != nil {
		t.Fatal(err)
	}
	a.page("/v1/commerce/plans")
	a.page("/v1/commerce/subscription_items")
	a.ok("GET", "/v1/users/user_billing/billing/subscription", nil)
	a.ok("GET", "/v1/organizations/org_billing/billing/subscription", nil)
	a.ok("GET", "/v1/users/user_billing/billing/credits", nil)
	a.ok("GET", "/v1/organizations/org_billing/billing/credits", nil)
	a.ok("POST", "/v1/users/user_billing/billing/credits", map[string]any{"amount": 100, "action": "increase", "idempotency_key": "x"})
	a.ok("POST", "/v1/organizations/org_billing/billing/credits", map[string]any{"amount": 100, "action": "increase", "idempotency_key": "x"})
	a.ok("DELETE", "/v1/commerce/subscription_items/csubi_x_user", nil)
	a.ok("POST", "/v1/billing/subscription_items/csubi_x_org/discounts", map[string]any{"discount_id": "cdisc_x"})
	a.ok("DELETE", "/v1/billing/subscription_items/csubi_x_org/discounts/cdisc_x", nil)
	a.ok("POST", "/v1/billing/subscription_items/csubi_x_org/price_transition", map[string]any{"from_price_id": "cprice_x_org", "to_price_id": "cprice_x_org2"})
	a.fail("POST", "/v1/billing/subscription_items/csubi_x_user/extend_free_trial", map[string]any{"extend_to": "2030-01-01T00:00:00Z"}, 400, "bad_request")
	a.fail("GET", "/v1/billing/plans?payer_type=team", nil, 422, "form_param_value_invalid")
	a.fail("GET", "/v1/billing/subscription_items?status=soon", nil, 422, "form_param_value_invalid")
	a.fail("DELETE", "/v1/billing/subscription_items/csubi_nope", nil, 404, "resource_not_found")
}
