package stacktest

import "testing"

// Step runs one step of a scenario test as the subtest name of *t, and ends the scenario when the
// step fails: later steps build on it. While the step runs, *t is the subtest, so that a fixture
// holding the test (pass &fixture.t) reports there. A scenario reads as a setup, then one Step per
// stage, each named in the output.
func Step(t **testing.T, name string, fn func(t *testing.T)) {
	parent := *t
	parent.Helper()
	ok := parent.Run(name, func(sub *testing.T) {
		*t = sub
		defer func() { *t = parent }()
		fn(sub)
	})
	if !ok {
		parent.FailNow()
	}
}
