package accounts

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/notify"
	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/problem"
)

// Kinds of account the public signs up for; each is the role of the same name, held everywhere.
const (
	KindCitizen      = "citizen"
	KindOrgApplicant = "org_applicant"
)

// checkKind adds to fe what is wrong with kind.
func checkKind(fe *problem.Fields, kind string) {
	if kind != KindCitizen && kind != KindOrgApplicant {
		fe.Add("kind", "invalid", "请选择账号类型：群众或社会组织申请人。", "Choose the kind of account: citizen or organisation applicant.")
	}
}

// Enrolment is where the public gets accounts: sign-up with a mobile number confirmed by an SMS
// code, a password reset by SMS code, and a second kind of account added to one's own. Codes are
// counted under Limits; roles go through Enforcer, which is reloaded so that they work at once. A reset
// password ends the account's sessions, which Cache forgets.
type Enrolment struct {
	DB       *bun.DB
	Enforcer *policies.Enforcer
	Cache    *Cache
	Limits   CodeLimits
}

// CodeRequest asks for a code sent by SMS to Phone, from the client address IP, in Locale.
type CodeRequest struct {
	Phone, IP, Locale string
	// Kind is the kind of account signed up for (sign-up only).
	Kind string
}

// StartSignUp sends a sign-up code to the number, or, if it has an account already, a text telling
// its owner so instead: the caller gets the same answer, after the same work (a code is stored either
// way, and FinishSignUp refuses it for a number with an account like a wrong one), so that sign-up
// does not tell whether a number has an account.
func (e *Enrolment) StartSignUp(ctx context.Context, r CodeRequest) error {
	var fe problem.Fields
	checkPhone(&fe, r.Phone)
	checkKind(&fe, r.Kind)
	if err := fe.Err(); err != nil {
		return err
	}
	return e.sendCode(ctx, r, purposeSignUp, func(u *User) (string, bool) {
		if u != nil {
			return "signup_existing", false
		}
		return "signup_code", true
	})
}

// StartReset sends a password reset code to the number if it has an account, or a text saying that
// it has none: the same answer and work either way.
func (e *Enrolment) StartReset(ctx context.Context, r CodeRequest) error {
	var fe problem.Fields
	checkPhone(&fe, r.Phone)
	if err := fe.Err(); err != nil {
		return err
	}
	return e.sendCode(ctx, r, purposeReset, func(u *User) (string, bool) {
		if u == nil || u.Disabled {
			return "reset_no_account", false
		}
		return "reset_code", true
	})
}

// sendCode counts the request, stores a code and writes the text that choose picks for the number's
// account (nil for none), with the code when choose says so, all in one transaction.
func (e *Enrolment) sendCode(ctx context.Context, r CodeRequest, purpose string, choose func(*User) (string, bool)) error {
	if err := countCodeRequest(ctx, e.DB, e.Limits, r.Phone, r.IP); err != nil {
		return err
	}
	return e.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		u, err := accountOf(ctx, tx, r.Phone)
		if err != nil {
			return err
		}
		code, err := issueCode(ctx, tx, r.Phone, purpose)
		if err != nil {
			return err
		}
		template, withCode := choose(u)
		data := map[string]any{"phone": r.Phone}
		if withCode {
			data = map[string]any{"code": code, "minutes": int(CodeTTL.Minutes())}
		}
		locale := r.Locale
		if u != nil {
			locale = u.Locale
		}
		return notify.SendSMS(ctx, tx, r.Phone, locale, template, data)
	})
}

// SignUp is the second step of a sign-up: the code sent to Phone and the new account's details.
type SignUp struct {
	Phone, Code, Kind     string
	Password, DisplayName string
	Email, Locale         string
}

// FinishSignUp creates the account of a confirmed number, with the role of its kind, audited and
// welcomed in one transaction with the use of the code. The login name is the number. Every invalid
// field is reported at once; a wrong, expired or used code, or a number that has an account
// meanwhile, is the same field error on "code".
func (e *Enrolment) FinishSignUp(ctx context.Context, actor audit.Actor, su SignUp) (*User, error) {
	su.Phone, su.DisplayName = strings.TrimSpace(su.Phone), strings.TrimSpace(su.DisplayName)
	nu := NewUser{Login: su.Phone, Password: su.Password, DisplayName: su.DisplayName, Email: su.Email, Phone: su.Phone, Locale: su.Locale}
	var fe problem.Fields
	checkPhone(&fe, su.Phone)
	checkKind(&fe, su.Kind)
	if strings.TrimSpace(su.Code) == "" {
		fe.Add("code", "required", "请输入短信验证码。", "Enter the code from the text message.")
	}
	if su.DisplayName == "" {
		fe.Add("display_name", "required", "请填写姓名。", "Enter your name.")
	}
	if err := nu.check(); err != nil {
		p, _ := problem.As(err)
		for _, f := range p.Fields {
			if f.Path != "login" && f.Path != "phone" { // the number is checked above, once
				fe = append(fe, f)
			}
		}
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	hash, err := HashPassword(nu.Password)
	if err != nil {
		return nil, err
	}
	u := nu.user(hash)
	err = useCode(ctx, e.DB, e.Limits, su.Phone, purposeSignUp, su.Code, func(ctx context.Context, tx bun.Tx) error {
		if existing, err := accountOf(ctx, tx, su.Phone); err != nil || existing != nil {
			if err == nil {
				err = errBadCode()
			}
			return err
		}
		if err := insertUser(ctx, tx, actor, u); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, actor, "user.signup", "user", strconv.FormatInt(u.ID, 10), "", map[string]any{"kind": su.Kind}); err != nil {
			return err
		}
		if err := policies.GrantSystem(ctx, tx, u.ID, su.Kind, "*"); err != nil {
			return err
		}
		return notify.Send(ctx, tx, notify.Message{UserID: u.ID, Template: "signup_welcome", Data: map[string]any{"role": roleLabel(su.Kind, u.Locale)}})
	})
	if err != nil {
		return nil, err
	}
	if err := e.Enforcer.Reload(ctx); err != nil {
		return nil, fmt.Errorf("signed up user %d, but reloading the policies: %w", u.ID, err)
	}
	return u, nil
}

// roleLabel names a role in locale.
func roleLabel(role, locale string) string {
	r, _ := policies.RoleByName(role)
	return r.Label(locale)
}

// Reset is the second step of a password reset: the code sent to Phone and the new password.
type Reset struct {
	Phone    string `json:"phone"`
	Code     string `json:"code"`
	Password string `json:"password"`
}

// FinishReset sets a new password on the account of a number confirmed by its reset code and ends
// all its sessions, audited and notified in one transaction with the use of the code. A wrong,
// expired or used code, or a number without an (enabled) account, is the same field error on "code".
func (e *Enrolment) FinishReset(ctx context.Context, actor audit.Actor, r Reset) error {
	r.Phone = strings.TrimSpace(r.Phone)
	var fe problem.Fields
	checkPhone(&fe, r.Phone)
	checkNewPassword(&fe, "password", r.Password, r.Phone)
	if strings.TrimSpace(r.Code) == "" {
		fe.Add("code", "required", "请输入短信验证码。", "Enter the code from the text message.")
	}
	if err := fe.Err(); err != nil {
		return err
	}
	var u *User
	// The code is used up before the slow hash, so that two resets sent at once cannot both pass.
	err := useCode(ctx, e.DB, e.Limits, r.Phone, purposeReset, r.Code, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if u, err = accountOf(ctx, tx, r.Phone); err == nil && (u == nil || u.Disabled) {
			err = errBadCode()
		}
		return err
	})
	if err != nil {
		return err
	}
	actor.UserID, actor.Label = u.ID, u.Login
	return setPassword(ctx, e.DB, e.Cache, actor, u, r.Password, "", "user.password_reset", "password_reset")
}

// Kinds tells which kinds of account the user holds (their roles, held everywhere).
func (e *Enrolment) Kinds(ctx context.Context, userID int64) (map[string]bool, error) {
	grants, err := e.Enforcer.Grants(ctx, userID)
	if err != nil {
		return nil, err
	}
	held := map[string]bool{}
	for _, g := range grants {
		if (g.Role == KindCitizen || g.Role == KindOrgApplicant) && g.Pattern == "*" {
			held[g.Role] = true
		}
	}
	return held, nil
}

// AddKind adds the role of the other kind of account to the account of u, which must hold one kind
// already (it signed up, or staff gave it one), after checking its password like a login: one
// person, one account, both roles. Audited and notified; adding a role held already changes nothing.
func (e *Enrolment) AddKind(ctx context.Context, th Throttle, actor audit.Actor, u *User, kind, password, ip, device string) error {
	var fe problem.Fields
	checkKind(&fe, kind)
	if err := fe.Err(); err != nil {
		return err
	}
	held, err := e.Kinds(ctx, u.ID)
	if err != nil {
		return err
	}
	if !held[KindCitizen] && !held[KindOrgApplicant] {
		return problem.ErrForbidden
	}
	if held[kind] {
		return nil
	}
	if _, err := Authenticate(ctx, e.DB, th, Credentials{Login: u.Login, Password: password, IP: ip, Device: device}); err != nil {
		if problem.Is(err, problem.Unauthenticated) || problem.Is(err, problem.Invalid) {
			var fe problem.Fields
			fe.Add("password", "wrong", "密码不正确。", "The password is not correct.")
			return fe.Err()
		}
		return err
	}
	err = e.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := audit.Record(ctx, tx, actor, "user.add_kind", "user", strconv.FormatInt(u.ID, 10), "", map[string]any{"kind": kind}); err != nil {
			return err
		}
		if err := policies.GrantSystem(ctx, tx, u.ID, kind, "*"); err != nil {
			return err
		}
		return notify.Send(ctx, tx, notify.Message{UserID: u.ID, Template: "signup_role_added", Data: map[string]any{"role": roleLabel(kind, u.Locale)}})
	})
	if err != nil {
		return err
	}
	if err := e.Enforcer.Reload(ctx); err != nil {
		return fmt.Errorf("added %s to user %d, but reloading the policies: %w", kind, u.ID, err)
	}
	return nil
}
