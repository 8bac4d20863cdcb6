package web_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/civicflow/civicflow/stacktest"
)

// The guide page lists the workflow's steps beside its flowchart, each state with its actions and
// where they lead, and links to the flowchart alone, in the page's language.
func TestGuideListsTheStepsAndOpensTheFlowchartAlone(t *testing.T) {
	st := startSite(t, stacktest.SQLite(t))
	b := st.browser()
	for lang, want := range map[string][]string{
		"zh-CN": {"办理步骤", "冷静期", "撤回离婚登记申请 → 撤回 （办结）", "申请人", "满30日自动办理"},
		"en":    {"Step by step", "Cooling-off period", "Withdraw the application → Withdrawn (the case ends)", "the applicant", "automatically after 30 days"},
	} {
		b.inLanguage(lang)
		body, _ := b.page("/catalog/divorce-registration", http.StatusOK)
		if !strings.Contains(body, `<ol class="flow-steps"`) || !strings.Contains(body, `href="/catalog/divorce-registration/flowchart.svg?lang=`+lang+`"`) {
			t.Fatalf("%s: no list of steps or no link to the flowchart:\n%s", lang, body)
		}
		_, steps, _ := strings.Cut(body, `<h3 id="steps-title">`)
		steps, _, _ = strings.Cut(steps, "</ol>")
		steps = strings.Join(strings.Fields(tags.ReplaceAllString(steps, " ")), " ")
		for _, w := range want {
			if !strings.Contains(steps, strings.Join(strings.Fields(w), " ")) {
				t.Errorf("%s: the steps do not say %q:\n%s", lang, w, steps)
			}
		}
	}
	resp, err := http.Get(st.base + "/catalog/divorce-registration/flowchart.svg?lang=en")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	svg, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/svg+xml; charset=utf-8" ||
		!strings.HasPrefix(string(svg), "<svg") || !strings.Contains(string(svg), "Flowchart: Divorce registration") {
		t.Errorf("the flowchart alone: %d %s\n%.300s", resp.StatusCode, resp.Header.Get("Content-Type"), svg)
	}
	if code, _, _ := b.get("/catalog/nothing/flowchart.svg"); code != http.StatusNotFound {
		t.Errorf("the flowchart of no item: %d", code)
	}
}
