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
	// A visitor without an account claims under user 0 (the users row of no account): a page's
	// tokens are random, so no two visitors' meet; an API client's key is its own choice, its only
	// proof of being the same client, so a visitor should make it a random UUID.
	k := &idempotency.Key{UserID: userID(c), Request: c.Method() + " " + c.Route().Path}
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

// firstClaim returns the claim of k by an earlier request, or nil when this request is the first (or k
// is nil). taken says that claiming k met idempotency.ErrTaken: then an earlier claim exists, or the
// answer is idempotency.ErrInFlight. A claim for another request or other content is 422
// idempotency_key_reused.
func (s *Server) firstClaim(ctx context.Context, k *idempotency.Key, taken bool) (*idempotency.Key, error) {
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
	return s.createOnceKeeping(c, content, true, load, create)
}

// createOnceKeeping is createOnce, keeping the first answer for retries only when keep is true:
// an answer holding a secret that is stored only as a hash (an inquiry's) is not kept, and every
// retry reads the record again with load, which works the secret out again.
func (s *Server) createOnceKeeping(c *fiber.Ctx, content any, keep bool, load func(ctx context.Context, id int64) (any, error),
	create func(claim claimFunc) (any, error)) error {
	ctx := c.UserContext()
	k, err := requestKey(c, content)
	if err != nil {
		return err
	}
	first, err := s.firstClaim(ctx, k, false)
	if first == nil && err == nil {
		out, failed := create(claimOf(k))
		if failed == nil {
			if !keep {
				return s.answerFirst(c, nil, out)
			}
			return s.answerFirst(c, k, out)
		}
		if first, err = s.firstClaim(ctx, k, errors.Is(failed, idempotency.ErrTaken)); first == nil && err == nil {
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

// onceWait is how long a second post of a page form's one-time token waits for the first post to
// finish (see claimOnce); onceRetry is how often it looks.
const (
	onceWait  = 15 * time.Second
	onceRetry = 50 * time.Millisecond
)

// claimOnce claims the one-time token of a page post before the post writes anything (a draft, an
// upload), so that of the posts of one form (a double click, a reload) one does the work and the
// others write nothing. It returns the key this post now holds (nil when the post carries no
// valid token: then it holds nothing), or, for a post that came second, the id of the record the first
// filed, after waiting up to onceWait for the first to finish (else 409 idempotency_key_in_flight).
// The holder binds the key to what it files (bindOnce) and gives it up otherwise (releaseOnce); a
// post that waited on a first that filed nothing takes the token over.
func (s *Server) claimOnce(c *fiber.Ctx) (k *idempotency.Key, filed int64, err error) {
	ctx := c.UserContext()
	if k, _ = requestKey(c, nil); k == nil {
		return nil, 0, nil
	}
	until := time.Now().Add(onceWait)
	for {
		err := idempotency.Claim(ctx, s.DB, k, time.Now())
		if !errors.Is(err, idempotency.ErrTaken) {
			return k, 0, err
		}
		first, err := idempotency.Find(ctx, s.DB, k.UserID, k.Key, time.Now())
		if err != nil {
			return nil, 0, err
		}
		if first != nil {
			// Used by another form (no use waiting), or the first post filed its record.
			if err := first.Matches(k.Request, k.Fingerprint); err != nil || first.RecordID != 0 {
				return nil, first.RecordID, err
			}
		}
		if time.Now().After(until) {
			return nil, 0, idempotency.ErrInFlight
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil, 0, idempotency.ErrInFlight // the request's deadline came first: still the first post's
			}
			return nil, 0, ctx.Err()
		case <-time.After(onceRetry):
		}
	}
}

// bindOnce is the claimFunc of a key that claimOnce returned: it binds the key to the record filed.
func bindOnce(k *idempotency.Key) claimFunc {
	return func(ctx context.Context, tx bun.IDB, recordID int64) error {
		if k == nil {
			return nil
		}
		return idempotency.Bind(ctx, tx, k, recordID)
	}
}

// releaseOnce gives up the key that claimOnce returned unless the post filed a record with it.
func (s *Server) releaseOnce(c *fiber.Ctx, k *idempotency.Key) {
	if k == nil {
		return
	}
	ctx := context.WithoutCancel(c.UserContext())
	if err := idempotency.Release(ctx, s.DB, k); err != nil {
		// The token then stays taken until it expires: a later post of it waits, then answers 409.
		slog.WarnContext(ctx, "releasing a form's one-time token", "request_id", requestID(c), "error", err)
	}
}
