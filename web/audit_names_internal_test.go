package web

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// auditCall finds the action codes written to the audit log: audit.Record, audit.RecordRead and the
// appointments package's record, each with the code as the fourth argument.
var auditCall = regexp.MustCompile(`(?:audit\.Record(?:Read)?|\brecord)\(ctx,\s*[^,]+,\s*[^,]+,\s*"([a-z_.]+)"`)

// Every action the code writes to the audit log has a name in every locale, so that the audit page
// never shows a bare code.
func TestEveryAuditActionHasAName(t *testing.T) {
	tr, err := loadTranslations()
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]bool{}
	err = filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		for _, m := range auditCall.FindAllSubmatch(src, -1) {
			codes[string(m[1])] = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !codes["role.grant"] || !codes["booking.create"] || !codes["user.list"] {
		t.Fatalf("the scan missed known actions: %v", codes)
	}
	for code := range codes {
		zh, okZH := tr.lookup("zh-CN", auditActionID(code), nil)
		en, okEN := tr.lookup("en", auditActionID(code), nil)
		if !okZH || !okEN || zh == en {
			t.Errorf("audit action %s: zh-CN %q, en %q; want a name in each language", code, zh, en)
		}
	}
}
