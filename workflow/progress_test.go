package workflow_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/stacktest"
	"github.com/civicflow/civicflow/workflow"
)

// A divorce case's query code is the spouses' to see, not the clerk's nor a stranger's; with the
// number it answers the stage and the dates and nothing personal, however it is typed; a wrong code
// and an unknown number answer alike; right lookups do not count against the address, wrong ones
// do, and past the limit even the right code is refused.
func TestProgressLookup(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		d := newDivorce(t, s)
		c := d.accept("2027-09-02")
		code := d.get(d.wife, c).Case.QueryCode
		if len(code) != workflow.QueryCodeLength || strings.ToUpper(code) != code {
			t.Fatalf("the wife's view has the query code %q", code)
		}
		if got := d.get(d.husband, c).Case.QueryCode; got != code {
			t.Errorf("the husband's view has the query code %q, want %q", got, code)
		}
		if got := d.get(d.acceptor, c).Case.QueryCode; got != "" {
			t.Errorf("the clerk's view has the query code %q", got)
		}
		if _, err := d.eng.Get(d.ctx, d.actor(d.stranger), c.ID); !problem.Is(err, problem.NotFound) {
			t.Errorf("a stranger reads the case: %v", err)
		}

		limit := accounts.GuessLimit{Max: 3, Window: time.Hour}
		lookUp := func(number, code string) (*workflow.Progress, error) {
			return d.eng.Progress(d.ctx, workflow.ProgressQuery{Number: number, Code: code, Address: "10.0.0.1", Limit: limit})
		}
		for range limit.Max + 1 { // right lookups are not counted
			p, err := lookUp(" "+c.Number, strings.ToLower(code[:3])+" "+code[3:])
			if err != nil {
				t.Fatal(err)
			}
			if p.Number != c.Number || p.Item.ZH != "离婚登记" || p.State != "cooling_off" || p.Stage.ZH == "" ||
				p.Received != "2027-09-02" || p.Accepted != "2027-09-02" || p.Decided != "" ||
				p.Due == nil || p.Due.Statutory != "2027-10-08" {
				t.Fatalf("the progress: %+v due %+v", p, p.Due)
			}
			body, _ := json.Marshal(p)
			for _, personal := range []string{"王芳", "张伟", "11010519491231002X", "K7M2Q9XR", code} {
				if strings.Contains(string(body), personal) {
					t.Errorf("the progress tells %s: %s", personal, body)
				}
			}
		}
		wrong := strings.Repeat("2", workflow.QueryCodeLength)
		if wrong == code {
			wrong = strings.Repeat("3", workflow.QueryCodeLength)
		}
		_, errWrong := lookUp(c.Number, wrong)
		_, errUnknown := lookUp("210102-2027-999999", code)
		if errWrong != workflow.ErrProgressNotFound || errUnknown != workflow.ErrProgressNotFound {
			t.Errorf("a wrong code: %v; an unknown number: %v", errWrong, errUnknown)
		}
		if _, err := lookUp(c.Number, ""); !problem.Is(err, problem.Invalid) {
			t.Errorf("no code: %v", err)
		}
		_, _ = lookUp(c.Number, wrong) // the third wrong guess
		if _, err := lookUp(c.Number, code); err != accounts.ErrTooManyGuesses {
			t.Errorf("the right code after the limit: %v", err)
		}
		if _, err := d.eng.Progress(d.ctx, workflow.ProgressQuery{Number: c.Number, Code: code, Address: "10.0.0.2", Limit: limit}); err != nil {
			t.Errorf("another address is not throttled: %v", err)
		}
	})
}
