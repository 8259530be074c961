"""The one error type the sensor drivers raise."""


class SensorError(Exception):
    """A sensor did not answer, answered garbage, or is not the chip we expected.

    The message names the chip, its address and what went wrong, so a log line or a Steel
    error built from it says what to check (wiring, address, a noisy bus).
    """

    def __init__(self, message):
        super().__init__(message)
        self.message = message
