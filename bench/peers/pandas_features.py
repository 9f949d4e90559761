"""pandas peer for bench/features: orders CSV -> per-customer features CSV (read_csv with dtypes, groupby.agg).

    /usr/bin/python3 bench/peers/pandas_features.py features INPUT OUTPUT
    /usr/bin/python3 bench/peers/pandas_features.py version

Money: each amount becomes integer cents (round(amount * 100), exact for 2-decimal values), summed as int64, so
the total equals round(sum(amount) * 100) exactly. Dates are parsed with an explicit format to datetime64 and
turned into day numbers (days since 1970-01-01) for the arithmetic.
"""
import sys

import numpy as np
import pandas as pd


def money(cents: pd.Series) -> pd.Series:
    return (cents // 100).astype(str) + "." + (cents % 100).astype(str).str.zfill(2)


def main() -> int:
    args = sys.argv[1:]
    print(f"pandas {pd.__version__} (numpy {np.__version__}, Python {sys.version.split()[0]})", file=sys.stderr)
    if args[:1] == ["version"]:
        return 0
    if len(args) != 3 or args[0] != "features":
        print("usage: pandas_features.py features|version INPUT OUTPUT", file=sys.stderr)
        return 2
    _, src, dst = args

    df = pd.read_csv(src, dtype={"customer_id": str, "order_date": str, "amount": np.float64}, engine="c")
    day = pd.to_datetime(df["order_date"], format="%Y-%m-%d").values.astype("datetime64[D]").astype(np.int64)
    orders = pd.DataFrame({
        "customer_id": df["customer_id"],
        "day": day,
        "cents": np.rint(df["amount"].to_numpy() * 100).astype(np.int64),
    })
    del df
    g = orders.groupby("customer_id", sort=False).agg(
        first=("day", "min"),
        last=("day", "max"),
        purchase_days=("day", "nunique"),
        total_cents=("cents", "sum"),
        n=("cents", "size"),
    )
    recency = g["last"].max() - g["last"]
    mean_cents = (2 * g["total_cents"] + g["n"]) // (2 * g["n"])
    segment = np.where((g["purchase_days"] >= 4) & (recency <= 180), "loyal",
                       np.where(recency <= 365, "general", "lapsed"))
    out = pd.DataFrame({
        "customer_id": g.index,
        "first_date": g["first"].to_numpy().astype("datetime64[D]").astype(str),
        "last_date": g["last"].to_numpy().astype("datetime64[D]").astype(str),
        "recency_days": recency.to_numpy(),
        "tenure_days": (g["last"] - g["first"]).to_numpy(),
        "purchase_days": g["purchase_days"].to_numpy(),
        "net_revenue": money(g["total_cents"]).to_numpy(),
        "mean_order_value": money(mean_cents).to_numpy(),
        "segment": segment,
    })
    out.to_csv(dst, index=False, lineterminator="\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
