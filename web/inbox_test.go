package web_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/civicflow/civicflow/stacktest"
)

var stateSelect = regexp.MustCompile(`(?s)<select id="state" name="state">.*?</select>`)

// The inbox's state filter offers, by name, the states where the caller acts, and keeps the chosen
// one in the URL and on the form.
func TestInboxStateFilterNamesTheCallersStates(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.user("inbox.applicant", "org_applicant@*")
		st.user("inbox.acceptor", "acceptor@2101*")
		c := st.startPreparation(st.token("inbox.applicant"), "沈阳市青年书法协会")
		b := st.browser()
		b.login("inbox.acceptor")

		body, _ := b.page("/inbox?state=prep_acceptance", http.StatusOK)
		sel := stateSelect.FindString(body)
		for _, want := range []string{`<option value="">`, `<option value="prep_acceptance" selected>筹备申请受理</option>`,
			`<option value="est_acceptance">成立登记受理</option>`} {
			if !strings.Contains(sel, want) {
				t.Errorf("the state filter lacks %s:\n%s", want, sel)
			}
		}
		if strings.Contains(sel, "prep_review") || strings.Contains(sel, "registered") {
			t.Errorf("the state filter offers states where an acceptor does not act:\n%s", sel)
		}
		if !strings.Contains(body, c.Number) {
			t.Error("the case waiting for acceptance is not listed under its state")
		}

		body, _ = b.page("/inbox?state=est_acceptance", http.StatusOK)
		if strings.Contains(body, c.Number) || !strings.Contains(stateSelect.FindString(body), `<option value="est_acceptance" selected>`) {
			t.Error("filtering by another state lists the case or forgets the choice")
		}
		body, _ = b.page("/inbox?state=old_state", http.StatusOK)
		if !strings.Contains(stateSelect.FindString(body), `<option value="old_state" selected>old_state</option>`) {
			t.Error("a state the caller does not act in is not kept on the form")
		}
		b.inLanguage("en")
		body, _ = b.page("/inbox", http.StatusOK)
		if !strings.Contains(stateSelect.FindString(body), `<option value="prep_acceptance">Preparation: acceptance</option>`) {
			t.Error("the state filter is not named in English")
		}
	})
}
