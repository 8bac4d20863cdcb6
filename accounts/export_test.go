package accounts

// Comparisons reads how many passwords have been compared so far.
func Comparisons() int64 { return comparisons.Load() }

// HoldPasswordChecks takes every slot of the password checks until release is called, so that
// attempts queue for one.
func HoldPasswordChecks() (release func()) {
	for range cap(passwordChecks) {
		passwordChecks <- struct{}{}
	}
	return func() {
		for range cap(passwordChecks) {
			<-passwordChecks
		}
	}
}

// ReserveAttempt reserves an attempt as a login does before checking its password.
var ReserveAttempt = reserveAttempt
