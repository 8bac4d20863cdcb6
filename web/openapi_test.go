package web_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/gofiber/fiber/v2"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/config"
	"github.com/civicflow/civicflow/notify"
	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/stacktest"
	"github.com/civicflow/civicflow/tasks"
	"github.com/civicflow/civicflow/web"
)

// loadOpenAPI parses and validates the API document the server embeds and serves.
func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(web.OpenAPIDocument)
	if err != nil {
		t.Fatalf("loading openapi.json: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("openapi.json is not a valid OpenAPI document: %v", err)
	}
	return doc
}

// contract sends real requests to a running site and checks each answer, status included, against
// the OpenAPI document.
type contract struct {
	t      *testing.T
	st     *site
	router routers.Router
	// seen records the statuses answered per documented operation ("GET /api/v1/me").
	seen map[string]map[int]bool
}

func newContract(t *testing.T, st *site, doc *openapi3.T) *contract {
	t.Helper()
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &contract{t: t, st: st, router: router, seen: map[string]map[int]bool{}}
}

// requireCredentials is the AuthenticationFunc of request validation: it accepts any request that
// carries the credential the security scheme names, and leaves judging it to the server.
func requireCredentials(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	req := in.RequestValidationInput.Request
	switch in.SecuritySchemeName {
	case "bearerAuth":
		if strings.HasPrefix(req.Header.Get("Authorization"), "Bearer "+accounts.TokenPrefix) {
			return nil
		}
	case "cookieAuth":
		if _, err := req.Cookie(in.SecurityScheme.Name); err == nil {
			return nil
		}
	}
	return fmt.Errorf("no %s credentials", in.SecuritySchemeName)
}

// noRedirects is the client of API calls: the API answers, it never redirects.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

var validationOptions = &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true, AuthenticationFunc: requireCredentials}

// call is one request of the contract test.
type call struct {
	method, path string
	token        string       // bearer token; "" for none
	auth         string       // raw Authorization header, instead of token
	body         any          // a string is sent as it is, anything else as JSON
	contentType  string       // application/json when there is a body and this is empty
	header       http.Header  // more request headers
	client       *http.Client // a browser's client with its cookies; noRedirects when nil
	valid        bool         // the request follows the document: validate it too
	out          any          // decode a successful answer into this
	errOut       *envelope    // decode an error answer into this
	announce     int64        // send only the headers, announcing a body of this many bytes
}

// announceBody sends the request line and headers of req announcing a body of length bytes, sends
// no body, and reads the answer: how a client meets the body limit without writing megabytes.
func announceBody(req *http.Request, length int64) (*http.Response, error) {
	conn, err := net.DialTimeout("tcp", req.URL.Host, 5*time.Second)
	if err != nil {
		return nil, err
	}
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	var head bytes.Buffer
	fmt.Fprintf(&head, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\nConnection: close\r\n", req.Method, req.URL.RequestURI(), req.URL.Host, length)
	_ = req.Header.Write(&head)
	head.WriteString("\r\n")
	if _, err := conn.Write(head.Bytes()); err != nil {
		conn.Close()
		return nil, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		conn.Close()
		return nil, err
	}
	resp.Body = struct {
		io.Reader
		io.Closer
	}{resp.Body, conn}
	return resp, nil
}

// envelope is the error envelope as the test reads it.
type envelope struct {
	Error struct {
		Code    string
		Message string
		Fields  []struct{ Path, Code, Message string }
	}
}

// do sends c, checks the status is want, validates the answer against the document and returns its body.
func (k *contract) do(c call, want int) []byte {
	k.t.Helper()
	var payload []byte
	switch b := c.body.(type) {
	case nil:
	case string:
		payload = []byte(b)
	default:
		var err error
		if payload, err = json.Marshal(b); err != nil {
			k.t.Fatal(err)
		}
	}
	newRequest := func() *http.Request {
		var r io.Reader
		if payload != nil {
			r = bytes.NewReader(payload)
		}
		req, err := http.NewRequest(c.method, k.st.base+c.path, r)
		if err != nil {
			k.t.Fatal(err)
		}
		if payload != nil {
			ct := c.contentType
			if ct == "" {
				ct = "application/json"
			}
			req.Header.Set("Content-Type", ct)
		}
		switch {
		case c.auth != "":
			req.Header.Set("Authorization", c.auth)
		case c.token != "":
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		for name, vs := range c.header {
			for _, v := range vs {
				req.Header.Add(name, v)
			}
		}
		return req
	}
	client := c.client
	if client == nil {
		client = noRedirects
	}
	what := c.method + " " + c.path

	req := newRequest()
	route, params, err := k.router.FindRoute(req)
	if err != nil {
		k.t.Fatalf("%s: not in openapi.json: %v", what, err)
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: validationOptions}
	if c.valid {
		// Validate a copy carrying the cookies the client would send, so that the real request keeps its body.
		vreq := newRequest()
		if client.Jar != nil {
			for _, ck := range client.Jar.Cookies(vreq.URL) {
				vreq.AddCookie(ck)
			}
		}
		vin := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route, Options: validationOptions}
		if err := openapi3filter.ValidateRequest(context.Background(), vin); err != nil {
			k.t.Errorf("%s: the test's request does not follow openapi.json: %v", what, err)
		}
	}

	var resp *http.Response
	if c.announce > 0 {
		resp, err = announceBody(req, c.announce)
	} else {
		resp, err = client.Do(req)
	}
	if err != nil {
		k.t.Fatalf("%s: %v", what, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		k.t.Fatal(err)
	}
	if resp.StatusCode != want {
		k.t.Fatalf("%s: status %d, want %d: %s", what, resp.StatusCode, want, body)
	}
	op := route.Method + " " + route.Path
	if k.seen[op] == nil {
		k.seen[op] = map[int]bool{}
	}
	k.seen[op][resp.StatusCode] = true

	err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
		Body: io.NopCloser(bytes.NewReader(body)), Options: validationOptions,
	})
	if err != nil {
		k.t.Errorf("%s → %d does not match openapi.json: %v\nbody: %s", what, resp.StatusCode, err, body)
	}
	if resp.Header.Get("X-Request-Id") == "" && resp.StatusCode != http.StatusRequestEntityTooLarge {
		k.t.Errorf("%s: no X-Request-Id header", what)
	}
	if resp.StatusCode < 300 && c.out != nil {
		if err := json.Unmarshal(body, c.out); err != nil {
			k.t.Fatalf("%s: decoding %s: %v", what, body, err)
		}
	}
	if resp.StatusCode >= 400 && c.errOut != nil {
		if err := json.Unmarshal(body, c.errOut); err != nil {
			k.t.Fatalf("%s: decoding error %s: %v", what, body, err)
		}
	}
	return body
}

// fails sends c, expects an error status with the error code, and returns the error.
func (k *contract) fails(c call, want int, code string) envelope {
	k.t.Helper()
	var e envelope
	c.errOut = &e
	k.do(c, want)
	if e.Error.Code != code {
		k.t.Errorf("%s %s: error code %q, want %q", c.method, c.path, e.Error.Code, code)
	}
	if e.Error.Message == "" {
		k.t.Errorf("%s %s: error without a message", c.method, c.path)
	}
	return e
}

// hasField reports whether the error names the field with the code.
func (e envelope) hasField(path, code string) bool {
	for _, f := range e.Error.Fields {
		if f.Path == path && f.Code == code && f.Message != "" {
			return true
		}
	}
	return false
}

// failingEmail is an e-mail channel that is always down.
type failingEmail struct{}

func (failingEmail) Send(context.Context, string, string, string) error {
	return errors.New("smtp: 554 mailbox unavailable")
}

// deliverAll runs the notification worker once over every pending outbox row, with e-mail failing
// for good at the first attempt.
func deliverAll(t *testing.T, s *stacktest.Stack) {
	t.Helper()
	ctx := context.Background()
	var pending []notify.Outbox
	if err := s.DB.NewSelect().Model(&pending).Where("status = ?", notify.StatusPending).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	d := notify.NewDeliverer(s.DB, notify.Senders{Email: failingEmail{}}, 1, nil)
	for _, o := range pending {
		_ = d.ProcessTask(ctx, tasks.NewDeliver(o.ID)) // an error is the failed e-mail, checked through the API
	}
}

func TestAPIAnswersAsDocumented(t *testing.T) {
	doc := loadOpenAPI(t)
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		k := newContract(t, st, doc)
		st.user("prov.admin", "admin@21*")
		st.user("dalian.admin", "admin@2102*")
		st.user("zhou.citizen", "citizen")
		st.user("sun.throttled", "citizen")

		// Operations and the document itself.
		k.do(call{method: "GET", path: "/healthz", valid: true}, 200)
		k.do(call{method: "GET", path: "/readyz", valid: true}, 200)
		served := k.do(call{method: "GET", path: "/api/v1/openapi.json", valid: true}, 200)
		if !bytes.Equal(served, web.OpenAPIDocument) {
			t.Error("GET /api/v1/openapi.json does not serve the embedded document")
		}
		onDisk, err := os.ReadFile("openapi.json")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(served, onDisk) {
			t.Error("GET /api/v1/openapi.json differs from web/openapi.json")
		}

		// Tokens.
		var created struct {
			Token string
			ID    int64
			Name  string
		}
		k.do(call{method: "POST", path: "/api/v1/tokens", valid: true, out: &created,
			body: map[string]string{"login": "prov.admin", "password": "prov.admin-password", "name": "contract test"}}, 201)
		if !strings.HasPrefix(created.Token, "cft_") || created.ID <= 0 || created.Name != "contract test" {
			t.Fatalf("created token: %+v", created)
		}
		admin := created.Token
		k.fails(call{method: "POST", path: "/api/v1/tokens",
			body: map[string]string{"login": "prov.admin", "password": "wrong-password", "name": "x"}}, 401, "bad_credentials")
		e := k.fails(call{method: "POST", path: "/api/v1/tokens",
			body: map[string]string{"login": "prov.admin", "password": "prov.admin-password", "name": "  "}}, 422, "invalid_input")
		if !e.hasField("name", "required") {
			t.Errorf("token without a name: %+v", e)
		}
		e = k.fails(call{method: "POST", path: "/api/v1/tokens", body: `{"login": "prov.admin", "password": 12345678901, "name": "x"}`}, 422, "invalid_input")
		if !e.hasField("password", "wrong_type") {
			t.Errorf("password of the wrong type: %+v", e)
		}
		k.fails(call{method: "POST", path: "/api/v1/tokens", body: `{"login": "prov.admin",`}, 400, "bad_json")
		k.fails(call{method: "POST", path: "/api/v1/tokens",
			body: map[string]string{"login": "prov.admin", "password": "prov.admin-password", "name": "x", "scope": "all"}}, 400, "bad_json")
		// An API call carrying no session cookie has no ambient authority: no CSRF token needed, but JSON is.
		k.fails(call{method: "POST", path: "/api/v1/tokens", body: "login=prov.admin", contentType: "application/x-www-form-urlencoded"}, 415, "json_required")
		k.fails(call{method: "POST", path: "/api/v1/tokens", token: admin, body: "login=prov.admin", contentType: "text/plain"}, 415, "json_required")
		for i := 0; i < 3; i++ {
			k.fails(call{method: "POST", path: "/api/v1/tokens",
				body: map[string]string{"login": "sun.throttled", "password": "wrong-" + strconv.Itoa(i), "name": "x"}}, 401, "bad_credentials")
		}
		k.fails(call{method: "POST", path: "/api/v1/tokens",
			body: map[string]string{"login": "sun.throttled", "password": "sun.throttled-password", "name": "x"}}, 429, "login_throttled")
		citizen, dalian := st.token("zhou.citizen"), st.token("dalian.admin")

		// Me.
		var me struct {
			User   struct{ Login string }
			Grants []struct{ Role, Pattern string }
		}
		k.do(call{method: "GET", path: "/api/v1/me", token: admin, valid: true, out: &me}, 200)
		if me.User.Login != "prov.admin" || len(me.Grants) != 1 || me.Grants[0].Pattern != "21*" {
			t.Errorf("me: %+v", me)
		}
		k.fails(call{method: "GET", path: "/api/v1/me"}, 401, "login_required")
		k.fails(call{method: "GET", path: "/api/v1/me", auth: "Bearer cft_not-a-token"}, 401, "login_required")
		k.fails(call{method: "GET", path: "/api/v1/me", auth: "Basic cHJvdi5hZG1pbjpwYXNzd29yZA=="}, 401, "bad_authorization")

		// Jurisdictions need no login.
		var js struct {
			Jurisdictions []struct{ Code, NameZH string }
		}
		k.do(call{method: "GET", path: "/api/v1/jurisdictions", valid: true, out: &js}, 200)
		if len(js.Jurisdictions) != 4 || js.Jurisdictions[0].Code != "210000" {
			t.Errorf("jurisdictions: %+v", js)
		}
		k.fails(call{method: "GET", path: "/api/v1/jurisdictions", auth: "Token abc"}, 401, "bad_authorization")

		// Users.
		k.do(call{method: "GET", path: "/api/v1/users", token: admin, valid: true}, 200)
		k.fails(call{method: "GET", path: "/api/v1/users", token: citizen}, 403, "forbidden")
		k.fails(call{method: "GET", path: "/api/v1/users"}, 401, "login_required")
		var li struct {
			ID    int64
			Login string
		}
		k.do(call{method: "POST", path: "/api/v1/users", token: admin, valid: true, out: &li, body: map[string]string{
			"login": "Li.Ming", "password": "li.ming-password", "display_name": "李明", "email": "li.ming@example.cn", "locale": "en"}}, 201)
		if li.ID <= 0 || li.Login != "li.ming" {
			t.Fatalf("created user: %+v", li)
		}
		k.fails(call{method: "POST", path: "/api/v1/users", token: admin, body: map[string]string{"login": "li.ming", "password": "another-password"}}, 409, "login_taken")
		e = k.fails(call{method: "POST", path: "/api/v1/users", token: admin, body: map[string]string{"login": "X", "password": "short", "phone": "123", "email": "nope", "locale": "fr"}}, 422, "invalid_input")
		for _, f := range []string{"login", "password", "phone", "email", "locale"} {
			found := false
			for _, fe := range e.Error.Fields {
				found = found || fe.Path == f
			}
			if !found {
				t.Errorf("invalid user: no error for %s in %+v", f, e.Error.Fields)
			}
		}
		k.fails(call{method: "POST", path: "/api/v1/users", token: admin, body: `{"login": 5}`}, 422, "invalid_input")
		k.fails(call{method: "POST", path: "/api/v1/users", token: admin, body: map[string]any{"login": "wu.new", "password": "wu.new-password", "admin": true}}, 400, "bad_json")
		k.fails(call{method: "POST", path: "/api/v1/users", token: admin, body: "login=wu.new", contentType: "text/plain"}, 415, "json_required")
		k.fails(call{method: "POST", path: "/api/v1/users", token: admin, body: `{}`, announce: 5 << 20}, 413, "too_large")
		k.fails(call{method: "POST", path: "/api/v1/users", token: citizen, body: map[string]string{"login": "wu.new", "password": "wu.new-password"}}, 403, "forbidden")
		k.fails(call{method: "POST", path: "/api/v1/users", body: map[string]string{"login": "wu.new", "password": "wu.new-password"}}, 401, "login_required")

		// Grants.
		grants := "/api/v1/users/" + strconv.FormatInt(li.ID, 10) + "/grants"
		var gl struct {
			Grants []struct{ Role, Pattern string }
		}
		k.do(call{method: "GET", path: grants, token: admin, valid: true, out: &gl}, 200)
		if gl.Grants == nil || len(gl.Grants) != 0 {
			t.Errorf("grants of a new user: %+v", gl)
		}
		k.fails(call{method: "GET", path: "/api/v1/users/999999/grants", token: admin}, 404, "not_found")
		k.fails(call{method: "GET", path: "/api/v1/users/abc/grants", token: admin}, 404, "not_found")
		k.fails(call{method: "GET", path: grants, token: citizen}, 403, "forbidden")
		k.fails(call{method: "GET", path: grants}, 401, "login_required")
		k.do(call{method: "POST", path: grants, token: admin, valid: true, out: &gl,
			body: map[string]any{"role": "acceptor", "jurisdiction": "210100", "subtree": true}}, 200)
		if len(gl.Grants) != 1 || gl.Grants[0].Role != "acceptor" || gl.Grants[0].Pattern != "2101*" {
			t.Errorf("after granting: %+v", gl)
		}
		k.fails(call{method: "POST", path: grants, token: dalian, body: map[string]any{"role": "acceptor", "jurisdiction": "210100"}}, 403, "forbidden")
		e = k.fails(call{method: "POST", path: grants, token: admin, body: map[string]any{"role": "mayor", "jurisdiction": "210100"}}, 422, "invalid_input")
		if !e.hasField("role", "unknown_role") {
			t.Errorf("unknown role: %+v", e)
		}
		e = k.fails(call{method: "POST", path: "/api/v1/users/999999/grants", token: admin, body: map[string]any{"role": "acceptor", "jurisdiction": "210100"}}, 422, "invalid_input")
		if !e.hasField("user_id", "unknown_user") {
			t.Errorf("unknown user: %+v", e)
		}
		e = k.fails(call{method: "POST", path: grants, token: admin, body: map[string]any{"role": "acceptor", "jurisdiction": "219900"}}, 422, "invalid_input")
		if !e.hasField("jurisdiction", "unknown_jurisdiction") {
			t.Errorf("unknown jurisdiction: %+v", e)
		}
		k.fails(call{method: "POST", path: grants, token: admin, body: `{"role": "acceptor", "jurisdiction": "210100", "subtree": "yes"}`}, 422, "invalid_input")
		k.fails(call{method: "POST", path: grants, token: admin, body: `{"role": "acceptor"`}, 400, "bad_json")
		k.fails(call{method: "POST", path: grants, token: admin, body: "role=acceptor", contentType: "text/plain"}, 415, "json_required")
		k.fails(call{method: "POST", path: "/api/v1/users/0/grants", token: admin, body: map[string]any{"role": "acceptor", "jurisdiction": "210100"}}, 404, "not_found")
		k.fails(call{method: "POST", path: grants, body: map[string]any{"role": "acceptor", "jurisdiction": "210100"}}, 401, "login_required")
		// Give li.ming something to revoke later, and a message whose e-mail fails.
		k.do(call{method: "POST", path: grants, token: admin, valid: true, body: map[string]any{"role": "reviewer", "jurisdiction": "210102"}}, 200)

		e = k.fails(call{method: "DELETE", path: grants, token: admin, body: map[string]string{"role": "reviewer", "pattern": "2101"}}, 422, "invalid_input")
		if !e.hasField("pattern", "invalid_pattern") {
			t.Errorf("invalid pattern: %+v", e)
		}
		k.fails(call{method: "DELETE", path: grants, token: dalian, body: map[string]string{"role": "reviewer", "pattern": "210102"}}, 403, "forbidden")
		k.fails(call{method: "DELETE", path: grants, token: admin, body: `{"role": "reviewer", "pattern": "210102", "subtree": true}`}, 400, "bad_json")
		k.fails(call{method: "DELETE", path: grants, token: admin, body: "role=reviewer", contentType: "text/plain"}, 415, "json_required")
		k.fails(call{method: "DELETE", path: "/api/v1/users/x/grants", token: admin, body: map[string]string{"role": "reviewer", "pattern": "210102"}}, 404, "not_found")
		k.fails(call{method: "DELETE", path: grants, body: map[string]string{"role": "reviewer", "pattern": "210102"}}, 401, "login_required")
		k.do(call{method: "DELETE", path: grants, token: admin, valid: true, body: map[string]string{"role": "reviewer", "pattern": "210102"}}, 204)
		k.do(call{method: "GET", path: grants, token: admin, valid: true, out: &gl}, 200)
		if len(gl.Grants) != 1 || gl.Grants[0].Role != "acceptor" {
			t.Errorf("after revoking: %+v", gl)
		}

		// Messages: the worker puts the grant notices in the inbox and fails their e-mails.
		deliverAll(t, s)
		liToken := st.token("li.ming")
		var msgs struct {
			Messages []struct {
				ID      int64
				Subject string
				ReadAt  *string `json:"read_at"`
			}
		}
		k.do(call{method: "GET", path: "/api/v1/me/messages", token: liToken, valid: true, out: &msgs}, 200)
		if len(msgs.Messages) != 2 || msgs.Messages[0].ReadAt != nil {
			t.Fatalf("li.ming's messages: %+v", msgs)
		}
		read := "/api/v1/me/messages/" + strconv.FormatInt(msgs.Messages[0].ID, 10) + "/read"
		k.do(call{method: "POST", path: read, token: liToken, valid: true}, 204)
		k.do(call{method: "POST", path: read, token: liToken, valid: true}, 204)
		k.fails(call{method: "POST", path: read, token: admin}, 404, "not_found") // not the admin's message
		k.fails(call{method: "POST", path: "/api/v1/me/messages/0/read", token: liToken}, 404, "not_found")
		k.fails(call{method: "POST", path: read, auth: "Bearer cft_revoked"}, 401, "login_required")
		// Without credentials the login check answers.
		k.fails(call{method: "POST", path: read}, 401, "login_required")
		k.fails(call{method: "GET", path: "/api/v1/me/messages"}, 401, "login_required")
		k.do(call{method: "GET", path: "/api/v1/me/messages", token: liToken, valid: true, out: &msgs}, 200)
		if msgs.Messages[0].ReadAt == nil || msgs.Messages[1].ReadAt != nil {
			t.Errorf("after marking one read: %+v", msgs)
		}

		// Failed deliveries.
		var failed struct {
			Deliveries []struct {
				Channel, Address, Status string
				LastError                string `json:"last_error"`
			}
		}
		k.do(call{method: "GET", path: "/api/v1/deliveries/failed", token: admin, valid: true, out: &failed}, 200)
		if len(failed.Deliveries) != 2 || failed.Deliveries[0].Channel != "email" || failed.Deliveries[0].Address != "li.ming@example.cn" ||
			failed.Deliveries[0].Status != "failed" || !strings.Contains(failed.Deliveries[0].LastError, "mailbox unavailable") {
			t.Errorf("failed deliveries: %+v", failed)
		}
		k.fails(call{method: "GET", path: "/api/v1/deliveries/failed", token: citizen}, 403, "forbidden")
		k.fails(call{method: "GET", path: "/api/v1/deliveries/failed"}, 401, "login_required")

		// Audit.
		var audit struct {
			Entries []struct {
				Action     string
				ObjectType string `json:"object_type"`
			}
		}
		k.do(call{method: "GET", path: "/api/v1/audit", token: admin, valid: true, out: &audit}, 200)
		if len(audit.Entries) == 0 {
			t.Error("empty audit log")
		}
		k.do(call{method: "GET", path: "/api/v1/audit?object_type=user", token: admin, valid: true, out: &audit}, 200)
		for _, en := range audit.Entries {
			if en.ObjectType != "user" {
				t.Errorf("audit filtered by user: %+v", en)
			}
		}
		k.fails(call{method: "GET", path: "/api/v1/audit", token: citizen}, 403, "forbidden")
		k.fails(call{method: "GET", path: "/api/v1/audit"}, 401, "login_required")

		// A browser's session cookie works too, with the page's CSRF token for changes.
		b := st.browser()
		b.login("prov.admin")
		k.do(call{method: "GET", path: "/api/v1/me", client: b.c, valid: true}, 200)
		newUser := map[string]string{"login": "qian.cookie", "password": "qian.cookie-password"}
		k.fails(call{method: "POST", path: "/api/v1/users", client: b.c, body: newUser}, 403, "csrf_failed")
		_, _, csrf := b.get("/admin/users")
		k.do(call{method: "POST", path: "/api/v1/users", client: b.c, valid: true, body: newUser,
			header: http.Header{"X-Csrf-Token": {csrf}}}, 201)

		// Every documented operation was exercised.
		for _, p := range doc.Paths.InMatchingOrder() {
			for method := range doc.Paths.Value(p).Operations() {
				if len(k.seen[method+" "+p]) == 0 {
					t.Errorf("%s %s is documented but the contract test never called it", method, p)
				}
			}
		}
	})
}

// fiberParam matches a Fiber path parameter such as ":id".
var fiberParam = regexp.MustCompile(`:([A-Za-z_][A-Za-z0-9_]*)`)

// newServer builds the web application, without serving it, on a fresh SQLite stack.
func newServer(t *testing.T) *web.Server {
	t.Helper()
	s := stacktest.SQLite(t)
	ctx := context.Background()
	cfg, err := config.Load(func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	enf, err := policies.New(ctx, s.DB)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := web.New(web.Deps{Config: cfg, DB: s.DB, Broker: s.Broker(t), Enforcer: enf, Secret: []byte("test-secret"), Metrics: http.NotFoundHandler()})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// documented reports whether the API route of the server is described by the document: everything
// under /api/, and the operational /healthz and /readyz.
func documented(path string) bool {
	return strings.HasPrefix(path, "/api/") || path == "/healthz" || path == "/readyz"
}

func TestOpenAPIDocumentsEveryAPIRoute(t *testing.T) {
	doc := loadOpenAPI(t)
	srv := newServer(t)
	registered := map[string]bool{}
	for _, r := range srv.App().GetRoutes(true) {
		if r.Method == fiber.MethodHead || !documented(r.Path) {
			continue
		}
		p := fiberParam.ReplaceAllString(r.Path, "{$1}")
		registered[r.Method+" "+p] = true
		item := doc.Paths.Value(p)
		if item == nil {
			t.Errorf("%s %s is served but openapi.json has no path %s", r.Method, r.Path, p)
			continue
		}
		if item.GetOperation(r.Method) == nil {
			t.Errorf("%s %s is served but openapi.json does not describe %s on %s", r.Method, r.Path, r.Method, p)
		}
	}
	if len(registered) < 10 {
		t.Fatalf("only %d API routes found in the server's route table: %v", len(registered), registered)
	}
	var extra []string
	for _, p := range doc.Paths.InMatchingOrder() {
		for method := range doc.Paths.Value(p).Operations() {
			if !registered[method+" "+p] {
				extra = append(extra, method+" "+p)
			}
		}
	}
	sort.Strings(extra)
	for _, op := range extra {
		t.Errorf("openapi.json describes %s, which the server does not serve", op)
	}
}

// Every operation states the answers every client must handle, with the one error shape.
func TestOpenAPIDocumentsErrorsAndSecurity(t *testing.T) {
	doc := loadOpenAPI(t)
	errorSchema := doc.Components.Schemas["Error"]
	if errorSchema == nil {
		t.Fatal("no Error schema")
	}
	if s := doc.Components.SecuritySchemes["bearerAuth"]; s == nil || s.Value.Type != "http" || s.Value.Scheme != "bearer" ||
		!strings.Contains(s.Value.Description, accounts.TokenPrefix) {
		t.Error("bearerAuth must be an HTTP bearer scheme whose description names the cft_ prefix")
	}
	if s := doc.Components.SecuritySchemes["cookieAuth"]; s == nil || s.Value.In != "cookie" || s.Value.Name != "cf_session" {
		t.Error("cookieAuth must be the cf_session cookie")
	}
	for _, p := range doc.Paths.InMatchingOrder() {
		for method, op := range doc.Paths.Value(p).Operations() {
			name := method + " " + p
			if op.Summary == "" || op.Description == "" || op.OperationID == "" {
				t.Errorf("%s: needs an operationId, a summary and a description", name)
			}
			public := op.Security != nil && len(*op.Security) == 0
			var want []int
			if strings.HasPrefix(p, "/api/") {
				want = append(want, 401) // also public operations refuse an invalid Authorization header
			}
			if p != "/api/v1/openapi.json" {
				want = append(want, 500)
			}
			if !public && op.Extensions["x-permission"] != nil && method == http.MethodGet {
				want = append(want, 403)
			}
			if op.RequestBody != nil {
				want = append(want, 400, 413, 415, 422)
			}
			if method == http.MethodPost || method == http.MethodDelete {
				want = append(want, 403)
			}
			for _, status := range want {
				ref := op.Responses.Status(status)
				if ref == nil {
					t.Errorf("%s: no %d answer", name, status)
					continue
				}
				mt := ref.Value.Content.Get("application/json")
				if mt == nil || mt.Schema == nil || mt.Schema.Value != errorSchema.Value {
					t.Errorf("%s: the %d answer must use the Error schema", name, status)
				}
			}
			if op.RequestBody != nil {
				body := op.RequestBody.Value.Content.Get("application/json").Schema.Value
				if body.AdditionalProperties.Has == nil || *body.AdditionalProperties.Has {
					t.Errorf("%s: the server refuses unknown members, so the body needs additionalProperties: false", name)
				}
			}
		}
	}
}

// The error envelope of the document is the one the server writes.
func TestOpenAPIErrorSchemaMatchesEnvelope(t *testing.T) {
	doc := loadOpenAPI(t)
	schema := doc.Components.Schemas["Error"].Value
	for _, tc := range []struct {
		body string
		ok   bool
	}{
		{`{"error":{"code":"not_found","message":"Not found.","fields":[]}}`, true},
		{`{"error":{"code":"invalid_input","message":"m","fields":[{"path":"login","code":"invalid","message":"m"}]}}`, true},
		{`{"error":{"code":"login_taken","message":"m","fields":[],"detail":{"current":1}}}`, true},
		{`{"error":{"code":"x","message":"m"}}`, false},                         // fields is always present
		{`{"error":{"code":"x","message":"m","fields":null}}`, false},           // and never null
		{`{"error":{"code":"x","message":"m","fields":[],"extra":1}}`, false},   // nothing else
		{`{"error":{"code":"x","message":"m","fields":[{"path":"a"}]}}`, false}, // field errors are complete
		{`{"code":"x","message":"m","fields":[]}`, false},
	} {
		var v any
		if err := json.Unmarshal([]byte(tc.body), &v); err != nil {
			t.Fatal(err)
		}
		err := schema.VisitJSON(v)
		if (err == nil) != tc.ok {
			t.Errorf("%s: valid %v, want %v (%v)", tc.body, err == nil, tc.ok, err)
		}
	}
}
