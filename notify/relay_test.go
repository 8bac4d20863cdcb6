package notify

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/civicflow/civicflow/stacktest"
	"github.com/civicflow/civicflow/tasks"
)

const redeliverAfter = 2 * time.Minute

func pendingTasks(t *testing.T, insp *asynq.Inspector) int {
	t.Helper()
	q, err := insp.GetQueueInfo(tasks.Queue)
	if err != nil {
		t.Fatal(err)
	}
	return q.Pending
}

func TestRelayEnqueuesEachRowOnce(t *testing.T) {
	t.Parallel()
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		b := s.Broker(t)
		client := asynq.NewClientFromRedisClient(b.Redis())
		insp := asynq.NewInspectorFromRedisClient(b.Redis())
		clock := newFakeClock()
		relay := NewRelay(NewDeliverer(s.DB, Senders{}, 3, clock.Now), client, time.Second, redeliverAfter)

		uid := addUser(t, s.DB, "relay", "zh-CN", "relay@example.org", "13800000000")
		rows := sendMessage(t, s.DB, roleGranted(uid))
		if len(rows) != 3 {
			t.Fatalf("outbox rows = %v, want inbox, email and SMS", rows)
		}
		// In-app messages are delivered in batches (DeliverInbox), never enqueued.
		inbox := rows[Inbox]
		delete(rows, Inbox)

		n, err := relay.RelayOnce(ctx)
		if err != nil || n != 2 {
			t.Fatalf("first pass: %d, %v; want 2", n, err)
		}
		if got := getOutbox(t, s.DB, inbox.ID); got.EnqueuedAt != nil || got.Status != StatusPending {
			t.Errorf("inbox row after the pass: %+v, want it pending and not enqueued", got)
		}
		if _, err := insp.GetTaskInfo(tasks.Queue, tasks.DeliverTaskID(inbox.ID)); err == nil {
			t.Error("the inbox row was enqueued")
		}
		for _, o := range rows {
			got := getOutbox(t, s.DB, o.ID)
			if got.EnqueuedAt == nil || !got.EnqueuedAt.Equal(clock.Now()) {
				t.Errorf("row %d enqueued_at = %v, want %v", o.ID, got.EnqueuedAt, clock.Now())
			}
		}
		// One task delivers both rows, oldest first.
		ids := []int64{rows[Email].ID, rows[SMS].ID}
		slices.Sort(ids)
		info, err := insp.GetTaskInfo(tasks.Queue, tasks.DeliverTaskID(ids...))
		if err != nil {
			t.Fatalf("task of rows %v: %v", ids, err)
		}
		if info.Type != tasks.TypeDeliver || info.MaxRetry != tasks.DeliverMaxRetry {
			t.Errorf("task %+v", info)
		}
		if n, err := relay.RelayOnce(ctx); err != nil || n != 0 {
			t.Fatalf("second pass before redeliverAfter: %d, %v; want 0", n, err)
		}

		clock.Advance(redeliverAfter + time.Second)
		if n, err := relay.RelayOnce(ctx); err != nil || n != 2 {
			t.Fatalf("pass after redeliverAfter: %d, %v; want 2 (already queued counts)", n, err)
		}
		if got := pendingTasks(t, insp); got != 1 {
			t.Fatalf("pending tasks = %d, want 1", got)
		}
		for _, o := range rows {
			if got := getOutbox(t, s.DB, o.ID); !got.EnqueuedAt.Equal(clock.Now()) {
				t.Errorf("row %d enqueued_at = %v, want %v", o.ID, got.EnqueuedAt, clock.Now())
			}
		}

		// Delivered rows are not relayed again.
		if _, err := s.DB.NewUpdate().Model((*Outbox)(nil)).Set("status = ?", StatusDelivered).Where("1 = 1").Exec(ctx); err != nil {
			t.Fatal(err)
		}
		clock.Advance(redeliverAfter + time.Second)
		if n, err := relay.RelayOnce(ctx); err != nil || n != 0 {
			t.Fatalf("pass over delivered rows: %d, %v; want 0", n, err)
		}
	})
}

func TestRelayReplacesArchivedTask(t *testing.T) {
	t.Parallel()
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		b := s.Broker(t)
		client := asynq.NewClientFromRedisClient(b.Redis())
		insp := asynq.NewInspectorFromRedisClient(b.Redis())
		clock := newFakeClock()
		uid := addUser(t, s.DB, "archived", "en", "archived@example.org", "")
		o := sendMessage(t, s.DB, roleGranted(uid, Email))[Email]
		taskID := tasks.DeliverTaskID(o.ID)

		d := NewDeliverer(s.DB, Senders{}, 3, clock.Now)
		plain := NewRelay(d, client, time.Second, redeliverAfter)
		if n, err := plain.RelayOnce(ctx); err != nil || n != 1 {
			t.Fatalf("relay: %d, %v", n, err)
		}
		if err := insp.ArchiveTask(tasks.Queue, taskID); err != nil {
			t.Fatal(err)
		}
		clock.Advance(redeliverAfter + time.Second)
		if _, err := plain.RelayOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if info, err := insp.GetTaskInfo(tasks.Queue, taskID); err != nil || info.State != asynq.TaskStateArchived {
			t.Fatalf("without an inspector the archived task stays: %+v, %v", info, err)
		}

		clock.Advance(redeliverAfter + time.Second)
		withInspector := NewRelay(d, client, time.Second, redeliverAfter, WithInspector(insp))
		if n, err := withInspector.RelayOnce(ctx); err != nil || n != 1 {
			t.Fatalf("relay with inspector: %d, %v", n, err)
		}
		info, err := insp.GetTaskInfo(tasks.Queue, taskID)
		if err != nil || info.State != asynq.TaskStatePending {
			t.Fatalf("task after relay with inspector: %+v, %v; want pending", info, err)
		}
	})
}

func TestRelayRunStopsWithContext(t *testing.T) {
	t.Parallel()
	s := stacktest.SQLite(t)
	b := s.Broker(t)
	client := asynq.NewClientFromRedisClient(b.Redis())
	insp := asynq.NewInspectorFromRedisClient(b.Redis())
	uid := addUser(t, s.DB, "run", "en", "run@example.org", "")
	rows := sendMessage(t, s.DB, roleGranted(uid, Inbox, Email))

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		NewRelay(NewDeliverer(s.DB, Senders{}, 3, nil), client, 10*time.Millisecond, redeliverAfter).Run(ctx)
		close(done)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for {
		q, err := insp.GetQueueInfo(tasks.Queue)
		if err == nil && q.Pending == 1 && getOutbox(t, s.DB, rows[Inbox].ID).Status == StatusDelivered {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Run did not deliver the in-app message and enqueue the e-mail")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context was cancelled")
	}
}
