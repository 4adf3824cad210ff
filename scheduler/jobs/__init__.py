"""The scheduled jobs, one module per job (``scheduler.jobs.<name>``, each with ``run(ctx)``).

`scheduler.jobs.specs` lists them (name, schedule setting, quiet-hours window);
the runner imports a job's module by name only when it runs. This file imports
nothing: importing one job must not pull in the others.
"""
