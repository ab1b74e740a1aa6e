package webhooks

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
	"go.yaml.in/yaml/v3"
)

// specFile is a copy of Clerk's webhook spec (MIT, see
// clerk-openapi-LICENSE beside it).
const specFile = "testdata/clerk-webhooks-2025-04-15.yml"

// specEventCount is the number of event types in specFile.
const specEventCount = 45

type specExample struct {
	Type string
	Body []byte // the example payload as JSON
}

// loadSpecExamples returns the example payload of every event type in the
// spec, in spec order, plus subscriptionItem.created (not in the spec; built
// from subscriptionItem.active's example).
func loadSpecExamples(t testing.TB) []specExample {
	t.Helper()
	raw, err := os.ReadFile(specFile)
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Webhooks yaml.Node `yaml:"x-webhooks"`
		Comps    struct {
			Examples map[string]struct {
				Value any `yaml:"value"`
			} `yaml:"examples"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	type op struct {
		Post struct {
			RequestBody struct {
				Content map[string]struct {
					Example  any `yaml:"example"`
					Examples map[string]struct {
						Ref string `yaml:"$ref"`
					} `yaml:"examples"`
				} `yaml:"content"`
			} `yaml:"requestBody"`
		} `yaml:"post"`
	}
	var out []specExample
	nodes := spec.Webhooks.Content // key, value, key, value… in file order
	for i := 0; i+1 < len(nodes); i += 2 {
		name := nodes[i].Value
		var o op
		if err := nodes[i+1].Decode(&o); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		c := o.Post.RequestBody.Content["application/json"]
		ex := c.Example
		if ex == nil {
			ref := strings.TrimPrefix(c.Examples["default"].Ref, "#/components/examples/")
			ex = spec.Comps.Examples[ref].Value
		}
		if ex == nil {
			t.Fatalf("%s: no example in the spec", name)
		}
		body, err := json.Marshal(ex)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out = append(out, specExample{Type: name, Body: body})
	}
	if len(out) != specEventCount {
		t.Fatalf("spec has %d event types, want %d", len(out), specEventCount)
	}
	for _, ex := range out {
		if ex.Type == string(SubscriptionItemActive) {
			body := bytes.Replace(ex.Body, []byte(`"type":"subscriptionItem.active"`), []byte(`"type":"subscriptionItem.created"`), 1)
			out = append(out, specExample{Type: string(SubscriptionItemCreated), Body: body})
		}
	}
	return out
}

// payloadOf returns Payload[T] as a function returning any.
func payloadOf[T any](e *Event) (any, error) { return Payload[T](e) }

// accessors maps every payload kind to Payload instantiated with its type.
var accessors = map[payloadKind]func(*Event) (any, error){
	kindDeleted:                payloadOf[*DeletedObject],
	kindEmail:                  payloadOf[*Email],
	kindOrganization:           payloadOf[*clerk.Organization],
	kindOrganizationDomain:     payloadOf[*OrganizationDomain],
	kindOrganizationInvitation: payloadOf[*OrganizationInvitation],
	kindMembership:             payloadOf[*clerk.OrganizationMembership],
	kindPaymentAttempt:         payloadOf[*PaymentAttempt],
	kindPermission:             payloadOf[*Permission],
	kindRole:                   payloadOf[*Role],
	kindSession:                payloadOf[*Session],
	kindSMS:                    payloadOf[*SMSMessage],
	kindSubscription:           payloadOf[*Subscription],
	kindSubscriptionItem:       payloadOf[*SubscriptionItem],
	kindUser:                   payloadOf[*clerk.User],
	kindWaitlistEntry:          payloadOf[*WaitlistEntry],
}

// droppedFields lists, per payload kind, the spec example fields that the
// typed value has no field for (they stay readable in Event.Data). Each is a
// path from the data root; [] marks array elements. Every entry must be
// observed in some example, so the list cannot go stale.
var droppedFields = map[payloadKind][]string{
	// clerk.User lacks these (profile_image_url is the deprecated twin of
	// image_url); documented on Payload.
	kindUser: {"enterprise_accounts", "mfa_disabled_at", "mfa_enabled_at", "passkeys", "profile_image_url"},
	kindSession: {"user.enterprise_accounts", "user.mfa_disabled_at", "user.mfa_enabled_at", "user.passkeys",
		"user.profile_image_url"},
	// clerk.OrganizationMembershipPublicUserData lacks the deprecated
	// profile_image_url (image_url carries the same URL).
	kindMembership: {"public_user_data.profile_image_url"},
}

func TestSpecExamplesDecodeIntoTypedValues(t *testing.T) {
	examples := loadSpecExamples(t)
	if len(examples) != specEventCount+1 {
		t.Fatalf("got %d examples, want %d", len(examples), specEventCount+1)
	}
	v, err := NewVerifier(Config{SigningSecret: testSecret, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	seenDropped := map[payloadKind]map[string]bool{}
	for _, ex := range examples {
		t.Run(ex.Type, func(t *testing.T) {
			ev, err := v.Verify(signedHeader(t, testSecret, "msg_"+ex.Type, testNow, ex.Body), ex.Body)
			if err != nil {
				t.Fatal(err)
			}
			if ev.Type != ex.Type || ev.Object != "event" || ev.InstanceID == "" || ev.Attributes.HTTPRequest.ClientIP == "" {
				t.Fatalf("envelope: %+v", ev)
			}
			if !ev.Time().Equal(testNow) {
				t.Errorf("Time() = %v, want %v", ev.Time(), testNow)
			}
			kind := kindOf(ex.Type)
			if kind == kindUnknown {
				t.Fatalf("type %s has no payload kind", ex.Type)
			}
			// Exactly one accessor succeeds; the others report ErrWrongType.
			var got any
			for k, get := range accessors {
				val, err := get(ev)
				if k == kind {
					if err != nil {
						t.Fatalf("accessor %q: %v", k, err)
					}
					got = val
				} else if !isWrongType(err) {
					t.Errorf("accessor %q on %s: err = %v, want ErrWrongType", k, ex.Type, err)
				}
			}
			again, _ := accessors[kind](ev)
			if again != got {
				t.Error("second accessor call did not return the cached value")
			}
			// The lazy path (an Event built by hand) decodes the same value
			// as Verify's single pass.
			lazy, err := accessors[kind](&Event{Type: ev.Type, Data: ev.Data})
			if err != nil || !reflect.DeepEqual(lazy, got) {
				t.Errorf("lazy decode differs: %v", err)
			}
			data := decodeNumbers(t, ev.Data)
			checkKeyFields(t, ex.Type, kind, data, got)
			dropped := map[string]bool{}
			compareJSON(t, "", data, reflect.ValueOf(got), dropped)
			allowed := droppedFields[kind]
			for p := range dropped {
				if !slices.Contains(allowed, p) {
					t.Errorf("field %s of the example has no typed field (add it to the type or to droppedFields)", p)
				}
			}
			if seenDropped[kind] == nil {
				seenDropped[kind] = map[string]bool{}
			}
			for p := range dropped {
				seenDropped[kind][p] = true
			}
		})
	}
	for kind, paths := range droppedFields {
		for _, p := range paths {
			if !seenDropped[kind][p] {
				t.Errorf("droppedFields[%q] lists %s, which no example has", kind, p)
			}
		}
	}
}

func isWrongType(err error) bool { return errors.Is(err, ErrWrongType) }

func decodeNumbers(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

// at returns the value at a dotted path of decoded JSON ("a.b.0.c").
func at(v any, path string) any {
	for _, p := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// checkKeyFields asserts the identifying fields of each payload kind
// against the example's raw data.
func checkKeyFields(t *testing.T, eventType string, kind payloadKind, data map[string]any, got any) {
	t.Helper()
	eq := func(path string, gotVal any) {
		t.Helper()
		want := at(data, path)
		if want == nil {
			t.Errorf("example has no %s", path)
			return
		}
		if s := strings.TrimSpace(jsonString(t, gotVal)); s != jsonString(t, want) {
			t.Errorf("%s: typed %s, example %s", path, s, jsonString(t, want))
		}
	}
	switch v := got.(type) {
	case *DeletedObject:
		eq("id", v.ID)
		eq("object", v.Object)
		eq("deleted", v.Deleted)
		switch eventType {
		case string(UserDeleted):
			eq("external_id", v.ExternalID)
		case string(OrganizationDeleted):
			eq("slug", v.Slug)
		}
	case *Email:
		eq("id", v.ID)
		eq("object", v.Object)
		eq("to_email_address", v.ToEmailAddress)
		eq("user_id", v.UserID)
		eq("subject", v.Subject)
	case *SMSMessage:
		eq("id", v.ID)
		eq("object", v.Object)
		eq("to_phone_number", v.ToPhoneNumber)
		eq("message", v.Message)
	case *Session:
		eq("id", v.ID)
		eq("object", v.Object)
		eq("user_id", v.UserID)
		eq("status", v.Status)
		eq("user.id", v.User.ID)
		eq("user.first_name", v.User.FirstName)
		if at(data, "latest_activity") != nil {
			eq("latest_activity.id", v.LatestActivity.ID)
		}
	case *OrganizationDomain:
		eq("id", v.ID)
		eq("object", v.Object)
		eq("organization_id", v.OrganizationID)
		eq("name", v.Name)
		if v.PublicOrganizationData != nil {
			eq("public_organization_data.id", v.PublicOrganizationData.ID)
		} else if at(data, "public_organization_data") != nil {
			t.Error("public_organization_data not decoded")
		}
	case *OrganizationInvitation:
		eq("id", v.ID)
		eq("object", v.Object)
		eq("organization_id", v.OrganizationID)
		eq("email_address", v.EmailAddress)
		eq("status", v.Status)
		if eventType == string(OrganizationInvitationAccepted) {
			eq("user_id", v.UserID)
		}
	case *Role:
		eq("id", v.ID)
		eq("object", v.Object)
		eq("key", v.Key)
		eq("permissions.0.key", v.Permissions[0].Key)
	case *Permission:
		eq("id", v.ID)
		eq("object", v.Object)
		eq("key", v.Key)
	case *WaitlistEntry:
		eq("id", v.ID)
		eq("object", v.Object)
		eq("email_address", v.EmailAddress)
		eq("status", v.Status)
		if v.Invitation != nil {
			eq("invitation.id", v.Invitation.ID)
		}
	case *Subscription:
		eq("id", v.ID)
		eq("object", v.Object)
		eq("status", v.Status)
		eq("payer.user_id", v.Payer.UserID)
		eq("items.0.id", v.Items[0].ID)
		eq("items.0.plan.id", v.Items[0].Plan.ID)
	case *SubscriptionItem:
		eq("id", v.ID)
		eq("object", v.Object)
		eq("status", v.Status)
		eq("plan.id", v.Plan.ID)
		eq("payer.user_id", v.Payer.UserID)
	case *PaymentAttempt:
		eq("id", v.ID)
		eq("status", v.Status)
		eq("payer.user_id", v.Payer.UserID)
		eq("totals.grand_total.amount", v.Totals.GrandTotal.Amount)
		eq("subscription_items.0.plan.id", v.SubscriptionItems[0].Plan.ID)
	default:
		// clerk-sdk-go types: check through their JSON field names.
		switch kind {
		case kindUser:
			eq("id", field(got, "ID"))
			eq("object", field(got, "Object"))
			eq("first_name", field(got, "FirstName"))
			eq("primary_email_address_id", field(got, "PrimaryEmailAddressID"))
		case kindOrganization:
			eq("id", field(got, "ID"))
			eq("object", field(got, "Object"))
			eq("slug", field(got, "Slug"))
			eq("created_by", field(got, "CreatedBy"))
		case kindMembership:
			eq("id", field(got, "ID"))
			eq("object", field(got, "Object"))
			eq("role", field(got, "Role"))
			eq("organization.id", field(field(got, "Organization"), "ID"))
			eq("public_user_data.user_id", field(field(got, "PublicUserData"), "UserID"))
		default:
			t.Fatalf("no key-field check for %T", got)
		}
	}
}

func field(v any, name string) any {
	return reflect.Indirect(reflect.ValueOf(v)).FieldByName(name).Interface()
}

func jsonString(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var rawMessageType = reflect.TypeFor[json.RawMessage]()

// compareJSON checks that got holds every value of want (JSON decoded with
// UseNumber) at the same place, and records in dropped the object keys
// that got's type has no field for.
func compareJSON(t *testing.T, path string, want any, got reflect.Value, dropped map[string]bool) {
	t.Helper()
	for got.Kind() == reflect.Pointer || got.Kind() == reflect.Interface {
		if got.IsNil() {
			if want != nil {
				t.Errorf("%s: typed value is nil, example has %v", path, want)
			}
			return
		}
		got = got.Elem()
	}
	if got.Type() == rawMessageType {
		var w any
		dec := json.NewDecoder(bytes.NewReader(got.Bytes()))
		dec.UseNumber()
		if err := dec.Decode(&w); err != nil || !reflect.DeepEqual(w, want) {
			t.Errorf("%s: raw %s, example %v", path, got.Bytes(), want)
		}
		return
	}
	switch w := want.(type) {
	case nil:
		if !got.IsZero() {
			t.Errorf("%s: typed %v, example null", path, got)
		}
	case map[string]any:
		if got.Kind() != reflect.Struct {
			t.Errorf("%s: example object into %s", path, got.Type())
			return
		}
		for k, v := range w {
			f, ok := fieldByJSONName(got, k)
			if !ok {
				dropped[strings.TrimPrefix(path+"."+k, ".")] = true
				continue
			}
			compareJSON(t, path+"."+k, v, f, dropped)
		}
	case []any:
		if got.Kind() != reflect.Slice || got.Len() != len(w) {
			t.Errorf("%s: example array of %d into %s", path, len(w), got.Type())
			return
		}
		for i := range w {
			compareJSON(t, path+"[]", w[i], got.Index(i), dropped)
		}
	case string:
		if got.Kind() != reflect.String || got.String() != w {
			t.Errorf("%s: typed %v, example %q", path, got, w)
		}
	case bool:
		if got.Kind() != reflect.Bool || got.Bool() != w {
			t.Errorf("%s: typed %v, example %v", path, got, w)
		}
	case json.Number:
		var same bool
		switch got.Kind() {
		case reflect.Int, reflect.Int32, reflect.Int64:
			n, err := w.Int64()
			same = err == nil && n == got.Int()
		case reflect.Float64:
			f, err := w.Float64()
			same = err == nil && f == got.Float()
		}
		if !same {
			t.Errorf("%s: typed %v (%s), example %s", path, got, got.Type(), w)
		}
	default:
		t.Fatalf("%s: unexpected JSON value %T", path, want)
	}
}

// fieldByJSONName finds the field encoding/json would fill for key: direct
// fields first, then those of embedded structs.
func fieldByJSONName(v reflect.Value, key string) (reflect.Value, bool) {
	var embedded []reflect.Value
	for i := 0; i < v.NumField(); i++ {
		sf := v.Type().Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" || !sf.IsExported() {
			continue
		}
		if sf.Anonymous && tag == "" {
			embedded = append(embedded, v.Field(i))
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if name == "" {
			name = sf.Name
		}
		if name == key {
			return v.Field(i), true
		}
	}
	for _, e := range embedded {
		if f, ok := fieldByJSONName(e, key); ok {
			return f, true
		}
	}
	return reflect.Value{}, false
}

func TestDroppedFieldsAreSorted(t *testing.T) {
	for k, paths := range droppedFields {
		if !sort.StringsAreSorted(paths) {
			t.Errorf("droppedFields[%q] is not sorted", k)
		}
	}
}
