package core

import "sync"

// A socket holds the bytes it has not sent yet, and the bytes it keeps
// unread, in queues of fixed-size blocks taken from a pool: memory follows
// what is queued (rounded up to a block), a byte is copied in once, and a
// drained block goes back to the pool at once for any socket to reuse.

// blockSize is how many bytes a block holds: about gnet's read chunk, so
// that one read fills at most two blocks. A block (bytes and offsets) is
// exactly 64 KiB, which the Go allocator serves without rounding up.
const blockSize = 64<<10 - 16

// block is one piece of a queue: bytes buf[r:w] are queued.
type block struct {
	buf  [blockSize]byte
	r, w int64
}

var blockPool = sync.Pool{New: func() any { return new(block) }}

func getBlock() *block { return blockPool.Get().(*block) }

func putBlock(b *block) {
	b.r, b.w = 0, 0
	blockPool.Put(b)
}

// bytes returns the queued bytes of b.
func (b *block) bytes() []byte { return b.buf[b.r:b.w] }

// len returns how many bytes b queues.
func (b *block) len() int { return int(b.w - b.r) }

// blockQueue is a FIFO of bytes. It is not safe for concurrent use: the
// socket guards each of its queues with a mutex.
type blockQueue struct {
	blocks []*block // blocks[head:] are queued
	head   int
	n      int // bytes queued
}

// keepBlocks is the largest array of block pointers an empty queue keeps
// for its next use; a larger one (left by a burst) is let go.
const keepBlocks = 16

// Len returns how many bytes are queued.
func (q *blockQueue) Len() int { return q.n }

// live returns the queued blocks.
func (q *blockQueue) live() []*block { return q.blocks[q.head:] }

// Write appends a copy of p; it never fails (blockQueue is an io.Writer,
// so that a transport's buffer can be moved into it without a copy of its
// own).
func (q *blockQueue) Write(p []byte) (int, error) {
	total := len(p)
	q.n += len(p)
	if k := len(q.blocks); k > q.head {
		tail := q.blocks[k-1]
		c := copy(tail.buf[tail.w:], p)
		tail.w += int64(c)
		p = p[c:]
	}
	for len(p) > 0 {
		b := getBlock()
		c := copy(b.buf[:], p)
		b.w = int64(c)
		p = p[c:]
		q.blocks = append(q.blocks, b)
	}
	return total, nil
}

// push appends whole blocks (taken from another queue) and returns how many
// bytes they hold.
func (q *blockQueue) push(bs []*block) int {
	n := 0
	for _, b := range bs {
		n += b.len()
	}
	q.blocks = append(q.blocks, bs...)
	q.n += n
	return n
}

// read moves up to len(p) bytes into p and returns how many.
func (q *blockQueue) read(p []byte) int {
	n := 0
	for n < len(p) && q.n > 0 {
		c := copy(p[n:], q.blocks[q.head].bytes())
		n += c
		q.discardFromHead(c)
	}
	return n
}

// discard drops the first n bytes (n <= Len).
func (q *blockQueue) discard(n int) {
	for n > 0 {
		c := min(n, q.blocks[q.head].len())
		q.discardFromHead(c)
		n -= c
	}
}

func (q *blockQueue) discardFromHead(c int) {
	head := q.blocks[q.head]
	head.r += int64(c)
	q.n -= c
	if head.r == head.w {
		putBlock(head)
		q.blocks[q.head] = nil
		q.head++
		q.emptied()
	}
}

// emptied resets the queue's array once nothing is left in it.
func (q *blockQueue) emptied() {
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

// pop removes the first block and returns it, or nil if the queue is
// empty. The caller gives it back with putBlock.
func (q *blockQueue) pop() *block {
	if q.n == 0 {
		return nil
	}
	b := q.blocks[q.head]
	q.blocks[q.head] = nil
	q.head++
	q.n -= b.len()
	q.emptied()
	return b
}

// take removes whole blocks from the front, at least one if any is queued
// and max > 0, until they hold max bytes or more, and appends them to dst.
// The caller owns them and gives them back with putBlock.
func (q *blockQueue) take(dst []*block, max int) []*block {
	live := q.live()
	k, got := 0, 0
	for k < len(live) && got < max {
		got += live[k].len()
		k++
	}
	dst = append(dst, live[:k]...)
	clear(live[:k])
	q.head += k
	q.n -= got
	q.emptied()
	return dst
}

// reset drops everything queued.
func (q *blockQueue) reset() {
	for _, b := range q.live() {
		putBlock(b)
	}
	clear(q.blocks)
	q.head, q.n = len(q.blocks), 0
	q.emptied()
}

// views appends the queued bytes of each block to dst, for writev.
func views(dst [][]byte, bs []*block) [][]byte {
	for _, b := range bs {
		dst = append(dst, b.bytes())
	}
	return dst
}
