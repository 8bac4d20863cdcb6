package policies_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/stacktest"
)

func TestJurisdictionPatterns(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		addJurisdictions(t, s.DB)
		inDalian := addUser(t, s.DB, "dalian", "zh-CN")
		inProvince := addUser(t, s.DB, "province", "zh-CN")
		inHeping := addUser(t, s.DB, "heping", "zh-CN")
		nobody := addUser(t, s.DB, "nobody", "zh-CN")
		grantSystem(t, s.DB, inDalian, policies.Auditor, "2102*")
		grantSystem(t, s.DB, inProvince, policies.Auditor, "21*")
		grantSystem(t, s.DB, inHeping, policies.Auditor, heping)
		e := newEnforcer(t, s.DB)

		cases := []struct {
			name   string
			user   int64
			code   string
			obj    string
			act    string
			expect bool
		}{
			{"city grant in its city", inDalian, dalian, "audit", "read", true},
			{"city grant in one of its counties", inDalian, "210202", "audit", "read", true},
			{"Dalian refused in Shenyang", inDalian, shenyang, "audit", "read", false},
			{"Dalian refused in Shenyang's county", inDalian, heping, "audit", "read", false},
			{"Dalian refused at province level", inDalian, liaoning, "audit", "read", false},
			{"province grant at province level", inProvince, liaoning, "audit", "read", true},
			{"province grant in a city", inProvince, shenyang, "audit", "read", true},
			{"province grant in a county", inProvince, heping, "audit", "read", true},
			{"province grant outside the province", inProvince, "220000", "audit", "read", false},
			{"county grant in its county", inHeping, heping, "audit", "read", true},
			{"county grant not in its city", inHeping, shenyang, "audit", "read", false},
			{"county grant not in a sibling county", inHeping, "210103", "audit", "read", false},
			{"role lacks the permission", inProvince, heping, "role", "grant", false},
			{"no grant at all", nobody, heping, "audit", "read", false},
			{"a pattern is not a code", inDalian, "2102*", "audit", "read", false},
			{"garbage jurisdiction", inProvince, "21", "audit", "read", false},
			{"no user", 0, heping, "audit", "read", false},
		}
		for _, c := range cases {
			if got := e.Allowed(c.user, c.code, c.obj, c.act); got != c.expect {
				t.Errorf("%s: Allowed(%d, %s, %s, %s) = %v", c.name, c.user, c.code, c.obj, c.act, got)
			}
		}
	})
}

func TestGrantNeedsRoleGrantInTheTarget(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		addJurisdictions(t, s.DB)
		dalianAdmin := addUser(t, s.DB, "dalian-admin", "zh-CN")
		provinceAdmin := addUser(t, s.DB, "province-admin", "zh-CN")
		shenyangAdmin := addUser(t, s.DB, "shenyang-admin", "zh-CN")
		clerk := addUser(t, s.DB, "clerk", "zh-CN")
		grantSystem(t, s.DB, dalianAdmin, policies.Admin, "2102*")
		grantSystem(t, s.DB, provinceAdmin, policies.Admin, "21*")
		grantSystem(t, s.DB, shenyangAdmin, policies.Admin, heping) // a county admin, in fact
		e := newEnforcer(t, s.DB)

		err := e.Grant(ctx, actor(dalianAdmin, "dalian-admin"), clerk, policies.Acceptor, shenyang, false)
		if !errors.Is(err, problem.ErrForbidden) {
			t.Fatalf("Dalian admin granting in Shenyang: want ErrForbidden, got %v", err)
		}
		err = e.Grant(ctx, actor(dalianAdmin, "dalian-admin"), clerk, policies.Acceptor, heping, false)
		if !errors.Is(err, problem.ErrForbidden) {
			t.Fatalf("Dalian admin granting in Heping: want ErrForbidden, got %v", err)
		}
		// A county admin cannot grant the subtree of the city above it.
		err = e.Grant(ctx, actor(shenyangAdmin, "shenyang-admin"), clerk, policies.Acceptor, shenyang, true)
		if !errors.Is(err, problem.ErrForbidden) {
			t.Fatalf("county admin granting the city: want ErrForbidden, got %v", err)
		}
		if n := count(t, s.DB, "casbin_rule", "ptype = 'g' AND v0 = ?", policies.Subject(clerk)); n != 0 {
			t.Fatalf("refused grants left %d rows", n)
		}
		if e.Allowed(clerk, heping, "jurisdiction", "read") {
			t.Fatal("clerk allowed before any grant")
		}

		if err := e.Grant(ctx, actor(provinceAdmin, "province-admin"), clerk, policies.Acceptor, heping, false); err != nil {
			t.Fatalf("province admin granting in a county: %v", err)
		}
		if !e.Allowed(clerk, heping, "jurisdiction", "read") {
			t.Fatal("grant not effective in this process")
		}
		if e.Allowed(clerk, shenyang, "jurisdiction", "read") {
			t.Fatal("county grant reaches the city")
		}
		// To Dalian's admin the clerk, who holds a role in Shenyang only, does not exist.
		err = e.Grant(ctx, actor(dalianAdmin, "dalian-admin"), clerk, policies.Reviewer, dalian, true)
		if got := fieldPaths(t, err); !reflect.DeepEqual(got, []string{"user_id"}) {
			t.Fatalf("Dalian admin granting to Shenyang's clerk: fields %v, want user_id", got)
		}
		// It grants in Dalian, for the whole city, to an account without a role.
		newcomer := addUser(t, s.DB, "newcomer", "zh-CN")
		if err := e.Grant(ctx, actor(dalianAdmin, "dalian-admin"), newcomer, policies.Reviewer, dalian, true); err != nil {
			t.Fatalf("Dalian admin granting in Dalian: %v", err)
		}
		for id, want := range map[int64][]policies.Grant{clerk: {{Role: policies.Acceptor, Pattern: heping}},
			newcomer: {{Role: policies.Reviewer, Pattern: "2102*"}}} {
			if got, err := e.Grants(ctx, id); err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("Grants(%d) = %v, %v, want %v", id, got, err, want)
			}
		}
		// The system actor is nobody's admin.
		err = e.Grant(ctx, audit.System, clerk, policies.Acceptor, heping, false)
		if !errors.Is(err, problem.ErrForbidden) {
			t.Fatalf("Grant by the system actor: want ErrForbidden, got %v", err)
		}
	})
}

// fieldPaths returns the paths of the field errors of an Invalid problem, failing otherwise.
func fieldPaths(t *testing.T, err error) []string {
	t.Helper()
	p, ok := problem.As(err)
	if !ok || p.Kind != problem.Invalid {
		t.Fatalf("want an Invalid problem, got %v", err)
	}
	var out []string
	for _, f := range p.Fields {
		out = append(out, f.Path)
	}
	return out
}

func TestGrantValidates(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		addJurisdictions(t, s.DB)
		admin := addUser(t, s.DB, "admin", "zh-CN")
		clerk := addUser(t, s.DB, "clerk", "zh-CN")
		grantSystem(t, s.DB, admin, policies.Admin, "21*")
		e := newEnforcer(t, s.DB)
		a := actor(admin, "admin")
		rev := revision(t, s.DB)

		cases := []struct {
			name   string
			user   int64
			role   string
			code   string
			fields []string
		}{
			{"unknown role", clerk, "janitor", heping, []string{"role"}},
			{"unknown user", 9999, policies.Acceptor, heping, []string{"user_id"}},
			{"unknown jurisdiction", clerk, policies.Acceptor, "210199", []string{"jurisdiction"}},
			{"malformed code", clerk, policies.Acceptor, "21*", []string{"jurisdiction"}},
			{"no code for a staff role", clerk, policies.Acceptor, "", []string{"jurisdiction"}},
			{"unknown user and jurisdiction at once", 9999, policies.Acceptor, "210199", []string{"user_id", "jurisdiction"}},
			{"unknown role and malformed code at once", clerk, "janitor", "x", []string{"role", "jurisdiction"}},
		}
		for _, c := range cases {
			err := e.Grant(ctx, a, c.user, c.role, c.code, false)
			if got := fieldPaths(t, err); !reflect.DeepEqual(got, c.fields) {
				t.Errorf("%s: field errors on %v, want %v", c.name, got, c.fields)
			}
		}
		if err := e.Revoke(ctx, a, clerk, "janitor", "21*"); !reflect.DeepEqual(fieldPaths(t, err), []string{"role"}) {
			t.Errorf("revoke of an unknown role: %v", err)
		}
		if err := e.Revoke(ctx, a, clerk, policies.Acceptor, "2100*"); !reflect.DeepEqual(fieldPaths(t, err), []string{"pattern"}) {
			t.Errorf("revoke with a bad pattern: %v", err)
		}
		if err := e.Revoke(ctx, a, 9999, policies.Acceptor, heping); !reflect.DeepEqual(fieldPaths(t, err), []string{"user_id"}) {
			t.Errorf("revoke from an unknown user: %v", err)
		}
		if err := policies.GrantSystem(ctx, s.DB, clerk, policies.Acceptor, "2105*"); !reflect.DeepEqual(fieldPaths(t, err), []string{"pattern"}) {
			t.Errorf("GrantSystem in an unknown city: %v", err)
		}
		if err := policies.GrantSystem(ctx, s.DB, clerk, policies.Acceptor, "21**"); !reflect.DeepEqual(fieldPaths(t, err), []string{"pattern"}) {
			t.Errorf("GrantSystem with a bad pattern: %v", err)
		}
		if n := count(t, s.DB, "casbin_rule", "ptype = 'g' AND v0 <> ?", policies.Subject(admin)); n != 0 {
			t.Errorf("refused grants left %d rows", n)
		}
		if n := count(t, s.DB, "audit_log", "action LIKE 'role.%' AND object_id <> ?", itoa(admin)); n != 0 {
			t.Errorf("refused grants left %d audit entries", n)
		}
		if got := revision(t, s.DB); got != rev {
			t.Errorf("refused grants moved the revision from %d to %d", rev, got)
		}
	})
}

func TestGrantIsOneTransaction(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		addJurisdictions(t, s.DB)
		admin := addUser(t, s.DB, "admin", "zh-CN")
		clerk := addUser(t, s.DB, "clerk", "zh-CN")
		english := addUser(t, s.DB, "english", "en")
		grantSystem(t, s.DB, admin, policies.Admin, "21*")
		e := newEnforcer(t, s.DB)
		a := actor(admin, "admin")
		rev := revision(t, s.DB)

		if err := e.Grant(ctx, a, clerk, policies.Reviewer, shenyang, true); err != nil {
			t.Fatal(err)
		}
		if n := count(t, s.DB, "casbin_rule", "ptype = 'g' AND v0 = ? AND v1 = ? AND v2 = ?", policies.Subject(clerk), policies.Reviewer, "2101*"); n != 1 {
			t.Fatalf("grant rows: %d", n)
		}
		var entry struct {
			ActorUserID  int64
			Actor        string
			Jurisdiction string
			Detail       map[string]any
		}
		err := s.DB.NewSelect().TableExpr("audit_log").Column("actor_user_id", "actor", "jurisdiction", "detail").
			Where("action = 'role.grant' AND object_type = 'user' AND object_id = ?", itoa(clerk)).Scan(ctx, &entry)
		if err != nil {
			t.Fatalf("audit entry of the grant: %v", err)
		}
		if entry.ActorUserID != admin || entry.Actor != "admin" || entry.Jurisdiction != shenyang ||
			entry.Detail["role"] != policies.Reviewer || entry.Detail["pattern"] != "2101*" {
			t.Fatalf("audit entry: %+v", entry)
		}
		var msg struct {
			Channel string
			Data    map[string]any
		}
		err = s.DB.NewSelect().TableExpr("outbox").Column("channel", "data").
			Where("template = 'role_granted' AND user_id = ?", clerk).Scan(ctx, &msg)
		if err != nil {
			t.Fatalf("outbox row of the grant: %v", err)
		}
		if msg.Channel != "inbox" || msg.Data["role"] != "审查人员" || msg.Data["jurisdiction"] != "沈阳市" {
			t.Fatalf("outbox row: %+v", msg)
		}
		if got := revision(t, s.DB); got != rev+1 {
			t.Fatalf("revision %d after a grant, want %d", got, rev+1)
		}

		// Granting again changes nothing and is no error.
		if err := e.Grant(ctx, a, clerk, policies.Reviewer, shenyang, true); err != nil {
			t.Fatalf("granting twice: %v", err)
		}
		if n := count(t, s.DB, "audit_log", "action = 'role.grant' AND object_id = ?", itoa(clerk)); n != 1 {
			t.Fatalf("audit entries after granting twice: %d", n)
		}
		if n := count(t, s.DB, "outbox", "user_id = ?", clerk); n != 1 {
			t.Fatalf("outbox rows after granting twice: %d", n)
		}
		if got := revision(t, s.DB); got != rev+1 {
			t.Fatalf("revision %d after granting twice, want %d", got, rev+1)
		}

		// The notification speaks the user's language; a citizen's grant needs no code.
		if err := e.Grant(ctx, a, english, policies.Citizen, "", false); err != nil {
			t.Fatal(err)
		}
		err = s.DB.NewSelect().TableExpr("outbox").Column("channel", "data").Where("user_id = ?", english).Scan(ctx, &msg)
		if err != nil || msg.Data["role"] != "Citizen" || msg.Data["jurisdiction"] != "all areas" {
			t.Fatalf("English outbox row: %+v %v", msg, err)
		}
		if got, _ := e.Grants(ctx, english); !reflect.DeepEqual(got, []policies.Grant{{Role: policies.Citizen, Pattern: "*"}}) {
			t.Fatalf("citizen grant: %v", got)
		}

		// When the notification cannot be written, nothing of the grant remains.
		if _, err := s.DB.ExecContext(ctx, "ALTER TABLE outbox RENAME TO outbox_gone"); err != nil {
			t.Fatal(err)
		}
		rev = revision(t, s.DB)
		audited := count(t, s.DB, "audit_log", "action = 'role.grant'")
		if err := e.Grant(ctx, a, clerk, policies.Approver, heping, false); err == nil {
			t.Fatal("grant succeeded without an outbox")
		}
		if n := count(t, s.DB, "casbin_rule", "ptype = 'g' AND v1 = ?", policies.Approver); n != 0 {
			t.Fatalf("failed grant left its rule")
		}
		if n := count(t, s.DB, "audit_log", "action = 'role.grant'"); n != audited {
			t.Fatalf("failed grant left its audit entry")
		}
		if got := revision(t, s.DB); got != rev {
			t.Fatalf("failed grant moved the revision from %d to %d", rev, got)
		}
		if e.Allowed(clerk, heping, "jurisdiction", "read") != true {
			t.Fatal("the earlier reviewer grant should still cover Heping")
		}
	})
}

func TestRevokeRemovesAccess(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		addJurisdictions(t, s.DB)
		admin := addUser(t, s.DB, "admin", "zh-CN")
		dalianAdmin := addUser(t, s.DB, "dalian-admin", "zh-CN")
		auditor := addUser(t, s.DB, "auditor", "zh-CN")
		grantSystem(t, s.DB, admin, policies.Admin, "21*")
		grantSystem(t, s.DB, dalianAdmin, policies.Admin, "2102*")
		e := newEnforcer(t, s.DB)
		a := actor(admin, "admin")

		if err := e.Grant(ctx, a, auditor, policies.Auditor, shenyang, true); err != nil {
			t.Fatal(err)
		}
		if !e.Allowed(auditor, heping, "audit", "read") {
			t.Fatal("grant not effective")
		}
		if err := e.Revoke(ctx, actor(dalianAdmin, "dalian-admin"), auditor, policies.Auditor, "2101*"); !errors.Is(err, problem.ErrForbidden) {
			t.Fatalf("Dalian admin revoking in Shenyang: want ErrForbidden, got %v", err)
		}
		if !e.Allowed(auditor, heping, "audit", "read") {
			t.Fatal("refused revoke removed access")
		}
		rev := revision(t, s.DB)
		if err := e.Revoke(ctx, a, auditor, policies.Auditor, "2101*"); err != nil {
			t.Fatal(err)
		}
		for _, code := range []string{shenyang, heping} {
			if e.Allowed(auditor, code, "audit", "read") {
				t.Errorf("still allowed in %s after revoke", code)
			}
		}
		if e.AllowedSomewhere(auditor, "audit", "read") {
			t.Error("still allowed somewhere after revoke")
		}
		if n := count(t, s.DB, "audit_log", "action = 'role.revoke' AND object_id = ? AND jurisdiction = ?", itoa(auditor), shenyang); n != 1 {
			t.Errorf("revoke audit entries: %d", n)
		}
		if got := revision(t, s.DB); got != rev+1 {
			t.Errorf("revision %d after revoke, want %d", got, rev+1)
		}
		// Revoking what is not held changes nothing.
		if err := e.Revoke(ctx, a, auditor, policies.Auditor, "2101*"); err != nil {
			t.Fatalf("revoking twice: %v", err)
		}
		if got := revision(t, s.DB); got != rev+1 {
			t.Errorf("revision %d after revoking twice, want %d", got, rev+1)
		}
	})
}

func TestReloadAcrossProcesses(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx, cancel := context.WithCancel(context.Background())
		addJurisdictions(t, s.DB)
		admin := addUser(t, s.DB, "admin", "zh-CN")
		clerk := addUser(t, s.DB, "clerk", "zh-CN")
		grantSystem(t, s.DB, admin, policies.Admin, "21*")
		one := newEnforcer(t, s.DB)
		other := newEnforcer(t, secondPool(t, s))
		done := make(chan error, 1)
		go func() { done <- other.Watch(ctx, 20*time.Millisecond) }()
		t.Cleanup(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Watch: %v", err)
			}
		})

		if other.Allowed(clerk, heping, "jurisdiction", "read") {
			t.Fatal("allowed before the grant")
		}
		if err := one.Grant(ctx, actor(admin, "admin"), clerk, policies.Acceptor, heping, false); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the other process sees the grant", func() bool {
			return other.Allowed(clerk, heping, "jurisdiction", "read")
		})
		if err := one.Revoke(ctx, actor(admin, "admin"), clerk, policies.Acceptor, heping); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the other process sees the revoke", func() bool {
			return !other.Allowed(clerk, heping, "jurisdiction", "read")
		})
		// A grant made outside any enforcer (the CLI) reaches both watching and reloading processes.
		grantSystem(t, s.DB, clerk, policies.Reviewer, "2102*")
		eventually(t, "the other process sees the CLI's grant", func() bool {
			return other.Allowed(clerk, "210202", "jurisdiction", "read")
		})
	})
}

func TestAllowedSomewhereAndScopes(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		addJurisdictions(t, s.DB)
		clerk := addUser(t, s.DB, "clerk", "zh-CN")
		boss := addUser(t, s.DB, "boss", "zh-CN")
		citizen := addUser(t, s.DB, "citizen", "zh-CN")
		nobody := addUser(t, s.DB, "nobody", "zh-CN")
		grantSystem(t, s.DB, clerk, policies.Acceptor, "2102*")
		grantSystem(t, s.DB, boss, policies.Admin, "21*")
		grantSystem(t, s.DB, boss, policies.Auditor, "2101*")
		grantSystem(t, s.DB, boss, policies.Auditor, dalian)
		grantSystem(t, s.DB, citizen, policies.Citizen, "ignored for citizens")
		e := newEnforcer(t, s.DB)

		cases := []struct {
			user     int64
			obj, act string
			expect   bool
		}{
			{clerk, "jurisdiction", "read", true},
			{clerk, "role", "grant", false},
			{clerk, "audit", "read", false},
			{boss, "role", "grant", true},
			{boss, "metrics", "read", true},
			{citizen, "jurisdiction", "read", false},
			{nobody, "jurisdiction", "read", false},
			{0, "jurisdiction", "read", false},
		}
		for _, c := range cases {
			if got := e.AllowedSomewhere(c.user, c.obj, c.act); got != c.expect {
				t.Errorf("AllowedSomewhere(%d, %s, %s) = %v", c.user, c.obj, c.act, got)
			}
		}

		scopes := []struct {
			user     int64
			obj, act string
			expect   []string
		}{
			{boss, "audit", "read", []string{"21*", "2101*", dalian}},
			{boss, "role", "grant", []string{"21*"}}, // not 2101*: its auditor grant gives no role:grant
			{boss, "case", "decide", nil},
			{clerk, "jurisdiction", "read", []string{"2102*"}},
			{nobody, "jurisdiction", "read", nil},
		}
		for _, c := range scopes {
			if got := e.Scopes(c.user, c.obj, c.act); !reflect.DeepEqual(got, c.expect) {
				t.Errorf("Scopes(%d, %s, %s) = %v, want %v", c.user, c.obj, c.act, got, c.expect)
			}
		}

		all, err := e.AllGrants(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		want := []policies.UserGrant{
			{UserID: clerk, Grant: policies.Grant{Role: policies.Acceptor, Pattern: "2102*"}},
			{UserID: boss, Grant: policies.Grant{Role: policies.Admin, Pattern: "21*"}},
			{UserID: boss, Grant: policies.Grant{Role: policies.Auditor, Pattern: "2101*"}},
			{UserID: boss, Grant: policies.Grant{Role: policies.Auditor, Pattern: dalian}},
			{UserID: citizen, Grant: policies.Grant{Role: policies.Citizen, Pattern: "*"}},
		}
		if !reflect.DeepEqual(all, want) {
			t.Errorf("AllGrants = %v, want %v", all, want)
		}
	})
}

func TestNewSyncsPolicyFile(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		addJurisdictions(t, s.DB)
		admin := addUser(t, s.DB, "admin", "zh-CN")
		grantSystem(t, s.DB, admin, policies.Admin, "21*")
		rev := revision(t, s.DB)
		newEnforcer(t, s.DB)
		seeded := count(t, s.DB, "casbin_rule", "ptype = 'p'")
		if want := policyFileRules(t); seeded != want {
			t.Fatalf("%d permissions seeded, policy.csv has %d", seeded, want)
		}
		if got := revision(t, s.DB); got != rev+1 {
			t.Fatalf("seeding moved the revision to %d, want %d", got, rev+1)
		}
		// A second start adds nothing; a permission missing from the database (a new release) comes
		// back; grants and rules the file does not list stay.
		if _, err := s.DB.ExecContext(ctx, "DELETE FROM casbin_rule WHERE ptype = 'p' AND v0 = 'admin' AND v2 = 'metrics'"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DB.ExecContext(ctx, "INSERT INTO casbin_rule (ptype, v0, v1, v2, v3) VALUES ('p', 'auditor', '*', 'metrics', 'read')"); err != nil {
			t.Fatal(err)
		}
		e := newEnforcer(t, s.DB)
		if got := count(t, s.DB, "casbin_rule", "ptype = 'p'"); got != seeded+1 {
			t.Fatalf("%d permissions after restart, want %d", got, seeded+1)
		}
		if !e.Allowed(admin, heping, "metrics", "read") {
			t.Fatal("restored permission not effective")
		}
		if n := count(t, s.DB, "casbin_rule", "ptype = 'g'"); n != 1 {
			t.Fatalf("grants after restart: %d", n)
		}
		rev = revision(t, s.DB)
		newEnforcer(t, s.DB)
		if got := revision(t, s.DB); got != rev {
			t.Fatalf("a start with nothing to add moved the revision from %d to %d", rev, got)
		}
	})
}

// policyFileRules counts the rules of policy.csv.
func policyFileRules(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("policy.csv")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "p,") {
			n++
		}
	}
	return n
}

func itoa(id int64) string { return policies.Subject(id)[len("user:"):] }

// Checks keep the role links of a jurisdiction (prime); revoking one of two grants that both cover it
// must still leave the other in force there.
func TestOverlappingGrantsSurviveARevoke(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		addJurisdictions(t, s.DB)
		admin := addUser(t, s.DB, "admin", "zh-CN")
		clerk := addUser(t, s.DB, "clerk", "zh-CN")
		grantSystem(t, s.DB, admin, policies.Admin, "21*")
		grantSystem(t, s.DB, clerk, policies.Acceptor, "2101*")
		grantSystem(t, s.DB, clerk, policies.Acceptor, "21*")
		e := newEnforcer(t, s.DB)
		if !e.Allowed(clerk, heping, "case", "read") || !e.Allowed(clerk, dalian, "case", "read") {
			t.Fatal("grants not effective")
		}
		if err := e.Revoke(ctx, actor(admin, "admin"), clerk, policies.Acceptor, "21*"); err != nil {
			t.Fatal(err)
		}
		if !e.Allowed(clerk, heping, "case", "read") {
			t.Error("the grant on 2101* was lost with the revoke of 21*")
		}
		if e.Allowed(clerk, dalian, "case", "read") {
			t.Error("still allowed in Dalian after the revoke of 21*")
		}
	})
}

// BenchmarkAllowedAmongManyCitizens measures one permission check in a city when thousands of
// citizens hold their role everywhere ("*"), as on a hot booking day.
func BenchmarkAllowedAmongManyCitizens(b *testing.B) {
	s := stacktest.SQLite(b)
	ctx := context.Background()
	addJurisdictions(b, s.DB)
	const citizens = 5000
	type grantRow struct {
		bun.BaseModel     `bun:"table:casbin_rule"`
		Ptype, V0, V1, V2 string
	}
	rows := make([]grantRow, citizens)
	for i := range rows {
		rows[i] = grantRow{Ptype: "g", V0: policies.Subject(int64(i + 1)), V1: policies.Citizen, V2: "*"}
	}
	if _, err := s.DB.NewInsert().Model(&rows).Exec(ctx); err != nil {
		b.Fatal(err)
	}
	e, err := policies.New(ctx, s.DB)
	if err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		i++
		if !e.Allowed(int64(i%citizens+1), shenyang, "appointment", "book") {
			b.Fatal("citizen refused")
		}
	}
}

// An answer remembered from the permissions loaded before does not outlive them: a permission taken
// out of the database is refused after the next reload, everywhere it was allowed, and one put back
// is allowed again. A thousand different jurisdictions asked about keep the answers right.
func TestReloadForgetsRememberedAnswers(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		addJurisdictions(t, s.DB)
		e := newEnforcer(t, s.DB)
		clerk := addUser(t, s.DB, "clerk", "zh-CN")
		grantSystem(t, s.DB, clerk, policies.Reviewer, "21*")
		if err := e.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		for i := range 1000 {
			if code := fmt.Sprintf("21%04d", i); !e.Allowed(clerk, code, "case", "read") && policies.Covers("21*", code) {
				t.Fatalf("a reviewer of 21* may not read cases of %s", code)
			}
		}
		if !e.Allowed(clerk, heping, "case", "read") || !e.AllowedSomewhere(clerk, "case", "read") {
			t.Fatal("a reviewer may not read cases")
		}
		if _, err := s.DB.NewDelete().TableExpr("casbin_rule").
			Where("ptype = 'p' AND v0 = ? AND v2 = 'case' AND v3 = 'read'", policies.Reviewer).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if err := e.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		if e.Allowed(clerk, heping, "case", "read") || e.AllowedSomewhere(clerk, "case", "read") || len(e.Scopes(clerk, "case", "read")) != 0 {
			t.Error("a permission taken out is still allowed after the reload")
		}
		if _, err := s.DB.ExecContext(ctx, `INSERT INTO casbin_rule (ptype, v0, v1, v2, v3) VALUES ('p', ?, '*', 'case', 'read')`,
			policies.Reviewer); err != nil {
			t.Fatal(err)
		}
		if err := e.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		if !e.Allowed(clerk, heping, "case", "read") {
			t.Error("a permission put back is refused after the reload")
		}
	})
}
