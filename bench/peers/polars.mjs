// Polars peer for bench/features: orders CSV -> per-customer features CSV (lazy scanCSV, groupBy/agg, writeCSV).
//   node bench/peers/polars.mjs features INPUT OUTPUT
//   node bench/peers/polars.mjs version
// Money: each amount is turned into integer cents (round(amount * 100), exact for 2-decimal values) and summed
// as Int64, so the total equals round(sum(amount) * 100) exactly. Dates are parsed as Date (days since epoch).
import pl from 'nodejs-polars';

const [mode, input, output] = process.argv.slice(2);
console.error(`polars ${pl.version} (nodejs-polars)`);
if (mode === 'version') process.exit(0);
if (mode !== 'features') {
  console.error('usage: polars.mjs features|version INPUT OUTPUT');
  process.exit(2);
}

// A bare JS number becomes a Float64 literal (and turns Int64 arithmetic into Float64): cast literals to Int64.
// Int64 / Int64 is floor division in nodejs-polars.
const I = (v) => pl.lit(v).cast(pl.Int64);
const money = (c) => pl.concatString([c.div(I(100)).cast(pl.Utf8), c.modulo(I(100)).cast(pl.Utf8).str.padStart(2, '0')], '.');
const days = (c) => c.cast(pl.Int32);

const df = await pl
  .scanCSV(input, {
    hasHeader: true,
    sep: ',',
    schema: { customer_id: pl.Utf8, order_date: pl.Date, amount: pl.Float64 },
  })
  .groupBy('customer_id')
  .agg(
    pl.col('order_date').min().alias('first_date'),
    pl.col('order_date').max().alias('last_date'),
    pl.col('order_date').nUnique().cast(pl.Int64).alias('purchase_days'),
    pl.col('amount').mul(100).round(0).cast(pl.Int64).sum().alias('total_cents'),
    pl.len().cast(pl.Int64).alias('n'),
  )
  .withColumns(
    days(pl.col('last_date').max()).sub(days(pl.col('last_date'))).cast(pl.Int64).alias('recency_days'),
    days(pl.col('last_date')).sub(days(pl.col('first_date'))).cast(pl.Int64).alias('tenure_days'),
    pl.col('total_cents').mul(I(2)).add(pl.col('n')).div(pl.col('n').mul(I(2))).alias('mean_cents'),
  )
  .select(
    pl.col('customer_id'),
    pl.col('first_date').cast(pl.Utf8),
    pl.col('last_date').cast(pl.Utf8),
    pl.col('recency_days'),
    pl.col('tenure_days'),
    pl.col('purchase_days'),
    money(pl.col('total_cents')).alias('net_revenue'),
    money(pl.col('mean_cents')).alias('mean_order_value'),
    pl.when(pl.col('purchase_days').gtEq(I(4)).and(pl.col('recency_days').ltEq(I(180)))).then(pl.lit('loyal'))
      .when(pl.col('recency_days').ltEq(I(365))).then(pl.lit('general'))
      .otherwise(pl.lit('lapsed')).alias('segment'),
  )
  .collect();  // a Promise in nodejs-polars
df.writeCSV(output);
