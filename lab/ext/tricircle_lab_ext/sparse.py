"""Sparse file helpers shared by the lab's cinder drivers (no OpenStack imports)."""

import os

BLOCK = 1024 * 1024
_ZEROS = bytes(BLOCK)


def sparse_copy(src: str, dst: str, size_bytes: int) -> None:
    """Copy the data extents of ``src`` into a new sparse file ``dst`` of ``size_bytes``."""
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        fd = fin.fileno()
        end = os.fstat(fd).st_size
        pos = 0
        while pos < end:
            try:
                start = os.lseek(fd, pos, os.SEEK_DATA)
            except OSError:  # ENXIO: only holes remain
                break
            stop = os.lseek(fd, start, os.SEEK_HOLE)
            fin.seek(start)
            fout.seek(start)
            while start < stop:
                chunk = fin.read(min(BLOCK, stop - start))
                fout.write(chunk)
                start += len(chunk)
            pos = stop
        fout.truncate(max(size_bytes, end))


class SparseWriter:
    """File-like writer that leaves holes where whole blocks are zero."""

    def __init__(self, fh):
        self._fh = fh
        self._pos = 0

    def write(self, data) -> int:
        data = bytes(data)
        for start in range(0, len(data), BLOCK):
            block = data[start:start + BLOCK]
            if block != _ZEROS[:len(block)]:
                self._fh.seek(self._pos + start)
                self._fh.write(block)
        self._pos += len(data)
        return len(data)

    def flush(self) -> None:
        self._fh.flush()

    def close(self) -> None:
        self._fh.truncate(self._pos)
        self._fh.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> bool:
        self.close()
        return False
