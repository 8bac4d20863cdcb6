// Package accounts holds users, their passwords (argon2id), login sessions, API tokens and the login
// throttle. Roles are not here: they are grants in package policies.
package accounts

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/alexedwards/argon2id"
	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/nameindex"
	"github.com/civicflow/civicflow/problem"
)

// User is an account: staff, an organisation's applicant or a citizen.
type User struct {
	bun.BaseModel `bun:"table:users"`

	ID           int64     `bun:",pk,autoincrement" json:"id"`
	Login        string    `json:"login"`
	DisplayName  string    `json:"display_name"`
	Email        string    `json:"email"`
	Phone        string    `json:"phone"`
	Locale       string    `json:"locale"`
	PasswordHash string    `json:"-"`
	Disabled     bool      `json:"disabled"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"-"`
}

// Name is what the interface shows for the user.
func (u *User) Name() string {
	if u.DisplayName != "" {
		return u.DisplayName
	}
	return u.Login
}

// NewUser is the input of Create.
type NewUser struct {
	Login       string `json:"login"`
	Password    string `json:"password"`
	DisplayName string `json:"display_name"`
	Email       string `json:"email"`
	Phone       string `json:"phone"`
	Locale      string `json:"locale"`
}

// MinPasswordLength is the shortest password accepted, MaxPasswordLength the longest: hashing costs
// grow with the length, so a longer one is refused before it is hashed or checked.
const (
	MinPasswordLength = 10
	MaxPasswordLength = 1024
)

// maxLoginLength is the longest login name (loginPattern); a longer one is refused at login before
// anything is checked.
const maxLoginLength = 64

// checkLengths refuses a login name or password longer than any account can have, with a 422 on the
// field, before anything is hashed.
func checkLengths(fe *problem.Fields, login, password string) {
	if utf8.RuneCountInString(login) > maxLoginLength {
		fe.Add("login", "too_long", fmt.Sprintf("登录名最多%d个字符。", maxLoginLength),
			fmt.Sprintf("The login name may have at most %d characters.", maxLoginLength))
	}
	if utf8.RuneCountInString(password) > MaxPasswordLength {
		fe.Add("password", "too_long", fmt.Sprintf("密码最多%d个字符。", MaxPasswordLength),
			fmt.Sprintf("The password may have at most %d characters.", MaxPasswordLength))
	}
}

// passwordParams follow the OWASP recommendation for argon2id (19 MiB, 2 passes, 1 lane).
var passwordParams = &argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

var (
	loginPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{2,63}$`)
	emailPattern = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	phonePattern = regexp.MustCompile(`^1[3-9][0-9]{9}$`)
)

// ErrLoginTaken is the problem of creating a user whose login name exists.
var ErrLoginTaken = problem.New(problem.Conflict, "login_taken", "该登录名已被使用。", "That login name is taken.")

// Create validates nu and inserts the user, recording who created it. Every invalid field is reported
// at once.
func Create(ctx context.Context, db bun.IDB, actor audit.Actor, nu NewUser) (*User, error) {
	if err := nu.check(); err != nil {
		return nil, err
	}
	hash, err := HashPassword(nu.Password)
	if err != nil {
		return nil, err
	}
	u := nu.user(hash)
	err = db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error { return insertUser(ctx, tx, actor, u) })
	if err != nil {
		return nil, err
	}
	return u, nil
}

// check normalises nu and reports every invalid field at once.
func (nu *NewUser) check() error {
	nu.Login = strings.ToLower(strings.TrimSpace(nu.Login))
	nu.Email = strings.TrimSpace(nu.Email)
	nu.Phone = strings.TrimSpace(nu.Phone)
	if nu.Locale == "" {
		nu.Locale = "zh-CN"
	}
	var fe problem.Fields
	if !loginPattern.MatchString(nu.Login) {
		fe.Add("login", "invalid", "登录名须为3至64位小写字母、数字或“._-”，以字母或数字开头。",
			"The login name must be 3–64 lowercase letters, digits or “._-”, starting with a letter or digit.")
	}
	checkNewPassword(&fe, "password", nu.Password, nu.Login, nu.Phone)
	if nu.Email != "" && !emailPattern.MatchString(nu.Email) {
		fe.Add("email", "invalid", "电子邮箱格式不正确。", "That is not an e-mail address.")
	}
	if nu.Phone != "" {
		checkPhone(&fe, nu.Phone)
	}
	if nu.Locale != "zh-CN" && nu.Locale != "en" {
		fe.Add("locale", "invalid", "语言须为 zh-CN 或 en。", "The language must be zh-CN or en.")
	}
	if utf8.RuneCountInString(nu.DisplayName) > 100 {
		fe.Add("display_name", "too_long", "姓名最多100个字符。", "The name may have at most 100 characters.")
	}
	return fe.Err()
}

// user is the account nu describes, with the password hash.
func (nu *NewUser) user(hash string) *User {
	now := time.Now().UTC()
	return &User{Login: nu.Login, DisplayName: strings.TrimSpace(nu.DisplayName), Email: nu.Email, Phone: nu.Phone,
		Locale: nu.Locale, PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
}

// insertUser inserts u in tx with its audit entry, or refuses a login name that exists.
func insertUser(ctx context.Context, tx bun.IDB, actor audit.Actor, u *User) error {
	exists, err := tx.NewSelect().Model((*User)(nil)).Where("login = ?", u.Login).Exists(ctx)
	if err != nil {
		return fmt.Errorf("checking login %s: %w", u.Login, err)
	}
	if exists {
		return ErrLoginTaken
	}
	if _, err := tx.NewInsert().Model(u).Exec(ctx); err != nil {
		return fmt.Errorf("inserting user %s: %w", u.Login, err)
	}
	if err := indexName(ctx, tx, u); err != nil {
		return err
	}
	return audit.Record(ctx, tx, actor, "user.create", "user", strconv.FormatInt(u.ID, 10), "", map[string]any{"login": u.Login})
}

// indexName adds u's name to the users' name index (nameindex.Users), in the transaction that inserts
// u, so that the staff's case search finds its cases by its name as soon as it exists.
func indexName(ctx context.Context, db bun.IDB, u *User) error {
	return nameindex.Users.Add(ctx, db, []nameindex.Named{{ID: u.ID, Name: u.Name()}})
}

// HashPassword returns the argon2id hash of password in the PHC string format.
func HashPassword(password string) (string, error) {
	h, err := argon2id.CreateHash(password, passwordParams)
	if err != nil {
		return "", fmt.Errorf("hashing password: %w", err)
	}
	return h, nil
}

// GetByLogin returns the user with the login name, or problem.ErrNotFound.
func GetByLogin(ctx context.Context, db bun.IDB, login string) (*User, error) {
	u := new(User)
	err := db.NewSelect().Model(u).Where("login = ?", strings.ToLower(strings.TrimSpace(login))).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, problem.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("reading user %s: %w", login, err)
	}
	return u, nil
}

// Names returns what the interface shows for each of the users with the given ids (see User.Name), in
// one query, for pages that name many people; an id without a user is left out.
func Names(ctx context.Context, db bun.IDB, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var users []User
	if err := db.NewSelect().Model(&users).Column("id", "login", "display_name").Where("id IN (?)", bun.List(ids)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("reading the names of users: %w", err)
	}
	for _, u := range users {
		out[u.ID] = u.Name()
	}
	return out, nil
}

// List returns users in login order: the people with accounts, not user 0, which stands for the
// applicants without one whose requests staff entered (workflow.NoApplicant).
func List(ctx context.Context, db bun.IDB) ([]User, error) {
	var out []User
	if err := db.NewSelect().Model(&out).Where("id <> 0").Order("login").Scan(ctx); err != nil {
		return nil, fmt.Errorf("listing users: %w", err)
	}
	return out, nil
}

// SetLocale records the language a user reads the service and messages in; c forgets the user, whose
// pages follow the language from the next request on.
func SetLocale(ctx context.Context, db bun.IDB, c *Cache, userID int64, locale string) error {
	if locale != "zh-CN" && locale != "en" {
		return problem.New(problem.Invalid, "invalid_locale", "不支持的语言。", "Unsupported language.")
	}
	_, err := db.NewUpdate().Model((*User)(nil)).Set("locale = ?", locale).Set("updated_at = ?", time.Now().UTC()).
		Where("id = ?", userID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("setting locale of user %d: %w", userID, err)
	}
	c.evictUser(ctx, userID)
	return nil
}
