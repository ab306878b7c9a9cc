"""The application container: Equipment's services plus this project's own.

Every entry point (`main.py`, `scheduler.py`, `queues.py`) and every test gets its services
from here, so they share one configuration, one logger and one queue.
"""

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
