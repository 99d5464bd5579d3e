#!/usr/bin/env python3
"""Read every user of a Cognito user pool the way it is usually scripted: boto3's `list_users` paginator, one
stream, 60 users a page, botocore's standard retry mode.

    python bench/boto3_list.py --endpoint-url http://127.0.0.1:9229 --user-pool-id local_BenchPool1 [--max-users N]

Prints `users=N pages=P` at the end.
"""
import argparse

import boto3
from botocore.config import Config


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--user-pool-id", required=True)
    parser.add_argument("--endpoint-url")
    parser.add_argument("--max-users", type=int, default=None)
    args = parser.parse_args()

    client = boto3.client(
        "cognito-idp",
        endpoint_url=args.endpoint_url,
        config=Config(retries={"mode": "standard"}),
    )
    pagination = {"PageSize": 60}
    if args.max_users:
        pagination["MaxItems"] = args.max_users
    users = pages = 0
    for page in client.get_paginator("list_users").paginate(
        UserPoolId=args.user_pool_id, PaginationConfig=pagination
    ):
        pages += 1
        users += len(page["Users"])
    print(f"users={users} pages={pages}")


if __name__ == "__main__":
    main()
