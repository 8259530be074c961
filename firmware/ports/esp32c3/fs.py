"""firmware.agent.ports.FileSystem on the board's littlefs (via MicroPython's VFS).

littlefs makes ``rename`` atomic and loses only uncommitted data on a power cut; the agent's
storage layer does not rely on more than the port contract promises (a torn ``write``).

``root`` prefixes every path: "" on the board (the filesystem is mounted at ``/``); a
directory elsewhere lets the same class run over another VFS (the tests use one).
Errors are told apart by trying, not by errno: errno numbers differ between MicroPython
ports (the WebAssembly build reports Emscripten's).
"""

import os

from firmware.agent.ports import FileSystem


class LittleFs(FileSystem):
    def __init__(self, root=""):
        self.root = root.rstrip("/")

    def _p(self, path):
        return self.root + path

    def read(self, path):
        try:
            with open(self._p(path), "rb") as f:
                return f.read()
        except OSError:
            return None

    def write(self, path, data):
        with open(self._p(path), "wb") as f:
            f.write(data)

    def rename(self, src, dst):
        os.rename(self._p(src), self._p(dst))

    def remove(self, path):
        try:
            os.remove(self._p(path))
        except OSError:
            try:
                os.rmdir(self._p(path))  # an empty directory (littlefs's remove takes those)
            except OSError:
                pass  # it did not exist

    def listdir(self, path):
        try:
            return os.listdir(self._p(path))
        except OSError:
            return []

    def mkdir(self, path):
        current = self.root
        for part in path.strip("/").split("/"):
            if not part:
                continue
            current += "/" + part
            try:
                os.mkdir(current)
            except OSError:
                pass  # it exists
