"""bench_pandas.py - the pandas side of scripts/bench (SPEC section 9).

    /usr/bin/python3 bench_pandas.py csv|ndjson INPUT OUTPUT.csv

Does the settlement work settle does on the royal-live drop of scripts/bench:
reads the file (RFC 4180 CSV with a BOM and ',' thousands, or NDJSON with
string amounts), keeps the first row of every transaction id, turns amounts
into exact integer minor units (a malformed amount is an error, never a
float), and sums them per business day (Asia/Seoul, starting 06:00), game,
currency and type. Writes day,game,currency,type,total,count to OUTPUT.csv,
sorted, totals as decimal text: byte for byte what bench_duckdb.mjs writes.
Exits non-zero with a message on any failure.
"""
import sys

import pandas as pd

COLUMNS = ["txn_id", "created_at", "table_id", "event", "amount", "ccy"]
CHUNK = 500_000


def read_drop(fmt, path):
    """The drop's needed columns as strings, rows in file order."""
    if fmt == "csv":
        return pd.read_csv(path, encoding="utf-8-sig", usecols=COLUMNS, dtype=str,
                           keep_default_na=False)
    parts = [c[COLUMNS] for c in pd.read_json(path, lines=True, dtype=False, convert_dates=False,
                                                chunksize=CHUNK)]
    return pd.concat(parts, ignore_index=True)


def minor_units(amounts):
    """Amount text ("1,234.50", "-0.10") as int64 cents; raises on anything else."""
    plain = amounts.str.replace(",", "", regex=False)
    bad = ~plain.str.fullmatch(r"-?[0-9]+\.[0-9]{2}")
    if bad.any():
        raise ValueError("malformed amount %r" % plain[bad].iloc[0])
    return plain.str.replace(".", "", regex=False).astype("int64")


def settle(df):
    """First row per id, grouped by business day, game, currency and type."""
    df = df.drop_duplicates("txn_id", keep="first")
    local = pd.to_datetime(df["created_at"], utc=True).dt.tz_convert("Asia/Seoul")
    day = (local.dt.tz_localize(None) - pd.Timedelta(hours=6)).dt.normalize()
    out = pd.DataFrame({"day": day, "game": df["table_id"], "currency": df["ccy"],
                        "type": df["event"], "minor": minor_units(df["amount"])})
    g = out.groupby(["day", "game", "currency", "type"], sort=True)["minor"].agg(["sum", "count"])
    return g.reset_index()


def decimal_text(cents):
    """Exact decimal text of an integer number of cents."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(int(cents)), 100)
    return "%s%d.%02d" % (sign, whole, frac)


def write_result(res, path):
    """Writes the grouped result as CSV in bench_duckdb.mjs's layout."""
    with open(path, "w", encoding="utf-8") as f:
        f.write("day,game,currency,type,total,count\n")
        for day, game, cur, typ, total, count in res.itertuples(index=False):
            f.write("%s,%s,%s,%s,%s,%d\n" % (day.strftime("%Y-%m-%d"), game, cur, typ,
                                             decimal_text(total), count))


def main(argv):
    """Runs the job named on the command line."""
    if len(argv) != 4 or argv[1] not in ("csv", "ndjson"):
        sys.exit("usage: bench_pandas.py csv|ndjson INPUT OUTPUT.csv")
    write_result(settle(read_drop(argv[1], argv[2])), argv[3])


if __name__ == "__main__":
    main(sys.argv)
