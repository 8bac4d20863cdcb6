package catalog

import (
	"strings"
	"testing"
)

// clockItem is the lint fixture with a clock, a timer, a system action and an extend action.
var clockItem = strings.TrimRight(baseItem, "\n") + `
    - id: lapse
      name: {zh: 视为撤回, en: Lapse}
      from: [supplement]
      to: refused
      by: [system]
    - id: extend
      name: {zh: 延长, en: Extend}
      kind: extend
      clock: main
      from: [decision]
      to: decision
      by: [approver]
      fields:
        - name: days
          label: {zh: 天数, en: Days}
          type: integer
          required: true
        - name: reason
          label: {zh: 理由, en: Reason}
          type: textarea
          required: true
  clocks:
    - id: main
      name: {zh: 审批, en: Decision}
      states: [acceptance, decision]
      pauses: [supplement]
      statutory: {days: 20, unit: working_days}
      promised: {days: 10, unit: working_days}
      remind_before: {days: 2, unit: working_days}
  timers:
    - state: supplement
      after: {days: 30, unit: calendar_days}
      action: lapse
`

func TestLintClocksAndTimers(t *testing.T) {
	if ds := lintFiles(map[string]string{"items/x.yaml": clockItem, "forms/f.yaml": baseForm}); len(ds) > 0 {
		t.Fatalf("the clock fixture does not lint clean:\n%s", strings.Join(ds, "\n"))
	}
	for _, tc := range []struct {
		rule, old, new, want string
	}{
		{"unknown state in a clock", "states: [acceptance, decision]", "states: [acceptance, decisoin]", `clock main: unknown state "decisoin" in states`},
		{"unknown pause state", "pauses: [supplement]", "pauses: [suplement]", `clock main: unknown state "suplement" in pauses`},
		{"pause also a running state", "pauses: [supplement]", "pauses: [supplement, decision]", "clock main: state decision is both in states and in pauses"},
		{"clock period without unit", "statutory: {days: 20, unit: working_days}", "statutory: {days: 20}", "time limit of 20 days has no unit"},
		{"reminder without unit", "remind_before: {days: 2, unit: working_days}", "remind_before: {days: 2}", "time limit of 2 days has no unit"},
		{"unknown state in a timer", "- state: supplement", "- state: suplement", `timer: unknown state "suplement"`},
		{"timer without a period", "      after: {days: 30, unit: calendar_days}\n", "", "missing period"},
		{"timer period without unit", "after: {days: 30, unit: calendar_days}", "after: {days: 30}", "time limit of 30 days has no unit"},
		{"unknown timer action", "action: lapse", "action: lapsed", `timer: unknown action "lapsed"`},
		{"timer action not by system", "      to: refused\n      by: [system]", "      to: refused\n      by: [approver]", "timer: action lapse is taken by the timer: write by: [system]"},
		{"timer action from another state", "      from: [supplement]\n      to: refused", "      from: [decision]\n      to: refused", "timer: action lapse cannot be taken in state supplement"},
		{"extend without clock", "      clock: main\n", "", "action extend: an extend action names the clock it extends"},
		{"extend of an unknown clock", "clock: main", "clock: mian", `action extend: unknown clock "mian"`},
		{"extend without days", "- name: days", "- name: dayz", "action extend: an extend action needs a required integer field named days"},
		{"extend days not an integer", "          type: integer", "          type: text", "action extend: an extend action needs a required integer field named days"},
		{"extend without reason", "- name: reason\n          label: {zh: 理由, en: Reason}\n          type: textarea\n          required: true\n  clocks",
			"- name: why\n          label: {zh: 理由, en: Reason}\n          type: textarea\n          required: true\n  clocks", "action extend: an extend action needs a required field named reason"},
		{"extend by the applicant", "      to: decision\n      by: [approver]\n      fields", "      to: decision\n      by: [applicant]\n      fields", "action extend: an extend action is taken by staff"},
		{"clock on a plain action", "      to: refused\n      by: [system]", "      to: refused\n      clock: main\n      by: [system]", "action lapse: only an extend action names a clock"},
		{"unknown by name", "by: [system]", "by: [sytem]", `action lapse: unknown role "sytem"`},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			if !strings.Contains(clockItem, tc.old) {
				t.Fatalf("fixture has no %q", tc.old)
			}
			ds := lintFiles(map[string]string{"items/x.yaml": strings.Replace(clockItem, tc.old, tc.new, 1), "forms/f.yaml": baseForm})
			for _, d := range ds {
				if strings.HasPrefix(d, itemFile+":") && strings.Contains(d, tc.want) {
					return
				}
			}
			t.Fatalf("want a diagnostic containing\n  %s\ngot:\n  %s", tc.want, strings.Join(ds, "\n  "))
		})
	}
	// Messages carry the line of what is wrong.
	ds := lintFiles(map[string]string{"items/x.yaml": strings.Replace(clockItem, "action: lapse", "action: lapsed", 1), "forms/f.yaml": baseForm})
	line := strings.Count(clockItem[:strings.Index(clockItem, "action: lapse")], "\n") + 1
	want := itemFile + ":" + itoa(line) + `: timer: unknown action "lapsed"`
	if len(ds) != 1 || ds[0] != want {
		t.Fatalf("got %q, want %q", ds, want)
	}
}

func itoa(n int) string {
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}
