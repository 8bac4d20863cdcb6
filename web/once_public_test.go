package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/stacktest"
)

// sendAnonymous sends a JSON body without credentials, with an Idempotency-Key (none when empty),
// and returns the whole answer.
func (st *site) sendAnonymous(method, path, key string, body any) answer {
	st.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, st.base+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		st.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out bytes.Buffer
	_, _ = out.ReadFrom(resp.Body)
	return answer{resp.StatusCode, resp.Header, out.String()}
}

// receiptOf is the number and the secret an inquiry's receipt page or answer shows.
func receiptOf(t *testing.T, what string, page string) (string, string) {
	t.Helper()
	n, sec := receiptNumber.FindStringSubmatch(page), receiptSecret.FindStringSubmatch(page)
	if n == nil || sec == nil {
		t.Fatalf("%s: no receipt with a number and a secret:\n%s", what, page)
	}
	return n[1], sec[1]
}

// An anonymous inquiry's form posted twice (a reload, a double click) files one inquiry, and both
// posts show the same receipt with the same secret, which reads the inquiry; an API retry with the
// same Idempotency-Key files once and answers the same number and secret, which is kept nowhere in
// the clear; without a key each request files.
func TestInquiryFiledOnce(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		anon := st.browser()
		form := func() url.Values {
			_, page, csrf := anon.get("/inquiries/new?kind=question")
			m := onceToken.FindStringSubmatch(page)
			if m == nil {
				t.Fatalf("the inquiry form has no one-time token:\n%s", page)
			}
			return url.Values{"_csrf": {csrf}, "_once": {m[1]}, "kind": {"question"}, "jurisdiction": {"210100"},
				"title": {"婚姻登记需要什么材料"}, "body": {"请问办理结婚登记需要带哪些证件？"}}
		}
		post := func(f url.Values) (string, string) {
			resp, page := anon.post("/inquiries/new", f)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("posting the inquiry form: %d\n%s", resp.StatusCode, page)
			}
			return receiptOf(t, "the receipt", page)
		}

		// A reload: the same post again, after the first was answered.
		f := form()
		number, secret := post(f)
		if n, sec := post(f); n != number || sec != secret {
			t.Fatalf("the reload showed %s %s, not the first receipt %s %s", n, sec, number, secret)
		}
		if n := countRows(t, s, "inquiries", "1 = 1"); n != 1 {
			t.Fatalf("%d inquiries from one form posted twice", n)
		}
		if code, page, _ := anon.get("/inquiries/track?number=" + number + "&secret=" + secret); code != http.StatusOK ||
			!strings.Contains(page, "婚姻登记需要什么材料") {
			t.Fatalf("tracking with the receipt's secret: %d\n%s", code, page)
		}

		// A double click: two posts at once.
		f = form()
		got := make([][2]string, 2)
		var wg sync.WaitGroup
		for i := range got {
			wg.Go(func() {
				resp, page := anon.post("/inquiries/new", f)
				if resp.StatusCode == http.StatusOK {
					n, sec := receiptNumber.FindStringSubmatch(page), receiptSecret.FindStringSubmatch(page)
					if n != nil && sec != nil {
						got[i] = [2]string{n[1], sec[1]}
					}
				}
			})
		}
		wg.Wait()
		if got[0] != got[1] || got[0][0] == "" || got[0][0] == number {
			t.Fatalf("the double click showed %v", got)
		}
		if n := countRows(t, s, "inquiries", "1 = 1"); n != 2 {
			t.Fatalf("%d inquiries from two forms posted twice each, want 2", n)
		}

		// The API: a retry with the same key answers the same receipt, marked as replayed.
		sub := map[string]any{"kind": "suggestion", "jurisdiction": "210100", "title": "延长周末办理时间", "body": "建议周六上午开放。"}
		type receipt struct {
			Inquiry struct {
				ID     int64
				Number string
			}
			Secret string
		}
		read := func(what string, a answer) receipt {
			t.Helper()
			var r receipt
			if a.status != http.StatusCreated || json.Unmarshal([]byte(a.body), &r) != nil || r.Inquiry.Number == "" || len(r.Secret) != 12 {
				t.Fatalf("%s: %d %s", what, a.status, a.body)
			}
			return r
		}
		first := read("the first submission", st.sendAnonymous("POST", "/api/v1/inquiries", "inq-key-1", sub))
		retry := st.sendAnonymous("POST", "/api/v1/inquiries", "inq-key-1", sub)
		if again := read("the retry", retry); again != first || retry.header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("the retry answered %+v (replayed %q), the first %+v", again, retry.header.Get("Idempotent-Replayed"), first)
		}
		if n := countRows(t, s, "inquiries", "1 = 1"); n != 3 {
			t.Fatalf("%d inquiries after an API retry, want 3", n)
		}
		if n := countRows(t, s, "idempotency_keys", "response LIKE ?", "%"+first.Secret+"%"); n != 0 {
			t.Fatalf("the secret is kept in the clear with the key")
		}
		other := map[string]any{"kind": "suggestion", "jurisdiction": "210100", "title": "另一条建议", "body": "内容不同。"}
		refused(t, "the key with other content", st.sendAnonymous("POST", "/api/v1/inquiries", "inq-key-1", other),
			http.StatusUnprocessableEntity, "idempotency_key_reused")
		// Racing retries file one.
		answers := make([]answer, 3)
		for i := range answers {
			wg.Go(func() { answers[i] = st.sendAnonymous("POST", "/api/v1/inquiries", "inq-key-2", other) })
		}
		wg.Wait()
		raced := read("a racing submission", answers[0])
		for i, a := range answers[1:] {
			if r := read(fmt.Sprintf("racing submission %d", i+2), a); r != raced {
				t.Fatalf("racing submissions answered %+v and %+v", raced, r)
			}
		}
		if n := countRows(t, s, "inquiries", "1 = 1"); n != 4 {
			t.Fatalf("%d inquiries after racing retries, want 4", n)
		}
		// Without a key, each request files, with a secret of its own.
		a, b := read("without a key", st.sendAnonymous("POST", "/api/v1/inquiries", "", sub)), read("without a key again", st.sendAnonymous("POST", "/api/v1/inquiries", "", sub))
		if a.Inquiry.Number == b.Inquiry.Number || a.Secret == b.Secret || countRows(t, s, "inquiries", "1 = 1") != 6 {
			t.Fatalf("two submissions without a key: %+v %+v", a, b)
		}
		// The statistics count each inquiry once.
		var stats struct{ Counts []struct{ Received int } }
		st.user("once.acceptor", "acceptor@2101*")
		if code := st.api("GET", "/api/v1/inquiries/statistics", st.token("once.acceptor"), nil, &stats); code != http.StatusOK {
			t.Fatalf("statistics: %d", code)
		}
		total := 0
		for _, c := range stats.Counts {
			total += c.Received
		}
		if total != 6 {
			t.Fatalf("the statistics count %d inquiries, want 6: %+v", total, stats)
		}
	})
}

// A consultation comment's form posted twice sends one comment; an API retry with the same
// Idempotency-Key sends one and answers the same.
func TestConsultationCommentSentOnce(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		writer := audit.Actor{UserID: st.user("once.writer", "reviewer@210100"), Label: "once.writer"}
		publisher := audit.Actor{UserID: st.user("once.publisher", "publisher@210100"), Label: "once.publisher"}
		id := publishedConsultation(t, st, writer, publisher)
		page := fmt.Sprintf("/consultations/%d", id)
		anon := st.browser()
		form := func(text string) url.Values {
			_, body, csrf := anon.get(page)
			m := onceToken.FindStringSubmatch(body)
			if m == nil {
				t.Fatalf("the comment form has no one-time token:\n%s", body)
			}
			return url.Values{"_csrf": {csrf}, "_once": {m[1]}, "body": {text}}
		}
		comments := func() int { return countRows(t, s, "consultation_comments", "consultation_id = ?", id) }
		sent := func(resp *http.Response, body string) {
			t.Helper()
			if resp.StatusCode != http.StatusSeeOther || !strings.HasSuffix(resp.Header.Get("Location"), "?done=comment") {
				t.Fatalf("sending the comment: %d %q\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
			}
		}
		f := form("建议第一条写明上位法依据。")
		sent(anon.post(page+"/comments", f))
		sent(anon.post(page+"/comments", f))
		if n := comments(); n != 1 {
			t.Fatalf("%d comments from one form posted twice", n)
		}
		f = form("建议第二条增加办理时限。")
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() { sent(anon.post(page+"/comments", f)) })
		}
		wg.Wait()
		if n := comments(); n != 2 {
			t.Fatalf("%d comments from two forms posted twice each, want 2", n)
		}

		path := fmt.Sprintf("/api/v1/consultations/%d/comments", id)
		body := map[string]string{"body": "建议第三条删去。"}
		first := st.sendAnonymous("POST", path, "comment-key-1", body)
		if first.status != http.StatusCreated || !strings.Contains(first.body, `"number":3`) {
			t.Fatalf("the first comment: %d %s", first.status, first.body)
		}
		replays(t, "the retried comment", first, st.sendAnonymous("POST", path, "comment-key-1", body))
		refused(t, "the key with another comment", st.sendAnonymous("POST", path, "comment-key-1", map[string]string{"body": "别的意见"}),
			http.StatusUnprocessableEntity, "idempotency_key_reused")
		answers := make([]answer, 3)
		for i := range answers {
			wg.Go(func() {
				answers[i] = st.sendAnonymous("POST", path, "comment-key-2", map[string]string{"body": "建议第四条细化。"})
			})
		}
		wg.Wait()
		for _, a := range answers {
			if a.status != http.StatusCreated || !strings.Contains(a.body, `"number":4`) {
				t.Fatalf("racing comments answered %+v", answers)
			}
		}
		if n := comments(); n != 4 {
			t.Fatalf("%d comments after API retries, want 4", n)
		}
		var v pcView
		st.api("GET", fmt.Sprintf("/api/v1/consultations/%d", id), st.token("once.publisher"), nil, &v)
		if v.CommentCount != 4 {
			t.Fatalf("the consultation counts %d comments, want 4", v.CommentCount)
		}
	})
}
