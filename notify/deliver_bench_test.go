package notify

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/civicflow/civicflow/stacktest"
	"github.com/civicflow/civicflow/tasks"
)

// benchEmailRows is the size of one benchmark round: the e-mail half of a campaign's notifications
// to a few thousand organisations.
const benchEmailRows = 2000

// BenchmarkDeliverEmail delivers 2,000 pending e-mail rows through the log sender the way the worker
// does, one task of DeliverBatch rows after another, on SQLite and, when configured, PostgreSQL, and
// reports rows per second. Writing the rows and asynq are left out of the time.
func BenchmarkDeliverEmail(b *testing.B) {
	stacktest.EachBench(b, benchDeliverEmail)
}

func benchDeliverEmail(b *testing.B, s *stacktest.Stack) {
	ctx := context.Background()
	d := NewDeliverer(s.DB, Senders{}, 3, nil)
	var elapsed time.Duration
	for range b.N {
		b.StopTimer()
		ids := sendEmails(b, s.DB, benchEmailRows)
		b.StartTimer()
		start := time.Now()
		for batch := range slices.Chunk(ids, DeliverBatch) {
			if err := d.ProcessTask(ctx, tasks.NewDeliver(batch...)); err != nil {
				b.Fatal(err)
			}
		}
		elapsed += time.Since(start)
		if n := count(b, s.DB, "outbox", "channel = ? AND status = ?", Email, StatusPending); n != 0 {
			b.Fatalf("%d e-mail rows left pending", n)
		}
	}
	b.ReportMetric(float64(b.N*benchEmailRows)/elapsed.Seconds(), "rows/s")
}
