//! The hash map every cache here uses: `hashbrown` with `foldhash`, a fast
//! non-cryptographic hasher. Keys are `u64` ids chosen by the caller; a
//! per-map random seed keeps an adversary from choosing keys that collide.

/// A map from `u64` keys.
pub(crate) type Map<V> = hashbrown::HashMap<u64, V, foldhash::fast::RandomState>;

/// An empty [`Map`].
pub(crate) fn new_map<V>() -> Map<V> {
    Map::with_hasher(foldhash::fast::RandomState::default())
}
