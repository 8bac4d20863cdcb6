package catalog

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
)

func builtinItem(t *testing.T, code string) *Item {
	t.Helper()
	c, _, err := Load(Builtin, "", testNames)
	if err != nil {
		t.Fatal(err)
	}
	it, ok := c.Item(code)
	if !ok {
		t.Fatalf("no item %s", code)
	}
	return it
}

func TestSVG(t *testing.T) {
	it := builtinItem(t, "social-group-establishment")
	for _, locale := range []string{"zh-CN", "en"} {
		svg := SVG(it, locale)
		if !bytes.Equal(svg, SVG(it, locale)) {
			t.Fatal("the drawing is not deterministic")
		}
		// Well-formed XML with the accessible name, and every text of the definition in it.
		var texts []string
		var root xml.StartElement
		dec := xml.NewDecoder(bytes.NewReader(svg))
		for {
			tok, err := dec.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: not valid XML: %v", locale, err)
			}
			switch tok := tok.(type) {
			case xml.StartElement:
				if root.Name.Local == "" {
					root = tok.Copy()
				}
			case xml.CharData:
				texts = append(texts, string(tok))
			}
		}
		attr := map[string]string{}
		for _, a := range root.Attr {
			attr[a.Name.Local] = a.Value
		}
		if root.Name.Local != "svg" || attr["role"] != "img" || !strings.Contains(attr["aria-label"], it.Name.In(locale)) || attr["viewBox"] == "" {
			t.Fatalf("%s: root element %v", locale, root)
		}
		all := strings.Join(texts, "\n")
		for _, s := range it.Workflow.States {
			if !strings.Contains(all, s.Name.In(locale)) {
				t.Errorf("%s: state %s is not drawn", locale, s.ID)
			}
		}
		for _, a := range it.Workflow.Actions {
			if !strings.Contains(all, a.Name.In(locale)) {
				t.Errorf("%s: action %s is not drawn", locale, a.ID)
			}
		}
		for _, forbidden := range []string{"<script", "http://", "https://", "@import", "url(http"} {
			if bytes.Contains(bytes.ReplaceAll(svg, []byte(`xmlns="http://www.w3.org/2000/svg"`), nil), []byte(forbidden)) {
				t.Errorf("%s: the drawing refers to something outside: %s", locale, forbidden)
			}
		}
		if !bytes.Contains(svg, []byte("<title>")) || !bytes.Contains(svg, []byte("<desc>")) {
			t.Errorf("%s: no title or description", locale)
		}
		// One arrow per pair of states joined by an action, one box per state.
		if n, want := bytes.Count(svg, []byte(`<g class="action"`)), len(flowEdges(it, locale)); n != want {
			t.Errorf("%s: %d arrows, want %d", locale, n, want)
		}
		if n := bytes.Count(svg, []byte(`<g class="state"`)); n != len(it.Workflow.States) {
			t.Errorf("%s: %d boxes for %d states", locale, n, len(it.Workflow.States))
		}
	}
}

func TestSVGOfOddDefinitions(t *testing.T) {
	// The drawing must not fail on what the linter rejects: it also draws stored old versions.
	for name, it := range map[string]*Item{
		"empty":       {Code: "empty"},
		"no start":    {Code: "x", Workflow: Workflow{States: []State{{ID: "a"}, {ID: "b", Final: true}}, Actions: []Action{{ID: "go", From: []string{"a"}, To: "b"}}}},
		"self loop":   {Code: "x", Workflow: Workflow{Start: "a", States: []State{{ID: "a"}}, Actions: []Action{{ID: "again", From: []string{"a"}, To: "a"}}}},
		"dangling":    {Code: "x", Workflow: Workflow{Start: "a", States: []State{{ID: "a"}, {ID: "a"}}, Actions: []Action{{ID: "go", From: []string{"a", "zz"}, To: "yy"}}}},
		"final start": {Code: "x", Workflow: Workflow{Start: "a", States: []State{{ID: "a", Final: true}}}},
	} {
		svg := SVG(it, "zh")
		if err := xml.Unmarshal(svg, new(struct{})); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		_ = Mermaid(it, "zh")
		_ = Dot(it, "en")
	}
}

func TestMermaidAndDot(t *testing.T) {
	it := builtinItem(t, "social-group-establishment")
	m := Mermaid(it, "zh")
	for _, want := range []string{"flowchart TD", `start --> s_prep_acceptance`, `s_registered(["准予成立登记"])`,
		`s_prep_acceptance -->|"受理"| s_prep_review`, `s_est_decision -->|"准予成立登记"| s_registered`} {
		if !strings.Contains(m, want) {
			t.Errorf("mermaid lacks %s:\n%s", want, m)
		}
	}
	d := Dot(it, "en")
	for _, want := range []string{`digraph "social-group-establishment" {`, `start -> "prep_acceptance";`,
		`"registered" [label="Registered", peripheries=2];`, `"prep_acceptance" -> "prep_review" [label="Accept"];`} {
		if !strings.Contains(d, want) {
			t.Errorf("dot lacks %s:\n%s", want, d)
		}
	}
}
