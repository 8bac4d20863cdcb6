package stacktest

import "testing"

// Step runs one step of a scenario test as a subtest called name, and ends the scenario when the
// step fails: later steps build on it. hold points at the test a fixture holds (pass &fixture.t, a
// *testing.T or a testing.TB that is one); while the step runs it holds the subtest, so that the
// fixture's helpers report there. A scenario reads as a setup, then one Step per stage, each named
// in the output.
func Step[T testing.TB](hold *T, name string, fn func(t *testing.T)) {
	parent, ok := any(*hold).(*testing.T)
	if !ok {
		(*hold).Fatalf("stacktest.Step %q: the fixture holds a %T, not a test", name, *hold)
	}
	parent.Helper()
	ok = parent.Run(name, func(sub *testing.T) {
		*hold = any(sub).(T)
		defer func() { *hold = any(parent).(T) }()
		fn(sub)
	})
	if !ok {
		parent.FailNow()
	}
}
