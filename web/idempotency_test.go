package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/civicflow/civicflow/stacktest"
)

// answer is a raw HTTP answer: status, headers and body.
type answer struct {
	status int
	header http.Header
	body   string
}

// sendKeyed sends a request with a bearer token, an Idempotency-Key (none when empty) and a body of the
// content type, and returns the whole answer.
func (st *site) sendKeyed(method, path, token, key, contentType string, body []byte) answer {
	st.t.Helper()
	req, _ := http.NewRequest(method, st.base+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+token)
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		st.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return answer{resp.StatusCode, resp.Header, b.String()}
}

// idOf is the id of the record an answer carries.
func idOf(t *testing.T, a answer) int64 {
	t.Helper()
	var r struct{ ID int64 }
	if err := json.Unmarshal([]byte(a.body), &r); err != nil || r.ID <= 0 {
		t.Fatalf("no record in %d %s", a.status, a.body)
	}
	return r.ID
}

// replays checks that retry repeats first: the same status and body, marked as replayed.
func replays(t *testing.T, what string, first, retry answer) {
	t.Helper()
	if retry.status != first.status || retry.body != first.body || retry.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("%s: retry answered %d (replayed %q) %s\nfirst answer %d %s", what, retry.status, retry.header.Get("Idempotent-Replayed"),
			retry.body, first.status, first.body)
	}
}

// refused checks that a is an API error with status and code.
func refused(t *testing.T, what string, a answer, status int, code string) {
	t.Helper()
	var e apiErr
	_ = json.Unmarshal([]byte(a.body), &e)
	if a.status != status || e.Error.Code != code {
		t.Fatalf("%s: %d %s, want %d %s", what, a.status, a.body, status, code)
	}
}

// A retried case start with the same Idempotency-Key gets the first answer and files nothing more,
// even when the first answer was lost before it was kept; the key with another body is refused;
// requests racing with one key file one case; without a key each request files.
func TestIdempotentCaseStart(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		uid := st.user("li.applicant", "org_applicant")
		token := st.token("li.applicant")
		// start is an application; each needs uploads of its own, linked to its case when it is filed.
		uploads := map[string]map[string]int64{}
		start := func(name string) []byte {
			if uploads[name] == nil {
				uploads[name] = st.uploadAll(token, sgItem, prepSlots...)
			}
			b, _ := json.Marshal(map[string]any{"item": sgItem, "jurisdiction": "210100", "data": preparationData(t, name, uploads[name])})
			return b
		}
		cases := func() int { return countRows(t, s, "cases", "applicant_id = ?", uid) }
		const js = "application/json"

		first := st.sendKeyed("POST", "/api/v1/cases", token, "start-1", js, start("沈阳市青年创业协会"))
		if first.status != http.StatusCreated || first.header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("first start: %d %s", first.status, first.body)
		}
		replays(t, "retried start", first, st.sendKeyed("POST", "/api/v1/cases", token, "start-1", js, start("沈阳市青年创业协会")))
		// The same content written otherwise is the same request.
		var same map[string]any
		_ = json.Unmarshal(start("沈阳市青年创业协会"), &same)
		spaced, _ := json.MarshalIndent(same, "", "    ")
		replays(t, "retried start, spaced otherwise", first, st.sendKeyed("POST", "/api/v1/cases", token, "start-1", js, spaced))
		if n := cases(); n != 1 {
			t.Fatalf("%d cases after three requests with one key", n)
		}
		refused(t, "the key with another body", st.sendKeyed("POST", "/api/v1/cases", token, "start-1", js, start("沈阳市另一个协会")),
			http.StatusUnprocessableEntity, "idempotency_key_reused")
		upload, ct := multipartBody(t, sgItem, prepSlots[0], "a.pdf", []byte("%PDF-1.4\n%%EOF\n"))
		refused(t, "the key on another operation", st.sendKeyed("POST", "/api/v1/materials", token, "start-1", ct, []byte(upload)),
			http.StatusUnprocessableEntity, "idempotency_key_reused")
		refused(t, "a key of 256 characters", st.sendKeyed("POST", "/api/v1/cases", token, strings.Repeat("k", 256), js, start("x")),
			http.StatusBadRequest, "invalid_idempotency_key")

		// The first answer lost with the process that was to keep it: the retry reads the case again.
		second := st.sendKeyed("POST", "/api/v1/cases", token, "start-2", js, start("沈阳市第二协会"))
		if _, err := s.DB.NewUpdate().TableExpr("idempotency_keys").Set("status = 0").Set("response = NULL").
			Where("key = ?", "start-2").Exec(context.Background()); err != nil {
			t.Fatal(err)
		}
		retry := st.sendKeyed("POST", "/api/v1/cases", token, "start-2", js, start("沈阳市第二协会"))
		if retry.status != http.StatusCreated || idOf(t, retry) != idOf(t, second) || retry.header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("retry after a lost answer: %d %s, first %s", retry.status, retry.body, second.body)
		}

		// Ten requests at once with one key: one case; each answer is it, or asks to retry.
		var wg sync.WaitGroup
		answers := make([]answer, 10)
		third := start("沈阳市第三协会")
		for i := range answers {
			wg.Go(func() { answers[i] = st.sendKeyed("POST", "/api/v1/cases", token, "start-3", js, third) })
		}
		wg.Wait()
		var winner int64
		for _, a := range answers {
			if a.status == http.StatusConflict {
				refused(t, "a racing request", a, http.StatusConflict, "idempotency_key_in_flight")
				continue
			}
			if id := idOf(t, a); a.status != http.StatusCreated || (winner != 0 && id != winner) {
				t.Fatalf("racing requests answered different cases: %d %s (first case %d)", a.status, a.body, winner)
			} else {
				winner = id
			}
		}
		if n := cases(); n != 3 {
			t.Fatalf("%d cases after three keys, want 3", n)
		}

		// Without a key each request files.
		for _, name := range []string{"沈阳市第四协会", "沈阳市第五协会"} {
			if a := st.sendKeyed("POST", "/api/v1/cases", token, "", js, start(name)); a.status != http.StatusCreated || a.header.Get("Idempotent-Replayed") != "" {
				t.Fatalf("start without a key: %d %s", a.status, a.body)
			}
		}
		if n := cases(); n != 5 {
			t.Fatalf("%d cases after two requests without a key, want 5", n)
		}
	})
}

// A retried booking or upload with the same Idempotency-Key gets the first answer and makes nothing
// more; the key with another body is refused.
func TestIdempotentBookingAndUpload(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.user("appt.admin", "admin@21*")
		uid := st.user("appt.groom", "citizen")
		admin, citizen := st.token("appt.admin"), st.token("appt.groom")
		var office struct{ ID int64 }
		if code := st.api("POST", "/api/v1/offices", admin, officeBody("和平区婚姻登记处"), &office); code != http.StatusCreated {
			t.Fatalf("office: %d", code)
		}
		day := st.bookableDays(office.ID, "marriage", 1)[0]
		booking := func(start string) []byte {
			b, _ := json.Marshal(map[string]any{"office_id": office.ID, "service": "marriage", "day": day, "start": start,
				"booker_name": "周伟", "booker_id_number": personID(t, "210102", "19900101", "001"), "partner_name": "李娜",
				"partner_id_number": personID(t, "210102", "19920202", "002"), "phone": "13800000000"})
			return b
		}
		// Five requests at once with one key: one booking, which every answer is (the others failed on
		// the key, or on the people it books, and answer as retries).
		st.user("appt.bride", "citizen")
		bride := st.token("appt.bride")
		racing, _ := json.Marshal(map[string]any{"office_id": office.ID, "service": "marriage", "day": day, "start": "09:30",
			"booker_name": "王芳", "booker_id_number": personID(t, "210102", "19940101", "004"), "partner_name": "赵强",
			"partner_id_number": personID(t, "210102", "19930303", "003"), "phone": "13900000000"})
		answers := make([]answer, 5)
		var wg sync.WaitGroup
		for i := range answers {
			wg.Go(func() {
				answers[i] = st.sendKeyed("POST", "/api/v1/bookings", bride, "book-race", "application/json", racing)
			})
		}
		wg.Wait()
		for _, a := range answers {
			if a.status != http.StatusCreated || idOf(t, a) != idOf(t, answers[0]) {
				t.Fatalf("racing bookings with one key: %d %s, first %d %s", a.status, a.body, answers[0].status, answers[0].body)
			}
		}
		if n := countRows(t, s, "bookings", "office_id = ?", office.ID); n != 1 {
			t.Fatalf("%d bookings from five requests with one key", n)
		}
		first := st.sendKeyed("POST", "/api/v1/bookings", citizen, "book-1", "application/json", booking("09:00"))
		if first.status != http.StatusCreated {
			t.Fatalf("booking: %d %s", first.status, first.body)
		}
		replays(t, "retried booking", first, st.sendKeyed("POST", "/api/v1/bookings", citizen, "book-1", "application/json", booking("09:00")))
		refused(t, "the key with another time", st.sendKeyed("POST", "/api/v1/bookings", citizen, "book-1", "application/json", booking("09:30")),
			http.StatusUnprocessableEntity, "idempotency_key_reused")
		if n := countRows(t, s, "bookings", "user_id = ?", uid); n != 1 {
			t.Fatalf("%d bookings of the groom after retries", n)
		}

		upload := func(content string) (string, []byte) {
			body, ct := multipartBody(t, "marriage-registration", "declaration", "声明书.pdf", []byte("%PDF-1.4\n% "+content+"\n%%EOF\n"))
			return ct, []byte(body)
		}
		ct, body := upload("first")
		first = st.sendKeyed("POST", "/api/v1/materials", citizen, "upload-1", ct, body)
		if first.status != http.StatusCreated {
			t.Fatalf("upload: %d %s", first.status, first.body)
		}
		// A retry builds its body anew (another multipart boundary): the same file is the same request.
		ct, body = upload("first")
		replays(t, "retried upload", first, st.sendKeyed("POST", "/api/v1/materials", citizen, "upload-1", ct, body))
		ct, body = upload("another file")
		refused(t, "the key with another file", st.sendKeyed("POST", "/api/v1/materials", citizen, "upload-1", ct, body),
			http.StatusUnprocessableEntity, "idempotency_key_reused")
		if n := countRows(t, s, "materials", "owner_id = ?", uid); n != 1 {
			t.Fatalf("%d materials after retries", n)
		}
	})
}

var onceToken = regexp.MustCompile(`name="_once" value="([^"]+)"`)

// A double click or a reload of the application form or the booking form files once: every post of
// the form's one-time token leads to what the first one filed.
func TestPageFormsFileOnce(t *testing.T) {
	dir := copyExampleCatalog(t)
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSiteWith(t, s, dir)
		uid := st.user("chen.citizen", "citizen@*")
		st.user("appt.admin", "admin@21*")
		b := st.browser()
		b.login("chen.citizen")

		apply := func() url.Values {
			_, body, csrf := b.get("/catalog/sg-name-preapproval/apply")
			m := onceToken.FindStringSubmatch(body)
			if m == nil {
				t.Fatalf("the application form has no one-time token: %s", body)
			}
			return url.Values{"_csrf": {csrf}, "_once": {m[1]}, "jurisdiction": {"210100"}, "proposed_name": {"沈阳市青年创业协会"},
				"level": {"city"}, "intent": {"submit"}}
		}
		files := map[string]string{"upload:application": "申请书.pdf"}
		filed := func(resp *http.Response) string {
			t.Helper()
			loc := resp.Header.Get("Location")
			if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/cases/") {
				t.Fatalf("submitting the application: %d %q", resp.StatusCode, loc)
			}
			return loc
		}
		// A reload: the same post again, after the first was answered.
		form := apply()
		resp, _ := b.postMultipart("/catalog/sg-name-preapproval/apply", form, files)
		first := filed(resp)
		resp, _ = b.postMultipart("/catalog/sg-name-preapproval/apply", form, files)
		if again := filed(resp); again != first {
			t.Fatalf("the reload led to %s, not to the case filed (%s)", again, first)
		}
		// A double click: two posts at once.
		form = apply()
		locs := make([]string, 2)
		var wg sync.WaitGroup
		for i := range locs {
			wg.Go(func() {
				resp, _ := b.postMultipart("/catalog/sg-name-preapproval/apply", form, files)
				locs[i] = resp.Header.Get("Location")
			})
		}
		wg.Wait()
		if locs[0] != locs[1] || !strings.HasPrefix(locs[0], "/cases/") {
			t.Fatalf("the double click led to %v", locs)
		}
		if n := countRows(t, s, "cases", "applicant_id = ?", uid); n != 2 {
			t.Fatalf("%d cases from two forms posted twice each, want 2", n)
		}
		// The second post of each pair wrote nothing: no draft saved again, no file left outside a case.
		if n := countRows(t, s, "drafts", "user_id = ?", uid); n != 0 {
			t.Fatalf("%d drafts left after the application was filed", n)
		}
		if n := countRows(t, s, "materials", "owner_id = ? AND case_id IS NULL", uid); n != 0 {
			t.Fatalf("%d uploads left outside a case", n)
		}

		// The booking form.
		var office struct{ ID int64 }
		if code := st.api("POST", "/api/v1/offices", st.token("appt.admin"), officeBody("和平区婚姻登记处"), &office); code != http.StatusCreated {
			t.Fatalf("office: %d", code)
		}
		day := st.bookableDays(office.ID, "marriage", 1)[0]
		_, body, csrf := b.get(fmt.Sprintf("/appointments/book?office=%d&service=marriage&day=%s&start=09:00", office.ID, day))
		m := onceToken.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("the booking form has no one-time token: %s", body)
		}
		book := url.Values{"_csrf": {csrf}, "_once": {m[1]}, "office_id": {strconv.FormatInt(office.ID, 10)}, "service": {"marriage"},
			"day": {day}, "start": {"09:00"}, "booker_name": {"周伟"}, "booker_id_number": {personID(t, "210102", "19900101", "001")},
			"partner_name": {"李娜"}, "partner_id_number": {personID(t, "210102", "19920202", "002")}, "phone": {"13800000000"}}
		var bookedAt []string
		for range 2 {
			resp, body := b.post("/appointments/book", book)
			if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/appointments/mine/") {
				t.Fatalf("booking on the page: %d %s", resp.StatusCode, body)
			}
			bookedAt = append(bookedAt, resp.Header.Get("Location"))
		}
		if bookedAt[0] != bookedAt[1] || countRows(t, s, "bookings", "user_id = ?", uid) != 1 {
			t.Fatalf("posting the booking form twice led to %v with %d bookings", bookedAt, countRows(t, s, "bookings", "user_id = ?", uid))
		}
	})
}

// The answers of idempotent requests are the documented ones.
func TestIdempotencyAnswersAsDocumented(t *testing.T) {
	doc := loadOpenAPI(t)
	st := startSite(t, stacktest.SQLite(t))
	k := newContract(t, st, doc)
	st.user("li.applicant", "org_applicant")
	token := st.token("li.applicant")
	key := func(k string) http.Header { return http.Header{"Idempotency-Key": {k}} }
	start := map[string]any{"item": sgItem, "jurisdiction": "210100",
		"data": preparationData(t, "沈阳市青年创业协会", st.uploadAll(token, sgItem, prepSlots...))}
	var replayed http.Header
	k.do(call{method: "POST", path: "/api/v1/cases", token: token, body: start, header: key("case-1"), valid: true}, 201)
	k.do(call{method: "POST", path: "/api/v1/cases", token: token, body: start, header: key("case-1"), valid: true, respHeader: &replayed}, 201)
	if replayed.Get("Idempotent-Replayed") != "true" {
		t.Errorf("a replayed start is not marked: %v", replayed)
	}
	k.fails(call{method: "POST", path: "/api/v1/cases", token: token, body: map[string]any{"item": sgItem, "jurisdiction": "210100", "data": map[string]any{}},
		header: key("case-1"), valid: true}, 422, "idempotency_key_reused")
	k.fails(call{method: "POST", path: "/api/v1/cases", token: token, body: start, header: key("two words")}, 400, "invalid_idempotency_key")

	body, ct := multipartBody(t, sgItem, prepSlots[0], "a.pdf", []byte("%PDF-1.4\n%%EOF\n"))
	k.do(call{method: "POST", path: "/api/v1/materials", token: token, body: body, contentType: ct, header: key("upload-1"), valid: true}, 201)
	k.do(call{method: "POST", path: "/api/v1/materials", token: token, body: body, contentType: ct, header: key("upload-1"), valid: true,
		respHeader: &replayed}, 201)
	if replayed.Get("Idempotent-Replayed") != "true" {
		t.Errorf("a replayed upload is not marked: %v", replayed)
	}
	other, ct := multipartBody(t, sgItem, prepSlots[0], "b.pdf", []byte("%PDF-1.4\n%%EOF\n"))
	k.fails(call{method: "POST", path: "/api/v1/materials", token: token, body: other, contentType: ct, header: key("upload-1"), valid: true},
		422, "idempotency_key_reused")
	k.fails(call{method: "POST", path: "/api/v1/materials", token: token, body: other, contentType: ct, header: key(strings.Repeat("k", 256))}, 400, "invalid_idempotency_key")
}
