"""Program log lines: to the serial console always, to ``logs/T`` rate-limited.

Why rate-limited: a program that logs in a loop would otherwise flood the broker and push
real data out of the offline queue.  A token bucket (20 lines, refilled at 5 per second)
lets bursts through; lines over the limit are dropped and counted (``dropped.logs`` in
the metrics), and the next line that gets through carries ``"dropped": N`` so a reader of
the log stream knows there is a gap.  The console (serial) copy is never dropped: it is
local and the harness reads it.
"""

from .ratelimit import TokenBucket
from .wire import dumps

MAX_MESSAGE = 1000  # characters of one log message kept


class LogChannel:
    def __init__(self, burst, rate, now=0.0):
        self.bucket = TokenBucket(burst, rate, now)
        self.pending_drops = 0  # drops since the last line that got through
        self.dropped = 0  # all drops

    def payload(self, now, level, message, program_id, ts):
        """The ``logs/T`` payload (bytes) for a line, or None if it is over the limit."""
        if not self.bucket.take(now):
            self.pending_drops += 1
            self.dropped += 1
            return None
        body = {"level": level, "message": message, "program_id": program_id, "ts": ts}
        if self.pending_drops:
            body["dropped"] = self.pending_drops
            self.pending_drops = 0
        return dumps(body).encode()


def clip(message):
    if len(message) > MAX_MESSAGE:
        return message[:MAX_MESSAGE] + "..."
    return message
