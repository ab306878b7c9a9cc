"""The application's one-off entry point: `python main.py` logs a quote and exits."""

from equipment.Console.Entrypoint import entrypoint

from app import app


@entrypoint
def main() -> None:
    app().log().info(app().inspiring().quote())


if __name__ == "__main__":
    main()
