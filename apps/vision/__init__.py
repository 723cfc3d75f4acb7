"""Frame analysis for Posko: stream reading, motion, tamper and snapshots.

A plain package: it imports nothing from Django, so the capture workers, the benchmark and the
tests can use it alone. Coordinates of zones and masks are normalised (0..1) so that they survive
a change of camera resolution.
"""
