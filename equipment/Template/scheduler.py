"""Run the scheduler: `python scheduler.py`. Stop it with Ctrl-C or SIGTERM."""

from pathlib import Path

from equipment.Console.Entrypoint import entrypoint

from app import App


@entrypoint
def main() -> None:
    app = App.make(Path(__file__).resolve().parent)
    app.scheduler().run()


if __name__ == "__main__":
    main()
