package devprobe_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/billing"

	"github.com/clerkkit/clerkkit/clerktest/emulator"
)

// The scenario seed's Billing records (scenarioBilling): a free default
// and a Pro plan for users, a Team plan for organizations; the demo
// admin on Pro billed annually, the demo member in Pro's free trial, Acme
// on Team (Globex has no subscription).
const (
	seedPlanFree   = "cplan_demo_free"
	seedPlanPro    = "cplan_demo_pro"
	seedPlanTeam   = "cplan_demo_team"
	seedItemAdmin  = "csubi_demo_admin"
	seedItemAcme   = "csubi_demo_acme"
	seedItemMember = "csubi_demo_member"
)

// scenarioBilling is the Billing part of the scenario seed.
func scenarioBilling() ([]emulator.SeedPlan, []emulator.SeedSubscription) {
	plans := []emulator.SeedPlan{
		{ID: seedPlanFree, Name: "Free", PayerType: "user", IsDefault: true,
			Features: []emulator.SeedFeature{{ID: "feat_demo_basic", Name: "Basic"}}},
		{ID: seedPlanPro, Name: "Pro", PayerType: "user", Amount: 2000, AnnualMonthlyAmount: 1600, FreeTrialDays: 14,
			Description: "For professionals", Features: []emulator.SeedFeature{{ID: "feat_demo_basic", Name: "Basic"},
				{ID: "feat_demo_exports", Name: "Exports", Description: "CSV and PDF exports"}}},
		{ID: seedPlanTeam, Name: "Team", PayerType: "org", Amount: 9900,
			Features: []emulator.SeedFeature{{ID: "feat_demo_sso", Name: "SSO"}}},
	}
	subs := []emulator.SeedSubscription{
		{ID: "csub_demo_admin", Payer: "user_demo_admin", Items: []emulator.SeedSubscriptionItem{{ID: seedItemAdmin, Plan: "pro", PlanPeriod: "annual"}}},
		{ID: "csub_demo_acme", Payer: "org_demo_acme", Items: []emulator.SeedSubscriptionItem{{ID: seedItemAcme, Plan: "team"}}},
		{ID: "csub_demo_member", Payer: "user_demo_member", Items: []emulator.SeedSubscriptionItem{{ID: seedItemMember, Plan: "pro", FreeTrial: true}}},
	}
	return plans, subs
}

// billingSubscription is GET /v1/users/{id}/billing/subscription's
// answer, which clerk-sdk-go v2.4.2 has no type for.
type billingSubscription struct {
	clerk.APIResource
	Object            string                   `json:"object"`
	ID                string                   `json:"id"`
	Status            string                   `json:"status"`
	PayerID           string                   `json:"payer_id"`
	SubscriptionItems []clerk.SubscriptionItem `json:"subscription_items"`
	NextPayment       *struct {
		Date   int64              `json:"date"`
		Amount clerk.BillingMoney `json:"amount"`
	} `json:"next_payment"`
}

// creditBalance is GET …/billing/credits's answer.
type creditBalance struct {
	clerk.APIResource
	Object  string              `json:"object"`
	Balance *clerk.BillingMoney `json:"balance"`
}

// creditAdjustment is POST …/billing/credits's body.
type creditAdjustment struct {
	clerk.APIParams
	Amount         int64  `json:"amount"`
	Action         string `json:"action"`
	IdempotencyKey string `json:"idempotency_key"`
	Note           string `json:"note,omitempty"`
}

// creditLedger is POST …/billing/credits's answer.
type creditLedger struct {
	clerk.APIResource
	Object  string             `json:"object"`
	ID      string             `json:"id"`
	PayerID string             `json:"payer_id"`
	Amount  clerk.BillingMoney `json:"amount"`
	Note    *string            `json:"note"`
}

// TestClerkSDKGoBillingScenario runs clerk-sdk-go v2.4.2's billing client
// (plans, subscription items, cancel, free trial extension: the
// operations it has, the first three of which it calls under /v1/billing) against the built `clerkkit dev` with the
// scenario seed, and reads the subscriptions and credit balances it has
// no client for through clerk.NewAPIRequest on the same Backend, the
// SDK's own way to call an operation it lacks.
func TestClerkSDKGoBillingScenario(t *testing.T) {
	env := devEnv(t, "--seed", scenarioSeed(t))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := &clerk.ClientConfig{BackendConfig: clerk.BackendConfig{
		URL: clerk.String(env["CLERK_API_URL"] + "/v1"), Key: clerk.String(env["CLERK_SECRET_KEY"]), HTTPClient: httpClient(t),
	}}
	bill := billing.NewClient(cfg)
	backend := clerk.NewBackend(&cfg.BackendConfig)

	t.Run("plans", func(t *testing.T) {
		l, err := bill.ListPlans(ctx, &billing.ListPlansParams{})
		must(t, err)
		check(t, l.TotalCount == 3 && len(l.Data) == 3 && l.Data[0].ID == seedPlanTeam && l.Data[2].ID == seedPlanFree, "plans %+v", l)
		pro := l.Data[1]
		check(t, pro.ID == seedPlanPro && pro.Slug == "pro" && pro.Fee != nil && pro.Fee.Amount == 2000 && pro.Fee.Currency == "USD" &&
			pro.AnnualFee != nil && pro.AnnualFee.Amount == 19200 && pro.ForPayerType == "user" && pro.HasBaseFee && !pro.IsDefault &&
			pro.FreeTrialEnabled && pro.FreeTrialDays != nil && *pro.FreeTrialDays == 14 && len(pro.Features) == 2 &&
			pro.Features[1].Slug == "exports" && pro.Description == "For professionals", "pro %+v", pro)
		orgs, err := bill.ListPlans(ctx, &billing.ListPlansParams{PayerType: clerk.String("org")})
		must(t, err)
		check(t, orgs.TotalCount == 1 && orgs.Data[0].ID == seedPlanTeam && orgs.Data[0].ForPayerType == "org", "org plans %+v", orgs)
		p := &billing.ListPlansParams{PayerType: clerk.String("user")}
		p.Limit, p.Offset = clerk.Int64(1), clerk.Int64(1)
		page, err := bill.ListPlans(ctx, p)
		must(t, err)
		check(t, page.TotalCount == 2 && len(page.Data) == 1 && page.Data[0].ID == seedPlanFree, "page %+v", page)
		_, err = bill.ListPlans(ctx, &billing.ListPlansParams{PayerType: clerk.String("team")})
		apiErr(t, err, http.StatusUnprocessableEntity, "form_param_value_invalid")
	})

	t.Run("subscription items", func(t *testing.T) {
		l, err := bill.ListSubscriptionItems(ctx, &billing.ListSubscriptionItemsParams{IncludeFree: clerk.Bool(true)})
		must(t, err)
		check(t, l.TotalCount == 3 && l.Data[0].ID == seedItemMember && l.Data[1].ID == seedItemAcme && l.Data[2].ID == seedItemAdmin, "items %+v", l)
		trial, err := bill.ListSubscriptionItems(ctx, &billing.ListSubscriptionItemsParams{Status: clerk.String("free_trial")})
		must(t, err)
		check(t, trial.TotalCount == 1 && trial.Data[0].ID == seedItemMember && trial.Data[0].IsFreeTrial, "free trials %+v", trial)
		admin := l.Data[2]
		check(t, admin.Status == "active" && admin.PlanPeriod == "annual" && admin.PlanID != nil && *admin.PlanID == seedPlanPro &&
			admin.Plan != nil && admin.Plan.Name == "Pro" && admin.Amount != nil && admin.Amount.Amount == 19200 &&
			admin.Payer != nil && admin.Payer.UserID != nil && *admin.Payer.UserID == "user_demo_admin" &&
			admin.Payer.Email != nil && *admin.Payer.Email == "ada@example.com" && admin.PeriodEnd != nil &&
			admin.NextPayment != nil && admin.NextPayment.Date != nil && *admin.NextPayment.Date == *admin.PeriodEnd, "admin item %+v", admin)
		org, err := bill.ListSubscriptionItems(ctx, &billing.ListSubscriptionItemsParams{PayerType: clerk.String("org")})
		must(t, err)
		check(t, org.TotalCount == 1 && org.Data[0].Payer != nil && org.Data[0].Payer.OrganizationName != nil &&
			*org.Data[0].Payer.OrganizationName == "Acme Inc", "org items %+v", org)
		q, err := bill.ListSubscriptionItems(ctx, &billing.ListSubscriptionItemsParams{Query: clerk.String("ada@"), PlanID: clerk.String(seedPlanPro)})
		must(t, err)
		check(t, q.TotalCount == 1 && q.Data[0].ID == seedItemAdmin, "query %+v", q)
		_, err = bill.ListSubscriptionItems(ctx, &billing.ListSubscriptionItemsParams{Status: clerk.String("soon")})
		apiErr(t, err, http.StatusUnprocessableEntity, "form_param_value_invalid")
	})

	t.Run("subscriptions (clerk.NewAPIRequest)", func(t *testing.T) {
		var s billingSubscription
		must(t, backend.Call(ctx, clerk.NewAPIRequest(http.MethodGet, "/users/user_demo_admin/billing/subscription"), &s))
		check(t, s.Object == "commerce_subscription" && s.ID == "csub_demo_admin" && s.Status == "active" && s.PayerID != "" &&
			len(s.SubscriptionItems) == 1 && s.SubscriptionItems[0].ID == seedItemAdmin && s.NextPayment != nil &&
			s.NextPayment.Amount.Amount == 19200, "admin subscription %+v", s)
		var o billingSubscription
		must(t, backend.Call(ctx, clerk.NewAPIRequest(http.MethodGet, "/organizations/org_demo_acme/billing/subscription"), &o))
		check(t, o.ID == "csub_demo_acme" && o.SubscriptionItems[0].Plan != nil && o.SubscriptionItems[0].Plan.ID == seedPlanTeam, "acme %+v", o)
		err := backend.Call(ctx, clerk.NewAPIRequest(http.MethodGet, "/organizations/org_demo_globex/billing/subscription"), &o)
		apiErr(t, err, http.StatusNotFound, "resource_not_found")
	})

	t.Run("cancel", func(t *testing.T) {
		it, err := bill.CancelSubscriptionItem(ctx, seedItemAcme, &billing.CancelSubscriptionItemParams{})
		must(t, err)
		check(t, it.ID == seedItemAcme && it.Status == "active" && it.CanceledAt != nil && it.EndedAt == nil && it.NextPayment == nil, "canceled %+v", it)
		it, err = bill.CancelSubscriptionItem(ctx, seedItemAcme, &billing.CancelSubscriptionItemParams{EndNow: clerk.Bool(true)})
		must(t, err)
		check(t, it.Status == "ended" && it.EndedAt != nil, "ended %+v", it)
		ended, err := bill.ListSubscriptionItems(ctx, &billing.ListSubscriptionItemsParams{Status: clerk.String("ended")})
		must(t, err)
		check(t, ended.TotalCount == 1 && ended.Data[0].ID == seedItemAcme, "ended items %+v", ended)
		_, err = bill.CancelSubscriptionItem(ctx, seedItemAcme, nil)
		apiErr(t, err, http.StatusBadRequest, "bad_request")
		_, err = bill.CancelSubscriptionItem(ctx, "csubi_nope", nil)
		apiErr(t, err, http.StatusNotFound, "resource_not_found")
	})

	t.Run("extend free trial", func(t *testing.T) {
		to := time.Now().AddDate(0, 0, 30).UTC().Truncate(time.Second)
		it, err := bill.ExtendFreeTrial(ctx, seedItemMember, &billing.ExtendFreeTrialParams{ExtendTo: to.Format(time.RFC3339)})
		must(t, err)
		check(t, it.ID == seedItemMember && it.IsFreeTrial && it.PeriodEnd != nil && *it.PeriodEnd == to.UnixMilli(), "extended %+v", it)
		_, err = bill.ExtendFreeTrial(ctx, seedItemAdmin, &billing.ExtendFreeTrialParams{ExtendTo: to.Format(time.RFC3339)})
		apiErr(t, err, http.StatusBadRequest, "bad_request")
		_, err = bill.ExtendFreeTrial(ctx, seedItemMember, &billing.ExtendFreeTrialParams{ExtendTo: "soon"})
		apiErr(t, err, http.StatusUnprocessableEntity, "form_param_format_invalid")
	})

	t.Run("credits (clerk.NewAPIRequest)", func(t *testing.T) {
		path := "/users/user_demo_member/billing/credits"
		var b creditBalance
		must(t, backend.Call(ctx, clerk.NewAPIRequest(http.MethodGet, path), &b))
		check(t, b.Object == "commerce_credit_balance" && b.Balance == nil, "balance before %+v", b)
		req := clerk.NewAPIRequest(http.MethodPost, path)
		req.SetParams(&creditAdjustment{Amount: 2500, Action: "increase", IdempotencyKey: "sdk-1", Note: "goodwill"})
		var e creditLedger
		must(t, backend.Call(ctx, req, &e))
		check(t, e.Object == "commerce_credit_ledger" && e.Amount.Amount == 2500 && e.Note != nil && *e.Note == "goodwill", "entry %+v", e)
		req = clerk.NewAPIRequest(http.MethodPost, path)
		req.SetParams(&creditAdjustment{Amount: 500, Action: "decrease", IdempotencyKey: "sdk-2"})
		must(t, backend.Call(ctx, req, &e))
		check(t, e.Amount.Amount == -500, "decrease %+v", e)
		must(t, backend.Call(ctx, clerk.NewAPIRequest(http.MethodGet, path), &b))
		check(t, b.Balance != nil && b.Balance.Amount == 2000 && b.Balance.AmountFormatted == "20.00", "balance after %+v", b)
		req = clerk.NewAPIRequest(http.MethodPost, "/organizations/org_demo_acme/billing/credits")
		req.SetParams(&creditAdjustment{Amount: 1, Action: "decrease", IdempotencyKey: "sdk-3"})
		apiErr(t, backend.Call(ctx, req, &e), http.StatusUnprocessableEntity, "form_param_value_invalid")
	})
}
