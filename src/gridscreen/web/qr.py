"""Fast choice of the QR data mask, identical to segno's.

A city opening its resident pages at once draws millions of codes. ISO/IEC 18004 asks the encoder to try all
eight data masks and keep the one with the lowest penalty (N1-N4); segno does that in pure Python, which is ~80 %
of the time a code takes. We keep that choice but score all masks at once with NumPy, so
``segno.make(text, error="m", mask=best_mask(text))`` is byte-identical to ``segno.make(text, error="m")``;
``make_qr`` goes further and encodes only once.

segno has no entry point that stops before masking, so ``_message`` runs segno's own encoding steps in the order
``segno.encoder.encode``/``_encode`` runs them (for ``segno.make``'s defaults). The rules themselves (segments,
error correction, placement, mask patterns, format information) all stay segno's; segno is pinned, and
tests/web/test_qr.py checks the result against it bit for bit. Like segno, we score each mask with the format
and version areas (and the dark module) still light: segno writes them only after it has chosen.
"""

from functools import cache

import numpy as np
import segno
from segno import consts
from segno import encoder as enc

# One byte per module, one bit per candidate mask: each NumPy operation then scores all eight masks at once.
_LANES = np.uint64(0x0101010101010101) << np.arange(8, dtype=np.uint64)


def _message(text: str, error: str | None):
    """Version, (possibly boosted) error level, segments and final bit stream, as segno.make builds them."""
    err = enc.normalize_errorlevel(error, accept_none=True)
    segments = enc.prepare_data(text, None, None)
    version = enc.find_version(segments, err, eci=False, micro=None)
    if err is None and version != consts.VERSION_M1:
        err = consts.ERROR_LEVEL_L
    err = enc.boost_error_level(version, err, segments, False)
    buff = enc.Buffer()
    ver, ver_range = (version, version) if version < 1 else (None, enc.version_range(version))
    for segment in segments:
        enc.write_segment(buff, segment, ver, ver_range, False)
    capacity = consts.SYMBOL_CAPACITY[version][err]
    enc.write_terminator(buff, capacity, ver, len(buff))
    enc.write_padding_bits(buff, version, len(buff))
    enc.write_pad_codewords(buff, version, capacity, len(buff))
    bits = enc.make_final_message(version, err, buff).getbits()
    return version, err, segments, np.frombuffer(bytes(bits), dtype=np.uint8)


@cache
def _layout(version: int):
    """Per version: function patterns (format/version areas still blank, as segno scores them), the encoding
    region, which message bit lands on each region module, the masks as lane bits, and where N1/N2 windows may
    start in _penalties' padded lines."""
    n = enc.calc_matrix_size(version)
    matrix = enc.make_matrix(n, n)
    enc.add_finder_patterns(matrix, n, n)
    enc.add_alignment_patterns(matrix, n, n)
    base = np.array(matrix, dtype=np.uint8)
    region = base == 2
    base[region] = 0
    # Numbering the modules with segno's own placement keeps its zig-zag (and the M1/M3 quirk) without copying it.
    numbered = [list(row) for row in matrix]
    enc.add_codewords(numbered, range(3, 3 + int(region.sum())), version)
    source = np.array(numbered)[region] - 3
    i, j = np.indices((n, n))
    # segno's mask functions are plain arithmetic, so they evaluate on index arrays as they are.
    flips = [(fn(i, j) & region).astype(np.uint8) << m for m, fn in enumerate(enc.get_data_mask_functions(version < 1))]
    line, col = np.divmod(np.arange(2 * n * (n + 8)), n + 8)
    col -= 4
    five_ok = np.where((col >= 0) & (col <= n - 5), 0xFF, 0).astype(np.uint8)
    block_ok = np.where((line < n - 1) & (col >= 0) & (col <= n - 2), 0xFF, 0).astype(np.uint8)
    return base, region, source, np.bitwise_or.reduce(flips), five_ok, block_ok


def _lane_counts(rows: np.ndarray) -> np.ndarray:
    """How many bytes of each row have each lane bit set: (r, length) -> (r, 8)."""
    words = np.zeros((len(rows), -(-rows.shape[1] // 8) * 8), np.uint8)
    words[:, : rows.shape[1]] = rows
    return np.bitwise_count(words.view(np.uint64)[:, None, :] & _LANES[:, None]).sum(axis=2).astype(np.int64)


def _penalties(cand: np.ndarray, five_ok: np.ndarray, block_ok: np.ndarray) -> np.ndarray:
    """N1 + N2 + N3 + N4 of each mask, scored as segno scores them."""
    n, w = len(cand), len(cand) + 8
    size = 2 * n * w
    # Rows, then columns, each between four light modules: N3 counts the quiet zone as light, and no 1011101 can
    # bridge the gap to the next line (N1/N2 windows are kept in by five_ok/block_ok). Two spare lines keep every
    # shifted view in bounds.
    grid = np.zeros((2 * n + 2, w), np.uint8)
    grid[:n, 4:-4], grid[n : 2 * n, 4:-4] = cand, cand.T
    flat = grid.ravel()

    def at(shift: int) -> np.ndarray:
        return flat[shift : shift + size]

    feats = np.empty((4, size), np.uint8)
    same = ~(flat[:-1] ^ flat[1:])
    # N1: a run of L >= 5 holds L - 4 windows of five, L - 5 of them overlapping the next; 3(L-4) - 2(L-5) = L - 2.
    five = np.bitwise_and(same[:size] & same[1 : size + 1] & same[2 : size + 2] & same[3 : size + 3], five_ok, feats[0])
    np.bitwise_and(five[1:], five[:-1], feats[1, :-1])
    feats[1, -1] = 0
    np.bitwise_and(same[:size] & same[w : w + size] & ~(at(0) ^ at(w)), block_ok, feats[2])  # N2: 2x2 blocks
    # N3: hit[q] is a 1011101 starting at flat[q + 4] with four light modules before it (dark4[q]) or after it.
    dark2 = flat[:-1] | flat[1:]
    dark4 = dark2[:-2] | dark2[2:]
    hit = at(4) & ~at(5) & at(6) & at(7) & at(8) & ~at(9) & at(10) & ~(dark4[:size] & dark4[11 : size + 11])
    # segno resumes its search 7 modules after a pattern it scored, so one overlapping it (4 or 6 further on)
    # is never looked at. Rare enough (about one code in ten) to settle in plain Python, still all lanes at once.
    earlier = hit[:-4] | np.concatenate([np.zeros(2, np.uint8), hit[:-6]])  # a hit 4 or 6 modules before
    if (hit[4:] & earlier).any():
        spots, kept = np.flatnonzero(hit), {}
        for spot, lanes in zip(spots.tolist(), hit[spots].tolist(), strict=True):
            kept[spot] = lanes & ~(kept.get(spot - 4, 0) | kept.get(spot - 6, 0))
        hit[spots] = list(kept.values())
    feats[3] = hit
    counts = _lane_counts(feats)
    # N4: 10 per full 5 % the dark share strays from 50 %, in segno's float arithmetic.
    percent = _lane_counts(cand.reshape(1, -1))[0] / float(n * n)
    n4 = 10 * (np.abs(percent * 100 - 50) / 5).astype(np.int64)
    return np.array([3, -2, 3, 40]) @ counts + n4


def _choose(version: int, bits: np.ndarray):
    """The chosen mask and the unmasked symbol."""
    base, region, source, masks, five_ok, block_ok = _layout(version)
    data = base.copy()
    data[region] = bits[source]
    cand = (data * 0xFF) ^ masks
    if version > 0:  # lowest penalty; argmin keeps the first of equals, as segno's strict "<" does
        return int(np.argmin(_penalties(cand, five_ok, block_ok))), data
    # Micro QR: highest score over the dark modules of the last column and row (first of equals, strict ">").
    col, row = _lane_counts(np.stack([cand[1:, -1], cand[-1, 1:]]))[:, :4]
    return int(np.argmax(np.where(col <= row, col * 16 + row, row * 16 + col))), data


def best_mask(text: str, error: str | None = "m") -> int:
    """The data mask segno.make(text, error=error) would choose."""
    version, _, _, bits = _message(text, error)
    return _choose(version, bits)[0]


def make_qr(text: str, error: str | None = "m") -> segno.QRCode:
    """Same symbol as segno.make(text, error=error), encoded once with the mask chosen here."""
    version, err, segments, bits = _message(text, error)
    mask, data = _choose(version, bits)
    flips = (_layout(version)[3] >> mask) & 1
    matrix = tuple(bytearray(row) for row in (data ^ flips).tolist())
    enc.add_format_info(matrix, version, err, mask)
    enc.add_version_info(matrix, version)
    return segno.QRCode(enc.Code(matrix, version, err, mask, segments))
