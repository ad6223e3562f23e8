"""Latency of the PostgreSQL vector index's exact search (pipeline/pg_vector_store.cpp) as the
collection grows: N random 384-dimensional chunks (MiniLM's size) in switchyard_chunks, then the
retrieve node's own SQL, timed in the server (EXPLAIN ANALYZE) and end to end (psql). No
pgvector here (Debian does not package it), so this is the unnest() path.

    .venv/bin/python bench/pg_index_bench.py [--sizes 1000,10000] [--queries 5]
"""
from __future__ import annotations

import argparse
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "support"))
from pg_server import PgServer  # noqa: E402

DIM = 384
# Keep in step with PgVectorStore::search (the non-pgvector branch).
SEARCH = ("SELECT id, text, metadata, CASE WHEN norm = 0 THEN 0::float8 ELSE (SELECT sum(a::float8 * b::float8) "
          "FROM unnest(vec, '{q}'::real[]) AS t(a, b)) / (norm * {qn}::float8) END AS score FROM switchyard_chunks "
          "WHERE collection = 'c' AND model = 'm' AND dim = {dim} ORDER BY score DESC, id COLLATE \"C\" LIMIT 4")
TABLE = ("CREATE TABLE IF NOT EXISTS switchyard_chunks (collection TEXT NOT NULL, id TEXT NOT NULL, text TEXT NOT NULL, "
         "metadata TEXT NOT NULL, model TEXT NOT NULL, dim INTEGER NOT NULL, vec REAL[] NOT NULL, "
         "norm DOUBLE PRECISION NOT NULL, PRIMARY KEY (collection, id))")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--queries", type=int, default=5)
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="sy-pgbench-"))
    pg = PgServer(root)
    pg.start()
    try:
        pg.create_db("bench")
        pg.psql(TABLE, "bench")
        have = 0
        print("| chunks (384-d) | server ms (median) | end to end ms (median, psql) |")
        print("|---|---|---|")
        for n in (int(s) for s in args.sizes.split(",")):
            pg.psql(f"INSERT INTO switchyard_chunks SELECT 'c', 'id' || g, 'text ' || g, '{{}}', 'm', {DIM}, v, "
                    f"sqrt((SELECT sum(x::float8 * x::float8) FROM unnest(v) x)) FROM generate_series({have + 1}, {n}) g, "
                    f"LATERAL (SELECT array_agg((random() - 0.5)::real) AS v FROM generate_series(1, {DIM}) WHERE g > 0) s",
                    "bench")
            pg.psql("ANALYZE switchyard_chunks", "bench")
            have = n
            server, wall = [], []
            for _ in range(args.queries):
                q = [random.uniform(-0.5, 0.5) for _ in range(DIM)]
                qn = sum(x * x for x in q) ** 0.5
                sql = SEARCH.format(q="{" + ",".join(f"{x:.9g}" for x in q) + "}", qn=repr(qn), dim=DIM)
                plan = pg.psql("EXPLAIN ANALYZE " + sql, "bench")
                server.append(float(re.search(r"Execution Time: ([\d.]+) ms", plan).group(1)))
                t0 = time.perf_counter()
                pg.psql(sql, "bench")
                wall.append((time.perf_counter() - t0) * 1000)
            print(f"| {n} | {statistics.median(server):.1f} | {statistics.median(wall):.1f} |")
    finally:
        pg.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
