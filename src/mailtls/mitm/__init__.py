"""Rogue listeners that attack a mail client the way a rogue hotspot would.

``scenarios`` names each attack; ``listener`` serves one scenario on loopback (the
dialogues themselves are sans-I/O, in ``mailtls.proto.server_*``); ``verdict`` judges what
the client did; ``runner`` runs a client command once per scenario; ``report`` renders the
matrix (text rows, JSON, HTML).
"""
