#!/usr/bin/env python3
"""Writes sample-data/seed.json: pool local_SamplePool1 with 1,000 users (user0001..user1000).

Users user0201..user0300 are "imported" ones whose email is not verified yet (email_verified=false): the users
that sample-data/verify-emails.csv lists, and the ones the README's third job finds with export.
Groups: `staff` (user0001..user0003), `trial` (user0901..user1000) and `premium` (no members yet), for
sample-data/groups.csv.

Subs are deterministic: 00000000-0000-4000-8000-<index as 12 digits>.
"""
import json
import pathlib

FIRST = ["Ada", "Alan", "Grace", "Linus", "Barbara", "Ken", "Margaret", "Dennis", "Frances", "Edsger"]
LAST = ["Lovelace", "Turing", "Hopper", "Torvalds", "Liskov", "Thompson", "Hamilton", "Ritchie", "Allen", "Dijkstra"]


def user(i):
    name = f"user{i:04d}"
    attrs = [
        {"Name": "email", "Value": f"{name}@example.com"},
        {"Name": "email_verified", "Value": "false" if 201 <= i <= 300 else "true"},
        {"Name": "given_name", "Value": FIRST[i % 10]},
        {"Name": "family_name", "Value": LAST[(i // 10) % 10]},
        {"Name": "custom:tier", "Value": "free"},
        {"Name": "custom:legacy_id", "Value": f"L-{i:06d}"},
    ]
    if i <= 10:
        attrs.append({"Name": "phone_number", "Value": f"+1555010{i:04d}"})
    groups = []
    if i <= 3:
        groups.append("staff")
    if i >= 901:
        groups.append("trial")
    return {
        "Username": name,
        **({"Groups": groups} if groups else {}),
        "Sub": f"00000000-0000-4000-8000-{i:012d}",
        "Enabled": True,
        "UserStatus": "CONFIRMED",
        "Attributes": attrs,
    }


seed = {
    "UserPools": [
        {
            "Id": "local_SamplePool1",
            "PoolName": "sample",
            "AliasAttributes": ["email"],
            "AutoVerifiedAttributes": ["email"],
            "UsernameConfiguration": {"CaseSensitive": False},
            "EmailConfiguration": {"EmailSendingAccount": "COGNITO_DEFAULT"},
            "Schema": [
                {"Name": "tier", "AttributeDataType": "String", "Mutable": True,
                 "StringAttributeConstraints": {"MinLength": "0", "MaxLength": "16"}},
                {"Name": "tenant_id", "AttributeDataType": "String", "Mutable": True,
                 "StringAttributeConstraints": {"MinLength": "0", "MaxLength": "64"}},
                {"Name": "score", "AttributeDataType": "Number", "Mutable": True,
                 "NumberAttributeConstraints": {"MinValue": "0", "MaxValue": "1000"}},
                {"Name": "legacy_id", "AttributeDataType": "String", "Mutable": False},
            ],
            "Groups": [
                {"GroupName": "premium", "Description": "paying customers", "Precedence": 1},
                {"GroupName": "staff", "Description": "employees", "Precedence": 0},
                {"GroupName": "trial", "Description": "trial accounts", "Precedence": 2},
            ],
            "Users": [user(i) for i in range(1, 1001)],
        }
    ]
}

out = pathlib.Path(__file__).with_name("seed.json")
out.write_text(json.dumps(seed, indent=1) + "\n")
