package sequences

import "crypto/rand"

// Beside the counted numbers, which anyone can guess, a record can carry a random code that only
// those it was given to know (a case's query code).

// codeAlphabet leaves out what people misread or mistype: 0/O, 1/I/L.
const codeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// Code returns n random characters of an alphabet of 31 capitals and digits that cannot be taken
// for one another, for people to read off paper and type in.
func Code(n int) string {
	const limit = 256 - 256%len(codeAlphabet) // bytes at or above it would favour some characters
	out := make([]byte, 0, n)
	buf := make([]byte, 2*n)
	for len(out) < n {
		_, _ = rand.Read(buf) // crypto/rand.Read never fails
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, codeAlphabet[int(b)%len(codeAlphabet)])
			}
		}
	}
	return string(out)
}
