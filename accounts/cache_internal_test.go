package accounts

import (
	"testing"
	"time"
)

// An entry read from the database before a forgetting is not stored: it may be what was forgotten
// (a process read the token just before another revoked it, and heard of it before storing it).
func TestCacheDropsAFillThatAForgettingOvertook(t *testing.T) {
	c := NewCache(time.Hour, nil)
	c.subscribed(true)
	now := time.Now()
	e := cached{key: tokenKey("x"), user: User{ID: 7}}
	_, gen, _ := c.get(e.key, now)
	c.forget("u:7")
	c.put(gen, e, now)
	if _, _, ok := c.get(e.key, now); ok {
		t.Fatal("stored an entry read before a forgetting")
	}
	_, gen, _ = c.get(e.key, now)
	c.put(gen, e, now)
	if _, _, ok := c.get(e.key, now); !ok {
		t.Fatal("did not store an entry")
	}
	if _, _, ok := c.get(e.key, now.Add(time.Hour)); ok {
		t.Fatal("an entry outlived the cache's lifetime")
	}
	c.subscribed(false)
	if _, _, ok := c.get(e.key, now); ok {
		t.Fatal("used the cache without its subscription")
	}
}
