# Loaded by the Python that runs moto_server for the tests (test/support/moto.ts puts this folder on
# PYTHONPATH). moto loads every AWS managed policy (~1,300) into each account it creates, which is after every
# reset: ~0.8 s of CPU per test on an idle machine, several seconds on a busy one. The tests attach only a
# few of them, so moto gets just those. Names listed in TRAILWATCH_MOTO_MANAGED_POLICIES (comma-separated)
# are kept; "all" keeps moto's whole list.
import json
import os

_keep = os.environ.get("TRAILWATCH_MOTO_MANAGED_POLICIES", "")
if _keep and _keep != "all":
    try:
        import moto.iam.models as _iam_models

        _names = {n.strip() for n in _keep.split(",") if n.strip()}
        _data = json.loads(_iam_models.aws_managed_policies_data)
        _iam_models.aws_managed_policies_data = json.dumps({k: v for k, v in _data.items() if k in _names})
    except Exception as _err:  # moto missing or changed: run with its full list rather than not at all
        import sys

        print(f"moto-site: managed policy subset not applied: {_err!r}", file=sys.stderr, flush=True)

# One moto_server serves a test worker for its whole life (test/support/moto.ts). The worker kills it when it
# exits normally; when the worker is killed outright, the server notices the worker is gone and exits too, so no
# emulator outlives the test run. The worker's pid is checked itself (not our parent's), so a launcher script
# between the two does not matter.
_parent = os.environ.get("TRAILWATCH_MOTO_PARENT_PID")
if _parent:
    import threading
    import time

    def _exit_with_worker(pid: int) -> None:
        while True:
            time.sleep(1)
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                os._exit(0)
            except PermissionError:
                pass  # alive, owned by another user

    threading.Thread(target=_exit_with_worker, args=(int(_parent),), daemon=True).start()
