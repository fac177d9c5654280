package verity

import (
	"context"

	"github.com/verinit/verinit/internal/units"
)

// Chunk sizes of the parallel passes. A unit is the work one goroutine
// claims at a time: whole level-0 hash blocks and the data blocks they
// cover, about unitBytes of data, read readBytes at a time into a buffer
// that stays in the CPU cache while it is hashed.
const (
	readBytes = 512 << 10
	unitBytes = 4 << 20
)

// runUnits runs units as internal/units does, without cancellation.
func runUnits(workers int, n uint64, newWorker func() func(u uint64) error) error {
	return units.Run(context.Background(), workers, n, newWorker)
}

// unitL0Blocks returns how many level-0 hash blocks make one unit.
func (l *layout) unitL0Blocks(p *Params) uint64 {
	per := l.hpb * uint64(p.DataBlockSize) // data bytes under one level-0 block
	if per >= unitBytes {
		return 1
	}
	return unitBytes / per
}

// dataBuf returns a read buffer for data blocks: readBytes rounded down to
// whole blocks, at least one block, and no larger than n blocks.
func dataBuf(p *Params, n uint64) []byte {
	db := uint64(p.DataBlockSize)
	blocks := max(readBytes/db, 1)
	blocks = min(blocks, n)
	return make([]byte, blocks*db)
}

// entry returns the offset of digest k within a level whose blocks are
// consecutive in one buffer.
func (l *layout) entry(p *Params, k uint64) uint64 {
	return (k>>l.hpbBits)*uint64(p.HashBlockSize) + (k&(l.hpb-1))*uint64(l.stride)
}

// used returns how many digests block k of level i holds.
func (l *layout) used(p *Params, i int, k uint64) uint64 {
	return min(l.hpb, l.entries(p, i)-k*l.hpb)
}

// padding returns the index of the first non-zero byte of block outside its
// first used digests, or -1.
func (l *layout) padding(block []byte, used uint64) int {
	if l.stride != l.digest {
		for i := uint64(0); i < used; i++ {
			o := int(i)*l.stride + l.digest
			if j := nonZero(block[o : int(i+1)*l.stride]); j >= 0 {
				return o + j
			}
		}
	}
	o := int(used) * l.stride
	if j := nonZero(block[o:]); j >= 0 {
		return o + j
	}
	return -1
}
