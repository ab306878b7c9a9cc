"""Run the scheduler: `python scheduler.py`. Stop it with Ctrl-C or SIGTERM."""

from equipment.Console.Entrypoint import entrypoint

from app import app


@entrypoint
def main() -> None:
    app().scheduler().run()


if __name__ == "__main__":
    main()
