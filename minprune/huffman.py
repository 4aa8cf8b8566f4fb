"""Huffman coding (Huffman, 1952) of small non-negative integers, in numpy and Python.

A Huffman code gives frequent symbols short bit strings and rare ones long
strings, with no string the beginning of another, so a stream of them decodes
without separators. It is the shortest such code for the symbols' frequencies:
the average length lies within one bit of their entropy.

The code here is *canonical*: only each symbol's code length is stored; the bit
strings follow from the lengths (shorter codes first, ties by symbol value), which
makes the table small and lets a decoder rebuild the code from it alone.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np

MAX_TABLE_BITS = 20  # decode with a lookup table up to this code length, bit by bit beyond


class HuffmanError(ValueError):
    """A code table or a bit stream that cannot be decoded."""


def code_lengths(values):
    """Huffman code length of every distinct value in `values`.

    Parameters
    ----------
    values : int ndarray of shape (n,)
        Non-negative symbols.

    Returns
    -------
    symbols : int64 ndarray of shape (n_symbols,)
        The distinct values, increasing.
    lengths : int64 ndarray of shape (n_symbols,)
        Bits of each symbol's code (1 when there is a single symbol).
    """
    symbols, counts = np.unique(np.asarray(values, dtype=np.int64), return_counts=True)
    if symbols.size <= 1:
        return symbols, np.ones(symbols.size, dtype=np.int64)
    # Heap of (count, tie-breaker, members); merging two nodes adds one bit to each member.
    heap = [(int(c), i, [i]) for i, c in enumerate(counts)]
    heapq.heapify(heap)
    lengths = np.zeros(symbols.size, dtype=np.int64)
    order = symbols.size
    while len(heap) > 1:
        c1, _, m1 = heapq.heappop(heap)
        c2, _, m2 = heapq.heappop(heap)
        merged = m1 + m2
        lengths[merged] += 1
        heapq.heappush(heap, (c1 + c2, order, merged))
        order += 1
    return symbols, lengths


def _validate_table(symbols, lengths):
    symbols = np.asarray(symbols, dtype=np.int64)
    lengths = np.asarray(lengths, dtype=np.int64)
    if symbols.ndim != 1 or symbols.shape != lengths.shape:
        raise HuffmanError(f"the code table needs one length per symbol, got {symbols.shape} "
                           f"symbols and {lengths.shape} lengths")
    if symbols.size and (np.any(np.diff(symbols) <= 0) or symbols[0] < 0):
        raise HuffmanError("the code table's symbols must be distinct, increasing and >= 0")
    if symbols.size and (lengths.min() < 1 or lengths.max() > 62):
        raise HuffmanError(f"code lengths must be in [1, 62], got {lengths.min()}.."
                           f"{lengths.max()}")
    if symbols.size > 1 and sum(2.0 ** -lengths.astype(np.float64)) > 1 + 1e-12:
        raise HuffmanError("the code lengths break Kraft's inequality: no prefix code has them")
    return symbols, lengths


def canonical_codes(symbols, lengths):
    """The canonical code of each symbol, as an int64 whose low `lengths` bits are the code."""
    symbols, lengths = _validate_table(symbols, lengths)
    order = np.lexsort((symbols, lengths))
    codes = np.zeros(symbols.size, dtype=np.int64)
    code, prev = 0, int(lengths[order[0]]) if symbols.size else 0
    for j, i in enumerate(order):
        length = int(lengths[i])
        if j:
            code = (code + 1) << (length - prev)
        codes[i] = code
        prev = length
    return codes


@dataclass
class HuffmanStream:
    """A coded stream: its table, its bits (packed, MSB first) and how many symbols it holds.

    Attributes
    ----------
    symbols, lengths : int64 ndarray of shape (n_symbols,)
        The canonical code table.
    bits : uint8 ndarray
        The coded symbols, padded with zero bits to a whole byte.
    n_bits, count : int
        Bits used, and symbols coded.
    """

    symbols: np.ndarray
    lengths: np.ndarray
    bits: np.ndarray
    n_bits: int
    count: int

    def nbytes(self, symbol_bytes=4):
        """Bytes on disk: the bit stream plus a table of (symbol, one-byte length) pairs."""
        return int(self.bits.size) + int(self.symbols.size) * (symbol_bytes + 1)


def encode(values):
    """Huffman-code `values`: a 1-D array of non-negative integers.

    Returns
    -------
    HuffmanStream

    Raises
    ------
    TypeError
        If `values` is not of an integer dtype (a float would be truncated).
    ValueError
        If `values` is not 1-D or holds a negative value.
    """
    values = np.asarray(values)
    if values.size and not (np.issubdtype(values.dtype, np.integer)
                            or values.dtype == np.bool_):
        raise TypeError(f"values must be an array of integers to be Huffman-coded, got dtype "
                        f"{values.dtype}")
    if values.ndim != 1:
        raise ValueError(f"values must be 1-D to be Huffman-coded, got shape {values.shape}")
    if values.dtype == np.uint64 and values.size and values.max() > np.iinfo(np.int64).max:
        raise ValueError(f"values must fit in int64 to be Huffman-coded, got {values.max()}")
    values = values.astype(np.int64)
    if values.size and values.min() < 0:
        raise ValueError(f"values must be >= 0 to be Huffman-coded, got {values.min()}")
    symbols, lengths = code_lengths(values)
    if values.size == 0:
        return HuffmanStream(symbols, lengths, np.zeros(0, np.uint8), 0, 0)
    codes = canonical_codes(symbols, lengths)
    where = np.searchsorted(symbols, values)
    c, ln = codes[where], lengths[where]
    width = int(lengths.max())
    shifts = ln[:, None] - 1 - np.arange(width)[None, :]   # bit j of each code, MSB first
    bits = (c[:, None] >> np.maximum(shifts, 0)) & 1
    bits = bits[shifts >= 0].astype(np.uint8)
    return HuffmanStream(symbols, lengths, np.packbits(bits), int(bits.size), int(values.size))


def decode(stream):
    """The values coded in `stream` (a :class:`HuffmanStream`), as an int64 array.

    Raises
    ------
    HuffmanError
        If the table is not a prefix code, the bits do not hold `count` codes, or
        bits are left over: what a damaged stream gives.
    """
    symbols, lengths = _validate_table(stream.symbols, stream.lengths)
    count, n_bits = int(stream.count), int(stream.n_bits)
    packed = np.asarray(stream.bits, dtype=np.uint8)
    if n_bits > 8 * packed.size or n_bits < 0 or count < 0:
        raise HuffmanError(f"the stream claims {n_bits} bits and {count} symbols but holds "
                           f"{8 * packed.size} bits")
    if count == 0:
        if n_bits:
            raise HuffmanError(f"an empty stream cannot hold {n_bits} bits")
        return np.zeros(0, dtype=np.int64)
    if symbols.size == 0:
        raise HuffmanError(f"the stream holds {count} symbols but its code table is empty")
    bits = np.unpackbits(packed)[:n_bits].astype(np.int64)
    codes = canonical_codes(symbols, lengths)
    width = int(lengths.max())
    if width <= MAX_TABLE_BITS:
        out = _decode_by_table(bits, symbols, lengths, codes, width, count)
    else:
        out = _decode_bit_by_bit(bits, symbols, lengths, codes, count)
    return out


def _decode_by_table(bits, symbols, lengths, codes, width, count):
    # table[v] = index of the symbol whose code starts the width-bit window v (-1: none)
    table = np.full(1 << width, -1, dtype=np.int64)
    for i, (c, ln) in enumerate(zip(codes.tolist(), lengths.tolist())):
        lo = c << (width - ln)
        table[lo:lo + (1 << (width - ln))] = i
    padded = np.concatenate([bits, np.zeros(width, dtype=np.int64)])
    window = np.zeros(bits.size + 1, dtype=np.int64)
    for j in range(width):  # window[p] = the `width` bits from position p, as an int
        window = (window << 1) | padded[j:j + bits.size + 1]
    idx_table, len_table = table.tolist(), lengths.tolist()
    win = window.tolist()
    out = np.empty(count, dtype=np.int64)
    pos, n_bits = 0, bits.size
    for k in range(count):
        if pos >= n_bits:
            raise HuffmanError(f"the bit stream ends after {k} of {count} symbols")
        i = idx_table[win[pos]]
        if i < 0:
            raise HuffmanError(f"bits at position {pos} are not a code of the table")
        out[k] = i
        pos += len_table[i]
    if pos != n_bits:
        raise HuffmanError(f"the stream holds {n_bits} bits but its {count} symbols use {pos}")
    return symbols[out]


def _decode_bit_by_bit(bits, symbols, lengths, codes, count):
    lookup = {(int(ln), int(c)): i for i, (c, ln) in enumerate(zip(codes, lengths))}
    width = int(lengths.max())
    out = np.empty(count, dtype=np.int64)
    pos, k, code, ln = 0, 0, 0, 0
    for b in bits.tolist():
        code, ln = (code << 1) | b, ln + 1
        i = lookup.get((ln, code))
        if i is not None:
            if k == count:
                raise HuffmanError(f"the stream holds more than {count} symbols")
            out[k], k, code, ln = i, k + 1, 0, 0
        elif ln > width:
            raise HuffmanError(f"bits at position {pos} are not a code of the table")
        pos += 1
    if k != count or ln:
        raise HuffmanError(f"the bit stream holds {k} whole symbols, expected {count}")
    return symbols[out]
