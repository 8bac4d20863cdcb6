package catalog

import (
	"strings"
	"testing"
)

// entryItem is the clock fixture with what the information-disclosure item uses besides: a clock that
// restarts after one of its pauses only, an extension bounded in days and times, and staff entry of
// applications received outside the service.
var entryItem = strings.NewReplacer(
	"      pauses: [supplement]\n", "      pauses: [supplement]\n      restarts_after: [supplement]\n",
	"      clock: main\n", "      clock: main\n      max_days: 20\n      times: 1\n",
	"form: test_form\n", `form: test_form
entry:
  by: [acceptor]
  fields:
    - name: channel
      label: {zh: 方式, en: Channel}
      type: select
      required: true
      options:
        - {value: post, label: {zh: 信函, en: Post}}
    - name: received_on
      label: {zh: 收到日期, en: Received on}
      type: date
      required: true
`).Replace(clockItem)

func TestLintEntryRestartsAndBoundedExtensions(t *testing.T) {
	if ds := lintFiles(map[string]string{"items/x.yaml": entryItem, "forms/f.yaml": baseForm}); len(ds) > 0 {
		t.Fatalf("the fixture does not lint clean:\n%s", strings.Join(ds, "\n"))
	}
	for _, tc := range []struct {
		rule, old, new, want string
	}{
		{"restart after a state that is no pause", "restarts_after: [supplement]", "restarts_after: [decision]", "clock main: restarts_after names decision, which is not one of its pauses"},
		{"restarts twice over", "restarts_after: [supplement]", "restarts_after: [supplement]\n      restarts: true", "clock main: restarts: true restarts after every pause already"},
		{"max_days beyond a year", "max_days: 20", "max_days: 400", "action extend: max_days is from 1 to 365"},
		{"negative times", "times: 1", "times: -1", "action extend: times cannot be negative"},
		{"times on a plain action", "      to: refused\n      by: [system]", "      to: refused\n      times: 2\n      by: [system]", "action lapse: max_days and times are for extend actions"},
		{"entry by nobody", "  by: [acceptor]\n  fields", "  by: []\n  fields", "entry: nobody may enter applications"},
		{"entry by the applicant", "  by: [acceptor]\n  fields", "  by: [applicant]\n  fields", `entry: "applicant" is not a staff role`},
		{"entry without the day of receipt", "    - name: received_on", "    - name: received", "entry: needs a required date field named received_on"},
		{"entry day of receipt not a date", "      type: date", "      type: text", "entry: needs a required date field named received_on"},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			if !strings.Contains(entryItem, tc.old) {
				t.Fatalf("fixture has no %q", tc.old)
			}
			ds := lintFiles(map[string]string{"items/x.yaml": strings.Replace(entryItem, tc.old, tc.new, 1), "forms/f.yaml": baseForm})
			for _, d := range ds {
				if strings.HasPrefix(d, itemFile+":") && strings.Contains(d, tc.want) {
					return
				}
			}
			t.Fatalf("want a diagnostic containing\n  %s\ngot:\n  %s", tc.want, strings.Join(ds, "\n  "))
		})
	}
}
