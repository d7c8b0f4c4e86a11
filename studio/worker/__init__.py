"""The worker side of a job: leases, running pipelines, shared footage, progress."""
