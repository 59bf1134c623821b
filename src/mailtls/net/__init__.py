"""The only layer with sockets, asyncio and TLS: streams, the probe and the engine."""
