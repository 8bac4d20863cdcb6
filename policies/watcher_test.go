package policies_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/stacktest"
)

// The watcher calls back once per revision of the policies, the first on its first poll, and none
// after Run has returned.
func TestWatcher(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		w := policies.NewWatcher(s.DB, 10*time.Millisecond)
		var last atomic.Int64
		last.Store(-1)
		calls := atomic.Int64{}
		if err := w.SetUpdateCallback(func(rev string) {
			n, err := strconv.ParseInt(rev, 10, 64)
			if err != nil {
				t.Errorf("callback got %q", rev)
			}
			last.Store(n)
			calls.Add(1)
		}); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- w.Run(ctx) }()
		stacktest.Eventually(t, "first poll", func() bool { return last.Load() == 0 })
		if err := w.Update(); err != nil {
			t.Fatal(err)
		}
		stacktest.Eventually(t, "the update", func() bool { return last.Load() == 1 })
		if n := calls.Load(); n != 2 {
			t.Fatalf("%d callbacks for two revisions", n)
		}
		w.Close()
		w.Close()                      // twice is harmless
		if err := <-done; err != nil { // Run returned: no more callbacks
			t.Fatal(err)
		}
	})
}
