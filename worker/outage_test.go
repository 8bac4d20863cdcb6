package worker

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/civicflow/civicflow/database"
	"github.com/civicflow/civicflow/notify"
	"github.com/civicflow/civicflow/queue"
	"github.com/civicflow/civicflow/stacktest"
)

// logBuffer is a log that tests read while it is written.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) lines() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Split(strings.TrimSpace(b.buf.String()), "\n")
}

// count is how many lines have msg as their message.
func (b *logBuffer) count(msg string) int {
	n := 0
	for _, l := range b.lines() {
		if strings.Contains(l, `msg="`+msg+`"`) {
			n++
		}
	}
	return n
}

// complaints are the warnings and errors logged besides the outage lines.
func (b *logBuffer) complaints() []string {
	var out []string
	for _, l := range b.lines() {
		if (strings.Contains(l, "level=WARN") || strings.Contains(l, "level=ERROR")) && !strings.Contains(l, ` unavailable"`) {
			out = append(out, l)
		}
	}
	return out
}

// While Redis or the database is out, a worker logs one line when the outage starts and one when it
// ends, however many passes of the relay, of its periodic work and of asynq's own loops meet it.
func TestOutagesAreLoggedOnceByTheWorker(t *testing.T) {
	log := &logBuffer{}
	logger := slog.New(slog.NewTextHandler(log, nil))
	defer slog.SetDefault(slog.Default())
	slog.SetDefault(logger) // the outage logs of the database and the broker, the relay, the policies
	m := miniredis.NewMiniRedis()
	if err := m.StartAddr(stacktest.FreeAddr(t)); err != nil { // restarted there below
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	ctx := context.Background()
	s := stacktest.SQLite(t)
	b, err := queue.Open(ctx, "redis://"+m.Addr()+"/0")
	if err != nil {
		t.Fatal(err)
	}
	// Cleanups run last first: the worker stops (start's cleanup) before its Redis client closes,
	// whose closing under a running asynq server panics in asynq's subscriber.
	t.Cleanup(b.Close)
	w := New(s.DB, b, testConfig(), notify.Senders{}, WithLogger(logger), WithPollInterval(20*time.Millisecond),
		WithTicker("probe", 20*time.Millisecond, func(ctx context.Context) error { return database.Probe(ctx, s.DB) }))
	stop := start(t, w)
	time.Sleep(200 * time.Millisecond)

	m.Close()
	waitFor(t, "the Redis outage is logged", func() bool { return log.count("redis unavailable") > 0 })
	time.Sleep(1500 * time.Millisecond) // some 75 passes of the relay, the pinger and asynq's dequeuing
	if err := m.Restart(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the end of the Redis outage is logged", func() bool { return log.count("redis available again") > 0 })

	writable := s.ReadOnly(t)
	waitFor(t, "the database outage is logged", func() bool { return log.count("database unavailable") > 0 })
	time.Sleep(500 * time.Millisecond)
	writable()
	waitFor(t, "the end of the database outage is logged", func() bool { return log.count("database available again") > 0 })
	stop()

	for _, msg := range []string{"redis unavailable", "redis available again", "database unavailable", "database available again"} {
		if n := log.count(msg); n != 1 {
			t.Errorf("%d lines %q, want 1", n, msg)
		}
	}
	if c := log.complaints(); len(c) > 0 {
		t.Errorf("%d more warnings and errors during the outages, want none:\n%s", len(c), strings.Join(c, "\n"))
	}
}
