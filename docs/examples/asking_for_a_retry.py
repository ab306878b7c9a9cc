from equipment.Log.MemoryLogger import MemoryLogger
from equipment.Queue.Retry import Retry
from equipment.Queue.SyncQueue import SyncQueue

published = iter([False, False, True])


def import_rates() -> Retry | None:
    if not next(published):  # the provider has not published today's rates yet
        return Retry(max=6, intervals=[600])  # ask again in 10 minutes, at most 6 times
    return None


def test_a_job_that_asks_for_a_retry_runs_again():
    log = MemoryLogger()
    queue = SyncQueue(log)  # runs it again at once; a worker waits the 600 s

    assert queue.push(import_rates) is True
    assert len(log.find("returned a retry")) == 2
    assert log.find("failed") == []
