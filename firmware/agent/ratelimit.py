"""A token bucket on the agent's (virtual) monotonic clock.

Used for log lines to MQTT (20 messages, 5 per second: a program logging in a tight loop
must not flood the broker or the offline queue) and for program publishes (a runaway
publisher is slowed down, not killed: its task waits for a token).
"""


class TokenBucket:
    def __init__(self, capacity, rate, now=0.0):
        self.capacity = capacity
        self.rate = rate  # tokens per second
        self.tokens = float(capacity)
        self.stamp = now

    def _refill(self, now):
        if now > self.stamp:
            self.tokens = min(float(self.capacity), self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now

    def take(self, now):
        """Take one token if there is one; returns whether it did."""
        self._refill(now)
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False

    def wait_time(self, now):
        """Seconds until a token is available (0 if one is)."""
        self._refill(now)
        if self.tokens >= 1.0:
            return 0.0
        return (1.0 - self.tokens) / self.rate

    def force(self, now):
        """Take a token even if that leaves the bucket in debt (used when a waiter is
        woken exactly when its token is due; float rounding must not starve it)."""
        self._refill(now)
        self.tokens -= 1.0
