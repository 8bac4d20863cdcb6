package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/problem"
)

// CodeLimits bound the one-time SMS codes that confirm a mobile number: how many codes one number
// and one client address may ask for within Window, and how many wrong codes one number may be
// given within Window before every answer is refused.
type CodeLimits struct {
	PerNumber, PerIP int
	WrongPerNumber   int
	Window           time.Duration
}

// CodeTTL is how long a code sent by SMS may be used.
const CodeTTL = 10 * time.Minute

// Purposes of a phone code; a code sent for one cannot be used for the other.
const (
	purposeSignUp = "signup"
	purposeReset  = "reset"
)

// phoneCode is a one-time code sent to a mobile number; only its hash is stored.
type phoneCode struct {
	bun.BaseModel `bun:"table:phone_codes"`

	ID        int64 `bun:",pk,autoincrement"`
	Phone     string
	Purpose   string
	CodeHash  string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// ErrCodeThrottled is the answer once a number or an address has asked for too many codes.
var ErrCodeThrottled = problem.New(problem.TooManyRequests, "sms_code_throttled",
	"获取验证码过于频繁，请稍后再试。", "Too many codes asked for. Please try again later.")

// errBadCode is the one answer to a wrong, expired or used code, and to a code for a number that
// cannot be used for what was asked (one that has an account at sign-up, or none at a reset), so
// that the answer does not tell which.
func errBadCode() error {
	var fe problem.Fields
	fe.Add("code", "bad_code", "验证码不正确或已失效，请重新获取。", "The code is not correct or no longer valid. Please ask for a new one.")
	return fe.Err()
}

// checkPhone adds to fe what is wrong with phone as a mobile number.
func checkPhone(fe *problem.Fields, phone string) {
	if !phonePattern.MatchString(phone) {
		fe.Add("phone", "invalid", "手机号码应为11位，以1开头。", "A mobile number has 11 digits and starts with 1.")
	}
}

// countCodeRequest counts one request for a code under the limits per number and per address,
// refusing with ErrCodeThrottled once either is used up. Every request counts, whether or not the
// number has an account.
func countCodeRequest(ctx context.Context, db bun.IDB, lim CodeLimits, phone, ip string) error {
	for _, k := range []struct {
		key string
		max int
	}{{"sms-ip:" + ip, lim.PerIP}, {"sms-phone:" + phone, lim.PerNumber}} {
		if _, err := Guess(ctx, db, k.key, GuessLimit{Max: k.max, Window: lim.Window}); err != nil {
			if errors.Is(err, ErrTooManyGuesses) {
				return ErrCodeThrottled
			}
			return err
		}
	}
	return nil
}

// issueCode stores a new code for phone and purpose in tx, replacing any earlier one, and returns it.
func issueCode(ctx context.Context, tx bun.IDB, phone, purpose string) (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", fmt.Errorf("generating a code: %w", err)
	}
	code := fmt.Sprintf("%06d", n.Int64())
	now := time.Now().UTC()
	if _, err := tx.NewDelete().Model((*phoneCode)(nil)).Where("phone = ? AND purpose = ?", phone, purpose).Exec(ctx); err != nil {
		return "", fmt.Errorf("replacing the codes of a number: %w", err)
	}
	pc := &phoneCode{Phone: phone, Purpose: purpose, CodeHash: hashCode(phone, purpose, code), CreatedAt: now, ExpiresAt: now.Add(CodeTTL)}
	if _, err := tx.NewInsert().Model(pc).Exec(ctx); err != nil {
		return "", fmt.Errorf("storing a code: %w", err)
	}
	return code, nil
}

// hashCode is the stored form of a code, bound to its number and purpose.
func hashCode(phone, purpose, code string) string {
	sum := sha256.Sum256([]byte(purpose + "\x00" + phone + "\x00" + code))
	return hex.EncodeToString(sum[:])
}

// useCode checks code against the live code of phone and purpose and, in one transaction, uses it
// up and runs then. Wrong codes count against the number (CodeLimits.WrongPerNumber), so that six
// digits cannot be guessed; a right one is taken back once then succeeded. Anything but a live,
// unused, matching code is errBadCode, and then may answer errBadCode too.
func useCode(ctx context.Context, db bun.IDB, lim CodeLimits, phone, purpose, code string, then func(ctx context.Context, tx bun.Tx) error) error {
	right, err := Guess(ctx, db, "sms-code:"+purpose+":"+phone, GuessLimit{Max: lim.WrongPerNumber, Window: lim.Window})
	if errors.Is(err, ErrTooManyGuesses) {
		return errBadCode()
	}
	if err != nil {
		return err
	}
	err = db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		pc := new(phoneCode)
		err := tx.NewSelect().Model(pc).Where("phone = ? AND purpose = ?", phone, purpose).OrderExpr("id DESC").Limit(1).Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return errBadCode()
		}
		if err != nil {
			return fmt.Errorf("reading the code of a number: %w", err)
		}
		now := time.Now().UTC()
		given := hashCode(phone, purpose, strings.TrimSpace(code))
		if pc.UsedAt != nil || !now.Before(pc.ExpiresAt) || subtle.ConstantTimeCompare([]byte(given), []byte(pc.CodeHash)) != 1 {
			return errBadCode()
		}
		res, err := tx.NewUpdate().Model((*phoneCode)(nil)).Set("used_at = ?", now).Where("id = ? AND used_at IS NULL", pc.ID).Exec(ctx)
		if err != nil {
			return fmt.Errorf("using a code: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errBadCode() // used by a request racing with this one
		}
		return then(ctx, tx)
	})
	if err != nil {
		return err
	}
	return right(ctx)
}

// accountOf returns the account a mobile number belongs to: the one whose login name it is (sign-up
// makes it so), else the oldest with it as its number; nil when none.
func accountOf(ctx context.Context, db bun.IDB, phone string) (*User, error) {
	u := new(User)
	err := db.NewSelect().Model(u).Where("login = ? OR phone = ?", phone, phone).
		OrderExpr("CASE WHEN login = ? THEN 0 ELSE 1 END, id", phone).Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("finding the account of a number: %w", err)
	}
	return u, nil
}
