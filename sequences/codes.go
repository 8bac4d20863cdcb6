package sequences

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
)

// Beside the counted numbers, which anyone can guess, a record can carry a random code that only
// those it was given to know (a case's query code).

// codeAlphabet leaves out what people misread or mistype: 0/O, 1/I/L.
const codeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// Code returns n random characters of an alphabet of 31 capitals and digits that cannot be taken
// for one another, for people to read off paper and type in.
func Code(n int) string {
	return codeFrom(n, func(buf []byte) { _, _ = rand.Read(buf) }) // crypto/rand.Read never fails
}

// DerivedCode returns n characters of Code's alphabet derived from key and message with
// HMAC-SHA256: the same key and message give the same code, and without the key it is as
// unpredictable as Code's. It is for a code that must be shown again (a form posted twice) but is
// stored only as a hash.
func DerivedCode(key []byte, message string, n int) string {
	var block uint32
	return codeFrom(n, func(buf []byte) {
		for filled := 0; filled < len(buf); block++ {
			mac := hmac.New(sha256.New, key)
			var counter [4]byte
			binary.BigEndian.PutUint32(counter[:], block)
			mac.Write(counter[:])
			mac.Write([]byte(message))
			filled += copy(buf[filled:], mac.Sum(nil))
		}
	})
}

// codeFrom draws n characters of codeAlphabet from the bytes fill writes, dropping the bytes that
// would favour some characters.
func codeFrom(n int, fill func([]byte)) string {
	const limit = 256 - 256%len(codeAlphabet) // bytes at or above it would favour some characters
	out := make([]byte, 0, n)
	buf := make([]byte, 2*n)
	for len(out) < n {
		fill(buf)
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, codeAlphabet[int(b)%len(codeAlphabet)])
			}
		}
	}
	return string(out)
}
