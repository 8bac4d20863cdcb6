package materials

import "testing"

func TestFormatMB(t *testing.T) {
	for n, want := range map[int64]string{20 << 20: "20", 1 << 19: "0.5", 100: "0.01", 1500000: "1.43"} {
		if got := formatMB(n); got != want {
			t.Errorf("%d: %s, want %s", n, got, want)
		}
	}
}

func TestContentDisposition(t *testing.T) {
	for name, want := range map[string]string{
		"scan.pdf":   `attachment; filename="scan.pdf"; filename*=UTF-8''scan.pdf`,
		"a b.pdf":    `attachment; filename="a b.pdf"; filename*=UTF-8''a%20b.pdf`,
		"章程.pdf":     `attachment; filename="material-7.pdf"; filename*=UTF-8''%E7%AB%A0%E7%A8%8B.pdf`,
		`x"y\z.png`:  `attachment; filename="material-7.png"; filename*=UTF-8''x%22y%5Cz.png`,
		"":           `attachment; filename="material-7"; filename*=UTF-8''`,
		"r\r\nn.pdf": `attachment; filename="material-7.pdf"; filename*=UTF-8''r%0D%0An.pdf`,
	} {
		if got := contentDisposition(name, 7); got != want {
			t.Errorf("%q:\n got %s\nwant %s", name, got, want)
		}
	}
}
