package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/idempotency"
)

// The headers of idempotent API requests: the client's key (as in the IETF draft "The
// Idempotency-Key HTTP Header Field") and the mark of an answer that repeats the first one.
const (
	idempotencyKeyHeader = "Idempotency-Key"
	replayedHeader       = "Idempotent-Replayed"
)

// onceField is the hidden field of a page form that files something (an application, a booking): a
// one-time token, so that a double click or a reload files once and then shows what was filed.
const onceField = "_once"

// newOnce is a fresh one-time token for a page form.
func newOnce() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// requestKey is the idempotency key of a request that creates a record: the Idempotency-Key header
// of an API request, with the fingerprint of content, or the one-time token of a page form, without
// one (a page shows what the first post filed, whatever a second post holds). It is nil when the
// request carries none.
func requestKey(c *fiber.Ctx, content any) (*idempotency.Key, error) {
	k := &idempotency.Key{UserID: currentUser(c).ID, Request: c.Method() + " " + c.Route().Path}
	if !isAPI(c) {
		if k.Key = c.FormValue(onceField); idempotency.CheckKey(k.Key) != nil {
			return nil, nil
		}
		return k, nil
	}
	if k.Key = c.Get(idempotencyKeyHeader); k.Key == "" {
		return nil, nil
	}
	if err := idempotency.CheckKey(k.Key); err != nil {
		return nil, err
	}
	var err error
	k.Fingerprint, err = idempotency.Fingerprint(content)
	return k, err
}

// earlier returns the claim of k by an earlier request, or nil when this request is the first (or k
// is nil). taken says that claiming k met idempotency.ErrTaken: then an earlier claim exists, or the
// answer is idempotency.ErrInFlight. A claim for another request or other content is 422
// idempotency_key_reused.
func (s *Server) earlier(ctx context.Context, k *idempotency.Key, taken bool) (*idempotency.Key, error) {
	if k == nil {
		return nil, nil
	}
	first, err := idempotency.Find(ctx, s.DB, k.UserID, k.Key, time.Now())
	switch {
	case err != nil:
		return nil, err
	case first == nil && taken:
		return nil, idempotency.ErrInFlight
	case first == nil:
		return nil, nil
	}
	return first, first.Matches(k.Request, k.Fingerprint)
}

// claimFunc claims a request's idempotency key in tx, the transaction that inserts the record
// recordID.
type claimFunc func(ctx context.Context, tx bun.IDB, recordID int64) error

// claimOf is the claimFunc of k; without a key it claims nothing.
func claimOf(k *idempotency.Key) claimFunc {
	return func(ctx context.Context, tx bun.IDB, recordID int64) error {
		if k == nil {
			return nil
		}
		k.RecordID = recordID
		return idempotency.Claim(ctx, tx, k, time.Now())
	}
}

// createOnce answers an API request that creates one record with 201 and the record, honouring an
// Idempotency-Key: the same key and content within idempotency.TTL answers what the first request
// answered (with Idempotent-Replayed: true) and creates nothing; the same key with other content
// answers 422 idempotency_key_reused; of requests racing with one key, one creates the record and
// the others, which fail on its key or on the record itself (a person already booked), answer as its
// retries. create files the record, calling claim in the transaction that
// inserts it; load reads the record again for a retry that comes before the first answer was stored
// (or after a crash between the two).
func (s *Server) createOnce(c *fiber.Ctx, content any, load func(ctx context.Context, id int64) (any, error),
	create func(claim claimFunc) (any, error)) error {
	ctx := c.UserContext()
	k, err := requestKey(c, content)
	if err != nil {
		return err
	}
	first, err := s.earlier(ctx, k, false)
	if first == nil && err == nil {
		out, failed := create(claimOf(k))
		if failed == nil {
			return s.answerFirst(c, k, out)
		}
		if first, err = s.earlier(ctx, k, errors.Is(failed, idempotency.ErrTaken)); first == nil && err == nil {
			return failed
		}
	}
	if err != nil {
		return err
	}
	c.Set(replayedHeader, "true")
	if first.Status != 0 {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Status(first.Status).SendString(first.Response)
	}
	out, err := load(ctx, first.RecordID)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(out)
}

// answerFirst answers 201 with the new record and keeps the answer for retries with k.
func (s *Server) answerFirst(c *fiber.Ctx, k *idempotency.Key, record any) error {
	body, err := json.Marshal(record)
	if err != nil {
		return err
	}
	if k != nil {
		if err := idempotency.Answer(c.UserContext(), s.DB, k, fiber.StatusCreated, body); err != nil {
			// The record and the key are in: a retry reads the record again.
			slog.WarnContext(c.UserContext(), "keeping the first answer of an idempotent request", "request_id", requestID(c), "error", err)
		}
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Status(fiber.StatusCreated).Send(body)
}

// toEarlier sends a page post whose one-time token k an earlier post used to what that post filed
// (to gives the address of a record id) and reports true; false when this post is the first. A post
// that failed is asked again, with taken as for earlier: a post racing with it under the same token
// may have filed the record it failed on.
func (s *Server) toEarlier(c *fiber.Ctx, k *idempotency.Key, taken bool, to func(id int64) string) (bool, error) {
	first, err := s.earlier(c.UserContext(), k, taken)
	if first == nil || err != nil {
		return false, err
	}
	return true, c.Redirect(to(first.RecordID), fiber.StatusSeeOther)
}
