#!/usr/bin/env python3
"""lifetimes (github.com/CamDavidsonPilon/lifetimes) on the same inputs as bench/clv/clv_bench, fit time only.

    PYTHONPATH=/path/to/lifetimes:/path/to/autograd /usr/bin/python3 bench/clv/peer_lifetimes.py SIM.csv CDNOW_master.txt
"""
import sys
import time

import pandas as pd
from lifetimes import BetaGeoFitter, ParetoNBDFitter
from lifetimes.utils import summary_data_from_transaction_data


def timed(label, fitter, df, runs=3):
    times = []
    for _ in range(runs):
        f = fitter()
        t0 = time.perf_counter()
        try:
            f.fit(df["frequency"], df["recency"], df["T"])
            status = "ok"
        except Exception as e:  # lifetimes raises ConvergenceError on data without an interior maximum
            status = f"error: {type(e).__name__}"
        times.append(time.perf_counter() - t0)
    times.sort()
    params = getattr(f, "params_", None)
    print(f"lifetimes {label}: {len(df)} customers, fit median {times[len(times)//2]:.3f} s "
          f"(min {times[0]:.3f}, max {times[-1]:.3f}, {runs} runs), {status}, params {dict(params) if params is not None else '-'}")


def main():
    sim = pd.read_csv(sys.argv[1])
    timed("BG/NBD simulated 1M (days)", BetaGeoFitter, sim)
    tx = pd.read_csv(sys.argv[2], sep=r"\s+", dtype={"customer_id": str})
    tx["date"] = pd.to_datetime(tx["date"].astype(str), format="%Y%m%d")
    cal = tx[tx["date"] <= "1997-09-30"]
    s = summary_data_from_transaction_data(cal, "customer_id", "date", observation_period_end="1997-09-30", freq="D")
    s["recency"] /= 7.0
    s["T"] /= 7.0
    timed("Pareto/NBD CDNOW full (weeks)", ParetoNBDFitter, s)
    timed("BG/NBD CDNOW full (weeks)", BetaGeoFitter, s)


if __name__ == "__main__":
    main()
