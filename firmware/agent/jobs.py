"""The hook for AWS IoT Jobs (over-the-air updates: :mod:`.ota`).

Why a hook now: OTA must plug into the same sans-IO core (its messages come through
``Agent.handle`` and its actions go out the same way), so the agent already subscribes
to ``$aws/things/T/jobs/notify-next`` when a handler is given and routes every
``$aws/things/T/jobs/...`` message to it.  A handler subclasses :class:`JobsHandler`;
each method returns a list of actions (``Publish``, ``Fetch``, ``Reboot``, ...).
"""


class JobsHandler:
    def filters(self, topics):
        """Topic filters to subscribe to on every connect."""
        return [topics.jobs_notify_next]

    def on_connected(self, agent, now):
        return []

    def on_message(self, agent, topic, payload, now):
        """A message on ``$aws/things/T/jobs/...`` (``payload`` is bytes)."""
        return []

    def on_fetched(self, agent, event):
        """A ``Fetched`` event whose request id the agent did not issue."""
        return []

    def on_download(self, agent, event):
        """A ``Chunk`` or ``Downloaded`` event of a ``Download`` this handler asked for."""
        return []

    def wants_download(self, request_id):
        """Whether the handler still waits for the bytes of ``Download`` ``request_id``; a
        port stops a transfer nobody waits for (the job failed or was cancelled)."""
        return False

    def on_tick(self, agent, now):
        return []

    def next_deadline(self):
        return None
