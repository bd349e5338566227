"""When the boot refuses, make the *job* fail with the reason instead of waiting forever.

A runner that asked for a worker waits for it to connect to the control service; a boot that
just exits leaves the job hanging (Beam's embedded runner waits indefinitely) and the reason
sits in a worker log. So, once the boot has decided not to start the SDK, it connects to the
control service in place of the worker and answers every instruction with the boot error:
the runner fails the bundle, and with it the job, with the beam-deps line as its message.
Nothing is installed or unpickled; the process exits non-zero when the runner hangs up.
"""

from __future__ import annotations

import queue


def fail_job(control_endpoint: str, worker_id: str, message: str, *, timeout: float) -> int:
    """Answer instructions with ``message`` until the runner closes; return how many."""
    import grpc

    from beam_deps.boot.artifacts import beam_api

    api = beam_api()
    channel = grpc.insecure_channel(control_endpoint)
    try:
        grpc.channel_ready_future(channel).result(timeout=timeout)
    except grpc.FutureTimeoutError:
        channel.close()
        return 0
    answers: queue.Queue = queue.Queue()

    def outgoing():
        while True:
            item = answers.get()
            if item is None:
                return
            yield item

    stub = api.beam_fn_api_pb2_grpc.BeamFnControlStub(channel)
    answered = 0
    try:
        for request in stub.Control(outgoing(), metadata=[("worker_id", worker_id)]):
            answers.put(
                api.beam_fn_api_pb2.InstructionResponse(
                    instruction_id=request.instruction_id, error=message
                )
            )
            answered += 1
    except grpc.RpcError:
        pass  # the runner hung up: the job has failed (or was cancelled)
    finally:
        answers.put(None)
        channel.close()
    return answered
