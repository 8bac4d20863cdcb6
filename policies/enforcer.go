// Package policies decides who may do what where. Permissions of roles come from policy.csv
// (embedded, synced into the database on start); grants of roles to users in jurisdictions live in
// the database and change through Grant and Revoke. Every process keeps a casbin enforcer in memory
// and reloads it when another process changes the policies (Watch).
package policies

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/util"
	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/jurisdictions"
)

//go:embed model.conf
var modelConf string

//go:embed policy.csv
var policyCSV []byte

// Grant is one role a user holds, in the jurisdictions a grant pattern covers ("21*", "2101*",
// "210102", or "*" for everywhere).
type Grant struct {
	Role    string `json:"role"`
	Pattern string `json:"pattern"`
}

// UserGrant is a grant together with the user who holds it, for lists of everybody's grants.
type UserGrant struct {
	UserID int64 `json:"user_id"`
	Grant
}

// Enforcer answers authorisation questions from the policies in memory and changes grants in the
// database. It is safe for concurrent use.
type Enforcer struct {
	db *bun.DB
	se *casbin.SyncedEnforcer

	mu       sync.Mutex // serialises reloads and guards revision
	revision int64      // policy_revision.revision read just before the last load

	// grants are the loaded grants by casbin subject ("user:42"), replaced whole by each load.
	grants atomic.Pointer[map[string][]Grant]
	// answers memoises roleAllows: an answer depends only on the role permissions loaded, so each
	// load starts an empty memo. Every page asks a few dozen questions (its menu alone), and casbin's
	// matcher costs far more than a map lookup.
	answers atomic.Pointer[memo]
}

// memo holds roleAllows' answers by "role|dom|obj|act", at most memoLimit of them: the domains come
// from requests, so a client asking about every possible code must not grow it without end.
type memo struct {
	answers sync.Map
	size    atomic.Int64
}

// memoLimit bounds a memo: the roles times the jurisdictions times the permissions actually asked
// stay far below it.
const memoLimit = 100_000

// New returns an enforcer over db. It first inserts the permissions of policy.csv that db lacks,
// so that a fresh database gets seeded and an existing one gets a new release's permissions, and
// then loads every policy from db.
func New(ctx context.Context, db *bun.DB) (*Enforcer, error) {
	m, err := newModel()
	if err != nil {
		return nil, err
	}
	if err := syncPolicyFile(ctx, db); err != nil {
		return nil, err
	}
	se, err := casbin.NewSyncedEnforcer(m)
	if err != nil {
		return nil, fmt.Errorf("creating the casbin enforcer: %w", err)
	}
	se.SetAdapter(NewAdapter(db))
	// Grants are indexed by Reload; casbin's role links are never asked (see model.conf).
	se.EnableAutoBuildRoleLinks(false)
	e := &Enforcer{db: db, se: se}
	if err := e.Reload(ctx); err != nil {
		return nil, err
	}
	return e, nil
}

// newModel parses the embedded model.conf.
func newModel() (model.Model, error) {
	m, err := model.NewModelFromString(modelConf)
	if err != nil {
		return nil, fmt.Errorf("parsing policies/model.conf: %w", err)
	}
	return m, nil
}

// filePolicies returns the rules of policy.csv, each as its values after "p".
func filePolicies() ([][]string, error) {
	r := csv.NewReader(bytes.NewReader(policyCSV))
	r.Comment = '#'
	r.TrimLeadingSpace = true
	r.FieldsPerRecord = -1
	var out [][]string
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading policies/policy.csv: %w", err)
		}
		line, _ := r.FieldPos(0)
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		if rec[0] != "p" || len(rec) != 5 {
			return nil, fmt.Errorf("policies/policy.csv:%d: want \"p, role, domain, object, action\", got %q", line, strings.Join(rec, ", "))
		}
		if _, ok := RoleByName(rec[1]); !ok {
			return nil, fmt.Errorf("policies/policy.csv:%d: %q is not a role", line, rec[1])
		}
		out = append(out, rec[1:])
	}
}

// syncPolicyFile inserts the rules of policy.csv that db lacks, in one transaction, and bumps the
// policy revision when it inserted any so that running processes pick them up. It never deletes.
func syncPolicyFile(ctx context.Context, db bun.IDB) error {
	rules, err := filePolicies()
	if err != nil {
		return err
	}
	err = db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		added := 0
		for _, rule := range rules {
			ok, err := insertRule(ctx, tx, "p", rule)
			if err != nil {
				return err
			}
			if ok {
				added++
			}
		}
		if added == 0 {
			return nil
		}
		slog.InfoContext(ctx, "policies: added permissions from policy.csv", "count", added)
		return bumpRevision(ctx, tx)
	})
	if err != nil {
		return fmt.Errorf("syncing policy.csv into the database: %w", err)
	}
	return nil
}

// bumpRevision tells every process, through their watchers, that the policies changed.
func bumpRevision(ctx context.Context, db bun.IDB) error {
	if _, err := db.NewUpdate().Table("policy_revision").Set("revision = revision + 1").Where("id = 1").Exec(ctx); err != nil {
		return fmt.Errorf("bumping the policy revision: %w", err)
	}
	return nil
}

// readRevision returns the current policy revision.
func readRevision(ctx context.Context, db bun.IDB) (int64, error) {
	var rev int64
	if err := db.NewSelect().Table("policy_revision").Column("revision").Where("id = 1").Scan(ctx, &rev); err != nil {
		return 0, fmt.Errorf("reading the policy revision: %w", err)
	}
	return rev, nil
}

// Reload loads every policy from the database again. The revision is read before the load, so a
// change committed during the load is at worst loaded twice, never missed.
func (e *Enforcer) Reload(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	rev, err := readRevision(ctx, e.db)
	if err != nil {
		return err
	}
	if err := e.se.LoadPolicy(); err != nil {
		return fmt.Errorf("loading policies: %w", err)
	}
	rules, err := e.se.GetNamedGroupingPolicy("g")
	if err != nil {
		return fmt.Errorf("reading the loaded grants: %w", err)
	}
	grants := make(map[string][]Grant, len(rules))
	for _, r := range rules {
		if len(r) >= 3 {
			grants[r[0]] = append(grants[r[0]], Grant{Role: r[1], Pattern: r[2]})
		}
	}
	e.grants.Store(&grants)
	e.answers.Store(new(memo))
	e.revision = rev
	return nil
}

// loadedRevision returns the policy revision the policies in memory are at least as new as.
func (e *Enforcer) loadedRevision() int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.revision
}

// Subject returns the casbin subject of a user.
func Subject(userID int64) string { return "user:" + strconv.FormatInt(userID, 10) }

// Covers reports whether the grant pattern covers the jurisdiction code.
func Covers(pattern, code string) bool {
	return jurisdictions.ValidCode(code) && util.KeyMatch(code, pattern)
}

// Representative returns a code that a grant pattern covers and no narrower pattern does, to ask
// what the pattern's grants allow: "210000" for "21*", "210100" for "2101*", "000000" for "*" and
// the code itself for a plain code.
func Representative(pattern string) string {
	prefix, _, _ := strings.Cut(pattern, "*")
	if len(prefix) >= 6 {
		return prefix[:6]
	}
	return prefix + strings.Repeat("0", 6-len(prefix))
}

// validPattern reports whether p is a grant pattern Grant could have produced: "*", a province or
// city subtree ("21*", "2101*") or a plain code.
func validPattern(p string) bool {
	if p == "*" {
		return true
	}
	if prefix, ok := strings.CutSuffix(p, "*"); ok {
		return (len(prefix) == 2 || len(prefix) == 4) && jurisdictions.ValidCode(Representative(p)) &&
			jurisdictions.Subtree(Representative(p)) == p
	}
	return jurisdictions.ValidCode(p)
}

// roleAllows asks casbin whether the role may do act on obj in the jurisdiction dom, treating an
// evaluation error (a broken policy) as a refusal.
func (e *Enforcer) roleAllows(role, dom, obj, act string) bool {
	// The map is the one of the policies this answer is asked of: a reload stores a new one only
	// once casbin holds the new policies, so an answer from older ones never lands in it.
	m := e.answers.Load()
	key := role + "|" + dom + "|" + obj + "|" + act
	if ok, found := m.answers.Load(key); found {
		return ok.(bool)
	}
	ok, err := e.se.Enforce(role, dom, obj, act)
	if err != nil {
		slog.Error("policies: enforcing", "role", role, "dom", dom, "obj", obj, "act", act, "err", err)
		return false
	}
	if m.size.Add(1) <= memoLimit {
		m.answers.Store(key, ok)
	}
	return ok
}

// Allowed reports whether the user may do act on obj in the jurisdiction with the six-digit code: a
// grant of the user covers the code and its role has the permission there. Anything that is not a
// six-digit code, a grant pattern in particular, is refused.
func (e *Enforcer) Allowed(userID int64, jurisdiction, obj, act string) bool {
	if userID <= 0 || !jurisdictions.ValidCode(jurisdiction) {
		return false
	}
	for _, g := range e.memoryGrants(userID) {
		if Covers(g.Pattern, jurisdiction) && e.roleAllows(g.Role, jurisdiction, obj, act) {
			return true
		}
	}
	return false
}

// memoryGrants returns the user's grants as loaded in memory.
func (e *Enforcer) memoryGrants(userID int64) []Grant {
	if m := e.grants.Load(); m != nil {
		return (*m)[Subject(userID)]
	}
	return nil
}

// AllowedSomewhere reports whether the user may do act on obj in at least one jurisdiction, for
// deciding whether to show a menu entry or page at all.
func (e *Enforcer) AllowedSomewhere(userID int64, obj, act string) bool {
	if userID <= 0 {
		return false
	}
	for _, g := range e.memoryGrants(userID) {
		if e.roleAllows(g.Role, Representative(g.Pattern), obj, act) {
			return true
		}
	}
	return false
}

// Scopes returns the grant patterns, sorted and without repeats, of the user's grants whose role
// gives act on obj, so that lists (a staff inbox) can be limited to the jurisdictions they cover.
func (e *Enforcer) Scopes(userID int64, obj, act string) []string {
	if userID <= 0 {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, g := range e.memoryGrants(userID) {
		if seen[g.Pattern] {
			continue
		}
		// What this grant's role allows, not what the user's other grants add.
		if e.roleAllows(g.Role, Representative(g.Pattern), obj, act) {
			seen[g.Pattern] = true
			out = append(out, g.Pattern)
		}
	}
	sort.Strings(out)
	return out
}

// LoadedGrants returns the user's grants as loaded in memory, on which every decision of the
// enforcer rests (Allowed, HasRole): for a list that must agree with those decisions, such as the
// staff inbox, without a round trip to the database.
func (e *Enforcer) LoadedGrants(userID int64) []Grant {
	return slices.Clone(e.memoryGrants(userID))
}

// Grants returns the user's grants as stored, ordered by role and pattern.
func (e *Enforcer) Grants(ctx context.Context, userID int64) ([]Grant, error) {
	return grantsOf(ctx, e.db, userID)
}

// grantsOf is Grants read through db, which may be a transaction.
func grantsOf(ctx context.Context, db bun.IDB, userID int64) ([]Grant, error) {
	var rows []casbinRule
	err := db.NewSelect().Model(&rows).Where("ptype = 'g'").Where("v0 = ?", Subject(userID)).
		Order("v1", "v2").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the grants of user %d: %w", userID, err)
	}
	out := make([]Grant, 0, len(rows))
	for _, r := range rows {
		out = append(out, Grant{Role: r.V1, Pattern: r.V2})
	}
	return out, nil
}

// AllGrants returns every user's grants as stored, ordered by user, role and pattern, for the
// administration page.
func (e *Enforcer) AllGrants(ctx context.Context) ([]UserGrant, error) {
	var rows []casbinRule
	if err := e.db.NewSelect().Model(&rows).Where("ptype = 'g'").Where("v0 LIKE 'user:%'").Scan(ctx); err != nil {
		return nil, fmt.Errorf("reading all grants: %w", err)
	}
	out := make([]UserGrant, 0, len(rows))
	for _, r := range rows {
		id, err := strconv.ParseInt(strings.TrimPrefix(r.V0, "user:"), 10, 64)
		if err != nil {
			slog.WarnContext(ctx, "policies: grant to a malformed subject", "subject", r.V0, "id", r.ID)
			continue
		}
		out = append(out, UserGrant{UserID: id, Grant: Grant{Role: r.V1, Pattern: r.V2}})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.UserID != b.UserID {
			return a.UserID < b.UserID
		}
		if a.Role != b.Role {
			return a.Role < b.Role
		}
		return a.Pattern < b.Pattern
	})
	return out, nil
}

// ScopeFilter is an SQL condition that keeps the rows whose jurisdiction column lies in one of the
// grant patterns, for limiting lists to what a user may see. Rows without a jurisdiction (global
// records such as account changes) are kept only for province-wide or nationwide grants.
func ScopeFilter(column string, patterns []string) (string, []any) {
	var conds []string
	var args []any
	global := false
	for _, p := range patterns {
		switch {
		case p == "*":
			return "1 = 1", nil
		case strings.HasSuffix(p, "*"):
			// A range rather than LIKE 'prefix%': an index on the column serves it whatever the
			// database's collation, where PostgreSQL serves LIKE only under the C collation.
			prefix := strings.TrimSuffix(p, "*")
			if end, ok := prefixEnd(prefix); ok {
				conds = append(conds, "(? >= ? AND ? < ?)")
				args = append(args, bun.Ident(column), prefix, bun.Ident(column), end)
			} else {
				conds = append(conds, "? >= ?")
				args = append(args, bun.Ident(column), prefix)
			}
			global = global || CoversProvince(p)
		default:
			conds = append(conds, "? = ?")
			args = append(args, bun.Ident(column), p)
		}
	}
	if global {
		conds = append(conds, "? = ''")
		args = append(args, bun.Ident(column))
	}
	if len(conds) == 0 {
		return "1 = 0", nil
	}
	return "(" + strings.Join(conds, " OR ") + ")", args
}

// prefixEnd is the first string of digits after every code that starts with the digits prefix
// ("2101" → "2102", "2109" → "211"); none when the prefix is all nines.
func prefixEnd(prefix string) (string, bool) {
	for i := len(prefix) - 1; i >= 0; i-- {
		if prefix[i] < '9' {
			return prefix[:i] + string(prefix[i]+1), true
		}
	}
	return "", false
}

// CoversProvince reports whether a grant pattern covers at least a whole province ("21*" or "*").
func CoversProvince(pattern string) bool {
	return pattern == "*" || (strings.HasSuffix(pattern, "*") && len(pattern) == 3)
}

// HasRole reports whether the user holds role in a grant that covers the jurisdiction code; workflow
// actions name the roles that may take them.
func (e *Enforcer) HasRole(userID int64, role, jurisdiction string) bool {
	for _, g := range e.memoryGrants(userID) {
		if g.Role == role && Covers(g.Pattern, jurisdiction) {
			return true
		}
	}
	return false
}
