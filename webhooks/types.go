package webhooks

import (
	"encoding/json"

	"github.com/clerk/clerk-sdk-go/v2"
)

// Payload types. Where clerk-sdk-go has a type whose fields decode the
// webhook data without loss of type (clerk.User, clerk.Organization,
// clerk.OrganizationMembership, clerk.Payer, clerk.BillingMoney), it is used
// as is. Where the webhook carries fields the SDK type lacks, the SDK type is
// embedded and the fields added. The remaining payloads have no SDK
// counterpart, or one whose field types differ from the webhook's (the SDK's
// billing Plan and SubscriptionItem), and are defined here. Timestamps are
// Unix milliseconds, as in the payloads.

// DeletedObject is the data of user.deleted, organization.deleted,
// organizationDomain.deleted, role.deleted and permission.deleted.
type DeletedObject struct {
	// Object is the kind of the deleted object, e.g. "user".
	Object string `json:"object"`
	// ID is the deleted object's id.
	ID string `json:"id"`
	// Deleted is true.
	Deleted bool `json:"deleted"`
	// ExternalID is set on user.deleted when the user had one.
	ExternalID *string `json:"external_id,omitempty"`
	// Slug is set on organization.deleted.
	Slug *string `json:"slug,omitempty"`
}

// Session is the data of session.* events: the session with its user
// embedded in full.
type Session struct {
	clerk.Session
	// User is the session's user.
	User *clerk.User `json:"user"`
}

// OrganizationDomain is the data of organizationDomain.created/updated.
type OrganizationDomain struct {
	clerk.OrganizationDomain
	// AffiliationVerification is the email-affiliation verification, if any.
	AffiliationVerification *clerk.OrganizationDomainVerification `json:"affiliation_verification"`
	// OwnershipVerification is the DNS ownership verification, if any.
	OwnershipVerification *clerk.OrganizationDomainVerification `json:"ownership_verification"`
	// PublicOrganizationData describes the domain's organization.
	PublicOrganizationData *clerk.PublicOrganizationData `json:"public_organization_data"`
}

// OrganizationInvitation is the data of organizationInvitation.* events.
type OrganizationInvitation struct {
	clerk.OrganizationInvitation
	// UserID is the id of the user who accepted the invitation; set on
	// organizationInvitation.accepted.
	UserID *string `json:"user_id,omitempty"`
	// InviterID is the id of the inviting user, if known.
	InviterID *string `json:"inviter_id,omitempty"`
	// PublicInviterData describes the inviting user, if known.
	PublicInviterData *clerk.OrganizationMembershipPublicUserData `json:"public_inviter_data,omitempty"`
}

// WaitlistEntry is the data of waitlistEntry.* events.
type WaitlistEntry struct {
	clerk.WaitlistEntry
	// IsLocked reports whether the entry can no longer change.
	IsLocked bool `json:"is_locked"`
}

// Email is the data of email.created: an email Clerk sent or, when
// DeliveredByClerk is false, asks the application to send.
type Email struct {
	Object           string  `json:"object"`
	ID               string  `json:"id"`
	Slug             *string `json:"slug"`
	FromEmailName    string  `json:"from_email_name"`
	ReplyToEmailName *string `json:"reply_to_email_name,omitempty"`
	ToEmailAddress   string  `json:"to_email_address"`
	EmailAddressID   *string `json:"email_address_id"`
	UserID           *string `json:"user_id"`
	Subject          string  `json:"subject"`
	Body             string  `json:"body"`
	BodyPlain        *string `json:"body_plain"`
	Status           string  `json:"status"`
	// Data holds the template variables.
	Data             json.RawMessage `json:"data"`
	DeliveredByClerk bool            `json:"delivered_by_clerk"`
}

// SMSMessage is the data of sms.created.
type SMSMessage struct {
	Object          string  `json:"object"`
	ID              string  `json:"id"`
	Slug            *string `json:"slug"`
	FromPhoneNumber string  `json:"from_phone_number"`
	ToPhoneNumber   string  `json:"to_phone_number"`
	PhoneNumberID   *string `json:"phone_number_id"`
	UserID          *string `json:"user_id"`
	Message         string  `json:"message"`
	Status          string  `json:"status"`
	// Data holds the template variables.
	Data             json.RawMessage `json:"data"`
	DeliveredByClerk bool            `json:"delivered_by_clerk"`
	// CreatedAt is the creation time as sent in the spec's example.
	CreatedAt int64 `json:"created_at,omitempty"`
	// CreatedAtMS is the creation time under the name the spec's schema
	// uses; expect either field.
	CreatedAtMS int64 `json:"created_at_ms,omitempty"`
}

// Permission is the data of permission.created/updated, and an element of
// Role.Permissions.
type Permission struct {
	Object      string `json:"object"`
	ID          string `json:"id"`
	Name        string `json:"name"`
	Key         string `json:"key"`
	Description string `json:"description"`
	Type        string `json:"type"`
	CreatedAt   int64  `json:"created_at"`
	UpdatedAt   int64  `json:"updated_at"`
}

// Role is the data of role.created/updated.
type Role struct {
	Object            string        `json:"object"`
	ID                string        `json:"id"`
	Name              string        `json:"name"`
	Key               string        `json:"key"`
	Description       *string       `json:"description"`
	IsCreatorEligible bool          `json:"is_creator_eligible"`
	Permissions       []*Permission `json:"permissions"`
	CreatedAt         int64         `json:"created_at"`
	UpdatedAt         int64         `json:"updated_at"`
}

// Subscription is the data of subscription.* events (billing).
type Subscription struct {
	Object          string              `json:"object"`
	ID              string              `json:"id"`
	Status          string              `json:"status"`
	ActiveAt        *int64              `json:"active_at"`
	CanceledAt      *int64              `json:"canceled_at"`
	EndedAt         *int64              `json:"ended_at"`
	PastDueAt       *int64              `json:"past_due_at"`
	CreatedAt       int64               `json:"created_at"`
	UpdatedAt       int64               `json:"updated_at"`
	LatestPaymentID *string             `json:"latest_payment_id"`
	PayerID         string              `json:"payer_id"`
	Payer           *clerk.Payer        `json:"payer"`
	PaymentSourceID *string             `json:"payment_source_id"`
	Items           []*SubscriptionItem `json:"items"`
}

// SubscriptionItem is the data of subscriptionItem.* events, an element of
// Subscription.Items and of PaymentAttempt.SubscriptionItems. The fields
// after Seats appear in payment attempts only.
type SubscriptionItem struct {
	Object         string       `json:"object"`
	ID             string       `json:"id"`
	Status         string       `json:"status"`
	IsFreeTrial    bool         `json:"is_free_trial"`
	CreatedAt      int64        `json:"created_at"`
	UpdatedAt      int64        `json:"updated_at"`
	PeriodStart    int64        `json:"period_start"`
	PeriodEnd      *int64       `json:"period_end"`
	Interval       string       `json:"interval,omitempty"`
	PlanID         *string      `json:"plan_id"`
	Plan           *BillingPlan `json:"plan"`
	Payer          *clerk.Payer `json:"payer,omitempty"`
	SubscriptionID *string      `json:"subscription_id"`
	Seats          *Seats       `json:"seats,omitempty"`

	PlanPeriod        string              `json:"plan_period,omitempty"`
	ProrationDate     string              `json:"proration_date,omitempty"`
	CanceledAt        *int64              `json:"canceled_at,omitempty"`
	PastDueAt         *int64              `json:"past_due_at,omitempty"`
	LifetimePaid      *int64              `json:"lifetime_paid,omitempty"`
	NextPaymentAmount *int64              `json:"next_payment_amount,omitempty"`
	NextPaymentDate   *int64              `json:"next_payment_date,omitempty"`
	Amount            *clerk.BillingMoney `json:"amount,omitempty"`
	// Deprecated: Credit is superseded by Credits.
	Credit  *SubscriptionCredit  `json:"credit,omitempty"`
	Credits *SubscriptionCredits `json:"credits,omitempty"`
}

// BillingPlan is the plan of a SubscriptionItem. Amounts are in the
// currency's minor unit.
type BillingPlan struct {
	ID                  string       `json:"id"`
	InstanceID          string       `json:"instance_id,omitempty"`
	ProductID           string       `json:"product_id,omitempty"`
	Name                string       `json:"name"`
	Slug                string       `json:"slug"`
	Description         string       `json:"description,omitempty"`
	IsDefault           bool         `json:"is_default,omitempty"`
	IsRecurring         bool         `json:"is_recurring"`
	IsProrated          bool         `json:"is_prorated,omitempty"`
	HasBaseFee          bool         `json:"has_base_fee,omitempty"`
	PubliclyVisible     bool         `json:"publicly_visible,omitempty"`
	Amount              int64        `json:"amount"`
	AnnualMonthlyAmount int64        `json:"annual_monthly_amount,omitempty"`
	Currency            string       `json:"currency"`
	Period              string       `json:"period,omitempty"`
	Interval            int64        `json:"interval,omitempty"`
	UnitPrices          []*UnitPrice `json:"unit_prices,omitempty"`
}

// UnitPrice prices a plan's unit (e.g. seats) by tiers of blocks.
type UnitPrice struct {
	Name      string           `json:"name"`
	BlockSize int64            `json:"block_size"`
	Tiers     []*UnitPriceTier `json:"tiers"`
}

// UnitPriceTier is one tier of a UnitPrice; EndsAfterBlock nil means
// unbounded.
type UnitPriceTier struct {
	StartsAtBlock  int64  `json:"starts_at_block"`
	EndsAfterBlock *int64 `json:"ends_after_block"`
	AmountPerBlock int64  `json:"amount_per_block"`
	Currency       string `json:"currency"`
}

// Seats is the seat count of a SubscriptionItem; Quantity nil means
// unlimited.
type Seats struct {
	Quantity *int64 `json:"quantity"`
}

// SubscriptionCredit is a proration credit of a SubscriptionItem.
type SubscriptionCredit struct {
	Amount                *clerk.BillingMoney `json:"amount"`
	CycleDaysRemaining    int64               `json:"cycle_days_remaining"`
	CycleDaysTotal        int64               `json:"cycle_days_total"`
	CycleRemainingPercent float64             `json:"cycle_remaining_percent"`
}

// SubscriptionCredits are the credits applied to a SubscriptionItem.
type SubscriptionCredits struct {
	Proration *SubscriptionCredit `json:"proration"`
	Payer     *PayerCredit        `json:"payer"`
	Total     *clerk.BillingMoney `json:"total"`
}

// PayerCredit is the payer's account credit applied to a payment.
type PayerCredit struct {
	AppliedAmount    *clerk.BillingMoney `json:"applied_amount"`
	RemainingBalance *clerk.BillingMoney `json:"remaining_balance"`
}

// PaymentAttempt is the data of paymentAttempt.* events (billing).
type PaymentAttempt struct {
	ID                string                `json:"id"`
	InstanceID        string                `json:"instance_id"`
	PaymentID         string                `json:"payment_id"`
	InvoiceID         string                `json:"invoice_id,omitempty"`
	StatementID       string                `json:"statement_id"`
	GatewayExternalID string                `json:"gateway_external_id"`
	Status            string                `json:"status"`
	CreatedAt         int64                 `json:"created_at"`
	UpdatedAt         int64                 `json:"updated_at"`
	PaidAt            *int64                `json:"paid_at"`
	FailedAt          *int64                `json:"failed_at"`
	FailedReason      *PaymentFailedReason  `json:"failed_reason"`
	BillingDate       int64                 `json:"billing_date"`
	ChargeType        string                `json:"charge_type"`
	Payee             *BillingPayee         `json:"payee"`
	Payer             *clerk.Payer          `json:"payer"`
	Totals            *BillingTotals        `json:"totals"`
	PaymentSource     *BillingPaymentSource `json:"payment_source"`
	SubscriptionItems []*SubscriptionItem   `json:"subscription_items"`
}

// PaymentFailedReason tells why a PaymentAttempt failed.
type PaymentFailedReason struct {
	Code        string `json:"code"`
	DeclineCode string `json:"decline_code"`
}

// BillingPayee is the account receiving a payment.
type BillingPayee struct {
	ID                string `json:"id"`
	GatewayType       string `json:"gateway_type"`
	GatewayExternalID string `json:"gateway_external_id"`
	GatewayStatus     string `json:"gateway_status"`
}

// BillingTotals are a PaymentAttempt's amounts.
type BillingTotals struct {
	Subtotal      *clerk.BillingMoney `json:"subtotal"`
	TaxTotal      *clerk.BillingMoney `json:"tax_total"`
	GrandTotal    *clerk.BillingMoney `json:"grand_total"`
	PerUnitTotals []*UnitTotal        `json:"per_unit_totals,omitempty"`
}

// UnitTotal is the total for one priced unit (e.g. seats).
type UnitTotal struct {
	Name     string `json:"name"`
	Amount   int64  `json:"amount"`
	Quantity *int64 `json:"quantity"`
	Total    int64  `json:"total"`
	Currency string `json:"currency"`
}

// BillingPaymentSource is the payment method of a PaymentAttempt.
type BillingPaymentSource struct {
	ID                       string  `json:"id"`
	Gateway                  string  `json:"gateway"`
	GatewayExternalID        string  `json:"gateway_external_id"`
	GatewayExternalAccountID *string `json:"gateway_external_account_id"`
	PaymentMethod            string  `json:"payment_method"`
	Status                   string  `json:"status"`
	CardType                 *string `json:"card_type"`
	Last4                    *string `json:"last4"`
}
