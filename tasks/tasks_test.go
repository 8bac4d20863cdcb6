package tasks

import (
	"errors"
	"slices"
	"testing"

	"github.com/hibiken/asynq"
)

func TestDeliverRoundTrip(t *testing.T) {
	task := NewDeliver(42)
	if task.Type() != TypeDeliver {
		t.Fatalf("type = %q", task.Type())
	}
	p, err := ParseDeliver(task)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.OutboxIDs, []int64{42}) {
		t.Fatalf("outbox ids = %v, want [42]", p.OutboxIDs)
	}
	if got := DeliverTaskID(42); got != "outbox:42" {
		t.Fatalf("task id = %q", got)
	}
	batch, err := ParseDeliver(NewDeliver(3, 5, 8))
	if err != nil || !slices.Equal(batch.OutboxIDs, []int64{3, 5, 8}) {
		t.Fatalf("batch payload = %+v, %v", batch, err)
	}
	if a, b := DeliverTaskID(3, 5, 8), DeliverTaskID(3, 6, 8); a == b || a != DeliverTaskID(3, 5, 8) {
		t.Fatalf("batch task ids %q and %q: want one id per set of rows", a, b)
	}
}

// A task enqueued by a version that sent one row per task still runs.
func TestParseDeliverOfOneRowTask(t *testing.T) {
	p, err := ParseDeliver(asynq.NewTask(TypeDeliver, []byte(`{"outbox_id":7}`)))
	if err != nil || !slices.Equal(p.OutboxIDs, []int64{7}) {
		t.Fatalf("payload = %+v, %v", p, err)
	}
}

func TestParseDeliverRejectsMalformedPayloads(t *testing.T) {
	for name, task := range map[string]*asynq.Task{
		"not json":   asynq.NewTask(TypeDeliver, []byte("{")),
		"wrong type": asynq.NewTask(TypeDeliver, []byte(`{"outbox_id":"7"}`)),
		"no id":      asynq.NewTask(TypeDeliver, []byte(`{}`)),
		"zero id":    asynq.NewTask(TypeDeliver, []byte(`{"outbox_ids":[0]}`)),
		"other task": asynq.NewTask("other", []byte(`{"outbox_id":7}`)),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseDeliver(task)
			if !errors.Is(err, asynq.SkipRetry) {
				t.Fatalf("err = %v, want one wrapping asynq.SkipRetry", err)
			}
		})
	}
}
