//! End-to-end tests of the emulator through the real AWS SDK.
