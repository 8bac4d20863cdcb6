package catalog

import (
	"strings"
	"testing"
)

// licenceItem is the lint fixture as an administrative licence that keeps the acceptance limit of
// 行政许可法 art. 32: the accepting action issues the acceptance notice, a clock of 5 working days runs
// in the acceptance state and a timer after them deems the application accepted.
var licenceItem = strings.NewReplacer(
	"category: 其他", "category: 行政许可",
	"        - notify: {to: applicant, template: case_accepted}\n",
	"        - issue: acceptance_notice\n        - notify: {to: applicant, template: case_accepted}\n",
).Replace(strings.TrimRight(baseItem, "\n")) + `
    - id: deem_accepted
      name: {zh: 逾期未告知补正视为受理, en: Deemed accepted}
      from: [acceptance]
      to: decision
      by: [system]
      effects:
        - notify: {to: applicant, template: case_deemed_accepted}
  clocks:
    - id: acceptance
      name: {zh: 受理期限, en: Acceptance}
      states: [acceptance]
      statutory: {days: 5, unit: working_days}
  timers:
    - state: acceptance
      after: {days: 5, unit: working_days}
      action: deem_accepted
`

func TestLintAcceptanceLimitOfLicences(t *testing.T) {
	lint := func(item string) []string {
		return lintFiles(map[string]string{"items/x.yaml": item, "forms/f.yaml": baseForm})
	}
	if ds := lint(licenceItem); len(ds) > 0 {
		t.Fatalf("the licence fixture does not lint clean:\n%s", strings.Join(ds, "\n"))
	}
	// The same item in another category needs none of it.
	if ds := lint(strings.Replace(baseItem, "category: 其他", "category: 行政确认", 1)); len(ds) > 0 {
		t.Fatalf("a confirmation needs no acceptance limit:\n%s", strings.Join(ds, "\n"))
	}
	const noClock = itemFile + ":31: action accept accepts in state acceptance: an administrative licence needs the acceptance limit of 行政许可法 art. 32 there, a clock with states: [acceptance] and statutory: {days: 5, unit: working_days}"
	const noTimer = itemFile + ":31: action accept accepts in state acceptance: an administrative licence not accepted nor sent a 补正 notice in time counts as accepted (行政许可法 art. 32): add a timer on state acceptance after {days: 5, unit: working_days} taking an action by: [system] from acceptance to decision"
	for _, tc := range []struct {
		rule, old, new, want string
	}{
		{"licence without the limit", licenceItem, strings.Replace(baseItem, "category: 其他", "category: 行政许可", 1),
			itemFile + ":3: an administrative licence accepts its applications (行政许可法 art. 32): issue acceptance_notice"},
		{"no clock", "states: [acceptance]\n      statutory", "states: [decision]\n      statutory", noClock},
		{"a clock of 10 days", "statutory: {days: 5, unit: working_days}", "statutory: {days: 10, unit: working_days}", noClock},
		{"a clock of calendar days", "statutory: {days: 5, unit: working_days}", "statutory: {days: 5, unit: calendar_days}", noClock},
		{"no timer", "    - state: acceptance\n      after: {days: 5, unit: working_days}\n      action: deem_accepted\n", "", noTimer},
		{"a timer of 7 days", "after: {days: 5, unit: working_days}", "after: {days: 7, unit: working_days}", noTimer},
		{"deemed accepted elsewhere", "      to: decision\n      by: [system]", "      to: refused\n      by: [system]", noTimer},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			item := tc.new
			if tc.old != licenceItem {
				if !strings.Contains(licenceItem, tc.old) {
					t.Fatalf("fixture has no %q", tc.old)
				}
				item = strings.Replace(licenceItem, tc.old, tc.new, 1)
			}
			ds := lint(item)
			for _, d := range ds {
				if strings.HasPrefix(d, tc.want) {
					return
				}
			}
			t.Fatalf("want a diagnostic starting with\n  %s\ngot:\n  %s", tc.want, strings.Join(ds, "\n  "))
		})
	}
}

// DeemsAccepted knows the timer's action of art. 32 by its shape: by the system, from a state an
// accepting action leaves, to where that action leads; not a timer's other actions.
func TestDeemsAccepted(t *testing.T) {
	it := builtinItem(t, "social-group-establishment")
	for _, a := range it.Workflow.Actions {
		want := a.ID == "deem_accepted_prep" || a.ID == "deem_accepted_est"
		if got := it.DeemsAccepted(&a); got != want {
			t.Errorf("DeemsAccepted(%s) = %v", a.ID, got)
		}
		if got, want := a.Accepts(), a.ID == "accept_prep" || a.ID == "accept_est"; got != want {
			t.Errorf("Accepts(%s) = %v", a.ID, got)
		}
	}
}
