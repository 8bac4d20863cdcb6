package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/stacktest"
	"github.com/civicflow/civicflow/workflow"
)

func TestCatalogLintCommand(t *testing.T) {
	s := stacktest.SQLite(t)
	t.Setenv(catalogDirEnv, "")
	out, err := run(t, s, "", "catalog", "lint")
	if err != nil || !strings.Contains(out, "no problems") {
		t.Fatalf("lint of the built-in catalog: %v\n%s", err, out)
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "items"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "items", "bad.yaml"), []byte("code: bad\nnmae: {zh: 坏}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = run(t, s, "", "catalog", "lint", dir)
	if err == nil || !strings.Contains(out, filepath.Join(dir, "items", "bad.yaml")+`:2: unknown key "nmae"`) {
		t.Fatalf("lint of a broken directory: %v\n%s", err, out)
	}
}

func TestCatalogGraphCommand(t *testing.T) {
	s := stacktest.SQLite(t)
	t.Setenv(catalogDirEnv, "")
	for format, want := range map[string]string{"mermaid": "flowchart TD", "dot": "digraph", "svg": "<svg"} {
		out, err := run(t, s, "", "catalog", "graph", "social-group-establishment", "--format", format, "--locale", "en")
		if err != nil || !strings.Contains(out, want) || !strings.Contains(out, "Registered") {
			t.Fatalf("%s: %v\n%.300s", format, err, out)
		}
	}
	if _, err := run(t, s, "", "catalog", "graph", "social-group-establishment", "--format", "png"); err == nil {
		t.Fatal("an unknown format is accepted")
	}
	if _, err := run(t, s, "", "catalog", "graph", "no-such-item"); err == nil {
		t.Fatal("an unknown item is accepted")
	}
}

func TestCatalogVersionsCommand(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		t.Setenv(catalogDirEnv, "")
		c, _, err := catalog.Load(catalog.Builtin, "", workflow.CatalogNames())
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Store(context.Background(), s.DB); err != nil {
			t.Fatal(err)
		}
		it, _ := c.Item("social-group-establishment")
		out, err := run(t, s, "", "catalog", "versions", "social-group-establishment")
		if err != nil || !strings.Contains(out, "* "+it.Hash[:12]) || !strings.Contains(out, it.Source) {
			t.Fatalf("versions: %v\n%s", err, out)
		}
	})
}
