package web_test

import (
	"net/http"
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
