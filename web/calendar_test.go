package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/stacktest"
)

// countRows counts the rows of a table that match where.
func countRows(t *testing.T, s *stacktest.Stack, table, where string, args ...any) int {
	t.Helper()
	n, err := s.DB.NewSelect().TableExpr(table).Where(where, args...).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

func TestCalendarAdminPage(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.user("cal.admin", "admin@21*")
		st.user("cal.dalian", "admin@2102*")
		st.user("cal.auditor", "auditor@21*")
		st.user("cal.citizen", "citizen")

		prov := st.browser()
		prov.login("cal.admin")
		code, body, csrf := prov.get("/admin/calendar?year=2026")
		if code != http.StatusOK || strings.Contains(body, "[calendar_") || strings.Contains(body, "[admin_calendar") || strings.Contains(body, "[nav_admin_calendar") {
			t.Fatalf("/admin/calendar: %d, or a text missing\n%s", code, body)
		}
		for _, want := range []string{`href="/admin/calendar"`, "2026-10-10", "2026-09-20", "2026-02-28", `action="/admin/calendar/overrides"`,
			`<option value="210100"`, `<option value="210200"`, "调休上班", "星期六", "2026年全国节假日安排"} {
			if !strings.Contains(body, want) {
				t.Errorf("the province admin's page lacks %s", want)
			}
		}

		// The province admin closes a day in Shenyang: audited, listed, and the deadline moves there.
		resp, body := prov.post("/admin/calendar/overrides", url.Values{"_csrf": {csrf}, "jurisdiction": {"210100"},
			"day": {"2026-10-12"}, "kind": {"closed"}, "note": {"停电停止办公"}})
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "停电停止办公") || !strings.Contains(body, `class="notice"`) {
			t.Fatalf("setting an override: %d\n%s", resp.StatusCode, body)
		}
		if n := countRows(t, s, "audit_log", "action = 'calendar.override.set' AND jurisdiction = '210100' AND actor = 'cal.admin'"); n != 1 {
			t.Errorf("%d audit entries of the override", n)
		}
		cal := calendar.New(s.DB)
		for code, want := range map[string]string{"210102": "2026-10-30", "210200": "2026-10-29"} {
			due, err := cal.Due(context.Background(), calendar.NewDate(2026, 9, 24), 20, calendar.WorkingDays, code)
			if err != nil || due.String() != want {
				t.Errorf("due in %s: %s %v, want %s", code, due, err, want)
			}
		}

		// Refused input comes back with its errors.
		resp, body = prov.post("/admin/calendar/overrides", url.Values{"_csrf": {csrf}, "jurisdiction": {"210100"},
			"day": {"12.10.2026"}, "kind": {"holiday"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="day-error"`) || !strings.Contains(body, `id="kind-error"`) {
			t.Errorf("bad override: %d\n%s", resp.StatusCode, body)
		}

		// Dalian's admin cannot touch Shenyang, and is offered Dalian only.
		dalian := st.browser()
		dalian.login("cal.dalian")
		_, body, dcsrf := dalian.get("/admin/calendar?year=2026")
		if strings.Contains(body, `<option value="210100"`) || !strings.Contains(body, `<option value="210200"`) || strings.Contains(body, "停电停止办公") {
			t.Errorf("Dalian's page offers or shows Shenyang:\n%s", body)
		}
		resp, _ = dalian.post("/admin/calendar/overrides", url.Values{"_csrf": {dcsrf}, "jurisdiction": {"210100"}, "day": {"2026-10-13"}, "kind": {"closed"}})
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("Dalian setting Shenyang's calendar: %d", resp.StatusCode)
		}
		resp, _ = dalian.post("/admin/calendar/overrides/remove", url.Values{"_csrf": {dcsrf}, "jurisdiction": {"210100"}, "day": {"2026-10-12"}})
		if resp.StatusCode != http.StatusForbidden || countRows(t, s, "calendar_overrides", "jurisdiction = '210100'") != 1 {
			t.Errorf("Dalian removing Shenyang's override: %d", resp.StatusCode)
		}

		// The auditor reads, without forms or buttons, and cannot change anything.
		aud := st.browser()
		aud.login("cal.auditor")
		code, body, acsrf := aud.get("/admin/calendar?year=2026")
		if code != http.StatusOK || !strings.Contains(body, "停电停止办公") || strings.Contains(body, "/admin/calendar/overrides") {
			t.Errorf("auditor's page: %d\n%s", code, body)
		}
		resp, _ = aud.post("/admin/calendar/overrides", url.Values{"_csrf": {acsrf}, "jurisdiction": {"210100"}, "day": {"2026-10-13"}, "kind": {"closed"}})
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("auditor setting an override: %d", resp.StatusCode)
		}

		// A citizen sees neither the link nor the page.
		cit := st.browser()
		cit.login("cal.citizen")
		if _, body, _ := cit.get("/"); strings.Contains(body, `href="/admin/calendar"`) {
			t.Error("a citizen is shown the calendar link")
		}
		if code, _, _ := cit.get("/admin/calendar"); code != http.StatusForbidden {
			t.Errorf("citizen on /admin/calendar: %d", code)
		}

		// Removing, in English; a year without a national schedule says so.
		_, _, csrf = prov.get("/admin/calendar")
		if resp, _ := prov.post("/lang", url.Values{"lang": {"en"}, "next": {"/admin/calendar"}, "_csrf": {csrf}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("switching to English: %d", resp.StatusCode)
		}
		resp, body = prov.post("/admin/calendar/overrides/remove", url.Values{"_csrf": {csrf}, "jurisdiction": {"210100"}, "day": {"2026-10-12"}})
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Override removed.") || strings.Contains(body, "停电停止办公") {
			t.Errorf("removing: %d\n%s", resp.StatusCode, body)
		}
		if n := countRows(t, s, "audit_log", "action = 'calendar.override.remove' AND object_id = '210100/2026-10-12'"); n != 1 {
			t.Errorf("%d audit entries of the removal", n)
		}
		resp, _ = prov.post("/admin/calendar/overrides/remove", url.Values{"_csrf": {csrf}, "jurisdiction": {"210100"}, "day": {"2026-10-12"}})
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("removing again: %d", resp.StatusCode)
		}
		_, body, _ = prov.get("/admin/calendar?year=2026")
		if strings.Contains(body, "[calendar_") || strings.Contains(body, "[admin_calendar") || strings.Contains(body, "[nav_admin_calendar") {
			t.Errorf("a text of the English page is missing:\n%s", body)
		}
		if !strings.Contains(body, "National Day") || !strings.Contains(body, "Saturday") || !strings.Contains(body, "Make-up working day") {
			t.Errorf("English holiday table:\n%s", body)
		}
		if code, body, _ := prov.get("/admin/calendar?year=2030"); code != http.StatusOK || !strings.Contains(body, "No State Council schedule for 2030") {
			t.Errorf("2030: %d", code)
		}
		if code, _, _ := prov.get("/admin/calendar?year=next"); code != http.StatusOK {
			t.Errorf("a bad year: %d", code)
		}
	})
}

// calendarContract exercises the calendar API for TestAPIAnswersAsDocumented: admin holds admin@21*,
// dalian admin@2102*.
func calendarContract(t *testing.T, k *contract, admin, citizen, dalian string) {
	t.Helper()
	// The national schedule and deadlines need no login.
	var hs struct {
		Year  int
		Known bool
		Days  []struct{ Date, Kind string }
	}
	k.do(call{method: "GET", path: "/api/v1/calendar/holidays?year=2026", valid: true, out: &hs}, 200)
	if hs.Year != 2026 || !hs.Known || len(hs.Days) != 39 || hs.Days[0].Date != "2026-01-01" || hs.Days[0].Kind != "off" {
		t.Errorf("holidays of 2026: %+v", hs)
	}
	k.do(call{method: "GET", path: "/api/v1/calendar/holidays?year=2030", valid: true, out: &hs}, 200)
	if hs.Known || len(hs.Days) != 0 {
		t.Errorf("holidays of 2030: %+v", hs)
	}
	k.do(call{method: "GET", path: "/api/v1/calendar/holidays", valid: true}, 200)
	e := k.fails(call{method: "GET", path: "/api/v1/calendar/holidays?year=next"}, 422, "invalid_input")
	if !e.hasField("year", "out_of_range") {
		t.Errorf("holidays of a bad year: %+v", e)
	}
	k.fails(call{method: "GET", path: "/api/v1/calendar/holidays", auth: "Token abc"}, 401, "bad_authorization")

	due := func(query string) string {
		t.Helper()
		var d struct{ Due string }
		k.do(call{method: "GET", path: "/api/v1/calendar/due?" + query, valid: true, out: &d}, 200)
		return d.Due
	}
	if got := due("from=2026-09-24&days=20"); got != "2026-10-29" {
		t.Errorf("the worked example: %s", got)
	}
	if got := due("from=2026-09-01&days=30&unit=calendar_days"); got != "2026-10-08" {
		t.Errorf("30 days ending inside 国庆: %s", got)
	}
	e = k.fails(call{method: "GET", path: "/api/v1/calendar/due?from=24.09.2026&days=many"}, 422, "invalid_input")
	if !e.hasField("from", "invalid_date") || !e.hasField("days", "invalid_number") {
		t.Errorf("due with bad parameters: %+v", e)
	}
	e = k.fails(call{method: "GET", path: "/api/v1/calendar/due?from=2026-09-24&days=20&unit=weeks&jurisdiction=219900"}, 422, "invalid_input")
	if !e.hasField("unit", "invalid_unit") {
		t.Errorf("due in weeks: %+v", e)
	}
	e = k.fails(call{method: "GET", path: "/api/v1/calendar/due?from=2026-09-24&days=20&jurisdiction=219900"}, 422, "invalid_input")
	if !e.hasField("jurisdiction", "unknown_jurisdiction") {
		t.Errorf("due in an unknown jurisdiction: %+v", e)
	}
	k.fails(call{method: "GET", path: "/api/v1/calendar/due?from=2026-09-24&days=20", auth: "Bearer cft_not-a-token"}, 401, "login_required")

	// Local overrides: Dalian's admin may not close a day in Shenyang; the province's admin may.
	closure := map[string]string{"jurisdiction": "210100", "day": "2026-10-12", "kind": "closed", "note": "暴雪，停止办公"}
	k.fails(call{method: "POST", path: "/api/v1/calendar/overrides", token: dalian, body: closure}, 403, "forbidden")
	k.fails(call{method: "POST", path: "/api/v1/calendar/overrides", token: citizen, body: closure}, 403, "forbidden")
	k.fails(call{method: "POST", path: "/api/v1/calendar/overrides", body: closure}, 401, "login_required")
	var o struct {
		ID                            int64
		Jurisdiction, Day, Kind, Note string
		CreatedBy                     string `json:"created_by"`
	}
	k.do(call{method: "POST", path: "/api/v1/calendar/overrides", token: admin, valid: true, body: closure, out: &o}, 201)
	if o.ID <= 0 || o.Jurisdiction != "210100" || o.Day != "2026-10-12" || o.Kind != "closed" || o.Note != "暴雪，停止办公" || o.CreatedBy != "prov.admin" {
		t.Errorf("override set: %+v", o)
	}
	e = k.fails(call{method: "POST", path: "/api/v1/calendar/overrides", token: admin,
		body: map[string]string{"jurisdiction": "219900", "day": "12.10.2026", "kind": "holiday"}}, 422, "invalid_input")
	if !e.hasField("day", "invalid_date") || !e.hasField("kind", "invalid_kind") {
		t.Errorf("bad override: %+v", e)
	}
	k.fails(call{method: "POST", path: "/api/v1/calendar/overrides", token: admin, body: `{"jurisdiction": 210100}`}, 422, "invalid_input")
	k.fails(call{method: "POST", path: "/api/v1/calendar/overrides", token: admin, body: `{"jurisdiction": "210100",`}, 400, "bad_json")
	k.fails(call{method: "POST", path: "/api/v1/calendar/overrides", token: admin, body: "day=2026-10-12", contentType: "text/plain"}, 415, "json_required")
	if got := due("from=2026-09-24&days=20&jurisdiction=210102"); got != "2026-10-30" {
		t.Errorf("due in Heping after Shenyang's closure: %s", got)
	}
	if got := due("from=2026-09-24&days=20&jurisdiction=210200"); got != "2026-10-29" {
		t.Errorf("due in Dalian after Shenyang's closure: %s", got)
	}
	var entries struct {
		Entries []struct{ Action, Jurisdiction string }
	}
	k.do(call{method: "GET", path: "/api/v1/audit?object_type=calendar_override", token: admin, valid: true, out: &entries}, 200)
	if len(entries.Entries) != 1 || entries.Entries[0].Action != "calendar.override.set" || entries.Entries[0].Jurisdiction != "210100" {
		t.Errorf("audit of the override: %+v", entries)
	}

	var list struct {
		Overrides []struct{ Jurisdiction, Day string }
	}
	k.do(call{method: "GET", path: "/api/v1/calendar/overrides?year=2026", token: admin, valid: true, out: &list}, 200)
	if len(list.Overrides) != 1 || list.Overrides[0].Day != "2026-10-12" {
		t.Errorf("the province's overrides: %+v", list)
	}
	k.do(call{method: "GET", path: "/api/v1/calendar/overrides", token: dalian, valid: true, out: &list}, 200)
	if list.Overrides == nil || len(list.Overrides) != 0 {
		t.Errorf("Dalian sees %+v", list)
	}
	k.fails(call{method: "GET", path: "/api/v1/calendar/overrides?year=0", token: admin}, 422, "invalid_input")
	k.fails(call{method: "GET", path: "/api/v1/calendar/overrides", token: citizen}, 403, "forbidden")
	k.fails(call{method: "GET", path: "/api/v1/calendar/overrides"}, 401, "login_required")

	key := map[string]string{"jurisdiction": "210100", "day": "2026-10-12"}
	k.fails(call{method: "DELETE", path: "/api/v1/calendar/overrides", token: dalian, body: key}, 403, "forbidden")
	k.fails(call{method: "DELETE", path: "/api/v1/calendar/overrides", body: key}, 401, "login_required")
	e = k.fails(call{method: "DELETE", path: "/api/v1/calendar/overrides", token: admin, body: map[string]string{"jurisdiction": "210100", "day": "soon"}}, 422, "invalid_input")
	if !e.hasField("day", "invalid_date") {
		t.Errorf("removing a bad day: %+v", e)
	}
	k.fails(call{method: "DELETE", path: "/api/v1/calendar/overrides", token: admin, body: `{"jurisdiction": "210100", "day": "2026-10-12", "kind": "closed"}`}, 400, "bad_json")
	k.fails(call{method: "DELETE", path: "/api/v1/calendar/overrides", token: admin, body: "day=2026-10-12", contentType: "text/plain"}, 415, "json_required")
	k.do(call{method: "DELETE", path: "/api/v1/calendar/overrides", token: admin, valid: true, body: key}, 204)
	k.fails(call{method: "DELETE", path: "/api/v1/calendar/overrides", token: admin, body: key}, 404, "not_found")
	if got := due("from=2026-09-24&days=20&jurisdiction=210102"); got != "2026-10-29" {
		t.Errorf("due in Heping after removing the closure: %s", got)
	}
}
