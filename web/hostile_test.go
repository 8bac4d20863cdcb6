package web_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/civicflow/civicflow/stacktest"
)

// raw sends request over a connection of its own, as bytes, and returns the answer: a client that
// does not go through Go's HTTP client can send what that client would refuse to.
func (st *site) raw(request string) (*http.Response, string) {
	st.t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(st.base, "http://"))
	if err != nil {
		st.t.Fatal(err)
	}
	defer conn.Close()
	// The server may answer before it has read everything; write on the side so the answer is read.
	go func() { _, _ = io.WriteString(conn, request) }()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		st.t.Fatalf("reading the answer to %.60q: %v", request, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
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
		name, request string
		status        int
		code, page    string // the API's error code, or a text of the error page
		path          string
	}{
		{"long API URI", "GET /api/v1/catalog?q=" + long + " HTTP/1.1\r\nHost: x\r\n\r\n", 414, "uri_too_long", "", "/api/v1/catalog"},
		{"large API headers", "GET /api/v1/catalog HTTP/1.1\r\nHost: x\r\nX-Filler: " + long + "\r\n\r\n", 431, "headers_too_large", "", "/api/v1/catalog"},
		{"long page URI", "GET /catalog?q=" + long + " HTTP/1.1\r\nHost: x\r\n\r\n", 414, "", "网址过长", "/catalog"},
		{"large cookies on the home page", "GET / HTTP/1.1\r\nHost: x\r\nCookie: big=" + long + "\r\n\r\n", 431, "", "Cookie 过多", "/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := st.raw(tc.request)
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
	resp, body := st.raw("GET /api/v1/catalog?q=" + filter + " HTTP/1.1\r\nHost: x\r\nCookie: a=" + cookie + "; b=" + cookie + "\r\nConnection: close\r\n\r\n")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("an 8 KB filter with 8 KB of cookies: %d %.300s", resp.StatusCode, body)
	}
}
