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
	blocks []*block
	n      int // bytes queued
}

// Len returns how many bytes are queued.
func (q *blockQueue) Len() int { return q.n }

// Write appends a copy of p; it never fails (blockQueue is an io.Writer,
// so that a transport's buffer can be moved into it without a copy of its
// own).
func (q *blockQueue) Write(p []byte) (int, error) {
	total := len(p)
	q.n += len(p)
	if k := len(q.blocks); k > 0 {
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
	for n < len(p) && len(q.blocks) > 0 {
		head := q.blocks[0]
		c := copy(p[n:], head.bytes())
		n += c
		q.discardFromHead(c)
	}
	return n
}

// discard drops the first n bytes (n <= Len).
func (q *blockQueue) discard(n int) {
	for n > 0 {
		c := min(n, q.blocks[0].len())
		q.discardFromHead(c)
		n -= c
	}
}

func (q *blockQueue) discardFromHead(c int) {
	head := q.blocks[0]
	head.r += int64(c)
	q.n -= c
	if head.r == head.w {
		putBlock(head)
		q.blocks[0] = nil
		q.blocks = q.blocks[1:]
		if len(q.blocks) == 0 {
			q.blocks = nil // let the array go: an idle socket holds nothing
		}
	}
}

// take removes whole blocks from the front, at least one if any is queued
// and max > 0, until they hold max bytes or more, and appends them to dst.
// The caller owns them and gives them back with putBlock.
func (q *blockQueue) take(dst []*block, max int) []*block {
	k, got := 0, 0
	for k < len(q.blocks) && got < max {
		got += q.blocks[k].len()
		k++
	}
	dst = append(dst, q.blocks[:k]...)
	clear(q.blocks[:k])
	q.blocks = q.blocks[k:]
	if len(q.blocks) == 0 {
		q.blocks = nil
	}
	q.n -= got
	return dst
}

// reset drops everything queued.
func (q *blockQueue) reset() {
	for _, b := range q.blocks {
		putBlock(b)
	}
	q.blocks, q.n = nil, 0
}

// views appends the queued bytes of each block to dst, for writev.
func views(dst [][]byte, bs []*block) [][]byte {
	for _, b := range bs {
		dst = append(dst, b.bytes())
	}
	return dst
}
