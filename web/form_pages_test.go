package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/civicflow/civicflow/stacktest"
)

// On a supplement answer a repeat left as it is shows as a table under its label across the whole
// form (marked wide for the style sheet), not squeezed into the value column of a label list.
func TestLockedRepeatsSpanTheForm(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.user("wide.applicant", "org_applicant@*")
		st.user("wide.acceptor", "acceptor@2101*")
		c := st.startPreparation(st.token("wide.applicant"), "沈阳市青年书法协会")
		st.step(st.token("wide.acceptor"), c, "supplement_prep", "prep_supplement", map[string]any{"comment": "请补正名称。",
			"items": []string{"name"}})
		b := st.browser()
		b.login("wide.applicant")
		body, _ := b.page("/cases/"+strconv.FormatInt(c.ID, 10)+"/edit?action=resubmit_prep", http.StatusOK)
		for _, want := range []string{`<div class="locked wide" id="f-leaders">`, `<dt class="wide">拟任负责人</dt>`, `<div class="table-scroll"><table class="compact">`} {
			if !strings.Contains(body, want) {
				t.Errorf("the answer page lacks %s", want)
			}
		}
		if !strings.Contains(body, `<div class="locked" id="f-domicile">`) {
			t.Error("a single locked value is not shown as a plain locked field")
		}
		_, css, _ := b.get("/static/site.css")
		for _, rule := range []string{"dl.summary > .wide { grid-column: 1 / -1; }", "dl.summary dd { min-width: 0; }", ".form.application > :not(.locked) { max-width: 36rem; }"} {
			if !strings.Contains(css, rule) {
				t.Errorf("the style sheet lacks %s", rule)
			}
		}
	})
}

// Each file input takes and names the file types of its material: 筹备申请书 PDF only, a material
// that names no types PDF, JPEG and PNG; the hint is read out with the input.
func TestFileInputsFollowTheirMaterial(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.user("file.applicant", "org_applicant@*")
		b := st.browser()
		b.login("file.applicant")
		body, _ := b.page("/catalog/"+sgItem+"/apply", http.StatusOK)
		for _, want := range []string{
			`<p class="hint" id="f-application_letter-types">可上传的文件格式：PDF。</p>`,
			`id="f-application_letter" name="upload:application_letter" type="file" accept="application/pdf,.pdf" aria-describedby="f-application_letter-types">`,
			`<p class="hint" id="f-sponsor_approval-types">可上传的文件格式：PDF、JPEG、PNG。</p>`,
			`name="upload:sponsor_approval" type="file" accept="application/pdf,.pdf,image/jpeg,.jpg,.jpeg,image/png,.png"`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("the application page lacks %s", want)
			}
		}
		if strings.Contains(body, "PDF、JPG 或 PNG") {
			t.Error("the application page still names one list of file types for every material")
		}
		b.inLanguage("en")
		body, _ = b.page("/catalog/"+sgItem+"/apply", http.StatusOK)
		if !strings.Contains(body, `<p class="hint" id="f-sponsor_approval-types">File types accepted: PDF, JPEG, PNG.</p>`) {
			t.Error("the English application page does not name the file types")
		}
	})
}

// A form's error summary takes the focus when the page opens, so that a screen reader announces it.
func TestErrorSummaryTakesTheFocus(t *testing.T) {
	st := startSite(t, stacktest.SQLite(t))
	b := st.browser()
	_, _, token := b.get("/login")
	_, body := b.post("/login", url.Values{"login": {"nobody"}, "password": {"wrong"}, "_csrf": {token}})
	if !strings.Contains(body, `<div class="error-summary" role="alert" tabindex="-1" autofocus`) {
		t.Error("the login page's error summary does not take the focus")
	}
}
