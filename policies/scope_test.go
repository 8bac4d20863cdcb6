package policies_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/stacktest"
)

func TestWithin(t *testing.T) {
	for _, c := range []struct {
		inner, outer string
		want         bool
	}{
		{heping, "21*", true}, {"2101*", "21*", true}, {"21*", "21*", true}, {shenyang, "2101*", true},
		{"2101*", "*", true}, {"*", "*", true}, {heping, heping, true},
		{"21*", "2101*", false}, {"2101*", shenyang, false}, {"2102*", "2101*", false}, {dalian, "2101*", false},
		{"*", "21*", false}, {shenyang, heping, false}, {"22*", "21*", false},
	} {
		if got := policies.Within(c.inner, c.outer); got != c.want {
			t.Errorf("Within(%q, %q) = %v, want %v", c.inner, c.outer, got, c.want)
		}
	}
}

// Citizen and org_applicant are the condition of applying at all: only an admin over the whole
// installation (every province of the jurisdictions table, or "*") may grant or revoke them, so that
// Dalian's admin cannot lock a Shenyang applicant out of the service hall.
func TestPublicRolesNeedTheWholeInstallation(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		addJurisdictions(t, s.DB)
		dalianAdmin := addUser(t, s.DB, "dalian-admin", "zh-CN")
		provinceAdmin := addUser(t, s.DB, "province-admin", "zh-CN")
		nationalAdmin := addUser(t, s.DB, "national-admin", "zh-CN")
		applicant := addUser(t, s.DB, "applicant", "zh-CN")
		grantSystem(t, s.DB, dalianAdmin, policies.Admin, "2102*")
		grantSystem(t, s.DB, provinceAdmin, policies.Admin, "21*")
		grantSystem(t, s.DB, nationalAdmin, policies.Admin, "*")
		grantSystem(t, s.DB, applicant, policies.OrgApplicant, "*")
		e := newEnforcer(t, s.DB)
		holds := func() bool { return e.AllowedSomewhere(applicant, "case", "apply") }

		dl := actor(dalianAdmin, "dalian-admin")
		if err := e.Revoke(ctx, dl, applicant, policies.OrgApplicant, "*"); !errors.Is(err, problem.ErrForbidden) {
			t.Fatalf("Dalian's admin revoking org_applicant: want ErrForbidden, got %v", err)
		}
		if err := e.Grant(ctx, dl, applicant, policies.Citizen, "", false); !errors.Is(err, problem.ErrForbidden) {
			t.Fatalf("Dalian's admin granting citizen: want ErrForbidden, got %v", err)
		}
		if !holds() {
			t.Fatal("a refused revoke took the role")
		}
		for _, who := range []struct {
			name   string
			id     int64
			within bool
		}{{"province admin", provinceAdmin, true}, {"national admin", nationalAdmin, true}, {"Dalian admin", dalianAdmin, false}} {
			if got, err := e.AllowedEverywhere(ctx, who.id, "role", "grant"); err != nil || got != who.within {
				t.Errorf("%s: AllowedEverywhere = %v, %v; want %v", who.name, got, err, who.within)
			}
		}
		province := actor(provinceAdmin, "province-admin")
		if err := e.Revoke(ctx, province, applicant, policies.OrgApplicant, "*"); err != nil {
			t.Fatalf("the admin of the only province revoking org_applicant: %v", err)
		}
		if holds() {
			t.Fatal("revoked org_applicant still gives case:apply")
		}
		if err := e.Grant(ctx, province, applicant, policies.OrgApplicant, "", false); err != nil {
			t.Fatalf("the admin of the only province granting org_applicant: %v", err)
		}

		// With a second province, Liaoning's admin no longer covers the installation; "*" still does.
		if err := jurisdictions.Add(ctx, s.DB, "220000", "吉林省", "Jilin"); err != nil {
			t.Fatal(err)
		}
		if err := e.Revoke(ctx, province, applicant, policies.OrgApplicant, "*"); !errors.Is(err, problem.ErrForbidden) {
			t.Fatalf("a province admin of a two-province installation revoking org_applicant: want ErrForbidden, got %v", err)
		}
		if err := e.Revoke(ctx, actor(nationalAdmin, "national-admin"), applicant, policies.OrgApplicant, "*"); err != nil {
			t.Fatalf("the admin of everywhere revoking org_applicant: %v", err)
		}
		if holds() {
			t.Fatal("revoked org_applicant still gives case:apply")
		}
	})
}

// A staff role in a subtree takes role:grant over the whole subtree: an admin of the city's own code
// (not its counties) cannot grant in the city's subtree.
func TestStaffGrantsNeedTheWholePattern(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		addJurisdictions(t, s.DB)
		cityAdmin := addUser(t, s.DB, "city-admin", "zh-CN")
		clerk := addUser(t, s.DB, "clerk", "zh-CN")
		grantSystem(t, s.DB, cityAdmin, policies.Admin, shenyang)
		e := newEnforcer(t, s.DB)
		a := actor(cityAdmin, "city-admin")
		if err := e.Grant(ctx, a, clerk, policies.Acceptor, shenyang, true); !errors.Is(err, problem.ErrForbidden) {
			t.Fatalf("an admin of 210100 alone granting in 2101*: want ErrForbidden, got %v", err)
		}
		if err := e.Grant(ctx, a, clerk, policies.Acceptor, shenyang, false); err != nil {
			t.Fatalf("an admin of 210100 granting in 210100: %v", err)
		}
	})
}

// What a scoped reader sees of accounts and grants: the grants within its patterns and their holders,
// and accounts without any grant when it may grant roles; an installation-wide reader sees everything.
func TestVisibility(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		addJurisdictions(t, s.DB)
		cityAdmin := addUser(t, s.DB, "city-admin", "zh-CN")
		provinceAuditor := addUser(t, s.DB, "province-auditor", "zh-CN")
		grantSystem(t, s.DB, cityAdmin, policies.Admin, "2101*")
		grantSystem(t, s.DB, provinceAuditor, policies.Auditor, "21*")
		e := newEnforcer(t, s.DB)

		clerk := []policies.Grant{{Role: policies.Acceptor, Pattern: heping}, {Role: policies.Citizen, Pattern: "*"},
			{Role: policies.Reviewer, Pattern: "2102*"}}
		applicant := []policies.Grant{{Role: policies.OrgApplicant, Pattern: "*"}}
		dalianStaff := []policies.Grant{{Role: policies.Reviewer, Pattern: dalian}}
		province := []policies.Grant{{Role: policies.Approver, Pattern: "21*"}}

		city, err := e.VisibilityOf(ctx, cityAdmin, "role", "read")
		if err != nil {
			t.Fatal(err)
		}
		if got := city.Grants(clerk); !reflect.DeepEqual(got, clerk[:1]) {
			t.Errorf("the city admin sees %v of the clerk's grants", got)
		}
		for name, c := range map[string]struct {
			grants []policies.Grant
			want   bool
		}{"clerk": {clerk, true}, "applicant": {applicant, false}, "Dalian's staff": {dalianStaff, false},
			"province staff": {province, false}, "an account without a role": {nil, true}} {
			if got := city.Holder(c.grants); got != c.want {
				t.Errorf("the city admin sees %s: %v, want %v", name, got, c.want)
			}
		}
		all, err := e.VisibilityOf(ctx, provinceAuditor, "user", "read")
		if err != nil {
			t.Fatal(err)
		}
		if got := all.Grants(clerk); !reflect.DeepEqual(got, clerk) || !all.Holder(nil) || !all.Holder(applicant) {
			t.Errorf("the province auditor of a one-province installation sees %v of the clerk's grants, or misses accounts", got)
		}
		cityAuditor := addUser(t, s.DB, "city-auditor", "zh-CN")
		grantSystem(t, s.DB, cityAuditor, policies.Auditor, "2101*")
		if err := e.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		auditor, err := e.VisibilityOf(ctx, cityAuditor, "user", "read")
		if err != nil {
			t.Fatal(err)
		}
		if auditor.Holder(nil) || !auditor.Holder(clerk) {
			t.Error("the city auditor, who grants nothing, sees an account without a role, or misses the clerk")
		}
		nobody, err := e.VisibilityOf(ctx, cityAdmin, "case", "decide")
		if err != nil {
			t.Fatal(err)
		}
		if nobody.Holder(clerk) || len(nobody.Grants(clerk)) != 0 {
			t.Error("a permission the caller lacks shows accounts")
		}
	})
}
