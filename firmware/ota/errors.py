"""Why a bundle was refused: a machine reason for the job's ``statusDetails`` and words for people.

The job handler reports ``reason`` as it is (AWS IoT Jobs shows it to the release engineer)
and logs ``message``.  The reasons are the issue's: ``bad-signature`` (not signed by a key
this device trusts, or the signature is not one at all), ``hash-mismatch`` (a file's bytes
are not the ones the signed manifest names) and ``bad-bundle`` (anything else wrong with the
bundle: truncated, oversized, garbled, a manifest that breaks a rule, an unsafe or duplicate
path).  Catch :class:`BundleError` to get all three.
"""

BAD_BUNDLE = "bad-bundle"
BAD_SIGNATURE = "bad-signature"
HASH_MISMATCH = "hash-mismatch"


class BundleError(Exception):
    """A bundle that must not be installed.  ``reason`` is one of the constants above."""

    reason = BAD_BUNDLE

    def __init__(self, message):
        super().__init__(message)
        self.message = message

    def __str__(self):
        return "%s: %s" % (self.reason, self.message)


class BadBundle(BundleError):
    reason = BAD_BUNDLE


class BadSignature(BundleError):
    reason = BAD_SIGNATURE


class HashMismatch(BundleError):
    reason = HASH_MISMATCH
