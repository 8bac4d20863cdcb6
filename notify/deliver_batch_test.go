package notify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/stacktest"
	"github.com/civicflow/civicflow/tasks"
)

// sendEmails writes n pending e-mail rows to up to 20 users and returns their ids, oldest first.
func sendEmails(t testing.TB, db *bun.DB, n int) []int64 {
	t.Helper()
	ctx := context.Background()
	var users []int64
	for range min(n, 20) {
		login := fmt.Sprintf("mail%d", logins.Add(1))
		users = append(users, addUser(t, db, login, "en", login+"@example.org", ""))
	}
	msgs := make([]Message, n)
	for i := range msgs {
		msgs[i] = Message{UserID: users[i%len(users)], Template: "role_granted", Channels: []Channel{Email}, Data: roleData(i)}
	}
	if err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error { return SendMany(ctx, tx, msgs) }); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	if err := db.NewSelect().Model((*Outbox)(nil)).Column("id").Where("channel = ? AND status = ?", Email, StatusPending).
		OrderExpr("id").Scan(ctx, &ids); err != nil || len(ids) != n {
		t.Fatalf("pending e-mail rows: %v, %v; want %d", ids, err, n)
	}
	return ids
}

// checkSentOnce fails unless each of ids is delivered with one attempt and one successful ledger row.
func checkSentOnce(t *testing.T, db bun.IDB, ids []int64) {
	t.Helper()
	for _, id := range ids {
		if o := getOutbox(t, db, id); o.Status != StatusDelivered || o.Attempts != 1 || o.ClaimedUntil != nil {
			t.Errorf("row %d: %+v, want delivered at the first attempt", id, o)
		}
		if n := count(t, db, "deliveries", "outbox_id = ? AND ok AND attempt = 1", id); n != 1 {
			t.Errorf("row %d: %d ledger rows, want 1", id, n)
		}
	}
}

func TestConcurrentBatchesSendEachRowOnce(t *testing.T) {
	t.Parallel()
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		ids := sendEmails(t, s.DB, 60)
		email := &fakeSender{}
		// Overlapping batches, each handled twice, all at once.
		batches := [][]int64{ids[:30], ids[15:45], ids[30:], ids, ids[:30], ids[15:45], ids[30:], ids}
		errs := make(chan error, len(batches))
		for _, b := range batches {
			d := NewDeliverer(s.DB, Senders{Email: email}, 3, nil)
			go func() { errs <- d.ProcessTask(ctx, tasks.NewDeliver(b...)) }()
		}
		for range batches {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
		checkSentOnce(t, s.DB, ids)
		if n := len(email.calls()); n != len(ids) {
			t.Errorf("%d e-mails sent, want %d", n, len(ids))
		}
	})
}

// flakySender fails for one address while failing is set.
type flakySender struct {
	fakeSender
	address string
	failing bool
}

func (f *flakySender) Send(ctx context.Context, address, subject, body string) error {
	if err := f.fakeSender.Send(ctx, address, subject, body); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failing && address == f.address {
		return errSMTPDown
	}
	return nil
}

func TestTemporaryFailureRetriesThatRowOnly(t *testing.T) {
	t.Parallel()
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		ids := sendEmails(t, s.DB, 5)
		bad := getOutbox(t, s.DB, ids[2])
		email := &flakySender{address: bad.Address, failing: true}
		d := NewDeliverer(s.DB, Senders{Email: email}, 3, nil)
		task := tasks.NewDeliver(ids...)

		err := d.ProcessTask(ctx, task)
		if err == nil || errors.Is(err, asynq.SkipRetry) || !errors.Is(err, errSMTPDown) {
			t.Fatalf("first run: %v; want the SMTP error, for asynq to retry", err)
		}
		if o := getOutbox(t, s.DB, bad.ID); o.Status != StatusPending || o.Attempts != 1 || o.ClaimedUntil != nil || o.LastError != errSMTPDown.Error() {
			t.Fatalf("failed row after the first run: %+v; want pending, released, one attempt", o)
		}
		if n := count(t, s.DB, "deliveries", "outbox_id = ? AND NOT ok", bad.ID); n != 1 {
			t.Fatalf("failed row: %d failed attempts in the ledger, want 1", n)
		}
		sentBefore := len(email.calls())

		email.mu.Lock()
		email.failing = false
		email.mu.Unlock()
		if err := d.ProcessTask(ctx, task); err != nil {
			t.Fatalf("retry: %v", err)
		}
		if got := email.calls()[sentBefore:]; len(got) != 1 || got[0].Address != bad.Address {
			t.Fatalf("the retry sent %+v; want only the failed row", got)
		}
		if o := getOutbox(t, s.DB, bad.ID); o.Status != StatusDelivered || o.Attempts != 2 {
			t.Fatalf("failed row after the retry: %+v", o)
		}
		checkSentOnce(t, s.DB, append(ids[:2:2], ids[3:]...))
	})
}

// refuseRecording is a query hook under which the database refuses to record a batch, as if the
// worker died between sending and recording.
type refuseRecording struct{}

var errCrash = errors.New("the worker died")

func (refuseRecording) BeforeQuery(ctx context.Context, e *bun.QueryEvent) context.Context {
	if strings.HasPrefix(e.Query, `INSERT INTO "deliveries"`) {
		e.Err = errCrash
		panic(crash{})
	}
	return ctx
}

func (refuseRecording) AfterQuery(context.Context, *bun.QueryEvent) {}

func TestCrashBetweenSendAndRecordSendsAgain(t *testing.T) {
	t.Parallel()
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		ids := sendEmails(t, s.DB, 4)
		clock := newFakeClock()
		email := &fakeSender{}
		crashing := NewDeliverer(s.DB.WithQueryHook(refuseRecording{}), Senders{Email: email}, 3, clock.Now)
		func() {
			defer func() {
				if _, ok := recover().(crash); !ok {
					t.Fatal("the batch did not reach its ledger")
				}
			}()
			_ = crashing.ProcessTask(ctx, tasks.NewDeliver(ids...))
		}()
		if n := len(email.calls()); n != len(ids) {
			t.Fatalf("%d e-mails sent before the crash, want %d", n, len(ids))
		}
		d := NewDeliverer(s.DB, Senders{Email: email}, 3, clock.Now)
		// The dead worker's claim holds until it lapses; then the rows go out again (at least once).
		if err := d.ProcessTask(ctx, tasks.NewDeliver(ids...)); err != nil || len(email.calls()) != len(ids) {
			t.Fatalf("within the claim: %v, %d e-mails; want none sent", err, len(email.calls()))
		}
		clock.Advance(claimLease + time.Second)
		if err := d.ProcessTask(ctx, tasks.NewDeliver(ids...)); err != nil {
			t.Fatal(err)
		}
		if n := len(email.calls()); n != 2*len(ids) {
			t.Fatalf("%d e-mails in all, want each row sent again", n)
		}
		for _, id := range ids {
			if o := getOutbox(t, s.DB, id); o.Status != StatusDelivered || o.Attempts != 2 {
				t.Errorf("row %d: %+v, want delivered at the second attempt", id, o)
			}
		}
	})
}

// cancelAfterClaim is a query hook that cancels the task's context (a shutdown) once its rows are
// claimed.
type cancelAfterClaim struct{ cancel context.CancelFunc }

func (cancelAfterClaim) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return ctx
}

func (c cancelAfterClaim) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	if strings.Contains(e.Query, "attempts = attempts + 1") {
		c.cancel()
	}
}

// TestShutdownGivesUnsentRowsBack: rows a cancelled batch never handed to a sender are released
// with their attempt uncounted.
func TestShutdownGivesUnsentRowsBack(t *testing.T) {
	t.Parallel()
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		ids := sendEmails(t, s.DB, 3)
		email := &fakeSender{}
		d := NewDeliverer(s.DB.WithQueryHook(cancelAfterClaim{cancel}), Senders{Email: email}, 3, nil)
		if err := d.ProcessTask(ctx, tasks.NewDeliver(ids...)); !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled batch: %v", err)
		}
		if n := len(email.calls()); n != 0 {
			t.Fatalf("%d e-mails sent after the cancellation", n)
		}
		for _, id := range ids {
			if o := getOutbox(t, s.DB, id); o.Status != StatusPending || o.Attempts != 0 || o.ClaimedUntil != nil {
				t.Errorf("row %d: %+v, want pending and untouched", id, o)
			}
		}
	})
}
