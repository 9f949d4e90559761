// DuckDB peer for bench/features: orders CSV -> per-customer features CSV, in SQL.
//   node bench/peers/duckdb.mjs features INPUT OUTPUT   (the job)
//   node bench/peers/duckdb.mjs count INPUT [OUTPUT]    (scan floor: SELECT count(*) FROM read_csv(...))
//   node bench/peers/duckdb.mjs version
// Money is read as DECIMAL(18,2) so sums are exact; dates as DATE; days are DATE - DATE (an integer).
import { DuckDBInstance } from '@duckdb/node-api';

const [mode, input, output] = process.argv.slice(2);
const q = (s) => `'${String(s).replaceAll("'", "''")}'`;
const scan = (path) =>
  `read_csv(${q(path)}, header = true, delim = ',', quote = '"', auto_detect = false, ` +
  `columns = {'customer_id': 'VARCHAR', 'order_date': 'DATE', 'amount': 'DECIMAL(18,2)'}, dateformat = '%Y-%m-%d')`;

const instance = await DuckDBInstance.create(':memory:');
const con = await instance.connect();
const version = (await con.runAndReadAll('SELECT version()')).getRows()[0][0];
console.error(`duckdb ${version} (@duckdb/node-api)`);

if (mode === 'version') {
  // printed above
} else if (mode === 'count') {
  const n = (await con.runAndReadAll(`SELECT count(*) FROM ${scan(input)}`)).getRows()[0][0];
  console.log(String(n));
} else if (mode === 'features') {
  await con.run(`
COPY (
  WITH c AS (
    SELECT customer_id,
           min(order_date) AS first_date,
           max(order_date) AS last_date,
           count(DISTINCT order_date) AS purchase_days,
           CAST(sum(amount) * 100 AS BIGINT) AS total_cents,
           count(*) AS n
    FROM ${scan(input)}
    GROUP BY customer_id
  ), r AS (
    SELECT *,
           (max(last_date) OVER ()) - last_date AS recency_days,
           (2 * total_cents + n) // (2 * n) AS mean_cents
    FROM c
  )
  SELECT customer_id,
         strftime(first_date, '%Y-%m-%d') AS first_date,
         strftime(last_date, '%Y-%m-%d') AS last_date,
         recency_days,
         last_date - first_date AS tenure_days,
         purchase_days,
         printf('%d.%02d', total_cents // 100, total_cents % 100) AS net_revenue,
         printf('%d.%02d', mean_cents // 100, mean_cents % 100) AS mean_order_value,
         CASE WHEN purchase_days >= 4 AND recency_days <= 180 THEN 'loyal'
              WHEN recency_days <= 365 THEN 'general'
              ELSE 'lapsed' END AS segment
  FROM r
) TO ${q(output)} (FORMAT csv, HEADER true, DELIMITER ',')`);
} else {
  console.error('usage: duckdb.mjs features|count|version INPUT [OUTPUT]');
  process.exit(2);
}
