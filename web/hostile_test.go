package web_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civicflow/civicflow/stacktest"
)

// send writes req over a connection of its own and returns the answer, read while the request is
// still being written: the server may answer and close before reading all of a body it refuses. It
// writes whatever req holds, however large its URL or headers, which a Go client would not send.
func (st *site) send(req *http.Request) (*http.Response, string) {
	st.t.Helper()
	conn, err := net.Dial("tcp", req.URL.Host)
	if err != nil {
		st.t.Fatal(err)
	}
	defer conn.Close()
	go func() { _ = req.Write(conn) }()
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		st.t.Fatalf("reading the answer to %s %.60s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// request is a request to the site with the given headers, for send.
func (st *site) request(method, path, contentType string, body []byte, header ...string) *http.Request {
	req, err := http.NewRequest(method, st.base+path, bytes.NewReader(body))
	if err != nil {
		st.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	return req
}

// logBuffer collects what the default logger writes while a test runs.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// captureLog sends the default logger to a buffer until the test ends.
func captureLog(t *testing.T) *logBuffer {
	logs := &logBuffer{}
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(logs, nil)))
	t.Cleanup(func() { slog.SetDefault(old) })
	return logs
}

// A request line or headers too large for the read buffer get 414 or 431 in the usual shape (JSON on
// the API, the error page for browsers), a request id, and a warning in the log with the path;
// a long but reasonable URL with cookies still works.
func TestOversizedRequestLineAndHeaders(t *testing.T) {
	st := startSite(t, stacktest.SQLite(t))
	logs := captureLog(t)
	long := strings.Repeat("a", 100<<10)
	for _, tc := range []struct {
		name    string
		request *http.Request
		status  int
		code    string // the API's error code, or else
		page    string // a text of the error page
		path    string
	}{
		{"long API URI", st.request("GET", "/api/v1/catalog?q="+long, "", nil), 414, "uri_too_long", "", "/api/v1/catalog"},
		{"large API headers", st.request("GET", "/api/v1/catalog", "", nil, "X-Filler", long), 431, "headers_too_large", "", "/api/v1/catalog"},
		{"long page URI", st.request("GET", "/catalog?q="+long, "", nil), 414, "", "网址过长", "/catalog"},
		{"large cookies on the home page", st.request("GET", "/", "", nil, "Cookie", "big="+long), 431, "", "Cookie 过多", "/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := st.send(tc.request)
			id := resp.Header.Get("X-Request-Id")
			if resp.StatusCode != tc.status || id == "" {
				t.Fatalf("status %d, request id %q; want %d with an id: %.300s", resp.StatusCode, id, tc.status, body)
			}
			if tc.code != "" {
				var e apiErr
				if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error.Code != tc.code || e.Error.Message == "" {
					t.Fatalf("answer %.300s, want the problem %s", body, tc.code)
				}
			} else if !strings.Contains(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, tc.page) {
				t.Fatalf("error page (%s) without %q: %.300s", resp.Header.Get("Content-Type"), tc.page, body)
			}
			var line string
			for l := range strings.SplitSeq(logs.String(), "\n") {
				if strings.Contains(l, "request_id="+id) {
					line = l
				}
			}
			if !strings.Contains(line, "level=WARN") || !strings.Contains(line, "path="+tc.path+" ") {
				t.Fatalf("log line %q, want a warning with path %s", line, tc.path)
			}
		})
	}
	if strings.Contains(logs.String(), "internal error") {
		t.Errorf("logged as internal errors:\n%s", logs.String())
	}
	filter, cookie := strings.Repeat("x", 8<<10), strings.Repeat("c", 4000)
	resp, body := st.send(st.request("GET", "/api/v1/catalog?q="+filter, "", nil, "Cookie", "a="+cookie+"; b="+cookie))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("an 8 KB filter with 8 KB of cookies: %d %.300s", resp.StatusCode, body)
	}
}

// Bodies built to cost the server far more than their size are refused before they are parsed, each
// with a clear answer; invalid text is refused in every kind of body.
func TestHostileBodiesAreRefusedCheaply(t *testing.T) {
	st := startSite(t, stacktest.SQLite(t))
	st.user("hostile.citizen", "citizen")
	token := st.token("hostile.citizen")
	const jsonType, form = "application/json", "application/x-www-form-urlencoded"
	members := func(n int) []byte {
		return []byte(`{"item":"` + sgItem + `","jurisdiction":"210100","data":{"individual_members":[` + strings.Repeat("{},", n-1) + `{}]}}`)
	}
	multipartBody := func(fields ...string) ([]byte, string) {
		var b bytes.Buffer
		w := multipart.NewWriter(&b)
		for i := 0; i+1 < len(fields); i += 2 {
			_ = w.WriteField(fields[i], fields[i+1])
		}
		_ = w.Close()
		return b.Bytes(), w.FormDataContentType()
	}
	var bomb bytes.Buffer
	zw := gzip.NewWriter(&bomb)
	_, _ = zw.Write(make([]byte, 64<<20))
	_ = zw.Close()
	// The form posts carry the login page's CSRF token and cookie, so that only the checks of the body
	// stand between them and a login attempt.
	visitor := st.browser()
	_, _, csrf := visitor.get("/login")
	loginURL, _ := url.Parse(st.base + "/login")
	cookie := []string{"Cookie", visitor.c.Jar.Cookies(loginURL)[0].String()}
	// The multipart posts go to the application page of a logged-in citizen: nobody else may send one.
	citizen := st.browser()
	citizen.login("hostile.citizen")
	apply := "/catalog/" + sgItem + "/apply"
	_, _, applyCSRF := citizen.get(apply)
	applyURL, _ := url.Parse(st.base + apply)
	var session []string
	for _, ck := range citizen.c.Jar.Cookies(applyURL) {
		session = append(session, ck.String())
	}
	sessionCookie := []string{"Cookie", strings.Join(session, "; ")}
	megabyte := strings.Repeat("m", 1<<20)
	badParts, badType := multipartBody("_csrf", applyCSRF, "jurisdiction", "21\xff0100")
	nulParts, nulType := multipartBody("_csrf", applyCSRF, "jurisdiction", "21\x000100")
	bigParts, bigType := multipartBody("_csrf", applyCSRF, "remarks", megabyte+"x")
	manyParts, manyType := multipartBody("_csrf", applyCSRF, "a", megabyte, "b", megabyte, "c", megabyte, "d", megabyte, "e", "x")
	anonParts, anonType := multipartBody("_csrf", csrf, "login", "li.ming", "password", "whatever-long")
	var named bytes.Buffer
	nw := multipart.NewWriter(&named)
	_ = nw.WriteField("_csrf", applyCSRF)
	fw, _ := nw.CreateFormFile("business_license", "licence-\xff.pdf")
	_, _ = fw.Write([]byte("%PDF-1.4"))
	_ = nw.Close()
	var encoded bytes.Buffer
	ew := multipart.NewWriter(&encoded)
	_ = ew.WriteField("_csrf", applyCSRF)
	qp, _ := ew.CreatePart(textproto.MIMEHeader{"Content-Disposition": {`form-data; name="jurisdiction"`},
		"Content-Transfer-Encoding": {"quoted-printable"}})
	_, _ = qp.Write([]byte("21=00=FF0100")) // NUL and invalid UTF-8 once decoded
	_ = ew.Close()
	auth := []string{"Authorization", "Bearer " + token}
	for _, tc := range []struct {
		name   string
		req    *http.Request
		status int
		code   string
	}{
		{"a million empty members", st.request("POST", "/api/v1/cases", jsonType, members(1_000_000), auth...), 400, "json_too_many_values"},
		{"deep nesting", st.request("POST", "/api/v1/cases", jsonType, []byte(`{"item":"x","data":{"a":`+strings.Repeat("[", 40)+strings.Repeat("]", 40)+`}}`), auth...), 400, "json_too_deep"},
		{"data after the JSON value", st.request("POST", "/api/v1/tokens", jsonType, []byte(`{"login":"hostile.citizen","password":"hostile.citizen-password","name":"t"} {"name":"again"}`)), 400, "bad_json"},
		{"JSON of 5 MB", st.request("POST", "/api/v1/cases", jsonType, []byte(`{"item":"`+strings.Repeat("x", 5<<20)+`"}`), auth...), 413, "too_large"},
		{"a gzip bomb", st.request("POST", "/api/v1/cases", jsonType, bomb.Bytes(), append(auth, "Content-Encoding", "gzip")...), 415, "compressed_body"},
		{"a form of 1001 fields", st.request("POST", "/login", form, []byte("_csrf="+csrf+"&login=x&password=y"+strings.Repeat("&a=", 998)), cookie...), 400, "too_many_fields"},
		{"a malformed form hiding invalid UTF-8", st.request("POST", "/login", form, []byte("_csrf="+csrf+"&next=%zz&login=%ff&password=whatever-long"), cookie...), 400, "bad_form"},
		{"invalid UTF-8 in a multipart form", st.request("POST", apply, badType, badParts, sessionCookie...), 400, "unreadable_text"},
		{"NUL in a multipart form", st.request("POST", apply, nulType, nulParts, sessionCookie...), 400, "unreadable_text"},
		{"a quoted-printable multipart value", st.request("POST", apply, ew.FormDataContentType(), encoded.Bytes(), sessionCookie...), 400, "bad_form"},
		{"a multipart value over 1 MiB", st.request("POST", apply, bigType, bigParts, sessionCookie...), 413, "value_too_large"},
		{"multipart values over 4 MiB", st.request("POST", apply, manyType, manyParts, sessionCookie...), 413, "too_large"},
		{"a file name that is not UTF-8", st.request("POST", apply, nw.FormDataContentType(), named.Bytes(), sessionCookie...), 422, "invalid_input"},
		{"a multipart form from a visitor", st.request("POST", "/login", anonType, anonParts, cookie...), 401, "login_required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.Header.Set("Accept", "application/json")
			resp, body := st.send(tc.req)
			var e apiErr
			if err := json.Unmarshal([]byte(body), &e); err != nil || resp.StatusCode != tc.status || e.Error.Code != tc.code {
				t.Fatalf("%d %.300s, want %d %s", resp.StatusCode, body, tc.status, tc.code)
			}
			if strings.Contains(body, "mmmm") || tc.status == 422 && !hasFieldError(e, "business_license", "invalid_filename") {
				t.Fatalf("the answer echoes the value or names no field: %.300s", body)
			}
		})
	}

	// A list over max_items is refused as such, without an error for each of its items.
	resp, body := st.send(st.request("POST", "/api/v1/cases", jsonType, members(6000), auth...))
	var e apiErr
	_ = json.Unmarshal([]byte(body), &e)
	if resp.StatusCode != http.StatusUnprocessableEntity || !hasFieldError(e, "individual_members", "too_many") || len(e.Error.Fields) > 20 {
		t.Fatalf("6000 members: %d with %d field errors: %.300s", resp.StatusCode, len(e.Error.Fields), body)
	}

	// On the page, an index far beyond max_items is only a name: rows are numbered by their order.
	b := st.browser()
	b.login("hostile.citizen")
	_, _, csrf = b.get("/catalog/" + sgItem + "/apply")
	posted, page := b.post("/catalog/"+sgItem+"/apply", url.Values{"_csrf": {csrf}, "jurisdiction": {"210100"},
		"individual_members[999999999999].name": {"张三"}})
	var draft struct{ Data map[string]any }
	st.api("GET", "/api/v1/drafts/"+sgItem, token, nil, &draft)
	if rows := asAnySlice(draft.Data["individual_members"]); posted.StatusCode != http.StatusOK || len(rows) != 1 {
		t.Fatalf("a far index: %d, draft rows %v: %.300s", posted.StatusCode, rows, page)
	}

	// The errors listed on the page stop at 100, then their count.
	submitted := url.Values{"_csrf": {csrf}, "jurisdiction": {"210100"}, "intent": {"submit"}}
	for i := range 150 {
		submitted.Set("individual_members["+strconv.Itoa(i)+"].phone", "13800000000")
	}
	_, page = b.post("/catalog/"+sgItem+"/apply", submitted)
	_, summary, _ := strings.Cut(page, `id="error-summary-title"`)
	summary, _, _ = strings.Cut(summary, "</ul>")
	if n := strings.Count(summary, "<li>"); n > 101 || !strings.Contains(summary, "处错误未列出") {
		t.Errorf("the page lists %d errors, or does not count those not listed:\n%.1000s", n, summary)
	}
}

// sendRaw writes raw bytes as a request over a connection of its own and returns the answer.
func (st *site) sendRaw(raw string) (*http.Response, string) {
	st.t.Helper()
	u, _ := url.Parse(st.base)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		st.t.Fatal(err)
	}
	defer conn.Close()
	go func() { _, _ = io.WriteString(conn, raw) }()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		st.t.Fatalf("reading the answer to %.60q: %v", raw, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// logLine is the line of the log that names the request id.
func logLine(logs *logBuffer, id string) string {
	if id == "" {
		return ""
	}
	for l := range strings.SplitSeq(logs.String(), "\n") {
		if strings.Contains(l, "request_id="+id) {
			return l
		}
	}
	return ""
}

// Oversized headers carrying a session cookie and a bearer token are answered 431 without either
// reaching the log, which names only the kind and sizes of the request.
func TestOversizedHeadersKeepSecretsOutOfTheLog(t *testing.T) {
	st := startSite(t, stacktest.SQLite(t))
	logs := captureLog(t)
	const token, session = "SECRET-BEARER-TOKEN-4711", "SECRET-SESSION-0815"
	resp, body := st.sendRaw("GET /api/v1/catalog HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token +
		"\r\nX-Filler: " + strings.Repeat("f", 20<<10) + "\r\nCookie: cf_session=" + session + "\r\nX-End: " + token + "\r\n\r\n")
	var e apiErr
	if err := json.Unmarshal([]byte(body), &e); resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge || err != nil || e.Error.Code != "headers_too_large" {
		t.Fatalf("%d %.300s, want 431 headers_too_large", resp.StatusCode, body)
	}
	line := logLine(logs, resp.Header.Get("X-Request-Id"))
	if !strings.Contains(line, "kind=headers_too_large") || !strings.Contains(line, "path=/api/v1/catalog ") {
		t.Errorf("log line %q, want the kind and the path", line)
	}
	if l := logs.String(); strings.Contains(l, token) || strings.Contains(l, session) || strings.Contains(l, "fffff") {
		t.Errorf("the log quotes the headers:\n%s", l)
	}
}

// Requests that cannot be read answer the API's JSON problem on API paths and are logged with their
// real method and path, or "unknown" when even the request line cannot be read.
func TestUnreadableAPIRequestsAnswerJSON(t *testing.T) {
	st := startSite(t, stacktest.SQLite(t))
	st.user("broken.multipart", "citizen")
	token := st.token("broken.multipart")
	logs := captureLog(t)
	multipartBody := "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue\r\n--b\r\nbroken"
	for _, tc := range []struct {
		name, raw, method, path string
		status                  int
	}{
		{"bad Content-Length", "POST /api/v1/cases HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n{}", "POST", "/api/v1/cases", 400},
		{"broken multipart", "POST /api/v1/cases HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token + "\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: " +
			strconv.Itoa(len(multipartBody)) + "\r\n\r\n" + multipartBody, "POST", "/api/v1/cases", 400},
		{"oversized headers", "PUT /api/v1/drafts/x HTTP/1.1\r\nHost: x\r\nX-Filler: " + strings.Repeat("f", 20<<10) + "\r\n\r\n", "PUT", "/api/v1/drafts/x", 431},
		{"no path in the request line", "POST api HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", "unknown", "unknown", 400},
		{"a broken chunk", "POST /api/v1/tokens HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "unknown", "unknown", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := st.sendRaw(tc.raw)
			var e apiErr
			if err := json.Unmarshal([]byte(body), &e); resp.StatusCode != tc.status || (tc.path != "unknown" && (err != nil || e.Error.Code == "")) {
				t.Fatalf("%d %s %.300s, want %d with the JSON problem", resp.StatusCode, resp.Header.Get("Content-Type"), body, tc.status)
			}
			if line := logLine(logs, resp.Header.Get("X-Request-Id")); !strings.Contains(line, "method="+tc.method+" path="+tc.path+" ") {
				t.Errorf("log line %q, want method %s path %s", line, tc.method, tc.path)
			}
		})
	}
}

// Small points of the API: the auth scheme in any case, a body that is no object, a token name too
// long, and a lone UTF-16 surrogate, which Go's decoder would silently replace.
func TestAPIRequestDetails(t *testing.T) {
	st := startSite(t, stacktest.SQLite(t))
	st.user("api.details", "citizen")
	token := st.token("api.details")
	resp, body := st.send(st.request("GET", "/api/v1/me", "", nil, "Authorization", "bearer "+token))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("a lowercase bearer scheme: %d %.300s", resp.StatusCode, body)
	}
	auth := []string{"Authorization", "Bearer " + token}
	for _, tc := range []struct {
		name, path, body string
		status           int
		code, field      string
	}{
		{"a null body", "/api/v1/cases", `null`, 400, "json_object_required", ""},
		{"a list body", "/api/v1/cases", ` []`, 400, "json_object_required", ""},
		{"a token name too long", "/api/v1/tokens", `{"login":"api.details","password":"api.details-password","name":"` + strings.Repeat("n", 101) + `"}`, 422, "invalid_input", "name"},
		{"a lone high surrogate", "/api/v1/cases", `{"item":"` + sgItem + `","data":{"name":"a\ud800b"}}`, 422, "invalid_text", ""},
		{"a lone low surrogate", "/api/v1/cases", `{"item":"` + sgItem + `","data":{"name":"\udc00"}}`, 422, "invalid_text", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := st.send(st.request("POST", tc.path, "application/json", []byte(tc.body), auth...))
			var e apiErr
			if err := json.Unmarshal([]byte(body), &e); err != nil || resp.StatusCode != tc.status || e.Error.Code != tc.code ||
				tc.field != "" && !hasFieldError(e, tc.field, "too_long") {
				t.Fatalf("%d %.300s, want %d %s", resp.StatusCode, body, tc.status, tc.code)
			}
		})
	}
	// A surrogate pair, and an escaped backslash before "ud800", are fine.
	resp, body = st.send(st.request("POST", "/api/v1/cases", "application/json",
		[]byte(`{"item":"no-such-item","data":{"name":"\ud83d\ude00 \\ud800"}}`), auth...))
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("a surrogate pair: %d %.300s, want the 404 of the unknown item", resp.StatusCode, body)
	}
}

// A request framed ambiguously (two Content-Length headers) or with NUL in its headers is refused and
// its connection closed: what a proxy in front might take for a second request is never answered.
func TestAmbiguousFramingIsRefused(t *testing.T) {
	st := startSite(t, stacktest.SQLite(t))
	smuggled := "GET /api/v1/SMUGGLED HTTP/1.1\r\nHost: x\r\n\r\n"
	for name, raw := range map[string]string{
		"long then short": "POST /api/v1/tokens HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
			strconv.Itoa(2+len(smuggled)) + "\r\nContent-Length: 2\r\n\r\n{}" + smuggled,
		"short then long": "POST /api/v1/tokens HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: " +
			strconv.Itoa(2+len(smuggled)) + "\r\n\r\n{}" + smuggled,
		"NUL in a header": "GET /api/v1/catalog HTTP/1.1\r\nHost: x\r\nX-Bad: a\x00b\r\n\r\n" + smuggled,
	} {
		t.Run(name, func(t *testing.T) {
			u, _ := url.Parse(st.base)
			conn, err := net.Dial("tcp", u.Host)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
			if _, err := io.WriteString(conn, raw); err != nil {
				t.Fatal(err)
			}
			r := bufio.NewReader(conn)
			resp, err := http.ReadResponse(r, nil)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			var e apiErr
			if resp.StatusCode != http.StatusBadRequest || json.Unmarshal(body, &e) != nil || e.Error.Code != "bad_headers" {
				t.Fatalf("%d %.300s, want 400 bad_headers", resp.StatusCode, body)
			}
			if second, err := http.ReadResponse(r, nil); err == nil {
				t.Fatalf("a second request on the connection was answered: %d", second.StatusCode)
			}
		})
	}
}

// A body that cannot be an upload (no good credentials, or a route that takes no files) is refused with
// 413 once it passes the text limit, before the rest is read: strangers cannot make the server hold
// 32 MiB bodies. An upload route with credentials still takes a large body to its checks.
func TestLargeBodiesOnlyForUploads(t *testing.T) {
	st := startSite(t, stacktest.SQLite(t))
	st.user("large.citizen", "citizen")
	token := st.token("large.citizen")
	big := bytes.Repeat([]byte("x"), 6<<20)
	const multipartType = "multipart/form-data; boundary=b"
	for _, tc := range []struct {
		name   string
		req    *http.Request
		status int
	}{
		{"anonymous, to the upload API", st.request("POST", "/api/v1/materials", multipartType, big), 413},
		{"anonymous, to a page", st.request("POST", "/login", multipartType, big), 413},
		{"with a token, to a route without files", st.request("POST", "/api/v1/tokens", multipartType, big, "Authorization", "Bearer "+token), 413},
		{"with a token, to the upload API", st.request("POST", "/api/v1/materials", multipartType, big, "Authorization", "Bearer "+token), 400},
		// A made-up credential lifts nothing: it is checked before the large body is read.
		{"with a made-up token, to the upload API", st.request("POST", "/api/v1/materials", multipartType, big, "Authorization", "Bearer cft_made-up-token"), 413},
		{"with a made-up session, to an application", st.request("POST", "/catalog/"+sgItem+"/apply", multipartType, big, "Cookie", "cf_session=made-up"), 413},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.Header.Set("Accept", "application/json")
			resp, body := st.send(tc.req)
			var e apiErr
			if resp.StatusCode != tc.status || json.Unmarshal([]byte(body), &e) != nil {
				t.Fatalf("%d %.300s, want %d with the JSON problem", resp.StatusCode, body, tc.status)
			}
		})
	}
}
