package queue_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/civicflow/civicflow/database"
	"github.com/civicflow/civicflow/queue"
	"github.com/civicflow/civicflow/stacktest"
)

// Redis's errors, as go-redis reports them, are told apart: a Redis that cannot be reached or is still
// loading its data is an outage; its other answers, a closed client and a cancelled call are none.
func TestClassify(t *testing.T) {
	ctx := context.Background()
	ping := func(addr string) error {
		rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
		defer rdb.Close()
		return rdb.Ping(ctx).Err()
	}
	closed := stacktest.ServeTCP(t, func(c net.Conn) { c.Close() })
	loading := stacktest.ServeTCP(t, func(c net.Conn) {
		defer c.Close()
		r := bufio.NewReader(c)
		for {
			if _, err := r.ReadString('\n'); err != nil {
				return
			}
			if _, err := c.Write([]byte("-LOADING Redis is loading the dataset in memory\r\n")); err != nil {
				return
			}
		}
	})
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	refused := ln.Addr().String()
	ln.Close()
	shut := redis.NewClient(&redis.Options{Addr: refused})
	shut.Close()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	for _, tc := range []struct {
		name string
		err  error
		want database.Outage
	}{
		{"connection refused", fmt.Errorf("enqueueing: %w", ping(refused)), database.Unreachable},
		{"EOF", ping(closed), database.Unreachable},
		{"loading its data", ping(loading), database.Unreachable},
		{"a closed client", shut.Ping(ctx).Err(), database.NoOutage},
		{"caller went away", redis.NewClient(&redis.Options{Addr: refused}).Ping(cancelled).Err(), database.NoOutage},
		{"no such key", redis.Nil, database.NoOutage},
		{"a bug", errors.New("nil map"), database.NoOutage},
		{"nothing", nil, database.NoOutage},
	} {
		if got := queue.Classify(tc.err); got != tc.want {
			t.Errorf("%s (%v): %s, want %s", tc.name, tc.err, got, tc.want)
		}
	}
}
