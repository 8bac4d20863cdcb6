package catalog

import (
	"strings"
	"testing"
)

// builtinFile reads a built-in definition, the fixture of the appointment rules.
func builtinFile(t *testing.T, name string) string {
	t.Helper()
	b, err := Builtin.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestLintAppointment(t *testing.T) {
	divorce := builtinFile(t, "items/divorce-registration.yaml")
	marriage := builtinFile(t, "items/marriage-registration.yaml")
	form := builtinFile(t, "forms/registration-parties.yaml")
	const divorceFile = "catalog/items/divorce.yaml"
	lineOf := func(src, s string) string { return itoa(strings.Count(src[:strings.Index(src, s)], "\n") + 1) }

	for _, tc := range []struct {
		rule      string
		old, new  string // an edit of the divorce item
		formEdit  [2]string
		want      string // a diagnostic of the divorce item, with its line
		wantLine  string // text of the divorce item (after the edit) on the line the message names
		withOther bool   // the marriage item is in the catalogue too
	}{
		{rule: "unknown service", old: "service: divorce", new: "service: divorse",
			want: `appointment: unknown service "divorse"; the services are: marriage, divorce, replacement`, wantLine: "service: divorse"},
		{rule: "duplicate service", old: "service: divorce", new: "service: marriage", withOther: true,
			want: `appointment: service "marriage" is booked for item marriage-registration already`, wantLine: "service: marriage"},
		{rule: "unknown appearance state", old: "    state: confirmation", new: "    state: confirmed",
			want: `appointment: unknown state "confirmed" in appearance`, wantLine: "state: confirmed"},
		{rule: "final appearance state", old: "    state: confirmation\n    clock", new: "    state: issued\n    clock",
			want: "appointment: appearance state issued is final", wantLine: "state: issued"},
		{rule: "unknown appearance clock", old: "    clock: confirmation", new: "    clock: window",
			want: `appointment: unknown clock "window" in appearance`, wantLine: "clock: window"},
		{rule: "clock of another state", old: "    clock: confirmation", new: "    clock: cooling_off",
			want: "appointment: clock cooling_off does not run in state confirmation", wantLine: "clock: cooling_off"},
		{rule: "unknown appearance action", old: "    action: confirm", new: "    action: confirmed",
			want: `appointment: unknown action "confirmed" in appearance`, wantLine: "action: confirmed"},
		{rule: "action from another state", old: "    action: confirm", new: "    action: issue_certificate",
			want: "appointment: action issue_certificate cannot be taken in state confirmation", wantLine: "action: issue_certificate"},
		{rule: "action by the system", old: "    action: confirm", new: "    action: deem_withdrawn",
			want: "appointment: action deem_withdrawn is taken at check-in by the clerk: name a staff role", wantLine: "action: deem_withdrawn"},
		{rule: "missing form field", formEdit: [2]string{"- name: booking_code", "- name: booking_number"},
			want: "appointment: the application form registration_parties needs a text field named booking_code", wantLine: "appointment:\n  service"},
		{rule: "form field of the wrong type", formEdit: [2]string{"    type: id_card\n    required: true\n  - name: partner_name", "    type: text\n    required: true\n  - name: partner_name"},
			want: "appointment: the application form registration_parties needs a id_card field named booker_id_number", wantLine: "appointment:\n  service"},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			item, f := divorce, form
			if tc.old != "" {
				if !strings.Contains(item, tc.old) {
					t.Fatalf("fixture has no %q", tc.old)
				}
				item = strings.Replace(item, tc.old, tc.new, 1)
			}
			if tc.formEdit[0] != "" {
				if !strings.Contains(f, tc.formEdit[0]) {
					t.Fatalf("form has no %q", tc.formEdit[0])
				}
				f = strings.Replace(f, tc.formEdit[0], tc.formEdit[1], 1)
			}
			files := map[string]string{"items/divorce.yaml": item, "forms/p.yaml": f}
			if tc.withOther {
				files["items/a-marriage.yaml"] = marriage
			}
			ds := lintFiles(files)
			want := divorceFile + ":" + lineOf(item, tc.wantLine) + ": " + tc.want
			for _, d := range ds {
				if strings.HasPrefix(d, want) {
					return
				}
			}
			t.Fatalf("want a diagnostic starting with\n  %s\ngot:\n  %s", want, strings.Join(ds, "\n  "))
		})
	}
}

// An override item that books a service a built-in item books is skipped; one replacing the built-in
// item of the service is not.
func TestOverrideBookingATakenService(t *testing.T) {
	dir := t.TempDir()
	divorce := builtinFile(t, "items/divorce-registration.yaml")
	writeFiles(t, dir, map[string]string{
		"items/other-divorce.yaml": strings.Replace(divorce, "code: divorce-registration", "code: other-divorce", 1),
		"items/divorce.yaml":       strings.Replace(divorce, "name:\n  zh: 离婚登记", "name:\n  zh: 协议离婚登记", 1),
	})
	c, warnings, err := Load(Builtin, dir, testNames)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Item("other-divorce"); ok {
		t.Fatal("an override booking a taken service was loaded")
	}
	if len(warnings) == 0 || !strings.Contains(warnings[0].String(), `service "divorce" is booked for item divorce-registration already`) {
		t.Fatalf("warnings: %v", warnings)
	}
	if it, _ := c.Item("divorce-registration"); it.Name.ZH != "协议离婚登记" {
		t.Fatalf("the override of the built-in divorce item was not loaded: %q", it.Name.ZH)
	}
}
