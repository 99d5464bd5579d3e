//! Local Cognito user-pool emulator (awsJson1_1 over HTTP).
