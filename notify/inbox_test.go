package notify

import (
	"context"
	"errors"
	"testing"

	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/stacktest"
)

func TestInbox(t *testing.T) {
	t.Parallel()
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		d := NewDeliverer(s.DB, Senders{}, 3, nil)
		alice := addUser(t, s.DB, "alice", "zh-CN", "", "")
		bob := addUser(t, s.DB, "bob", "en", "", "")
		for _, uid := range []int64{alice, alice, bob} {
			sendMessage(t, s.DB, roleGranted(uid, Inbox))
			if n, err := d.DeliverInbox(ctx, InboxBatch); err != nil || n != 1 {
				t.Fatalf("DeliverInbox: %d, %v", n, err)
			}
		}
		msgs, err := ListMessages(ctx, s.DB, alice, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) != 2 || msgs[0].ID < msgs[1].ID {
			t.Fatalf("alice's inbox = %+v, want 2 messages, newest first", msgs)
		}
		if n, err := UnreadCount(ctx, s.DB, alice); err != nil || n != 2 {
			t.Fatalf("unread = %d, %v", n, err)
		}
		if err := MarkRead(ctx, s.DB, alice, msgs[0].ID); err != nil {
			t.Fatal(err)
		}
		first, err := ListMessages(ctx, s.DB, alice, 1)
		if err != nil || len(first) != 1 || first[0].ReadAt == nil {
			t.Fatalf("after MarkRead: %+v, %v", first, err)
		}
		if err := MarkRead(ctx, s.DB, alice, msgs[0].ID); err != nil {
			t.Fatalf("marking read twice: %v", err)
		}
		again, _ := ListMessages(ctx, s.DB, alice, 1)
		if !again[0].ReadAt.Equal(*first[0].ReadAt) {
			t.Errorf("marking read again moved read_at from %v to %v", first[0].ReadAt, again[0].ReadAt)
		}
		if n, err := UnreadCount(ctx, s.DB, alice); err != nil || n != 1 {
			t.Fatalf("unread after MarkRead = %d, %v", n, err)
		}
		// Bob can neither read nor mark Alice's message.
		if err := MarkRead(ctx, s.DB, bob, msgs[1].ID); !errors.Is(err, problem.ErrNotFound) {
			t.Fatalf("bob marking alice's message: %v, want not found", err)
		}
		if err := MarkRead(ctx, s.DB, alice, 999999); !problem.Is(err, problem.NotFound) {
			t.Fatalf("marking a missing message: %v, want not found", err)
		}
		if n, _ := UnreadCount(ctx, s.DB, alice); n != 1 {
			t.Fatalf("bob changed alice's unread count to %d", n)
		}
		bobs, err := ListMessages(ctx, s.DB, bob, 10)
		if err != nil || len(bobs) != 1 || bobs[0].Subject != "You have been given a new role" {
			t.Fatalf("bob's inbox = %+v, %v", bobs, err)
		}
	})
}
