package catalog

import (
	"cmp"
	"math"
	"slices"
	"sort"
)

// Sizes of the drawn flowchart, in SVG user units (pixels at scale 1).
const (
	svgFont    = 14  // state names
	svgSmall   = 12  // action names
	svgLine    = 14  // between the lines of an action name
	svgLabelW  = 156 // widest line of an action name; longer names wrap
	svgBoxH    = 44  // box height
	svgBoxPad  = 16  // text to box edge
	svgBoxMinW = 120 // narrowest box
	svgBoxGap  = 32  // between boxes of one rank
	svgMargin  = 24
	svgRowGap  = 6  // between rows of labels
	svgEntry   = 14 // between lines entering boxes from lanes
	svgLane    = 22 // between lanes
	svgPort    = 12 // between the ends of lane lines on a box edge
	svgClear   = 16 // room kept beside labels for fonts wider than estimated
	svgStart   = 36 // room above the first rank for the start marker
	svgMinGap  = 64 // least room between ranks
)

// point is a position in the drawing.
type point struct{ x, y float64 }

// rect is an axis-aligned rectangle of the drawing.
type rect struct{ x, y, w, h float64 }

// overlaps reports whether two rectangles share some area.
func (a rect) overlaps(b rect) bool {
	return a.x < b.x+b.w && b.x < a.x+a.w && a.y < b.y+b.h && b.y < a.y+a.h
}

// widened is the rectangle with d more on its left and on its right.
func (a rect) widened(d float64) rect { return rect{a.x - d, a.y, a.w + 2*d, a.h} }

// crossedBy reports whether the segment from p to q passes through the rectangle (Liang–Barsky).
func (a rect) crossedBy(p, q point) bool {
	t0, t1 := 0.0, 1.0
	dx, dy := q.x-p.x, q.y-p.y
	for _, c := range [4][2]float64{{-dx, p.x - a.x}, {dx, a.x + a.w - p.x}, {-dy, p.y - a.y}, {dy, a.y + a.h - p.y}} {
		switch t := c[1] / c[0]; {
		case c[0] == 0:
			if c[1] < 0 {
				return false
			}
		case c[0] < 0:
			t0 = max(t0, t)
		default:
			t1 = min(t1, t)
		}
	}
	return t0 < t1
}

// crosses reports whether a path passes through the rectangle.
func (a rect) crosses(path []point) bool {
	for i := 1; i < len(path); i++ {
		if a.crossedBy(path[i-1], path[i]) {
			return true
		}
	}
	return false
}

// flowBox is one state placed in the drawing.
type flowBox struct {
	state   State
	rank    int
	pos     int // index in its rank
	x, y, w float64
}

func (b *flowBox) cx() float64     { return b.x + b.w/2 }
func (b *flowBox) bottom() float64 { return b.y + svgBoxH }

// laneEntry is where the lane of a state meets it: the line runs at height y to x on the state's top
// edge, or on its bottom edge for states of the last rank (below).
type laneEntry struct {
	x, y  float64
	below bool
	// fromInside says that the lane reaches its entry through the rows between it and the box (a
	// lane coming up to a state's top, or down to a last-rank state's bottom).
	fromInside bool
}

// flowLine is one arrow as drawn.
type flowLine struct {
	flowEdge
	// direct arrows go down to the next rank; the others leave their state downwards, run right at
	// height yOut to the lane of their target, and along it to the target.
	direct bool
	x1, x2 float64 // where it leaves its state and, for direct arrows, where it enters the next
	yOut   float64
	label  flowLabel
	// path is the line as drawn, curves as polylines, to check what a label would cover.
	path []point
}

// flowLabel is the names of an arrow's actions, drawn on a white ground.
type flowLabel struct {
	lines  []string
	x, y   float64 // the anchor of the text; y is the baseline of its first line
	anchor string  // start or middle
	w      float64 // estimated width of the longest line
}

// ground is the white rectangle under the label's text.
func (lb flowLabel) ground() rect {
	left := lb.x - 3
	if lb.anchor == "middle" {
		left = lb.x - lb.w/2 - 3
	}
	return rect{left, lb.y - svgSmall, lb.w + 6, lb.height()}
}

func (lb flowLabel) height() float64 { return float64(svgSmall + 4 + svgLine*(len(lb.lines)-1)) }

// flowLayout is a layered drawing: ranks of boxes from the start state down, final states in the
// last rank. An arrow between neighbouring ranks goes down directly; every other arrow (backwards,
// within a rank, across ranks) runs in a lane on the right of the drawing, one lane per target
// state, so that it never crosses a box. The gap below a rank has three bands: a row for each lane
// arrow leaving the rank with its label, then the rows of the direct arrows' labels (as many rows as
// it takes for no label to meet another, each label in the row where it crosses the fewest arrows),
// then the lines coming from lanes into the next rank. So no label covers another or a box.
type flowLayout struct {
	boxes map[string]*flowBox
	ranks [][]*flowBox
	lines []*flowLine
	// lanes numbers the lanes from the boxes outwards.
	lanes   map[string]int
	laneX   map[string]float64
	entries map[string]*laneEntry
	// The drawing spans x from 0 to width and y from 0 to height.
	width, height float64
}

// layoutFlow places the states and plans the lines of an item's workflow.
func layoutFlow(it *Item, locale string) *flowLayout {
	l := &flowLayout{boxes: map[string]*flowBox{}, lanes: map[string]int{}, laneX: map[string]float64{}, entries: map[string]*laneEntry{}}
	edges := flowEdges(it, locale)
	l.rank(&it.Workflow, edges)
	for _, e := range edges {
		lines, w := wrapLabel(e.label())
		l.lines = append(l.lines, &flowLine{flowEdge: e, direct: l.boxes[e.to].rank == l.boxes[e.from].rank+1,
			label: flowLabel{lines: lines, w: w}})
	}
	l.planLanes()
	for _, rank := range l.ranks {
		for _, b := range rank {
			b.w = max(svgBoxMinW, math.Ceil(textWidth(b.state.label(locale), svgFont))+2*svgBoxPad, float64(l.ports(b)*svgPort+28))
		}
	}
	l.placeX()
	l.placePorts()
	l.placeY()
	l.placeLanes()
	return l
}

// rank puts every state in a rank: the distance from the start state, states not reached after
// those, final states last; then orders each rank.
func (l *flowLayout) rank(w *Workflow, edges []flowEdge) {
	order := map[string]int{}
	for i, s := range w.States {
		if _, dup := order[s.ID]; !dup {
			order[s.ID] = i
			l.boxes[s.ID] = &flowBox{state: s, rank: -1}
		}
	}
	next := map[string][]string{}
	for _, e := range edges {
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
		if placed[s.ID] {
			continue // a duplicate ID; the linter reports it
		}
		placed[s.ID] = true
		b := l.boxes[s.ID]
		for len(l.ranks) <= b.rank {
			l.ranks = append(l.ranks, nil)
		}
		l.ranks[b.rank] = append(l.ranks[b.rank], b)
	}
	l.orderRanks(order, edges)
}

// orderRanks orders each rank by the mean position of the boxes above that lead to it (the
// barycentre heuristic), which keeps arrows short and uncrossed in the usual top-down workflow.
func (l *flowLayout) orderRanks(order map[string]int, edges []flowEdge) {
	prev := map[string][]string{}
	for _, e := range edges {
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

// planLanes numbers the lanes, those of the upper states nearest the boxes.
func (l *flowLayout) planLanes() {
	var targets []*flowBox
	for _, ln := range l.lines {
		if b := l.boxes[ln.to]; !ln.direct && !slices.Contains(targets, b) {
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
		e := &laneEntry{below: b.rank == len(l.ranks)-1}
		for _, ln := range l.lines {
			if !ln.direct && ln.to == b.state.ID && (e.below || l.boxes[ln.from].rank >= b.rank) {
				e.fromInside = true
			}
		}
		l.lanes[b.state.ID], l.entries[b.state.ID] = i, e
	}
}

// upward reports whether a lane line climbs from its run to its target's entry.
func (l *flowLayout) upward(ln *flowLine) bool {
	return !l.entries[ln.to].below && l.boxes[ln.to].rank <= l.boxes[ln.from].rank
}

// ports counts the ends of lines on the busier edge of a box, which its width must hold.
func (l *flowLayout) ports(b *flowBox) int {
	top, bottom := 0, 0
	for _, ln := range l.lines {
		if ln.from == b.state.ID {
			bottom++
		}
		if ln.direct && ln.to == b.state.ID {
			top++
		}
	}
	if e := l.entries[b.state.ID]; e != nil && e.below {
		bottom++
	} else if e != nil {
		top++
	}
	return max(top, bottom)
}

// placeX centres the ranks on one another.
func (l *flowLayout) placeX() {
	widths := make([]float64, len(l.ranks))
	for r, rank := range l.ranks {
		for i, b := range rank {
			widths[r] += b.w
			if i > 0 {
				widths[r] += svgBoxGap
			}
		}
	}
	widest := slices.Max(append(widths, 0))
	for r, rank := range l.ranks {
		x := svgMargin + (widest-widths[r])/2
		for _, b := range rank {
			b.x = math.Round(x)
			x += b.w + svgBoxGap
		}
	}
}

// port is one end of a line on a box edge: direct arrows on the left part of the edge in the order of
// the boxes at their other ends, lane lines on the right part in the order key gives.
type port struct {
	x    *float64
	lane bool
	key  float64
}

// placePorts spreads the ends of the lines along the box edges. The order of the lane lines keeps
// them from crossing one another's lanes where it can: of the lines leaving a box, those climbing
// to their target run highest, the outer lanes first among those going down and the inner ones first
// among those climbing; of the lanes entering a box, the line nearest the box comes from the inner
// lane when that lane passes the other lines' rows on its way, else from the outer one.
func (l *flowLayout) placePorts() {
	top, bottom := map[string][]port{}, map[string][]port{}
	n := float64(len(l.lanes))
	for _, ln := range l.lines {
		if ln.direct {
			bottom[ln.from] = append(bottom[ln.from], port{&ln.x1, false, l.boxes[ln.to].cx()})
			top[ln.to] = append(top[ln.to], port{&ln.x2, false, l.boxes[ln.from].cx()})
			continue
		}
		key := float64(l.lanes[ln.to])
		if l.upward(ln) {
			key = 2*n - key
		}
		bottom[ln.from] = append(bottom[ln.from], port{&ln.x1, true, key})
	}
	for target, e := range l.entries {
		key := float64(l.lanes[target])
		if e.fromInside {
			key = -key
		}
		if e.below {
			bottom[target] = append(bottom[target], port{&e.x, true, key})
		} else {
			top[target] = append(top[target], port{&e.x, true, key})
		}
	}
	for _, rank := range l.ranks {
		for _, b := range rank {
			spreadPorts(b, top[b.state.ID])
			spreadPorts(b, bottom[b.state.ID])
		}
	}
}

func spreadPorts(b *flowBox, ports []port) {
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
	right := b.x + b.w - 10 - float64(svgPort*lanes)
	// Direct arrows spread over the whole edge, so that one arrow between boxes centred on each
	// other is straight, unless the lane lines need the room.
	left, span := b.x, b.w
	if left+span*float64(direct)/float64(direct+1) > right-svgPort/2 {
		left, span = b.x+10, right-b.x-10
	}
	for k, p := range ports {
		if k < direct {
			*p.x = math.Round(left + span*float64(k+1)/float64(direct+1))
		} else {
			*p.x = right + float64(svgPort*(k-direct+1))
		}
	}
}

// placeY places the ranks from the top down, giving each gap between them the rows its labels and
// lines need.
func (l *flowLayout) placeY() {
	last := len(l.ranks) - 1
	y := svgMargin + svgStart + float64(svgEntry*len(l.entering(0)))
	for r, rank := range l.ranks {
		for _, b := range rank {
			b.y = y
		}
		for k, target := range l.entering(r) {
			l.entries[target].y = y - 12 - float64(svgEntry*k)
		}
		bottom := y + svgBoxH
		if r == last {
			below := l.entering(r + 1)
			for k, target := range below {
				l.entries[target].y = bottom + 12 + float64(svgEntry*k)
			}
			l.height = bottom + float64(svgEntry*len(below)) + svgMargin
			break
		}
		band := l.laneRows(r, bottom)
		entering := float64(svgEntry * len(l.entering(r+1)))
		for rows := 0; ; rows++ {
			if next, ok := l.placeDirect(r, bottom, band, entering, rows); ok {
				y = next
				break
			}
		}
	}
}

// entering lists the states of rank r that lanes enter from above (from below for r past the last
// rank), in the order of their lines' rows from the box outwards: the further right a line's end on
// its box, the nearer the box it runs, so that no line crosses another's last stretch.
func (l *flowLayout) entering(r int) []string {
	var out []string
	for target, e := range l.entries {
		if !e.below && l.boxes[target].rank == r || e.below && r == len(l.ranks) {
			out = append(out, target)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return cmp.Compare(l.entries[b].x, l.entries[a].x) })
	return out
}

// laneRows gives each lane line leaving rank r its row below the rank's bottom edge, the line leaving
// furthest right highest, so that no run crosses another's way down. Its label goes on the run, at
// the first place right of the line's start that no other line crosses. It returns where the rows
// end.
func (l *flowLayout) laneRows(r int, bottom float64) float64 {
	var runs, down []*flowLine
	for _, ln := range l.lines {
		if l.boxes[ln.from].rank != r {
			continue
		}
		if ln.direct {
			down = append(down, ln)
		} else {
			runs = append(runs, ln)
		}
	}
	slices.SortStableFunc(runs, func(a, b *flowLine) int { return cmp.Compare(b.x1, a.x1) })
	y := bottom + 4
	for k, ln := range runs {
		lb := &ln.label
		ln.yOut = y + svgRowGap/2 + lb.height()
		lb.y, lb.anchor = ln.yOut-4-float64(svgLine*(len(lb.lines)-1)), "start"
		// Lines going down past the run: the direct arrows and the runs below this one.
		var across []float64
		for _, d := range down {
			across = append(across, d.x1)
		}
		for _, below := range runs[k+1:] {
			across = append(across, below.x1)
		}
		slices.Sort(across)
		lb.x = ln.x1 + 6
		for _, x := range across {
			if g := lb.ground(); x >= g.x-2 && x <= g.x+g.w+svgClear {
				lb.x = x + 6
			}
		}
		y = ln.yOut + svgRowGap/2
	}
	return y
}

// placeDirect draws the direct arrows from rank r (bottom edge at bottom) to the next rank, leaving
// the lane lines' rows at band, with rows for their labels and, below those, the lines entering the
// next rank from lanes (entering high), and places each label in the row where it meets no other label and crosses the
// fewest other arrows, the widest first. It returns the top of the next rank, or false when some
// label finds no row, so that the caller tries again with one row more.
func (l *flowLayout) placeDirect(r int, bottom, band, entering float64, rows int) (float64, bool) {
	var direct []*flowLine
	rowH := 0.0
	for _, ln := range l.lines {
		if ln.direct && l.boxes[ln.from].rank == r {
			direct = append(direct, ln)
			rowH = max(rowH, ln.label.height()+svgRowGap)
		}
	}
	// The arrows curve from band down to the next rank; the rows lie about the middle of the curves,
	// where arrows fanning out from one box are furthest apart.
	above := entering + 16
	next := max(band+above+rowH*float64(rows)+entering+16, bottom+svgMinGap)
	if len(direct) == 0 {
		return next, true
	}
	for _, ln := range direct {
		ln.path = directPath(point{ln.x1, bottom}, band, point{ln.x2, next - 1})
	}
	slices.SortStableFunc(direct, func(a, b *flowLine) int { return cmp.Compare(b.label.w, a.label.w) })
	var placed []rect
	for _, ln := range direct {
		best, bestCost := flowLabel{}, math.Inf(1)
		for k := range rows {
			lb := ln.label
			top := band + above + rowH*float64(k) + svgRowGap/2
			lb.x, lb.y, lb.anchor = xAt(ln.path, top+lb.height()/2), top+svgSmall, "middle"
			g := lb.ground()
			if slices.ContainsFunc(placed, func(p rect) bool { return p.widened(svgClear / 2).overlaps(g.widened(svgClear / 2)) }) {
				continue
			}
			cost := math.Abs(float64(k) - float64(rows-1)/2) // alone, the middle row looks best
			for _, other := range direct {
				if other != ln && g.crosses(other.path) {
					cost += float64(rows)
				}
			}
			if cost < bestCost {
				best, bestCost = lb, cost
			}
		}
		if math.IsInf(bestCost, 1) {
			return 0, false
		}
		ln.label = best
		placed = append(placed, best.ground())
	}
	return next, true
}

// placeLanes puts the lanes right of everything else, and sizes the drawing.
func (l *flowLayout) placeLanes() {
	right := float64(svgMargin + svgBoxMinW)
	for _, b := range l.boxes {
		right = max(right, b.x+b.w)
	}
	for _, ln := range l.lines {
		g := ln.label.ground()
		right = max(right, g.x+g.w)
	}
	for target, i := range l.lanes {
		l.laneX[target] = right + svgClear + float64(svgLane*i)
	}
	l.width = math.Ceil(right + svgClear + float64(svgLane*max(len(l.lanes)-1, 0)) + svgMargin)
	if len(l.ranks) == 0 {
		l.height = 2 * svgMargin
	}
	for _, ln := range l.lines {
		if !ln.direct {
			from, e := l.boxes[ln.from], l.entries[ln.to]
			end := l.boxes[ln.to].y - 1
			if e.below {
				end = l.boxes[ln.to].bottom() + 1
			}
			x := l.laneX[ln.to]
			ln.path = []point{{ln.x1, from.bottom()}, {ln.x1, ln.yOut}, {x, ln.yOut}, {x, e.y}, {e.x, e.y}, {e.x, end}}
		}
	}
}

// directPath is a direct arrow from a down to b: straight down past the lane lines' rows to band,
// then a cubic Bézier curve to b (its control points are curveControls), as a polyline.
func directPath(a point, band float64, b point) []point {
	start := point{a.x, band}
	c1, c2 := curveControls(start, b)
	out := []point{a}
	for i := range 25 {
		t := float64(i) / 24
		s := 1 - t
		out = append(out, point{
			s*s*s*start.x + 3*s*s*t*c1.x + 3*s*t*t*c2.x + t*t*t*b.x,
			s*s*s*start.y + 3*s*s*t*c1.y + 3*s*t*t*c2.y + t*t*t*b.y,
		})
	}
	return out
}

func curveControls(a, b point) (point, point) {
	mid := (a.y + b.y) / 2
	return point{a.x, mid}, point{b.x, mid}
}

// xAt is where a path going down is at height y.
func xAt(path []point, y float64) float64 {
	for i := 1; i < len(path); i++ {
		if p, q := path[i-1], path[i]; p.y <= y && y <= q.y {
			if q.y == p.y {
				return p.x
			}
			return p.x + (q.x-p.x)*(y-p.y)/(q.y-p.y)
		}
	}
	return path[len(path)-1].x
}
