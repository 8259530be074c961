"""Hardware ports of the device agent (the emulator provides its own port)."""
