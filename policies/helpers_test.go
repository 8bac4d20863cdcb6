package policies_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/database"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/stacktest"
)

// The fixture jurisdictions.
const (
	liaoning = "210000" // 辽宁省
	shenyang = "210100" // 沈阳市
	heping   = "210102" // 沈阳市和平区
	dalian   = "210200" // 大连市
)

type fixtureUser struct {
	bun.BaseModel `bun:"table:users"`

	ID           int64 `bun:",pk,autoincrement"`
	Login        string
	Locale       string
	PasswordHash string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// addJurisdictions inserts Liaoning, Shenyang, its county Heping and Dalian.
func addJurisdictions(t testing.TB, db bun.IDB) {
	t.Helper()
	now := time.Now().UTC()
	parent := func(code string) *string { return &code }
	rows := []jurisdictions.Jurisdiction{
		{Code: liaoning, NameZH: "辽宁省", NameEN: "Liaoning", CreatedAt: now},
		{Code: shenyang, NameZH: "沈阳市", NameEN: "Shenyang", ParentCode: parent(liaoning), CreatedAt: now},
		{Code: dalian, NameZH: "大连市", NameEN: "Dalian", ParentCode: parent(liaoning), CreatedAt: now},
		{Code: heping, NameZH: "和平区", NameEN: "Heping", ParentCode: parent(shenyang), CreatedAt: now},
	}
	if _, err := db.NewInsert().Model(&rows).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// addUser inserts a user and returns its id.
func addUser(t testing.TB, db bun.IDB, login, locale string) int64 {
	t.Helper()
	now := time.Now().UTC()
	u := &fixtureUser{Login: login, Locale: locale, PasswordHash: "x", CreatedAt: now, UpdatedAt: now}
	if _, err := db.NewInsert().Model(u).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// grantSystem grants without a permission check and fails the test on error.
func grantSystem(t testing.TB, db bun.IDB, userID int64, role, pattern string) {
	t.Helper()
	if err := policies.GrantSystem(context.Background(), db, userID, role, pattern); err != nil {
		t.Fatalf("GrantSystem(%d, %s, %s): %v", userID, role, pattern, err)
	}
}

// newEnforcer returns an enforcer over db with the policies as they stand.
func newEnforcer(t testing.TB, db *bun.DB) *policies.Enforcer {
	t.Helper()
	e, err := policies.New(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// secondPool opens another connection pool on the stack's database, as another process would.
func secondPool(t *testing.T, s *stacktest.Stack) *bun.DB {
	t.Helper()
	ctx := context.Background()
	var (
		db  *bun.DB
		err error
	)
	if path, ok := strings.CutPrefix(s.DatabaseURL, "sqlite:"); ok {
		db, err = database.OpenSQLite(ctx, path)
	} else {
		db, err = database.OpenPostgres(ctx, s.DatabaseURL, 5*time.Second)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// count returns the number of rows of table matching where.
func count(t *testing.T, db bun.IDB, table, where string, args ...any) int {
	t.Helper()
	n, err := db.NewSelect().TableExpr(table).Where(where, args...).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// revision returns the policy revision.
func revision(t *testing.T, db bun.IDB) int64 {
	t.Helper()
	var rev int64
	if err := db.NewSelect().TableExpr("policy_revision").Column("revision").Scan(context.Background(), &rev); err != nil {
		t.Fatal(err)
	}
	return rev
}

// actor is the audit actor of a fixture user.
func actor(id int64, login string) audit.Actor { return audit.Actor{UserID: id, Label: login} }

// eventually polls cond until it holds or a deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
