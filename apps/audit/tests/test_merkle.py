"""RFC 9162 hashing and proofs, checked against a naive recursive implementation written here."""

import hashlib

import pytest

from apps.audit import merkle


def naive_mth(entries: list[bytes]) -> bytes:
    """RFC 9162 section 2.1.1, literally: recursion on the raw entries."""
    n = len(entries)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + entries[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + naive_mth(entries[:k]) + naive_mth(entries[k:])).digest()


def naive_path(m: int, entries: list[bytes]) -> list[bytes]:
    n = len(entries)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return [*naive_path(m, entries[:k]), naive_mth(entries[k:])]
    return [*naive_path(m - k, entries[k:]), naive_mth(entries[:k])]


def naive_subproof(m: int, entries: list[bytes], whole: bool) -> list[bytes]:
    n = len(entries)
    if m == n:
        return [] if whole else [naive_mth(entries)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return [*naive_subproof(m, entries[:k], whole), naive_mth(entries[k:])]
    return [*naive_subproof(m - k, entries[k:], False), naive_mth(entries[:k])]


ENTRIES = [f"event {n}".encode() for n in range(70)]
LEAVES = [merkle.leaf_hash(e) for e in ENTRIES]

# The Certificate Transparency reference vectors (RFC 6962 hashing = RFC 9162 hashing).
CT_ENTRIES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    bytes(range(0x60, 0x70)),
]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def test_roots_match_the_certificate_transparency_vectors():
    for size in range(1, 9):
        leaves = [merkle.leaf_hash(e) for e in CT_ENTRIES[:size]]
        assert merkle.root_of(leaves).hex() == CT_ROOTS[size - 1]
        assert naive_mth(CT_ENTRIES[:size]).hex() == CT_ROOTS[size - 1]


@pytest.mark.parametrize("size", range(70))
def test_the_compact_range_root_is_the_naive_mth(size):
    frontier = merkle.CompactRange()
    completed = {}
    for leaf in LEAVES[:size]:
        for level, index, digest in frontier.append(leaf):
            completed[(level, index)] = digest
    assert frontier.root() == naive_mth(ENTRIES[:size])
    assert len(frontier.hashes) == size.bit_count()
    # Every perfect subtree it reports completed is the naive hash of exactly those leaves.
    for (level, index), digest in completed.items():
        width = 1 << level
        assert digest == naive_mth(ENTRIES[index * width : (index + 1) * width])
    # Resuming from the stored frontier continues the same tree.
    resumed = merkle.CompactRange(frontier.size, list(frontier.hashes))
    resumed.append(merkle.leaf_hash(b"next"))
    assert resumed.root() == naive_mth([*ENTRIES[:size], b"next"])


def test_a_frontier_of_the_wrong_shape_is_refused():
    with pytest.raises(ValueError, match="hashes"):
        merkle.CompactRange(3, [b"x" * 32])


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 8, 9, 16, 17, 31, 33, 70])
def test_inclusion_proofs_match_the_naive_path_and_verify(size):
    root = naive_mth(ENTRIES[:size])
    subtree = merkle.memory_subtree(LEAVES[:size])
    for index in range(size):
        path = merkle.inclusion_proof(index, size, subtree)
        assert path == naive_path(index, ENTRIES[:size])
        assert merkle.verify_inclusion(index, size, LEAVES[index], path, root)
        assert not merkle.verify_inclusion(index, size, merkle.leaf_hash(b"forged"), path, root)
        if size > 1:
            assert not merkle.verify_inclusion((index + 1) % size, size, LEAVES[index], path, root)
            assert not merkle.verify_inclusion(index, size, LEAVES[index], path[:-1], root)
            assert not merkle.verify_inclusion(index, size, LEAVES[index], [b"\x00" * 32, *path[1:]], root)
    assert not merkle.verify_inclusion(size, size, LEAVES[0], [], root)


@pytest.mark.parametrize("second", [1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 33, 70])
def test_consistency_proofs_match_the_naive_subproof_and_verify(second):
    second_root = naive_mth(ENTRIES[:second])
    subtree = merkle.memory_subtree(LEAVES[:second])
    for first in range(1, second + 1):
        first_root = naive_mth(ENTRIES[:first])
        path = merkle.consistency_proof(first, second, subtree)
        assert path == (naive_subproof(first, ENTRIES[:second], True) if first < second else [])
        assert merkle.verify_consistency(first, second, first_root, second_root, path)
        if first < second:
            # A rewritten history (another first tree) or a forged newer root does not verify.
            assert not merkle.verify_consistency(first, second, naive_mth([b"x", *ENTRIES[1:first]]), second_root, path)
            assert not merkle.verify_consistency(first, second, first_root, naive_mth(ENTRIES[: second - 1]), path)
            assert not merkle.verify_consistency(first, second, first_root, second_root, path[:-1])


def test_perfect_subtrees_cover_a_range_left_to_right():
    assert merkle.perfect_subtrees(0, 7) == [(2, 0), (1, 2), (0, 6)]
    assert merkle.perfect_subtrees(8, 12) == [(2, 2)]
    assert merkle.perfect_subtrees(5, 5) == []
