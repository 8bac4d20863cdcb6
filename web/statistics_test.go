package web_test

import (
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/stacktest"
	"github.com/civicflow/civicflow/statistics/statstest"
)

const statItem = "social-group-establishment"

// statsReport is the answer of GET /api/v1/statistics as the tests read it.
type statsReport struct {
	Today string
	Rows  []statsRow
	Total statsRow
}

type statsRow struct {
	ItemCode        string `json:"item_code"`
	Jurisdiction    string
	Received        int
	Finished        int
	WithinPromised  int     `json:"within_promised"`
	WithinStatutory int     `json:"within_statutory"`
	OverdueNow      int     `json:"overdue_now"`
	OnTimeRate      float64 `json:"on_time_rate"`
}

// seedStatistics puts into the database, received last year: in Shenyang four finished cases, three
// of them within each limit (a clock without a promised due date is never late for it), and one
// overdue; in Dalian one finished after its statutory limit and one open, not yet due.
func seedStatistics(t *testing.T, s *stacktest.Stack) {
	t.Helper()
	received := time.Now().AddDate(-1, 0, 0)
	past, future := calendar.Today().AddDays(-5).String(), calendar.Today().AddDays(30).String()
	onTime := []statstest.Clock{{StatutoryDue: "2025-03-01", PromisedDue: "2025-02-01", Stopped: "2025-01-20"}}
	statstest.Insert(t, s.DB,
		statstest.Case{Item: statItem, Jurisdiction: "210100", Received: received, Closed: true, Clocks: onTime},
		statstest.Case{Item: statItem, Jurisdiction: "210100", Received: received, Closed: true, Clocks: onTime},
		statstest.Case{Item: statItem, Jurisdiction: "210100", Received: received, Closed: true,
			Clocks: []statstest.Clock{{StatutoryDue: "2025-03-01", PromisedDue: "2025-02-01", Stopped: "2025-02-20"}}},
		statstest.Case{Item: statItem, Jurisdiction: "210100", Received: received, Closed: true,
			Clocks: []statstest.Clock{{StatutoryDue: "2025-03-01", Stopped: "2025-03-02"}}},
		statstest.Case{Item: statItem, Jurisdiction: "210100", Received: received, Clocks: []statstest.Clock{{StatutoryDue: past}}},
		statstest.Case{Item: statItem, Jurisdiction: "210200", Received: received, Closed: true,
			Clocks: []statstest.Clock{{StatutoryDue: "2025-03-01", Stopped: "2025-03-05"}}},
		statstest.Case{Item: statItem, Jurisdiction: "210200", Received: received, Clocks: []statstest.Clock{{StatutoryDue: future}}},
	)
}

func TestStatistics(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.user("stat.auditor", "auditor@21*")
		st.user("stat.dalian", "auditor@2102*")
		st.user("stat.admin", "admin@21*")
		st.user("stat.citizen", "citizen")
		st.user("stat.reviewer", "reviewer@2101*")
		seedStatistics(t, s)

		// The province auditor sees both cities.
		var rep statsReport
		if code := st.api("GET", "/api/v1/statistics", st.token("stat.auditor"), nil, &rep); code != http.StatusOK {
			t.Fatalf("province auditor: %d", code)
		}
		if rep.Today != calendar.Today().String() || len(rep.Rows) != 2 {
			t.Fatalf("province auditor: %+v", rep)
		}
		shenyang, dalian := rep.Rows[0], rep.Rows[1]
		if shenyang.Jurisdiction != "210100" || shenyang.ItemCode != statItem || shenyang.Received != 5 || shenyang.Finished != 4 ||
			shenyang.WithinPromised != 3 || shenyang.WithinStatutory != 3 || shenyang.OverdueNow != 1 || shenyang.OnTimeRate != 0.75 {
			t.Errorf("Shenyang: %+v", shenyang)
		}
		if dalian.Jurisdiction != "210200" || dalian.Received != 2 || dalian.Finished != 1 || dalian.WithinStatutory != 0 ||
			dalian.OverdueNow != 0 || dalian.OnTimeRate != 0 {
			t.Errorf("Dalian: %+v", dalian)
		}
		if tot := rep.Total; tot.Received != 7 || tot.Finished != 5 || tot.WithinStatutory != 3 || tot.OverdueNow != 1 ||
			math.Abs(tot.OnTimeRate-0.6) > 1e-9 || tot.ItemCode != "" || tot.Jurisdiction != "" {
			t.Errorf("total: %+v", tot)
		}

		// Sorted by the lowest on-time rate, Dalian comes first; only the rows with overdue cases: Shenyang.
		if code := st.api("GET", "/api/v1/statistics?sort=on_time", st.token("stat.auditor"), nil, &rep); code != http.StatusOK ||
			len(rep.Rows) != 2 || rep.Rows[0].Jurisdiction != "210200" {
			t.Errorf("sorted by on-time rate: %d %+v", code, rep.Rows)
		}
		if code := st.api("GET", "/api/v1/statistics?overdue=1", st.token("stat.auditor"), nil, &rep); code != http.StatusOK ||
			len(rep.Rows) != 1 || rep.Rows[0].Jurisdiction != "210100" {
			t.Errorf("overdue only: %d %+v", code, rep.Rows)
		}

		// The Dalian auditor sees only Dalian.
		if code := st.api("GET", "/api/v1/statistics", st.token("stat.dalian"), nil, &rep); code != http.StatusOK {
			t.Fatalf("Dalian auditor: %d", code)
		}
		if len(rep.Rows) != 1 || rep.Rows[0].Jurisdiction != "210200" || rep.Total.Received != 2 {
			t.Errorf("Dalian auditor: %+v", rep)
		}

		// Filters: received before last year finds nothing; another item finds nothing; bad dates.
		admin := st.token("stat.admin")
		before := calendar.Today().AddDays(-800).String()
		if code := st.api("GET", "/api/v1/statistics?to="+before, admin, nil, &rep); code != http.StatusOK || len(rep.Rows) != 0 || rep.Rows == nil {
			t.Errorf("received until %s: %d %+v", before, code, rep)
		}
		if code := st.api("GET", "/api/v1/statistics?item=marriage&from="+before, admin, nil, &rep); code != http.StatusOK || len(rep.Rows) != 0 {
			t.Errorf("another item: %d %+v", code, rep)
		}
		if code := st.api("GET", "/api/v1/statistics?item="+statItem+"&from="+before+"&to="+calendar.Today().String(), admin, nil, &rep); code != http.StatusOK || rep.Total.Received != 7 {
			t.Errorf("the item over the last 800 days: %d %+v", code, rep)
		}
		var e apiErr
		if code := st.api("GET", "/api/v1/statistics?from=2026-13-01&to=yesterday", admin, nil, &e); code != http.StatusUnprocessableEntity ||
			len(e.Error.Fields) != 2 || e.Error.Fields[0].Path != "from" || e.Error.Fields[1].Code != "invalid_date" {
			t.Errorf("bad dates: %d %+v", code, e)
		}
		if code := st.api("GET", "/api/v1/statistics?from=2026-03-02&to=2026-03-01", admin, nil, &e); code != http.StatusUnprocessableEntity ||
			len(e.Error.Fields) != 1 || e.Error.Fields[0].Code != "invalid_range" {
			t.Errorf("to before from: %d %+v", code, e)
		}

		// Citizens and case officers do not see statistics.
		for _, login := range []string{"stat.citizen", "stat.reviewer"} {
			if code := st.api("GET", "/api/v1/statistics", st.token(login), nil, nil); code != http.StatusForbidden {
				t.Errorf("%s: %d", login, code)
			}
			b := st.browser()
			b.login(login)
			if code, body, _ := b.get("/admin/statistics"); code != http.StatusForbidden || strings.Contains(body, `href="/admin/statistics"`) {
				t.Errorf("%s: the page answers %d, or the menu links to it", login, code)
			}
			if code, _, _ := b.get("/admin/statistics.csv"); code != http.StatusForbidden {
				t.Errorf("%s: the CSV answers %d", login, code)
			}
		}
		if code := st.api("GET", "/api/v1/statistics", "", nil, nil); code != http.StatusUnauthorized {
			t.Errorf("anonymous: %d", code)
		}

		// The page, in Chinese and in English, with the on-time rate.
		b := st.browser()
		b.login("stat.auditor")
		code, body, csrf := b.get("/admin/statistics")
		if code != http.StatusOK || strings.Contains(body, "[statistics_") || strings.Contains(body, "[admin_statistics") {
			t.Fatalf("/admin/statistics: %d, or a text missing\n%s", code, body)
		}
		for _, want := range []string{`href="/admin/statistics"`, "办件统计", "按时办结率", "社会团体成立登记", "210100 沈阳市", "210200 大连市",
			"75.0%", "60.0%", "合计", `href="/admin/statistics.csv"`, `<option value="` + statItem + `"`} {
			if !strings.Contains(body, want) {
				t.Errorf("the Chinese page lacks %s", want)
			}
		}
		if resp, _ := b.post("/lang", url.Values{"lang": {"en"}, "next": {"/admin/statistics"}, "_csrf": {csrf}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("switching to English: %d", resp.StatusCode)
		}
		code, body, _ = b.get("/admin/statistics?item=" + statItem + "&from=" + before)
		if code != http.StatusOK || !strings.Contains(body, `<html lang="en">`) {
			t.Fatalf("English page: %d", code)
		}
		for _, want := range []string{"On-time rate", "Shenyang", "Dalian", "75.0%", "60.0%", "Total",
			`href="/admin/statistics.csv?from=` + before + `&amp;item=` + statItem + `"`} {
			if !strings.Contains(body, want) {
				t.Errorf("the English page lacks %s", want)
			}
		}
		code, body, _ = b.get("/admin/statistics?from=2026-03-02&to=2026-03-01")
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, "The last day cannot be before the first day.") || strings.Contains(body, "75.0%") {
			t.Errorf("a bad range on the page: %d", code)
		}

		// The Dalian auditor's page shows Dalian only.
		db := st.browser()
		db.login("stat.dalian")
		if code, body, _ := db.get("/admin/statistics"); code != http.StatusOK || strings.Contains(body, "沈阳市") || !strings.Contains(body, "大连市") {
			t.Errorf("Dalian auditor's page: %d", code)
		}

		// The CSV export: UTF-8 with a byte order mark, a bilingual header, names, the total.
		resp, err := b.c.Get(st.base + "/admin/statistics.csv")
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") ||
			!strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("CSV: %d %v", resp.StatusCode, resp.Header)
		}
		csv := string(raw)
		if !strings.HasPrefix(csv, "\uFEFF事项代码 Item code,事项名称 Item,") || !strings.Contains(csv, "按时办结率 On-time rate\r\n") {
			t.Errorf("CSV without the BOM or header:\n%q", csv)
		}
		lines := strings.Split(strings.TrimSuffix(csv, "\r\n"), "\r\n")
		if len(lines) != 4 {
			t.Fatalf("CSV lines: %q", lines)
		}
		// The browser chose English: names in English, the header in both languages.
		if lines[1] != statItem+",Registration of the establishment of a social group,210100,Shenyang,5,4,3,3,1,75.0%" ||
			lines[2] != statItem+",Registration of the establishment of a social group,210200,Dalian,2,1,1,0,0,0.0%" ||
			lines[3] != ",合计 Total,,,7,5,4,3,1,60.0%" {
			t.Errorf("CSV rows: %q", lines[1:])
		}
	})
}

// statisticsContract calls GET /api/v1/statistics in the contract test.
func statisticsContract(t *testing.T, k *contract, admin, citizen, dalian string) {
	t.Helper()
	seedStatistics(t, k.st.stack)
	var rep statsReport
	k.do(call{method: "GET", path: "/api/v1/statistics", token: admin, valid: true, out: &rep}, 200)
	if len(rep.Rows) == 0 || rep.Total.Received < 7 {
		t.Errorf("statistics: %+v", rep)
	}
	k.do(call{method: "GET", path: "/api/v1/statistics?from=2020-01-01&to=2099-12-31&item=" + statItem, token: dalian, valid: true, out: &rep}, 200)
	for _, r := range rep.Rows {
		if !strings.HasPrefix(r.Jurisdiction, "2102") {
			t.Errorf("the Dalian admin sees %+v", r)
		}
	}
	k.do(call{method: "GET", path: "/api/v1/statistics?to=2000-01-01", token: admin, valid: true}, 200)
	e := k.fails(call{method: "GET", path: "/api/v1/statistics?from=2026-02-30", token: admin}, 422, "invalid_input")
	if !e.hasField("from", "invalid_date") {
		t.Errorf("bad from: %+v", e)
	}
	e = k.fails(call{method: "GET", path: "/api/v1/statistics?from=2026-03-02&to=2026-03-01", token: admin, valid: true}, 422, "invalid_input")
	if !e.hasField("to", "invalid_range") {
		t.Errorf("to before from: %+v", e)
	}
	k.fails(call{method: "GET", path: "/api/v1/statistics", token: citizen}, 403, "forbidden")
	k.fails(call{method: "GET", path: "/api/v1/statistics"}, 401, "login_required")
}

// The staff inbox and the case page show the due dates of the case's running clock.
func TestDueDatesShown(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.user("due.citizen", "citizen")
		st.user("due.acceptor", "acceptor@2101*")
		c := st.startPreparation(st.token("due.citizen"), "沈阳市时限测试协会")

		var inbox struct {
			Cases []struct {
				ID  int64
				Due *struct{ Statutory, Promised, Status string }
			}
		}
		if code := st.api("GET", "/api/v1/inbox", st.token("due.acceptor"), nil, &inbox); code != http.StatusOK || len(inbox.Cases) != 1 {
			t.Fatalf("inbox: %d %+v", code, inbox)
		}
		due := inbox.Cases[0].Due
		if due == nil || due.Statutory == "" || due.Promised == "" || due.Status != "running" {
			t.Fatalf("the new case has no running clock: %+v", due)
		}

		var overdue struct{ Cases []struct{ ID int64 } }
		if code := st.api("GET", "/api/v1/inbox?overdue=1&sort=due", st.token("due.acceptor"), nil, &overdue); code != http.StatusOK || len(overdue.Cases) != 0 {
			t.Fatalf("a new case listed as overdue: %d %+v", code, overdue)
		}

		b := st.browser()
		b.login("due.acceptor")
		code, body, _ := b.get("/inbox")
		if code != http.StatusOK || !strings.Contains(body, "办理时限") || !strings.Contains(body, "承诺 "+due.Promised) ||
			!strings.Contains(body, "法定 "+due.Statutory) || strings.Contains(body, "已超期") {
			t.Errorf("the inbox does not show the due dates %+v: %d", due, code)
		}
		code, body, _ = b.get("/cases/" + strconv.FormatInt(c.ID, 10))
		if code != http.StatusOK || !strings.Contains(body, "筹备审批") || !strings.Contains(body, "计时中") ||
			!strings.Contains(body, due.Promised) || !strings.Contains(body, due.Statutory) || strings.Contains(body, "[clock_") {
			t.Errorf("the case page does not show the clock: %d", code)
		}
		// A 补正 notice stops the clock; the case page lists the pause.
		req := map[string]any{"action": "supplement_prep", "expected_version": c.Version, "items": []string{"name"}, "comment": "请补正名称。"}
		if code := st.api("POST", "/api/v1/cases/"+strconv.FormatInt(c.ID, 10)+"/actions", st.token("due.acceptor"), req, nil); code != http.StatusOK {
			t.Fatalf("supplement: %d", code)
		}
		code, body, _ = b.get("/cases/" + strconv.FormatInt(c.ID, 10))
		if code != http.StatusOK || !strings.Contains(body, "计时暂停") || !strings.Contains(body, "筹备申请待补正") || !strings.Contains(body, "至今") {
			t.Errorf("the case page does not show the pause: %d", code)
		}
	})
}
