"""The status page: `python web.py` serves http://127.0.0.1:8000/scheduler (config/web.yaml).

It reads the scheduler's state store, so it shows the scheduler running in its own process
(`python scheduler.py`). Needs the `web` extra: `pip install -e '.[web]'`.
"""

from equipment.Console.Entrypoint import entrypoint
from equipment.Web.Server import serve

from app import app


@entrypoint
def main() -> None:
    serve(app())


if __name__ == "__main__":
    main()
