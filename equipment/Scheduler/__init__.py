"""The scheduler: jobs (what), triggers (when), the loop that runs them on time."""
