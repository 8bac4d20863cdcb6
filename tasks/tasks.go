// Package tasks names the background tasks CivicFlow runs through asynq and builds and parses their
// payloads, so that the code that enqueues a task and the worker that runs it cannot disagree on its
// name, payload or options.
package tasks

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/hibiken/asynq"
)

// Queue is the asynq queue every CivicFlow task goes to.
const Queue = "default"

// TypeDeliver sends one e-mail or SMS outbox row of package notify (in-app messages are delivered in
// batches, without a task).
const TypeDeliver = "notify:deliver"

// DeliverMaxRetry is how often asynq retries a delivery task. It is deliberately above the highest
// CIVICFLOW_DELIVERY_MAX_ATTEMPTS: the deliverer decides when a message has failed (and then stops
// the retries itself), so asynq must never give up first and leave a pending message without a task.
const DeliverMaxRetry = 120

// Deliver is the payload of a TypeDeliver task.
type Deliver struct {
	OutboxID int64 `json:"outbox_id"`
}

// DeliverTaskID is the asynq task id of the delivery of outbox row id. One id per row makes
// enqueueing idempotent: a second enqueue of a task still known to Redis fails with
// asynq.ErrTaskIDConflict instead of queueing a duplicate.
func DeliverTaskID(outboxID int64) string {
	return "outbox:" + strconv.FormatInt(outboxID, 10)
}

// NewDeliver returns the task that delivers outbox row outboxID, with its options.
func NewDeliver(outboxID int64) *asynq.Task {
	// Marshalling a struct of one int64 cannot fail.
	payload, _ := json.Marshal(Deliver{OutboxID: outboxID})
	return asynq.NewTask(TypeDeliver, payload,
		asynq.TaskID(DeliverTaskID(outboxID)),
		asynq.MaxRetry(DeliverMaxRetry),
		asynq.Queue(Queue),
	)
}

// ParseDeliver reads the payload of a TypeDeliver task. A malformed payload can never succeed, so
// its error wraps asynq.SkipRetry.
func ParseDeliver(t *asynq.Task) (Deliver, error) {
	var p Deliver
	if t.Type() != TypeDeliver {
		return p, fmt.Errorf("task type %q is not %q: %w", t.Type(), TypeDeliver, asynq.SkipRetry)
	}
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return p, fmt.Errorf("reading %s payload: %w", TypeDeliver, errors.Join(err, asynq.SkipRetry))
	}
	if p.OutboxID <= 0 {
		return p, fmt.Errorf("%s payload has no outbox_id: %w", TypeDeliver, asynq.SkipRetry)
	}
	return p, nil
}
