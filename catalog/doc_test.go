package catalog

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// exampleBlock finds the examples of docs/catalog.md: a marker naming the file, then a YAML block.
var exampleBlock = regexp.MustCompile("(?s)<!-- example: ([^ ]+) -->\n```yaml\n(.*?)```\n")

func TestDocumentedExampleLintsClean(t *testing.T) {
	for _, d := range Lint(Builtin, "testdata/example", testNames) {
		t.Error(d)
	}
	c, _, err := Load(Builtin, "testdata/example", testNames)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Item("sg-name-preapproval"); !ok {
		t.Fatal("the example item was not loaded")
	}
}

func TestDocumentationShowsTheExampleFiles(t *testing.T) {
	doc, err := os.ReadFile("../docs/catalog.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := exampleBlock.FindAllStringSubmatch(string(doc), -1)
	if len(blocks) != 3 {
		t.Fatalf("docs/catalog.md should show the example form, item and document template, found %d marked blocks", len(blocks))
	}
	seen := map[string]bool{}
	for _, b := range blocks {
		path := b[1]
		want, err := os.ReadFile(filepath.Join("..", path))
		if err != nil {
			t.Fatal(err)
		}
		if b[2] != string(want) {
			t.Errorf("docs/catalog.md shows a different %s; copy the file into the page", path)
		}
		seen[strings.TrimPrefix(path, "catalog/testdata/example/")] = true
	}
	for _, f := range []string{"items/name-preapproval.yaml", "forms/name-preapproval.yaml", "documents/name_approval_notice.yaml"} {
		if !seen[f] {
			t.Errorf("docs/catalog.md does not show %s", f)
		}
	}
}
