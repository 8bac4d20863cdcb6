package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/stacktest"
)

// Dalian's admin cannot take org_applicant from a Shenyang applicant; the admin of the whole
// installation (Liaoning, its only province) can.
func TestOnlyAnInstallationWideAdminRevokesPublicRoles(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.user("pr.dalian", "admin@2102*")
		st.user("pr.province", "admin@21*")
		applicant := st.user("pr.applicant", "org_applicant")
		st.startPreparation(st.token("pr.applicant"), "沈阳市公共角色测试协会") // a 210100 applicant indeed
		grants := "/api/v1/users/" + strconv.FormatInt(applicant, 10) + "/grants"
		revoke := map[string]string{"role": "org_applicant", "pattern": "*"}
		var e apiErr
		if code := st.api("DELETE", grants, st.token("pr.dalian"), revoke, &e); code != http.StatusForbidden || e.Error.Code != "forbidden" {
			t.Fatalf("Dalian's admin revoking org_applicant: %d %+v", code, e)
		}
		if !st.enf.AllowedSomewhere(applicant, "case", "apply") {
			t.Fatal("a refused revoke took the role")
		}
		if code := st.api("DELETE", grants, st.token("pr.province"), revoke, nil); code != http.StatusNoContent {
			t.Fatalf("the province's admin revoking org_applicant: %d", code)
		}
		if st.enf.AllowedSomewhere(applicant, "case", "apply") {
			t.Fatal("the revoked applicant may still apply")
		}
	})
}

// A reader of accounts and grants sees the grants within its own scope and the accounts holding
// one, and an admin the accounts without a role; any other account answers exactly like one that
// does not exist.
func TestUsersAndGrantsAreScopedToTheReader(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.user("sc.shenyang", "admin@2101*")
		st.user("sc.province", "auditor@21*")
		clerk := st.user("sc.clerk", "acceptor@210102", "reviewer@2102*")
		dalianClerk := st.user("sc.dalian.clerk", "reviewer@2102*")
		applicant := st.user("sc.applicant", "org_applicant")
		newcomer := st.user("sc.newcomer")
		shenyang, province := st.token("sc.shenyang"), st.token("sc.province")
		grantsOf := func(id int64) string { return "/api/v1/users/" + strconv.FormatInt(id, 10) + "/grants" }

		var got struct {
			Grants []struct{ Role, Pattern string }
		}
		if code := st.api("GET", grantsOf(clerk), shenyang, nil, &got); code != http.StatusOK ||
			len(got.Grants) != 1 || got.Grants[0].Role != "acceptor" || got.Grants[0].Pattern != "210102" {
			t.Errorf("Shenyang's admin reading the clerk's grants: %d %+v, want only acceptor in 210102", code, got)
		}
		var unknown json.RawMessage
		st.api("GET", grantsOf(999999), shenyang, nil, &unknown)
		for name, id := range map[string]int64{"Dalian's clerk": dalianClerk, "an applicant": applicant} {
			var body json.RawMessage
			if code := st.api("GET", grantsOf(id), shenyang, nil, &body); code != http.StatusNotFound || string(body) != string(unknown) {
				t.Errorf("Shenyang's admin reading the grants of %s: %d %s, want 404 %s", name, code, body, unknown)
			}
		}
		if code := st.api("GET", grantsOf(newcomer), shenyang, nil, &got); code != http.StatusOK || len(got.Grants) != 0 {
			t.Errorf("Shenyang's admin reading the grants of an account without a role: %d %+v", code, got)
		}
		got.Grants = nil
		if code := st.api("GET", grantsOf(applicant), province, nil, &got); code != http.StatusOK || len(got.Grants) != 1 || got.Grants[0].Role != "org_applicant" {
			t.Errorf("the province's auditor reading the applicant's grants: %d %+v", code, got)
		}
		if code := st.api("GET", grantsOf(newcomer), province, nil, &got); code != http.StatusOK || len(got.Grants) != 0 {
			t.Errorf("the province's auditor reading the grants of an account without a role: %d %+v", code, got)
		}

		logins := func(token string) []string {
			var out struct{ Users []struct{ Login string } }
			if code := st.api("GET", "/api/v1/users", token, nil, &out); code != http.StatusOK {
				t.Fatalf("listing users: %d", code)
			}
			var l []string
			for _, u := range out.Users {
				l = append(l, u.Login)
			}
			slices.Sort(l)
			return l
		}
		if got, want := logins(shenyang), []string{"sc.clerk", "sc.newcomer", "sc.shenyang"}; !slices.Equal(got, want) {
			t.Errorf("Shenyang's admin lists %v, want %v", got, want)
		}
		if got := logins(province); len(got) != 6 {
			t.Errorf("the province's auditor lists %v, want all six accounts", got)
		}

		b := st.browser()
		b.login("sc.shenyang")
		body, _ := b.page("/admin/users", http.StatusOK)
		if !strings.Contains(body, "sc.clerk") || strings.Contains(body, "sc.dalian.clerk") || strings.Contains(body, "sc.applicant") ||
			!strings.Contains(body, "sc.newcomer") || strings.Contains(body, `value="2102*"`) {
			t.Errorf("Shenyang's admin's users page shows what lies outside Shenyang:\n%s", body)
		}
	})
}

// /metrics on the main address is for those who may read metrics over the whole installation.
func TestMetricsNeedTheWholeInstallation(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.user("mx.city", "admin@2101*")
		st.user("mx.province", "admin@21*")
		city, province := st.token("mx.city"), st.token("mx.province")
		if code := st.api("GET", "/metrics", city, nil, nil); code != http.StatusForbidden {
			t.Errorf("a city's admin reading /metrics: %d", code)
		}
		if code := st.api("GET", "/metrics", province, nil, nil); code != http.StatusOK {
			t.Errorf("the admin of the installation's only province reading /metrics: %d", code)
		}
		// With a second province, Liaoning's admin no longer sees the whole installation.
		if err := jurisdictions.Add(context.Background(), s.DB, "220000", "吉林省", "Jilin"); err != nil {
			t.Fatal(err)
		}
		if code := st.api("GET", "/metrics", province, nil, nil); code != http.StatusForbidden {
			t.Errorf("one province's admin of a two-province installation reading /metrics: %d", code)
		}
	})
}

// To Dalian's admin a Shenyang clerk does not exist: granting her a role, revoking one and reading
// her grants answer exactly as for an id without an account, on the API and on the page, and leave
// her unchanged and off Dalian's list.
func TestHiddenAccountsAnswerLikeMissingOnes(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.user("hd.dalian", "admin@2102*")
		clerk := st.user("hd.clerk", "reviewer@210102")
		const missing = 999999
		dalian := st.token("hd.dalian")
		grantsOf := func(id int64) string { return "/api/v1/users/" + strconv.FormatInt(id, 10) + "/grants" }

		for _, r := range []struct {
			method string
			body   any
		}{
			{"GET", nil},
			{"POST", map[string]any{"role": "reviewer", "jurisdiction": "210200"}},
			{"DELETE", map[string]string{"role": "reviewer", "pattern": "210200"}},
		} {
			var hidden, none json.RawMessage
			hiddenCode := st.api(r.method, grantsOf(clerk), dalian, r.body, &hidden)
			noneCode := st.api(r.method, grantsOf(missing), dalian, r.body, &none)
			if hiddenCode != noneCode || string(hidden) != string(none) || hiddenCode < 400 {
				t.Errorf("%s by Dalian's admin: the Shenyang clerk answers %d %s, a missing id %d %s",
					r.method, hiddenCode, hidden, noneCode, none)
			}
		}

		b := st.browser()
		b.login("hd.dalian")
		_, _, csrf := b.get("/admin/users")
		for path, form := range map[string]url.Values{
			"/admin/grants":        {"role": {"reviewer"}, "jurisdiction": {"210200"}},
			"/admin/grants/revoke": {"role": {"reviewer"}, "pattern": {"210200"}},
		} {
			answer := func(id int64) (int, string) {
				f := url.Values{"_csrf": {csrf}, "user_id": {strconv.FormatInt(id, 10)}}
				for k, v := range form {
					f[k] = v
				}
				resp, body := b.post(path, f)
				return resp.StatusCode, body
			}
			hiddenCode, hidden := answer(clerk)
			noneCode, none := answer(missing)
			if hiddenCode != noneCode || hidden != none || hiddenCode != http.StatusUnprocessableEntity {
				t.Errorf("POST %s by Dalian's admin: the Shenyang clerk answers %d, a missing id %d; pages equal: %v",
					path, hiddenCode, noneCode, hidden == none)
			}
		}

		if got, _ := st.enf.Grants(context.Background(), clerk); len(got) != 1 || got[0].Pattern != "210102" {
			t.Errorf("the Shenyang clerk's grants after Dalian's attempts: %+v", got)
		}
		var list struct{ Users []struct{ Login string } }
		st.api("GET", "/api/v1/users", dalian, nil, &list)
		for _, u := range list.Users {
			if u.Login == "hd.clerk" {
				t.Errorf("Dalian's admin lists the Shenyang clerk: %+v", list.Users)
			}
		}
	})
}

// A county's admin gives a new colleague a role: the account it creates has no role yet, so it is on
// the admin's list (and on every admin's, but not on a mere auditor's) until the first grant puts it
// in the county; from then on Shenyang's admin no longer sees it.
func TestScopedAdminOnboardsAColleague(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.user("ob.dalian", "admin@2102*")
		st.user("ob.shenyang", "admin@2101*")
		st.user("ob.auditor", "auditor@2101*")
		shenyang, auditor := st.token("ob.shenyang"), st.token("ob.auditor")
		listed := func(token, login string) bool {
			var out struct{ Users []struct{ Login string } }
			if code := st.api("GET", "/api/v1/users", token, nil, &out); code != http.StatusOK {
				t.Fatalf("listing users: %d", code)
			}
			return slices.ContainsFunc(out.Users, func(u struct{ Login string }) bool { return u.Login == login })
		}

		b := st.browser()
		b.login("ob.dalian")
		_, _, csrf := b.get("/admin/users")
		resp, body := b.post("/admin/users", url.Values{"_csrf": {csrf}, "login": {"ob.colleague"}, "password": {"ob.colleague-password"}})
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `>ob.colleague</td>`) {
			t.Fatalf("Dalian's admin creating an account: %d, or the new account is not on its page", resp.StatusCode)
		}
		var created struct {
			Users []struct {
				ID    int64
				Login string
			}
		}
		st.api("GET", "/api/v1/users", st.token("ob.dalian"), nil, &created)
		var colleague int64
		for _, u := range created.Users {
			if u.Login == "ob.colleague" {
				colleague = u.ID
			}
		}
		if colleague == 0 {
			t.Fatalf("Dalian's admin does not list the account it created: %+v", created.Users)
		}
		if !listed(shenyang, "ob.colleague") || listed(auditor, "ob.colleague") {
			t.Error("a fresh account: Shenyang's admin should list it, Shenyang's auditor not")
		}

		resp, _ = b.post("/admin/grants", url.Values{"_csrf": {csrf}, "user_id": {strconv.FormatInt(colleague, 10)},
			"role": {"reviewer"}, "jurisdiction": {"210200"}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("Dalian's admin granting its new colleague reviewer in 210200: %d", resp.StatusCode)
		}
		if got, _ := st.enf.Grants(context.Background(), colleague); len(got) != 1 || got[0].Pattern != "210200" {
			t.Fatalf("the colleague's grants: %+v", got)
		}
		if listed(shenyang, "ob.colleague") {
			t.Error("Shenyang's admin still lists Dalian's new reviewer")
		}
		var none, hidden json.RawMessage
		st.api("GET", "/api/v1/users/999999/grants", shenyang, nil, &none)
		if code := st.api("GET", "/api/v1/users/"+strconv.FormatInt(colleague, 10)+"/grants", shenyang, nil, &hidden); code != http.StatusNotFound || string(hidden) != string(none) {
			t.Errorf("Shenyang's admin reading the grants of Dalian's new reviewer: %d %s", code, hidden)
		}
	})
}
