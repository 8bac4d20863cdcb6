package main

import (
	"context"
	"strings"
	"testing"

	"github.com/civicflow/civicflow/demo"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/stacktest"
)

func TestCalendarCommands(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		for _, j := range demo.Jurisdictions {
			if err := jurisdictions.Add(ctx, s.DB, j.Code, j.NameZH, j.NameEN); err != nil {
				t.Fatal(err)
			}
		}
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"calendar", "add", "2026-09-24", "20"}, "2026-10-29\n"},
			{[]string{"calendar", "add", "2026-09-01", "30", "--calendar-days"}, "2026-10-08\n"},
			{[]string{"calendar", "between", "2026-09-24", "2026-10-29"}, "20\n"},
			{[]string{"calendar", "between", "2026-10-29", "2026-09-24"}, "-20\n"},
			{[]string{"calendar", "override", "set", "210100", "2026-10-12", "closed", "--note", "停电"}, "2026-10-12 is closed in 210100 and below\n"},
			{[]string{"calendar", "add", "2026-09-24", "20", "--jurisdiction", "210102"}, "2026-10-30\n"},
			{[]string{"calendar", "add", "2026-09-24", "20", "--jurisdiction", "210200"}, "2026-10-29\n"},
			{[]string{"calendar", "between", "2026-09-24", "2026-10-30", "--jurisdiction", "210102"}, "20\n"},
			{[]string{"calendar", "override", "list"}, "2026-10-12 210100 closed  停电\n"},
			{[]string{"calendar", "override", "remove", "210100", "2026-10-12"}, "override of 2026-10-12 in 210100 removed\n"},
			{[]string{"calendar", "add", "2026-09-24", "20", "--jurisdiction", "210102"}, "2026-10-29\n"},
		} {
			out, err := run(t, s, "", tc.args...)
			if err != nil || out != tc.want {
				t.Errorf("%s: %q, %v; want %q", strings.Join(tc.args, " "), out, err, tc.want)
			}
		}
		var audited int
		if err := s.DB.NewSelect().TableExpr("audit_log").ColumnExpr("count(*)").
			Where("action LIKE 'calendar.override.%' AND actor = 'cli'").Scan(ctx, &audited); err != nil || audited != 2 {
			t.Errorf("%d audit entries of the CLI's changes: %v", audited, err)
		}

		out, err := run(t, s, "", "calendar", "holidays", "2026")
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 39 || lines[0] != "2026-01-01 off 元旦节" {
			t.Fatalf("holidays 2026: %d lines\n%s", len(lines), out)
		}
		for _, want := range []string{"2026-02-14 working 春节（调休）", "2026-09-20 working 国庆节（调休）", "2026-10-01 off 国庆节", "2026-10-10 working 国庆节（调休）"} {
			if !strings.Contains(out, want+"\n") {
				t.Errorf("holidays 2026 lacks %q", want)
			}
		}
		if out, err := run(t, s, "", "calendar", "holidays", "2030"); err != nil || !strings.Contains(out, "no State Council holiday schedule for 2030") {
			t.Errorf("holidays 2030: %q %v", out, err)
		}

		// Bad input fails with a message that says what is wrong.
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"calendar", "add", "24.09.2026", "20"}, "FROM"},
			{[]string{"calendar", "add", "2026-09-24", "twenty"}, "N:"},
			{[]string{"calendar", "add", "--", "2026-09-24", "-1"}, "N:"},
			{[]string{"calendar", "add", "2026-09-24", "99999"}, "days: The number of days must be between 0 and"},
			{[]string{"calendar", "add", "2026-09-24", "20", "--jurisdiction", "2101"}, "jurisdiction: Enter a six-digit division code"},
			{[]string{"calendar", "add", "2026-09-24", "20", "--jurisdiction", "219900"}, "jurisdiction: There is no such jurisdiction"},
			{[]string{"calendar", "between", "2026-09-24", "tomorrow"}, "TO"},
			{[]string{"calendar", "holidays", "next"}, "YEAR"},
			{[]string{"calendar", "override", "set", "210100", "2026-10-12", "shut"}, "kind: Choose closed or working"},
			{[]string{"calendar", "override", "remove", "210100", "2026-10-13"}, "Not found"},
			{[]string{"calendar", "add", "2026-09-24"}, "accepts 2 arg(s)"},
		} {
			_, err := run(t, s, "", tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: %v, want an error with %q", strings.Join(tc.args, " "), err, tc.want)
			}
		}
	})
}
