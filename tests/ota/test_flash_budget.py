"""The flash budget of an update: two app slots of this checkout's firmware, and a
provisioned board's own files, must fit the C3's 2 MB filesystem with room to spare.

Why a test: the firmware grows with every feature, and an update needs the running slot
and the new one side by side.  Without this check the first sign that it no longer fits is
every OTA job failing ``no-space`` after a whole download.  Counted with the emulated
flash's littlefs estimate (4 KB blocks, files over 128 bytes take whole blocks, two blocks
per directory), which is what an emulated board refuses by.
"""

from __future__ import annotations

from emulator.board.flash import BLOCK_COUNT, BLOCK_SIZE, Flash
from emulator.device.slots import factory_image

#: What the rest of the board needs beside the two slots: the boot record, config and
#: certificates, the trust keys, 4 stored programs, the OTA state and the kept bundle
#: head, and a file being replaced (its ``.tmp``).  Measured at about 20 blocks; the rest
#: is room for the firmware to grow between releases.
SPARE_BLOCKS = 40


def two_slots() -> Flash:
    flash = Flash()
    flash.program({**factory_image("a"), **factory_image("b")})
    return flash


def test_two_slots_of_this_firmware_fit_with_room_to_spare() -> None:
    used = two_slots().used_blocks()
    spare = BLOCK_COUNT - used
    assert spare >= SPARE_BLOCKS, (
        f"two app slots of this firmware take {used} of {BLOCK_COUNT} blocks "
        f"({BLOCK_SIZE} bytes each), leaving {spare}: an update would not fit beside the "
        "running firmware. Make the firmware smaller (fewer, larger files waste fewer "
        "partial blocks) before adding to it"
    )


def test_the_emulated_slot_leaves_the_real_boards_port_out() -> None:
    files = factory_image("a")
    assert any(p.startswith("/slots/a/firmware/agent/") for p in files)
    assert not any(p.startswith("/slots/a/firmware/ports/") for p in files)
