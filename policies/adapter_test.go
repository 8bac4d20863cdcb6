package policies_test

import (
	"reflect"
	"sort"
	"testing"

	"github.com/casbin/casbin/v2/model"

	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/stacktest"
)

const testModel = `
[request_definition]
r = sub, dom, obj, act
[policy_definition]
p = sub, dom, obj, act
[role_definition]
g = _, _, _
[policy_effect]
e = some(where (p.eft == allow))
[matchers]
m = g(r.sub, p.sub, r.dom) && keyMatch(r.dom, p.dom) && r.obj == p.obj && r.act == p.act
`

// load returns the rules the adapter loads, as "ptype v0 v1 ..." sorted.
func load(t *testing.T, a *policies.Adapter) []string {
	t.Helper()
	m, err := model.NewModelFromString(testModel)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.LoadPolicy(m); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, sec := range []string{"p", "g"} {
		for ptype, ast := range m[sec] {
			for _, r := range ast.Policy {
				line := ptype
				for _, v := range r {
					line += " " + v
				}
				out = append(out, line)
			}
		}
	}
	sort.Strings(out)
	return out
}

func TestAdapter(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		a := policies.NewAdapter(s.DB)
		check := func(step string, want ...string) {
			t.Helper()
			if got := load(t, a); !reflect.DeepEqual(got, want) {
				t.Fatalf("%s: loaded %q, want %q", step, got, want)
			}
		}
		check("empty")

		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(a.AddPolicy("p", "p", []string{"admin", "*", "user", "read"}))
		must(a.AddPolicy("p", "p", []string{"admin", "*", "user", "read"})) // again: no error, no copy
		must(a.AddPolicies("g", "g", [][]string{{"user:1", "admin", "21*"}, {"user:2", "reviewer", "2101*"}, {"user:2", "acceptor", "210102"}}))
		check("added",
			"g user:1 admin 21*", "g user:2 acceptor 210102", "g user:2 reviewer 2101*", "p admin * user read")

		must(a.RemovePolicy("g", "g", []string{"user:1", "admin", "21*"}))
		must(a.RemovePolicy("g", "g", []string{"user:1", "admin", "21*"})) // gone already: no error
		check("removed one", "g user:2 acceptor 210102", "g user:2 reviewer 2101*", "p admin * user read")

		must(a.RemovePolicies("g", "g", [][]string{{"user:2", "acceptor", "210102"}, {"user:9", "nobody", "*"}}))
		check("removed a batch", "g user:2 reviewer 2101*", "p admin * user read")

		must(a.AddPolicies("g", "g", [][]string{{"user:3", "auditor", "21*"}, {"user:3", "admin", "21*"}, {"user:4", "admin", "21*"}}))
		must(a.RemoveFilteredPolicy("g", "g", 0, "user:3"))
		check("removed user:3's grants", "g user:2 reviewer 2101*", "g user:4 admin 21*", "p admin * user read")
		must(a.RemoveFilteredPolicy("g", "g", 1, "", "21*"))
		check("removed grants in 21*", "g user:2 reviewer 2101*", "p admin * user read")
		if err := a.RemoveFilteredPolicy("g", "g", 5, "a", "b"); err == nil {
			t.Fatal("a filter beyond v5 was accepted")
		}
		if err := a.AddPolicy("p", "p", []string{"1", "2", "3", "4", "5", "6", "7"}); err == nil {
			t.Fatal("a rule of seven values was accepted")
		}

		// SavePolicy replaces everything with the model's rules.
		m, err := model.NewModelFromString(testModel)
		must(err)
		must(m.AddPolicy("p", "p", []string{"auditor", "*", "audit", "read"}))
		must(m.AddPolicy("g", "g", []string{"user:5", "auditor", "2102*"}))
		must(a.SavePolicy(m))
		check("saved", "g user:5 auditor 2102*", "p auditor * audit read")
		if n := count(t, s.DB, "casbin_rule", "1 = 1"); n != 2 {
			t.Fatalf("%d rows after SavePolicy, want 2", n)
		}
		// A failed save leaves the old rules: a rule too long for the table fails the whole save.
		must(m.AddPolicy("p", "p", []string{"x", "*", "y", "z"}))
		m["p"]["p"].Policy = append(m["p"]["p"].Policy, []string{"1", "2", "3", "4", "5", "6", "7"})
		if err := a.SavePolicy(m); err == nil {
			t.Fatal("saving a rule of seven values succeeded")
		}
		check("after a failed save", "g user:5 auditor 2102*", "p auditor * audit read")
		must(a.SavePolicy(mustModel(t)))
		check("saved empty")
	})
}

func mustModel(t *testing.T) model.Model {
	t.Helper()
	m, err := model.NewModelFromString(testModel)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
