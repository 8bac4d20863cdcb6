package sso

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/database"
	"github.com/civicflow/civicflow/notify"
	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/problem"
)

// Link joins an account to a person of the identity platform, named by issuer and subject. An
// account has at most one link per platform, and a person at most one account.
type Link struct {
	bun.BaseModel `bun:"table:sso_links"`

	ID          int64      `bun:",pk,autoincrement" json:"-"`
	UserID      int64      `json:"-"`
	Issuer      string     `json:"issuer"`
	Subject     string     `json:"subject"`
	CreatedAt   time.Time  `json:"created_at"`
	LastLoginAt *time.Time `json:"last_login_at,omitempty"`
}

// The problems of signing in, linking and unlinking.
var (
	ErrDisabled = problem.New(problem.Forbidden, "sso_account_disabled",
		"与该统一身份认证身份关联的账户已停用。", "The account linked to this identity is disabled.")
	ErrIDTaken = problem.New(problem.Conflict, "sso_id_taken",
		"统一身份认证核验的身份证号已绑定本站另一个账户：请用该账户登录，再在“我的账户”中关联统一身份认证。",
		"The ID number the identity platform vouches for is bound to another account here: log in to that account and link the identity platform on My account.")
	ErrIDMismatch = problem.New(problem.Conflict, "sso_id_mismatch",
		"统一身份认证核验的身份证号与本账户绑定的身份证号不一致，不能关联。",
		"The ID number the identity platform vouches for is not the one bound to this account: they cannot be linked.")
	ErrLinkedElsewhere = problem.New(problem.Conflict, "sso_linked_elsewhere",
		"该统一身份认证身份已关联本站另一个账户。请先在那个账户中解除关联。",
		"This identity is already linked to another account here. Unlink it there first.")
	ErrAlreadyLinked = problem.New(problem.Conflict, "sso_already_linked",
		"本账户已关联统一身份认证的另一个身份。请先解除关联。",
		"This account is already linked to another identity of the platform. Unlink it first.")
	ErrNotLinked = problem.New(problem.NotFound, "sso_not_linked",
		"本账户未关联统一身份认证。", "This account is not linked to the unified identity platform.")
)

// LinkOf returns the account's link to the platform of issuer, or nil.
func LinkOf(ctx context.Context, db bun.IDB, userID int64, issuer string) (*Link, error) {
	l := new(Link)
	err := db.NewSelect().Model(l).Where("user_id = ? AND issuer = ?", userID, issuer).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the link of user %d: %w", userID, err)
	}
	return l, nil
}

func linkBySubject(ctx context.Context, db bun.IDB, issuer, subject string) (*Link, error) {
	l := new(Link)
	err := db.NewSelect().Model(l).Where("issuer = ? AND subject = ?", issuer, subject).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("finding the account of a platform identity: %w", err)
	}
	return l, nil
}

// detail is what the audit log keeps of an identity: who the platform says the person is.
func detail(id Identity) map[string]any {
	return map[string]any{"issuer": id.Issuer, "subject": id.Subject}
}

func userObject(userID int64) string { return strconv.FormatInt(userID, 10) }

// SignIn logs the person in: to the account linked to the identity, or on the first sign-in to a
// new account with the platform's name and mobile number, the citizen role only (never a staff role)
// and the ID number the platform vouches for, linked to the identity. An identity whose vouched ID
// number another account holds creates nothing (ErrIDTaken): its owner links it. Each sign-in is
// audited (sso.login; a new account also user.create and sso.link); enf learns a new account's role
// at once.
func SignIn(ctx context.Context, db *bun.DB, enf *policies.Enforcer, actor audit.Actor, id Identity, locale string) (*accounts.User, error) {
	var u *accounts.User
	created := false
	err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		l, err := linkBySubject(ctx, tx, id.Issuer, id.Subject)
		if err != nil {
			return err
		}
		if l == nil {
			u, err = createLinked(ctx, tx, actor, id, locale)
			created = err == nil
		} else {
			u, err = signInLinked(ctx, tx, l, id)
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, as(actor, u), "sso.login", "user", userObject(u.ID), "", detail(id))
	})
	if err != nil {
		return nil, err
	}
	if created {
		if err := enf.Reload(ctx); err != nil {
			return nil, fmt.Errorf("created user %d, but reloading the policies: %w", u.ID, err)
		}
	}
	return u, nil
}

// as is actor once the person is known: the account signing in.
func as(actor audit.Actor, u *accounts.User) audit.Actor {
	actor.UserID, actor.Label = u.ID, u.Login
	return actor
}

func createLinked(ctx context.Context, tx bun.Tx, actor audit.Actor, id Identity, locale string) (*accounts.User, error) {
	if id.IDNumber != "" {
		_, taken, err := accounts.UserByIDNumber(ctx, tx, id.IDNumber)
		if err != nil {
			return nil, err
		}
		if taken {
			return nil, ErrIDTaken
		}
	}
	u, err := accounts.CreateExternal(ctx, tx, actor, accounts.ExternalUser{DisplayName: id.Name, Phone: id.Phone, Locale: locale})
	if err != nil {
		return nil, err
	}
	if err := policies.GrantSystem(ctx, tx, u.ID, policies.Citizen, "*"); err != nil {
		return nil, err
	}
	if err := bindVouched(ctx, tx, u.ID, id); err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	if _, err := tx.NewInsert().Model(&Link{UserID: u.ID, Issuer: id.Issuer, Subject: id.Subject, CreatedAt: now, LastLoginAt: &now}).Exec(ctx); err != nil {
		if database.IsUniqueViolation(err) { // the same person's first sign-in twice at once
			return nil, ErrLinkedElsewhere.Because(err)
		}
		return nil, fmt.Errorf("linking user %d: %w", u.ID, err)
	}
	return u, audit.Record(ctx, tx, as(actor, u), "sso.link", "user", userObject(u.ID), "", detail(id))
}

// signInLinked is the sign-in of a linked account: a vouched ID number the account lacks is bound
// now, unless another account holds it, which is logged and leaves the sign-in alone.
func signInLinked(ctx context.Context, tx bun.Tx, l *Link, id Identity) (*accounts.User, error) {
	u := new(accounts.User)
	if err := tx.NewSelect().Model(u).Where("id = ?", l.UserID).Scan(ctx); err != nil {
		return nil, fmt.Errorf("reading linked user %d: %w", l.UserID, err)
	}
	if u.Disabled {
		return nil, ErrDisabled
	}
	if id.IDNumber != "" {
		bound, err := accounts.IDNumberOf(ctx, tx, u.ID)
		if err != nil {
			return nil, err
		}
		if bound == "" {
			if err := bindVouched(ctx, tx, u.ID, id); problem.Is(err, problem.Conflict) {
				slog.WarnContext(ctx, "sso: the vouched ID number is bound to another account; not bound", "user_id", u.ID)
			} else if err != nil {
				return nil, err
			}
		}
	}
	if _, err := tx.NewUpdate().Model((*Link)(nil)).Set("last_login_at = ?", time.Now().UTC()).Where("id = ?", l.ID).Exec(ctx); err != nil {
		return nil, fmt.Errorf("recording the sign-in of user %d: %w", u.ID, err)
	}
	return u, nil
}

// bindVouched binds the ID number the platform vouches for to the account, as a clerk's check-in
// does: it counts as verified from then on.
func bindVouched(ctx context.Context, tx bun.Tx, userID int64, id Identity) error {
	if id.IDNumber == "" {
		return nil
	}
	if err := tx.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		return accounts.BindIDNumber(ctx, tx, userID, id.IDNumber)
	}); err != nil {
		if p, ok := problem.As(err); ok && p.Code == accounts.ErrIDTaken.Code {
			return ErrIDTaken
		}
		if p, ok := problem.As(err); ok && p.Kind == problem.Invalid {
			return ErrIDMismatch
		}
		return err
	}
	return nil
}

// LinkAccount links the identity to the account of userID, the logged-in person who started the sign-in
// (see Attempt.UserID): never to an account found by a matching phone or ID number. Staff accounts
// may be linked this way too, by their owner only; the platform then logs them in with their roles.
// A vouched ID number is bound to the account, and one that differs from the account's refuses the
// link (ErrIDMismatch). Audited (sso.link) and notified.
func LinkAccount(ctx context.Context, db *bun.DB, actor audit.Actor, userID int64, id Identity) error {
	return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		l, err := linkBySubject(ctx, tx, id.Issuer, id.Subject)
		if err != nil {
			return err
		}
		if l != nil && l.UserID == userID {
			return nil
		}
		if l != nil {
			return ErrLinkedElsewhere
		}
		if mine, err := LinkOf(ctx, tx, userID, id.Issuer); err != nil {
			return err
		} else if mine != nil {
			return ErrAlreadyLinked
		}
		if err := bindVouched(ctx, tx, userID, id); err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(&Link{UserID: userID, Issuer: id.Issuer, Subject: id.Subject, CreatedAt: time.Now().UTC()}).Exec(ctx); err != nil {
			if database.IsUniqueViolation(err) {
				return ErrLinkedElsewhere.Because(err)
			}
			return fmt.Errorf("linking user %d: %w", userID, err)
		}
		if err := audit.Record(ctx, tx, actor, "sso.link", "user", userObject(userID), "", detail(id)); err != nil {
			return err
		}
		return notify.Send(ctx, tx, notify.Message{UserID: userID, Template: "sso_linked", Data: map[string]any{"login": actor.Label}})
	})
}

// UnlinkAccount removes the account's link to the platform of issuer; the ID number it bound stays bound.
// Audited (sso.unlink) and notified.
func UnlinkAccount(ctx context.Context, db *bun.DB, actor audit.Actor, userID int64, issuer string) error {
	return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		l, err := LinkOf(ctx, tx, userID, issuer)
		if err != nil {
			return err
		}
		if l == nil {
			return ErrNotLinked
		}
		if _, err := tx.NewDelete().Model((*Link)(nil)).Where("id = ?", l.ID).Exec(ctx); err != nil {
			return fmt.Errorf("unlinking user %d: %w", userID, err)
		}
		if err := audit.Record(ctx, tx, actor, "sso.unlink", "user", userObject(userID), "", detail(Identity{Issuer: l.Issuer, Subject: l.Subject})); err != nil {
			return err
		}
		return notify.Send(ctx, tx, notify.Message{UserID: userID, Template: "sso_unlinked", Data: map[string]any{"login": actor.Label}})
	})
}
