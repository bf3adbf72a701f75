// Package buf holds queues of bytes in pooled, fixed-size blocks: the
// socket's unsent and kept bytes (package core) and the bytes a transport
// holds until the kernel takes them (package adapters) live in them. A
// byte is copied in once; a block moves between queues without a copy
// (Take, Push); a drained block goes back to the pool at once.
package buf

import "sync"

// BlockSize is how many bytes a block holds: about gnet's read chunk, so
// that one read fills at most two blocks. A block (bytes and offsets) is
// exactly 64 KiB, which the Go allocator serves without rounding up.
const BlockSize = 64<<10 - 16

// Block is one piece of a queue: bytes buf[r:w] are queued.
type Block struct {
	buf  [BlockSize]byte
	r, w int64
}

var blockPool = sync.Pool{New: func() any { return new(Block) }}

// Get returns an empty block from the pool.
func Get() *Block { return blockPool.Get().(*Block) }

// Put returns b to the pool; b must not be used after.
func Put(b *Block) {
	b.r, b.w = 0, 0
	blockPool.Put(b)
}

// Bytes returns the queued bytes of b.
func (b *Block) Bytes() []byte { return b.buf[b.r:b.w] }

// Len returns how many bytes b queues.
func (b *Block) Len() int { return int(b.w - b.r) }

// Queue is a FIFO of bytes. It is not safe for concurrent use: the
// socket guards each of its queues with a mutex.
type Queue struct {
	blocks []*Block // blocks[head:] are queued
	head   int
	n      int // bytes queued
}

// keepBlocks is the largest array of block pointers an empty queue keeps
// for its next use; a larger one (left by a burst) is let go.
const keepBlocks = 16

// Len returns how many bytes are queued.
func (q *Queue) Len() int {
	if q == nil {
		return 0
	}
	return q.n
}

// Blocks returns the queued blocks (valid until the queue changes).
func (q *Queue) Blocks() []*Block {
	if q == nil {
		return nil
	}
	return q.blocks[q.head:]
}

// Write appends a copy of p; it never fails (Queue is an io.Writer,
// so that a transport's buffer can be moved into it without a copy of its
// own).
func (q *Queue) Write(p []byte) (int, error) {
	total := len(p)
	q.n += len(p)
	if k := len(q.blocks); k > q.head {
		tail := q.blocks[k-1]
		c := copy(tail.buf[tail.w:], p)
		tail.w += int64(c)
		p = p[c:]
	}
	for len(p) > 0 {
		b := Get()
		c := copy(b.buf[:], p)
		b.w = int64(c)
		p = p[c:]
		q.blocks = append(q.blocks, b)
	}
	return total, nil
}

// Push appends whole blocks (taken from another queue) and returns how many
// bytes they hold.
func (q *Queue) Push(bs []*Block) int {
	n := 0
	for _, b := range bs {
		n += b.Len()
	}
	q.blocks = append(q.blocks, bs...)
	q.n += n
	return n
}

// Read moves up to len(p) bytes into p and returns how many.
func (q *Queue) Read(p []byte) int {
	n := 0
	for n < len(p) && q.n > 0 {
		c := copy(p[n:], q.blocks[q.head].Bytes())
		n += c
		q.discardHead(c)
	}
	return n
}

// Discard drops the first n bytes (n <= Len).
func (q *Queue) Discard(n int) {
	for n > 0 {
		c := min(n, q.blocks[q.head].Len())
		q.discardHead(c)
		n -= c
	}
}

func (q *Queue) discardHead(c int) {
	head := q.blocks[q.head]
	head.r += int64(c)
	q.n -= c
	if head.r == head.w {
		Put(head)
		q.blocks[q.head] = nil
		q.head++
		q.emptied()
	}
}

// emptied resets the queue's array once nothing is left in it.
func (q *Queue) emptied() {
	if q.head < len(q.blocks) {
		return
	}
	q.head = 0
	if cap(q.blocks) > keepBlocks {
		q.blocks = nil
	} else {
		q.blocks = q.blocks[:0]
	}
}

// Pop removes the first block and returns it, or nil if the queue is
// empty. The caller gives it back with Put.
func (q *Queue) Pop() *Block {
	if q.n == 0 {
		return nil
	}
	b := q.blocks[q.head]
	q.blocks[q.head] = nil
	q.head++
	q.n -= b.Len()
	q.emptied()
	return b
}

// Take removes whole blocks from the front, at least one if any is queued
// and max > 0, until they hold max bytes or more, and appends them to dst.
// The caller owns them and gives them back with Put.
func (q *Queue) Take(dst []*Block, max int) []*Block {
	live := q.Blocks()
	k, got := 0, 0
	for k < len(live) && got < max {
		got += live[k].Len()
		k++
	}
	dst = append(dst, live[:k]...)
	clear(live[:k])
	q.head += k
	q.n -= got
	q.emptied()
	return dst
}

// Reset drops everything queued. A nil queue has nothing to drop.
func (q *Queue) Reset() {
	if q == nil {
		return
	}
	for _, b := range q.Blocks() {
		Put(b)
	}
	clear(q.blocks)
	q.head, q.n = len(q.blocks), 0
	q.emptied()
}

// Views appends the queued bytes of each block to dst, for writev.
func Views(dst [][]byte, bs []*Block) [][]byte {
	for _, b := range bs {
		dst = append(dst, b.Bytes())
	}
	return dst
}
