"""The rollup: citizen scores into daily/monthly tables, closed 360° cycles into results.

The SQL of the ``rollup`` job (`scheduler.jobs.rollup` is the job; it calls
`storage.rollup.refresh`). Tables: `storage.rollup_models`. Reports read them
(`storage.ikm_report`, `storage.review_results`), so they stay fast however
many responses there are.

The modules, in the order a run uses them: `refresh` (the entry points: is
anything to do, the lock, incremental or rebuild, and the job's rebuild in
steps), `progress` (the run's statistics and the watermark), `triggers` (the
retraction triggers), `marks` (what a submission writes for the rollup),
`local_days` (stamping ``rollup_day`` where the submission did not, and
counting by number), `deltas` (what entered and left the counted set),
`incremental` (steps 1–4 below), `rebuild` (the full rebuild, in steps), and
`sql` (the tables and small SQL pieces they share). This ``__init__`` imports
nothing: importing one module must not pull in the others.

Bucketing. A response counts on the local day, in TIMEZONE, on which it was
*submitted* (the IKM report's rule). Computing a local date in SQL is not
portable (SQLite has no time-zone database), so the submitting UPDATE itself
writes it into ``survey_responses.rollup_day`` (`marks`, in Python with
zoneinfo), together with ``rollup_seq``, the order of submission. Responses
submitted before those marks existed, responses whose counted columns changed
(the trigger clears both marks) and, after a change of TIMEZONE, all of them
get their day from the rollup instead (`local_days`): it finds the earliest
response with ``submitted_at`` but no ``rollup_day`` (a small partial index),
turns its local day into the UTC instants [00:00, next 00:00) in Python (any
zone, daylight saving included), and sets ``rollup_day`` for every such
response in that range with one ``UPDATE … RETURNING``; then the next pending
day, and so on. Afterwards everything groups by a plain date column on both
databases.

Incremental run. The watermark is a submission number: the tables count every
response numbered up to it, and those without a number that have their day.
Counting the responses numbered above it is a read through the number's index
(nothing is written per response, so a first run stamps nothing either). That
is exact where a high-water mark on ids or times is not: ids are given when a
survey is *started*, and submission times are not commit order, but numbers
are drawn inside the submitting UPDATE, under SQLite's single write lock (on
PostgreSQL from a sequence, and the run first waits for the submissions in
flight: `refresh.lock`). A run:

1. claims the retractions (``DELETE … RETURNING`` on ``skm_rollup_retractions``)
   and subtracts those of counted responses (a retraction numbered above the
   watermark belongs to a response never counted: dropped); reads the
   responses numbered above the watermark; claims the responses without a day
   (the ``UPDATE … RETURNING`` above), each row exactly once;
2. adds them up in Python per (service, day) — the profile's known values as
   the service row's counts — (officer, service, day) and, for profile values
   outside the instrument's lists, (service, day, field, value), and adds those
   deltas to the day rows with one upsert each (``n = n + excluded.n``),
   deleting rows that reach 0;
3. recomputes from the day rows, with set-based ``INSERT … SELECT … GROUP BY``,
   every derived row a delta touched: the unit day rows of the touched
   services' units and months, and the month rows of the touched months;
4. notices services that moved to another unit since the unit rows were built
   (``skm_rollup_service_units``) and recomputes both units from scratch.

Why it equals a full rebuild: every table is a sum over the same set of
counted responses (status submitted, nine answers, ``rollup_day`` set,
numbered up to the watermark or not numbered); each response enters that set
once (its number passed, or its day claimed) and leaves it once (its retraction),
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
scores, service/officer/day, the response's id and number, never the pseudonym. Housekeeping that
strips pseudonyms and chat ids touches no counted column and fires nothing.
A SQLite migration that rebuilds ``survey_responses`` would drop the
triggers: every run checks that they exist and, if not, recreates them and
rebuilds everything (deletions in between cannot be known otherwise).

Full rebuild (``--full``, the first run, a changed TIMEZONE, lost triggers, an
interrupted rebuild or an inconsistency): in steps, each a short transaction
for the job (`rebuild`'s docstring has them and why the result is exact while
citizens keep submitting and erasing): the responses that lack their day are
stamped by id range (normally none: the submission wrote it), then every
month that holds a response, as one run of days. A run first counts its days'
complete submitted responses into a temporary table, from one index in
(day, service, officer) order that holds every column summed
(``ix_survey_responses_rollup_cells``; the comments from a second,
``ix_survey_responses_rollup_commented``): no sort and no table row read, and
no write lock; then, under the lock, it replaces those days' rows (counting
again if one of those days' responses was erased or changed meanwhile), and
it sums the month's rows from its day rows. While it
runs the watermark says so, and other runs (a report's refresh) leave the
tables alone; a rebuild cut short is started again by the next job run. A
caller that finds a rebuild necessary inside its own transaction (a report on
a database the job never rolled up) runs the same steps in that one transaction.

Reviews: every CLOSED cycle not yet materialised (or materialised under another
minimum of anonymous raters, instrument or closing time) is written once
through `storage.review_result_store.materialise_cycle`, which stores only what
`scheduler.scoring.review_math.aggregate` released.

Concurrency: a run (and each step of a rebuild) starts with a write (SQLite:
the single write lock; on PostgreSQL a lock that only other rollup runs wait
for, and SHARE on the responses), so two runs never interleave, and everything
it decides on is read after that. The JobRun row ``rollup`` keeps the
watermark ``<TIMEZONE>#<highest submission number counted>`` (the number also
in ``skm_rollup_counted``, where the submitting UPDATE reads it on SQLite so
that a counted number is never given again); a run that finds nothing to do
writes nothing at all.
"""
