package web_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"maps"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"regexp"
	"slices"
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
	"github.com/civicflow/civicflow/forms"
	"github.com/civicflow/civicflow/notify"
	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/register"
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

func init() {
	// The one answer of the API that is not JSON: the HTML error page of a malformed multipart body.
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("application/pdf", openapi3filter.FileBodyDecoder)
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
	respHeader   *http.Header // receives the answer's headers
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

// tooLarge is a body size over the server's limit (CIVICFLOW_BODY_LIMIT, 32 MiB by default), announced
// in the headers and never sent.
const tooLarge = 64 << 20

// envelope is the error envelope as the test reads it.
type envelope struct {
	Error struct {
		Code    string
		Message string
		Fields  []struct{ Path, Code, Message string }
		Detail  map[string]any
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
	// Every answer names its request, except those the document says come before the application
	// (TestOpenAPIDocumentsErrorsAndSecurity keeps that list short).
	if ref := route.Operation.Responses.Status(resp.StatusCode); ref != nil && ref.Value != nil &&
		ref.Value.Headers["X-Request-Id"] != nil && resp.Header.Get("X-Request-Id") == "" {
		k.t.Errorf("%s: no X-Request-Id header", what)
	}
	if c.respHeader != nil {
		*c.respHeader = resp.Header.Clone()
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
	for {
		n, err := d.DeliverInbox(ctx, notify.InboxBatch)
		if err != nil {
			t.Fatalf("delivering in-app messages: %v", err)
		}
		if n == 0 {
			break
		}
	}
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

		// The register needs no login; bad filters are field errors, an unknown code is not found.
		org, err := register.Create(context.Background(), s.DB, register.NewOrganisation{Name: "沈阳市围棋协会", Kind: register.KindSocialGroup,
			Jurisdiction: "210100", Domicile: "沈阳市和平区某路1号", LegalRepresentative: "张三",
			Data: map[string]any{"particulars": map[string]any{"funds": map[string]string{"zh": "30000 元", "en": "30000 yuan"}}}})
		if err != nil {
			t.Fatal(err)
		}
		var found struct {
			Organisations []struct{ USCC string }
			Total         int
		}
		k.do(call{method: "GET", path: "/api/v1/register?q=%E5%9B%B4%E6%A3%8B&kind=social_group&status=active&jurisdiction=210000&page=1&per_page=5",
			valid: true, out: &found}, 200)
		if found.Total != 1 || found.Organisations[0].USCC != org.USCC {
			t.Errorf("searching the register: %+v", found)
		}
		k.do(call{method: "GET", path: "/api/v1/register?year=2001", valid: true}, 200)
		e = k.fails(call{method: "GET", path: "/api/v1/register?per_page=101&year=x&kind=charity"}, 422, "invalid_input")
		if !e.hasField("per_page", "invalid") || !e.hasField("year", "invalid") || !e.hasField("kind", "invalid") {
			t.Errorf("bad register filters: %+v", e)
		}
		k.do(call{method: "GET", path: "/api/v1/register/" + strings.ToLower(org.USCC), valid: true}, 200)
		k.fails(call{method: "GET", path: "/api/v1/register/51210100MJ0000000X", valid: true}, 404, "not_found")
		k.fails(call{method: "GET", path: "/api/v1/register", auth: "Token abc"}, 401, "bad_authorization")

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
		k.fails(call{method: "POST", path: "/api/v1/users", token: admin, body: `{}`, announce: tooLarge}, 413, "too_large")
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

		applications(t, k, st, admin, citizen, dalian)
		calendarContract(t, k, admin, citizen, dalian)
		statisticsContract(t, k, admin, citizen, dalian)
		appointmentsContract(t, k, st, admin, citizen, dalian)
		noticesContract(t, k)
		tablesContract(t, k, citizen, admin)
		assignContract(t, k, st)
		bindingsContract(t, k, st)
		creditContract(t, k, st)
		orgChangeContract(t, k, st)
		signupContract(t, k)
		campaignsContract(t, k, st)
		inquiriesContract(t, k, st)
		disclosureReportContract(t, k, st)
		consultationsContract(t, k, st)
		ratingsContract(t, k, st)
		disclosureContract(t, k, st)

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

// idNumber completes 17 digits with the check character that makes a valid resident ID number.
func idNumber(t *testing.T, first17 string) string {
	t.Helper()
	for _, c := range "0123456789X" {
		id := first17 + string(c)
		if _, err := forms.ParseIDCard(id); err == nil {
			return id
		}
	}
	t.Fatalf("no check character makes %s a valid ID number", first17)
	return ""
}

// wrongCheck is a resident ID number with the wrong check character.
func wrongCheck(id string) string {
	if id[17] == '0' {
		return id[:17] + "1"
	}
	return id[:17] + "0"
}

// checkDocumentRoutes calls the document routes on the acceptance notice issued on a case of the
// citizen: its download, its verification, the check of a file against it and the public key.
func checkDocumentRoutes(t *testing.T, k *contract, id int64, code, owner, stranger string) {
	path := "/api/v1/documents/" + strconv.FormatInt(id, 10)
	pdf := k.do(call{method: "GET", path: path, token: owner, valid: true}, 200)
	k.fails(call{method: "GET", path: path, token: stranger}, 404, "not_found")
	k.fails(call{method: "GET", path: path}, 401, "login_required")
	k.do(call{method: "GET", path: "/api/v1/verify/" + code, valid: true}, 200)
	k.fails(call{method: "GET", path: "/api/v1/verify/AAAAAAAAAAAAAAAA"}, 404, "not_found")
	k.do(call{method: "GET", path: "/api/v1/verify-key", valid: true}, 200)
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fw, _ := w.CreateFormFile("file", "notice.pdf")
	_, _ = fw.Write(pdf)
	_ = w.Close()
	var answer struct{ Matches bool }
	k.do(call{method: "POST", path: "/api/v1/verify/" + code, body: buf.String(), contentType: w.FormDataContentType(), valid: true, out: &answer}, 200)
	if !answer.Matches {
		t.Error("the downloaded notice does not match its verification")
	}
	empty := multipart.NewWriter(&buf)
	buf.Reset()
	_ = empty.WriteField("note", "no file")
	_ = empty.Close()
	k.fails(call{method: "POST", path: "/api/v1/verify/" + code, body: buf.String(), contentType: empty.FormDataContentType()}, 422, "invalid_input")
}

// multipartBody is an upload of content named filename for the item's material slot, as the
// request body and its content type; a nil content leaves the file part out.
func multipartBody(t *testing.T, item, slot, filename string, content []byte) (string, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for name, v := range map[string]string{"item": item, "slot": slot} {
		if err := w.WriteField(name, v); err != nil {
			t.Fatal(err)
		}
	}
	if content != nil {
		fw, err := w.CreateFormFile("file", filename)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fw.Write(content); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String(), w.FormDataContentType()
}

// tinyPDF is the smallest file the server takes for a PDF: it judges by the %PDF- signature.
var tinyPDF = []byte("%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")

// preparationSlots are the materials the 筹备 application form needs, one file field each.
var preparationSlots = []string{"application_letter", "sponsor_approval", "capital_verification", "premises_proof",
	"founders_details", "draft_articles"}

// preparation is a complete, valid 筹备 application of a social group with 50 individual members,
// its file fields holding the uploads by slot.
func preparation(t *testing.T, uploads map[string]int64) map[string]any {
	t.Helper()
	members := make([]map[string]any, 50)
	for i := range members {
		// Division 210102, born 198x-MM-15, sequence 001–050.
		members[i] = map[string]any{"name": fmt.Sprintf("会员%02d", i+1),
			"id_number": idNumber(t, fmt.Sprintf("210102198%d%02d15%03d", i%10, i%12+1, i+1))}
	}
	leader := idNumber(t, "21010219750315123")
	data := map[string]any{
		"name":                 "沈阳市软件行业协会",
		"domicile":             "沈阳市和平区南京北街1号",
		"activity_area":        "city",
		"level":                "city",
		"business_scope":       "软件行业交流、培训与咨询服务。",
		"funds":                "50000",
		"individual_members":   members,
		"legal_representative": map[string]any{"name": "李明", "id_number": leader, "phone": "13800138000"},
		"leaders":              []map[string]any{{"name": "李明", "id_number": leader, "position": "会长"}},
		"sponsor_unit":         "沈阳市科学技术协会",
	}
	for _, slot := range preparationSlots {
		data[slot] = []int64{uploads[slot]}
	}
	return data
}

// applications drives the catalogue, drafts, uploads, cases, actions and the inbox: a citizen files a
// 筹备 application of the built-in social-group item in Shenyang, and an acceptor of Shenyang
// accepts it.
func applications(t *testing.T, k *contract, st *site, admin, citizen, dalian string) {
	t.Helper()
	st.user("wang.acceptor", "acceptor@2101*")
	st.user("zhao.other", "citizen")
	acceptor, other := st.token("wang.acceptor"), st.token("zhao.other")
	browser := st.browser()
	browser.login("zhou.citizen")
	const code = "social-group-establishment"

	// The catalogue needs no login.
	var list struct {
		Items []struct{ Code, Version string }
	}
	k.do(call{method: "GET", path: "/api/v1/catalog", valid: true, out: &list}, 200)
	listed := slices.IndexFunc(list.Items, func(it struct{ Code, Version string }) bool { return it.Code == code })
	if listed < 0 || len(list.Items[listed].Version) != 64 {
		t.Fatalf("catalogue: %+v", list)
	}
	k.fails(call{method: "GET", path: "/api/v1/catalog", auth: "Token abc"}, 401, "bad_authorization")
	var item struct {
		Code, Form, Version string
		Materials           []struct{ ID string }
		Workflow            struct{ Start string }
	}
	k.do(call{method: "GET", path: "/api/v1/catalog/" + code, valid: true, out: &item}, 200)
	if item.Code != code || item.Form != "sg_preparation" || item.Version != list.Items[listed].Version ||
		item.Workflow.Start != "prep_acceptance" {
		t.Errorf("item: %+v", item)
	}
	for _, slot := range preparationSlots {
		if !slices.ContainsFunc(item.Materials, func(m struct{ ID string }) bool { return m.ID == slot }) {
			t.Errorf("the item lists no material %s: %+v", slot, item.Materials)
		}
	}
	k.do(call{method: "GET", path: "/api/v1/catalog/" + code, token: citizen, valid: true}, 200)
	k.fails(call{method: "GET", path: "/api/v1/catalog/no-such-item"}, 404, "not_found")
	k.fails(call{method: "GET", path: "/api/v1/catalog/" + code, auth: "Bearer cft_not-a-token"}, 401, "login_required")
	var schema struct {
		ID         string `json:"$id"`
		Type       string
		Properties map[string]map[string]any
		Required   []string
	}
	k.do(call{method: "GET", path: "/api/v1/catalog/" + code + "/form-schema", valid: true, out: &schema}, 200)
	if schema.ID != "urn:civicflow:form:sg_preparation" || schema.Type != "object" ||
		schema.Properties["individual_members"]["type"] != "array" || !slices.Contains(schema.Required, "application_letter") {
		t.Errorf("form schema: %+v", schema)
	}
	k.do(call{method: "GET", path: "/api/v1/catalog/" + code + "/form-schema?form=sg_establishment", valid: true, out: &schema}, 200)
	if schema.ID != "urn:civicflow:form:sg_establishment" {
		t.Errorf("establishment form schema: %s", schema.ID)
	}
	k.fails(call{method: "GET", path: "/api/v1/catalog/" + code + "/form-schema?form=no_such_form"}, 404, "not_found")
	k.fails(call{method: "GET", path: "/api/v1/catalog/no-such-item/form-schema"}, 404, "not_found")
	k.fails(call{method: "GET", path: "/api/v1/catalog/" + code + "/form-schema", auth: "Basic eDp5"}, 401, "bad_authorization")

	// Drafts keep what an applicant typed, unvalidated.
	drafts := "/api/v1/drafts/" + code
	var draft struct{ Data map[string]any }
	k.do(call{method: "GET", path: drafts, token: citizen, valid: true, out: &draft}, 200)
	if draft.Data == nil || len(draft.Data) != 0 {
		t.Errorf("no draft yet: %+v", draft)
	}
	k.do(call{method: "PUT", path: drafts, token: citizen, valid: true,
		body: map[string]any{"data": map[string]any{"name": "沈阳市软件行业协会", "funds": "5万"}}}, 204)
	draft.Data = nil
	k.do(call{method: "GET", path: drafts + "?case_id=0", token: citizen, valid: true, out: &draft}, 200)
	if draft.Data["name"] != "沈阳市软件行业协会" || draft.Data["funds"] != "5万" {
		t.Errorf("saved draft: %+v", draft)
	}
	draft.Data = nil
	k.do(call{method: "GET", path: drafts, token: other, valid: true, out: &draft}, 200)
	if len(draft.Data) != 0 {
		t.Errorf("another applicant sees a draft: %+v", draft)
	}
	k.fails(call{method: "GET", path: drafts, token: acceptor}, 403, "forbidden")
	k.fails(call{method: "GET", path: drafts}, 401, "login_required")
	k.fails(call{method: "GET", path: "/api/v1/drafts/no-such-item", token: citizen}, 404, "not_found")
	k.fails(call{method: "PUT", path: drafts, token: citizen, body: `{"data": {}, "item": "x"}`}, 400, "bad_json")
	k.fails(call{method: "PUT", path: drafts, token: citizen, body: map[string]any{"data": map[string]any{"name": "a\x00b"}}}, 400, "unreadable_text")
	e := k.fails(call{method: "PUT", path: drafts, token: citizen, body: `{"case_id": "one"}`}, 422, "invalid_input")
	if !e.hasField("case_id", "wrong_type") {
		t.Errorf("draft with a case_id of the wrong type: %+v", e)
	}
	k.fails(call{method: "PUT", path: drafts, token: citizen, body: "name=x", contentType: "text/plain"}, 415, "json_required")
	k.fails(call{method: "PUT", path: drafts, token: citizen, body: `{}`, announce: tooLarge}, 413, "too_large")
	k.fails(call{method: "PUT", path: drafts, token: citizen,
		body: map[string]any{"data": map[string]any{"business_scope": strings.Repeat("x", 1<<20)}}}, 413, "draft_too_large")
	k.fails(call{method: "PUT", path: "/api/v1/drafts/no-such-item", token: citizen, body: map[string]any{"data": map[string]any{}}}, 404, "not_found")
	k.fails(call{method: "PUT", path: drafts, token: citizen, body: map[string]any{"case_id": 999999, "data": map[string]any{}}}, 404, "not_found")
	k.fails(call{method: "PUT", path: drafts, token: acceptor, body: map[string]any{"data": map[string]any{}}}, 403, "forbidden")
	k.fails(call{method: "PUT", path: drafts, client: browser.c, body: map[string]any{"data": map[string]any{}}}, 403, "csrf_failed")
	k.fails(call{method: "PUT", path: drafts, body: map[string]any{"data": map[string]any{}}}, 401, "login_required")

	// Uploads are judged by their content.
	upload := func(token, item, slot, filename string, content []byte) call {
		body, ct := multipartBody(t, item, slot, filename, content)
		return call{method: "POST", path: "/api/v1/materials", token: token, body: body, contentType: ct}
	}
	uploads := map[string]int64{}
	for _, slot := range preparationSlots {
		var m struct {
			ID             int64
			Slot, Filename string
			ContentType    string `json:"content_type"`
			CaseID         *int64 `json:"case_id"`
		}
		c := upload(citizen, code, slot, slot+".PDF", tinyPDF)
		c.valid, c.out = true, &m
		k.do(c, 201)
		if m.ID <= 0 || m.Slot != slot || m.ContentType != "application/pdf" || m.Filename != slot+".pdf" || m.CaseID != nil {
			t.Fatalf("upload for %s: %+v", slot, m)
		}
		uploads[slot] = m.ID
	}
	e = k.fails(upload(citizen, code, "application_letter", "letter.pdf", []byte("<!DOCTYPE html><html><body>not a PDF</body></html>")),
		415, "unsupported_file_type")
	if allowed, _ := e.Error.Detail["allowed"].([]any); len(allowed) != 1 || allowed[0] != "PDF" {
		t.Errorf("HTML named .pdf: %+v", e)
	}
	big := append(append([]byte{}, tinyPDF...), make([]byte, 20<<20)...)
	e = k.fails(upload(citizen, code, "sponsor_approval", "big.pdf", big), 413, "file_too_large")
	if e.Error.Detail["max_bytes"] != float64(20<<20) {
		t.Errorf("file over the limit: %+v", e.Error.Detail)
	}
	// The header of a PNG of 100000×100000 pixels: what a decompression bomb shows before it is decoded.
	ihdr := []byte("IHDR\x00\x01\x86\xa0\x00\x01\x86\xa0\x08\x02\x00\x00\x00")
	bomb := binary.BigEndian.AppendUint32(append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0d"), ihdr...), crc32.ChecksumIEEE(ihdr))
	e = k.fails(upload(citizen, code, "sponsor_approval", "scan.png", bomb), 422, "image_too_large")
	if e.Error.Detail["max_pixels"] != float64(50_000_000) || e.Error.Detail["width"] != float64(100000) {
		t.Errorf("an image of too many pixels: %+v", e.Error.Detail)
	}
	e = k.fails(upload(citizen, code, "no_such_slot", "x.pdf", tinyPDF), 422, "invalid_input")
	if !e.hasField("slot", "unknown_material") {
		t.Errorf("unknown slot: %+v", e)
	}
	e = k.fails(upload(citizen, "no-such-item", "application_letter", "x.pdf", tinyPDF), 422, "invalid_input")
	if !e.hasField("item", "unknown_item") {
		t.Errorf("unknown item: %+v", e)
	}
	e = k.fails(upload(citizen, code, "application_letter", "", nil), 422, "invalid_input")
	if !e.hasField("file", "required") {
		t.Errorf("no file: %+v", e)
	}
	k.fails(upload(citizen, code, "application_letter", "empty.pdf", []byte{}), 422, "empty_file")
	// A body that is no multipart form is refused before the application reads it, as the API answers.
	k.fails(call{method: "POST", path: "/api/v1/materials", token: citizen, body: "--nope\r\nnot a part",
		contentType: "multipart/form-data; boundary=xyz"}, 400, "bad_form")
	tooBig := upload(citizen, code, "application_letter", "x.pdf", tinyPDF)
	tooBig.announce = tooLarge
	k.fails(tooBig, 413, "too_large")
	k.fails(upload(acceptor, code, "application_letter", "x.pdf", tinyPDF), 403, "forbidden")
	viaCookie := upload("", code, "application_letter", "x.pdf", tinyPDF)
	viaCookie.client = browser.c
	k.fails(viaCookie, 403, "csrf_failed")
	k.fails(upload("", code, "application_letter", "x.pdf", tinyPDF), 401, "login_required")

	// Only the uploader downloads an upload that is in no case yet.
	download := "/api/v1/materials/" + strconv.FormatInt(uploads["application_letter"], 10)
	var hdr http.Header
	got := k.do(call{method: "GET", path: download, token: citizen, valid: true, respHeader: &hdr}, 200)
	if !bytes.Equal(got, tinyPDF) || hdr.Get("Content-Type") != "application/pdf" ||
		!strings.HasPrefix(hdr.Get("Content-Disposition"), `attachment; filename="application_letter.pdf"`) {
		t.Errorf("download: %q %v", got, hdr)
	}
	k.fails(call{method: "GET", path: download, token: other}, 404, "not_found")
	k.fails(call{method: "GET", path: download, token: acceptor}, 404, "not_found")
	k.fails(call{method: "GET", path: "/api/v1/materials/999999", token: citizen}, 404, "not_found")
	k.fails(call{method: "GET", path: "/api/v1/materials/abc", token: citizen}, 404, "not_found")
	k.fails(call{method: "GET", path: download}, 401, "login_required")

	// Filing: every error at once, paths inside data without a prefix.
	data := preparation(t, uploads)
	bad := maps.Clone(data)
	bad["name"] = "协会"
	members := slices.Clone(data["individual_members"].([]map[string]any))
	members[3] = map[string]any{"name": "会员04", "id_number": wrongCheck(members[3]["id_number"].(string))}
	bad["individual_members"] = members
	delete(bad, "draft_articles")
	e = k.fails(call{method: "POST", path: "/api/v1/cases", token: citizen,
		body: map[string]any{"item": code, "jurisdiction": "219900", "data": bad}}, 422, "invalid_input")
	for _, f := range [][2]string{{"jurisdiction", "unknown_jurisdiction"}, {"name", "too_short"},
		{"individual_members[3].id_number", "id_card_check"}, {"draft_articles", "required"}} {
		if !e.hasField(f[0], f[1]) {
			t.Errorf("invalid application: no %s on %s in %+v", f[1], f[0], e.Error.Fields)
		}
	}
	e = k.fails(call{method: "POST", path: "/api/v1/cases", token: citizen,
		body: map[string]any{"item": code, "jurisdiction": "2101", "data": data}}, 422, "invalid_input")
	if !e.hasField("jurisdiction", "invalid_code") || len(e.Error.Fields) != 1 {
		t.Errorf("jurisdiction that is no code: %+v", e)
	}
	e = k.fails(call{method: "POST", path: "/api/v1/cases", token: citizen, body: `{"item": "x", "jurisdiction": 210100, "data": {}}`}, 422, "invalid_input")
	if !e.hasField("jurisdiction", "wrong_type") {
		t.Errorf("jurisdiction of the wrong type: %+v", e)
	}
	e = k.fails(call{method: "POST", path: "/api/v1/cases", token: other,
		body: map[string]any{"item": code, "jurisdiction": "210100", "data": data}}, 422, "invalid_input")
	if !e.hasField("materials", "unknown_material") {
		t.Errorf("filing with another applicant's uploads: %+v", e)
	}
	k.fails(call{method: "POST", path: "/api/v1/cases", token: citizen,
		body: map[string]any{"item": "no-such-item", "jurisdiction": "210100", "data": data}}, 404, "not_found")
	k.fails(call{method: "POST", path: "/api/v1/cases", token: citizen, body: `{"item": "x", "data": {}, "applicant_id": 1}`}, 400, "bad_json")
	k.fails(call{method: "POST", path: "/api/v1/cases", token: citizen, body: "item=x", contentType: "text/plain"}, 415, "json_required")
	k.fails(call{method: "POST", path: "/api/v1/cases", token: citizen, body: `{}`, announce: tooLarge}, 413, "too_large")
	k.fails(call{method: "POST", path: "/api/v1/cases", token: acceptor,
		body: map[string]any{"item": code, "jurisdiction": "210100", "data": data}}, 403, "forbidden")
	k.fails(call{method: "POST", path: "/api/v1/cases", client: browser.c,
		body: map[string]any{"item": code, "jurisdiction": "210100", "data": data}}, 403, "csrf_failed")
	k.fails(call{method: "POST", path: "/api/v1/cases", body: map[string]any{"item": code, "jurisdiction": "210100", "data": data}}, 401, "login_required")

	type caseJSON struct {
		ID, Version int64
		Number      string
		State       string
		ItemCode    string `json:"item_code"`
		ApplicantID int64  `json:"applicant_id"`
		QueryCode   string `json:"query_code"`
		Data        map[string]map[string]any
	}
	var cs caseJSON
	k.do(call{method: "POST", path: "/api/v1/cases", token: citizen, valid: true, out: &cs,
		body: map[string]any{"item": code, "jurisdiction": "210100", "data": data}}, 201)
	if cs.ID <= 0 || cs.Version != 1 || cs.State != "prep_acceptance" || cs.ItemCode != code || !strings.HasPrefix(cs.Number, "210100-") ||
		cs.Data["sg_preparation"]["funds"] != float64(50000) || len(cs.Data["sg_preparation"]["individual_members"].([]any)) != 50 {
		t.Fatalf("filed case: %+v", cs)
	}
	draft.Data = nil
	k.do(call{method: "GET", path: drafts, token: citizen, valid: true, out: &draft}, 200)
	if len(draft.Data) != 0 {
		t.Errorf("the draft outlived the filing: %+v", draft)
	}
	// Uploads now belong to the case: its staff may download them, other applicants still may not.
	k.do(call{method: "GET", path: download, token: acceptor, valid: true}, 200)
	k.fails(call{method: "GET", path: download, token: other}, 404, "not_found")
	k.fails(call{method: "GET", path: download, token: dalian}, 404, "not_found")

	var mine struct{ Cases []caseJSON }
	k.do(call{method: "GET", path: "/api/v1/cases", token: citizen, valid: true, out: &mine}, 200)
	if len(mine.Cases) != 1 || mine.Cases[0].ID != cs.ID {
		t.Errorf("my cases: %+v", mine)
	}
	k.do(call{method: "GET", path: "/api/v1/cases", token: other, valid: true, out: &mine}, 200)
	if mine.Cases == nil || len(mine.Cases) != 0 {
		t.Errorf("another applicant's cases: %+v", mine)
	}
	k.fails(call{method: "GET", path: "/api/v1/cases"}, 401, "login_required")

	// A case is seen by its applicant and by staff of its jurisdiction, by nobody else.
	caseURL := "/api/v1/cases/" + strconv.FormatInt(cs.ID, 10)
	type viewJSON struct {
		Case           caseJSON
		Events         []struct{ Action, From, To string }
		AllowedActions []struct{ ID string } `json:"allowed_actions"`
		Documents      []struct {
			ID         int64
			Kind       string
			VerifyCode string `json:"verify_code"`
		}
	}
	allowed := func(v viewJSON) []string {
		var ids []string
		for _, a := range v.AllowedActions {
			ids = append(ids, a.ID)
		}
		return ids
	}
	var view viewJSON
	view = viewJSON{}
	k.do(call{method: "GET", path: caseURL, token: citizen, valid: true, out: &view}, 200)
	if view.Case.ID != cs.ID || len(view.Events) != 1 || view.Events[0].Action != "start" || view.Documents == nil ||
		!slices.Equal(allowed(view), []string{"withdraw"}) {
		t.Errorf("the applicant's view: %+v", view)
	}
	view = viewJSON{}
	k.do(call{method: "GET", path: caseURL, token: acceptor, valid: true, out: &view}, 200)
	if !slices.Equal(allowed(view), []string{"accept_prep", "supplement_prep", "reject"}) {
		t.Errorf("the acceptor may take %v", allowed(view))
	}
	k.do(call{method: "GET", path: caseURL, token: admin, valid: true}, 200)
	k.fails(call{method: "GET", path: caseURL, token: other}, 404, "not_found")

	// Its progress, by number and query code, without login.
	progress := "/api/v1/progress?number=" + cs.Number + "&code="
	k.do(call{method: "GET", path: progress + cs.QueryCode, valid: true}, 200)
	k.fails(call{method: "GET", path: progress + "ZZZZZZ", valid: true}, 404, "not_found")
	k.fails(call{method: "GET", path: progress, valid: true}, 422, "invalid_input")
	k.fails(call{method: "GET", path: progress + cs.QueryCode, auth: "Token abc"}, 401, "bad_authorization")
	k.fails(call{method: "GET", path: caseURL, token: dalian}, 404, "not_found")
	k.fails(call{method: "GET", path: "/api/v1/cases/999999", token: citizen}, 404, "not_found")
	k.fails(call{method: "GET", path: "/api/v1/cases/abc", token: citizen}, 404, "not_found")
	k.fails(call{method: "GET", path: caseURL}, 401, "login_required")

	// The acceptor's inbox holds the case until it is accepted.
	var inbox struct{ Cases []caseJSON }
	k.do(call{method: "GET", path: "/api/v1/inbox", token: acceptor, valid: true, out: &inbox}, 200)
	if len(inbox.Cases) != 1 || inbox.Cases[0].ID != cs.ID {
		t.Errorf("the acceptor's inbox: %+v", inbox)
	}
	k.do(call{method: "GET", path: "/api/v1/inbox?item=" + code + "&state=prep_acceptance", token: acceptor, valid: true, out: &inbox}, 200)
	if len(inbox.Cases) != 1 {
		t.Errorf("the acceptor's inbox of prep_acceptance: %+v", inbox)
	}
	k.do(call{method: "GET", path: "/api/v1/inbox?state=prep_review", token: acceptor, valid: true, out: &inbox}, 200)
	if inbox.Cases == nil || len(inbox.Cases) != 0 {
		t.Errorf("the acceptor's inbox of prep_review: %+v", inbox)
	}
	k.do(call{method: "GET", path: "/api/v1/inbox", token: dalian, valid: true, out: &inbox}, 200)
	if len(inbox.Cases) != 0 {
		t.Errorf("Dalian's inbox holds a case of Shenyang: %+v", inbox)
	}
	k.fails(call{method: "GET", path: "/api/v1/inbox", token: citizen}, 403, "forbidden")
	// The desk's search finds it too, and names its organisation and applicant.
	var found struct {
		Cases []caseJSON
		Total int
	}
	k.do(call{method: "GET", path: "/api/v1/desk/cases?status=open&per_page=5", token: acceptor, valid: true, out: &found}, 200)
	if found.Total != 1 || len(found.Cases) != 1 || found.Cases[0].ID != cs.ID {
		t.Errorf("the acceptor's search: %+v", found)
	}
	if e := k.fails(call{method: "GET", path: "/api/v1/desk/cases?status=x", token: acceptor}, 422, "invalid_input"); !e.hasField("status", "invalid") {
		t.Errorf("a search with a bad status: %+v", e)
	}
	k.fails(call{method: "GET", path: "/api/v1/desk/cases", token: citizen}, 403, "forbidden")
	k.fails(call{method: "GET", path: "/api/v1/inbox"}, 401, "login_required")

	// Actions, checked in order: visibility, version, availability, role, input.
	actions := caseURL + "/actions"
	act := func(token, action string, version int64) call {
		return call{method: "POST", path: actions, token: token, body: map[string]any{"action": action, "expected_version": version}}
	}
	stale := func(e envelope, state string, version int64) {
		t.Helper()
		if e.Error.Detail["state"] != state || e.Error.Detail["version"] != float64(version) {
			t.Errorf("stale_version detail %v, want %s at %d", e.Error.Detail, state, version)
		}
	}
	k.fails(act(other, "accept_prep", 1), 404, "not_found")
	k.fails(act(dalian, "accept_prep", 1), 404, "not_found")
	k.fails(call{method: "POST", path: "/api/v1/cases/abc/actions", token: acceptor, body: map[string]any{"action": "accept_prep", "expected_version": 1}}, 404, "not_found")
	stale(k.fails(act(acceptor, "accept_prep", 7), 409, "stale_version"), "prep_acceptance", 1)
	k.fails(act(acceptor, "no_such_action", 1), 409, "action_not_available")
	k.fails(act(acceptor, "approve_preparation", 1), 409, "action_not_available")
	k.fails(act(citizen, "accept_prep", 1), 403, "forbidden")
	e = k.fails(call{method: "POST", path: actions, token: acceptor,
		body: map[string]any{"action": "supplement_prep", "expected_version": 1, "comment": "请补正。", "items": []string{}}}, 422, "invalid_input")
	if !e.hasField("items", "required") {
		t.Errorf("supplement without items: %+v", e)
	}
	e = k.fails(call{method: "POST", path: actions, token: acceptor,
		body: map[string]any{"action": "supplement_prep", "expected_version": 1, "items": []string{"individual_members[3].id_number", "no_such_field"}}}, 422, "invalid_input")
	if !e.hasField("items[1]", "unknown_item") || !e.hasField("comment", "required") || len(e.Error.Fields) != 2 {
		t.Errorf("supplement with an unknown item and no notice: %+v", e)
	}
	e = k.fails(act(acceptor, "reject", 1), 422, "invalid_input")
	if !e.hasField("fields.reason", "required") {
		t.Errorf("rejection without a reason: %+v", e)
	}
	k.fails(call{method: "POST", path: actions, token: acceptor, body: `{"action": "accept_prep", "expected_version": 1, "state": "registered"}`}, 400, "bad_json")
	e = k.fails(call{method: "POST", path: actions, token: acceptor, body: `{"action": "accept_prep", "expected_version": "1"}`}, 422, "invalid_input")
	if !e.hasField("expected_version", "wrong_type") {
		t.Errorf("expected_version of the wrong type: %+v", e)
	}
	k.fails(call{method: "POST", path: actions, token: acceptor, body: "action=accept_prep", contentType: "text/plain"}, 415, "json_required")
	k.fails(call{method: "POST", path: actions, token: acceptor, body: `{}`, announce: tooLarge}, 413, "too_large")
	k.fails(call{method: "POST", path: actions, client: browser.c, body: map[string]any{"action": "withdraw", "expected_version": 1}}, 403, "csrf_failed")
	k.fails(act("", "accept_prep", 1), 401, "login_required")

	var after caseJSON
	k.do(call{method: "POST", path: actions, token: acceptor, valid: true, out: &after,
		body: map[string]any{"action": "accept_prep", "expected_version": 1, "comment": "材料齐全，予以受理。"}}, 200)
	if after.ID != cs.ID || after.State != "prep_review" || after.Version != 2 {
		t.Errorf("after accepting: %+v", after)
	}
	stale(k.fails(act(acceptor, "accept_prep", 1), 409, "stale_version"), "prep_review", 2)
	k.fails(act(acceptor, "accept_prep", 2), 409, "action_not_available")
	view = viewJSON{}
	k.do(call{method: "GET", path: caseURL, token: citizen, valid: true, out: &view}, 200)
	if view.Case.Version != 2 || len(view.Events) != 2 || view.Events[1].Action != "accept_prep" ||
		len(view.Documents) != 1 || view.Documents[0].Kind != "acceptance_notice" {
		t.Errorf("the applicant's view after acceptance: %+v", view)
	}
	checkDocumentRoutes(t, k, view.Documents[0].ID, view.Documents[0].VerifyCode, citizen, dalian)
	k.do(call{method: "GET", path: "/api/v1/inbox", token: acceptor, valid: true, out: &inbox}, 200)
	if len(inbox.Cases) != 0 {
		t.Errorf("an accepted case stays in the acceptor's inbox: %+v", inbox)
	}
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
				if p != "/readyz" { // whose 503 is its own answer, not an error
					want = append(want, 503)
					if ref := op.Responses.Status(503); ref != nil && ref.Value.Headers["Retry-After"] == nil {
						t.Errorf("%s: the 503 answer must declare the Retry-After header", name)
					}
				}
			}
			if !public && op.Extensions["x-permission"] != nil && method == http.MethodGet {
				want = append(want, 403)
			}
			if op.RequestBody != nil {
				want = append(want, 413, 415, 422)
				if op.RequestBody.Value.Content.Get("application/json") != nil {
					want = append(want, 400) // bad_json
				}
			}
			if method == http.MethodPost || method == http.MethodPut || method == http.MethodDelete {
				want = append(want, 403) // csrf_failed at least
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
				for mediaType, mt := range op.RequestBody.Value.Content {
					switch mediaType {
					case "application/json":
						body := mt.Schema.Value
						if body.AdditionalProperties.Has == nil || *body.AdditionalProperties.Has {
							t.Errorf("%s: the server refuses unknown members, so the body needs additionalProperties: false", name)
						}
					case "multipart/form-data":
					default:
						t.Errorf("%s: the server reads JSON and multipart/form-data bodies, not %s", name, mediaType)
					}
				}
			}
			if perm, ok := op.Extensions["x-permission"].(string); ok && !strings.Contains(op.Description, "`"+perm+"`") {
				t.Errorf("%s: the description must name the permission `%s`", name, perm)
			}
			for status, ref := range op.Responses.Map() {
				if ref.Value.Headers["X-Request-Id"] != nil {
					continue
				}
				t.Errorf("%s: the %s answer must declare the X-Request-Id header", name, status)
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
