"""An SMS backend for the killed-worker test; configured through the worker's environment.

While the file ``hang-once`` exists in $SCHEDULING_TEST_SMS_DIR, the first send
takes it, writes its process id to ``pid`` and hangs, so the test can kill that
pool process mid-send. Every other send appends its reference to ``sent.log``.
"""

import os
import time
from pathlib import Path


class CrashOnceSmsBackend:
    def send(self, to: str, body: str, *, reference: str) -> None:
        directory = Path(os.environ["SCHEDULING_TEST_SMS_DIR"])
        try:
            (directory / "hang-once").rename(directory / "hanging")
        except FileNotFoundError:
            with open(directory / "sent.log", "a") as log:
                log.write(reference + "\n")
            return
        (directory / "pid").write_text(str(os.getpid()))
        time.sleep(120)
