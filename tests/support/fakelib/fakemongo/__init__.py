"""A stand-in for pymongo (which is not installed here), for the inspector's tests.

It is copied into a temporary ``site-packages`` folder with its ``.dist-info`` and imported
from there, so that to beam-deps it is a third-party library, as pymongo is. Only the parts
of pymongo's ``MongoClient`` that decide how it pickles are kept: the locks and conditions of
the client, its topology and its connection pool, a thread pool, and the kill-cursors
executor whose target closes over a weak reference to the client (pymongo 4.x builds exactly
that in ``MongoClient.__init__``); and ``CodecOptions``, plain options that fail to pickle
without any connection, lock or thread inside. Nothing here opens a connection.
"""

from fakemongo.codec_options import CodecOptions
from fakemongo.mongo_client import MongoClient

__all__ = ["CodecOptions", "MongoClient"]
__version__ = "1.0"
