package webhooks

import (
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
)

func TestEventTimeInfersUnit(t *testing.T) {
	for _, tc := range []struct {
		ts   int64
		want time.Time
	}{
		{0, time.Time{}},
		{1716883200, time.Unix(1716883200, 0)},             // seconds, as in the spec examples
		{1716883200123, time.UnixMilli(1716883200123)},     // milliseconds, as in the docs
		{99_999_999_999, time.Unix(99_999_999_999, 0)},     // largest value read as seconds
		{100_000_000_000, time.UnixMilli(100_000_000_000)}, // smallest read as milliseconds
		{-1, time.Unix(-1, 0)},
	} {
		if got := (&Event{Timestamp: tc.ts}).Time(); !got.Equal(tc.want) {
			t.Errorf("Time(%d) = %v, want %v", tc.ts, got, tc.want)
		}
	}
}

func TestEventUpdatedAt(t *testing.T) {
	for data, want := range map[string]int64{
		`{"id":"user_1","updated_at":1716883500000}`: 1716883500000,
		`{"id":"user_1","deleted":true}`:             0,
		`{"updated_at":null}`:                        0,
		`{"updated_at":"soon"}`:                      0,
		`[1]`:                                        0,
	} {
		got, ok := (&Event{Data: json.RawMessage(data)}).UpdatedAt()
		if ok != (want != 0) || (ok && !got.Equal(time.UnixMilli(want))) {
			t.Errorf("UpdatedAt(%s) = %v, %v", data, got, ok)
		}
	}
}

func TestPayloadConcurrent(t *testing.T) {
	ev := &Event{Type: string(UserCreated), Data: userBodyData()}
	var wg sync.WaitGroup
	results := make(chan any, 16)
	for range 16 {
		wg.Go(func() {
			u, err := Payload[*clerk.User](ev)
			if err != nil {
				t.Error(err)
			}
			results <- u
		})
	}
	wg.Wait()
	close(results)
	first := <-results
	for u := range results {
		if u != first {
			t.Fatal("Payload decoded more than once")
		}
	}
}

func userBodyData() json.RawMessage {
	var env struct{ Data json.RawMessage }
	if err := json.Unmarshal(userBody(string(UserCreated), "user_1", 1), &env); err != nil {
		panic(err)
	}
	return env.Data
}

func TestPayloadErrors(t *testing.T) {
	ev := &Event{Type: string(SessionCreated), Data: json.RawMessage(`{}`)}
	_, err := Payload[*clerk.User](ev)
	if !errors.Is(err, ErrWrongType) || !strings.Contains(err.Error(), `"session.created"`) ||
		!strings.HasPrefix(err.Error(), "clerkkit/webhooks: ") {
		t.Fatalf("err = %v", err)
	}
	// Malformed data: the error is cached and names no data.
	ev = &Event{Type: string(UserCreated), Data: json.RawMessage(`{"id":"secret-ish","first_name":12345}`)}
	for range 2 {
		_, err = Payload[*clerk.User](ev)
		if !errors.Is(err, ErrMalformedPayload) || strings.Contains(err.Error(), "12345") || strings.Contains(err.Error(), "secret-ish") {
			t.Fatalf("err = %v", err)
		}
	}
	// The wrong type is reported as such even when the data is malformed.
	if _, err := Payload[*Session](ev); !errors.Is(err, ErrWrongType) {
		t.Fatalf("err = %v", err)
	}
	ev = &Event{Type: string(UserCreated), Data: json.RawMessage(`{"id":"x", "first_name": tru}`)}
	if _, err = Payload[*clerk.User](ev); !errors.Is(err, ErrMalformedPayload) || strings.Contains(err.Error(), "tru") {
		t.Fatalf("err = %v", err)
	}
}
