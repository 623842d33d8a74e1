package db

import (
	"crypto/rand"
	"math/big"
	"strings"
	"time"
)

const base36 = "0123456789abcdefghijklmnopqrstuvwxyz"

// NewID returns a cuid: 25 characters, a leading 'c', then lowercase base-36.
// The first 8 after the 'c' encode milliseconds (so ids sort roughly by time),
// the remaining 16 are random (about 82 bits).
func NewID() string {
	var b strings.Builder
	b.Grow(25)
	b.WriteByte('c')
	ms := big.NewInt(time.Now().UnixMilli())
	ts := ms.Text(36)
	for i := len(ts); i < 8; i++ {
		b.WriteByte('0')
	}
	if len(ts) > 8 {
		ts = ts[len(ts)-8:]
	}
	b.WriteString(ts)
	var rnd [16]byte
	rand.Read(rnd[:])
	for _, r := range rnd {
		b.WriteByte(base36[int(r)%36])
	}
	return b.String()
}
