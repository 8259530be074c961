"""The AWS IoT services behind the fake broker of esp32c3_fakes: the classic shadow and the
Jobs device API, as much of them as an over-the-air update on the fake board needs.

Both answer on the reserved topics the agent subscribes to (``.../accepted``,
``.../rejected``, ``notify-next``), with the fields AWS documents
(reference/aws-iot.md; ``emulator/iotcore/jobs`` is the full local implementation, CPython
only): executions carry ``jobId``, ``status``, ``statusDetails``, ``versionNumber``,
``executionNumber`` and ``jobDocument``; an update with a stale ``expectedVersion`` is
rejected ``VersionMismatch``, one after a terminal status ``TerminalStateReached``.
Portable: CPython and MicroPython.
"""

import json

TERMINAL = ("SUCCEEDED", "FAILED", "REJECTED", "CANCELED", "REMOVED", "TIMED_OUT")


class Shadow:
    """One thing's classic shadow: ``get`` and ``update`` (reported state only)."""

    def __init__(self, broker, thing):
        self.broker = broker
        self.prefix = "$aws/things/%s/shadow/" % thing
        self.reported = None  # None: no shadow yet (get is rejected 404)
        self.version = 0
        broker.services.append(self.handle)

    def handle(self, client_id, topic, payload):
        if topic == self.prefix + "get":
            if self.reported is None:
                doc = {"code": 404, "message": "No shadow exists"}
                self.broker.send(self.prefix + "get/rejected", doc)
            else:
                doc = {"state": {"reported": self.reported}, "version": self.version}
                self.broker.send(self.prefix + "get/accepted", doc)
        elif topic == self.prefix + "update":
            body = json.loads(payload.decode())
            reported = body.get("state", {}).get("reported", {})
            if self.reported is None:
                self.reported = {}
            for key in reported:
                self.reported[key] = reported[key]
            self.version += 1
            doc = {"state": {"reported": reported}, "version": self.version}
            self.broker.send(self.prefix + "update/accepted", doc)


class Jobs:
    """One thing's job executions and the Jobs MQTT API (``start-next``, ``J/get``,
    ``J/update``, ``notify-next``).  ``history(job_id)`` is every status it was given."""

    def __init__(self, broker, thing):
        self.broker = broker
        self.thing = thing
        self.prefix = "$aws/things/%s/jobs/" % thing
        self.executions = []  # oldest first
        broker.services.append(self.handle)

    # --- what the cloud does ---

    def add(self, job_id, document):
        """A job for the thing (QUEUED); notify-next names it if it is next."""
        self.executions.append(
            {
                "jobId": job_id,
                "thingName": self.thing,
                "status": "QUEUED",
                "statusDetails": {},
                "versionNumber": 1,
                "executionNumber": len(self.executions) + 1,
                "jobDocument": document,
                "history": [],
            }
        )
        self._notify()

    def find(self, job_id):
        for ex in self.executions:
            if ex["jobId"] == job_id:
                return ex
        return None

    def status(self, job_id):
        ex = self.find(job_id)
        return ex["status"] if ex is not None else None

    def history(self, job_id):
        ex = self.find(job_id)
        return list(ex["history"]) if ex is not None else []

    def _next(self):
        for ex in self.executions:
            if ex["status"] in ("QUEUED", "IN_PROGRESS"):
                return ex
        return None

    def _view(self, ex, document=True):
        out = {}
        for key in ex:
            if key != "history" and (document or key != "jobDocument"):
                out[key] = ex[key]
        return out

    def _notify(self):
        ex = self._next()
        doc = {"execution": self._view(ex)} if ex is not None else {}
        self.broker.send(self.prefix + "notify-next", doc)

    # --- what the device does ---

    def handle(self, client_id, topic, payload):
        if not topic.startswith(self.prefix):
            return
        rest = topic[len(self.prefix) :]
        if rest in ("notify-next", "notify") or rest.endswith("accepted"):
            return
        if rest.endswith("rejected"):
            return
        try:
            request = json.loads(payload.decode())
        except ValueError:
            request = {}
        token = request.get("clientToken")
        if rest == "start-next":
            ex = self._next()
            answer = {"clientToken": token}
            if ex is not None:
                if ex["status"] == "QUEUED":
                    ex["status"] = "IN_PROGRESS"
                    ex["versionNumber"] += 1
                    if "statusDetails" in request:
                        ex["statusDetails"] = request["statusDetails"]
                answer["execution"] = self._view(ex)
            self.broker.send(topic + "/accepted", answer)
            return
        parts = rest.split("/")
        if len(parts) != 2:
            return
        job_id, op = parts
        ex = self.find(job_id)
        if ex is None:
            error = {"code": "ResourceNotFound", "clientToken": token}
            self.broker.send(topic + "/rejected", error)
            return
        if op == "get":
            answer = {"execution": self._view(ex, request.get("includeJobDocument", True))}
            answer["clientToken"] = token
            self.broker.send(topic + "/accepted", answer)
        elif op == "update":
            self._update(topic, ex, request, token)

    def _update(self, topic, ex, request, token):
        expected = request.get("expectedVersion")
        if expected is not None and expected != ex["versionNumber"]:
            error = {"code": "VersionMismatch", "clientToken": token}
            self.broker.send(topic + "/rejected", error)
            return
        if ex["status"] in TERMINAL:
            error = {"code": "TerminalStateReached", "clientToken": token}
            self.broker.send(topic + "/rejected", error)
            return
        status = request.get("status")
        ex["status"] = status
        if "statusDetails" in request:
            ex["statusDetails"] = request["statusDetails"]
        ex["versionNumber"] += 1
        ex["history"].append((status, dict(ex["statusDetails"])))
        answer = {"clientToken": token}
        if request.get("includeJobExecutionState"):
            answer["executionState"] = {
                "status": status,
                "statusDetails": ex["statusDetails"],
                "versionNumber": ex["versionNumber"],
            }
        self.broker.send(topic + "/accepted", answer)
        if status in TERMINAL:
            self._notify()
