-- wrk script: AdminUpdateUserAttributes against the sample pool, cycling through user0001..user1000.
-- wrk -t1 -c64 -d10s -s examples/emulator_bench.lua http://127.0.0.1:9229/
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-amz-json-1.1"
wrk.headers["X-Amz-Target"] = "AWSCognitoIdentityProviderService.AdminUpdateUserAttributes"

local n = 0
request = function()
  n = n + 1
  local body = string.format(
    '{"UserPoolId":"local_SamplePool1","Username":"user%04d","UserAttributes":' ..
    '[{"Name":"custom:tier","Value":"t%d"},{"Name":"email_verified","Value":"true"}]}',
    (n % 1000) + 1, n % 10)
  return wrk.format(nil, "/", nil, body)
end
