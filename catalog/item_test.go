package catalog

import "testing"

func TestEveryCategoryHasAnEnglishName(t *testing.T) {
	for _, c := range Categories {
		if n := CategoryName(c); n.ZH != c || n.EN == "" || n.EN == c {
			t.Errorf("category %s: %+v", c, n)
		}
	}
}
