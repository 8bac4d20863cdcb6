package notify

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/civicflow/civicflow/stacktest"
	"github.com/civicflow/civicflow/tasks"
)

func TestDeliverToInboxExactlyOnce(t *testing.T) {
	t.Parallel()
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		clock := newFakeClock()
		d := NewDeliverer(s.DB, Senders{}, 3, clock.Now)
		uid := addUser(t, s.DB, "inbox", "en", "", "")
		o := sendMessage(t, s.DB, roleGranted(uid, Inbox))[Inbox]

		for i, want := range []int{1, 0} {
			if n, err := d.DeliverInbox(ctx, InboxBatch); err != nil || n != want {
				t.Fatalf("delivery %d: %d, %v; want %d", i+1, n, err, want)
			}
		}
		// A task of an older version naming an in-app message is done without a second message.
		if err := d.ProcessTask(ctx, tasks.NewDeliver(o.ID)); err != nil {
			t.Fatalf("task of an in-app message: %v", err)
		}
		got := getOutbox(t, s.DB, o.ID)
		if got.Status != StatusDelivered || got.Attempts != 1 || got.ClaimedUntil != nil ||
			got.DeliveredAt == nil || !got.DeliveredAt.Equal(clock.Now()) {
			t.Fatalf("outbox row after delivery: %+v", got)
		}
		msgs, err := ListMessages(ctx, s.DB, uid, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) != 1 || msgs[0].OutboxID != o.ID || msgs[0].Subject != "You have been given a new role" ||
			msgs[0].Body != "You now hold the role “reviewer” in 东城区." {
			t.Fatalf("inbox = %+v", msgs)
		}
		dl, err := ListDeliveries(ctx, s.DB, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(dl) != 1 || !dl[0].OK || dl[0].Attempt != 1 || !dl[0].At.Equal(clock.Now()) {
			t.Fatalf("deliveries = %+v", dl)
		}
	})
}

func TestDeliverByEmailAndSMS(t *testing.T) {
	t.Parallel()
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		email, sms := &fakeSender{}, &fakeSender{}
		d := NewDeliverer(s.DB, Senders{Email: email, SMS: sms}, 3, nil)
		uid := addUser(t, s.DB, "mail", "fr", "mail@example.org", "13800000000")
		rows := sendMessage(t, s.DB, roleGranted(uid, Email, SMS))
		for _, ch := range []Channel{Email, SMS} {
			if err := d.ProcessTask(ctx, tasks.NewDeliver(rows[ch].ID)); err != nil {
				t.Fatalf("%s: %v", ch, err)
			}
			if got := getOutbox(t, s.DB, rows[ch].ID); got.Status != StatusDelivered {
				t.Errorf("%s row status = %s", ch, got.Status)
			}
		}
		// An unknown locale ("fr") falls back to Chinese.
		want := sentMessage{"mail@example.org", "您获得了新的角色", "您已在东城区获得“reviewer”角色。"}
		if got := email.calls(); len(got) != 1 || got[0] != want {
			t.Errorf("e-mails = %+v, want %+v", got, want)
		}
		if got := sms.calls(); len(got) != 1 || got[0].Address != "13800000000" {
			t.Errorf("SMS = %+v", got)
		}
		if n := count(t, s.DB, "messages", "user_id = ?", uid); n != 0 {
			t.Errorf("e-mail and SMS wrote %d inbox messages", n)
		}
	})
}

func TestFailingSenderRetriesThenFails(t *testing.T) {
	t.Parallel()
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		clock := newFakeClock()
		email := &fakeSender{err: errSMTPDown}
		const maxAttempts = 3
		d := NewDeliverer(s.DB, Senders{Email: email}, maxAttempts, clock.Now)
		uid := addUser(t, s.DB, "failing", "zh-CN", "failing@example.org", "")
		o := sendMessage(t, s.DB, roleGranted(uid, Email))[Email]

		for attempt := 1; attempt <= maxAttempts; attempt++ {
			err := d.ProcessTask(ctx, tasks.NewDeliver(o.ID))
			if !errors.Is(err, errSMTPDown) {
				t.Fatalf("attempt %d: err = %v, want the sender's error", attempt, err)
			}
			if last := attempt == maxAttempts; errors.Is(err, asynq.SkipRetry) != last {
				t.Fatalf("attempt %d: err = %v; SkipRetry only on the last attempt", attempt, err)
			}
			got := getOutbox(t, s.DB, o.ID)
			if got.Attempts != attempt || got.ClaimedUntil != nil || !strings.Contains(got.LastError, "421") {
				t.Fatalf("after attempt %d: %+v", attempt, got)
			}
			if want := map[bool]string{true: StatusFailed, false: StatusPending}[attempt == maxAttempts]; got.Status != want {
				t.Fatalf("after attempt %d: status %s, want %s", attempt, got.Status, want)
			}
			clock.Advance(time.Second)
		}
		if err := d.ProcessTask(ctx, tasks.NewDeliver(o.ID)); err != nil {
			t.Fatalf("a failed row was processed again: %v", err)
		}
		if n := len(email.calls()); n != maxAttempts {
			t.Fatalf("sender called %d times, want %d", n, maxAttempts)
		}
		dl, err := ListDeliveries(ctx, s.DB, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(dl) != maxAttempts {
			t.Fatalf("deliveries = %+v", dl)
		}
		for i, x := range dl {
			if x.OK || x.Attempt != i+1 || !strings.Contains(x.Error, "421") {
				t.Errorf("delivery %d = %+v", i, x)
			}
		}
		failed, err := ListFailed(ctx, s.DB, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(failed) != 1 || failed[0].ID != o.ID || failed[0].Attempts != maxAttempts {
			t.Fatalf("ListFailed = %+v", failed)
		}
	})
}

func TestClaimedRowIsLeftToItsWorker(t *testing.T) {
	t.Parallel()
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		clock := newFakeClock()
		email := &fakeSender{}
		d := NewDeliverer(s.DB, Senders{Email: email}, 3, clock.Now)
		uid := addUser(t, s.DB, "claimed", "en", "claimed@example.org", "")
		o := sendMessage(t, s.DB, roleGranted(uid, Email))[Email]
		if _, err := s.DB.NewUpdate().Model((*Outbox)(nil)).Set("claimed_until = ?", clock.Now().Add(claimLease)).
			Set("attempts = 1").Where("id = ?", o.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if err := d.ProcessTask(ctx, tasks.NewDeliver(o.ID)); err != nil {
			t.Fatal(err)
		}
		if len(email.calls()) != 0 {
			t.Fatal("a row claimed by another worker was sent")
		}
		// The other worker died: once its lease is over, the row is taken over.
		clock.Advance(claimLease + time.Second)
		if err := d.ProcessTask(ctx, tasks.NewDeliver(o.ID)); err != nil {
			t.Fatal(err)
		}
		if got := getOutbox(t, s.DB, o.ID); got.Status != StatusDelivered || got.Attempts != 2 || len(email.calls()) != 1 {
			t.Fatalf("after the lease: %+v, %d e-mails", got, len(email.calls()))
		}
	})
}

func TestDeletedUserFails(t *testing.T) {
	t.Parallel()
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		email := &fakeSender{}
		d := NewDeliverer(s.DB, Senders{Email: email}, 5, nil)
		uid := addUser(t, s.DB, "gone", "en", "gone@example.org", "")
		rows := sendMessage(t, s.DB, roleGranted(uid))
		if _, err := s.DB.NewDelete().Model((*testUser)(nil)).Where("id = ?", uid).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if err := d.ProcessTask(ctx, tasks.NewDeliver(rows[Email].ID)); !errors.Is(err, asynq.SkipRetry) {
			t.Errorf("email: err = %v, want SkipRetry", err)
		}
		if n, err := d.DeliverInbox(ctx, InboxBatch); err != nil || n != 1 {
			t.Errorf("inbox: %d, %v; want the row taken and failed", n, err)
		}
		for ch, o := range rows {
			if got := getOutbox(t, s.DB, o.ID); got.Status != StatusFailed || got.Attempts != 1 || got.LastError == "" {
				t.Errorf("%s: %+v", ch, got)
			}
		}
		if len(email.calls()) != 0 {
			t.Error("an e-mail went to a deleted user")
		}
	})
}

func TestMalformedTaskIsNotRetried(t *testing.T) {
	d := NewDeliverer(nil, Senders{}, 3, nil)
	if err := d.ProcessTask(context.Background(), asynq.NewTask(tasks.TypeDeliver, []byte("nope"))); !errors.Is(err, asynq.SkipRetry) {
		t.Fatalf("err = %v, want SkipRetry", err)
	}
}

func TestTruncate(t *testing.T) {
	if got := truncate("角色角色", 4); got != "角" {
		t.Errorf("truncate = %q", got)
	}
	if got := truncate("abc", 10); got != "abc" {
		t.Errorf("truncate = %q", got)
	}
}

func TestConcurrentDeliverersDeliverOnce(t *testing.T) {
	t.Parallel()
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		email := &fakeSender{}
		uid := addUser(t, s.DB, "race", "en", "race@example.org", "")
		rows := sendMessage(t, s.DB, roleGranted(uid, Inbox, Email))
		errs := make(chan error, 16)
		for range 8 {
			d := NewDeliverer(s.DB, Senders{Email: email}, 3, nil)
			go func() { errs <- d.ProcessTask(ctx, tasks.NewDeliver(rows[Email].ID)) }()
			go func() {
				_, err := d.DeliverInbox(ctx, InboxBatch)
				errs <- err
			}()
		}
		for range 16 {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
		for ch, o := range rows {
			if got := getOutbox(t, s.DB, o.ID); got.Status != StatusDelivered || got.Attempts != 1 {
				t.Errorf("%s row: %+v", ch, got)
			}
			if n := count(t, s.DB, "deliveries", "outbox_id = ?", o.ID); n != 1 {
				t.Errorf("%s row: %d deliveries", ch, n)
			}
		}
		if n := count(t, s.DB, "messages", "user_id = ?", uid); n != 1 {
			t.Errorf("%d inbox messages, want 1", n)
		}
		if n := len(email.calls()); n != 1 {
			t.Errorf("%d e-mails, want 1", n)
		}
	})
}
