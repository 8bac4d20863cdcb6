package catalog

import (
	"bytes"
	"fmt"
	"html"
	"math"
	"regexp"
	"strings"
)

var svgIDUnsafe = regexp.MustCompile(`[^A-Za-z0-9_-]`)

// SVG draws the item's workflow as a self-contained SVG document: boxes for states (final states
// with a double border, coloured by outcome), arrows labelled with action names, names in locale.
// It needs no fonts, scripts or styles from outside and scales to the width of its container, so
// the guide page can inline it. The output depends only on the definition.
func SVG(it *Item, locale string) []byte {
	l := layoutFlow(it, locale)
	id := "flow-" + svgIDUnsafe.ReplaceAllString(it.Code, "_")
	esc := html.EscapeString
	var b bytes.Buffer
	title := "流程图：" + it.Name.In(locale)
	if locale == "en" {
		title = "Flowchart: " + it.Name.In(locale)
	}
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %s %s" width="%s" height="%s" `+
		`style="max-width:100%%;height:auto" role="img" aria-label="%s" font-family="system-ui, -apple-system, 'Segoe UI', 'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', sans-serif">`+"\n",
		num(l.width), num(l.height), num(l.width), num(l.height), esc(title))
	fmt.Fprintf(&b, "<title>%s</title>\n<desc>%s</desc>\n", esc(title), esc(flowDescription(it, l, locale)))
	fmt.Fprintf(&b, `<defs><marker id="%s-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse">`+
		`<path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker></defs>`+"\n", id)
	if s := l.boxes[it.Workflow.Start]; s != nil && s.rank == 0 {
		fmt.Fprintf(&b, `<g class="start"><circle cx="%s" cy="%s" r="7" fill="#333"/>`+
			`<path d="M%s,%s V%s" stroke="#333" stroke-width="1.5" fill="none" marker-end="url(#%s-arrow)"/></g>`+"\n",
			num(s.cx()), num(s.y-30), num(s.cx()), num(s.y-23), num(s.y-1), id)
	}
	l.drawEdges(&b, id)
	for _, rank := range l.ranks {
		for _, bx := range rank {
			drawBox(&b, bx, locale)
		}
	}
	b.WriteString("</svg>\n")
	return b.Bytes()
}

// outcomeColours are the fill and stroke of final states by outcome; other states are white on blue.
var outcomeColours = map[string][2]string{
	"approved":  {"#e3f1e6", "#1e6b35"},
	"refused":   {"#fbe9e7", "#a12622"},
	"withdrawn": {"#eeeeee", "#555555"},
}

func drawBox(b *bytes.Buffer, bx *flowBox, locale string) {
	fill, stroke := "#ffffff", "#1d4f91"
	if c, ok := outcomeColours[bx.state.Outcome]; ok && bx.state.Final {
		fill, stroke = c[0], c[1]
	}
	fmt.Fprintf(b, `<g class="state" data-state="%s"><rect x="%s" y="%s" width="%s" height="%d" rx="8" fill="%s" stroke="%s" stroke-width="1.5"/>`,
		html.EscapeString(bx.state.ID), num(bx.x), num(bx.y), num(bx.w), svgBoxH, fill, stroke)
	if bx.state.Final {
		fmt.Fprintf(b, `<rect x="%s" y="%s" width="%s" height="%d" rx="5" fill="none" stroke="%s"/>`,
			num(bx.x+4), num(bx.y+4), num(bx.w-8), svgBoxH-8, stroke)
	}
	fmt.Fprintf(b, `<text x="%s" y="%s" font-size="%d" text-anchor="middle" fill="#1a1a1a">%s</text></g>`+"\n",
		num(bx.cx()), num(bx.y+svgBoxH/2+svgFont*0.36), svgFont, html.EscapeString(bx.state.label(locale)))
}

// drawEdges draws every arrow, and then every label over the arrows.
func (l *flowLayout) drawEdges(b *bytes.Buffer, id string) {
	style := fmt.Sprintf(`stroke="#333" stroke-width="1.5" fill="none" marker-end="url(#%s-arrow)"`, id)
	for _, ln := range l.lines {
		fmt.Fprintf(b, `<g class="action" data-from="%s" data-to="%s">`, html.EscapeString(ln.from), html.EscapeString(ln.to))
		p := ln.path
		if ln.direct {
			end := p[len(p)-1]
			c1, c2 := curveControls(p[1], end)
			fmt.Fprintf(b, `<path d="M%s,%s V%s C%s,%s %s,%s %s,%s" %s/>`, num(p[0].x), num(p[0].y), num(p[1].y),
				num(c1.x), num(c1.y), num(c2.x), num(c2.y), num(end.x), num(end.y), style)
		} else {
			fmt.Fprintf(b, `<path d="M%s,%s V%s H%s V%s H%s V%s" %s/>`, num(p[0].x), num(p[0].y), num(p[1].y),
				num(p[2].x), num(p[3].y), num(p[4].x), num(p[5].y), style)
		}
		b.WriteString("</g>\n")
	}
	for _, ln := range l.lines {
		drawLabel(b, ln.label)
	}
}

// drawLabel writes an action name on a white ground so that it stays legible over lines, a line of
// text for each line of the label.
func drawLabel(b *bytes.Buffer, lb flowLabel) {
	g := lb.ground()
	fmt.Fprintf(b, `<g class="label"><rect x="%s" y="%s" width="%s" height="%s" rx="3" fill="#ffffff" fill-opacity="0.9"/>`+
		`<text x="%s" y="%s" font-size="%d" text-anchor="%s" fill="#1a1a1a">`, num(g.x), num(g.y), num(g.w), num(g.h),
		num(lb.x), num(lb.y), svgSmall, lb.anchor)
	for i, line := range lb.lines {
		if i == 0 {
			b.WriteString(html.EscapeString(line))
			continue
		}
		fmt.Fprintf(b, `<tspan x="%s" dy="%d">%s</tspan>`, num(lb.x), svgLine, html.EscapeString(line))
	}
	b.WriteString("</text></g>\n")
}

// flowDescription is the text alternative of the drawing: the start state and every transition.
func flowDescription(it *Item, l *flowLayout, locale string) string {
	name := func(id string) string { return l.boxes[id].state.label(locale) }
	var parts []string
	if l.boxes[it.Workflow.Start] != nil {
		if locale == "en" {
			parts = append(parts, "Starts at “"+name(it.Workflow.Start)+"”.")
		} else {
			parts = append(parts, "从“"+name(it.Workflow.Start)+"”开始。")
		}
	}
	for _, e := range l.lines {
		if locale == "en" {
			parts = append(parts, fmt.Sprintf("From “%s”, %s leads to “%s”.", name(e.from), strings.Join(e.labels, " or "), name(e.to)))
		} else {
			parts = append(parts, fmt.Sprintf("“%s”经“%s”到“%s”。", name(e.from), strings.Join(e.labels, "”或“"), name(e.to)))
		}
	}
	return strings.Join(parts, " ")
}

// wrapLabel breaks an arrow's label into lines no wider than svgLabelW where it can: between words,
// or between CJK characters but not before closing punctuation. It returns the lines and the width
// of the widest.
func wrapLabel(s string) ([]string, float64) {
	var lines []string
	line, widest := "", 0.0
	for _, tok := range labelTokens(s) {
		if line != "" && textWidth(strings.TrimRight(line+tok, " "), svgSmall) > svgLabelW {
			lines = append(lines, strings.TrimRight(line, " "))
			line = ""
		}
		if line == "" {
			tok = strings.TrimLeft(tok, " ")
		}
		line += tok
	}
	lines = append(lines, strings.TrimRight(line, " "))
	for _, ln := range lines {
		widest = max(widest, math.Ceil(textWidth(ln, svgSmall)))
	}
	return lines, widest
}

// labelTokens splits a label where a line may break.
func labelTokens(s string) []string {
	var out []string
	tok, prev := "", rune(0)
	for _, r := range s {
		if tok != "" && breaksBetween(prev, r) {
			out = append(out, tok)
			tok = ""
		}
		tok += string(r)
		prev = r
	}
	if tok != "" {
		out = append(out, tok)
	}
	return out
}

// breaksBetween reports whether a line may break between two characters: after spaces, and before
// or after a CJK character, except before closing punctuation and after opening punctuation.
func breaksBetween(p, r rune) bool {
	switch {
	case strings.ContainsRune("，。、；：）》」』】？！,.;:)", r), strings.ContainsRune("（《「『【(", p):
		return false
	case p == ' ':
		return r != ' '
	}
	return r >= 0x2E80 || p >= 0x2E80
}

// textWidth estimates the width of text in a sans-serif font: CJK characters are square, the rest
// about six tenths of the size. No font metrics are at hand when drawing on the server.
func textWidth(s string, size float64) float64 {
	w := 0.0
	for _, r := range s {
		if r >= 0x2E80 {
			w += size
		} else {
			w += 0.6 * size
		}
	}
	return w
}

// num formats a coordinate without needless decimals.
func num(f float64) string {
	return fmt.Sprintf("%g", math.Round(f*10)/10)
}
