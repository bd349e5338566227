"""Resources captured by a lambda: Beam refuses to build the transform."""

import socket
import sqlite3
import sys

import apache_beam as beam


def sqlite_connection():
    # --8<-- [start:sqlite]
    conn = sqlite3.connect("rates.db")
    beam.Map(lambda row: conn.execute("select rate from rates where id = ?", (row,)))
    # --8<-- [end:sqlite]


def open_socket():
    # --8<-- [start:socket]
    sock = socket.socket()
    beam.Map(lambda line: sock.sendall(line.encode()))
    # --8<-- [end:socket]


def file_for_writing():
    # --8<-- [start:file]
    out = open("audit.log", "w")
    beam.Map(lambda record: out.write(f"{record}\n"))
    # --8<-- [end:file]


def generator():
    # --8<-- [start:generator]
    ids = (i for i in range(1_000_000))
    beam.Map(lambda record: (next(ids), record))
    # --8<-- [end:generator]


if __name__ == "__main__":
    {f.__name__: f for f in (sqlite_connection, open_socket, file_for_writing, generator)}[
        sys.argv[1]
    ]()
