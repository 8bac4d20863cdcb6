package tasks

import (
	"errors"
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
	if p.OutboxID != 42 {
		t.Fatalf("outbox id = %d, want 42", p.OutboxID)
	}
	if got := DeliverTaskID(42); got != "outbox:42" {
		t.Fatalf("task id = %q", got)
	}
}

func TestParseDeliverRejectsMalformedPayloads(t *testing.T) {
	for name, task := range map[string]*asynq.Task{
		"not json":   asynq.NewTask(TypeDeliver, []byte("{")),
		"wrong type": asynq.NewTask(TypeDeliver, []byte(`{"outbox_id":"7"}`)),
		"no id":      asynq.NewTask(TypeDeliver, []byte(`{}`)),
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
