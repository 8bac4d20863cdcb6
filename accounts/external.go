package accounts

import (
	"context"
	"crypto/rand"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/audit"
)

// ExternalUser is a person an identity platform vouches for, signing in for the first time.
type ExternalUser struct {
	DisplayName string
	Phone       string // kept only when it is a mobile number
	Locale      string
}

// CreateExternal creates the account of a person who signs in through the unified identity platform
// (package sso) inside db, the transaction that links it: a generated login name ("sso-…") and a
// password nobody knows (the hash of a random secret), so that only the platform, or a password set
// later through a reset, logs in to it. It grants no role: the caller does. Audited as user.create.
func CreateExternal(ctx context.Context, db bun.IDB, actor audit.Actor, eu ExternalUser) (*User, error) {
	if eu.Locale != "en" {
		eu.Locale = "zh-CN"
	}
	if !phonePattern.MatchString(eu.Phone) {
		eu.Phone = ""
	}
	name := strings.TrimSpace(eu.DisplayName)
	if utf8.RuneCountInString(name) > 100 {
		name = string([]rune(name)[:100])
	}
	hash, err := HashPassword(rand.Text())
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	u := &User{Login: "sso-" + strings.ToLower(rand.Text()[:16]), DisplayName: name, Phone: eu.Phone, Locale: eu.Locale,
		PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	if _, err := db.NewInsert().Model(u).Exec(ctx); err != nil {
		return nil, fmt.Errorf("inserting the account of a person from the identity platform: %w", err)
	}
	if err := indexName(ctx, db, u); err != nil {
		return nil, err
	}
	if actor.UserID == 0 {
		actor.UserID, actor.Label = u.ID, u.Login
	}
	if err := audit.Record(ctx, db, actor, "user.create", "user", strconv.FormatInt(u.ID, 10), "",
		map[string]any{"login": u.Login, "via": "sso"}); err != nil {
		return nil, err
	}
	return u, nil
}
