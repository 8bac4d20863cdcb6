// Package idempotency remembers, per user and idempotency key, the request that created a record and
// its first answer, so that a client retrying after a lost answer (or a person clicking twice) gets
// that answer again instead of a second record. A key is claimed in the transaction that inserts the
// record it protects: a retry finds both or neither, even across a crash, and of two requests racing
// with one key exactly one creates a record. Keys live for TTL.
package idempotency

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/problem"
)

// TTL is how long a key is remembered; the worker purges older ones hourly.
const TTL = 24 * time.Hour

// maxKeyLength bounds a client's key (a UUID has 36 characters).
const maxKeyLength = 255

// Key is a claimed idempotency key.
type Key struct {
	bun.BaseModel `bun:"table:idempotency_keys"`

	UserID int64  `bun:",pk"`
	Key    string `bun:",pk"`
	// Request is what the key was used for, such as "POST /api/v1/cases".
	Request string
	// Fingerprint identifies the request's content (see Fingerprint).
	Fingerprint string
	// RecordID is the record the request created.
	RecordID int64
	// Status and Response are the first answer, once stored (Answer); Status is 0 before.
	Status    int
	Response  string `bun:",nullzero"`
	CreatedAt time.Time
}

// The problems of idempotency keys.
var (
	errBadKey = problem.New(problem.BadRequest, "invalid_idempotency_key",
		"Idempotency-Key 须为 1 至 255 个可见 ASCII 字符。", "An Idempotency-Key has 1 to 255 visible ASCII characters.")
	errReused = problem.New(problem.Invalid, "idempotency_key_reused",
		"该 Idempotency-Key 已用于另一个不同的请求；新的请求请使用新的键。",
		"This Idempotency-Key was used for a different request; send a new request with a new key.")
	// ErrInFlight answers a request whose key another request holds without having finished.
	ErrInFlight = problem.New(problem.Conflict, "idempotency_key_in_flight",
		"使用该 Idempotency-Key 的请求仍在处理中，请稍后重试。",
		"A request with this Idempotency-Key is still being processed; retry shortly.")
)

// ErrTaken is Claim's answer when another request holds the key: the caller's transaction must roll
// back, and the other request's answer is the one to give (Find).
var ErrTaken = errors.New("idempotency: the key is taken by another request")

// CheckKey refuses a key that is empty, longer than 255 characters or not visible ASCII.
func CheckKey(key string) error {
	if key == "" || len(key) > maxKeyLength {
		return errBadKey
	}
	for i := 0; i < len(key); i++ {
		if key[i] < '!' || key[i] > '~' {
			return errBadKey
		}
	}
	return nil
}

// Fingerprint is the SHA-256 of the JSON encoding of a request's content, such as its decoded body:
// the same content gives the same fingerprint however its JSON was spaced or ordered.
func Fingerprint(content any) (string, error) {
	b, err := json.Marshal(content)
	if err != nil {
		return "", fmt.Errorf("fingerprinting a request: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// Find returns the key of userID claimed less than TTL before now, or nil.
func Find(ctx context.Context, db bun.IDB, userID int64, key string, now time.Time) (*Key, error) {
	k := new(Key)
	err := db.NewSelect().Model(k).Where("user_id = ? AND key = ? AND created_at >= ?", userID, key, now.Add(-TTL).UTC()).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading idempotency key of user %d: %w", userID, err)
	}
	return k, nil
}

// Matches refuses (422 idempotency_key_reused) a request under k's key whose request or content
// differs from the one that claimed it.
func (k *Key) Matches(request, fingerprint string) error {
	if k.Request != request || k.Fingerprint != fingerprint {
		return errReused
	}
	return nil
}

// Claim writes k, stamped with now, in tx: the transaction that inserts the record k.RecordID (or,
// with RecordID 0, on its own before the request writes anything: see Bind and Release). When
// another request holds the key it returns ErrTaken (on PostgreSQL after waiting for that request's
// transaction to end). An expired claim of the key is replaced.
func Claim(ctx context.Context, tx bun.IDB, k *Key, now time.Time) error {
	k.CreatedAt = now.UTC()
	if _, err := tx.NewDelete().Model((*Key)(nil)).Where("user_id = ? AND key = ? AND created_at < ?", k.UserID, k.Key, k.CreatedAt.Add(-TTL)).
		Exec(ctx); err != nil {
		return fmt.Errorf("removing an expired idempotency key of user %d: %w", k.UserID, err)
	}
	res, err := tx.NewInsert().Model(k).On("CONFLICT DO NOTHING").Exec(ctx)
	if err != nil {
		return fmt.Errorf("claiming idempotency key of user %d: %w", k.UserID, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return ErrTaken
	}
	return nil
}

// Bind records, in tx (the transaction that inserts record recordID), that the request holding k
// created that record. It is for a key claimed on its own before the request wrote anything, with
// RecordID 0 (a page form's one-time token, claimed first so that a second post of the form writes
// nothing, not even an upload); ErrTaken when k is no longer so held.
func Bind(ctx context.Context, tx bun.IDB, k *Key, recordID int64) error {
	res, err := tx.NewUpdate().Model((*Key)(nil)).Set("record_id = ?", recordID).
		Where("user_id = ? AND key = ? AND record_id = 0", k.UserID, k.Key).Exec(ctx)
	if err != nil {
		return fmt.Errorf("binding idempotency key of user %d to record %d: %w", k.UserID, recordID, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return ErrTaken
	}
	k.RecordID = recordID
	return nil
}

// Release gives up k, claimed with RecordID 0, when its request created nothing (it failed, or only
// saved a draft), so that the form may be posted again with it. A key bound to a record stays.
func Release(ctx context.Context, db bun.IDB, k *Key) error {
	if _, err := db.NewDelete().Model((*Key)(nil)).Where("user_id = ? AND key = ? AND record_id = 0", k.UserID, k.Key).
		Exec(ctx); err != nil {
		return fmt.Errorf("releasing idempotency key of user %d: %w", k.UserID, err)
	}
	return nil
}

// Answer stores the first answer of k's request, after its transaction committed.
func Answer(ctx context.Context, db bun.IDB, k *Key, status int, body []byte) error {
	if _, err := db.NewUpdate().Model((*Key)(nil)).Set("status = ?", status).Set("response = ?", string(body)).
		Where("user_id = ? AND key = ?", k.UserID, k.Key).Exec(ctx); err != nil {
		return fmt.Errorf("storing the answer of idempotency key of user %d: %w", k.UserID, err)
	}
	k.Status, k.Response = status, string(body)
	return nil
}

// Purge deletes the keys claimed more than TTL before now.
func Purge(ctx context.Context, db bun.IDB, now time.Time) error {
	if _, err := db.NewDelete().Model((*Key)(nil)).Where("created_at < ?", now.Add(-TTL).UTC()).Exec(ctx); err != nil {
		return fmt.Errorf("purging expired idempotency keys: %w", err)
	}
	return nil
}
