package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/civicflow/civicflow/database"
)

// listenQuiet is how long a listener hears nothing before it pings Redis, and how long it then waits
// for the answer before it takes the connection for lost: a connection that died without closing is
// noticed within twice this.
const listenQuiet = 2 * time.Second

// listenRetry is the pause before a lost subscription is made again.
const listenRetry = time.Second

// channel is topic's pub/sub channel. Redis's channels belong to the server, not to one of its
// databases: the database number in the name keeps installations (and tests) that share a server
// by database apart, as their tasks are.
func (b *Broker) channel(topic string) string {
	db := 0
	if c, ok := b.rdb.(*redis.Client); ok {
		db = c.Options().DB
	}
	return fmt.Sprintf("civicflow:%d:%s", db, topic)
}

// Publish sends msg to every process listening on topic now (Listen); one not listening never
// hears it.
func (b *Broker) Publish(ctx context.Context, topic, msg string) error {
	if err := b.rdb.Publish(ctx, b.channel(topic), msg).Err(); err != nil {
		return fmt.Errorf("publishing on %s: %w", topic, err)
	}
	return nil
}

// Listen hears topic until ctx ends: heard gets each message, live(true) is called each time the
// subscription starts and live(false) each time it is lost, after which the messages published until
// the next live(true) are never heard. A lost subscription (Redis restarted or unreachable, or a
// connection that stopped answering pings) is made again by itself.
func (b *Broker) Listen(ctx context.Context, topic string, live func(bool), heard func(string)) error {
	for {
		err := b.listen(ctx, b.channel(topic), live, heard)
		live(false)
		if ctx.Err() != nil {
			return nil
		}
		if Classify(err) == database.NoOutage {
			slog.WarnContext(ctx, "queue: listening on a channel", "topic", topic, "err", err)
		}
		b.outages.Observe(ctx, err, false) // an outage is logged once, when it starts
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(listenRetry):
		}
	}
}

// listen subscribes to channel and hears it until the subscription fails or ctx ends.
func (b *Broker) listen(ctx context.Context, channel string, live func(bool), heard func(string)) error {
	ps := b.rdb.Subscribe(ctx, channel)
	defer ps.Close()
	stop := context.AfterFunc(ctx, func() { _ = ps.Close() }) // a receive in progress ends at once
	defer stop()
	pinged := false
	for {
		m, err := ps.ReceiveTimeout(ctx, listenQuiet)
		var netErr net.Error
		switch {
		case err == nil:
			pinged = false
		case !pinged && errors.As(err, &netErr) && netErr.Timeout():
			pinged = true // nothing heard for a while: the answer to a ping shows the connection stands
			if err := ps.Ping(ctx); err != nil {
				return err
			}
			continue
		default:
			return err
		}
		switch m := m.(type) {
		case *redis.Subscription:
			if m.Kind == "subscribe" {
				b.outages.Observe(ctx, nil, false)
				live(true)
			}
		case *redis.Message:
			heard(m.Payload)
		}
	}
}
