// Package tasks names the background tasks CivicFlow runs through asynq and builds and parses their
// payloads, so that the code that enqueues a task and the worker that runs it cannot disagree on its
// name, payload or options.
package tasks

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"

	"github.com/hibiken/asynq"
)

// Queue is the asynq queue every CivicFlow task goes to.
const Queue = "default"

// TypeDeliver sends a batch of e-mail and SMS outbox rows of package notify (in-app messages are
// delivered in batches by the relay, without a task).
const TypeDeliver = "notify:deliver"

// DeliverMaxRetry is how often asynq retries a delivery task. It is deliberately above the highest
// CIVICFLOW_DELIVERY_MAX_ATTEMPTS: the deliverer decides when a message has failed (and then stops
// the retries itself), so asynq must never give up first and leave a pending message without a task.
const DeliverMaxRetry = 120

// Deliver is the payload of a TypeDeliver task: the outbox rows to send. OutboxID is the one row of
// a task enqueued by a version that sent a row per task; ParseDeliver folds it into OutboxIDs.
type Deliver struct {
	OutboxIDs []int64 `json:"outbox_ids,omitempty"`
	OutboxID  int64   `json:"outbox_id,omitempty"`
}

// DeliverTaskID is the asynq task id of the delivery of outbox rows ids (in the order given): the
// row's id for one row, the first and last id and a hash of all for more. One id per batch makes
// enqueueing idempotent: a second enqueue of a task still known to Redis fails with
// asynq.ErrTaskIDConflict instead of queueing a duplicate.
func DeliverTaskID(ids ...int64) string {
	id := "outbox:" + strconv.FormatInt(ids[0], 10)
	if len(ids) == 1 {
		return id
	}
	h := fnv.New64a()
	for _, n := range ids {
		h.Write(strconv.AppendInt(nil, n, 10))
		h.Write([]byte{','})
	}
	return fmt.Sprintf("%s-%d:%d:%x", id, ids[len(ids)-1], len(ids), h.Sum64())
}

// NewDeliver returns the task that delivers outbox rows ids (at least one), with its options.
func NewDeliver(ids ...int64) *asynq.Task {
	// Marshalling a slice of int64 cannot fail.
	payload, _ := json.Marshal(Deliver{OutboxIDs: ids})
	return asynq.NewTask(TypeDeliver, payload,
		asynq.TaskID(DeliverTaskID(ids...)),
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
	if p.OutboxID != 0 {
		p.OutboxIDs, p.OutboxID = append(p.OutboxIDs, p.OutboxID), 0
	}
	if len(p.OutboxIDs) == 0 || slices.ContainsFunc(p.OutboxIDs, func(id int64) bool { return id <= 0 }) {
		return p, fmt.Errorf("%s payload has no outbox_ids: %w", TypeDeliver, asynq.SkipRetry)
	}
	return p, nil
}
