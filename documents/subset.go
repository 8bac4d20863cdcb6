package documents

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"sync"

	"golang.org/x/image/font/sfnt"
)

// charSet is a set of characters of the Basic Multilingual Plane, one bit each.
type charSet [0x10000 / 64]uint64

func (s *charSet) add(c rune) { s[c/64] |= 1 << (c % 64) }

// addAll adds the characters of t and reports whether s lacked any.
func (s *charSet) addAll(t *charSet) (grew bool) {
	for i, w := range t {
		grew = grew || w&^s[i] != 0
		s[i] |= w
	}
	return grew
}

// each calls fn for the characters of s in ascending order.
func (s *charSet) each(fn func(c rune)) {
	for i, w := range s {
		for w != 0 {
			b := bits.TrailingZeros64(w)
			fn(rune(i*64 + b))
			w &^= 1 << b
		}
	}
}

// face is the embedded CJK font read once per process, from which subset cuts, per document, a
// TrueType font of the few glyphs that document prints: fpdf parses the font it is given in full for
// every document (the whole 4 MB took two thirds of a document's time and 26 MB of memory), and a
// subset of a few kilobytes costs it next to nothing.
type face struct {
	tables   map[string][]byte // the raw tables by tag
	glyph    []uint16          // the glyph of each BMP character, 0 when the font has none
	loca     []uint32          // where each glyph's outline starts in glyf, and where the last ends
	hMetrics int               // hhea's numberOfHMetrics: glyphs past it share the last advance
}

// cjkFace parses the embedded CJK font once; the font is fixed, and a test renders with it.
var cjkFace = sync.OnceValue(func() *face {
	f, err := parseFace(cjkFont)
	if err != nil {
		panic(fmt.Sprintf("parsing the embedded CJK font: %v", err))
	}
	return f
})

// parseFace reads what subset needs of a TrueType font (glyf outlines, not CFF): the table
// directory, loca, the metrics count and, through x/image's reader, the character map.
func parseFace(b []byte) (*face, error) {
	if len(b) < 12 || binary.BigEndian.Uint32(b) != 0x00010000 {
		return nil, errors.New("not a TrueType font")
	}
	n := int(binary.BigEndian.Uint16(b[4:]))
	if len(b) < 12+16*n {
		return nil, errors.New("truncated table directory")
	}
	f := &face{tables: make(map[string][]byte, n)}
	for i := range n {
		rec := b[12+16*i:]
		off, size := binary.BigEndian.Uint32(rec[8:]), binary.BigEndian.Uint32(rec[12:])
		if uint64(off)+uint64(size) > uint64(len(b)) {
			return nil, fmt.Errorf("table %q lies beyond the file", rec[:4])
		}
		f.tables[string(rec[:4])] = b[off : off+size]
	}
	for _, tag := range []string{"head", "hhea", "maxp", "hmtx", "loca", "glyf", "cmap"} {
		if f.tables[tag] == nil {
			return nil, fmt.Errorf("no %s table", tag)
		}
	}
	head, hhea, maxp := f.tables["head"], f.tables["hhea"], f.tables["maxp"]
	if len(head) < 54 || len(hhea) < 36 || len(maxp) < 6 {
		return nil, errors.New("short head, hhea or maxp table")
	}
	glyphs := int(binary.BigEndian.Uint16(maxp[4:]))
	f.hMetrics = int(binary.BigEndian.Uint16(hhea[34:]))
	if f.hMetrics == 0 || f.hMetrics > glyphs || len(f.tables["hmtx"]) < 4*f.hMetrics+2*(glyphs-f.hMetrics) {
		return nil, errors.New("bad horizontal metrics")
	}
	loca := f.tables["loca"]
	f.loca = make([]uint32, glyphs+1)
	long := binary.BigEndian.Uint16(head[50:]) == 1
	if long && len(loca) < 4*(glyphs+1) || !long && len(loca) < 2*(glyphs+1) {
		return nil, errors.New("short loca table")
	}
	for g := range f.loca {
		if long {
			f.loca[g] = binary.BigEndian.Uint32(loca[4*g:])
		} else {
			f.loca[g] = 2 * uint32(binary.BigEndian.Uint16(loca[2*g:]))
		}
		if g > 0 && f.loca[g] < f.loca[g-1] || int(f.loca[g]) > len(f.tables["glyf"]) {
			return nil, fmt.Errorf("bad loca entry for glyph %d", g)
		}
	}
	cmap, err := sfnt.Parse(b)
	if err != nil {
		return nil, err
	}
	var buf sfnt.Buffer
	f.glyph = make([]uint16, 0x10000)
	for c := range rune(0x10000) {
		if g, err := cmap.GlyphIndex(&buf, c); err == nil && int(g) < glyphs {
			f.glyph[c] = uint16(g)
		}
	}
	return f, nil
}

// outline is glyph g's data in glyf.
func (f *face) outline(g uint16) []byte { return f.tables["glyf"][f.loca[g]:f.loca[g+1]] }

// components calls fn for the offset in outline of each component's glyph index when the glyph is
// a composite (a negative number of contours), e.g. a radical placed beside a phonetic part.
func components(outline []byte, fn func(at int)) error {
	if len(outline) < 10 || int16(binary.BigEndian.Uint16(outline)) >= 0 {
		return nil
	}
	const words, scale, more, xyScale, twoByTwo = 0x0001, 0x0008, 0x0020, 0x0040, 0x0080
	for at := 10; ; {
		if len(outline) < at+4 {
			return errors.New("truncated composite glyph")
		}
		flags := binary.BigEndian.Uint16(outline[at:])
		fn(at + 2)
		at += 4 + 2
		if flags&words != 0 {
			at += 2
		}
		switch {
		case flags&scale != 0:
			at += 2
		case flags&xyScale != 0:
			at += 4
		case flags&twoByTwo != 0:
			at += 8
		}
		if flags&more == 0 {
			return nil
		}
	}
}

// subset returns a TrueType font with the glyphs of the characters of chars that the font has, the
// glyphs those are composed of, and .notdef; the characters below 256 are always in (fpdf lists the
// width of each the font has, used or not, so that they keep a document the same, byte for byte, as
// one made with the whole font). The glyphs keep their order, renumbered from 0. Of the other tables,
// the ones fpdf reads or embeds are copied (name, OS/2, cvt, fpgm, prep, gasp; post without glyph
// names); those that number glyphs and that fpdf ignores (vertical metrics, layout) are left out.
func (f *face) subset(chars *charSet) ([]byte, error) {
	keep := map[uint16]bool{0: true}
	var work []uint16
	use := func(g uint16) {
		if !keep[g] {
			keep[g] = true
			work = append(work, g)
		}
	}
	for c := range rune(256) {
		use(f.glyph[c])
	}
	chars.each(func(c rune) { use(f.glyph[c]) })
	for len(work) > 0 {
		g := work[len(work)-1]
		work = work[:len(work)-1]
		out := f.outline(g)
		err := components(out, func(at int) {
			if h := binary.BigEndian.Uint16(out[at:]); int(h) < len(f.loca)-1 {
				use(h)
			}
		})
		if err != nil {
			return nil, fmt.Errorf("glyph %d: %w", g, err)
		}
	}
	glyphs := make([]uint16, 0, len(keep))
	for g := range keep {
		glyphs = append(glyphs, g)
	}
	slices.Sort(glyphs)
	renumbered := make(map[uint16]uint16, len(glyphs))
	for i, g := range glyphs {
		renumbered[g] = uint16(i)
	}

	var glyf []byte
	loca := make([]byte, 0, 4*(len(glyphs)+1))
	hmtx := make([]byte, 0, 4*len(glyphs))
	for _, g := range glyphs {
		loca = binary.BigEndian.AppendUint32(loca, uint32(len(glyf)))
		start := len(glyf)
		glyf = append(glyf, f.outline(g)...)
		_ = components(glyf[start:], func(at int) { // checked above
			at += start
			binary.BigEndian.PutUint16(glyf[at:], renumbered[binary.BigEndian.Uint16(glyf[at:])])
		})
		hmtx = append(hmtx, f.metrics(g)...)
	}
	loca = binary.BigEndian.AppendUint32(loca, uint32(len(glyf)))

	tables := map[string][]byte{
		"glyf": glyf, "loca": loca, "hmtx": hmtx,
		"cmap": f.cmap(chars, renumbered),
		"head": patched(f.tables["head"], 50, 1),                                 // indexToLocFormat: long offsets
		"hhea": patched(f.tables["hhea"], 34, len(glyphs)),                       // numberOfHMetrics: all
		"maxp": patched(f.tables["maxp"], 4, len(glyphs)),                        // numGlyphs
		"post": patched(f.tables["post"][:min(32, len(f.tables["post"]))], 0, 3), // version 3: no glyph names
	}
	for _, tag := range []string{"name", "OS/2", "cvt ", "fpgm", "prep", "gasp"} {
		if t := f.tables[tag]; t != nil {
			tables[tag] = t
		}
	}
	return writeFont(tables), nil
}

// metrics is glyph g's advance width and left side bearing as one hmtx entry.
func (f *face) metrics(g uint16) []byte {
	hmtx := f.tables["hmtx"]
	if int(g) < f.hMetrics {
		return hmtx[4*int(g):][:4]
	}
	last := 4 * (f.hMetrics - 1)
	lsb := 4*f.hMetrics + 2*(int(g)-f.hMetrics)
	return []byte{hmtx[last], hmtx[last+1], hmtx[lsb], hmtx[lsb+1]}
}

// cmap writes a character map (format 4, Windows Unicode BMP) of the characters of chars the font
// has, to their renumbered glyphs: one segment per run of consecutive characters whose glyphs are
// consecutive too, and the closing segment at U+FFFF.
func (f *face) cmap(chars *charSet, renumbered map[uint16]uint16) []byte {
	type segment struct{ start, end, delta uint16 }
	var segs []segment
	add := func(c rune) {
		g := f.glyph[c]
		if g == 0 || c == 0xFFFF {
			return
		}
		n := renumbered[g]
		if k := len(segs) - 1; k >= 0 && rune(segs[k].end)+1 == c && segs[k].delta+uint16(c) == n {
			segs[k].end++
			return
		}
		segs = append(segs, segment{uint16(c), uint16(c), n - uint16(c)})
	}
	var low charSet
	for c := range rune(256) {
		low.add(c)
	}
	low.addAll(chars)
	low.each(add)
	segs = append(segs, segment{0xFFFF, 0xFFFF, 1})

	n := len(segs)
	search := 1 << (bits.Len(uint(n)) - 1)
	b := make([]byte, 0, 12+16+8*n)
	b = binary.BigEndian.AppendUint16(b, 0)  // version
	b = binary.BigEndian.AppendUint16(b, 1)  // one encoding
	b = binary.BigEndian.AppendUint16(b, 3)  // Windows
	b = binary.BigEndian.AppendUint16(b, 1)  // Unicode BMP
	b = binary.BigEndian.AppendUint32(b, 12) // its offset
	b = binary.BigEndian.AppendUint16(b, 4)  // format
	b = binary.BigEndian.AppendUint16(b, uint16(16+8*n))
	b = binary.BigEndian.AppendUint16(b, 0) // language
	b = binary.BigEndian.AppendUint16(b, uint16(2*n))
	b = binary.BigEndian.AppendUint16(b, uint16(2*search))
	b = binary.BigEndian.AppendUint16(b, uint16(bits.Len(uint(search))-1))
	b = binary.BigEndian.AppendUint16(b, uint16(2*(n-search)))
	for _, s := range segs {
		b = binary.BigEndian.AppendUint16(b, s.end)
	}
	b = binary.BigEndian.AppendUint16(b, 0) // reserved
	for _, s := range segs {
		b = binary.BigEndian.AppendUint16(b, s.start)
	}
	for _, s := range segs {
		b = binary.BigEndian.AppendUint16(b, s.delta)
	}
	for range segs {
		b = binary.BigEndian.AppendUint16(b, 0) // idRangeOffset: glyph = character + delta
	}
	return b
}

// patched is a copy of table with the 16-bit field at offset set to v.
func patched(table []byte, offset, v int) []byte {
	t := slices.Clone(table)
	binary.BigEndian.PutUint16(t[offset:], uint16(v))
	return t
}

// writeFont lays out a TrueType file of tables: the directory sorted by tag, each table padded to
// four bytes, the checksums and head's checkSumAdjustment as the format asks.
func writeFont(tables map[string][]byte) []byte {
	tags := make([]string, 0, len(tables))
	size := 12 + 16*len(tables)
	for tag, t := range tables {
		tags = append(tags, tag)
		size += (len(t) + 3) &^ 3
	}
	slices.Sort(tags)
	n := len(tags)
	search := 1 << (bits.Len(uint(n)) - 1)
	b := make([]byte, 0, size)
	b = binary.BigEndian.AppendUint32(b, 0x00010000)
	b = binary.BigEndian.AppendUint16(b, uint16(n))
	b = binary.BigEndian.AppendUint16(b, uint16(16*search))
	b = binary.BigEndian.AppendUint16(b, uint16(bits.Len(uint(search))-1))
	b = binary.BigEndian.AppendUint16(b, uint16(16*(n-search)))
	offset := 12 + 16*n
	for _, tag := range tags {
		t := tables[tag]
		if tag == "head" {
			t = slices.Clone(t)
			binary.BigEndian.PutUint32(t[8:], 0) // checkSumAdjustment, set below
			tables[tag] = t
		}
		b = append(b, tag...)
		b = binary.BigEndian.AppendUint32(b, checksum(t))
		b = binary.BigEndian.AppendUint32(b, uint32(offset))
		b = binary.BigEndian.AppendUint32(b, uint32(len(t)))
		offset += (len(t) + 3) &^ 3
	}
	head := 0
	for _, tag := range tags {
		if tag == "head" {
			head = len(b)
		}
		b = append(b, tables[tag]...)
		b = append(b, make([]byte, (4-len(b)%4)%4)...)
	}
	binary.BigEndian.PutUint32(b[head+8:], 0xB1B0AFBA-checksum(b))
	return b
}

// checksum is the TrueType table checksum: the sum of its big-endian 32-bit words, zero-padded.
func checksum(t []byte) uint32 {
	var sum uint32
	for len(t) >= 4 {
		sum += binary.BigEndian.Uint32(t)
		t = t[4:]
	}
	var last [4]byte
	copy(last[:], t)
	return sum + binary.BigEndian.Uint32(last[:])
}
