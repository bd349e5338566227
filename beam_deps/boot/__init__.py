"""``beam-deps-boot``: the worker side, run inside Beam's SDK containers.

It fetches the staged artifacts, verifies them against the manifest, installs them into a
cached environment and starts Beam's SDK worker. It imports no check or staging code: a worker
image needs only this package, the standard library and the installer.
"""
