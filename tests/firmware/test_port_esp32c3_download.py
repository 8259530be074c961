"""The port's ``Download`` action (firmware/ports/esp32c3/http.py and the main loop): a
streamed GET through the fake ``requests`` (esp32c3_http), ``Range: bytes=N-`` when resuming,
each chunk handed to the agent as it is read, one ``Downloaded`` at the end.

A jobs handler that asks for a download when a message names one stands in for the OTA
handler here (tests/ota/test_esp32c3_update.py runs the real one).  Runs under CPython and
MicroPython.
"""

import json

from firmware.agent.events import Chunk, Download
from firmware.agent.jobs import JobsHandler
from tests.firmware import esp32c3_fakes as fakes
from tests.firmware.esp32c3_http import Resource
from tests.firmware.test_port_esp32c3 import run_until, started

URL = "http://bundles.test/fw-1.2.0.bundle?X-Amz-Signature=secret"
NOTIFY = "$aws/things/dev-1/jobs/notify-next"


def body(n=20000):
    return bytes((i * 7 + i // 251) & 0xFF for i in range(n))


class Downloads(JobsHandler):
    """Asks for a Download when a job message carries ``url``; records what comes back."""

    def __init__(self):
        self.events = []  # ("chunk", bytes) / ("done", error, status) / ("message", body)
        self.download_id = None  # the one it waits for, as the OTA handler names it

    def on_message(self, agent, topic, payload, now):
        req = json.loads(payload.decode())
        if "url" in req:
            self.download_id = req["id"]
            return [Download(req["id"], req["url"], req.get("offset", 0))]
        self.events.append(("message", req))
        return []

    def wants_download(self, request_id):
        return request_id == self.download_id

    def on_download(self, agent, event):
        if event.request_id != self.download_id:
            return []
        if type(event) is Chunk:
            self.events.append(("chunk", event.data))
        else:
            self.events.append(("done", event.error, event.status))
        return []

    def chunks(self):
        return [e[1] for e in self.events if e[0] == "chunk"]

    def received(self):
        return b"".join(self.chunks())

    def done(self):
        ends = [e[1:] for e in self.events if e[0] == "done"]
        return ends[-1] if ends else None


def downloading(resource=None, offset=0, url=URL, request_id="d1"):
    jobs = Downloads()
    port, hw, device = started(jobs=jobs)
    if resource is not None:
        hw.http[url] = resource
    hw.broker.send(NOTIFY, {"id": request_id, "url": url, "offset": offset})
    return hw, device, jobs


def finish(device, jobs, request_id="d1"):
    run_until(device, lambda: jobs.done() is not None, 20000)
    return jobs.done()


def test_a_200_streams_the_body_in_chunks_and_ends_with_downloaded():
    data = body()
    hw, device, jobs = downloading(Resource(data))
    assert finish(device, jobs) == (None, None)
    assert jobs.received() == data
    assert len(jobs.chunks()) >= 5 and max(len(c) for c in jobs.chunks()) <= 4096
    assert max(hw.http_read_sizes) <= 4096  # never the whole body in one read
    (request,) = [r for r in hw.http_log if r[0] == URL]
    assert "Range" not in request[1] and request[2] == 30  # a timeout on every socket call
    assert all(r.closed for r in hw.http_responses)
    assert device.transfer is None


def test_resuming_asks_for_a_range_and_takes_the_206():
    data = body()
    resource = Resource(data)
    hw, device, jobs = downloading(resource, offset=12345)
    assert finish(device, jobs) == (None, None)
    assert jobs.received() == data[12345:]
    assert hw.http_log[-1][1] == {"Range": "bytes=12345-"}
    assert resource.responses == [(206, 12345, "bytes=12345-")]


def test_a_403_ends_the_download_with_its_status_and_reads_no_body():
    hw, device, jobs = downloading(Resource(body(), status=403))
    assert finish(device, jobs) == ("HTTP 403", 403)
    assert jobs.chunks() == [] and hw.http_bytes == 0
    assert all(r.closed for r in hw.http_responses)


def test_a_missing_object_is_a_404():
    hw, device, jobs = downloading(None, url="http://bundles.test/none")
    assert finish(device, jobs) == ("HTTP 404", 404)


def test_a_server_that_ignores_the_range_is_refused_not_mistaken_for_the_rest():
    hw, device, jobs = downloading(Resource(body(), ranges=False), offset=500)
    error, status = finish(device, jobs)
    assert status == 200 and "ignored the range request from byte 500" in error
    assert jobs.chunks() == []


def test_a_range_past_the_end_is_a_416():
    hw, device, jobs = downloading(Resource(body()), offset=25000)  # past the end: 416
    assert finish(device, jobs) == ("HTTP 416", 416)


def test_a_206_from_another_byte_than_asked_is_refused():
    hw, device, jobs = downloading(Resource(body(), serve_from=0), offset=700)
    error, status = finish(device, jobs)
    assert status == 206 and "HTTP 206 for bytes from 0, not from 700 as asked" in error
    assert jobs.chunks() == []


def test_a_connection_reset_half_way_ends_with_what_arrived_and_a_range_resumes_it():
    data = body()
    resource = Resource(data, drops=[8000])
    hw, device, jobs = downloading(resource)
    error, status = finish(device, jobs)
    assert status is None and "the connection broke after 8000 bytes" in error
    assert jobs.received() == data[:8000]
    # the agent asks for the rest, from the byte it stopped at
    jobs.events = []
    hw.broker.send(NOTIFY, {"id": "d2", "url": URL, "offset": 8000})
    assert finish(device, jobs) == (None, None)
    assert jobs.received() == data[8000:]
    assert [r[:2] for r in resource.responses] == [(200, 0), (206, 8000)]


def test_a_server_that_closes_before_content_length_is_a_break_not_the_end():
    data = body()
    hw, device, jobs = downloading(Resource(data, drops=[8000], drop="close"))
    error, status = finish(device, jobs)
    assert status is None and "closed after 8000 of 20000 bytes" in error
    assert jobs.received() == data[:8000]


def test_without_content_length_the_close_is_the_end():
    data = body(5000)
    hw, device, jobs = downloading(Resource(data, length=False))
    assert finish(device, jobs) == (None, None)
    assert jobs.received() == data


def test_the_wifi_going_away_mid_download_ends_it():
    data = body()
    hw = None

    def away():
        hw.ap.up = False

    resource = Resource(data, at={6000: away})
    hw, device, jobs = downloading(resource)
    error, status = finish(device, jobs)
    assert status is None and "OSError" in error
    assert 6000 <= len(jobs.received()) < len(data)


def test_the_loop_keeps_serving_mqtt_between_chunks():
    data = body(40000)
    hw = None

    def note():
        hw.broker.send(NOTIFY, {"note": "mid-download"})

    resource = Resource(data, at={10000: note})
    hw, device, jobs = downloading(resource)
    assert finish(device, jobs) == (None, None)
    kinds = [e[0] for e in jobs.events]
    at = kinds.index("message")
    assert "chunk" in kinds[:at] and "chunk" in kinds[at + 1 :]  # handled in the middle
    assert jobs.received() == data


def test_a_download_the_agent_stops_waiting_for_is_not_read_to_the_end():
    data = body(40000)
    jobs_ref = []

    def cancelled():
        jobs_ref[0].download_id = None  # the job was cancelled: the handler moved on

    resource = Resource(data, at={8000: cancelled})
    hw, device, jobs = downloading(resource)
    jobs_ref.append(jobs)
    run_until(device, lambda: device.transfer is None, 20000)
    assert hw.http_bytes < len(data)
    assert all(r.closed for r in hw.http_responses)
    assert jobs.done() is None  # nothing more was handed over


def test_the_stream_refuses_a_bad_offset():
    port = fakes.load_port()
    try:
        port.http.Stream(URL, -1)
    except port.http.DownloadError as e:
        assert "bad offset -1" in e.message and e.status is None
    else:
        raise AssertionError("a negative offset was accepted")


def test_messages_name_the_host_not_the_presigned_query():
    port = fakes.load_port()
    try:
        port.http.Stream(URL, 0)  # no Wi-Fi on a fresh fake board: requests raises OSError
    except port.http.DownloadError as e:
        assert e.message.startswith("http://bundles.test: OSError")
        assert "secret" not in e.message
    else:
        raise AssertionError("a download without a network started")
