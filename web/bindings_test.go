package web_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/civicflow/civicflow/register"
	"github.com/civicflow/civicflow/stacktest"
)

// bindingRequestBody is a binding request as a multipart form: the credit code, the letter (none
// when nil) and, for a page, the CSRF token.
func bindingRequestBody(t *testing.T, uscc string, letter []byte, csrf string) (string, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fields := map[string]string{"uscc": uscc}
	if csrf != "" {
		fields["_csrf"] = csrf
	}
	for name, v := range fields {
		if err := w.WriteField(name, v); err != nil {
			t.Fatal(err)
		}
	}
	if letter != nil {
		fw, err := w.CreateFormFile("letter", "授权书.pdf")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fw.Write(letter); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String(), w.FormDataContentType()
}

// seedBindings has the other applicant ask, through the API, to act for the first organisation the
// crawl's registrations entered, and reads every binding back.
func (sd *seeder) seedBindings() {
	t, w := sd.t, sd.w
	uscc := ""
	for _, c := range w.cases {
		if code, ok := c.Fields["uscc"].(string); ok {
			uscc = code
			break
		}
	}
	if uscc == "" {
		t.Fatal("the crawl registered no organisation to bind")
	}
	body, ct := bindingRequestBody(t, uscc, tinyPDF, "")
	req, _ := http.NewRequest(http.MethodPost, sd.st.base+"/api/v1/bindings", strings.NewReader(body))
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Authorization", "Bearer "+w.who["other-applicant"].token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("binding request of the crawl: %d %s", resp.StatusCode, answer)
	}
	if err := sd.st.stack.DB.NewSelect().Model(&w.bindings).Relation("Organisation").OrderExpr("b.id").Scan(sd.ctx); err != nil {
		t.Fatal(err)
	}
	if len(w.bindings) < 2 {
		t.Fatalf("the crawl has %d bindings, want the registrations' and a request", len(w.bindings))
	}
}

// byBinding visits every binding of the world, seen by its applicant and by staff reading bindings in
// the organisation's jurisdiction (a letter only where there is one), and one that does not exist.
func byBinding(format string) func(*crawlWorld) []target {
	letter := strings.HasSuffix(format, "/letter")
	return func(w *crawlWorld) []target {
		out := []target{{path: fmt.Sprintf(format, unknownID), seen: nobody}}
		for _, b := range w.bindings {
			out = append(out, target{path: fmt.Sprintf(format, b.ID), seen: func(p *persona) bool {
				if letter && b.LetterID == nil {
					return false
				}
				return p.id != 0 && p.id == b.UserID || p.readsIn("binding", b.Organisation.Jurisdiction)
			}})
		}
		return out
	}
}

// bindingsContract exercises every binding operation of the API against the document: a request, a
// duplicate, the staff of the jurisdiction deciding while staff of another and other applicants are
// told it does not exist, a refusal that needs a reason, an organisation no longer active, and the
// applicant ending its binding. It returns the organisation.
func bindingsContract(t *testing.T, k *contract, st *site) *register.Organisation {
	t.Helper()
	ctx, db := context.Background(), st.stack.DB
	st.user("b.clerk", "org_applicant")
	st.user("b.other", "org_applicant")
	st.user("b.citizen", "citizen")
	st.user("b.sy", "acceptor@2101*")
	st.user("b.dl", "reviewer@2102*")
	clerk, other, citizen, sy, dl := st.token("b.clerk"), st.token("b.other"), st.token("b.citizen"), st.token("b.sy"), st.token("b.dl")
	org, err := register.Create(ctx, db, register.NewOrganisation{Name: "沈阳市围棋协会", Kind: register.KindSocialGroup, Jurisdiction: "210100"})
	if err != nil {
		t.Fatal(err)
	}
	gone, err := register.Create(ctx, db, register.NewOrganisation{Name: "沈阳市象棋协会", Kind: register.KindSocialGroup, Jurisdiction: "210100"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.NewUpdate().Table("organisations").Set("status = ?", register.StatusDeregistered).Where("id = ?", gone.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}

	request := func(token, uscc string, letter []byte) call {
		body, ct := bindingRequestBody(t, uscc, letter, "")
		return call{method: "POST", path: "/api/v1/bindings", token: token, body: body, contentType: ct, valid: letter != nil}
	}
	var b register.Binding
	c := request(clerk, org.USCC, tinyPDF)
	c.out = &b
	k.do(c, http.StatusCreated)
	if b.Status != register.BindingPending || b.Organisation == nil || b.Organisation.USCC != org.USCC {
		t.Fatalf("request: %+v", b)
	}
	k.fails(request(clerk, org.USCC, tinyPDF), http.StatusConflict, "binding_exists")
	k.fails(request(other, gone.USCC, tinyPDF), http.StatusConflict, "organisation_inactive")
	k.fails(request(other, org.USCC, nil), http.StatusUnprocessableEntity, "invalid_input")
	k.fails(request(citizen, org.USCC, tinyPDF), http.StatusForbidden, "forbidden")

	path := fmt.Sprintf("/api/v1/bindings/%d", b.ID)
	k.do(call{method: "GET", path: "/api/v1/bindings", token: clerk, valid: true}, http.StatusOK)
	k.do(call{method: "GET", path: path, token: clerk, valid: true}, http.StatusOK)
	k.do(call{method: "GET", path: path + "/letter", token: clerk, valid: true}, http.StatusOK)
	for _, token := range []string{other, citizen, dl} {
		k.fails(call{method: "GET", path: path, token: token}, http.StatusNotFound, "not_found")
		k.fails(call{method: "GET", path: path + "/letter", token: token}, http.StatusNotFound, "not_found")
	}
	k.fails(call{method: "POST", path: path + "/unbind", token: other, body: map[string]string{}}, http.StatusNotFound, "not_found")
	k.fails(call{method: "POST", path: path + "/approve", token: dl, body: map[string]string{}}, http.StatusNotFound, "not_found")
	k.fails(call{method: "POST", path: path + "/approve", token: clerk, body: map[string]string{}}, http.StatusForbidden, "forbidden")

	var list struct{ Bindings []register.Binding }
	k.do(call{method: "GET", path: "/api/v1/bindings/review", token: sy, valid: true, out: &list}, http.StatusOK)
	if len(list.Bindings) != 1 || list.Bindings[0].ID != b.ID {
		t.Fatalf("Shenyang's list: %+v", list)
	}
	list.Bindings = nil
	k.do(call{method: "GET", path: "/api/v1/bindings/review", token: dl, valid: true, out: &list}, http.StatusOK)
	if len(list.Bindings) != 0 {
		t.Fatalf("Dalian's list shows Shenyang's request: %+v", list)
	}
	k.fails(call{method: "GET", path: "/api/v1/bindings/review?status=x", token: sy}, http.StatusUnprocessableEntity, "invalid_input")
	k.do(call{method: "GET", path: path + "/letter", token: sy, valid: true}, http.StatusOK)
	k.fails(call{method: "POST", path: path + "/refuse", token: sy, body: map[string]string{"reason": " "}}, http.StatusUnprocessableEntity, "invalid_input")
	k.do(call{method: "POST", path: path + "/approve", token: sy, body: map[string]string{"reason": "授权书核对无误。"}, valid: true, out: &b}, http.StatusOK)
	if b.Status != register.BindingActive {
		t.Fatalf("approved: %+v", b)
	}
	k.fails(call{method: "POST", path: path + "/refuse", token: sy, body: map[string]string{"reason": "晚了"}}, http.StatusConflict, "not_pending")
	k.fails(call{method: "POST", path: path + "/unbind", token: sy, body: map[string]string{}}, http.StatusUnprocessableEntity, "invalid_input")

	// A refusal, through the API: the other applicant's request.
	var refused register.Binding
	c = request(other, org.USCC, tinyPDF)
	c.out = &refused
	k.do(c, http.StatusCreated)
	k.do(call{method: "POST", path: fmt.Sprintf("/api/v1/bindings/%d/refuse", refused.ID), token: sy, body: map[string]string{"reason": "授权书未签字。"},
		valid: true, out: &refused}, http.StatusOK)
	if refused.Status != register.BindingRefused || refused.DecisionReason != "授权书未签字。" {
		t.Fatalf("refused: %+v", refused)
	}
	// The applicant ends its own binding.
	k.do(call{method: "POST", path: path + "/unbind", token: clerk, body: map[string]string{}, valid: true, out: &b}, http.StatusOK)
	if b.Status != register.BindingEnded {
		t.Fatalf("after unbinding: %+v", b)
	}
	k.fails(call{method: "POST", path: path + "/unbind", token: clerk, body: map[string]string{}}, http.StatusConflict, "not_active")
	return org
}

// Binding requests through the API (bindingsContract) and the pages, on both databases: the
// applicant's list and form, the staff list and its decisions, staff of another jurisdiction told the
// request does not exist, and an applicant withdrawing its request.
func TestBindingsThroughTheAPIAndPages(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		k := newContract(t, st, loadOpenAPI(t))
		org := bindingsContract(t, k, st)
		other, sy := st.token("b.other"), st.token("b.sy")

		br := st.browser()
		br.login("b.other")
		status, page, csrf := br.get("/account/organisations")
		if status != http.StatusOK || !strings.Contains(page, `action="/account/organisations"`) || !strings.Contains(page, "授权书未签字。") {
			t.Fatalf("My organisations without its request form or the refusal's reason: %d", status)
		}
		body, ct := bindingRequestBody(t, org.USCC, nil, csrf)
		if resp := postMultipart(t, br, "/account/organisations", body, ct); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("a request without a letter: %d", resp.StatusCode)
		}
		body, ct = bindingRequestBody(t, org.USCC, tinyPDF, csrf)
		if resp := postMultipart(t, br, "/account/organisations", body, ct); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("a request from the page: %d", resp.StatusCode)
		}
		staff := st.browser()
		staff.login("b.sy")
		_, page, csrf = staff.get("/admin/bindings")
		if !strings.Contains(page, org.Name) || !strings.Contains(page, "b.other") {
			t.Fatalf("the staff list does not show the request:\n%s", page)
		}
		var list struct{ Bindings []register.Binding }
		k.do(call{method: "GET", path: "/api/v1/bindings/review", token: sy, out: &list}, http.StatusOK)
		id := list.Bindings[0].ID
		resp, body := staff.post(fmt.Sprintf("/admin/bindings/%d/refuse?status=pending", id), url.Values{"_csrf": {csrf}})
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("a refusal without a reason: %d", resp.StatusCode)
		}
		// The error leads to the reason of the row refused, where the reason is typed again.
		if !strings.Contains(body, `href="#reason"`) || !strings.Contains(body, `<textarea id="reason" name="reason" rows="2" maxlength="2000"></textarea>`) {
			t.Errorf("the refused decision's reason is not where its error points:\n%s", body)
		}
		outsider := st.browser()
		outsider.login("b.dl")
		_, _, dlCSRF := outsider.get("/admin/bindings")
		if resp, _ := outsider.post(fmt.Sprintf("/admin/bindings/%d/approve", id), url.Values{"_csrf": {dlCSRF}}); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("staff of another jurisdiction approving on the page: %d", resp.StatusCode)
		}
		// The applicant withdraws the request from its page.
		_, _, csrf = br.get("/account/organisations")
		if resp, _ := br.post(fmt.Sprintf("/account/organisations/%d/unbind", id), url.Values{"_csrf": {csrf}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("the applicant withdraws its request: %d", resp.StatusCode)
		}
		var b register.Binding
		k.do(call{method: "GET", path: fmt.Sprintf("/api/v1/bindings/%d", id), token: other, out: &b}, http.StatusOK)
		if b.Status != register.BindingWithdrawn {
			t.Fatalf("after withdrawing: %+v", b)
		}
		_, _, csrf = staff.get("/admin/bindings")
		if resp, _ := staff.post(fmt.Sprintf("/admin/bindings/%d/approve", id), url.Values{"_csrf": {csrf}}); resp.StatusCode != http.StatusConflict {
			t.Fatalf("approving a withdrawn request on the page: %d", resp.StatusCode)
		}
	})
}

// postMultipart posts a multipart form with the browser's cookies.
func postMultipart(t *testing.T, b *browser, path, body, contentType string) *http.Response {
	t.Helper()
	resp, err := b.c.Post(b.st.base+path, contentType, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}
