package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/xuri/excelize/v2"

	"github.com/civicflow/civicflow/disclosure"
	"github.com/civicflow/civicflow/disclosure/reporttest"
	"github.com/civicflow/civicflow/stacktest"
)

func init() {
	// The disclosure report's workbook export.
	openapi3filter.RegisterBodyDecoder("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", openapi3filter.FileBodyDecoder)
}

// disclosureReportPaths visits the report's page or API for the default year and jurisdiction, for
// Shenyang (the crawl's inside) and Dalian, with bad parameters, and for the API every format.
func disclosureReportPaths(path string) func(*crawlWorld) []target {
	queries := []string{"", "?year=2025&jurisdiction=210100", "?year=2025&jurisdiction=210200&done=figures", "?year=x&jurisdiction=y", "?year=1999&jurisdiction=999999"}
	if strings.HasPrefix(path, "/api/") {
		queries = append(queries, "?year=2025&jurisdiction=210100&format=csv", "?year=2025&jurisdiction=210102&format=xlsx",
			"?year=2025&jurisdiction=210100&format=pdf", "?format=doc")
	}
	out := make([]string, len(queries))
	for i, q := range queries {
		out[i] = path + q
	}
	return paths(out...)
}

// get asks for the API path with the token and returns the status, the content type and the body.
func (st *site) raw(path, token string) (int, string, []byte) {
	st.t.Helper()
	req, _ := http.NewRequest("GET", st.base+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		st.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), b
}

// The report through the API is the package's, in JSON and in every export; another jurisdiction is
// refused, a bad year is a field error; the disclosure office keeps figures, sections and a review
// record on the page, which the report then counts; the auditor reads it and changes nothing.
func TestDisclosureReportPagesAndAPI(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		ctx := context.Background()
		reporttest.Insert(t, s.DB, reporttest.Requests2025()...)
		st.user("ar.officer", "disclosure_officer@2101*")
		st.user("ar.dalian", "disclosure_officer@2102*")
		st.user("ar.auditor", "auditor@21*")
		st.user("ar.reviewer", "reviewer@2101*")
		officer, dalian, auditor, reviewer := st.token("ar.officer"), st.token("ar.dalian"), st.token("ar.auditor"), st.token("ar.reviewer")
		const q = "/api/v1/disclosure/report?year=2025&jurisdiction=210100"

		want, err := disclosure.Report(ctx, s.DB, 2025, "210100")
		if err != nil {
			t.Fatal(err)
		}
		var got disclosure.AnnualReport
		if code := st.api("GET", q, officer, nil, &got); code != http.StatusOK {
			t.Fatalf("the report: %d", code)
		}
		wantJSON, _ := json.Marshal(want)
		gotJSON, _ := json.Marshal(got)
		if !bytes.Equal(wantJSON, gotJSON) {
			t.Errorf("the API's report differs from the package's:\n%s\nwant\n%s", gotJSON, wantJSON)
		}
		if got.Requests.Closed != (disclosure.Counts{6, 4, 4, 4, 3, 4, 25}) || got.Authority != "沈阳市民政局" {
			t.Errorf("the report: %s %v", got.Authority, got.Requests.Closed)
		}
		code, typ, body := st.raw(q+"&format=csv", officer)
		wantCSV, _ := want.CSV()
		if code != http.StatusOK || !strings.HasPrefix(typ, "text/csv") || !bytes.Equal(body, wantCSV) {
			t.Errorf("CSV: %d %s\n%s", code, typ, body)
		}
		code, _, body = st.raw(q+"&format=xlsx", auditor)
		if f, err := excelize.OpenReader(bytes.NewReader(body)); code != http.StatusOK || err != nil {
			t.Errorf("XLSX: %d %v", code, err)
		} else if rows, _ := f.GetRows(f.GetSheetList()[3]); len(rows) < 30 || strings.Join(rows[len(rows)-2], ",") != "（七）总计,6,4,4,4,3,4,25" {
			t.Errorf("XLSX table 三: %q", rows)
		}
		if code, typ, body = st.raw(q+"&format=pdf", officer); code != http.StatusOK || typ != "application/pdf" || !bytes.HasPrefix(body, []byte("%PDF-")) {
			t.Errorf("PDF: %d %s", code, typ)
		}
		var e apiErr
		if code := st.api("GET", q, dalian, nil, &e); code != http.StatusForbidden || e.Error.Code != "forbidden" {
			t.Errorf("another jurisdiction's report: %d %+v", code, e)
		}
		if code := st.api("GET", q, reviewer, nil, &e); code != http.StatusForbidden {
			t.Errorf("a reviewer: %d", code)
		}
		if code := st.api("GET", "/api/v1/disclosure/report?year=1999&jurisdiction=210100", officer, nil, &e); code != http.StatusUnprocessableEntity ||
			len(e.Error.Fields) != 1 || e.Error.Fields[0].Path != "year" {
			t.Errorf("a bad year: %d %+v", code, e)
		}
		if code := st.api("GET", "/api/v1/disclosure/report?year=abc", officer, nil, &e); code != http.StatusUnprocessableEntity {
			t.Errorf("a year that is no number: %d", code)
		}
		if code := st.api("GET", q+"&format=doc", officer, nil, &e); code != http.StatusUnprocessableEntity || e.Error.Fields[0].Path != "format" {
			t.Errorf("a bad format: %d %+v", code, e)
		}
		// The default: last year, the officer's first jurisdiction (Shenyang).
		var def disclosure.AnnualReport
		if code := st.api("GET", "/api/v1/disclosure/report", officer, nil, &def); code != http.StatusOK || def.Jurisdiction != "210100" ||
			def.Year != st.clock.Now().Year()-1 {
			t.Errorf("the default report: %d %s %d", code, def.Jurisdiction, def.Year)
		}

		// The page: the tables, then the officer keeps figures, sections and a review record.
		b := st.browser()
		b.login("ar.officer")
		page := "/admin/disclosure/report?year=2025&jurisdiction=210100"
		status, html, csrf := b.get(page)
		if status != http.StatusOK || !strings.Contains(html, "（七）总计") || !strings.Contains(html, `id="figures-form"`) ||
			!strings.Contains(html, "/api/v1/disclosure/report?format=pdf&amp;jurisdiction=210100&amp;year=2025") {
			t.Fatalf("the page: %d\n%s", status, html)
		}
		form := func(v url.Values) url.Values {
			v.Set("_csrf", csrf)
			v.Set("year", "2025")
			v.Set("jurisdiction", "210100")
			return v
		}
		resp, html := b.post("/admin/disclosure/report/figures", form(url.Values{"penalties": {"x"}, "fees": {"3.5"}}))
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(html, `id="penalties-error"`) || !strings.Contains(html, `value="x"`) {
			t.Errorf("a bad figure: %d\n%s", resp.StatusCode, html)
		}
		for _, p := range []struct {
			path string
			v    url.Values
		}{
			{"/admin/disclosure/report/figures", url.Values{"penalties": {"3"}, "fees": {"3.5"}}},
			{"/admin/disclosure/report/sections", url.Values{"overview": {"2025年，本局依法做好政府信息公开工作。"}}},
			{"/admin/disclosure/report/remedies", url.Values{"kind": {"review"}, "result": {"upheld"}, "reference": {"辽政复〔2025〕3号"}}},
		} {
			if resp, html := b.post(p.path, form(p.v)); resp.StatusCode != http.StatusSeeOther {
				t.Errorf("%s: %d\n%s", p.path, resp.StatusCode, html)
			}
		}
		if code := st.api("GET", q, auditor, nil, &got); code != http.StatusOK || got.Proactive.Penalties != 3 || got.Proactive.Fees != "3.5" ||
			got.Reviews.Review.Upheld != 1 || got.Sections[0].Body != "2025年，本局依法做好政府信息公开工作。" {
			t.Errorf("after the officer's entries: %d %+v %+v %+v", code, got.Proactive, got.Reviews, got.Sections)
		}
		list, err := disclosure.Remedies(ctx, s.DB, 2025, "210100")
		if err != nil || len(list) != 1 {
			t.Fatalf("records: %v %v", err, list)
		}
		// Another jurisdiction's officer neither keeps Shenyang's figures nor finds its records.
		bd := st.browser()
		bd.login("ar.dalian")
		_, _, dcsrf := bd.get("/admin/disclosure/report")
		if resp, _ := bd.post("/admin/disclosure/report/figures", url.Values{"_csrf": {dcsrf}, "year": {"2025"}, "jurisdiction": {"210100"}, "penalties": {"9"}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("Dalian's officer keeping Shenyang's figures: %d", resp.StatusCode)
		}
		if resp, _ := bd.post("/admin/disclosure/report/remedies/"+itoa64(list[0].ID)+"/delete", url.Values{"_csrf": {dcsrf}}); resp.StatusCode != http.StatusNotFound {
			t.Errorf("Dalian's officer deleting Shenyang's record: %d", resp.StatusCode)
		}
		if resp, _ := b.post("/admin/disclosure/report/remedies/"+itoa64(list[0].ID), form(url.Values{"result": {"corrected"}})); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("changing the record: %d", resp.StatusCode)
		}
		// The auditor reads the page without its forms, and may not post them.
		ba := st.browser()
		ba.login("ar.auditor")
		if status, html, _ := ba.get(page); status != http.StatusOK || strings.Contains(html, `id="figures-form"`) || !strings.Contains(html, "结果纠正") {
			t.Errorf("the auditor's page: %d", status)
		}
		_, _, acsrf := ba.get(page)
		if resp, _ := ba.post("/admin/disclosure/report/sections", url.Values{"_csrf": {acsrf}, "year": {"2025"}, "jurisdiction": {"210100"}, "overview": {"x"}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("the auditor writing: %d", resp.StatusCode)
		}

		// A record closed before it was received makes the report refuse, naming the column.
		reporttest.Insert(t, s.DB, reporttest.Request{Jurisdiction: "210100", ApplicantType: "other", Received: "2025-05-01", Closed: "2024-05-01", Outcome: "disclosed"})
		var unbalanced struct {
			Error struct {
				Code, Message string
				Detail        disclosure.Unbalanced
			}
		}
		if code := st.api("GET", q, officer, nil, &unbalanced); code != http.StatusConflict || unbalanced.Error.Code != "report_unbalanced" ||
			unbalanced.Error.Detail.Column != "other" || len(unbalanced.Error.Detail.Cases) != 1 {
			t.Errorf("unbalanced data: %d %+v", code, unbalanced)
		}
		if status, html, _ := b.get(page); status != http.StatusConflict || !strings.Contains(html, "其他") {
			t.Errorf("the page of unbalanced data: %d", status)
		}
	})
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

// disclosureReportContract calls the report's API as documented.
func disclosureReportContract(t *testing.T, k *contract, st *site) {
	t.Helper()
	st.user("k.officer", "disclosure_officer@2101*")
	officer := st.token("k.officer")
	for _, f := range []string{"", "&format=json", "&format=csv", "&format=xlsx", "&format=pdf"} {
		k.do(call{method: "GET", path: "/api/v1/disclosure/report?year=2025&jurisdiction=210100" + f, token: officer, valid: true}, 200)
	}
	k.fails(call{method: "GET", path: "/api/v1/disclosure/report?year=2025&jurisdiction=210200", token: officer, valid: true}, 403, "forbidden")
	k.fails(call{method: "GET", path: "/api/v1/disclosure/report?year=1999", token: officer, valid: true}, 422, "invalid_input")
}

// A year given as 0 (or any number out of range) is refused on its field like any bad year: only a
// year left out means last year.
func TestDisclosureReportYearZeroIsRefused(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.user("zero.officer", "disclosure_officer@210100")
		officer := st.token("zero.officer")
		for _, y := range []string{"0", "00", "-0", "99999", "-1"} {
			var e apiErr
			if code := st.api("GET", "/api/v1/disclosure/report?jurisdiction=210100&year="+y, officer, nil, &e); code != http.StatusUnprocessableEntity ||
				len(e.Error.Fields) != 1 || e.Error.Fields[0].Path != "year" {
				t.Errorf("year=%s: %d %+v", y, code, e)
			}
		}
		if code := st.api("GET", "/api/v1/disclosure/report?jurisdiction=210100", officer, nil, nil); code != http.StatusOK {
			t.Errorf("no year (last year): %d", code)
		}
	})
}
