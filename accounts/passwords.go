package accounts

import (
	"bufio"
	"context"
	_ "embed"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/notify"
	"github.com/civicflow/civicflow/problem"
)

// commonPasswordList is the list of common passwords shipped with the product (see its header for
// where it comes from); only passwords of MinPasswordLength or more are in it, as shorter ones are
// refused anyway.
//
//go:embed common-passwords.txt
var commonPasswordList string

// commonPasswords is commonPasswordList as a set of lower-case passwords, built on first use: only
// a process that checks a new password pays for it, not every one that starts with this package.
var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	set := make(map[string]struct{}, 30000)
	sc := bufio.NewScanner(strings.NewReader(commonPasswordList))
	for sc.Scan() {
		if line := sc.Text(); line != "" && !strings.HasPrefix(line, "#") {
			set[line] = struct{}{}
		}
	}
	return set
})

// checkNewPassword adds to fe, at path, what is wrong with password as a new password: too short, too long,
// on the list of common passwords, or the account's own login name or mobile number.
func checkNewPassword(fe *problem.Fields, path, password string, own ...string) {
	if utf8.RuneCountInString(password) < MinPasswordLength {
		fe.Add(path, "too_short", fmt.Sprintf("密码至少%d个字符。", MinPasswordLength),
			fmt.Sprintf("The password needs at least %d characters.", MinPasswordLength))
		return
	}
	if utf8.RuneCountInString(password) > MaxPasswordLength {
		fe.Add(path, "too_long", fmt.Sprintf("密码最多%d个字符。", MaxPasswordLength),
			fmt.Sprintf("The password may have at most %d characters.", MaxPasswordLength))
		return
	}
	lower := strings.ToLower(password)
	if _, common := commonPasswords()[lower]; common {
		fe.Add(path, "common", "这个密码太常见，很容易被猜到，请换一个。",
			"This password is too common and easily guessed. Please choose another.")
		return
	}
	for _, o := range own {
		if o != "" && lower == strings.ToLower(o) {
			fe.Add(path, "same_as_account", "密码不能与登录名或手机号码相同。",
				"The password must not be your login name or mobile number.")
			return
		}
	}
}

// ErrWrongPassword is the answer to a password change whose current password is not correct.
var ErrWrongPassword = func() error {
	var fe problem.Fields
	fe.Add("old_password", "wrong", "当前密码不正确。", "The current password is not correct.")
	return fe.Err()
}()

// PasswordChange is the input of ChangePassword: the current password, the new one, and the
// request's client address and known-device token for the login throttle (the current password is
// checked like a login, so that a stolen session cannot guess it).
type PasswordChange struct {
	Old, New   string
	IP, Device string
	// Session is the token of the session making the change, which stays logged in; every other
	// session of the account ends.
	Session string
}

// ChangePassword sets a new password on the account of u after checking its current one, ends the
// account's other sessions, and audits and notifies the change in one transaction; c forgets them.
func ChangePassword(ctx context.Context, db bun.IDB, c *Cache, th Throttle, actor audit.Actor, u *User, pc PasswordChange) error {
	var fe problem.Fields
	checkNewPassword(&fe, "new_password", pc.New, u.Login, u.Phone)
	if pc.Old == pc.New && len(fe) == 0 {
		fe.Add("new_password", "unchanged", "新密码不能与当前密码相同。", "The new password must differ from the current one.")
	}
	if err := fe.Err(); err != nil {
		return err
	}
	if _, err := Authenticate(ctx, db, th, Credentials{Login: u.Login, Password: pc.Old, IP: pc.IP, Device: pc.Device}); err != nil {
		if problem.Is(err, problem.Unauthenticated) || problem.Is(err, problem.Invalid) {
			return ErrWrongPassword
		}
		return err
	}
	return setPassword(ctx, db, c, actor, u, pc.New, pc.Session, "user.password_change", "password_changed")
}

// setPassword stores the hash of password for the user u, ends the user's sessions but the one of
// keep ("" for none), and records event and sends the notification template in one transaction; then
// c forgets the user's sessions and tokens in every process.
func setPassword(ctx context.Context, db bun.IDB, c *Cache, actor audit.Actor, u *User, password, keep, event, template string) error {
	userID := u.ID
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	err = db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewUpdate().Model((*User)(nil)).Set("password_hash = ?", hash).Set("updated_at = ?", now).
			Where("id = ?", userID).Exec(ctx); err != nil {
			return fmt.Errorf("setting the password of user %d: %w", userID, err)
		}
		ended, err := endSessions(ctx, tx, userID, keep)
		if err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, actor, event, "user", strconv.FormatInt(userID, 10), "",
			map[string]any{"sessions_ended": ended}); err != nil {
			return err
		}
		return notify.Send(ctx, tx, notify.Message{UserID: userID, Template: template, Data: map[string]any{"login": u.Login}})
	})
	if err != nil {
		return err
	}
	c.evictUser(ctx, userID)
	return nil
}
