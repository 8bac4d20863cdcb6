package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/civicflow/civicflow/stacktest"
)

// Money reads back from the API as it is sent, in yuan: a client may send back the data it read, and
// an answer to a supplement notice that leaves the funds as read is not refused for changing them.
// A number too large for any amount is a field error at the field's path (a start's paths are the form's).
func TestMoneyRoundTripsThroughTheAPI(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.user("zhang.applicant", "org_applicant@*")
		st.user("sy.acceptor", "acceptor@2101*")
		app, acc := st.token("zhang.applicant"), st.token("sy.acceptor")
		c := st.startPreparation(app, "沈阳市青年创业促进会") // funds "50000" yuan
		c = st.step(acc, c, "supplement_prep", "prep_supplement", map[string]any{"items": []string{"name"}, "comment": "名称不规范。"})

		data := st.getCase(app, c.ID).Case.Data["sg_preparation"].(map[string]any)
		if got := fmt.Sprint(data["funds"]); got != "50000" {
			t.Errorf("the funds read back as %s, want 50000 (yuan, as sent)", got)
		}
		data["name"] = "沈阳市青年创新创业促进会"
		c = st.step(app, c, "resubmit_prep", "prep_acceptance", map[string]any{"data": data})
		if got := fmt.Sprint(st.getCase(acc, c.ID).Case.Data["sg_preparation"].(map[string]any)["funds"]); got != "50000" {
			t.Errorf("the funds after the answer: %s", got)
		}

		body := []byte(`{"item":"social-group-establishment","jurisdiction":"210100","data":{"funds":1e5000}}`)
		a := st.sendKeyed("POST", "/api/v1/cases", app, "", "application/json", body)
		var e apiErr
		_ = json.Unmarshal([]byte(a.body), &e)
		if a.status != http.StatusUnprocessableEntity || !hasFieldPath(e, "funds") || hasFieldPath(e, "data") {
			t.Errorf("funds of 1e5000: %d %s", a.status, a.body)
		}

		// A draft too: it is refused rather than stored unreadable, which broke its application page.
		for _, n := range []string{"1e5000", "-1e5000"} {
			d := st.sendKeyed("PUT", "/api/v1/drafts/social-group-establishment", app, "", "application/json",
				[]byte(`{"data":{"funds":`+n+`,"individual_members":[{"age":`+n+`}]}}`))
			var e apiErr
			_ = json.Unmarshal([]byte(d.body), &e)
			if d.status != http.StatusUnprocessableEntity || !hasFieldPath(e, "funds") || !hasFieldPath(e, "individual_members[0].age") {
				t.Errorf("a draft with funds of %s: %d %s", n, d.status, d.body)
			}
		}
		if code := st.api("GET", "/api/v1/drafts/social-group-establishment", app, nil, nil); code >= 500 {
			t.Errorf("reading the draft after refused saves: %d", code)
		}
	})
}

// hasFieldPath reports whether e has an error at path.
func hasFieldPath(e apiErr, path string) bool {
	for _, f := range e.Error.Fields {
		if f.Path == path {
			return true
		}
	}
	return false
}
