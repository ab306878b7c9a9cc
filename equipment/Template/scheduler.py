"""Run the scheduler: `python scheduler.py`.

Stop it with Ctrl-C, SIGTERM or SIGHUP: the running job gets `shutdown_grace` seconds to
finish, then the process exits 0; a second signal stops it at once with exit code 130.
"""

from equipment.Console.Entrypoint import entrypoint

from app import app


@entrypoint
def main() -> None:
    app().scheduler().run()


if __name__ == "__main__":
    main()
