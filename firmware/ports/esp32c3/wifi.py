"""Wi-Fi (station mode) and the clock from NTP: what the board needs before TLS.

The network name and password are port settings, not agent config (a virtual board has
no Wi-Fi): ``/wifi.json`` on the device's filesystem, written at provisioning::

    {"ssid": "lab", "password": "secret", "ntp_host": "pool.ntp.org", "timeout": 20}

(``ntp_host`` and ``timeout`` optional).  The clock matters because mbedTLS checks the
certificates' validity dates: before NTP the RTC says 2000-01-01 and every certificate is
"not yet valid".
"""

import json
import time

import network
import ntptime

from firmware.agent.config import ConfigError

WIFI_PATH = "/wifi.json"


class WifiSettings:
    def __init__(self, ssid, password="", ntp_host=None, timeout=20):
        self.ssid = ssid
        self.password = password
        self.ntp_host = ntp_host
        self.timeout = timeout


def load_settings(storage, path=WIFI_PATH):
    """Read ``/wifi.json`` through the agent's Storage; ConfigError names the field."""
    data = storage.read(path, allow_plain=True)
    if data is None:
        raise ConfigError("%s: missing; the board needs the Wi-Fi network's ssid" % path)
    try:
        obj = json.loads(data.decode())
    except (ValueError, UnicodeError) as e:
        raise ConfigError("%s: not valid JSON (%s)" % (path, e))
    if not isinstance(obj, dict):
        raise ConfigError("%s: expected a JSON object" % path)
    ssid = obj.get("ssid")
    if type(ssid) is not str or not ssid:
        raise ConfigError("%s: ssid: expected a non-empty string" % path)
    password = obj.get("password", "")
    if type(password) is not str:
        raise ConfigError("%s: password: expected a string" % path)
    ntp_host = obj.get("ntp_host")
    if ntp_host is not None and (type(ntp_host) is not str or not ntp_host):
        raise ConfigError("%s: ntp_host: expected a host name" % path)
    timeout = obj.get("timeout", 20)
    if type(timeout) not in (int, float) or not 1 <= timeout <= 300:
        raise ConfigError("%s: timeout: expected seconds between 1 and 300" % path)
    return WifiSettings(ssid, password, ntp_host, timeout)


class Station:
    """The station interface; :meth:`ensure` (re)joins the network and sets the clock."""

    def __init__(self, settings):
        self.settings = settings
        self.wlan = network.WLAN(network.WLAN.IF_STA)
        self.clock_set = False

    def ensure(self):
        """None when connected with the clock set, else why not (for the agent's log).

        Blocks for up to ``timeout`` seconds while joining: the board has one thread.
        """
        s = self.settings
        wlan = self.wlan
        if not wlan.isconnected():
            wlan.active(True)
            wlan.connect(s.ssid, s.password)
            start = time.ticks_ms()
            while not wlan.isconnected():
                if time.ticks_diff(time.ticks_ms(), start) > s.timeout * 1000:
                    status = wlan.status()
                    wlan.disconnect()
                    return "Wi-Fi %r not joined within %d s (status %s)" % (
                        s.ssid,
                        s.timeout,
                        status,
                    )
                time.sleep_ms(100)
        if not self.clock_set:
            if s.ntp_host:
                ntptime.host = s.ntp_host
            try:
                ntptime.settime()
            except OSError as e:  # includes ntptime's socket timeout
                return "NTP (%s) failed: %s; TLS needs the date" % (ntptime.host, e)
            self.clock_set = True
        return None
