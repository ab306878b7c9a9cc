"""The application container: Equipment's services plus this project's own.

Every entry point (`main.py`, `scheduler.py`, `queues.py`) and every test gets its services
from here, so they share one configuration, one logger and one queue:

    from app import app
    app = app()                 # this project's container, configured from its folder
    app.scheduler().run()
"""

from pathlib import Path

from dependency_injector import providers
from equipment import Equipment

from app.Inspire import Inspire
from app.Scheduler import Scheduler


class App(Equipment):
    inspiring = providers.Singleton(Inspire, quotes=Equipment.config.inspiring.quotes)

    scheduler = providers.ThreadSafeSingleton(
        Scheduler,
        settings=Equipment.scheduler_settings,
        log=Equipment.log,
        queue=Equipment.queue,
        config=Equipment.config.provider,
        inspiring=inspiring,
    )


#: The project's folder: config/, .env and storage/ are read from here, wherever you start.
BASE_PATH = Path(__file__).resolve().parent.parent


def app(base_path: str | Path | None = None) -> App:
    """This project's container (one per process and folder), from `BASE_PATH` by default."""
    return App.make(base_path or BASE_PATH)
