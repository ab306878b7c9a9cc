"""Logging: one interface (`AbstractLogger`), channels built by `LoggerFactory`."""
