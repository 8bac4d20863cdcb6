package notify

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/stacktest"
)

// logins numbers the users sendInbox adds, whose logins must differ.
var logins atomic.Int64

// sendInbox writes n in-app messages, spread over a few users, in one transaction.
func sendInbox(t testing.TB, db *bun.DB, n int, data func(i int) map[string]any) {
	t.Helper()
	ctx := context.Background()
	var users []int64
	for i := range min(n, 20) {
		users = append(users, addUser(t, db, fmt.Sprintf("inbox%d", logins.Add(1)), []string{"zh-CN", "en"}[i%2], "", ""))
	}
	msgs := make([]Message, n)
	for i := range msgs {
		msgs[i] = Message{UserID: users[i%len(users)], Template: "role_granted", Channels: []Channel{Inbox}, Data: data(i)}
	}
	if err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error { return SendMany(ctx, tx, msgs) }); err != nil {
		t.Fatal(err)
	}
}

func roleData(i int) map[string]any {
	return map[string]any{"jurisdiction": "东城区", "role": fmt.Sprintf("reviewer %d", i)}
}

// checkDeliveredOnce fails unless every inbox row is delivered with one attempt, one message and one
// successful ledger row.
func checkDeliveredOnce(t *testing.T, db bun.IDB, want int) {
	t.Helper()
	if n := count(t, db, "outbox", "channel = ? AND status = ? AND attempts = 1", Inbox, StatusDelivered); n != want {
		t.Errorf("%d rows delivered at the first attempt, want %d", n, want)
	}
	if n := count(t, db, "messages", "1 = 1"); n != want {
		t.Errorf("%d inbox messages, want %d", n, want)
	}
	if n := count(t, db, "deliveries", "ok AND attempt = 1"); n != want {
		t.Errorf("%d ledger rows, want %d", n, want)
	}
	var dup int
	if err := db.NewRaw(`SELECT COUNT(*) FROM (SELECT outbox_id FROM deliveries GROUP BY outbox_id HAVING COUNT(*) > 1) AS d`).
		Scan(context.Background(), &dup); err != nil || dup != 0 {
		t.Errorf("%d rows with more than one ledger row (%v)", dup, err)
	}
}

func TestDeliverInboxInBatches(t *testing.T) {
	t.Parallel()
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		clock := newFakeClock()
		d := NewDeliverer(s.DB, Senders{}, 3, clock.Now)
		sendInbox(t, s.DB, 25, roleData)
		for _, want := range []int{10, 10, 5, 0} {
			if n, err := d.DeliverInbox(ctx, 10); err != nil || n != want {
				t.Fatalf("DeliverInbox: %d, %v; want %d", n, err, want)
			}
		}
		checkDeliveredOnce(t, s.DB, 25)
		var msgs []InboxMessage
		if err := s.DB.NewSelect().Model(&msgs).OrderExpr("outbox_id").Scan(ctx); err != nil {
			t.Fatal(err)
		}
		for i, m := range msgs {
			if want := fmt.Sprintf("“reviewer %d”", i); !strings.Contains(m.Body, want) || !m.CreatedAt.Equal(clock.Now()) {
				t.Errorf("message %d: %+v, want %s in the body", i, m, want)
			}
		}
	})
}

// A full batch costs five statements, whatever its size: BEGIN, the UPDATE that takes the rows, the
// INSERT of the messages, the INSERT of the ledger, COMMIT.
func TestBatchCostsFiveStatements(t *testing.T) {
	t.Parallel()
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		sendInbox(t, s.DB, InboxBatch, roleData)
		counter := &stacktest.Statements{}
		d := NewDeliverer(s.DB.WithQueryHook(counter), Senders{}, 3, nil)
		if n, err := d.DeliverInbox(context.Background(), InboxBatch); err != nil || n != InboxBatch {
			t.Fatalf("DeliverInbox: %d, %v", n, err)
		}
		if got := len(counter.Take()); got != 5 {
			t.Errorf("%d statements for a batch of %d, want 5", got, InboxBatch)
		}
		checkDeliveredOnce(t, s.DB, InboxBatch)
	})
}

func TestConcurrentBatchesDeliverEachRowOnce(t *testing.T) {
	t.Parallel()
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		const rows, deliverers = 300, 6
		sendInbox(t, s.DB, rows, roleData)
		var wg sync.WaitGroup
		errs := make(chan error, deliverers)
		for range deliverers {
			d := NewDeliverer(s.DB, Senders{}, 3, nil)
			wg.Go(func() {
				for {
					n, err := d.DeliverInbox(ctx, 7)
					if err != nil || n == 0 {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
		checkDeliveredOnce(t, s.DB, rows)
	})
}

// crashAfterClaim is a query hook that stops a batch dead, as a crash would, after it took its rows
// and before it wrote a message.
type crashAfterClaim struct{}

type crash struct{}

func (crashAfterClaim) BeforeQuery(ctx context.Context, e *bun.QueryEvent) context.Context {
	if strings.HasPrefix(e.Query, `INSERT INTO "messages"`) {
		panic(crash{})
	}
	return ctx
}

func (crashAfterClaim) AfterQuery(context.Context, *bun.QueryEvent) {}

func TestCrashMidBatchLeavesRowsPending(t *testing.T) {
	t.Parallel()
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		sendInbox(t, s.DB, 12, roleData)
		crashing := NewDeliverer(s.DB.WithQueryHook(crashAfterClaim{}), Senders{}, 3, nil)
		func() {
			defer func() {
				if _, ok := recover().(crash); !ok {
					t.Fatal("the batch did not reach its messages")
				}
			}()
			_, _ = crashing.DeliverInbox(ctx, InboxBatch)
		}()
		if n := count(t, s.DB, "outbox", "status = ? AND attempts = 0 AND delivered_at IS NULL", StatusPending); n != 12 {
			t.Fatalf("%d rows pending and untouched after the crash, want 12", n)
		}
		if n, err := NewDeliverer(s.DB, Senders{}, 3, nil).DeliverInbox(ctx, InboxBatch); err != nil || n != 12 {
			t.Fatalf("the next batch: %d, %v; want 12", n, err)
		}
		checkDeliveredOnce(t, s.DB, 12)
	})
}

func TestRowThatCannotRenderFailsAlone(t *testing.T) {
	t.Parallel()
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		sendInbox(t, s.DB, 5, func(i int) map[string]any {
			if i == 2 {
				return map[string]any{"jurisdiction": "东城区"} // no role: the template refuses
			}
			return roleData(i)
		})
		var bad Outbox
		if err := s.DB.NewSelect().Model(&bad).OrderExpr("id").Offset(2).Limit(1).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		if n, err := NewDeliverer(s.DB, Senders{}, 3, nil).DeliverInbox(ctx, InboxBatch); err != nil || n != 5 {
			t.Fatalf("DeliverInbox: %d, %v; want 5", n, err)
		}
		got := getOutbox(t, s.DB, bad.ID)
		if got.Status != StatusFailed || got.Attempts != 1 || got.DeliveredAt != nil || !strings.Contains(got.LastError, "role") {
			t.Fatalf("the row that cannot render: %+v", got)
		}
		dl, err := ListDeliveries(ctx, s.DB, bad.ID)
		if err != nil || len(dl) != 1 || dl[0].OK || !strings.Contains(dl[0].Error, "role") {
			t.Fatalf("its ledger: %+v, %v", dl, err)
		}
		if n := count(t, s.DB, "outbox", "status = ? AND attempts = 1", StatusDelivered); n != 4 {
			t.Errorf("%d other rows delivered, want 4", n)
		}
		if n := count(t, s.DB, "messages", "1 = 1"); n != 4 {
			t.Errorf("%d messages, want 4", n)
		}
	})
}

// refuseMessage is a query hook under which the database refuses the messages whose text contains
// its word, as it refuses text it cannot store.
type refuseMessage string

func (r refuseMessage) BeforeQuery(ctx context.Context, e *bun.QueryEvent) context.Context {
	if strings.HasPrefix(e.Query, `INSERT INTO "messages"`) && strings.Contains(e.Query, string(r)) {
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		return cancelled
	}
	return ctx
}

func (refuseMessage) AfterQuery(context.Context, *bun.QueryEvent) {}

func TestRowTheDatabaseRefusesHoldsUpNoOther(t *testing.T) {
	t.Parallel()
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		clock := newFakeClock()
		sendInbox(t, s.DB, 6, func(i int) map[string]any {
			if i == 3 {
				return map[string]any{"jurisdiction": "东城区", "role": "unstorable"}
			}
			return roleData(i)
		})
		var bad Outbox
		if err := s.DB.NewSelect().Model(&bad).OrderExpr("id").Offset(3).Limit(1).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		d := NewDeliverer(s.DB.WithQueryHook(refuseMessage("unstorable")), Senders{}, 2, clock.Now)
		if n, err := d.DeliverInbox(ctx, InboxBatch); err == nil || n != 6 {
			t.Fatalf("DeliverInbox: %d, %v; want 6 taken and the refusal", n, err)
		}
		if n := count(t, s.DB, "messages", "1 = 1"); n != 5 {
			t.Fatalf("%d messages, want the 5 others", n)
		}
		got := getOutbox(t, s.DB, bad.ID)
		if got.Status != StatusPending || got.Attempts != 1 || got.LastError == "" || got.ClaimedUntil == nil {
			t.Fatalf("the refused row after its first attempt: %+v", got)
		}
		// It waits for its lease to pass, then fails for good at its last attempt.
		if n, err := d.DeliverInbox(ctx, InboxBatch); err != nil || n != 0 {
			t.Fatalf("within the lease: %d, %v; want nothing taken", n, err)
		}
		clock.Advance(claimLease + time.Second)
		if _, err := d.DeliverInbox(ctx, InboxBatch); err == nil {
			t.Fatal("the second refusal was not reported")
		}
		if got := getOutbox(t, s.DB, bad.ID); got.Status != StatusFailed || got.Attempts != 2 {
			t.Fatalf("the refused row after its last attempt: %+v", got)
		}
		dl, err := ListDeliveries(ctx, s.DB, bad.ID)
		if err != nil || len(dl) != 2 || dl[0].OK || dl[1].OK || dl[1].Attempt != 2 {
			t.Fatalf("its ledger: %+v, %v", dl, err)
		}
	})
}
