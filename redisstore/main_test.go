package redisstore_test

import (
	"crypto/rand"
	"net"
	"os"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
)

// envRedisURL names the variable holding the URL of the Redis server the
// tests use, e.g. redis://127.0.0.1:6379/0 or unix:///tmp/redis.sock (.ci/run
// starts one and sets it). Every test uses keys under a prefix of its own.
const envRedisURL = "TEST_REDIS_URL"

// envHelper, when set, makes the test binary a verifier process of
// TestMachineCacheAcrossProcesses instead of running the tests.
const envHelper = "CLERKKIT_REDISSTORE_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(envHelper) != "" {
		os.Exit(helperMain())
	}
	os.Exit(m.Run())
}

// redisURL returns TEST_REDIS_URL; without it the test is skipped, or fails
// under CI (CI set), which must run these tests.
func redisURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(envRedisURL)
	if u == "" {
		if os.Getenv("CI") != "" {
			t.Fatal(envRedisURL + " is not set: CI must run the Redis tests (.ci/run starts a redis-server)")
		}
		t.Skip(envRedisURL + " is not set: no Redis tests")
	}
	return u
}

// newClient returns a client of TEST_REDIS_URL's server, closed when the
// test ends. contextTimeout is its ContextTimeoutEnabled.
func newClient(t testing.TB, contextTimeout bool) *redis.Client {
	t.Helper()
	opt, err := redis.ParseURL(redisURL(t))
	if err != nil {
		t.Fatal(envRedisURL + " is not a Redis URL") // the URL may hold a password
	}
	opt.ContextTimeoutEnabled = contextTimeout
	c := redis.NewClient(opt)
	t.Cleanup(func() { c.Close() })
	if err := c.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("%s: ping: %v", envRedisURL, err)
	}
	return c
}

// testPrefix is a key prefix unique to one test.
func testPrefix() string { return "clerkkit-test:" + rand.Text() + ":" }

// closedAddr returns a loopback address nothing listens on: connecting to
// it is refused.
func closedAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// blackhole returns the address of a loopback server that accepts
// connections and reads from them but never answers: a Redis that hangs.
func blackhole(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go func() {
				buf := make([]byte, 4096)
				for {
					if _, err := c.Read(buf); err != nil {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}

// newRawClient returns a client of go-redis's defaults (a 3s read
// timeout, ignoring contexts, and retries) for addr, closed when the test
// ends.
func newRawClient(t testing.TB, addr string) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { c.Close() })
	return c
}
