"""RFC 9162 Merkle tree hashing, proofs and their verification (pure functions, no database).

Leaf hash ``SHA-256(0x00 || entry)``, node hash ``SHA-256(0x01 || left || right)``
and the Merkle Tree Hash of ``n`` leaves as section 2.1.1 defines it: split at the
largest power of two smaller than ``n``. ``CompactRange`` is the right frontier of
the tree (one perfect subtree per set bit of its size, largest first), which is
all a sealer needs to append leaves and compute the new root without reading the
history again (Trillian's compact ranges). Proof *generation* takes a function
``subtree(lo, hi)`` that returns MTH(D[lo:hi]); callers back it by memory or by
the stored tree. Proof *verification* follows sections 2.1.3.2 and 2.1.4.2 word
for word, so an auditor can run this module offline.
"""

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()

Subtree = Callable[[int, int], bytes]


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(LEAF_PREFIX + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def split_point(size: int) -> int:
    """The largest power of two strictly smaller than ``size`` (size >= 2)."""
    return 1 << ((size - 1).bit_length() - 1)


def is_perfect(lo: int, hi: int) -> bool:
    """Whether D[lo:hi] is one aligned perfect subtree (a power-of-two size starting at a multiple of it)."""
    size = hi - lo
    return size > 0 and size & (size - 1) == 0 and lo % size == 0


@dataclass
class CompactRange:
    """The perfect subtrees covering leaves [0, size): one per set bit of ``size``, largest first."""

    size: int = 0
    hashes: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        if len(self.hashes) != self.size.bit_count():
            raise ValueError(f"a compact range of size {self.size} has {self.size.bit_count()} hashes")

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Append one leaf hash; returns the perfect subtrees it completed as (level, index, hash), level >= 1."""
        completed: list[tuple[int, int, bytes]] = []
        current, level, index = leaf, 0, self.size
        # Like a binary counter: every trailing 1 bit of size merges with the new subtree.
        while (self.size >> level) & 1:
            current = node_hash(self.hashes.pop(), current)
            level += 1
            index >>= 1
            completed.append((level, index, current))
        self.hashes.append(current)
        self.size += 1
        return completed

    def root(self) -> bytes:
        """MTH(D[0:size]): the frontier folded from the right."""
        if not self.hashes:
            return EMPTY_ROOT
        current = self.hashes[-1]
        for left in reversed(self.hashes[:-1]):
            current = node_hash(left, current)
        return current

    def copy(self) -> "CompactRange":
        return CompactRange(self.size, list(self.hashes))


def root_of(leaves: Iterable[bytes]) -> bytes:
    """MTH of a sequence of leaf hashes, in one pass."""
    frontier = CompactRange()
    for leaf in leaves:
        frontier.append(leaf)
    return frontier.root()


def memory_subtree(leaves: Sequence[bytes]) -> Subtree:
    """A ``subtree(lo, hi)`` over leaf hashes held in memory (tests, small trees)."""

    def subtree(lo: int, hi: int) -> bytes:
        return root_of(leaves[lo:hi])

    return subtree


def inclusion_proof(index: int, size: int, subtree: Subtree) -> list[bytes]:
    """PATH(index, D[0:size]) of RFC 9162 section 2.1.3.1, leaf-side first."""
    if not 0 <= index < size:
        raise ValueError("index must be inside the tree")
    return _path(index, 0, size, subtree)


def _path(index: int, lo: int, hi: int, subtree: Subtree) -> list[bytes]:
    size = hi - lo
    if size == 1:
        return []
    k = split_point(size)
    if index < k:
        return [*_path(index, lo, lo + k, subtree), subtree(lo + k, hi)]
    return [*_path(index - k, lo + k, hi, subtree), subtree(lo, lo + k)]


def consistency_proof(first: int, second: int, subtree: Subtree) -> list[bytes]:
    """PROOF(first, D[0:second]) of RFC 9162 section 2.1.4.1 (empty when the sizes are equal)."""
    if not 0 < first <= second:
        raise ValueError("need 0 < first <= second")
    if first == second:
        return []
    return _subproof(first, 0, second, True, subtree)


def _subproof(m: int, lo: int, hi: int, whole: bool, subtree: Subtree) -> list[bytes]:
    size = hi - lo
    if m == size:
        return [] if whole else [subtree(lo, hi)]
    k = split_point(size)
    if m <= k:
        return [*_subproof(m, lo, lo + k, whole, subtree), subtree(lo + k, hi)]
    return [*_subproof(m - k, lo + k, hi, False, subtree), subtree(lo, lo + k)]


def verify_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 section 2.1.3.2: does ``leaf`` sit at ``index`` of the tree of ``size`` with ``root``?"""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not (fn & 1 or fn == 0):
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes, path: Sequence[bytes]) -> bool:
    """RFC 9162 section 2.1.4.2: is the tree of ``second`` leaves an append-only extension of ``first``?"""
    if not 0 < first <= second:
        return False
    if first == second:
        return not path and first_root == second_root
    if not path:
        return False
    proof = list(path)
    if first & (first - 1) == 0:
        proof.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not (fn & 1 or fn == 0):
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0


def perfect_subtrees(lo: int, hi: int) -> list[tuple[int, int]]:
    """D[lo:hi] as the aligned perfect subtrees MTH combines, as (level, index), left to right."""
    if hi <= lo:
        return []
    if is_perfect(lo, hi):
        level = (hi - lo).bit_length() - 1
        return [(level, lo >> level)]
    k = split_point(hi - lo)
    return perfect_subtrees(lo, lo + k) + perfect_subtrees(lo + k, hi)
