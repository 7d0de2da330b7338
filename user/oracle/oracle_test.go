// SPDX-License-Identifier: GPL-2.0
//
// Driver of the pallocbits differential oracle (package runtime_test).
//
// scripts/oracle.sh adds this file and export_oracle_test.go to Go's runtime
// package with `go test -overlay`.  TestOracle reads one command per line
// from the file named by $ORACLE_IN and writes one result line per command
// to $ORACLE_OUT (stdout if unset); it is skipped when $ORACLE_IN is unset.
// user/oracle/vectors.c writes the commands and the C library's answers in
// exactly the same format.
//
// Commands (numbers decimal, words and sums hex without 0x; W = the 8 words
// of a pallocBits, A S = the alloc and scavenged words of a pallocData):
//
//	get i W               -> get v
//	block64 i W           -> block64 x
//	set i W               -> set W'          (likewise clear)
//	setrange i n W        -> setrange W'     (clearrange, allocrange, free)
//	setall W              -> setall W'       (clearall, allocall, freeall)
//	setblock64 i v W      -> setblock64 W'   (clearblock64, allocpages64)
//	free1 i W             -> free1 W'
//	popcnt i n W          -> popcnt c
//	pack start max end    -> pack s start(s) max(s) end(s)
//	unpack s              -> unpack start max end
//	summarize W           -> summarize s
//	fbr64 c n             -> fbr64 i
//	find npages idx W     -> find i newIdx   (findsmall, findlarge)
//	find1 idx W           -> find1 i
//	pages64 i W           -> pages64 x
//	dalloc i n A S        -> dalloc A' S'
//	dallocall A S         -> dallocall A' S'
//	fill x m              -> fill y
//	scav idx min max P A S -> scav start size (huge page = P Go pages, 0 = none)
//
// Go's ^uint(0) is printed as NF.

package runtime_test

import (
	"bufio"
	"fmt"
	"os"
	. "runtime"
	"strconv"
	"strings"
	"testing"
)

type oracleLine struct {
	f   []string
	pos int
}

func (l *oracleLine) next() string {
	if l.pos >= len(l.f) {
		panic("too few fields")
	}
	s := l.f[l.pos]
	l.pos++
	return s
}

func (l *oracleLine) dec() uint {
	v, err := strconv.ParseUint(l.next(), 10, 64)
	if err != nil {
		panic(err)
	}
	return uint(v)
}

func (l *oracleLine) hex() uint64 {
	v, err := strconv.ParseUint(l.next(), 16, 64)
	if err != nil {
		panic(err)
	}
	return v
}

func (l *oracleLine) bits(b *PallocBits) {
	for k := range b {
		b[k] = l.hex()
	}
}

func (l *oracleLine) done() {
	if l.pos != len(l.f) {
		panic("too many fields")
	}
}

func oracleIdx(v uint) string {
	if v == ^uint(0) {
		return "NF"
	}
	return strconv.FormatUint(uint64(v), 10)
}

func oracleWords(sb *strings.Builder, b *PallocBits) {
	for _, w := range b {
		sb.WriteByte(' ')
		sb.WriteString(strconv.FormatUint(w, 16))
	}
}

// oracleRun executes one command and returns its result line.
func oracleRun(line string) (out string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	l := &oracleLine{f: strings.Fields(line)}
	op := l.next()
	var sb strings.Builder
	sb.WriteString(op)
	var b PallocBits
	switch op {
	case "get":
		i := l.dec()
		l.bits(&b)
		fmt.Fprintf(&sb, " %d", b.OracleGet(i))
	case "block64", "pages64":
		i := l.dec()
		l.bits(&b)
		v := b.OracleBlock64(i)
		if op == "pages64" {
			v = b.OraclePages64(i)
		}
		fmt.Fprintf(&sb, " %x", v)
	case "set", "clear", "free1":
		i := l.dec()
		l.bits(&b)
		switch op {
		case "set":
			b.OracleSet(i)
		case "clear":
			b.OracleClear(i)
		default:
			b.OracleFree1(i)
		}
		oracleWords(&sb, &b)
	case "setrange", "clearrange", "allocrange", "free":
		i, n := l.dec(), l.dec()
		l.bits(&b)
		switch op {
		case "setrange":
			b.OracleSetRange(i, n)
		case "clearrange":
			b.OracleClearRange(i, n)
		case "allocrange":
			b.OracleAllocRange(i, n)
		default:
			b.OracleFree(i, n)
		}
		oracleWords(&sb, &b)
	case "setall", "clearall", "allocall", "freeall":
		l.bits(&b)
		switch op {
		case "setall":
			b.OracleSetAll()
		case "clearall":
			b.OracleClearAll()
		case "allocall":
			b.OracleAllocAll()
		default:
			b.OracleFreeAll()
		}
		oracleWords(&sb, &b)
	case "setblock64", "clearblock64", "allocpages64":
		i, v := l.dec(), l.hex()
		l.bits(&b)
		switch op {
		case "setblock64":
			b.OracleSetBlock64(i, v)
		case "clearblock64":
			b.OracleClearBlock64(i, v)
		default:
			b.OracleAllocPages64(i, v)
		}
		oracleWords(&sb, &b)
	case "popcnt":
		i, n := l.dec(), l.dec()
		l.bits(&b)
		fmt.Fprintf(&sb, " %s", oracleIdx(b.OraclePopcntRange(i, n)))
	case "pack":
		s := OraclePack(l.dec(), l.dec(), l.dec())
		fmt.Fprintf(&sb, " %x %d %d %d", s, OracleSumStart(s), OracleSumMax(s), OracleSumEnd(s))
	case "unpack":
		s := l.hex()
		fmt.Fprintf(&sb, " %d %d %d", OracleSumStart(s), OracleSumMax(s), OracleSumEnd(s))
	case "summarize":
		l.bits(&b)
		fmt.Fprintf(&sb, " %x", b.OracleSummarize())
	case "fbr64":
		c, n := l.hex(), l.dec()
		fmt.Fprintf(&sb, " %s", oracleIdx(OracleFindBitRange64(c, n)))
	case "find", "findsmall", "findlarge":
		npages, idx := uintptr(l.dec()), l.dec()
		l.bits(&b)
		var i, ni uint
		switch op {
		case "find":
			i, ni = b.OracleFind(npages, idx)
		case "findsmall":
			i, ni = b.OracleFindSmallN(npages, idx)
		default:
			i, ni = b.OracleFindLargeN(npages, idx)
		}
		fmt.Fprintf(&sb, " %s %s", oracleIdx(i), oracleIdx(ni))
	case "find1":
		idx := l.dec()
		l.bits(&b)
		fmt.Fprintf(&sb, " %s", oracleIdx(b.OracleFind1(idx)))
	case "dalloc", "dallocall", "scav":
		var i, n, min, max, hp uint
		switch op {
		case "dalloc":
			i, n = l.dec(), l.dec()
		case "scav":
			i, min, max, hp = l.dec(), l.dec(), l.dec(), l.dec()
		}
		var d PallocData
		l.bits(d.PallocBits())
		l.bits(d.Scavenged())
		l.done()
		switch op {
		case "dalloc":
			d.OracleAllocRange(i, n)
		case "dallocall":
			d.OracleAllocAll()
		default:
			old := OracleSetPhysHugePageSize(uintptr(hp) * OraclePageSize)
			start, size := d.OracleFindScavengeCandidate(i, uintptr(min), uintptr(max))
			OracleSetPhysHugePageSize(old)
			fmt.Fprintf(&sb, " %s %s", oracleIdx(start), oracleIdx(size))
			return sb.String(), nil
		}
		oracleWords(&sb, d.PallocBits())
		oracleWords(&sb, d.Scavenged())
	case "fill":
		x, m := l.hex(), l.dec()
		fmt.Fprintf(&sb, " %x", OracleFillAligned(x, m))
	default:
		return "", fmt.Errorf("unknown command %q", op)
	}
	l.done()
	return sb.String(), nil
}

func TestOracle(t *testing.T) {
	in := os.Getenv("ORACLE_IN")
	if in == "" {
		t.Skip("ORACLE_IN not set")
	}
	f, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := os.Stdout
	if name := os.Getenv("ORACLE_OUT"); name != "" {
		if out, err = os.Create(name); err != nil {
			t.Fatal(err)
		}
		defer out.Close()
	}
	w := bufio.NewWriterSize(out, 1<<20)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		res, err := oracleRun(line)
		if err != nil {
			t.Fatalf("%s:%d: %q: %v", in, n, line, err)
		}
		w.WriteString(res)
		w.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
}
