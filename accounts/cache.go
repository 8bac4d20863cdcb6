package accounts

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/civicflow/civicflow/queue"
)

// cacheEntries bounds a Cache: ten times the two thousand people of the busiest burst measured (a hot
// booking day), a few megabytes. A person it has no room for is read from the database, as without it.
const cacheEntries = 20000

// evictTopic is the pub/sub topic on which processes tell each other what to forget.
const evictTopic = "auth-evict"

// Cache remembers, in one process, what authenticating a session or an API token found — the user
// and what decides whether the token is still good — so that a person's next requests are let in
// without reading the database. It is keyed by the token's hash, never the token.
//
// Revocation stays immediate: every write that changes what authentication finds (logging out, ending
// sessions, revoking a token, a new password, a new language) forgets the user's entries in this process
// and publishes that on Redis, and every process forgets them when it hears it. A process uses its
// cache only while it is subscribed (Listen), and starts it empty on each new subscription, since it
// may have missed messages meanwhile. An entry also lasts at most the configured lifetime, which bounds
// what changes made past CivicFlow (in the database by hand) or a message that never arrived can leave.
//
// A nil Cache remembers nothing: every request reads the database.
type Cache struct {
	broker  *queue.Broker
	ttl     time.Duration
	entries *lru.Cache[string, cached]

	// mu orders storing an entry against forgetting: an entry read from the database before a
	// forgetting (gen moved on since) is not stored, for it may be what was forgotten.
	mu   sync.Mutex
	gen  atomic.Uint64
	live atomic.Bool // subscribed to the other processes' evictions
}

// cached is what authenticating a token found.
type cached struct {
	key  string
	user User
	// until is when the entry must be read again (the cache's lifetime from the read).
	until time.Time
	// expires is the session's or the token's expiry; zero for a token that does not expire.
	expires time.Time
	// used is the session's last_seen_at or the token's last_used_at (zero: never used).
	used    time.Time
	tokenID int64
}

// NewCache returns a cache whose entries last ttl at most, telling other processes through broker;
// nil when ttl is 0 (the cache is off).
func NewCache(ttl time.Duration, broker *queue.Broker) *Cache {
	if ttl <= 0 {
		return nil
	}
	entries, _ := lru.New[string, cached](cacheEntries) // fails only for a size ≤ 0
	return &Cache{broker: broker, ttl: ttl, entries: entries}
}

// Listen keeps the cache in step with the other processes' evictions until ctx ends; the cache is used
// only while it runs and is subscribed. Run it in its own goroutine.
func (c *Cache) Listen(ctx context.Context) error {
	if c == nil {
		return nil
	}
	return c.broker.Listen(ctx, evictTopic, c.subscribed, c.forget)
}

// subscribed starts the cache empty when a subscription starts, and stops using it when one is lost.
func (c *Cache) subscribed(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen.Add(1)
	c.entries.Purge()
	c.live.Store(on)
}

// get returns the live entry of key, if any, and the generation to store an entry read now with.
func (c *Cache) get(key string, now time.Time) (cached, uint64, bool) {
	if c == nil {
		return cached{}, 0, false
	}
	gen := c.gen.Load()
	if !c.live.Load() {
		return cached{}, gen, false
	}
	e, ok := c.entries.Get(key)
	if !ok || !now.Before(e.until) || !e.expires.IsZero() && !now.Before(e.expires) {
		return cached{}, gen, false
	}
	return e, gen, true
}

// put stores e unless something was forgotten since gen was taken (get) or the cache is not in use.
// A new entry lasts the cache's lifetime from now.
func (c *Cache) put(gen uint64, e cached, now time.Time) {
	if c == nil {
		return
	}
	if e.until.IsZero() {
		e.until = now.Add(c.ttl)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen.Load() == gen && c.live.Load() {
		c.entries.Add(e.key, e)
	}
}

// forget drops what msg names, in this process: one token's entry (its key) or every entry of a user
// ("u:" and the user's id).
func (c *Cache) forget(msg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen.Add(1)
	id, ok := strings.CutPrefix(msg, "u:")
	if !ok {
		c.entries.Remove(msg)
		return
	}
	userID, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return
	}
	for _, e := range c.entries.Values() {
		if e.user.ID == userID {
			c.entries.Remove(e.key)
		}
	}
}

// evict forgets msg (see forget) here and in every process listening. Call it once the change is
// committed: a process reading the database before that could store the old state again. A message
// that cannot be sent is logged: the processes that miss it keep the entries until they expire or
// until they notice that Redis was out.
func (c *Cache) evict(ctx context.Context, msg string) {
	if c == nil {
		return
	}
	c.forget(msg)
	if err := c.broker.Publish(context.WithoutCancel(ctx), evictTopic, msg); err != nil {
		slog.WarnContext(ctx, "accounts: telling other processes to forget a sign-in", "err", err)
	}
}

// evictUser forgets every session and token of the user (see evict).
func (c *Cache) evictUser(ctx context.Context, userID int64) {
	c.evict(ctx, "u:"+strconv.FormatInt(userID, 10))
}

// sessionKey and tokenKey are the cache keys of a session and an API token: their stored hashes.
func sessionKey(hash string) string { return "s:" + hash }
func tokenKey(hash string) string   { return "t:" + hash }
