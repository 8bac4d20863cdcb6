package policies_test

import (
	"context"
	"testing"

	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/stacktest"
)

// BenchmarkMenuQuestions asks what a page's menu asks for a staff member with three grants: whether
// each of twenty permissions is held somewhere, and one permission in a jurisdiction.
func BenchmarkMenuQuestions(b *testing.B) {
	s := stacktest.SQLite(b)
	addJurisdictions(b, s.DB)
	e := newEnforcer(b, s.DB)
	u := addUser(b, s.DB, "clerk", "zh-CN")
	grantSystem(b, s.DB, u, policies.Reviewer, "2101*")
	grantSystem(b, s.DB, u, policies.Publisher, "21*")
	grantSystem(b, s.DB, u, policies.Auditor, "210200")
	if err := e.Reload(context.Background()); err != nil {
		b.Fatal(err)
	}
	perms := [][2]string{{"case", "read"}, {"case", "apply"}, {"notice", "write"}, {"notice", "review"}, {"user", "read"},
		{"role", "grant"}, {"audit", "read"}, {"catalog", "read"}, {"calendar", "read"}, {"statistics", "read"},
		{"office", "read"}, {"binding", "read"}, {"credit", "read"}, {"campaign", "read"}, {"inquiry", "read"},
		{"inquiry", "publish"}, {"disclosure", "report"}, {"consultation", "read"}, {"rating", "read"}, {"disclosure", "read"}}
	b.ResetTimer()
	for b.Loop() {
		for _, p := range perms {
			e.AllowedSomewhere(u, p[0], p[1])
		}
		e.Allowed(u, heping, "case", "read")
	}
}
