"""The local runner of :func:`~weaklabel.apply.apply_file`: the input read one batch ahead, the
:class:`~.engine.Engine` on this machine, the votes written by a background thread into one
votes.parquet (atomic)."""

from __future__ import annotations

import time

from ..errors import InputError
from ..io import VotesWriter, atomic_output
from ..io.background import BackgroundWriter, read_ahead
from .batches import lf_frame, source_name
from .engine import Engine, Tally, assemble
from .job import ApplyJob, ApplySummary


def run_local(job: ApplyJob, jobs: int, progress, on_start, t0: float) -> ApplySummary:
    src, module = job.src, job.module
    lf_path = str(module.path) if module.path.exists() else None
    engine = Engine(job.run_lfs, job.K, job.on_error, jobs, job.id_cols, source_name(src), lf_path)
    tally = Tally(len(job.lfs), job.K_store)
    reuse = job.reuse()
    with atomic_output(job.output, job.force or job.update, replace_dataset=True) as tmp:
        writer = None
        sink = None
        reader = None

        def write(ids, dense):
            nonlocal writer
            if writer is None:
                writer = VotesWriter(tmp, ids.schema, job.lf_names, job.K_store)
            writer.write(ids, dense)

        try:
            engine.prepare(src.n_rows)
            job.start_hashing()   # a thread: after prepare() forked the workers
            if on_start is not None:
                on_start(src.n_rows)

            arrow_ids: dict[int, object] = {}   # batch start -> its ids as Arrow (the input's types)

            # an LF over the text "NA" sees "NA" (io/csv_ids.py); only ids are read when no LF runs
            as_written = bool(job.plan.run)

            def batches():
                pos = 0
                if not job.id_cols:
                    for df in src.iter_batches(job.batch_size, job.read_columns(), text_as_written=as_written):
                        yield pos, lf_frame(df, src.columns)
                        pos += len(df)
                    return
                for df, ids in src.iter_batches_with_ids(job.batch_size, job.read_columns(), job.id_cols,
                                                         text_as_written=as_written):
                    arrow_ids[pos] = ids
                    yield pos, lf_frame(df, src.columns, job.id_cols)
                    pos += len(df)

            # the next batch is read and the previous one written while the LFs run (io/background.py)
            reader = read_ahead(batches())
            sink = BackgroundWriter(write)
            for ids, dense in assemble(engine.run(reader, src.n_rows, progress), job, reuse, tally,
                                   arrow_ids.pop if job.id_cols else None):
                sink.submit(ids, dense)
                job.check_input_early()   # --update: other data fails once hashed, not after the last batch
            sink.close()
            rows = tally.rows
            if rows == 0:
                raise InputError(f"{src.path}: has no rows")
            if reuse is not None and rows != reuse.old.n_rows:
                raise InputError(f"--update: the input has {rows:,} rows but {job.output.name} has "
                                 f"{reuse.old.n_rows:,}; run without --update")
            summary = job.summary(rows, tally.counts, engine.errors.tolist(), tally.max_vote,
                                  time.perf_counter() - t0, engine.jobs, "local")
            writer.close(summary.metadata(job.hashes()))
        except BaseException:
            engine.abort()
            if reader is not None:
                reader.close()
            if sink is not None:
                sink.abort()
            if writer is not None:
                writer.abort()
            raise
        finally:
            engine.close()
            if reuse is not None:
                reuse.old.close()
    return summary
