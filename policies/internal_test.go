package policies

import (
	"testing"
)

func TestPolicyFile(t *testing.T) {
	if _, err := newModel(); err != nil {
		t.Fatal(err)
	}
	rules, err := filePolicies()
	if err != nil {
		t.Fatal(err)
	}
	has := map[[3]string]bool{}
	for _, r := range rules {
		has[[3]string{r[0], r[2], r[3]}] = true
		if r[1] != "*" {
			t.Errorf("permission %v is limited to %s", r, r[1])
		}
	}
	for _, want := range [][3]string{
		{Admin, "role", "grant"}, {Admin, "user", "write"}, {Admin, "metrics", "read"}, {Admin, "jurisdiction", "write"},
		{Auditor, "audit", "read"}, {Auditor, "delivery", "read"}, {Publisher, "jurisdiction", "read"},
	} {
		if !has[want] {
			t.Errorf("policy.csv lacks %v", want)
		}
	}
	for _, refused := range [][3]string{
		{Auditor, "role", "grant"}, {Auditor, "user", "write"}, {Auditor, "jurisdiction", "write"},
		{Citizen, "jurisdiction", "read"}, {Acceptor, "role", "grant"},
	} {
		if has[refused] {
			t.Errorf("policy.csv gives %v", refused)
		}
	}
}

func TestRoles(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Roles {
		if seen[r.Name] || r.LabelZH == "" || r.LabelEN == "" {
			t.Errorf("role %+v repeated or unlabelled", r)
		}
		seen[r.Name] = true
	}
	if len(Roles) != 10 {
		t.Errorf("%d roles", len(Roles))
	}
	for name, staff := range map[string]bool{Citizen: false, OrgApplicant: false, Acceptor: true, Admin: true, Auditor: true, "janitor": false, "": false} {
		if StaffRole(name) != staff {
			t.Errorf("StaffRole(%q) = %v", name, !staff)
		}
	}
	if r, _ := RoleByName(Acceptor); r.Label("zh-CN") != "受理人员" || r.Label("en") != "Acceptance clerk" {
		t.Errorf("acceptor labels: %+v", r)
	}
}

func TestPatterns(t *testing.T) {
	for pattern, rep := range map[string]string{"21*": "210000", "2101*": "210100", "*": "000000", "210102": "210102"} {
		if got := Representative(pattern); got != rep {
			t.Errorf("Representative(%q) = %q, want %q", pattern, got, rep)
		}
	}
	for p, ok := range map[string]bool{"*": true, "21*": true, "2101*": true, "210102": true,
		"2*": false, "210*": false, "2100*": false, "21**": false, "21": false, "": false, "x*": false, "010000": false} {
		if validPattern(p) != ok {
			t.Errorf("validPattern(%q) = %v", p, !ok)
		}
	}
	for _, c := range []struct {
		pattern, code string
		want          bool
	}{
		{"21*", "210102", true}, {"2101*", "210102", true}, {"2101*", "210200", false}, {"210102", "210100", false},
		{"*", "650000", true}, {"21*", "21*", false},
	} {
		if got := Covers(c.pattern, c.code); got != c.want {
			t.Errorf("Covers(%q, %q) = %v", c.pattern, c.code, got)
		}
	}
}

// A grant pattern's prefix becomes the range of the codes that start with it.
func TestPrefixEnd(t *testing.T) {
	for prefix, want := range map[string]string{"21": "22", "2101": "2102", "2109": "211", "2199": "22", "99": ""} {
		if got, _ := prefixEnd(prefix); got != want {
			t.Errorf("prefixEnd(%q) = %q, want %q", prefix, got, want)
		}
	}
}
