package catalog

import (
	"bytes"
	"fmt"
	"html"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Sizes of the drawn flowchart, in SVG user units (pixels at scale 1).
const (
	svgFont    = 14  // state names
	svgSmall   = 12  // action names
	svgBoxH    = 44  // box height
	svgBoxPad  = 16  // text to box edge
	svgBoxMinW = 120 // narrowest box
	svgBoxGap  = 32  // between boxes of one rank
	svgMargin  = 24
	svgSlot    = 18 // between parallel lines in a gap
	svgLane    = 22 // between vertical lanes on the right
	svgPort    = 12 // between the ends of lines on a box edge
)

// flowBox is one state placed in the drawing.
type flowBox struct {
	state   State
	rank    int
	pos     int // index in its rank
	x, y, w float64
}

func (b *flowBox) cx() float64     { return b.x + b.w/2 }
func (b *flowBox) bottom() float64 { return b.y + svgBoxH }

// flowLayout is a layered drawing: ranks of boxes from the start state down, final states in the
// last rank. An arrow between neighbouring ranks is drawn directly; every other arrow (backwards,
// within a rank or across ranks) runs in a lane on the right, one lane per target state, so that it
// never crosses a box.
type flowLayout struct {
	boxes  map[string]*flowBox
	ranks  [][]*flowBox
	edges  []flowEdge
	lanes  map[string]int // target state → lane index
	nLanes int
	gaps   []float64 // height of the space below each rank
	top    float64   // height of the space above the first rank
	width  float64
	height float64
	// slots: the y offset index of a lane's line in a gap, by gap (rank above it) and lane.
	branchSlot map[[2]int]int // lines leaving boxes of rank r towards a lane
	entrySlot  map[[2]int]int // lines entering boxes of rank r from a lane
}

// layoutFlow places the states and plans the lines of an item's workflow.
func layoutFlow(it *Item, locale string) *flowLayout {
	w := &it.Workflow
	l := &flowLayout{boxes: map[string]*flowBox{}, edges: flowEdges(it, locale), lanes: map[string]int{},
		branchSlot: map[[2]int]int{}, entrySlot: map[[2]int]int{}}
	order := map[string]int{}
	for i, s := range w.States {
		if _, dup := order[s.ID]; !dup {
			order[s.ID] = i
			l.boxes[s.ID] = &flowBox{state: s, rank: -1}
		}
	}
	// Ranks: distance from the start; states not reached next; final states last.
	next := map[string][]string{}
	for _, e := range l.edges {
		next[e.from] = append(next[e.from], e.to)
	}
	last := -1
	if b := l.boxes[w.Start]; b != nil && !b.state.Final {
		b.rank, last = 0, 0
		for queue := []string{w.Start}; len(queue) > 0; queue = queue[1:] {
			for _, n := range next[queue[0]] {
				if b := l.boxes[n]; b.rank < 0 && !b.state.Final {
					b.rank = l.boxes[queue[0]].rank + 1
					last = max(last, b.rank)
					queue = append(queue, n)
				}
			}
		}
	}
	unreached, finals := last+1, last+1
	for _, s := range w.States {
		if b := l.boxes[s.ID]; b.rank < 0 && !s.Final {
			b.rank, finals = unreached, unreached+1
		}
	}
	for _, s := range w.States {
		if b := l.boxes[s.ID]; s.Final {
			b.rank = finals
		}
	}
	placed := map[string]bool{}
	for _, s := range w.States {
		b := l.boxes[s.ID]
		if placed[s.ID] {
			continue // a duplicate ID; the linter reports it
		}
		placed[s.ID] = true
		for len(l.ranks) <= b.rank {
			l.ranks = append(l.ranks, nil)
		}
		l.ranks[b.rank] = append(l.ranks[b.rank], b)
		b.w = max(svgBoxMinW, math.Ceil(textWidth(b.state.label(locale), svgFont))+2*svgBoxPad)
	}
	l.orderRanks(order)
	l.planLanes()
	l.place()
	return l
}

// orderRanks orders each rank by the mean position of the boxes above that lead to it (the
// barycentre heuristic), which keeps arrows short and uncrossed in the usual top-down workflow.
func (l *flowLayout) orderRanks(order map[string]int) {
	prev := map[string][]string{}
	for _, e := range l.edges {
		prev[e.to] = append(prev[e.to], e.from)
	}
	for r, rank := range l.ranks {
		centre := map[string]float64{}
		for _, b := range rank {
			var sum, n float64
			for _, p := range prev[b.state.ID] {
				if pb := l.boxes[p]; pb.rank < r {
					sum += (float64(pb.pos) + 0.5) / float64(len(l.ranks[pb.rank]))
					n++
				}
			}
			centre[b.state.ID] = 0.5
			if n > 0 {
				centre[b.state.ID] = sum / n
			}
		}
		sort.SliceStable(rank, func(i, j int) bool {
			a, b := rank[i].state.ID, rank[j].state.ID
			if centre[a] != centre[b] {
				return centre[a] < centre[b]
			}
			return order[a] < order[b]
		})
		for i, b := range rank {
			b.pos = i
		}
	}
}

// direct reports whether an arrow goes straight down to the next rank.
func (l *flowLayout) direct(e flowEdge) bool {
	return l.boxes[e.to].rank == l.boxes[e.from].rank+1
}

// fromBelow reports whether a lane enters its target from below (targets in the last rank).
func (l *flowLayout) fromBelow(target string) bool {
	return l.boxes[target].rank == len(l.ranks)-1
}

// planLanes gives each target of a non-direct arrow a lane, and each lane its line slot in the gaps
// it crosses.
func (l *flowLayout) planLanes() {
	var targets []*flowBox
	for _, e := range l.edges {
		if b := l.boxes[e.to]; !l.direct(e) && !slices.Contains(targets, b) {
			targets = append(targets, b)
		}
	}
	sort.SliceStable(targets, func(i, j int) bool {
		if targets[i].rank != targets[j].rank {
			return targets[i].rank < targets[j].rank
		}
		return targets[i].pos < targets[j].pos
	})
	for i, b := range targets {
		l.lanes[b.state.ID] = i
	}
	l.nLanes = len(targets)
	// In the gap below rank r: first the lines leaving rank r, then the lines entering rank r+1 from
	// above (or rank r from below, for the last rank).
	branches := make([][]int, len(l.ranks))
	entries := make([][]int, len(l.ranks)+1)
	for _, e := range l.edges {
		if l.direct(e) {
			continue
		}
		lane := l.lanes[e.to]
		r := l.boxes[e.from].rank
		if !slices.Contains(branches[r], lane) {
			branches[r] = append(branches[r], lane)
		}
		t := l.boxes[e.to].rank
		if !slices.Contains(entries[t], lane) {
			entries[t] = append(entries[t], lane)
		}
	}
	last := len(l.ranks) - 1
	l.gaps = make([]float64, len(l.ranks))
	for r := range l.ranks {
		slices.Sort(branches[r])
		for k, lane := range branches[r] {
			l.branchSlot[[2]int{r, lane}] = k
		}
		// Below the last rank, lines enter its boxes from below after the lines that leave them.
		var below []int
		switch {
		case r == last:
			below = entries[r]
		case r+1 != last:
			below = entries[r+1]
		}
		slices.Sort(below)
		for k, lane := range below {
			l.entrySlot[[2]int{r, lane}] = k
			if r == last {
				l.entrySlot[[2]int{r, lane}] = k + len(branches[r])
			}
		}
		n := len(branches[r]) + len(below)
		if r == last {
			l.gaps[r] = float64(svgSlot * n)
		} else {
			l.gaps[r] = max(64, float64(32+svgSlot*n+24))
		}
	}
	var first []int
	if last > 0 {
		first = entries[0]
	}
	slices.Sort(first)
	for k, lane := range first {
		l.entrySlot[[2]int{-1, lane}] = k
	}
	l.top = svgMargin + 36 + float64(svgSlot*len(first))
}

// place gives every box its coordinates and sizes the drawing.
func (l *flowLayout) place() {
	main := 0.0
	for _, rank := range l.ranks {
		wsum := 0.0
		for i, b := range rank {
			wsum += b.w
			if i > 0 {
				wsum += svgBoxGap
			}
		}
		main = max(main, wsum)
	}
	y := l.top
	for r, rank := range l.ranks {
		wsum := 0.0
		for _, b := range rank {
			wsum += b.w
		}
		wsum += svgBoxGap * float64(max(len(rank)-1, 0))
		x := svgMargin + (main-wsum)/2
		for _, b := range rank {
			b.x, b.y = math.Round(x), y
			x += b.w + svgBoxGap
		}
		y += svgBoxH + l.gaps[r]
	}
	l.width = svgMargin + main + 16 + float64(svgLane*l.nLanes) + svgMargin
	l.height = y + svgMargin
}

// laneX is the x of a lane.
func (l *flowLayout) laneX(lane int) float64 {
	return l.width - svgMargin - float64(svgLane*(l.nLanes-1-lane))
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
	if len(l.ranks) == 0 {
		l.width, l.height = 2*svgMargin+svgBoxMinW, 2*svgMargin
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

// drawEdges draws every arrow with its label. Direct arrows meet their boxes on the left part of an
// edge and lane lines on the right part, the deeper lines further left so that they do not cross.
func (l *flowLayout) drawEdges(b *bytes.Buffer, id string) {
	n := len(l.edges)
	yOut, yIn := make([]float64, n), make([]float64, n) // the horizontal runs of lane lines
	for i, e := range l.edges {
		if l.direct(e) {
			continue
		}
		from, to, lane := l.boxes[e.from], l.boxes[e.to], l.lanes[e.to]
		yOut[i] = from.bottom() + 18 + float64(svgSlot*l.branchSlot[[2]int{from.rank, lane}])
		if l.fromBelow(e.to) {
			yIn[i] = to.bottom() + 14 + float64(svgSlot*l.entrySlot[[2]int{to.rank, lane}])
		} else {
			yIn[i] = to.y - 14 - float64(svgSlot*l.entrySlot[[2]int{to.rank - 1, lane}])
		}
	}
	// A port is one end of an arrow on a box edge; key orders the ports along the edge.
	type port struct {
		x    *float64
		lane bool
		key  float64
	}
	x1, x2 := make([]float64, n), make([]float64, n)
	entry := map[string]*float64{} // the lines of one lane share their last segment and arrowhead
	top, bottom := map[string][]port{}, map[string][]port{}
	for i, e := range l.edges {
		from, to := l.boxes[e.from], l.boxes[e.to]
		if l.direct(e) {
			bottom[e.from] = append(bottom[e.from], port{&x1[i], false, to.cx()})
			top[e.to] = append(top[e.to], port{&x2[i], false, from.cx()})
			continue
		}
		bottom[e.from] = append(bottom[e.from], port{&x1[i], true, -(yOut[i] - from.bottom())})
		if entry[e.to] != nil {
			continue
		}
		entry[e.to] = new(float64)
		if l.fromBelow(e.to) {
			bottom[e.to] = append(bottom[e.to], port{entry[e.to], true, -(yIn[i] - to.bottom())})
		} else {
			top[e.to] = append(top[e.to], port{entry[e.to], true, -(to.y - yIn[i])})
		}
	}
	spread := func(bx *flowBox, ports []port) {
		sort.SliceStable(ports, func(i, j int) bool {
			if ports[i].lane != ports[j].lane {
				return !ports[i].lane
			}
			return ports[i].key < ports[j].key
		})
		lanes := 0
		for _, p := range ports {
			if p.lane {
				lanes++
			}
		}
		direct := len(ports) - lanes
		right := bx.x + bx.w - 10 - float64(svgPort*lanes)
		left := bx.x + 10
		for k, p := range ports {
			if k < direct {
				*p.x = math.Round(left + (right-left)*float64(k+1)/float64(direct+1))
			} else {
				*p.x = right + float64(svgPort*(k-direct+1))
			}
		}
	}
	for _, rank := range l.ranks {
		for _, bx := range rank {
			spread(bx, top[bx.state.ID])
			spread(bx, bottom[bx.state.ID])
		}
	}
	for i, e := range l.edges {
		if !l.direct(e) {
			x2[i] = *entry[e.to]
		}
	}
	style := fmt.Sprintf(`stroke="#333" stroke-width="1.5" fill="none" marker-end="url(#%s-arrow)"`, id)
	var labels bytes.Buffer
	for i, e := range l.edges {
		from, to := l.boxes[e.from], l.boxes[e.to]
		label := strings.Join(e.labels, " / ")
		fmt.Fprintf(b, `<g class="action" data-from="%s" data-to="%s">`, html.EscapeString(e.from), html.EscapeString(e.to))
		if l.direct(e) {
			ya, yb := from.bottom(), to.y-1
			ym := (ya + yb) / 2
			fmt.Fprintf(b, `<path d="M%s,%s C%s,%s %s,%s %s,%s" %s/>`, num(x1[i]), num(ya), num(x1[i]), num(ym),
				num(x2[i]), num(ym), num(x2[i]), num(yb), style)
			drawLabel(&labels, (x1[i]+x2[i])/2, ym, label, "middle")
		} else {
			yEnd := to.y - 1
			if l.fromBelow(e.to) {
				yEnd = to.bottom() + 1
			}
			fmt.Fprintf(b, `<path d="M%s,%s V%s H%s V%s H%s V%s" %s/>`, num(x1[i]), num(from.bottom()), num(yOut[i]),
				num(l.laneX(l.lanes[e.to])), num(yIn[i]), num(x2[i]), num(yEnd), style)
			drawLabel(&labels, x1[i]+6, yOut[i]-4, label, "start")
		}
		b.WriteString("</g>\n")
	}
	b.Write(labels.Bytes())
}

// drawLabel writes an action name on a white ground so that it stays legible over lines. y is the
// baseline for labels on lane lines and the middle for labels on direct arrows.
func drawLabel(b *bytes.Buffer, x, y float64, text, anchor string) {
	w := math.Ceil(textWidth(text, svgSmall)) + 6
	left, base := x-3, y
	if anchor == "middle" {
		left, base = x-w/2, y+svgSmall*0.36
	}
	fmt.Fprintf(b, `<g class="label"><rect x="%s" y="%s" width="%s" height="%d" rx="3" fill="#ffffff" fill-opacity="0.9"/>`+
		`<text x="%s" y="%s" font-size="%d" text-anchor="%s" fill="#1a1a1a">%s</text></g>`+"\n",
		num(left), num(base-svgSmall), num(w), svgSmall+4, num(x), num(base), svgSmall, anchor, html.EscapeString(text))
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
	for _, e := range l.edges {
		if locale == "en" {
			parts = append(parts, fmt.Sprintf("From “%s”, %s leads to “%s”.", name(e.from), strings.Join(e.labels, " or "), name(e.to)))
		} else {
			parts = append(parts, fmt.Sprintf("“%s”经“%s”到“%s”。", name(e.from), strings.Join(e.labels, "”或“"), name(e.to)))
		}
	}
	return strings.Join(parts, " ")
}

// num formats a coordinate without needless decimals.
func num(f float64) string {
	return fmt.Sprintf("%g", math.Round(f*10)/10)
}
