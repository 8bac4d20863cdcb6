package accounts

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/database"
	"github.com/civicflow/civicflow/problem"
)

// The resident ID number of an account is bound once, when a clerk checks its holder in at a
// registration office with the ID card in hand, and is unique across accounts: from then on the
// account books only for that number, which keeps paid booking agents from booking for others. It
// is personal data: never log it, never put it in an error.

// ErrIDMismatch is the problem of a booking whose booker is not the person the account belongs to.
var ErrIDMismatch = problem.New(problem.Invalid, "id_mismatch",
	"预约人身份证号与本账户绑定的身份证号不一致：只能为本人预约。",
	"The booker's ID number is not the one bound to this account: you can only book for yourself.")

// ErrIDTaken is the problem of binding an ID number that another account holds.
var ErrIDTaken = problem.New(problem.Conflict, "id_taken",
	"该身份证号已绑定其他账户。", "That ID number is bound to another account.")

// BindIDNumber binds idNumber (already validated) to the account when it has none; binding the same
// number again is fine. An account bound to another number gets Invalid id_mismatch on
// booker_id_number, and a number another account holds gets Conflict id_taken, also when the other
// account binds it at the same moment. Call it inside the transaction of the check-in that verified
// the number.
func BindIDNumber(ctx context.Context, db bun.IDB, userID int64, idNumber string) error {
	if idNumber == "" {
		return fmt.Errorf("binding an empty ID number to user %d", userID)
	}
	_, err := db.NewUpdate().Table("users").Set("id_number = ?", idNumber).
		Where("id = ? AND id_number = ''", userID).Exec(ctx)
	if database.IsUniqueViolation(err) {
		return ErrIDTaken
	}
	if err != nil {
		return fmt.Errorf("binding the ID number of user %d: %w", userID, err)
	}
	bound, err := IDNumberOf(ctx, db, userID)
	if err != nil {
		return err
	}
	if bound != idNumber {
		var fe problem.Fields
		fe.Add("booker_id_number", ErrIDMismatch.Code, ErrIDMismatch.Message.ZH, ErrIDMismatch.Message.EN)
		return fe.Err()
	}
	return nil
}

// IDNumberOf returns the ID number bound to the account, or "" when none is.
func IDNumberOf(ctx context.Context, db bun.IDB, userID int64) (string, error) {
	var n string
	err := db.NewSelect().Table("users").Column("id_number").Where("id = ?", userID).Scan(ctx, &n)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("user %d does not exist", userID)
	}
	if err != nil {
		return "", fmt.Errorf("reading the ID number of user %d: %w", userID, err)
	}
	return n, nil
}

// UserByIDNumber returns the account bound to idNumber, if one is.
func UserByIDNumber(ctx context.Context, db bun.IDB, idNumber string) (int64, bool, error) {
	if idNumber == "" {
		return 0, false, nil
	}
	var id int64
	err := db.NewSelect().Table("users").Column("id").Where("id_number = ?", idNumber).Scan(ctx, &id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("finding the account of an ID number: %w", err)
	}
	return id, true, nil
}
