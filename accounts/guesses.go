package accounts

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/problem"
)

// GuessLimit bounds the wrong answers to a public lookup that takes a secret (a case's query code)
// under one key, normally the client address, within a sliding window. It counts in the login
// throttle's tables, under keys of their own, so that every process of an installation sees the same
// count and a burst spread over processes is bounded as well.
type GuessLimit struct {
	Max    int
	Window time.Duration
}

// ErrTooManyGuesses is the answer once a key has used up its wrong guesses; it says nothing about
// whether the last guess was right.
var ErrTooManyGuesses = problem.New(problem.TooManyRequests, "too_many_guesses",
	"查询次数过多，请稍后再试。", "Too many lookups. Please try again later.")

// Guess counts one guess under key before its answer is known, and returns a function that takes it
// back once the guess turned out right: only wrong guesses stay counted. Once Max guesses of the
// window are counted (including those still being answered, so that a burst sent at once cannot
// slip past the limit) it refuses with ErrTooManyGuesses.
func Guess(ctx context.Context, db bun.IDB, key string, lim GuessLimit) (right func(context.Context) error, err error) {
	now := time.Now().UTC()
	since := now.Add(-lim.Window)
	var id int64
	err = db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		failed, pending, err := lockAndCount(ctx, tx, key, now, since, now.Add(-pendingFor))
		if err != nil {
			return err
		}
		if failed+pending >= lim.Max {
			return ErrTooManyGuesses
		}
		if err := tx.QueryRowContext(ctx, "INSERT INTO login_failures (key, at, pending) VALUES (?, ?, FALSE) RETURNING id",
			key, now).Scan(&id); err != nil {
			return fmt.Errorf("recording a guess: %w", err)
		}
		return prune(ctx, tx, key, since)
	})
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) error {
		if _, err := db.NewDelete().Table("login_failures").Where("id = ?", id).Exec(context.WithoutCancel(ctx)); err != nil {
			return fmt.Errorf("taking back a right guess: %w", err)
		}
		return nil
	}, nil
}
