import logging

from equipment.Queue.WorkerLogging import rq_logs_to


def test_rq_lines_are_forwarded_with_credentials_scrubbed(log):
    rq_log = logging.getLogger("rq.worker")
    with rq_logs_to(log, ("s3cret",)):
        rq_log.warning("Worker w: could not connect to redis://:s3cret@h:1/0")
        try:
            raise ConnectionError("AUTH s3cret refused")
        except ConnectionError:
            rq_log.exception("Worker w: failed")
    [warning, error] = log.records
    assert warning.message == "Worker w: could not connect to redis://:***@h:1/0"
    assert warning.level == logging.WARNING
    assert "AUTH *** refused" in error.message and "s3cret" not in error.message
    assert error.traceback is None  # the scrubbed traceback travels as text
