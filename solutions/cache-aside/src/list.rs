//! Doubly-linked lists threaded through a slab (a `Vec`), by index.
//!
//! Every cache here keeps its entries in one `Vec` and links them with `u32`
//! indices instead of pointers: a node never moves, an index is 4 bytes, and
//! unlinking a node from the middle of its list is O(1), which is what makes
//! "move to the front" and "evict the oldest" constant-time. The borrow
//! checker is happy, because the list never owns the nodes: each operation
//! borrows the slab for the duration of the call. No `unsafe` anywhere.
//!
//! A list remembers its head (the newest end), its tail (the oldest end) and
//! its length; each node carries its own [`Links`].

/// "No node": the end of a list.
pub(crate) const NIL: u32 = u32::MAX;

/// The two links a node of a list carries.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Links {
    /// Towards the head (newer); [`NIL`] at the head.
    pub prev: u32,
    /// Towards the tail (older); [`NIL`] at the tail.
    pub next: u32,
}

impl Links {
    /// Links of a node in no list.
    pub const UNLINKED: Links = Links { prev: NIL, next: NIL };
}

/// A node that can sit in a [`List`].
pub(crate) trait Linked {
    /// The node's links.
    fn links(&mut self) -> &mut Links;
}

/// A list of nodes of one slab, newest at the head.
#[derive(Debug, Clone, Copy)]
pub(crate) struct List {
    head: u32,
    tail: u32,
    len: u32,
}

impl List {
    /// An empty list.
    pub const EMPTY: List = List { head: NIL, tail: NIL, len: 0 };

    /// Nodes in the list.
    #[inline]
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// `true` when the list holds no node.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The newest node, if any.
    #[inline]
    pub fn head(&self) -> Option<u32> {
        (self.head != NIL).then_some(self.head)
    }

    /// The oldest node, if any.
    #[inline]
    pub fn tail(&self) -> Option<u32> {
        (self.tail != NIL).then_some(self.tail)
    }

    /// Link node `i` (in no list) at the head.
    #[inline]
    pub fn push_front<N: Linked>(&mut self, nodes: &mut [N], i: u32) {
        *nodes[i as usize].links() = Links { prev: NIL, next: self.head };
        match self.head {
            NIL => self.tail = i,
            old => nodes[old as usize].links().prev = i,
        }
        self.head = i;
        self.len += 1;
    }

    /// Take node `i` out of this list (it must be in it).
    #[inline]
    pub fn unlink<N: Linked>(&mut self, nodes: &mut [N], i: u32) {
        let Links { prev, next } = *nodes[i as usize].links();
        match prev {
            NIL => self.head = next,
            p => nodes[p as usize].links().next = next,
        }
        match next {
            NIL => self.tail = prev,
            n => nodes[n as usize].links().prev = prev,
        }
        *nodes[i as usize].links() = Links::UNLINKED;
        self.len -= 1;
    }

    /// Move node `i` (in this list) to the head.
    #[inline]
    pub fn move_to_front<N: Linked>(&mut self, nodes: &mut [N], i: u32) {
        if self.head != i {
            self.unlink(nodes, i);
            self.push_front(nodes, i);
        }
    }

    /// Take the oldest node out, if any.
    #[inline]
    pub fn pop_back<N: Linked>(&mut self, nodes: &mut [N]) -> Option<u32> {
        let i = self.tail()?;
        self.unlink(nodes, i);
        Some(i)
    }
}

impl List {
    /// Link node `i` (in no list) right after node `at` (in this list).
    #[inline]
    pub fn insert_after<N: Linked>(&mut self, nodes: &mut [N], at: u32, i: u32) {
        let next = nodes[at as usize].links().next;
        *nodes[i as usize].links() = Links { prev: at, next };
        nodes[at as usize].links().next = i;
        match next {
            NIL => self.tail = i,
            n => nodes[n as usize].links().prev = i,
        }
        self.len += 1;
    }
}
