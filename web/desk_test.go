package web_test

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/stacktest"
)

// deskAnswer is the API's answer to a search of the desk.
type deskAnswer struct {
	Cases []struct {
		ID               int64
		Number           string
		Jurisdiction     string
		OrgName          string               `json:"org_name"`
		CreditCode       string               `json:"credit_code"`
		ApplicantName    string               `json:"applicant_name"`
		JurisdictionName *struct{ ZH string } `json:"jurisdiction_name"`
		Data             map[string]any
	}
	Total, Page int
	PerPage     int `json:"per_page"`
}

// numbers are the case numbers of the answer, in its order.
func (a deskAnswer) numbers() []string {
	out := []string{}
	for _, c := range a.Cases {
		out = append(out, c.Number)
	}
	return out
}

// search asks the desk's API with the query and fails the test unless it answers 200.
func (st *site) search(token, query string) deskAnswer {
	st.t.Helper()
	var out deskAnswer
	if code := st.api("GET", "/api/v1/desk/cases?"+query, token, nil, &out); code != http.StatusOK {
		st.t.Fatalf("searching %q: %d", query, code)
	}
	return out
}

// The desk finds the cases of the caller's jurisdictions, open and finished, by each filter; it finds
// nothing outside them; it pages; it reports every bad filter on its field; and an auditor finds the
// cases of its scope and reads them without being offered an action.
func TestDeskSearch(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.namedUser("desk.applicant", "王小明", "org_applicant@*")
		st.user("desk.acceptor", "acceptor@2101*")
		st.user("desk.reviewer", "reviewer@2101*")
		st.user("desk.approver", "approver@2101*")
		st.user("desk.county", "reviewer@210102")
		st.user("desk.auditor", "auditor@2101*")
		st.user("desk.dalian", "reviewer@2102*")
		app, acc, rev, apr := st.token("desk.applicant"), st.token("desk.acceptor"), st.token("desk.reviewer"), st.token("desk.approver")
		today := calendar.DateOf(st.clock.Now())

		open := st.startPreparation(app, "沈阳市青年书法协会")
		refused := st.step(acc, st.startPreparation(app, "沈阳市老年围棋协会"), "reject", "refused",
			map[string]any{"fields": map[string]any{"reason": "发起人不足五十名。"}})
		registered := st.groupToDecision(app, acc, rev, apr, "沈阳市桥牌协会")
		registered = st.step(apr, registered, "approve_establishment", "registered", map[string]any{"fields": map[string]any{"decision_number": "沈民社登〔2026〕5号"}})
		uscc, _ := registered.Fields["uscc"].(string)
		county := st.startCase(app, sgItem, "210102", preparationData(t, "和平区书法协会", st.uploadAll(app, sgItem, prepSlots...)))
		all := []string{county.Number, registered.Number, refused.Number, open.Number} // newest received first

		t.Run("filters", func(t *testing.T) {
			for query, want := range map[string][]string{
				"":                              all,
				"name=" + url.QueryEscape("书法"): {county.Number, open.Number},
				"name=" + url.QueryEscape("围棋") + "&status=closed":                   {refused.Number},
				"name=" + url.QueryEscape("小明"):                                      all, // the applicant's name
				"name=" + url.QueryEscape("不存在"):                                     {},
				"credit_code=" + strings.ToLower(uscc):                               {registered.Number},
				"number=" + refused.Number:                                           {refused.Number},
				"number=210100-2026":                                                 {registered.Number, refused.Number, open.Number},
				"item=" + sgItem + "&state=refused":                                  {refused.Number},
				"status=open":                                                        {county.Number, open.Number},
				"status=closed":                                                      {registered.Number, refused.Number},
				"received_from=" + today.String() + "&received_to=" + today.String(): all,
				"received_to=" + today.AddDays(-1).String():                          {},
				"received_from=" + today.AddDays(1).String():                         {},
				"overdue=1": {},
			} {
				if got := st.search(rev, query).numbers(); !slices.Equal(got, want) {
					t.Errorf("search %q found %v, want %v", query, got, want)
				}
			}
			if uscc == "" {
				t.Fatal("the registered case has no credit code")
			}
			a := st.search(rev, "credit_code="+uscc)
			c := a.Cases[0]
			if a.Total != 1 || c.OrgName != "沈阳市桥牌协会" || c.CreditCode != uscc || c.ApplicantName != "王小明" ||
				c.JurisdictionName == nil || c.JurisdictionName.ZH != "沈阳市" || c.Data != nil {
				t.Errorf("the case found: %+v", a)
			}
		})

		t.Run("scope", func(t *testing.T) {
			if got := st.search(st.token("desk.county"), "").numbers(); !slices.Equal(got, []string{county.Number}) {
				t.Errorf("the county's reviewer found %v, want only the county's case", got)
			}
			if got := st.search(st.token("desk.county"), "number="+open.Number).numbers(); len(got) != 0 {
				t.Errorf("the county's reviewer found the city's case by its number: %v", got)
			}
			dalian := st.token("desk.dalian")
			if got := st.search(dalian, "name="+url.QueryEscape("协会")).numbers(); len(got) != 0 {
				t.Errorf("a reviewer of another city found %v", got)
			}
			if code := st.api("GET", "/api/v1/cases/"+strconv.FormatInt(open.ID, 10), dalian, nil, nil); code != http.StatusNotFound {
				t.Errorf("a reviewer of another city reads the case: %d", code)
			}
			if code := st.api("GET", "/api/v1/desk/cases", app, nil, nil); code != http.StatusForbidden {
				t.Errorf("an applicant searches the desk: %d", code)
			}
			if code := st.api("GET", "/api/v1/desk/cases", "", nil, nil); code != http.StatusUnauthorized {
				t.Errorf("searching without login: %d", code)
			}
		})

		t.Run("pages", func(t *testing.T) {
			first, second := st.search(rev, "per_page=3"), st.search(rev, "per_page=3&page=2")
			if first.Total != 4 || first.Page != 1 || first.PerPage != 3 || second.Total != 4 || second.Page != 2 {
				t.Errorf("pages: %+v, %+v", first, second)
			}
			if got := append(first.numbers(), second.numbers()...); !slices.Equal(got, all) {
				t.Errorf("the pages list %v, want %v", got, all)
			}
			if beyond := st.search(rev, "per_page=3&page=3"); len(beyond.Cases) != 0 || beyond.Total != 4 {
				t.Errorf("a page beyond the last: %+v", beyond)
			}
		})

		t.Run("bad filters", func(t *testing.T) {
			var bad apiErr
			code := st.api("GET", "/api/v1/desk/cases?number=abc&name="+strings.Repeat("长", 51)+"&credit_code=z&item=x&status=y"+
				"&received_from=2026-13-01&received_to=y&page=z&per_page=1000", rev, nil, &bad)
			fields := map[string]string{}
			for _, f := range bad.Error.Fields {
				fields[f.Path] = f.Code
			}
			want := map[string]string{"number": "invalid", "name": "too_long", "credit_code": "invalid", "item": "invalid", "status": "invalid",
				"received_from": "invalid", "received_to": "invalid", "page": "invalid", "per_page": "invalid"}
			if code != http.StatusUnprocessableEntity || bad.Error.Code != "invalid_input" || len(fields) != len(want) {
				t.Fatalf("bad filters: %d %+v", code, bad)
			}
			for path, c := range want {
				if fields[path] != c {
					t.Errorf("field %s: %q, want %q", path, fields[path], c)
				}
			}
			code = st.api("GET", "/api/v1/desk/cases?item="+sgItem+"&state=nowhere&received_from=2026-12-08&received_to=2026-12-01", rev, nil, &bad)
			if code != http.StatusUnprocessableEntity || len(bad.Error.Fields) != 2 || bad.Error.Fields[0].Path != "state" || bad.Error.Fields[1].Code != "before_from" {
				t.Errorf("a state not of the item and days the wrong way round: %d %+v", code, bad)
			}
			b := st.browser()
			b.login("desk.reviewer")
			code, body, _ := b.get("/desk?item=x&received_from=y")
			if code != http.StatusUnprocessableEntity || !strings.Contains(body, `id="item-error"`) || !strings.Contains(body, `id="received_from-error"`) {
				t.Errorf("the page with bad filters: %d", code)
			}
		})

		t.Run("page and inbox", func(t *testing.T) {
			b := st.browser()
			b.login("desk.reviewer")
			code, body, _ := b.get("/desk?name=" + url.QueryEscape("围棋"))
			if code != http.StatusOK || !strings.Contains(body, refused.Number) || !strings.Contains(body, "沈阳市老年围棋协会") ||
				!strings.Contains(body, "沈阳市") || strings.Contains(body, open.Number) {
				t.Errorf("the desk page: %d %s", code, body)
			}
			if !strings.Contains(body, `<a href="/desk">`) {
				t.Error("the navigation does not lead to the desk")
			}
			_, body, _ = b.get("/desk?per_page=1&name=" + url.QueryEscape("协会"))
			if !strings.Contains(body, `rel="next"`) || !strings.Contains(body, "page=2") || !strings.Contains(body, "per_page=1") {
				t.Error("the desk page does not link to the next page of the search")
			}
			// The inbox names the organisation of each case.
			a := st.browser()
			a.login("desk.acceptor")
			_, body, _ = a.get("/inbox")
			if !strings.Contains(body, open.Number) || !strings.Contains(body, "沈阳市青年书法协会") || !strings.Contains(body, `href="/desk"`) {
				t.Errorf("the acceptor's inbox: %s", body)
			}
		})

		t.Run("auditor", func(t *testing.T) {
			aud := st.token("desk.auditor")
			if got := st.search(aud, "").numbers(); !slices.Equal(got, all) {
				t.Errorf("the auditor found %v, want %v", got, all)
			}
			b := st.browser()
			b.login("desk.auditor")
			_, body, _ := b.get("/inbox")
			if !strings.Contains(body, `<a href="/desk">`) || !strings.Contains(body, "您的角色不办理办件") {
				t.Errorf("the auditor's inbox does not lead to the desk: %s", body)
			}
			_, body, _ = b.get("/desk?status=open")
			if !strings.Contains(body, open.Number) || !strings.Contains(body, county.Number) || strings.Contains(body, refused.Number) {
				t.Errorf("the auditor's desk: %s", body)
			}
			view := st.getCase(aud, open.ID)
			if len(view.AllowedActions) != 0 {
				t.Errorf("the auditor is offered %v", view.AllowedActions)
			}
			if code := st.act(aud, open.ID, map[string]any{"action": "accept_prep", "expected_version": open.Version}, nil); code < 400 || code >= 500 {
				t.Errorf("the auditor accepted the case: %d", code)
			}
			if _, body, _ := b.get("/cases/" + strconv.FormatInt(open.ID, 10)); strings.Contains(body, "/actions/") {
				t.Error("the case page offers the auditor an action")
			}
		})

		t.Run("overdue", func(t *testing.T) {
			st.clock.AddDate(0, 0, 120) // past every time limit of the open cases
			if got := st.search(rev, "overdue=1").numbers(); !slices.Equal(got, []string{county.Number, open.Number}) {
				t.Errorf("overdue cases: %v", got)
			}
			// The desk's list marks them, beside their due dates.
			b := st.browser()
			b.login("desk.reviewer")
			if _, body, _ := b.get("/desk?overdue=1"); !strings.Contains(body, `<strong class="badge">`) || !strings.Contains(body, county.Number) {
				t.Errorf("the desk does not mark the overdue cases: %s", body)
			}
		})
	})
}
