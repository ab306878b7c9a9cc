"""The scheduler's status page (`web.py` in a generated project); needs `equipment[web]`."""
