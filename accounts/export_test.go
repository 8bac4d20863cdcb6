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

// Live reports whether c is in use: subscribed to the other processes' evictions.
func (c *Cache) Live() bool { return c.live.Load() }
