// Package queue connects CivicFlow to the Redis that carries background tasks through asynq: a Redis
// server in production, or an in-process Redis (miniredis) as the embedded default. Redis only carries
// work; the database stays the source of truth, so losing Redis loses no message (see package notify).
package queue

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/civicflow/civicflow/database"
)

// LogRedisAtDebug sends go-redis's own messages, such as each failed dial while Redis is down, to
// slog at debug level: a Broker's outage log reports an outage, once. go-redis has one logger for
// the whole process, so the process's main sets it.
func LogRedisAtDebug() { redis.SetLogger(redisLog{}) }

type redisLog struct{}

func (redisLog) Printf(ctx context.Context, format string, v ...any) {
	slog.DebugContext(ctx, fmt.Sprintf(format, v...), "component", "redis")
}

// Classify tells whether err, from go-redis or from asynq over it, means that Redis cannot be reached
// right now (database.Classify is the database's): a network error, an EOF of its connection, a
// deadline, or a Redis still LOADING its data set after a restart. A cancelled context, a client
// closed at shutdown and Redis's other answers are no outage.
func Classify(err error) database.Outage {
	switch {
	case err == nil, errors.Is(err, context.Canceled), errors.Is(err, redis.ErrClosed):
		return database.NoOutage
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return database.Unreachable
	}
	var netErr net.Error
	var answer redis.Error
	if errors.As(err, &netErr) || errors.As(err, &answer) && strings.HasPrefix(answer.Error(), "LOADING ") {
		return database.Unreachable
	}
	return database.NoOutage
}

// Unavailable reports whether err is an outage of the database or of Redis. Their outage logs say
// when one starts and when it ends, so background work that meets it on every pass logs nothing more.
func Unavailable(err error) bool {
	return database.Unavailable(err) || Classify(err) != database.NoOutage
}

// Broker is the Redis connection shared by the task client, the worker and the readiness check.
type Broker struct {
	// Opt configures asynq clients and servers.
	Opt      asynq.RedisConnOpt
	Embedded bool
	rdb      redis.UniversalClient
	mini     *miniredis.Miniredis
	outages  database.OutageLog
}

// Open connects to the Redis at url, or starts an in-process Redis when url is empty. A Redis server
// that does not answer yet is no reason to fail: the broker is returned all the same, its Ping fails
// (so /readyz says "redis: unreachable"), the outbox keeps every message, and the client connects
// when Redis answers. Open fails only on a malformed URL or an in-process Redis that cannot start.
func Open(ctx context.Context, url string) (*Broker, error) {
	if url == "" {
		m := miniredis.NewMiniRedis()
		if err := m.Start(); err != nil {
			return nil, fmt.Errorf("starting the in-process Redis: %w", err)
		}
		slog.InfoContext(ctx, "in-process Redis started (tasks do not survive a restart; the outbox re-sends them)")
		return newBroker(ctx, asynq.RedisClientOpt{Addr: m.Addr()}, m)
	}
	opt, err := asynq.ParseRedisURI(url)
	if err != nil {
		return nil, fmt.Errorf("parsing the Redis URL: %w", err)
	}
	return newBroker(ctx, opt, nil)
}

func newBroker(ctx context.Context, opt asynq.RedisConnOpt, mini *miniredis.Miniredis) (*Broker, error) {
	rdb, ok := opt.MakeRedisClient().(redis.UniversalClient)
	if !ok {
		return nil, fmt.Errorf("unsupported Redis connection option %T", opt)
	}
	b := &Broker{Opt: opt, Embedded: mini != nil, rdb: rdb, mini: mini, outages: database.OutageLog{Name: "redis", Classify: Classify}}
	_ = b.Ping(ctx) // logs an outage; the connection comes when Redis answers
	return b, nil
}

// Ping checks that Redis answers. The first failure of an outage and the first success after it are
// logged, once each.
func (b *Broker) Ping(ctx context.Context) error {
	err := b.rdb.Ping(ctx).Err()
	b.outages.Observe(ctx, err, true)
	if err != nil {
		return fmt.Errorf("reaching Redis: %w", err)
	}
	return nil
}

// unreachableWords are in the text of the errors that say Redis cannot be reached (see Classify), as
// asynq logs them: as text, their types lost.
var unreachableWords = []string{"connection refused", "connection reset", "broken pipe", "i/o timeout", "EOF",
	"LOADING ", "no such host", "network is unreachable"}

// ObserveLogged takes a message that asynq logged. One that says Redis cannot be reached goes to the
// broker's outage log, which reports the outage once however many passes of asynq's meet it, and
// ObserveLogged returns true; the caller logs any other message itself.
func (b *Broker) ObserveLogged(ctx context.Context, msg string) bool {
	if !slices.ContainsFunc(unreachableWords, func(w string) bool { return strings.Contains(msg, w) }) {
		return false
	}
	b.outages.Report(ctx, database.Unreachable, errors.New(msg), false)
	return true
}

// Redis returns the underlying client, for tests and inspection.
func (b *Broker) Redis() redis.UniversalClient { return b.rdb }

// Close closes the connection and stops the in-process Redis, if any.
func (b *Broker) Close() {
	_ = b.rdb.Close()
	if b.mini != nil {
		b.mini.Close()
	}
}
