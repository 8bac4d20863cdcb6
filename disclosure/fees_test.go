package disclosure

import "testing"

// The fees of 国办函〔2020〕109号, per request in a calendar month and per page, at every band's edges.
func TestFees(t *testing.T) {
	for _, tc := range []struct {
		method string
		n      int
		yuan   int64
	}{
		{FeePerRequest, 1, 0}, {FeePerRequest, 10, 0}, {FeePerRequest, 11, 100}, {FeePerRequest, 30, 100},
		{FeePerRequest, 31, 200}, {FeePerRequest, 40, 200}, {FeePerRequest, 41, 300}, {FeePerRequest, 50, 300},
		{FeePerRequest, 51, 400}, {FeePerRequest, 95, 800},
		{FeePerPage, 0, 0}, {FeePerPage, 30, 0}, {FeePerPage, 31, 10}, {FeePerPage, 50, 200}, {FeePerPage, 100, 700},
		{FeePerPage, 101, 720}, {FeePerPage, 200, 2700}, {FeePerPage, 201, 2740}, {FeePerPage, 250, 4700},
	} {
		got, err := Fee(tc.method, tc.n)
		if err != nil || got != tc.yuan*100 {
			t.Errorf("%s %d: %d fen (%v), want %d yuan", tc.method, tc.n, got, err, tc.yuan)
		}
	}
	if _, err := Fee("both", 11); err == nil {
		t.Error("an unknown method counts a fee")
	}
}
