#!/usr/bin/env python3
"""Update Cognito user attributes from a CSV, the way it is usually scripted: boto3, a thread pool of 16,
botocore's standard retry mode.

    python bench/boto3_update.py --endpoint-url http://127.0.0.1:9229 --user-pool-id local_BenchPool1 users.csv

The CSV has a `username` column; every other column is an attribute name. Prints one line per failed row and a
summary line at the end; the exit code is 1 if any row failed.
"""
import argparse
import csv
import sys
from concurrent.futures import ThreadPoolExecutor, as_completed

import boto3
from botocore.config import Config


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("csv")
    parser.add_argument("--user-pool-id", required=True)
    parser.add_argument("--endpoint-url")
    parser.add_argument("--threads", type=int, default=16)
    args = parser.parse_args()

    client = boto3.client(
        "cognito-idp",
        endpoint_url=args.endpoint_url,
        config=Config(retries={"mode": "standard"}, max_pool_connections=args.threads),
    )

    def update(row):
        attributes = [{"Name": k, "Value": v} for k, v in row.items() if k != "username"]
        client.admin_update_user_attributes(
            UserPoolId=args.user_pool_id,
            Username=row["username"],
            UserAttributes=attributes,
        )

    with open(args.csv, newline="") as f:
        rows = list(csv.DictReader(f))

    updated = failed = 0
    with ThreadPoolExecutor(max_workers=args.threads) as pool:
        futures = {pool.submit(update, row): row for row in rows}
        for future in as_completed(futures):
            try:
                future.result()
                updated += 1
            except Exception as e:  # noqa: BLE001 - report every failure and go on
                failed += 1
                print(f"FAILED {futures[future]['username']}: {e}", file=sys.stderr)

    print(f"updated={updated} failed={failed}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
