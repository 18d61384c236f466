"""Minimal Word 97 .doc files (an OLE v3 compound file: WordDocument, 0Table, optionally Data) for the tests of
qa/ingest/word97.py: one piece of text (one byte or two a character), one page of paragraph properties. Written by
a review session of 7 December 2026 to reproduce what real files rarely show (a table in one-byte pieces, a
character outside the BMP, overlapping pieces)."""
import struct

ENDCHAIN, FREE, FATSECT = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD

def ole(streams):  # streams: list of (name, bytes), every stream padded to >= 4096 bytes (no mini stream)
    padded = [d.ljust(max(4096, (len(d) + 511) // 512 * 512), b"\0") for _, d in streams]
    nsec = sum(len(d) // 512 for d in padded)
    nfat = 1
    while nfat * 128 < nfat + nsec + 1:
        nfat += 1
    assert nfat <= 109
    fat, starts, sizes, nxt = [FATSECT] * nfat, [], [], nfat
    for p in padded:
        n = len(p) // 512
        starts.append(nxt)
        sizes.append(len(p))
        fat += [nxt + i + 1 if i < n - 1 else ENDCHAIN for i in range(n)]
        nxt += n
    dir_sec = nxt
    fat.append(ENDCHAIN)
    fat += [FREE] * (nfat * 128 - len(fat))
    def entry(name, typ, child=FREE, right=FREE, start=ENDCHAIN, size=0):
        n = (name + "\0").encode("utf-16-le")
        return (n.ljust(64, b"\0") + struct.pack("<HBB", len(n), typ, 1) + struct.pack("<III", FREE, right, child)
                + b"\0" * 16 + b"\0" * 4 + b"\0" * 16 + struct.pack("<II", start, size) + b"\0" * 4)
    ents = [entry("Root Entry", 5, child=1)]
    for i, (name, _) in enumerate(streams):
        ents.append(entry(name, 2, right=(i + 2) if i + 1 < len(streams) else FREE, start=starts[i], size=sizes[i]))
    d = b"".join(ents)
    d = d.ljust((len(d) + 511) // 512 * 512, b"\0")
    difat = list(range(nfat)) + [FREE] * (109 - nfat)
    hdr = (bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 16 + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6
           + struct.pack("<IIIIIIIII", 0, nfat, dir_sec, 0, 4096, ENDCHAIN, 0, ENDCHAIN, 0)
           + struct.pack("<109I", *difat))
    assert len(hdr) == 512
    return hdr + struct.pack(f"<{len(fat)}I", *fat) + b"".join(padded) + d


def doc(paragraphs, compressed=True, text_at=0x800, extra_pieces=None, ccp=None, nfib=0xC1, extra=None):
    """paragraphs: list of (text ending in its mark, grpprl bytes or None)."""
    text = "".join(t for t, _ in paragraphs)
    raw = text.encode("cp1252") if compressed else text.encode("utf-16-le")
    width = 1 if compressed else 2
    # FKP page after the text
    page_no = (text_at + len(raw) + 511) // 512 + 1
    rgfc, at = [text_at], text_at
    for t, _ in paragraphs:
        at += len(t.encode("cp1252" if compressed else "utf-16-le"))
        rgfc.append(at)
    crun = len(paragraphs)
    page = bytearray(512)
    struct.pack_into(f"<{crun + 1}I", page, 0, *rgfc)
    free = 511
    for k, (_, grpprl) in enumerate(paragraphs):
        if grpprl is None:
            continue
        body = b"\0\0" + grpprl  # istd 0
        if len(body) % 2:
            papx = bytes([(len(body) + 1) // 2]) + body
        else:
            papx = b"\0" + bytes([len(body) // 2]) + body
        free -= len(papx)
        free -= free % 2
        page[free:free + len(papx)] = papx
        page[4 * (crun + 1) + 13 * k] = free // 2
    page[511] = crun
    word = bytearray(page_no * 512 + 512)
    word[text_at:text_at + len(raw)] = raw
    word[page_no * 512:page_no * 512 + 512] = page
    # FIB
    struct.pack_into("<HH", word, 0, 0xA5EC, nfib)
    struct.pack_into("<H", word, 0x0A, 0)  # 0Table
    struct.pack_into("<H", word, 0x20, 14)
    struct.pack_into("<H", word, 0x3E, 22)
    struct.pack_into("<i", word, 0x40 + 12, len(raw) // width if ccp is None else ccp)
    struct.pack_into("<H", word, 0x98, 0x5D)
    # table stream: Clx at 0, PlcBtePapx at 0x200
    pieces = extra_pieces or [(0, len(raw) // width, (text_at * 2) | 0x40000000 if compressed else text_at)]
    cps = [p[0] for p in pieces] + [pieces[-1][1]]
    plc = struct.pack(f"<{len(cps)}I", *cps) + b"".join(struct.pack("<HIH", 0, p[2], 0) for p in pieces)
    clx = b"\x02" + struct.pack("<I", len(plc)) + plc
    table = bytearray(0x200 + 12)
    table[0:len(clx)] = clx
    assert len(clx) <= 0x200
    struct.pack_into("<III", table, 0x200, text_at, rgfc[-1], page_no)
    struct.pack_into("<II", word, 0x9A + 8 * 33, 0, len(clx))
    struct.pack_into("<II", word, 0x9A + 8 * 13, 0x200, 12)
    return ole([("WordDocument", bytes(word)), ("0Table", bytes(table)), *([("Data", extra)] if extra else [])])

IN_TABLE = b"\x16\x24\x01"
TTP = b"\x16\x24\x01\x17\x24\x01"

def table_doc(compressed, first="Intro", row_end=TTP):
    """A paragraph, a table of two rows of two cells (a, b / c, d), a paragraph after it."""
    paras = [(first + "\r", None)]
    for row in (("a", "b"), ("c", "d")):
        for cell in row:
            paras.append((cell + "\x07", IN_TABLE))
        paras.append(("\x07", row_end))
    paras.append(("After\r", None))
    return doc(paras, compressed)
