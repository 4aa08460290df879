// scripts/bench_duckdb.mjs - the DuckDB side of scripts/bench (SPEC section 9).
//
//   node bench_duckdb.mjs MODULE_DIR settle csv|ndjson INPUT OUTPUT.csv [THREADS]
//   node bench_duckdb.mjs MODULE_DIR ndjson INPUT.csv OUTPUT.ndjson
//
// MODULE_DIR is the folder `npm install --prefix` put @duckdb/node-api in
// (scripts/bench installs it into a cache folder, not into the repository).
//
// `settle` does the settlement work settle does on the royal-live drop of
// scripts/bench: read the file (RFC 4180 CSV with a BOM, ',' thousands, or
// NDJSON with string amounts), keep the first row of every transaction id,
// and sum the amounts exactly (DECIMAL, never DOUBLE) per business day
// (Asia/Seoul, starting 06:00), game, currency and type, writing
// day,game,currency,type,total,count to OUTPUT.csv sorted.
//
// `ndjson` converts the CSV drop to NDJSON for the NDJSON bench (not timed):
// same keys as the CSV header, every value a string, amounts without
// thousands separators, rows in file order.
//
// Exits non-zero with DuckDB's message on any failure.
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const COLUMNS = ['txn_id', 'round_id', 'created_at', 'player', 'table_id', 'game_type', 'event',
                 'amount', 'ccy'];

// Quotes a string as an SQL literal.
function lit(s) { return "'" + String(s).replaceAll("'", "''") + "'"; }

// The table function reading the drop, every column typed by us (no sniffing).
function source(format, input) {
  const types = Object.fromEntries(COLUMNS.map((c) => [c, 'VARCHAR']));
  types.created_at = 'TIMESTAMPTZ';
  types.amount = 'DECIMAL(18,2)';
  const cols = '{' + Object.entries(types).map(([k, v]) => `${lit(k)}: ${lit(v)}`).join(', ') + '}';
  if (format === 'ndjson') return `read_ndjson(${lit(input)}, columns = ${cols})`;
  return `read_csv(${lit(input)}, header = true, delim = ',', quote = '"', escape = '"', ` +
         `decimal_separator = '.', thousands = ',', columns = ${cols})`;
}

// SQL of the settlement: number rows in file order, keep the first of each
// id, group and sum exactly, write a sorted CSV (a DATE is written as
// YYYY-MM-DD). Of the formulations tried, the fastest on this machine:
// `rn = min(rn) OVER (PARTITION BY id)` took about half the CPU of
// `row_number() OVER (PARTITION BY id ORDER BY rn) = 1`, of arg_min per id and
// of a semi-join on min(rn); grouping by the DATE and formatting only the
// result saves a strftime per row.
function settleSql(format, input, output) {
  return `
    COPY (
      WITH numbered AS (SELECT row_number() OVER () AS rn, * FROM ${source(format, input)}),
           firsts AS (SELECT * FROM numbered QUALIFY rn = min(rn) OVER (PARTITION BY txn_id))
      SELECT CAST((created_at AT TIME ZONE 'Asia/Seoul') - INTERVAL 6 HOUR AS DATE) AS day,
             table_id AS game, ccy AS currency, event AS type, sum(amount) AS total, count(*) AS count
      FROM firsts
      GROUP BY ALL
      ORDER BY ALL
    ) TO ${lit(output)} (HEADER, DELIMITER ',')`;
}

// SQL of the CSV -> NDJSON conversion (all text, amounts without grouping).
function ndjsonSql(input, output) {
  const sel = COLUMNS.map((c) => c === 'amount' ? "replace(amount, ',', '') AS amount" : c).join(', ');
  return `COPY (SELECT ${sel} FROM read_csv(${lit(input)}, header = true, all_varchar = true))
          TO ${lit(output)} (FORMAT json)`;
}

// Loads @duckdb/node-api from MODULE_DIR, runs the asked job.
async function main(argv) {
  const [moduleDir, mode, ...rest] = argv;
  const require = createRequire(path.join(path.resolve(moduleDir), 'package.json'));
  const { DuckDBInstance } = await import(pathToFileURL(require.resolve('@duckdb/node-api')).href);
  let sql, threads = '2';
  if (mode === 'settle' && rest.length >= 3) {
    sql = settleSql(rest[0], rest[1], rest[2]);
    threads = rest[3] || threads;
  } else if (mode === 'ndjson' && rest.length === 2) {
    sql = ndjsonSql(rest[0], rest[1]);
  } else {
    throw new Error('usage: bench_duckdb.mjs MODULE_DIR settle csv|ndjson IN OUT [THREADS] | ' +
                    'MODULE_DIR ndjson IN.csv OUT.ndjson');
  }
  const db = await DuckDBInstance.create(':memory:', { threads });
  const con = await db.connect();
  await con.run(sql);
}

main(process.argv.slice(2)).catch((e) => {
  console.error('bench_duckdb: ' + (e && e.message ? e.message : e));
  process.exit(1);
});
