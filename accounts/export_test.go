package accounts

// Comparisons reads how many passwords have been compared so far.
func Comparisons() int64 { return comparisons.Load() }
