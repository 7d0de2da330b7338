// SPDX-License-Identifier: GPL-2.0
//
// Internal wrappers for the pallocbits differential oracle.
//
// This file is not built on its own: scripts/oracle.sh adds it to Go's
// runtime package with `go test -overlay`, next to the runtime's own
// export_test.go.  Being package runtime it may not import testing, fmt
// or os; it only exposes the unexported chunk-bitmap functions of
// mpallocbits.go and mgcscavenge.go to the driver in oracle_test.go.
// Every name starts with Oracle so none collides with export_test.go.

package runtime

// pageBits

func (b *PallocBits) OracleGet(i uint) uint       { return (*pageBits)(b).get(i) }
func (b *PallocBits) OracleBlock64(i uint) uint64 { return (*pageBits)(b).block64(i) }
func (b *PallocBits) OracleSet(i uint)            { (*pageBits)(b).set(i) }
func (b *PallocBits) OracleSetRange(i, n uint)    { (*pageBits)(b).setRange(i, n) }
func (b *PallocBits) OracleSetAll()               { (*pageBits)(b).setAll() }
func (b *PallocBits) OracleSetBlock64(i uint, v uint64) {
	(*pageBits)(b).setBlock64(i, v)
}
func (b *PallocBits) OracleClear(i uint)         { (*pageBits)(b).clear(i) }
func (b *PallocBits) OracleClearRange(i, n uint) { (*pageBits)(b).clearRange(i, n) }
func (b *PallocBits) OracleClearAll()            { (*pageBits)(b).clearAll() }
func (b *PallocBits) OracleClearBlock64(i uint, v uint64) {
	(*pageBits)(b).clearBlock64(i, v)
}
func (b *PallocBits) OraclePopcntRange(i, n uint) uint {
	return (*pageBits)(b).popcntRange(i, n)
}

// pallocSum

func OraclePack(start, max, end uint) uint64 {
	return uint64(packPallocSum(start, max, end))
}
func OracleSumStart(s uint64) uint { return pallocSum(s).start() }
func OracleSumMax(s uint64) uint   { return pallocSum(s).max() }
func OracleSumEnd(s uint64) uint   { return pallocSum(s).end() }

// pallocBits

func (b *PallocBits) OracleSummarize() uint64 {
	return uint64((*pallocBits)(b).summarize())
}
func (b *PallocBits) OracleFind(npages uintptr, searchIdx uint) (uint, uint) {
	return (*pallocBits)(b).find(npages, searchIdx)
}
func (b *PallocBits) OracleFind1(searchIdx uint) uint {
	return (*pallocBits)(b).find1(searchIdx)
}
func (b *PallocBits) OracleFindSmallN(npages uintptr, searchIdx uint) (uint, uint) {
	return (*pallocBits)(b).findSmallN(npages, searchIdx)
}
func (b *PallocBits) OracleFindLargeN(npages uintptr, searchIdx uint) (uint, uint) {
	return (*pallocBits)(b).findLargeN(npages, searchIdx)
}
func (b *PallocBits) OracleAllocRange(i, n uint) { (*pallocBits)(b).allocRange(i, n) }
func (b *PallocBits) OracleAllocAll()            { (*pallocBits)(b).allocAll() }
func (b *PallocBits) OracleFree1(i uint)         { (*pallocBits)(b).free1(i) }
func (b *PallocBits) OracleFree(i, n uint)       { (*pallocBits)(b).free(i, n) }
func (b *PallocBits) OracleFreeAll()             { (*pallocBits)(b).freeAll() }
func (b *PallocBits) OraclePages64(i uint) uint64 {
	return (*pallocBits)(b).pages64(i)
}
func (b *PallocBits) OracleAllocPages64(i uint, alloc uint64) {
	(*pallocBits)(b).allocPages64(i, alloc)
}

func OracleFindBitRange64(c uint64, n uint) uint { return findBitRange64(c, n) }

// pallocData and the scavenger's bitmap search

func (d *PallocData) OracleAllocRange(i, n uint) { (*pallocData)(d).allocRange(i, n) }
func (d *PallocData) OracleAllocAll()            { (*pallocData)(d).allocAll() }

func OracleFillAligned(x uint64, m uint) uint64 { return fillAligned(x, m) }

func (d *PallocData) OracleFindScavengeCandidate(searchIdx uint, min, max uintptr) (uint, uint) {
	return (*pallocData)(d).findScavengeCandidate(searchIdx, min, max)
}

// OracleSetPhysHugePageSize sets the huge page size findScavengeCandidate
// sees and returns the previous value; callers restore it afterwards.
// findScavengeCandidate only extends to huge pages when the size exceeds
// both pageSize (8 KiB) and physPageSize.
func OracleSetPhysHugePageSize(v uintptr) (old uintptr) {
	old = physHugePageSize
	physHugePageSize = v
	return old
}

// OraclePageSize is Go's runtime page size (8 KiB), the unit of one bit.
const OraclePageSize = pageSize
