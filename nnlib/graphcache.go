package nnlib

import "container/list"

// GraphCache keeps compiled graphs (or values holding them) by key,
// typically the padded shape they were built for, and closes the least
// recently used one when it holds more than its limit. Compiling a graph
// costs far more than running a small one, so inference code keeps a cache
// per goroutine (for example in a sync.Pool) and asks it for the graph of
// each batch shape. A GraphCache is not safe for concurrent use.
type GraphCache[K comparable, V any] struct {
	max   int
	close func(V)
	lru   *list.List // of *cacheItem[K, V], most recent first
	index map[K]*list.Element
}

type cacheItem[K comparable, V any] struct {
	key K
	val V
}

// NewGraphCache returns a cache holding at most limit values (at least
// 1); release, if not nil, is called on a value when it is evicted or
// purged.
func NewGraphCache[K comparable, V any](limit int, release func(V)) *GraphCache[K, V] {
	return &GraphCache[K, V]{max: max(limit, 1), close: release, lru: list.New(), index: map[K]*list.Element{}}
}

// Get returns the value for key, calling build to make it on a miss. A
// failed build is not cached.
func (c *GraphCache[K, V]) Get(key K, build func() (V, error)) (V, error) {
	if el, ok := c.index[key]; ok {
		c.lru.MoveToFront(el)
		return el.Value.(*cacheItem[K, V]).val, nil
	}
	v, err := build()
	if err != nil {
		return v, err
	}
	c.index[key] = c.lru.PushFront(&cacheItem[K, V]{key, v})
	for c.lru.Len() > c.max {
		old := c.lru.Remove(c.lru.Back()).(*cacheItem[K, V])
		delete(c.index, old.key)
		if c.close != nil {
			c.close(old.val)
		}
	}
	return v, nil
}

// Len returns the number of cached values.
func (c *GraphCache[K, V]) Len() int { return c.lru.Len() }

// Purge closes and drops every cached value.
func (c *GraphCache[K, V]) Purge() {
	for el := c.lru.Front(); el != nil; el = el.Next() {
		if c.close != nil {
			c.close(el.Value.(*cacheItem[K, V]).val)
		}
	}
	c.lru.Init()
	clear(c.index)
}
