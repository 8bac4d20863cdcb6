package catalog

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
)

func builtinItem(t *testing.T, code string) *Item {
	t.Helper()
	for _, it := range builtinItems(t) {
		if it.Code == code {
			return it
		}
	}
	t.Fatalf("no item %s", code)
	return nil
}

func builtinItems(t *testing.T) []*Item {
	t.Helper()
	c, _, err := Load(Builtin, "", testNames)
	if err != nil {
		t.Fatal(err)
	}
	return c.Items()
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
		`s_prep_acceptance -->|"受理 / 逾期未告知补正视为受理"| s_prep_review`, `s_est_decision -->|"准予成立登记"| s_registered`} {
		if !strings.Contains(m, want) {
			t.Errorf("mermaid lacks %s:\n%s", want, m)
		}
	}
	d := Dot(it, "en")
	for _, want := range []string{`digraph "social-group-establishment" {`, `start -> "prep_acceptance";`,
		`"registered" [label="Registered", peripheries=2];`, `"prep_acceptance" -> "prep_review" [label="Accept / Deemed accepted (no answer within 5 working days)"];`} {
		if !strings.Contains(d, want) {
			t.Errorf("dot lacks %s:\n%s", want, d)
		}
	}
}

// drawnRects reads the drawing's rectangles: the white grounds of the action labels and the boxes of
// the states, and the drawing's size.
func drawnRects(t *testing.T, svg []byte) (labels, states []rect, size rect) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(svg))
	group := ""
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return labels, states, size
		}
		if err != nil {
			t.Fatal(err)
		}
		el, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		attr := map[string]float64{}
		for _, a := range el.Attr {
			attr[a.Name.Local], _ = strconv.ParseFloat(a.Value, 64)
			switch a.Name.Local {
			case "class":
				group = a.Value
			case "viewBox":
				if el.Name.Local != "svg" {
					continue // an arrowhead's
				}
				var v [4]float64
				fmt.Sscan(a.Value, &v[0], &v[1], &v[2], &v[3])
				size = rect{v[0], v[1], v[2], v[3]}
			}
		}
		if el.Name.Local == "rect" && (group == "label" || group == "state") {
			r := rect{attr["x"], attr["y"], attr["width"], attr["height"]}
			if group == "label" {
				labels = append(labels, r)
			} else {
				states = append(states, r)
			}
			group = "" // the first rectangle of a group is its ground or box
		}
	}
}

// The labels of every built-in item's flowchart, in both languages, cover neither one another nor a
// state, and lie inside the drawing.
func TestFlowchartLabelsCoverNoLabelOrState(t *testing.T) {
	for _, it := range builtinItems(t) {
		for _, locale := range []string{"zh-CN", "en"} {
			labels, states, size := drawnRects(t, SVG(it, locale))
			if len(labels) != len(flowEdges(it, locale)) || len(states) != len(it.Workflow.States) {
				t.Fatalf("%s %s: %d labels and %d states drawn", it.Code, locale, len(labels), len(states))
			}
			for i, a := range labels {
				for _, b := range labels[i+1:] {
					if a.overlaps(b) {
						t.Errorf("%s %s: labels at %v and %v overlap", it.Code, locale, a, b)
					}
				}
				for _, s := range states {
					if a.overlaps(s) {
						t.Errorf("%s %s: the label at %v covers the state at %v", it.Code, locale, a, s)
					}
				}
				if a.x < size.x || a.y < size.y || a.x+a.w > size.x+size.w || a.y+a.h > size.y+size.h {
					t.Errorf("%s %s: the label at %v is outside the drawing %v", it.Code, locale, a, size)
				}
			}
		}
	}
}

// No arrow of a built-in item's flowchart passes under another arrow's label.
func TestFlowchartLabelsSitOnNoOtherArrow(t *testing.T) {
	for _, it := range builtinItems(t) {
		for _, locale := range []string{"zh-CN", "en"} {
			l := layoutFlow(it, locale)
			for _, a := range l.lines {
				for _, b := range l.lines {
					if a != b && a.label.ground().crosses(b.path) {
						t.Errorf("%s %s: the arrow %s→%s passes under the label %q", it.Code, locale, b.from, b.to, a.label.lines)
					}
				}
			}
		}
	}
}

func TestSteps(t *testing.T) {
	it := builtinItem(t, "social-group-establishment")
	steps := Steps(it)
	if len(steps) != 9 || steps[0].State.ID != "prep_acceptance" {
		t.Fatalf("%d steps, the first %s", len(steps), steps[0].State.ID)
	}
	var lines []string
	for _, st := range steps {
		if st.State.Final {
			t.Errorf("final state %s listed as a step", st.State.ID)
		}
		for _, a := range st.Actions {
			line := st.State.ID + " " + a.Action.ID + " → " + a.To.ID
			if a.After.Days > 0 {
				line += fmt.Sprintf(" after %d %s", a.After.Days, a.After.Unit)
			}
			lines = append(lines, line)
		}
	}
	all := strings.Join(lines, "\n")
	for _, want := range []string{"prep_acceptance accept_prep → prep_review", "prep_supplement deem_withdrawn_prep → withdrawn after 30 calendar_days",
		"prep_acceptance deem_accepted_prep → prep_review after 5 working_days", "est_decision approve_establishment → registered"} {
		if !strings.Contains(all, want) {
			t.Errorf("no step %q in\n%s", want, all)
		}
	}
	if len(lines) != 31 {
		t.Errorf("%d actions listed:\n%s", len(lines), all)
	}
}
