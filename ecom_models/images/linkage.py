"""Groups of same-photo pairs that never chain (complete linkage), and the mutual-closest rule that
lets a tiny photo pair with its original when its own evidence is too thin (images.duplicates
verifies the pairs; this only decides which verified or near pairs become groups)."""

from __future__ import annotations


def mutual_best(prints: list, evidence: dict, t) -> list[tuple[int, int]]:
    """Pairs of a tiny photo and a larger one that failed verification but are each other's closest candidate,
    within `t.mutual_distance`, the tiny photo's next candidate well behind (`t.mutual_ratio`).

    A copy shrunk to 35 px keeps too little of a silver ring or a coiled belt for the per-pair
    rules (its outline and colours blur into the background), but it still resembles its
    original more than anything else in the catalog; two different products shot alike leave
    each of them a rival about as close, which the ratio refuses.

    `prints`: duplicates.Fingerprint per photo; `evidence`: duplicates.PairEvidence per verified
    candidate pair (i < j); `t`: duplicates.Thresholds (not imported: duplicates imports this)."""
    matched = {k for pair, ev in evidence.items() if ev.same_photo for k in pair}  # these found theirs
    ranked: dict[int, list[tuple[float, int]]] = {}
    for (i, j), ev in evidence.items():
        ranked.setdefault(i, []).append((ev.closest, j))
        ranked.setdefault(j, []).append((ev.closest, i))
    for v in ranked.values():
        v.sort()
    out = []
    for (i, j), ev in evidence.items():
        if ev.same_photo or ev.closest > t.mutual_distance or i in matched or j in matched:
            continue
        # one tiny photo and one that is not: two tiny photos of two belts shot alike are both too
        # blurred to tell apart, and one's closest is easily the other
        if (min(prints[i].photo_side, prints[j].photo_side) > t.tiny_whole_side
                or max(prints[i].photo_side, prints[j].photo_side) <= t.tiny_whole_side):
            continue
        if ranked[i][0][1] != j or ranked[j][0][1] != i:
            continue
        tiny = i if prints[i].photo_side <= prints[j].photo_side else j
        rival = ranked[tiny][1][0] if len(ranked[tiny]) > 1 else 99.0
        if ev.closest <= t.mutual_ratio * rival:
            out.append((i, j))
    return out


def complete_linkage(n: int, edges: dict[tuple[int, int], float]) -> list[list[int]]:
    """Groups where every pair is an edge: merge the strongest pairs first, and two groups only
    when all pairs across them are edges (no chaining). Returns groups of 2+ members."""
    group = list(range(n))
    members = {i: [i] for i in range(n)}
    for (i, j), _ in sorted(edges.items(), key=lambda kv: -kv[1]):
        gi, gj = group[i], group[j]
        if gi == gj:
            continue
        if all((min(x, y), max(x, y)) in edges for x in members[gi] for y in members[gj]):
            for x in members[gj]:
                group[x] = gi
            members[gi] += members.pop(gj)
    return [sorted(m) for m in members.values() if len(m) > 1]
