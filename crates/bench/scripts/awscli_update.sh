#!/usr/bin/env bash
# Update Cognito user attributes from a CSV with the AWS CLI, eight calls at a time, the way it is usually
# scripted.
#
#   ENDPOINT_URL=http://127.0.0.1:9229 USER_POOL_ID=local_BenchPool1 bench/awscli_update.sh users.csv
#
# The CSV is `username,custom:tier,custom:score` (header first). Failed rows are printed as `FAILED <username>`.
set -u
csv=$1
export ENDPOINT_URL USER_POOL_ID

tail -n +2 "$csv" | tr ',' ' ' | xargs -P 8 -n 3 sh -c '
  aws cognito-idp admin-update-user-attributes \
    --endpoint-url "$ENDPOINT_URL" \
    --user-pool-id "$USER_POOL_ID" \
    --username "$0" \
    --user-attributes Name=custom:tier,Value="$1" Name=custom:score,Value="$2" \
    || echo "FAILED $0"
'
