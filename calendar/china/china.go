// Package china holds China Standard Time apart from package calendar, so that the packages that
// cannot import calendar can reckon in it too: the migrations, which the tests of the policies (that
// calendar's overrides import) run.
package china

import "time"

// Zone is China Standard Time, in which every deadline is reckoned whatever the server's own zone.
// It falls back to a fixed UTC+8 when the system has no time-zone database: China has kept UTC+8
// without daylight saving since 1991.
var Zone = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}()
