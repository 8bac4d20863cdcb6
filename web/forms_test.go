package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/civicflow/civicflow/stacktest"
)

// memberRows are n tab-separated rows of individual members as a spreadsheet copies them, the
// first with number from.
func memberRows(t *testing.T, from, n int) string {
	var b strings.Builder
	for i := from; i < from+n; i++ {
		fmt.Fprintf(&b, "会员%02d\t%s\t139%08d\n", i, residentID(t, i), i)
	}
	return b.String()
}

// An applicant pastes a member list into the form without JavaScript: a list with errors is refused
// with the errors by line and column and nothing typed is lost; a good one is added after the typed
// rows and kept in the draft; a row's remove button posts the form without the row; the page comes
// back at the repeat's anchor.
func TestMemberListImportOnThePage(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.user("clerk", "org_applicant@*")
		b := st.browser()
		b.login("clerk")
		apply := "/catalog/" + sgItem + "/apply"
		status, page, token := b.get(apply)
		if status != http.StatusOK {
			t.Fatalf("apply page: %d", status)
		}
		for _, want := range []string{`<script src="/static/repeat.js" defer></script>`, `name="table_text:individual_members"`,
			`name="table_file:individual_members"`, `value="import:individual_members"`, `<template class="repeat-row">`,
			`name="individual_members[#].name"`, `value="remove_row:individual_members[0]"`, `data-max="5000"`,
			`formaction="/catalog/` + sgItem + `/apply#f-individual_members"`,
			`href="/catalog/` + sgItem + `/tables/individual_members.csv?form=sg_preparation&amp;lang=zh-CN"`} {
			if !strings.Contains(page, want) {
				t.Errorf("the apply page lacks %s", want)
			}
		}

		typed := url.Values{"_csrf": {token}, "name": {"沈阳市青年创业促进会"}, "individual_members[0].name": {"已填写的会员"},
			"individual_members[0].id_number": {residentID(t, 1)}, "intent": {"import:individual_members"}}
		bad := "姓名\t居民身份证号码\t手机号码\n" + memberRows(t, 2, 2) + "重复的会员\t" + residentID(t, 1) + "\n\t" + residentID(t, 9) + "\t123\n"
		typed.Set("table_text:individual_members", bad)
		resp, body := b.postFiles(apply, typed, nil)
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("import with errors: %d", resp.StatusCode)
		}
		for _, want := range []string{"名单中有 3 处错误，没有导入", "第 4 行 居民身份证号码</strong>：与已填写的第 1 行相同", "第 5 行 姓名</strong>：此项为必填项。",
			"第 5 行 手机号码</strong>：", `value="已填写的会员"`, "<details class=\"table-import\" open>", html.EscapeString(bad)} {
			if !strings.Contains(body, want) {
				t.Errorf("the refused import lacks %q", want)
			}
		}
		if strings.Contains(body, `name="individual_members[1].name"`+` type="text" value="会员02"`) {
			t.Error("a refused list was added")
		}

		typed.Set("table_text:individual_members", "姓名\t居民身份证号码\t手机号码\n"+memberRows(t, 2, 49))
		resp, body = b.postFiles(apply, typed, nil)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "已导入 49 行") || !strings.Contains(body, `value="会员50"`) {
			t.Fatalf("import: %d, imported note %v", resp.StatusCode, strings.Contains(body, "已导入 49 行"))
		}
		_, page, token = b.get(apply)
		if !strings.Contains(page, `value="已填写的会员"`) || !strings.Contains(page, `name="individual_members[49].name" type="text" value="会员50"`) {
			t.Error("the draft does not keep the typed and imported rows")
		}

		resp, body = b.postFiles(apply, url.Values{"_csrf": {token}, "individual_members[0].name": {"甲"}, "individual_members[1].name": {"乙"},
			"individual_members[2].name": {"丙"}, "intent": {"remove_row:individual_members[1]"}}, nil)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `value="甲"`) || strings.Contains(body, `value="乙"`) ||
			!strings.Contains(body, `name="individual_members[1].name" type="text" value="丙"`) {
			t.Errorf("remove row without JavaScript: %d", resp.StatusCode)
		}
	})
}

// The list's templates, the guide's model articles, and the API that reads a list without saving.
func TestListTemplatesAndImportAPI(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.user("clerk", "org_applicant@*")
		get := func(path string) (*http.Response, string) {
			resp, err := http.Get(st.base + path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp, string(b)
		}
		resp, body := get("/catalog/" + sgItem + "/tables/individual_members.csv")
		if resp.StatusCode != 200 || body != "\uFEFF姓名,居民身份证号码,手机号码\n" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
			t.Errorf("CSV template: %d %q %s", resp.StatusCode, body, resp.Header.Get("Content-Type"))
		}
		resp, _ = get("/catalog/" + sgItem + "/tables/leaders.xlsx?form=sg_establishment&lang=en")
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Disposition"), `filename="social-group-establishment-leaders.xlsx"`) {
			t.Errorf("XLSX template: %d %s", resp.StatusCode, resp.Header.Get("Content-Disposition"))
		}
		for _, missing := range []string{"/tables/individual_members.exe", "/tables/name.csv", "/tables/nothing.csv", "/tables/leaders.csv?form=nope", "/templates/nothing.txt", "/templates/..%2Fsocial-group-establishment.yaml"} {
			if resp, _ := get("/catalog/" + sgItem + missing); resp.StatusCode != http.StatusNotFound {
				t.Errorf("%s: %d", missing, resp.StatusCode)
			}
		}
		resp, body = get("/catalog/" + sgItem + "/templates/model-articles.txt")
		if resp.StatusCode != 200 || !strings.Contains(body, "第一章") || resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" ||
			!strings.Contains(resp.Header.Get("Content-Disposition"), "attachment; filename=\"model-articles.txt\"; filename*=UTF-8''") {
			t.Errorf("model articles: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"))
		}
		// A browser that has the file already is told so, without the file.
		again, err := http.NewRequest("GET", st.base+"/catalog/"+sgItem+"/templates/model-articles.txt", nil)
		if err != nil {
			t.Fatal(err)
		}
		again.Header.Set("If-None-Match", resp.Header.Get("ETag"))
		if r, err := http.DefaultClient.Do(again); err != nil || r.StatusCode != http.StatusNotModified {
			t.Errorf("the model articles asked again with their ETag: %v %v", r, err)
		} else {
			r.Body.Close()
		}
		if _, guide := get("/catalog/" + sgItem); !strings.Contains(guide, `href="/catalog/`+sgItem+`/templates/model-articles.txt"`) {
			t.Error("the guide does not offer the model articles")
		}

		post := func(token, text string) (int, map[string]any) {
			var body bytes.Buffer
			w := multipart.NewWriter(&body)
			_ = w.WriteField("text", text)
			_ = w.Close()
			req, _ := http.NewRequest("POST", st.base+"/api/v1/catalog/"+sgItem+"/tables/individual_members", &body)
			req.Header.Set("Content-Type", w.FormDataContentType())
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var out map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&out)
			return resp.StatusCode, out
		}
		token := st.token("clerk")
		code, out := post(token, "name,id_number\n甲,"+residentID(t, 1)+"\n乙,"+residentID(t, 1)+"\n")
		if code != 200 || len(out["rows"].([]any)) != 2 || len(out["errors"].([]any)) != 2 {
			t.Errorf("API import: %d %v", code, out)
		}
		if code, _ := post("", "x"); code != http.StatusUnauthorized {
			t.Errorf("API import without credentials: %d", code)
		}
	})
}

// tablesContract checks that the list import API answers as openapi.json says, its errors included,
// and that the catalogue's item lists its templates; applicant may apply, other may not.
func tablesContract(t *testing.T, k *contract, applicant, other string) {
	list := func(token, path, text string) call {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		if text != "" {
			_ = w.WriteField("text", text)
		}
		_ = w.Close()
		return call{method: "POST", path: "/api/v1/catalog/" + sgItem + "/tables/" + path, token: token, body: buf.String(), contentType: w.FormDataContentType()}
	}
	var out struct {
		Rows   []map[string]string
		Errors []struct{ Row int }
	}
	c := list(applicant, "individual_members", "姓名\t居民身份证号码\n甲\t"+residentID(t, 1)+"\n乙\t"+residentID(t, 1)+"\n丙\tx\n")
	c.valid, c.out = true, &out
	k.do(c, 200)
	if len(out.Rows) != 3 || len(out.Errors) != 3 || out.Errors[2].Row != 4 {
		t.Errorf("%+v", out)
	}
	c = list(applicant, "leaders?form=sg_establishment", "张三,"+residentID(t, 2)+",会长\n")
	c.valid = true
	k.do(c, 200)
	k.fails(list(applicant, "nothing", "x"), 404, "not_found")
	k.fails(list(applicant, "individual_members?form=nope", "x"), 404, "not_found")
	k.fails(list(applicant, "individual_members", ""), 422, "invalid_input")
	k.fails(list(applicant, "individual_members", "\"a\nb\"c\"d,\"\n"), 422, "list_unreadable")
	k.fails(list(other, "individual_members", "x"), 403, "forbidden")
	k.fails(list("", "individual_members", "x"), 401, "login_required")
	k.fails(call{method: "POST", path: "/api/v1/catalog/" + sgItem + "/tables/individual_members", token: applicant, body: "x", contentType: "text/csv"}, 415, "multipart_required")

	var item struct {
		Templates []struct{ File, SHA256 string }
	}
	k.do(call{method: "GET", path: "/api/v1/catalog/" + sgItem, valid: true, out: &item}, 200)
	if len(item.Templates) != 1 || item.Templates[0].File != "model-articles.txt" || len(item.Templates[0].SHA256) != 64 {
		t.Errorf("templates %+v", item.Templates)
	}
}
