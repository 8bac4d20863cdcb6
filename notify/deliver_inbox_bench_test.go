package notify

import (
	"context"
	"testing"
	"time"

	"github.com/civicflow/civicflow/stacktest"
)

// benchInboxRows is the size of one benchmark round: the in-app half of a campaign's notifications
// to a few thousand organisations.
const benchInboxRows = 10000

// BenchmarkDeliverInbox delivers 10,000 pending in-app messages the way the relay does, one
// DeliverInbox batch after another, on SQLite and, when configured, PostgreSQL, and reports
// messages per second. Writing the rows is left out of the time.
func BenchmarkDeliverInbox(b *testing.B) {
	stacktest.EachBench(b, benchDeliverInbox)
}

func benchDeliverInbox(b *testing.B, s *stacktest.Stack) {
	ctx := context.Background()
	d := NewDeliverer(s.DB, Senders{}, 3, nil)
	var elapsed time.Duration
	for range b.N {
		b.StopTimer()
		sendInbox(b, s.DB, benchInboxRows, roleData)
		b.StartTimer()
		start := time.Now()
		delivered := 0
		for {
			n, err := d.DeliverInbox(ctx, InboxBatch)
			if err != nil {
				b.Fatal(err)
			}
			if n == 0 {
				break
			}
			delivered += n
		}
		elapsed += time.Since(start)
		if delivered != benchInboxRows {
			b.Fatalf("delivered %d, want %d", delivered, benchInboxRows)
		}
	}
	b.ReportMetric(float64(b.N*benchInboxRows)/elapsed.Seconds(), "msgs/s")
}
