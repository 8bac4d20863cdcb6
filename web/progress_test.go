package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/civicflow/civicflow/stacktest"
)

// Progress lookup without login: the applicant reads the query code on its case (page and API),
// another applicant cannot reach the case and staff do not get the code; the number and the code
// answer the stage and the dates and nothing personal; a wrong code and an unknown number answer
// the same; after CIVICFLOW_PROGRESS_MAX_FAILURES_PER_IP wrong lookups the address gets 429.
func TestProgressLookupWithoutLogin(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.user("zhang.applicant", "org_applicant@*")
		st.user("li.applicant", "org_applicant@*")
		st.user("sy.acceptor", "acceptor@2101*")
		app, other, acc := st.token("zhang.applicant"), st.token("li.applicant"), st.token("sy.acceptor")
		c := st.startPreparation(app, "沈阳市青年创业促进会")
		c = st.step(acc, c, "accept_prep", "prep_review", nil)

		var mine struct {
			Case struct {
				QueryCode string `json:"query_code"`
			}
		}
		caseURL := "/api/v1/cases/" + strconv.FormatInt(c.ID, 10)
		if code := st.api("GET", caseURL, app, nil, &mine); code != http.StatusOK || len(mine.Case.QueryCode) != 6 {
			t.Fatalf("the applicant's case: %d, query code %q", code, mine.Case.QueryCode)
		}
		qc := mine.Case.QueryCode
		if code := st.api("GET", caseURL, other, nil, nil); code != http.StatusNotFound {
			t.Errorf("another applicant reads the case: %d", code)
		}
		var staff map[string]any
		if st.api("GET", caseURL, acc, nil, &staff); strings.Contains(fmt.Sprint(staff), qc) {
			t.Error("the clerk's view of the case has the query code")
		}
		b := st.browser()
		b.login("zhang.applicant")
		if _, body, _ := b.get(fmt.Sprintf("/cases/%d", c.ID)); !strings.Contains(body, qc) {
			t.Error("the applicant's case page does not show the query code")
		}

		anon := st.browser()
		_, home, _ := anon.get("/")
		if !strings.Contains(home, `action="/progress"`) {
			t.Error("the home page has no progress lookup")
		}
		code, body, _ := anon.get("/progress?number=" + c.Number + "&code=" + strings.ToLower(qc))
		if code != http.StatusOK || !strings.Contains(body, "社会团体成立登记") || !strings.Contains(body, "筹备审查") ||
			!strings.Contains(body, "受理日期") {
			t.Fatalf("looking up the case: %d %s", code, body)
		}
		// An open case says what is still to come in words, and whose date its time limit is.
		for _, want := range []string{"<dd>尚未办结</dd>", "<dt>本阶段承诺办结日期</dt>", "<strong>筹备审查</strong>"} {
			if !strings.Contains(body, want) {
				t.Errorf("the progress of the open case lacks %s", want)
			}
		}
		if strings.Contains(body, "办理时限") || strings.Contains(body, "（已办结）") {
			t.Error("the progress of the open case shows the old time limit label or says it is closed")
		}
		refuser, refused := st.refused("pr", "沈阳市青年围棋协会", "不属于本机关登记范围。")
		var closed struct {
			Case struct {
				QueryCode string `json:"query_code"`
			}
		}
		st.api("GET", "/api/v1/cases/"+strconv.FormatInt(refused.ID, 10), refuser, nil, &closed)
		if _, body, _ := anon.get("/progress?number=" + refused.Number + "&code=" + closed.Case.QueryCode); !strings.Contains(body, "（已办结）</strong>") ||
			strings.Contains(body, "尚未办结") {
			t.Errorf("the progress of a closed case does not say it is closed: %s", body)
		}
		var p map[string]any
		if code := st.api("GET", "/api/v1/progress?number="+c.Number+"&code="+qc, "", nil, &p); code != http.StatusOK ||
			p["state"] != "prep_review" || p["accepted"] == "" || p["received"] == "" {
			t.Fatalf("the API's answer: %d %v", code, p)
		}
		raw, _ := json.Marshal(p)
		for _, personal := range []string{"沈阳市青年创业促进会", "张伟", "会员01", "13912345678"} {
			if strings.Contains(body, personal) || strings.Contains(string(raw), personal) {
				t.Errorf("the progress tells %s", personal)
			}
		}
		if strings.Contains(string(raw), qc) {
			t.Error("the API's answer repeats the query code")
		}

		wrong := "222222"
		if wrong == qc {
			wrong = "333333"
		}
		var errWrong, errUnknown apiErr
		codeWrong := st.api("GET", "/api/v1/progress?number="+c.Number+"&code="+wrong, "", nil, &errWrong)
		codeUnknown := st.api("GET", "/api/v1/progress?number=210100-2026-999999&code="+qc, "", nil, &errUnknown)
		if codeWrong != http.StatusNotFound || codeUnknown != http.StatusNotFound || errWrong.Error.Code != "not_found" ||
			fmt.Sprint(errWrong) != fmt.Sprint(errUnknown) {
			t.Errorf("a wrong code: %d %+v; an unknown number: %d %+v", codeWrong, errWrong, codeUnknown, errUnknown)
		}
		pageWrong, bodyWrong, _ := anon.get("/progress?number=" + c.Number + "&code=" + wrong)
		_, bodyUnknown, _ := anon.get("/progress?number=210100-2026-999999&code=" + wrong)
		bodyUnknown = strings.ReplaceAll(bodyUnknown, "210100-2026-999999", c.Number) // the form shows what was typed
		if pageWrong != http.StatusNotFound || csrfField.ReplaceAllString(bodyWrong, "") != csrfField.ReplaceAllString(bodyUnknown, "") {
			t.Errorf("the page of a wrong code and of an unknown number differ: %d", pageWrong)
		}

		// Four wrong lookups so far; the default limit is 10 per address.
		for range 6 {
			st.api("GET", "/api/v1/progress?number="+c.Number+"&code="+wrong, "", nil, nil)
		}
		var throttled apiErr
		if code := st.api("GET", "/api/v1/progress?number="+c.Number+"&code="+qc, "", nil, &throttled); code != http.StatusTooManyRequests ||
			throttled.Error.Code != "too_many_guesses" {
			t.Errorf("the right code after ten wrong ones: %d %+v", code, throttled)
		}
		if code, _, _ := anon.get("/progress?number=" + c.Number + "&code=" + qc); code != http.StatusTooManyRequests {
			t.Errorf("the page after ten wrong lookups: %d", code)
		}
		// The refusal says when to come back: after the throttle's window (15 minutes by default).
		resp, err := http.Get(st.base + "/api/v1/progress?number=" + c.Number + "&code=" + qc)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "900" {
			t.Errorf("a throttled lookup: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	})
}

// A burst of wrong lookups sent at once from one address gets no more wrong answers than the limit
// allows, and 429 for the rest: never a 5xx.
func TestProgressLookupBurst(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		const burst = 40
		codes := make(chan int, burst)
		var wg sync.WaitGroup
		for i := range burst {
			wg.Go(func() {
				resp, err := http.Get(fmt.Sprintf("%s/api/v1/progress?number=210100-2026-%06d&code=ABCDEF", st.base, i+1))
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				codes <- resp.StatusCode
			})
		}
		wg.Wait()
		close(codes)
		count := map[int]int{}
		for c := range codes {
			count[c]++
		}
		if count[http.StatusNotFound] > 10 || count[http.StatusNotFound]+count[http.StatusTooManyRequests] != burst {
			t.Errorf("answers to a burst of %d wrong lookups (limit 10): %v", burst, count)
		}
	})
}
