"""Emulated devices: the real firmware agent on a virtual board, connected to an IoT Core."""
