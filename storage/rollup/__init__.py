"""The rollup: citizen scores into daily/monthly tables, closed 360° cycles into results.

The SQL of the ``rollup`` job (`scheduler.jobs.rollup` is the job; it calls
`storage.rollup.refresh`). Tables: `storage.rollup_models`. Reports read them
(`storage.ikm_report`, `storage.review_results`), so they stay fast however
many responses there are.

The modules, in the order a run uses them: `refresh` (the entry points: is
anything to do, the lock, incremental or rebuild), `progress` (the run's
statistics and the watermark), `triggers` (the retraction triggers),
`local_days` (stamping ``rollup_day``), `deltas` (what entered and left the
counted set), `incremental` (steps 1–4 below), `rebuild` (the full rebuild),
and `sql` (the tables and small SQL pieces they share). This ``__init__``
imports nothing: importing one module must not pull in the others.

Bucketing. A response counts on the local day, in TIMEZONE, on which it was
*submitted* (the IKM report's rule). Computing a local date in SQL is not
portable (SQLite has no time-zone database), so the rollup writes it once per
response into ``survey_responses.rollup_day``: it finds the earliest response
with ``submitted_at`` but no ``rollup_day`` (a small partial index), turns its
local day into the UTC instants [00:00, next 00:00) in Python (zoneinfo, so
any zone, daylight saving included), and sets ``rollup_day`` for every such
response in that range with one ``UPDATE … RETURNING``; then the next pending
day, and so on. Afterwards everything groups by a plain date column on both
databases.

Incremental run. ``rollup_day`` doubles as the per-response watermark: NULL on
a submitted response means "not counted yet". That is exact where a
high-water mark is not: ids are given when a survey is *started*, so a survey
started before others can be submitted after them, and submission times are
not commit order. A run:

1. claims the retractions (``DELETE … RETURNING`` on ``skm_rollup_retractions``)
   and the pending responses (the ``UPDATE … RETURNING`` above), each row
   exactly once, even with two runs at a time;
2. adds them up in Python per (service, day), (officer, service, day) and
   (service, day, profile field, value), and adds those deltas to the day rows
   with one upsert each (``n = n + excluded.n``), deleting rows that reach 0;
3. recomputes from the day rows, with set-based ``INSERT … SELECT … GROUP BY``,
   every derived row a delta touched: the unit day rows of the touched
   services' units and months, and the month rows of the touched months;
4. notices services that moved to another unit since the unit rows were built
   (``skm_rollup_service_units``) and recomputes both units from scratch.

Why it equals a full rebuild: every table is a sum over the same set of
counted responses (status submitted, nine answers, ``rollup_day`` set); each
response enters that set once (its claim) and leaves it once (its retraction),
and integer sums do not depend on the order of additions; derived rows are
recomputed by the same statements the full rebuild uses. The tests compare
every row of every table after random inserts, late submissions, deletions
and changes.

Deletions and changes. ``/hapusdata`` deletes rows, and later code may change
one. Triggers on ``survey_responses`` (migration 0007) copy the values a
rolled-up, counted response had into ``skm_rollup_retractions`` when it is
deleted, or when a counted column changes (then they also clear its
``rollup_day``, so the new values are claimed again). They run in the
deleting transaction, so no code path can forget them; the retraction holds
scores and service/officer/day only, never the pseudonym. Housekeeping that
strips pseudonyms and chat ids touches no counted column and fires nothing.
A SQLite migration that rebuilds ``survey_responses`` would drop the
triggers: every run checks that they exist and, if not, recreates them and
rebuilds everything (deletions in between cannot be known otherwise).

Full rebuild (``--full``, the first run, or a changed TIMEZONE): on SQLite the
pending responses get ``rollup_day`` from one ``UPDATE`` (``date(submitted_at,
'<offset> seconds')``, the offset picked by a CASE on the zone's offset changes,
see `local_days.stamp_pending`; PostgreSQL keeps the per-day claim); then one scan of
``survey_responses`` grouped by (day, service, officer) into a temporary
table, with the profile counted by conditional sums in the same pass, then
every table from that small table. Profile values outside the instrument's
lists (older data) get an extra exact pass. On PostgreSQL the rebuild locks
``survey_responses`` against writers for its duration (what SQLite's single
writer does anyway), so no deletion can slip between the scan and clearing the
retractions.

Reviews: every CLOSED cycle not yet materialised (or materialised under another
minimum of anonymous raters, instrument or closing time) is written once
through `storage.review_result_store.materialise_cycle`, which stores only what
`scheduler.scoring.review_math.aggregate` released.

Concurrency: a run starts with a write (SQLite: the single write lock; on
PostgreSQL a lock that only other rollup runs wait for), so two runs never
interleave, and everything it decides on is read after that. The JobRun row
``rollup`` keeps the watermark ``<TIMEZONE>#<highest response id counted>``;
a run that finds nothing to do writes nothing at all.
"""
