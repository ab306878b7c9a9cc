"""The application's one-off entry point: `python main.py` logs a quote and exits."""

from pathlib import Path

from equipment.Console.Entrypoint import entrypoint

from app import App


@entrypoint
def main() -> None:
    app = App.make(Path(__file__).resolve().parent)
    app.log().info(app.inspiring().quote())


if __name__ == "__main__":
    main()
